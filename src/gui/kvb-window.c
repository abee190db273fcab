/* kvb-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-account-store.h"
#include "kvb-keyring.h"
#include "kvb-multi-backup.h"
#include "kvb-pipeline.h"
#include "kvb-restore-chooser.h"
#include "kvb-sidebar.h"
#include "kvb-sign-in-page.h"
#include "kvb-vault-page.h"
#include "kvb-window.h"

struct _KvbWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkInfoBar           *keyring_bar;
  GtkStack             *main_stack;
  KvbSignInPage        *sign_in_page;
  AdwLeaflet           *leaflet;
  KvbSidebar           *sidebar;
  KvbVaultPage         *vault_page;

  /* Owned references */
  GSettings            *settings;
  GCancellable         *cancellable;   /* cancelled when the window goes */
  KvbPipeline          *pipeline;
  KvbAccountStore      *store;
  GListModel           *pending_files; /* opened before any vault was, restored into the next */
  gboolean              disposed;
};

G_DEFINE_FINAL_TYPE (KvbWindow, kvb_window, ADW_TYPE_APPLICATION_WINDOW)

void
kvb_window_add_toast (KvbWindow  *self,
                      const char *message)
{
  g_return_if_fail (KVB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
toast_cb (GtkWidget  *widget,
          const char *action_name,
          GVariant   *parameter)
{
  kvb_window_add_toast (KVB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
sessions_changed_cb (KvbWindow *self)
{
  /* Without any account there is nothing but the welcome page to show. */
  if (g_list_model_get_n_items (kvb_sidebar_get_sessions (self->sidebar)) == 0)
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

static void
vault_selected_cb (KvbWindow         *self,
                   KvbVaultInfo      *vault,
                   KvbAccountSession *session)
{
  if (vault == NULL)
    {
      kvb_vault_page_set_vault (self->vault_page, NULL, NULL, NULL, NULL);
      return;
    }
  kvb_vault_page_set_vault (self->vault_page, vault, kvb_account_session_get_pipeline (session),
                            kvb_account_session_get_cloud (session),
                            kvb_account_session_get_credential (session));
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->vault_page));

  if (self->pending_files != NULL)
    {
      g_autoptr(GListModel) files = g_steal_pointer (&self->pending_files);

      kvb_vault_page_restore_files (self->vault_page, files);
    }
}

static void
show_vaults_page (KvbWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, "vaults");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
}

/* A sign-in ended well: the window shows the account's vaults. */
static void
signed_in_cb (KvbWindow         *self,
              KvbAccountSession *session)
{
  kvb_sidebar_add_session (self->sidebar, session);
  show_vaults_page (self);
}

static void
reload_vaults_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  kvb_sidebar_reload (KVB_WINDOW (widget)->sidebar);
}

static void
add_account_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

/* Back Up N Vaults */

static void
update_backup_vaults (KvbWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.backup-vaults",
                                 kvb_sidebar_get_n_selected_vaults (self->sidebar) >= 2);
}

static void
backup_vaults_folder_chosen_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vaults = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  KvbMultiBackup *backup;
  guint n_added = 0;

  folder = kvb_restore_choose_folder_finish (result, &error);
  if (self->disposed)
    return;
  if (folder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_window_add_toast (self, error->message);
      return;
    }

  /* The vaults chosen now: the list may have been reloaded while the folder dialog was open. */
  kvb_sidebar_dup_selected_vaults (self->sidebar, &vaults, &sessions);
  if (vaults->len == 0)
    return;

  backup = kvb_multi_backup_new (GTK_WINDOW (self), folder);
  for (guint i = 0; i < vaults->len; i++)
    {
      KvbAccountSession *session = g_ptr_array_index (sessions, i);
      g_autoptr(GError) add_error = NULL;

      if (kvb_multi_backup_add_vault (backup, g_ptr_array_index (vaults, i),
                                      kvb_account_session_get_pipeline (session),
                                      kvb_account_session_get_cloud (session),
                                      kvb_account_session_get_credential (session), &add_error))
        n_added++;
      else
        kvb_window_add_toast (self, add_error->message);
    }
  if (n_added == 0)
    {
      gtk_window_destroy (GTK_WINDOW (backup));
      return;
    }
  /* The sidebar's "Last backed up" lines follow the history. */
  g_signal_connect_object (backup, "finished", G_CALLBACK (kvb_sidebar_refresh_history), self->sidebar,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (backup));
  kvb_multi_backup_start (backup);
}

static void
backup_vaults_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  guint n = kvb_sidebar_get_n_selected_vaults (self->sidebar);
  g_autofree char *title = NULL;

  if (n < 2)
    return;
  /* translators: the title of the folder dialog; each vault goes into a folder of its own in it */
  title = g_strdup_printf (ngettext ("Back Up %u Vault", "Back Up %u Vaults", n), n);
  kvb_restore_choose_folder_async (GTK_WINDOW (self), title, _("_Back Up"), self->cancellable,
                                   backup_vaults_folder_chosen_cb, g_object_ref (self));
}

/* Keyring */

static void
update_keyring_bar (KvbWindow *self)
{
  gtk_info_bar_set_revealed (self->keyring_bar, !kvb_account_store_get_keyring_available (self->store));
}

static void
keyring_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (kvb_keyring_check_finish (KVB_KEYRING (source), result, &error))
    return;
  if (self->disposed)
    return;   /* the window is gone */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_debug ("No keyring: %s", error->message);
  gtk_info_bar_set_revealed (self->keyring_bar, TRUE);
}

static void
save_window_state (KvbWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
  g_settings_apply (self->settings);
}

static gboolean
kvb_window_close_request (GtkWindow *window)
{
  save_window_state (KVB_WINDOW (window));

  return GTK_WINDOW_CLASS (kvb_window_parent_class)->close_request (window);
}

static void
show_vaults_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "vaults");
}

static void
show_sidebar_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
}

static void
show_page_cb (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  static const char * const names[] = { "secrets", "keys", "certificates", "deleted" };
  int page = g_variant_get_int32 (parameter);

  if (page >= 1 && page <= (int) G_N_ELEMENTS (names) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "vaults") == 0)
    kvb_vault_page_show_kind (self->vault_page, names[page - 1]);
}

static void
kvb_window_dispose (GObject *object)
{
  KvbWindow *self = (KvbWindow *)object;

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  /* The sidebar goes with the template: what it says on its way out is nobody's business. */
  if (self->sidebar != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sidebar, self);
      g_signal_handlers_disconnect_by_data (kvb_sidebar_get_sessions (self->sidebar), self);
    }
  if (self->sign_in_page != NULL)
    g_signal_handlers_disconnect_by_data (self->sign_in_page, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->pending_files);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kvb_window_parent_class)->dispose (object);
}

static void
kvb_window_class_init (KvbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_window_dispose;
  window_class->close_request = kvb_window_close_request;

  g_type_ensure (KVB_TYPE_SIGN_IN_PAGE);
  g_type_ensure (KVB_TYPE_SIDEBAR);
  g_type_ensure (KVB_TYPE_VAULT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, keyring_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, vault_page);

  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_cb);
  gtk_widget_class_install_action (widget_class, "win.show-vaults", NULL, show_vaults_cb);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_cb);
  gtk_widget_class_install_action (widget_class, "win.show-page", "i", show_page_cb);
  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_cb);
  gtk_widget_class_install_action (widget_class, "win.reload-vaults", NULL, reload_vaults_cb);
  gtk_widget_class_install_action (widget_class, "win.backup-vaults", NULL, backup_vaults_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.reload-vaults", NULL);
  /* Next to Ctrl+Shift+S, which backs up the one vault shown. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.backup-vaults", NULL);
  for (int i = 1; i <= 4; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_ALT_MASK,
                                         "win.show-page", "i", i);
}

static void
kvb_window_init (KvbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  self->pipeline = kvb_pipeline_new ();
  self->store = kvb_account_store_new (self->pipeline, self->settings, kvb_keyring_new ());
  g_signal_connect_object (self->store, "notify::keyring-available", G_CALLBACK (update_keyring_bar), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vault_page, "history-changed",
                           G_CALLBACK (kvb_sidebar_refresh_history), self->sidebar, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar, "vault-selected", G_CALLBACK (vault_selected_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar, "notify::n-selected-vaults", G_CALLBACK (update_backup_vaults),
                           self, G_CONNECT_SWAPPED);
  update_backup_vaults (self);
  g_signal_connect_object (kvb_sidebar_get_sessions (self->sidebar), "items-changed",
                           G_CALLBACK (sessions_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sign_in_page, "signed-in", G_CALLBACK (signed_in_cb), self,
                           G_CONNECT_SWAPPED);

  /* Tell at once when sign-ins cannot outlive this session. */
  kvb_keyring_check_async (kvb_account_store_get_keyring (self->store), self->cancellable,
                           keyring_checked_cb, g_object_ref (self));

  kvb_sign_in_page_set_account_store (self->sign_in_page, self->pipeline, self->store);
  kvb_sidebar_set_account_store (self->sidebar, self->pipeline, self->store);
  sessions_changed_cb (self);
  if (g_list_model_get_n_items (kvb_sidebar_get_sessions (self->sidebar)) > 0)
    gtk_stack_set_visible_child_name (self->main_stack, "vaults");
}

KvbWindow *
kvb_window_new (AdwApplication *application)
{
  return g_object_new (KVB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * kvb_window_open_files:
 * @files: a #GListModel of #GFile, opened from the file manager or the command line
 *
 * Starts the Restore Backup flow for @files into the vault shown.  Without a vault, a sentence
 * asks to choose one and the files wait for it: the flow starts when a vault is chosen.
 */
void
kvb_window_open_files (KvbWindow  *self,
                       GListModel *files)
{
  guint n;

  g_return_if_fail (KVB_IS_WINDOW (self));
  g_return_if_fail (G_IS_LIST_MODEL (files));

  n = g_list_model_get_n_items (files);
  if (n == 0)
    return;

  /* As for a drop: only the type, without following a link; the restore flow's reader refuses
   * whatever else is not a backup before any request. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFile) file = g_list_model_get_item (files, i);

      if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) ==
          G_FILE_TYPE_DIRECTORY)
        {
          kvb_window_add_toast (self, _("A folder cannot be opened: open the backup files in it "
                                        "instead."));
          return;
        }
    }

  if (kvb_vault_page_get_vault (self->vault_page) != NULL)
    {
      g_clear_object (&self->pending_files);
      kvb_vault_page_restore_files (self->vault_page, files);
      return;
    }

  g_set_object (&self->pending_files, files);
  {
    g_autofree char *text = g_strdup_printf (ngettext ("Choose a vault in the sidebar to restore "
                                                       "the backup file you opened into it.",
                                                       "Choose a vault in the sidebar to restore "
                                                       "the %u backup files you opened into it.",
                                                       n), n);

    kvb_window_add_toast (self, text);
  }
}
