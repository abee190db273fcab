/* kvb-schedule-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-schedule-flow"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-application.h"
#include "kvb-background-portal.h"
#include "kvb-restore-chooser.h"
#include "kvb-schedule.h"
#include "kvb-schedule-flow.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

struct _KvbScheduleFlow
{
  GObject parent_instance;

  GCancellable *cancellable;    /* cancelled when the page moves to another vault */
  GtkWindow *parent;            /* (weak) the window the dialogs belong to */
  char *vault;
  KvbScheduleFrequency frequency; /* the choices of the last time */
  guint keep;
  KvbSchedule *pending;         /* made, waiting for the desktop's leave to run in the background */
  KvbCloud *cloud;              /* the vault's */
};

G_DEFINE_FINAL_TYPE (KvbScheduleFlow, kvb_schedule_flow, G_TYPE_OBJECT)

/* How the session starts the application for its schedules, inside a Flatpak sandbox. */
static const char * const autostart_commandline[] = { "key-vault-backup", "--scheduled", NULL };

enum {
  TOAST,
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
kvb_schedule_flow_dispose (GObject *object)
{
  KvbScheduleFlow *self = KVB_SCHEDULE_FLOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->parent);

  G_OBJECT_CLASS (kvb_schedule_flow_parent_class)->dispose (object);
}

static void
kvb_schedule_flow_finalize (GObject *object)
{
  KvbScheduleFlow *self = KVB_SCHEDULE_FLOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->pending);
  g_clear_object (&self->cloud);
  g_free (self->vault);

  G_OBJECT_CLASS (kvb_schedule_flow_parent_class)->finalize (object);
}

static void
kvb_schedule_flow_class_init (KvbScheduleFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_schedule_flow_dispose;
  object_class->finalize = kvb_schedule_flow_finalize;

  /* A sentence for a toast: what happened, or why not. */
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A schedule was written or removed. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kvb_schedule_flow_init (KvbScheduleFlow *self)
{
  self->cancellable = g_cancellable_new ();
  self->frequency = KVB_SCHEDULE_DAILY;
  self->keep = KVB_SCHEDULE_DEFAULT_KEEP;
}

KvbScheduleFlow *
kvb_schedule_flow_new (void)
{
  return g_object_new (KVB_TYPE_SCHEDULE_FLOW, NULL);
}

void
kvb_schedule_flow_cancel (KvbScheduleFlow *self)
{
  g_return_if_fail (KVB_IS_SCHEDULE_FLOW (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* The application's own schedules (inside a Flatpak sandbox), or %NULL for systemd timers. */
static KvbScheduleStore *
in_app_store (void)
{
  GApplication *app = g_application_get_default ();

  if (!kvb_schedule_runs_in_application () || !KVB_IS_APPLICATION (app))
    return NULL;
  return kvb_application_get_schedule_store (KVB_APPLICATION (app));
}

gboolean
kvb_schedule_flow_is_scheduled (const char *vault)
{
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autoptr(GFile) units = NULL;
  KvbScheduleStore *store = in_app_store ();

  if (vault == NULL)
    return FALSE;
  if (store != NULL)
    return kvb_schedule_store_lookup (store, vault) != NULL;
  schedule = kvb_schedule_new (vault, NULL, NULL, NULL);
  if (schedule == NULL)
    return FALSE;
  units = kvb_schedule_dup_default_unit_folder ();
  return kvb_schedule_is_installed (schedule, units);
}

/* Whether a dialog or an answer still has someone to talk to. */
static gboolean
alive (KvbScheduleFlow *self)
{
  return !g_cancellable_is_cancelled (self->cancellable);
}

static void
say (KvbScheduleFlow *self,
     const char      *text)
{
  g_signal_emit (self, signals[TOAST], 0, text);
}

static void
start (KvbScheduleFlow *self,
       GtkWindow       *parent,
       const char      *vault)
{
  g_set_weak_pointer (&self->parent, parent);
  if (g_strcmp0 (self->vault, vault) != 0)
    {
      g_free (self->vault);
      self->vault = g_strdup (vault);
    }
}


static void
timer_enabled_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *unit = g_object_get_data (source, "kvb-unit");
  g_autofree char *text = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !alive (self))
        return;
      /* translators: the timer's name, then why systemctl failed */
      text = g_strdup_printf (_("The timer %s.timer could not be turned on: %s"), unit, error->message);
    }
  else
    /* translators: the timer's name */
    text = g_strdup_printf (_("The timer %s.timer is on: the vault is backed up every night."), unit);
  if (alive (self))
    say (self, text);
}

static GSubprocess *
systemctl (const char         *unit,
           const char * const *argv,
           GError            **error)
{
  GSubprocess *process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error);

  if (process != NULL)
    g_object_set_data_full (G_OBJECT (process), "kvb-unit", g_strdup (unit), g_free);
  return process;
}

static void
daemon_reloaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) enable = NULL;
  const char *unit = g_object_get_data (source, "kvb-unit");
  g_autofree char *timer = g_strconcat (unit, ".timer", NULL);

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !alive (self))
        return;
      text = g_strdup_printf (_("The timer %s.timer could not be turned on: %s"), unit, error->message);
      say (self, text);
      return;
    }
  if (!alive (self))
    return;
  enable = systemctl (unit, (const char * const[]) { "systemctl", "--user", "enable", "--now", timer, NULL },
                      &error);
  if (enable == NULL)
    {
      say (self, error->message);
      return;
    }
  g_subprocess_wait_check_async (enable, self->cancellable, timer_enabled_cb, g_object_ref (self));
}

static void
schedule_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      KvbScheduleFlow     *self)
{
  const char *unit = g_object_get_data (G_OBJECT (dialog), "kvb-unit");
  g_autoptr(GSubprocess) reload = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "enable") != 0 || !alive (self))
    return;
  reload = systemctl (unit, (const char * const[]) { "systemctl", "--user", "daemon-reload", NULL }, &error);
  if (reload == NULL)
    {
      say (self, error->message);
      return;
    }
  g_subprocess_wait_check_async (reload, self->cancellable, daemon_reloaded_cb, g_object_ref (self));
}

static char *
keep_sentence (KvbSchedule *schedule)
{
  if (kvb_schedule_get_keep (schedule) == 0)
    return g_strdup (_("Every backup is kept."));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Only the newest backup is kept.",
                                       "Only the newest %u backups are kept: older ones are "
                                       "removed after each run.",
                                       kvb_schedule_get_keep (schedule)),
                          kvb_schedule_get_keep (schedule));
}

static void
schedule_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  KvbSchedule *schedule = KVB_SCHEDULE (source);
  const char *unit = kvb_schedule_get_unit_name (schedule);
  const char *folder = g_object_get_data (source, "kvb-folder");
  g_autoptr(GError) error = NULL;
  g_autofree char *systemctl_path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *keep = NULL;
  gboolean weekly = kvb_schedule_get_frequency (schedule) == KVB_SCHEDULE_WEEKLY;
  GtkWidget *dialog;

  if (!kvb_schedule_write_finish (schedule, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && alive (self))
        say (self, error->message);
      return;
    }
  if (!alive (self))
    return;
  g_signal_emit (self, signals[CHANGED], 0);

  keep = keep_sentence (schedule);
  /* translators: when (a sentence's start, "Every night" or "Every Sunday"), the vault, the
   * folder, how many backups are kept (a sentence), then the timer's name three times */
  body = g_strdup_printf (_("%s at 02:30 kvbackup backs up vault “%s” into a folder of the "
                            "day in “%s”, only what changed since the last complete backup. %s It "
                            "signs in with the service principal in ~/.config/kvbackup/env, else "
                            "the account of “kvbackup login”, else the Azure CLI.\n\n"
                            "The timer %s.timer is written but not on yet. Turn it on with:\n"
                            "systemctl --user daemon-reload\n"
                            "systemctl --user enable --now %s.timer\n"
                            "and, for it to run when nobody is logged in: loginctl enable-linger. "
                            "“kvbackup history --vault” and this window's History show how the "
                            "runs went; systemctl --user disable --now %s.timer stops them."),
                          weekly ? _("Every Sunday") : _("Every night"),
                          self->vault, folder, keep, unit, unit, unit);
  dialog = adw_message_dialog_new (self->parent,
                                   weekly ? _("Weekly Backups Scheduled")
                                          : _("Nightly Backups Scheduled"),
                                   body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  systemctl_path = g_find_program_in_path ("systemctl");
  if (systemctl_path != NULL)
    {
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "enable", _("_Turn On Now"));
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "enable",
                                                  ADW_RESPONSE_SUGGESTED);
    }
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_object_set_data_full (G_OBJECT (dialog), "kvb-unit", g_strdup (unit), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (schedule_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Inside a Flatpak sandbox: the application runs the schedule, started with the session
 * through the Background portal ---- */

static char *
window_handle (GtkWindow *window)
{
#ifdef GDK_WINDOWING_X11
  GdkSurface *surface = window != NULL ? gtk_native_get_surface (GTK_NATIVE (window)) : NULL;

  if (surface != NULL && GDK_IS_X11_SURFACE (surface))
    return g_strdup_printf ("x11:%lx", (unsigned long) gdk_x11_surface_get_xid (surface));
#endif
  /* Wayland's handle needs an export of GTK 4.10: the portal's question then has no parent. */
  return g_strdup ("");
}

static void
message (KvbScheduleFlow *self,
         const char      *heading,
         const char      *body)
{
  GtkWidget *dialog = adw_message_dialog_new (self->parent, heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
background_allowed_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  g_autoptr(KvbSchedule) schedule = g_steal_pointer (&self->pending);
  const char *folder = g_object_get_data (G_OBJECT (schedule), "kvb-folder");
  KvbScheduleStore *store = in_app_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *body = NULL;
  g_autofree char *keep = NULL;
  gboolean allowed = FALSE;
  gboolean weekly = kvb_schedule_get_frequency (schedule) == KVB_SCHEDULE_WEEKLY;

  if (!kvb_background_portal_request_finish (result, &allowed, NULL, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !alive (self))
        return;
      /* translators: why the desktop could not be asked (a sentence) */
      text = g_strdup_printf (_("%s Back the vault up from a timer of your computer instead, with "
                                "“flatpak run --command=kvbackup io.github.kvbackup.KeyVaultBackup” "
                                "as the program, as the README's “Nightly backups on a server” shows."),
                              error->message);
      message (self, _("Scheduled Backups Not Available Here"), text);
      return;
    }
  if (!alive (self))
    return;
  if (!allowed)
    {
      message (self, _("Running in the Background Not Allowed"),
               _("Scheduled backups need Key Vault Backup to start with your session and run "
                 "without a window, which the desktop does not allow. Allow Key Vault Backup "
                 "to run in the background in the desktop's settings of applications, then "
                 "schedule again."));
      return;
    }
  if (store == NULL)
    return;
  now = g_date_time_new_now_utc ();
  if (!kvb_schedule_store_add (store, schedule, now, &error))
    {
      say (self, error->message);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);

  keep = keep_sentence (schedule);
  /* translators: when (a sentence's start, "Every night" or "Every Sunday"), the vault, the
   * folder, then how many backups are kept (a sentence) */
  body = g_strdup_printf (_("%s at 02:30 Key Vault Backup backs up vault “%s” into a folder of "
                            "the day in “%s”, only what changed since the last complete backup. "
                            "%s\n\nIt starts with your session and runs in the background, "
                            "signed in as this window is; a run missed while you were logged "
                            "out is made up when you log in. History shows how the runs went, "
                            "and a run that fails is notified."),
                          weekly ? _("Every Sunday") : _("Every night"),
                          kvb_schedule_get_vault (schedule), folder, keep);
  message (self, weekly ? _("Weekly Backups Scheduled") : _("Nightly Backups Scheduled"), body);
}

static void
schedule_in_app (KvbScheduleFlow *self,
                 KvbSchedule     *schedule)
{
  g_autofree char *handle = window_handle (self->parent);
  g_autofree char *reason = NULL;

  /* translators: the vault */
  reason = g_strdup_printf (_("Key Vault Backup starts with your session to back up vault “%s” "
                              "at night."), kvb_schedule_get_vault (schedule));
  g_set_object (&self->pending, schedule);
  kvb_background_portal_request_async (handle, reason, TRUE, autostart_commandline,
                                       self->cancellable, background_allowed_cb,
                                       g_object_ref (self));
}

static void
schedule_folder_chosen_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GFile) units = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autofree char *kvbackup = NULL;

  folder = kvb_restore_choose_folder_finish (result, &error);
  if (folder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && alive (self))
        say (self, error->message);
      return;
    }
  if (!alive (self))
    return;

  /* The program the service runs: the one installed next to this window, where there is one. */
  kvbackup = g_find_program_in_path ("kvbackup");
  if (kvbackup != NULL && !g_path_is_absolute (kvbackup))
    g_clear_pointer (&kvbackup, g_free);
  schedule = kvb_schedule_new (self->vault, folder, kvbackup, &error);
  if (schedule == NULL)
    {
      say (self, error->message);
      return;
    }
  kvb_schedule_set_frequency (schedule, self->frequency);
  kvb_schedule_set_keep (schedule, self->keep);
  if (!kvb_schedule_set_vault_cloud (schedule, self->cloud, &error))
    {
      say (self, error->message);
      return;
    }
  g_object_set_data_full (G_OBJECT (schedule), "kvb-folder", g_file_get_parse_name (folder), g_free);
  if (in_app_store () != NULL)
    {
      schedule_in_app (self, schedule);
      return;
    }
  units = kvb_schedule_dup_default_unit_folder ();
  kvb_schedule_write_async (schedule, units, self->cancellable, schedule_written_cb, g_object_ref (self));
}

static void
schedule_options_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     KvbScheduleFlow     *self)
{
  GtkDropDown *frequency = g_object_get_data (G_OBJECT (dialog), "kvb-frequency");
  GtkSpinButton *keep = g_object_get_data (G_OBJECT (dialog), "kvb-keep");

  if (g_strcmp0 (response, "choose") != 0 || !alive (self))
    return;
  self->frequency = gtk_drop_down_get_selected (frequency) == 1 ? KVB_SCHEDULE_WEEKLY
                                                                         : KVB_SCHEDULE_DAILY;
  self->keep = (guint) gtk_spin_button_get_value_as_int (keep);
  kvb_restore_choose_folder_async (self->parent, _("Schedule Backups"), _("_Schedule"),
                                   self->cancellable, schedule_folder_chosen_cb, g_object_ref (self));
}

/* How often and how many to keep, then the folder; then a systemd timer, or inside a Flatpak
 * sandbox (whose units the session's systemd never reads) the application's own schedule. */
void
kvb_schedule_flow_schedule (KvbScheduleFlow *self,
                            GtkWindow       *parent,
                            const char      *vault,
                            KvbCloud        *cloud)
{
  g_autofree char *heading = NULL;
  const char * const frequencies[] = { _("Every Night"), _("Every Week (Sunday)"), NULL };
  GtkWidget *dialog, *box, *row, *label, *frequency, *keep;

  g_return_if_fail (KVB_IS_SCHEDULE_FLOW (self));
  g_return_if_fail (vault != NULL);
  g_return_if_fail (KVB_IS_CLOUD (cloud));

  start (self, parent, vault);
  g_set_object (&self->cloud, cloud);

  /* translators: the vault */
  heading = g_strdup_printf (_("Schedule Backups of “%s”"), self->vault);
  dialog = adw_message_dialog_new (self->parent, heading,
                                   _("kvbackup backs the vault up at 02:30 into a folder you choose "
                                     "next, each time only what changed since the last complete "
                                     "backup."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  label = gtk_label_new_with_mnemonic (_("_When"));
  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  frequency = gtk_drop_down_new_from_strings (frequencies);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (frequency),
                              self->frequency == KVB_SCHEDULE_WEEKLY ? 1 : 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), frequency);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), frequency);
  gtk_box_append (GTK_BOX (box), row);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  label = gtk_label_new_with_mnemonic (_("_Backups to keep (0: all)"));
  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  keep = gtk_spin_button_new_with_range (0, KVB_SCHEDULE_MAX_KEEP, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (keep), self->keep);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), keep);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), keep);
  gtk_box_append (GTK_BOX (box), row);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "choose", _("_Choose Folder…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "choose",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "choose");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "kvb-frequency", frequency);
  g_object_set_data (G_OBJECT (dialog), "kvb-keep", keep);
  g_signal_connect_object (dialog, "response", G_CALLBACK (schedule_options_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Stop Nightly Backups ---- */

static void
schedule_removed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(KvbScheduleFlow) self = user_data;
  KvbSchedule *schedule = KVB_SCHEDULE (source);
  const char *vault = g_object_get_data (source, "kvb-vault");
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *body = NULL;

  if (!kvb_schedule_remove_finish (schedule, result, &problem, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && alive (self))
        say (self, error->message);
      return;
    }
  if (!alive (self))
    return;
  g_signal_emit (self, signals[CHANGED], 0);

  if (problem != NULL)
    /* translators: the vault, why the timer could not be stopped (a sentence), then the
     * timer's name */
    body = g_strdup_printf (_("The timer and service of the nightly backups of vault “%s” are "
                              "removed, but the timer may still be running. %s\n\nStop it with:\n"
                              "systemctl --user disable --now %s.timer"),
                            vault, problem, kvb_schedule_get_unit_name (schedule));
  else
    /* translators: the vault */
    body = g_strdup_printf (_("Vault “%s” is no longer backed up every night: its timer and service "
                              "are removed. The backups made so far stay where they are."), vault);
  message (self, problem != NULL ? _("Nightly Backups Removed, Timer Still Running")
                                 : _("Nightly Backups Stopped"),
           body);
}

static void
autostart_removed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Nothing to run at log-in any more: a start that finds no schedule ends at once anyway. */
  if (!kvb_background_portal_request_finish (result, NULL, NULL, &error))
    g_debug ("The start with the session could not be taken away: %s", error->message);
}

static void
unschedule_in_app (KvbScheduleFlow  *self,
                   KvbScheduleStore *store,
                   const char       *vault)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;

  if (!kvb_schedule_store_remove (store, vault, &error))
    {
      say (self, error->message);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  if (g_list_model_get_n_items (G_LIST_MODEL (store)) == 0)
    kvb_background_portal_request_async ("", NULL, FALSE, autostart_commandline, NULL,
                                         autostart_removed_cb, NULL);
  /* translators: the vault */
  body = g_strdup_printf (_("Vault “%s” is no longer backed up every night. The backups made so "
                            "far stay where they are."), vault);
  message (self, _("Nightly Backups Stopped"), body);
}

static void
unschedule_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        KvbScheduleFlow     *self)
{
  KvbSchedule *schedule = g_object_get_data (G_OBJECT (dialog), "kvb-schedule");
  KvbScheduleStore *store = in_app_store ();
  g_autoptr(GFile) units = NULL;

  if (g_strcmp0 (response, "remove") != 0 || !alive (self) || schedule == NULL)
    return;
  if (store != NULL)
    {
      unschedule_in_app (self, store, kvb_schedule_get_vault (schedule));
      return;
    }
  units = kvb_schedule_dup_default_unit_folder ();
  /* Not the vault's cancellable: a removal half done would leave a timer without its service. */
  kvb_schedule_remove_async (schedule, units, NULL, schedule_removed_cb, g_object_ref (self));
}

void
kvb_schedule_flow_unschedule (KvbScheduleFlow *self,
                              GtkWindow       *parent,
                              const char      *vault)
{
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autoptr(GFile) units = NULL;
  g_autofree char *units_path = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  g_return_if_fail (KVB_IS_SCHEDULE_FLOW (self));
  g_return_if_fail (vault != NULL);

  start (self, parent, vault);
  schedule = kvb_schedule_new (vault, NULL, NULL, NULL);
  if (schedule == NULL || !kvb_schedule_flow_is_scheduled (vault))
    {
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }

  /* translators: the vault */
  heading = g_strdup_printf (_("Stop Nightly Backups of “%s”?"), vault);
  if (in_app_store () != NULL)
    body = g_strdup (_("Key Vault Backup no longer backs up this vault at night. The backups made "
                       "so far stay where they are, and the history keeps their lines."));
  else
    {
      units = kvb_schedule_dup_default_unit_folder ();
      units_path = g_file_get_parse_name (units);
      /* translators: the timer's name, then the folder of the user's systemd units */
      body = g_strdup_printf (_("The timer %s.timer is turned off and its timer and service are "
                                "removed from “%s”: kvbackup no longer backs up this vault at "
                                "night. The backups made so far stay where they are, and the "
                                "history keeps their lines."),
                              kvb_schedule_get_unit_name (schedule), units_path);
    }
  dialog = adw_message_dialog_new (self->parent, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove Schedule"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (schedule), "kvb-vault", g_strdup (vault), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "kvb-schedule", g_object_ref (schedule), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (unschedule_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

