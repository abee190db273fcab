/* kvb-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kvb-application.h"
#include "kvb-preferences-window.h"
#include "kvb-schedule-runner.h"
#include "kvb-window.h"

struct _KvbApplication
{
  AdwApplication parent_instance;

  guint          sigterm_id;
  guint          sigint_id;

  /* Inside a Flatpak sandbox: the scheduled backups, run while the application runs (it starts
   * with the session through the Background portal, with --scheduled, and stays while there are
   * schedules). */
  KvbScheduleStore  *schedules;
  KvbScheduleRunner *runner;
  gboolean           held;          /* the application is held for the schedules */
  gboolean           quiet_start;   /* --scheduled: the first activation opens no window */
};

G_DEFINE_FINAL_TYPE (KvbApplication, kvb_application, ADW_TYPE_APPLICATION)

KvbApplication *
kvb_application_new (void)
{
  return g_object_new (KVB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", APP_PATH,
                       NULL);
}

static GtkWindow *
main_window (KvbApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (KVB_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

/* Benchmark hook (benchmarks/run.py, KVB_BENCH_FIRST_FRAME=1): prints the monotonic clock when
 * the main window's first frame has been drawn, for the time from start to first frame.  The
 * frame clock's "after-paint" ends every frame; only one painted while the surface is mapped has
 * drawn anything (GDK skips the paint of an unmapped surface and redraws it all once mapped).  An
 * accessibility event would need the bridge (off in the tests' environment, and a cost of its
 * own) and comes with the mapping, not with the drawing. */
static void
bench_after_paint_cb (GdkFrameClock *clock,
                      GdkSurface    *surface)
{
  if (!gdk_surface_get_mapped (surface))
    return;
  g_printerr ("kvb-bench: first-frame monotonic-us %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_signal_handlers_disconnect_by_func (clock, bench_after_paint_cb, surface);
}

static void
kvb_application_activate (GApplication *app)
{
  KvbApplication *self = KVB_APPLICATION (app);
  GtkWindow *window = main_window (self);
  gboolean created = window == NULL;

  if (self->quiet_start)
    {
      self->quiet_start = FALSE;
      return;
    }

  if (window == NULL)
    window = GTK_WINDOW (kvb_window_new (ADW_APPLICATION (app)));

  gtk_window_present (window);

  if (created && g_strcmp0 (g_getenv ("KVB_BENCH_FIRST_FRAME"), "1") == 0)
    {
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

      g_signal_connect (gdk_surface_get_frame_clock (surface), "after-paint",
                        G_CALLBACK (bench_after_paint_cb), surface);
    }
}

/* Files opened from the file manager (the desktop file's MimeType) or given on the command line,
 * also to a second start that hands them to the running one: the Restore Backup flow for them. */
static void
kvb_application_open (GApplication  *app,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_FILE);
  GtkWindow *window;

  for (int i = 0; i < n_files; i++)
    g_list_store_append (store, files[i]);

  g_application_activate (app);
  window = main_window (KVB_APPLICATION (app));
  g_return_if_fail (window != NULL);
  kvb_window_open_files (KVB_WINDOW (window), G_LIST_MODEL (store));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  KvbApplication *self = user_data;

  /* Closing the windows first lets the main window save its size. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; )
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }

  g_application_quit (G_APPLICATION (self));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  KvbApplication *self = user_data;
  const char *developers[] = { _("The Key Vault Backup developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", main_window (self),
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Key Vault Backup"),
                        "developer-name", _("The Key Vault Backup developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Back up and restore the secrets, keys and certificates of Azure Key Vault."),
                        "website", "https://github.com/kvbackup/key-vault-backup",
                        "issue-url", "https://github.com/kvbackup/key-vault-backup/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", _("© 2026 The Key Vault Backup developers"),
                        "developers", developers,
                        /* translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* The shortcuts window is built afresh each time and destroyed when it closes, instead of the
 * help overlay GtkApplication would load from gtk/help-overlay.ui and keep hidden for the window's
 * whole life.  GTK 4.8's accessibility root (GtkAtSpiRoot, GetChildAtIndex) counts only visible
 * windows, but when asked for an index past them it answers with the last window of
 * gtk_window_get_toplevels() whatever it is; a hidden window there has no AT-SPI object path, and
 * the application crashes building the reply.  A screen reader asks for such an index whenever a
 * dialog closes between its reading the window count and the windows.  So no window of this
 * application stays hidden in the list: every dialog is destroyed when it closes. */
static void
shortcuts_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KvbApplication *self = user_data;
  GtkWindow *window = main_window (self);
  g_autoptr(GtkBuilder) builder = NULL;
  GtkShortcutsWindow *shortcuts;

  if (window == NULL)
    return;

  builder = gtk_builder_new_from_resource (APP_PATH "/ui/kvb-shortcuts-window.ui");
  shortcuts = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  /* The window looks up the accelerators of the actions it lists (and replaces, destroying it,
   * the shortcuts window it had before); it would only hide this one on close. */
  gtk_application_window_set_help_overlay (GTK_APPLICATION_WINDOW (window), shortcuts);
  gtk_window_set_hide_on_close (GTK_WINDOW (shortcuts), FALSE);
  gtk_window_present (GTK_WINDOW (shortcuts));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  KvbApplication *self = user_data;
  GtkWidget *prefs = kvb_preferences_window_new (main_window (self));

  gtk_window_present (GTK_WINDOW (prefs));
}

/* Test hook: with KVB_TEST_HOOKS=1 in the environment the application also exports
 * "app.test-screenshot" (a file name), which renders the main window into a PNG with the window's
 * own renderer, so the GUI tests need no screen-grabbing tool.  Nothing registers it otherwise. */
static void
test_screenshot_activated (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  KvbApplication *self = user_data;
  GtkWindow *window = main_window (self);
  const char *path = g_variant_get_string (parameter, NULL);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  int width, height;

  if (window == NULL || !gtk_widget_get_mapped (GTK_WIDGET (window)))
    {
      g_warning ("No main window to take a screenshot of");
      return;
    }

  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_warning ("The main window rendered nothing");
      return;
    }

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_warning ("Could not write the screenshot");
}

/* The default action of the notifications of finished operations (KvbDownloadBackup): the
 * window they came from comes to the front. */
static void
show_window_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static gboolean
unix_signal_cb (gpointer user_data)
{
  KvbApplication *self = user_data;

  /* SIGTERM and SIGINT end the application the way Ctrl+Q does, so that everything is torn down
   * and sanitizers and coverage see a clean exit. */
  g_debug ("Quitting on a signal");
  g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

/* --scheduled (the command line the session starts at log-in): the scheduled backups, no
 * window.  A running instance runs them already: a second start ends at once. */
static int
kvb_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  KvbApplication *self = KVB_APPLICATION (app);
  g_autoptr(GError) error = NULL;

  if (!g_variant_dict_contains (options, "scheduled"))
    return -1;
  if (!g_application_register (app, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (app))
    return 0;
  self->quiet_start = TRUE;
  return -1;
}

/* Held while there are schedules to run: closing the window leaves it running. */
static void
update_hold (KvbApplication *self)
{
  gboolean hold = self->schedules != NULL &&
                  g_list_model_get_n_items (G_LIST_MODEL (self->schedules)) > 0;

  if (hold == self->held)
    return;
  self->held = hold;
  if (hold)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void
schedules_changed_cb (GListModel     *model,
                      guint           position,
                      guint           removed,
                      guint           added,
                      KvbApplication *self)
{
  update_hold (self);
}

/* A night that failed is said where the administrator will see it; one that worked is in the
 * History and the sidebar's "last backed up". */
static void
schedule_finished_cb (KvbScheduleRunner *runner,
                      const char        *vault,
                      gboolean           success,
                      const char        *message,
                      KvbApplication    *self)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;

  if (success)
    return;
  g_warning ("The scheduled backup of %s failed: %s", vault, message);
  notification = g_notification_new (_("Scheduled Backup Failed"));
  /* translators: the vault, then what went wrong (a sentence) */
  body = g_strdup_printf (_("The backup of vault “%s” did not complete: %s The next run resumes "
                            "it; History has the details."), vault, message);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action (notification, "app.show-window");
  id = g_strconcat ("scheduled-", vault, NULL);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
start_schedules (KvbApplication *self)
{
  g_autoptr(GFile) file = kvb_schedule_store_dup_default_file ();
  g_autoptr(GError) error = NULL;
  g_autofree char *kvbackup = g_find_program_in_path ("kvbackup");

  if (kvbackup != NULL && !g_path_is_absolute (kvbackup))
    g_clear_pointer (&kvbackup, g_free);
  self->schedules = kvb_schedule_store_new (file, kvbackup);
  if (!kvb_schedule_store_load (self->schedules, &error))
    g_warning ("%s", error->message);
  self->runner = kvb_schedule_runner_new (self->schedules);
  g_signal_connect_object (self->runner, "finished", G_CALLBACK (schedule_finished_cb), self, 0);
  g_signal_connect_object (self->schedules, "items-changed", G_CALLBACK (schedules_changed_cb),
                           self, 0);
  update_hold (self);
  kvb_schedule_runner_start (self->runner);
}

KvbScheduleStore *
kvb_application_get_schedule_store (KvbApplication *self)
{
  g_return_val_if_fail (KVB_IS_APPLICATION (self), NULL);
  return self->schedules;
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "about", about_activated },
  { "preferences", preferences_activated },
  { "show-window", show_window_activated },
  { "shortcuts", shortcuts_activated },
};

static void
kvb_application_startup (GApplication *app)
{
  KvbApplication *self = KVB_APPLICATION (app);
  const char *test_cloud;

  G_APPLICATION_CLASS (kvb_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts",
                                         (const char *[]) { "<Control>question", NULL });

  if (g_strcmp0 (g_getenv ("KVB_TEST_HOOKS"), "1") == 0)
    {
      static const GActionEntry test_actions[] = {
        { "test-screenshot", test_screenshot_activated, "s" },
      };

      g_action_map_add_action_entries (G_ACTION_MAP (self), test_actions, G_N_ELEMENTS (test_actions),
                                       self);
    }

  /* Test hook: KVB_TEST_CLOUD_PROFILE names a cloud profile file (for example one that points at a
   * stand-in the test started) that the welcome page then offers, as if the user had picked it.
   * Tests run with the memory GSettings backend, so nothing of the user's changes. */
  test_cloud = g_getenv ("KVB_TEST_CLOUD_PROFILE");
  if (test_cloud != NULL && *test_cloud != '\0')
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);
      g_settings_set_string (settings, "cloud", test_cloud);
    }

  self->sigterm_id = g_unix_signal_add (SIGTERM, unix_signal_cb, self);
  self->sigint_id = g_unix_signal_add (SIGINT, unix_signal_cb, self);

  if (kvb_schedule_runs_in_application ())
    start_schedules (self);
}

static void
kvb_application_shutdown (GApplication *app)
{
  KvbApplication *self = KVB_APPLICATION (app);

  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  if (self->runner != NULL)
    kvb_schedule_runner_stop (self->runner);
  g_clear_object (&self->runner);
  if (self->schedules != NULL)
    g_signal_handlers_disconnect_by_data (self->schedules, self);
  g_clear_object (&self->schedules);

  G_APPLICATION_CLASS (kvb_application_parent_class)->shutdown (app);
}

static void
kvb_application_class_init (KvbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = kvb_application_activate;
  app_class->handle_local_options = kvb_application_handle_local_options;
  app_class->open = kvb_application_open;
  app_class->startup = kvb_application_startup;
  app_class->shutdown = kvb_application_shutdown;
}

static void
kvb_application_init (KvbApplication *self)
{
  static const GOptionEntry options[] = {
    { "scheduled", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Run the scheduled backups without opening a window (how the session starts it)"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_set_application_name (_("Key Vault Backup"));
  gtk_window_set_default_icon_name (APP_ID);
}
