/* kvb-vault-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kvb-compare-dialog.h"
#include "kvb-download-backup.h"
#include "kvb-error.h"
#include "kvb-history.h"
#include "kvb-history-dialog.h"
#include "kvb-history-item.h"
#include "kvb-object-list.h"
#include "kvb-object-listing.h"
#include "kvb-operation-card.h"
#include "kvb-restore-chooser.h"
#include "kvb-restore-dialog.h"
#include "kvb-schedule-flow.h"
#include "kvb-vault-backup-operation.h"
#include "kvb-vault-manifest.h"
#include "kvb-vault-page.h"

struct _KvbVaultPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GtkStack             *content_stack;
  GtkLabel             *details_label;
  GtkLabel             *last_backup_label;
  KvbObjectList        *secrets_list;
  KvbObjectList        *keys_list;
  KvbObjectList        *certificates_list;
  GtkStack             *deleted_stack;
  KvbObjectList        *deleted_secrets_list;
  KvbObjectList        *deleted_keys_list;
  KvbObjectList        *deleted_certificates_list;
  GtkRevealer          *drop_revealer;
  AdwStatusPage        *drop_status;
  GtkBox               *operations_box;

  /* Owned references */
  KvbVaultInfo         *vault;
  KvbKeyVaultClient    *client;
  KvbCredential        *credential;
  KvbPipeline          *pipeline;
  KvbCloud             *cloud;
  char                 *cloud_id;
  GCancellable         *cancellable;   /* the work for the vault shown; cancelled when it changes */
  GMenuModel           *menu_model;
  gboolean              folded;
  GPtrArray            *downloads;     /* Download: running, or finished with a card shown */
  GPtrArray            *vault_backups; /* KvbVaultBackupOperation, each with its card shown */
  KvbHistory           *history;       /* the user's history of operations */
  KvbScheduleFlow      *schedule;      /* Schedule Backups and Stop Nightly Backups */
  gboolean              disposed;
};

G_DEFINE_FINAL_TYPE (KvbVaultPage, kvb_vault_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_VAULT_NAME,
  PROP_MENU_MODEL,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_HISTORY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static KvbObjectList *
list_for (KvbVaultPage  *self,
          KvbObjectKind  kind,
          gboolean       deleted)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      return deleted ? self->deleted_secrets_list : self->secrets_list;
    case KVB_OBJECT_KIND_KEY:
      return deleted ? self->deleted_keys_list : self->keys_list;
    case KVB_OBJECT_KIND_CERTIFICATE:
    default:
      return deleted ? self->deleted_certificates_list : self->certificates_list;
    }
}

/* The list the person looks at: a kind's page, or the kind chosen on the Deleted page. */
static KvbObjectList *
visible_list (KvbVaultPage *self,
              gboolean     *deleted)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  *deleted = g_strcmp0 (page, "deleted") == 0;
  if (*deleted)
    page = gtk_stack_get_visible_child_name (self->deleted_stack);

  if (g_strcmp0 (page, "keys") == 0)
    return list_for (self, KVB_OBJECT_KIND_KEY, *deleted);
  if (g_strcmp0 (page, "certificates") == 0)
    return list_for (self, KVB_OBJECT_KIND_CERTIFICATE, *deleted);
  return list_for (self, KVB_OBJECT_KIND_SECRET, *deleted);
}

static void
toast (KvbVaultPage *self,
       AdwToast     *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

static void
toast_text (KvbVaultPage *self,
            const char   *text)
{
  AdwToast *t = adw_toast_new (text);

  /* Sentences from the core can be long; the person needs time to read them. */
  adw_toast_set_timeout (t, strlen (text) > 80 ? 10 : 5);
  toast (self, t);
}

/* A long job that ends while the window is in the background is announced by the desktop. */
static void
notify_if_unfocused (KvbVaultPage *self,
                     const char   *id,
                     const char   *title,
                     const char   *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GApplication *app = g_application_get_default ();
  g_autoptr(GNotification) notification = NULL;

  if (app == NULL || (GTK_IS_WINDOW (root) && gtk_window_is_active (GTK_WINDOW (root))))
    return;

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.show-window");
  g_application_send_notification (app, id, notification);
}

static char *
describe_vault (KvbVaultInfo *vault)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *location = kvb_vault_info_get_location (vault);

  if (location != NULL)
    g_string_append (text, location);

  if (text->len > 0)
    g_string_append (text, " · ");
  if (kvb_vault_info_get_soft_delete (vault))
    {
      gint64 days = kvb_vault_info_get_soft_delete_retention_days (vault);

      if (days > 0)
        g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                                   "soft delete on (kept %d day)",
                                                   "soft delete on (kept %d days)", days),
                                (int)days);
      else
        g_string_append (text, _("soft delete on"));
    }
  else
    g_string_append (text, _("soft delete off"));

  g_string_append (text, " · ");
  g_string_append (text, kvb_vault_info_get_purge_protection (vault)
                         ? _("purge protection on") : _("purge protection off"));
  g_string_append (text, " · ");
  g_string_append (text, kvb_vault_info_get_rbac (vault)
                         ? _("Azure role-based access control") : _("access policies"));

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_actions (KvbVaultPage *self)
{
  gboolean have_client = self->client != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.download-backup", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.restore-backup", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.recover", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.purge", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.reload", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.backup-vault", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.restore-folder", have_client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.compare", have_client);
  /* The history is on this computer: no sign-in needed to read it. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.history", self->vault != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.schedule", self->vault != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "vault.unschedule",
                                 self->vault != NULL &&
                                 kvb_schedule_flow_is_scheduled (kvb_vault_info_get_name (self->vault)));
}

/* ---- When the vault was last backed up, from the history ---- */

static void
last_backup_read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  KvbVaultPage *self = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *text = NULL;

  /* The page is not held: it cancels the reading when its vault changes and when it goes, and
   * a cancelled reading ends here before @self is looked at. */
  entries = kvb_history_read_finish (KVB_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->switcher_title == NULL || self->vault == NULL)
    return;
  if (entries == NULL)
    {
      /* Not worth more than a note: the page works without it. */
      g_debug ("history: %s", error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->last_backup_label), FALSE);
      return;
    }

  now = g_date_time_new_now_utc ();
  last = kvb_history_find_last_backup (entries, kvb_vault_info_get_name (self->vault));
  text = kvb_history_format_last_backup (last, now);
  gtk_label_set_text (self->last_backup_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->last_backup_label), TRUE);
}

static void
update_last_backup (KvbVaultPage *self)
{
  if (self->vault == NULL)
    {
      gtk_label_set_text (self->last_backup_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->last_backup_label), FALSE);
      return;
    }
  kvb_history_read_async (self->history, kvb_vault_info_get_name (self->vault), 0,
                          self->cancellable, last_backup_read_cb, self);
}

static void
reload_lists (KvbVaultPage *self)
{
  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    for (int deleted = 0; deleted < 2; deleted++)
      {
        KvbObjectListing *listing = kvb_object_list_get_listing (list_for (self, kind, deleted));

        if (listing != NULL)
          kvb_object_listing_reload (listing);
      }
}

static void
update_page (KvbVaultPage *self)
{
  const char *vault_name = self->vault != NULL ? kvb_vault_info_get_name (self->vault) : NULL;

  /* Torn down: gtk_widget_dispose_template() has let go of the children. */
  if (self->switcher_title == NULL)
    return;

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    for (int deleted = 0; deleted < 2; deleted++)
      {
        g_autoptr(KvbObjectListing) listing = NULL;

        /* Nothing can be listed without a sign-in; nothing is sent either. */
        if (self->client != NULL && self->credential != NULL)
          listing = kvb_object_listing_new (self->client, kind, deleted);
        kvb_object_list_set_listing (list_for (self, kind, deleted), listing);
      }

  if (self->vault != NULL)
    {
      g_autofree char *details = describe_vault (self->vault);

      gtk_label_set_text (self->details_label, details);
      gtk_stack_set_visible_child_name (self->content_stack, "vault");
      reload_lists (self);
    }
  else
    gtk_stack_set_visible_child_name (self->content_stack, "none");
  /* Until the history is read, nothing rather than a guess. */
  gtk_widget_set_visible (GTK_WIDGET (self->last_backup_label), FALSE);
  update_last_backup (self);

  /* The vault is what the window shows, and its name is short: as the title it stays whole
   * where the application's name, beside long button labels (Japanese), was cut off. */
  adw_view_switcher_title_set_title (self->switcher_title,
                                     vault_name != NULL ? vault_name : _("Key Vault Backup"));
  adw_view_switcher_title_set_subtitle (self->switcher_title,
                                        self->vault != NULL ? kvb_vault_info_get_location (self->vault) : NULL);
  update_actions (self);
}

void
kvb_vault_page_set_vault (KvbVaultPage  *self,
                          KvbVaultInfo  *vault,
                          KvbPipeline   *pipeline,
                          KvbCloud      *cloud,
                          KvbCredential *credential)
{
  g_return_if_fail (KVB_IS_VAULT_PAGE (self));
  g_return_if_fail (vault == NULL || KVB_IS_VAULT_INFO (vault));
  g_return_if_fail (vault == NULL || (KVB_IS_PIPELINE (pipeline) && KVB_IS_CLOUD (cloud)));

  /* Whatever was under way for the previous vault must not land on this one. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  kvb_schedule_flow_cancel (self->schedule);
  g_clear_object (&self->client);
  g_set_object (&self->vault, vault);
  g_clear_object (&self->credential);
  if (vault != NULL && credential != NULL)
    self->credential = g_object_ref (credential);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_pointer (&self->cloud_id, g_free);
  if (vault != NULL)
    {
      self->pipeline = g_object_ref (pipeline);
      self->cloud = g_object_ref (cloud);
      self->cloud_id = g_strdup (kvb_cloud_get_id (cloud));
    }

  if (vault != NULL)
    {
      const char *uri = kvb_vault_info_get_vault_uri (vault);
      g_autoptr(GError) error = NULL;

      self->client = kvb_keyvault_client_new (pipeline, cloud, credential,
                                              uri != NULL ? uri : kvb_vault_info_get_name (vault), &error);
      if (self->client == NULL)
        g_debug ("No client for the vault %s: %s", kvb_vault_info_get_name (vault), error->message);
    }

  update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VAULT_NAME]);
}

KvbVaultInfo *
kvb_vault_page_get_vault (KvbVaultPage *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_PAGE (self), NULL);
  return self->vault;
}

KvbKeyVaultClient *
kvb_vault_page_get_client (KvbVaultPage *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_PAGE (self), NULL);
  return self->client;
}

void
kvb_vault_page_show_kind (KvbVaultPage *self,
                          const char   *name)
{
  g_return_if_fail (KVB_IS_VAULT_PAGE (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

/* ---- The history of the operations of this page ---- */

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The operation is done whatever happens to its line: a failure is only worth a warning. */
  if (!kvb_history_append_finish (KVB_HISTORY (source), result, &error))
    g_warning ("%s", error->message);
  if (self->disposed)
    return;
  /* Read again: only a whole-vault backup may change "Last backed up", and that is the core's
   * call, not this page's. */
  update_last_backup (self);
  g_signal_emit (self, signals[SIGNAL_HISTORY_CHANGED], 0);
}

/* A new line of @operation on the vault of @client (the one the operation began on: another
 * may be shown by the time it ends), with what kvbackup writes too. */
static JsonObject *
history_entry_new (KvbVaultPage      *self,
                   const char        *operation,
                   KvbKeyVaultClient *client)
{
  JsonObject *entry = kvb_history_entry_new (operation, kvb_keyvault_client_get_vault_name (client));

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
  if (self->cloud_id != NULL && client == self->client)
    json_object_set_string_member (entry, "cloud", self->cloud_id);
  return entry;
}

static void
record (KvbVaultPage *self,
        JsonObject   *entry)
{
  /* Not cancellable: what was done is recorded even when the vault or window changes. */
  kvb_history_append_async (self->history, entry, NULL, recorded_cb, g_object_ref (self));
}

/* ---- Restore Backup ---- */

static void
restore_finished_cb (KvbRestoreDialog *dialog,
                     guint             n_done,
                     guint             n_skipped,
                     guint             n_failed,
                     gboolean          cancelled,
                     KvbVaultPage     *self)
{
  g_autofree char *summary = kvb_operation_format_summary (KVB_OPERATION_RESTORE, n_done, n_skipped,
                                                           n_failed, 0, cancelled);

  reload_lists (self);
  if (!cancelled)
    notify_if_unfocused (self, "restore", _("Restore Finished"), summary);
  /* The dialog wrote the run's lines before it said so. */
  g_signal_emit (self, signals[SIGNAL_HISTORY_CHANGED], 0);
}

void
kvb_vault_page_restore_files (KvbVaultPage *self,
                              GListModel   *files)
{
  GtkRoot *root;
  GtkWidget *dialog;

  g_return_if_fail (KVB_IS_VAULT_PAGE (self));
  g_return_if_fail (G_IS_LIST_MODEL (files));

  if (self->client == NULL || self->vault == NULL)
    {
      toast_text (self, _("Choose a vault in the sidebar first, then restore the backup files "
                          "into it."));
      return;
    }

  if (g_list_model_get_n_items (files) == 0)
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = kvb_restore_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->client,
                                   self->vault, files);
  g_signal_connect_object (dialog, "finished", G_CALLBACK (restore_finished_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
files_chosen_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GListModel) files = NULL;
  g_autoptr(GError) error = NULL;

  files = kvb_restore_choose_files_finish (result, &error);
  if (files == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast_text (self, error->message);
      return;
    }

  if (self->switcher_title != NULL)
    kvb_vault_page_restore_files (self, files);
}

static void
restore_backup_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  kvb_restore_choose_files_async (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                  self->cancellable, files_chosen_cb, g_object_ref (self));
}

/* ---- Download Backup ---- */

/* One Download Backup: its operation, and for several objects the card that shows it. */
typedef struct
{
  KvbVaultPage      *self;
  KvbDownloadBackup *op;
  KvbKeyVaultClient *client;   /* of the vault it began on */
  KvbOperationCard  *card;
  GCancellable      *cancellable;
  gboolean           running;
} Download;

static void
download_free (Download *d)
{
  g_ptr_array_remove (d->self->downloads, d);
  if (d->card != NULL && !d->self->disposed)
    gtk_box_remove (d->self->operations_box, GTK_WIDGET (d->card));
  g_clear_object (&d->op);
  g_clear_object (&d->client);
  g_clear_object (&d->cancellable);
  g_object_unref (d->self);
  g_free (d);
}

/* The line of a Download Backup run: one file, or a folder of several. */
static void
record_download (KvbVaultPage      *self,
                 KvbKeyVaultClient *client,
                 KvbDownloadBackup *op,
                 const GError      *error)
{
  g_autoptr(JsonObject) entry = NULL;
  KvbVaultBackup *job = kvb_download_backup_get_job (op);
  GFile *file = kvb_download_backup_get_file (op);
  GFile *folder = kvb_download_backup_get_folder (op);
  KvbJobSummary summary = { 0, };
  g_autofree char *reason = NULL;
  guint n_objects = 1;

  /* Closing the save or folder dialog did nothing to record. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && job == NULL && file == NULL)
    return;

  kvb_download_backup_get_summary (op, &summary);
  entry = history_entry_new (self, KVB_HISTORY_DOWNLOAD, client);
  if (kvb_download_backup_get_several (op) && job != NULL)
    {
      n_objects = g_list_model_get_n_items (G_LIST_MODEL (job));
      for (guint i = 0; i < n_objects && reason == NULL; i++)
        {
          g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);

          if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_FAILED)
            reason = g_strdup (kvb_backup_job_item_get_message (item));
        }
      /* A folder of a remote mount has no path: the history names only local places. */
      if (folder != NULL && g_file_peek_path (folder) != NULL)
        json_object_set_string_member (entry, "folder", g_file_peek_path (folder));
    }
  else if (file != NULL && g_file_peek_path (file) != NULL)
    {
      JsonArray *files = json_array_new ();

      json_array_add_string_element (files, g_file_peek_path (file));
      json_object_set_array_member (entry, "files", files);
    }
  kvb_history_entry_set_outcome (entry, n_objects, summary.n_done, summary.n_skipped,
                                 summary.n_failed, error, reason);
  record (self, entry);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Download *d = user_data;
  KvbVaultPage *self = d->self;
  g_autoptr(KvbDownloadBackup) outcome = NULL;
  g_autoptr(GError) error = NULL;

  d->running = FALSE;
  outcome = kvb_download_backup_run_finish (result, &error);
  if (self->disposed)
    {
      download_free (d);
      return;
    }

  record_download (self, d->client, d->op, error);

  if (d->card != NULL && kvb_download_backup_get_job (d->op) != NULL)
    kvb_operation_card_finish (d->card, error);

  if (outcome != NULL)
    toast (self, kvb_download_backup_new_toast (outcome));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast_text (self, error->message);

  /* A card stays until it is dismissed: its failed rows can be retried. */
  if (d->card == NULL)
    download_free (d);
}

static void
download_retry_cb (KvbOperationCard *card,
                   Download         *d)
{
  if (d->running)
    return;

  d->running = TRUE;
  g_set_object (&d->cancellable, g_cancellable_new ());
  g_object_unref (d->cancellable);
  kvb_download_backup_retry_failed_async (d->op, d->cancellable, downloaded_cb, d);
}

static void
download_dismissed_cb (KvbOperationCard *card,
                       Download         *d)
{
  if (!d->running)
    download_free (d);
}

static void
download_job_started_cb (KvbDownloadBackup *op,
                         KvbVaultBackup    *job,
                         Download          *d)
{
  g_autofree char *title = kvb_download_backup_dup_title (op);

  if (d->card == NULL)
    {
      d->card = KVB_OPERATION_CARD (kvb_operation_card_new ());
      g_signal_connect (d->card, "retry", G_CALLBACK (download_retry_cb), d);
      g_signal_connect (d->card, "dismissed", G_CALLBACK (download_dismissed_cb), d);
      gtk_box_append (d->self->operations_box, GTK_WIDGET (d->card));
    }
  kvb_operation_card_set_job (d->card, KVB_OPERATION_DOWNLOAD, title, G_LIST_MODEL (job),
                              d->cancellable);
}

static void
download_backup_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GPtrArray) objects = NULL;
  gboolean deleted;
  KvbObjectList *list = visible_list (self, &deleted);
  Download *d;

  if (self->client == NULL)
    return;

  if (deleted)
    {
      toast_text (self, _("Deleted objects cannot be backed up. Recover them first."));
      return;
    }

  objects = kvb_object_list_get_selected_objects (list);
  if (objects->len == 0)
    {
      toast_text (self, _("Select the objects to back up first."));
      return;
    }

  d = g_new0 (Download, 1);
  d->self = g_object_ref (self);
  d->cancellable = g_cancellable_new ();
  d->client = g_object_ref (self->client);
  d->running = TRUE;
  g_ptr_array_add (self->downloads, d);
  d->op = g_object_ref (kvb_download_backup_run_async (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       self->client,
                                                       kvb_vault_info_get_name (self->vault),
                                                       objects, d->cancellable, downloaded_cb, d));
  g_signal_connect (d->op, "job-started", G_CALLBACK (download_job_started_cb), d);
}

/* ---- Recover and Purge on the Deleted page ---- */

typedef struct
{
  KvbVaultPage *self;
  gboolean      purge;
  guint         pending;
  guint         n_done;
  GPtrArray    *failures;   /* the core's sentences */
  char         *first_name;
  JsonArray    *names;      /* for the history: every object of the batch */
  guint         n_cancelled;
  KvbKeyVaultClient *client;  /* of the vault it began on */
} Batch;

static void
batch_free (Batch *batch)
{
  g_object_unref (batch->self);
  g_ptr_array_unref (batch->failures);
  g_free (batch->first_name);
  json_array_unref (batch->names);
  g_object_unref (batch->client);
  g_free (batch);
}

static void
batch_one_done (Batch        *batch,
                const GError *error)
{
  KvbVaultPage *self = batch->self;
  g_autofree char *summary = NULL;

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_ptr_array_add (batch->failures, g_strdup (error->message));
  else if (error == NULL)
    batch->n_done++;
  else
    batch->n_cancelled++;

  if (--batch->pending > 0)
    return;

  /* One line for the batch, as kvbackup writes one for the recoveries of a restore. */
  if (self->history != NULL)
    {
      g_autoptr(JsonObject) entry = history_entry_new (self, batch->purge ? KVB_HISTORY_PURGE
                                                                          : KVB_HISTORY_RECOVER,
                                                       batch->client);
      guint n = json_array_get_length (batch->names);

      g_autoptr(GError) cancelled = NULL;

      /* The vault changed or the window closed while it ran: interrupted. */
      if (batch->n_cancelled > 0)
        cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "");
      json_object_set_array_member (entry, "names", json_array_ref (batch->names));
      kvb_history_entry_set_outcome (entry, n, batch->n_done, 0, batch->failures->len, cancelled,
                                     batch->failures->len > 0 ? batch->failures->pdata[0] : NULL);
      record (self, entry);
    }

  if (self->switcher_title != NULL)
    {
      if (batch->failures->len > 0)
        summary = g_strdup_printf (batch->purge ? _("%u purged, %u failed: %s")
                                                : _("%u recovered, %u failed: %s"),
                                   batch->n_done, batch->failures->len,
                                   (char *)batch->failures->pdata[0]);
      else if (batch->n_done == 1)
        summary = g_strdup_printf (batch->purge ? _("“%s” was purged.") : _("“%s” was recovered."),
                                   batch->first_name);
      else
        summary = g_strdup_printf (batch->purge ? _("%u objects were purged.")
                                                : _("%u objects were recovered."),
                                   batch->n_done);
      toast_text (self, summary);
      notify_if_unfocused (self, batch->purge ? "purge" : "recover",
                           batch->purge ? _("Purge Finished") : _("Recovery Finished"), summary);
      reload_lists (self);
    }

  batch_free (batch);
}

typedef struct
{
  Batch         *batch;
  KvbObjectKind  kind;
  char          *name;
} BatchItem;

static void
batch_item_free (BatchItem *item)
{
  g_free (item->name);
  g_free (item);
}

static void
usable_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BatchItem *item = user_data;
  g_autoptr(GError) error = NULL;

  kvb_keyvault_client_wait_until_usable_finish (KVB_KEYVAULT_CLIENT (source), result, &error);
  batch_one_done (item->batch, error);
  batch_item_free (item);
}

static void
recovered_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BatchItem *item = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;

  info = kvb_keyvault_client_recover_finish (KVB_KEYVAULT_CLIENT (source), result, &error);
  if (info == NULL)
    {
      batch_one_done (item->batch, error);
      batch_item_free (item);
      return;
    }

  /* Recovery finishes in the background: say "recovered" when the object answers again. */
  kvb_keyvault_client_wait_until_usable_async (KVB_KEYVAULT_CLIENT (source), item->kind, item->name,
                                               KVB_USABLE_AFTER_RECOVER, 0,
                                               item->batch->self->cancellable, usable_cb, item);
}

static void
purged_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BatchItem *item = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_purge_finish (KVB_KEYVAULT_CLIENT (source), result, &error))
    {
      batch_one_done (item->batch, error);
      batch_item_free (item);
      return;
    }

  kvb_keyvault_client_wait_until_usable_async (KVB_KEYVAULT_CLIENT (source), item->kind, item->name,
                                               KVB_USABLE_AFTER_PURGE, 0,
                                               item->batch->self->cancellable, usable_cb, item);
}

static void
run_batch (KvbVaultPage *self,
           GPtrArray    *objects,
           gboolean      purge)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->self = g_object_ref (self);
  batch->purge = purge;
  batch->pending = objects->len;
  batch->failures = g_ptr_array_new_with_free_func (g_free);
  batch->first_name = g_strdup (kvb_object_info_get_name (objects->pdata[0]));
  batch->names = json_array_new ();
  batch->client = g_object_ref (self->client);

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = objects->pdata[i];
      BatchItem *item = g_new0 (BatchItem, 1);

      item->batch = batch;
      item->kind = kvb_object_info_get_kind (info);
      item->name = g_strdup (kvb_object_info_get_name (info));
      json_array_add_string_element (batch->names, item->name);
      if (purge)
        kvb_keyvault_client_purge_async (self->client, item->kind, item->name, self->cancellable,
                                         purged_cb, item);
      else
        kvb_keyvault_client_recover_async (self->client, item->kind, item->name, self->cancellable,
                                           recovered_cb, item);
    }
}

static GPtrArray *
selected_deleted (KvbVaultPage *self)
{
  gboolean deleted;
  KvbObjectList *list = visible_list (self, &deleted);

  if (!deleted || self->client == NULL)
    return NULL;

  return kvb_object_list_get_selected_objects (list);
}

static void
recover_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);
  g_autoptr(GPtrArray) objects = selected_deleted (self);

  if (objects == NULL || objects->len == 0)
    {
      toast_text (self, _("Select the deleted objects to recover first."));
      return;
    }

  run_batch (self, objects, FALSE);
}

static void
purge_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   gpointer          user_data)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (user_data);
  GPtrArray *objects = g_object_get_data (G_OBJECT (dialog), "objects");

  if (g_strcmp0 (response, "purge") == 0 && self->client != NULL && objects != NULL)
    run_batch (self, objects, TRUE);
}

static void
purge_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);
  g_autoptr(GPtrArray) objects = selected_deleted (self);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  if (objects == NULL || objects->len == 0)
    {
      toast_text (self, _("Select the deleted objects to purge first."));
      return;
    }

  if (kvb_vault_info_get_purge_protection (self->vault))
    {
      g_autofree char *why =
        g_strdup_printf (_("Vault “%s” has purge protection: deleted objects cannot be purged; "
                           "Key Vault removes them when the retention period ends. Recover them "
                           "instead."), kvb_vault_info_get_name (self->vault));

      toast_text (self, why);
      return;
    }

  for (guint i = 0; i < objects->len && i < 5; i++)
    g_string_append_printf (names, "%s“%s”", i > 0 ? ", " : "",
                            kvb_object_info_get_name (objects->pdata[i]));
  if (objects->len > 5)
    g_string_append (names, ", …");

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Purge %u Deleted Object?",
                                          "Purge %u Deleted Objects?", objects->len),
                             objects->len);
  body = g_strdup_printf (_("%s and all their versions are removed from vault “%s” for good. "
                            "They cannot be recovered afterwards, and only a backup file can bring "
                            "them back. This cannot be undone."),
                          names->str, kvb_vault_info_get_name (self->vault));

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "purge", _("_Purge"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "purge",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "objects", g_ptr_array_ref (objects),
                          (GDestroyNotify)g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (purge_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  reload_lists (KVB_VAULT_PAGE (widget));
}

/* ---- Whole vault: Back Up Vault, Restore Folder, Compare with Vault ---- */

static GtkWindow *
parent_window (KvbVaultPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
vault_backup_dismissed_cb (KvbOperationCard *card,
                           KvbVaultPage     *self)
{
  for (guint i = 0; i < self->vault_backups->len; i++)
    {
      KvbVaultBackupOperation *op = g_ptr_array_index (self->vault_backups, i);

      if (kvb_vault_backup_operation_get_card (op) == card && !kvb_vault_backup_operation_get_running (op))
        {
          gtk_box_remove (self->operations_box, GTK_WIDGET (card));
          g_object_run_dispose (G_OBJECT (op));
          g_ptr_array_remove_index (self->vault_backups, i);
          return;
        }
    }
}

static void
vault_backup_finished_cb (KvbVaultBackupOperation *op,
                          const char              *summary,
                          gboolean                 cancelled,
                          KvbVaultPage            *self)
{
  if (!cancelled)
    notify_if_unfocused (self, "vault-backup", _("Vault Backup Finished"), summary);
  /* The run has its line in the history by now. */
  if (self->switcher_title != NULL)
    update_last_backup (self);
  g_signal_emit (self, signals[SIGNAL_HISTORY_CHANGED], 0);
}

static void
backup_folder_chosen_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *name = NULL;
  KvbVaultBackupOperation *op;
  GtkWidget *card;

  parent = kvb_restore_choose_folder_finish (result, &error);
  if (parent == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->switcher_title != NULL)
        toast_text (self, error->message);
      return;
    }
  if (self->switcher_title == NULL || self->client == NULL)
    return;

  /* Always a new folder inside the one chosen, named for the vault and the time: backups of
   * several days sit side by side, and none is ever written over. */
  now = g_date_time_new_now_local ();
  name = kvb_vault_backup_operation_folder_name (kvb_vault_info_get_name (self->vault), now);
  folder = g_file_get_child (parent, name);

  card = kvb_operation_card_new ();
  gtk_box_append (self->operations_box, card);
  op = kvb_vault_backup_operation_new (self->client, self->vault, self->pipeline, self->cloud_id,
                                       folder, KVB_OPERATION_CARD (card));
  g_ptr_array_add (self->vault_backups, op);
  g_signal_connect_object (card, "dismissed", G_CALLBACK (vault_backup_dismissed_cb), self, 0);
  g_signal_connect_object (op, "finished", G_CALLBACK (vault_backup_finished_cb), self, 0);
  kvb_vault_backup_operation_start (op, FALSE);
}

static void
backup_vault_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->client == NULL)
    return;
  kvb_restore_choose_folder_async (parent_window (self), _("Back Up Vault"), _("_Back Up"),
                                   self->cancellable, backup_folder_chosen_cb, g_object_ref (self));
}

static void
restore_folder (KvbVaultPage *self,
                GFile        *folder)
{
  GtkWidget *dialog;

  dialog = kvb_restore_dialog_new_for_folder (parent_window (self), self->client, self->vault, folder);
  g_signal_connect_object (dialog, "finished", G_CALLBACK (restore_finished_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
restore_folder_chosen_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;

  folder = kvb_restore_choose_folder_finish (result, &error);
  if (folder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->switcher_title != NULL)
        toast_text (self, error->message);
      return;
    }
  if (self->switcher_title != NULL && self->client != NULL)
    restore_folder (self, folder);
}

static void
restore_folder_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->client == NULL)
    return;
  kvb_restore_choose_folder_async (parent_window (self), _("Restore Folder"), _("_Restore"),
                                   self->cancellable, restore_folder_chosen_cb, g_object_ref (self));
}

static void
compare_folder_chosen_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;

  folder = kvb_restore_choose_folder_finish (result, &error);
  if (folder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->switcher_title != NULL)
        toast_text (self, error->message);
      return;
    }
  if (self->switcher_title != NULL && self->client != NULL)
    gtk_window_present (GTK_WINDOW (kvb_compare_dialog_new (parent_window (self), self->client,
                                                            folder)));
}

static void
compare_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->client == NULL)
    return;
  kvb_restore_choose_folder_async (parent_window (self), _("Compare with Vault"), _("_Compare"),
                                   self->cancellable, compare_folder_chosen_cb, g_object_ref (self));
}

/* ---- History ---- */

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->vault == NULL)
    return;
  gtk_window_present (GTK_WINDOW (kvb_history_dialog_new (parent_window (self), self->history,
                                                          kvb_vault_info_get_name (self->vault))));
}

/* ---- Scheduled backups ---- */

static void
schedule_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->vault != NULL)
    kvb_schedule_flow_schedule (self->schedule, parent_window (self),
                                kvb_vault_info_get_name (self->vault), self->cloud);
}

static void
unschedule_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (widget);

  if (self->vault != NULL)
    kvb_schedule_flow_unschedule (self->schedule, parent_window (self),
                                  kvb_vault_info_get_name (self->vault));
}

/* ---- Drag and drop ---- */

static GdkDragAction
drop_enter_cb (GtkDropTargetAsync *target,
               GdkDrop            *drop,
               double              x,
               double              y,
               KvbVaultPage       *self)
{
  g_autofree char *where = NULL;

  if (self->vault == NULL)
    {
      adw_status_page_set_title (self->drop_status, _("Choose a Vault First"));
      adw_status_page_set_description (self->drop_status,
                                       _("Pick the vault to restore into in the sidebar, then drop "
                                         "the backup files on it."));
    }
  else
    {
      where = g_strdup_printf (_("The backup files or folder will be restored into vault “%s”."),
                               kvb_vault_info_get_name (self->vault));
      adw_status_page_set_title (self->drop_status, _("Drop to Restore"));
      adw_status_page_set_description (self->drop_status, where);
    }
  gtk_revealer_set_reveal_child (self->drop_revealer, TRUE);

  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (GtkDropTargetAsync *target,
               GdkDrop            *drop,
               KvbVaultPage       *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
}

/* What was dropped: backup files, or one backup folder.  FALSE when refused (with a toast). */
static gboolean
take_dropped_files (KvbVaultPage *self,
                    GPtrArray    *files)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_FILE);
  g_autoptr(GFile) folder = NULL;
  guint n_folders = 0;

  for (guint i = 0; i < files->len; i++)
    {
      GFile *file = g_ptr_array_index (files, i);

      /* Only the type, and without following a link: a folder is a whole-vault backup or
       * nothing, anything else goes to the reader, which refuses what is not a backup file
       * before any request. */
      if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) ==
          G_FILE_TYPE_DIRECTORY)
        {
          n_folders++;
          g_set_object (&folder, file);
        }
      g_list_store_append (store, file);
    }

  if (self->vault == NULL || self->client == NULL)
    {
      toast_text (self, _("Choose a vault in the sidebar first, then drop the backup files on it."));
      return FALSE;
    }
  if (files->len == 0)
    return FALSE;

  if (n_folders > 0 && g_list_model_get_n_items (G_LIST_MODEL (store)) > 1)
    {
      toast_text (self, _("Drop one backup folder at a time, or backup files without a folder."));
      return FALSE;
    }

  if (folder != NULL)
    {
      g_autoptr(GFile) manifest = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);
      g_autofree char *name = g_file_get_basename (folder);

      if (g_file_query_file_type (manifest, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) !=
          G_FILE_TYPE_REGULAR)
        {
          g_autofree char *why =
            g_strdup_printf (_("“%s” has no manifest.json, so it is not a whole-vault backup. Drop "
                               "a folder made by Back Up Vault, or the backup files themselves."),
                             name);

          toast_text (self, why);
          return FALSE;
        }
      restore_folder (self, folder);
      return TRUE;
    }

  kvb_vault_page_restore_files (self, G_LIST_MODEL (store));
  return TRUE;
}

static void
finish_drop (KvbVaultPage *self,
             GdkDrop      *drop,
             GPtrArray    *files,
             const GError *error)
{
  gboolean taken = FALSE;

  if (error != NULL)
    {
      g_autofree char *why = g_strdup_printf (_("The dropped files could not be read: %s"),
                                              error->message);

      toast_text (self, why);
    }
  else
    taken = take_dropped_files (self, files);
  gdk_drop_finish (drop, taken ? GDK_ACTION_COPY : 0);
}

/* A list of URIs being read from a drop. */
typedef struct
{
  KvbVaultPage *self;
  GdkDrop      *drop;
} DropRead;

static void
drop_read_free (DropRead *read)
{
  g_object_unref (read->self);
  g_object_unref (read->drop);
  g_free (read);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DropRead, drop_read_free)

static void
drop_uris_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DropRead) read = user_data;
  GMemoryOutputStream *out = G_MEMORY_OUTPUT_STREAM (source);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (out), result, &error) >= 0)
    {
      g_autofree char *text = g_strndup (g_memory_output_stream_get_data (out),
                                         g_memory_output_stream_get_data_size (out));
      g_auto(GStrv) uris = g_uri_list_extract_uris (text);

      for (guint i = 0; uris[i] != NULL; i++)
        g_ptr_array_add (files, g_file_new_for_uri (uris[i]));
    }
  finish_drop (read->self, read->drop, files, error);
}

static void
drop_stream_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GdkDrop *drop = GDK_DROP (source);
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  DropRead *read;

  if ((stream = gdk_drop_read_finish (drop, result, NULL, &error)) == NULL)
    {
      finish_drop (self, drop, NULL, error);
      return;
    }
  out = g_memory_output_stream_new_resizable ();
  read = g_new0 (DropRead, 1);
  read->self = g_steal_pointer (&self);
  read->drop = g_object_ref (drop);
  g_output_stream_splice_async (out, stream,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, drop_uris_read_cb, read);
}

static void
drop_value_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GdkDrop *drop = GDK_DROP (source);
  g_autoptr(KvbVaultPage) self = user_data;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const GValue *value = gdk_drop_read_value_finish (drop, result, &error);

  if (value != NULL && G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *list = gdk_file_list_get_files (g_value_get_boxed (value));

      for (GSList *l = list; l != NULL; l = l->next)
        g_ptr_array_add (files, g_object_ref (l->data));
      g_slist_free (list);
    }
  finish_drop (self, drop, files, error);
}

/* Outside a sandbox the dropped files are read as their list of URIs when the source offers
 * one.  GTK 4.8 prefers the document portal's file transfer whenever the portal runs, and that
 * fails for a folder ("Could not convert data from application/vnd.portal.filetransfer"), so a
 * backup folder dropped from a GTK 4 file manager never arrived.  Inside a sandbox the portal
 * is the only way to the files. */
static gboolean
drop_cb (GtkDropTargetAsync *target,
         GdkDrop            *drop,
         double              x,
         double              y,
         KvbVaultPage       *self)
{
  static const char *uri_list[] = { "text/uri-list", NULL };

  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);

  if (!g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) &&
      gdk_content_formats_contain_mime_type (gdk_drop_get_formats (drop), "text/uri-list"))
    gdk_drop_read_async (drop, uri_list, G_PRIORITY_DEFAULT, NULL, drop_stream_cb, g_object_ref (self));
  else
    gdk_drop_read_value_async (drop, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL, drop_value_cb,
                               g_object_ref (self));
  return TRUE;
}

/* ---- GObject ---- */

static void
kvb_vault_page_dispose (GObject *object)
{
  KvbVaultPage *self = (KvbVaultPage *)object;

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->schedule != NULL)
    g_object_run_dispose (G_OBJECT (self->schedule));
  g_clear_object (&self->schedule);
  /* Running downloads end in their callback; finished ones with a card go now. */
  for (guint i = self->downloads->len; i > 0; i--)
    {
      Download *d = self->downloads->pdata[i - 1];

      g_cancellable_cancel (d->cancellable);
      if (!d->running)
        download_free (d);
    }
  /* Each whole-vault backup stops, and lets go of its card, before the cards go. */
  for (guint i = 0; i < self->vault_backups->len; i++)
    g_object_run_dispose (g_ptr_array_index (self->vault_backups, i));
  g_ptr_array_set_size (self->vault_backups, 0);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_VAULT_PAGE);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->credential);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_object (&self->vault);
  g_clear_object (&self->menu_model);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (kvb_vault_page_parent_class)->dispose (object);
}

static void
kvb_vault_page_finalize (GObject *object)
{
  KvbVaultPage *self = (KvbVaultPage *)object;

  g_ptr_array_unref (self->downloads);
  g_ptr_array_unref (self->vault_backups);
  g_free (self->cloud_id);

  G_OBJECT_CLASS (kvb_vault_page_parent_class)->finalize (object);
}

static void
kvb_vault_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (object);

  switch (prop_id)
    {
    case PROP_VAULT_NAME:
      g_value_set_string (value, self->vault != NULL ? kvb_vault_info_get_name (self->vault) : NULL);
      break;
    case PROP_MENU_MODEL:
      g_value_set_object (value, self->menu_model);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_vault_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (object);

  switch (prop_id)
    {
    case PROP_MENU_MODEL:
      if (g_set_object (&self->menu_model, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_vault_page_class_init (KvbVaultPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_vault_page_dispose;
  object_class->finalize = kvb_vault_page_finalize;
  object_class->get_property = kvb_vault_page_get_property;
  object_class->set_property = kvb_vault_page_set_property;

  properties[PROP_VAULT_NAME] =
    g_param_spec_string ("vault-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* The window's primary menu, for the button at the end of the header bar. */
  properties[PROP_MENU_MODEL] =
    g_param_spec_object ("menu-model", NULL, NULL, G_TYPE_MENU_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether the sidebar is folded away: then the page offers the way back to it. */
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* An operation of this page (a whole-vault backup, a download, a restore, a recovery or a
   * purge) added a line to the history. */
  signals[SIGNAL_HISTORY_CHANGED] =
    g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  g_type_ensure (KVB_TYPE_OBJECT_LIST);
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-vault-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, details_label);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, last_backup_label);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, secrets_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, keys_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, certificates_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, deleted_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, deleted_secrets_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, deleted_keys_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, deleted_certificates_list);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, drop_status);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, operations_box);

  gtk_widget_class_install_action (widget_class, "vault.download-backup", NULL, download_backup_action);
  gtk_widget_class_install_action (widget_class, "vault.restore-backup", NULL, restore_backup_action);
  gtk_widget_class_install_action (widget_class, "vault.recover", NULL, recover_action);
  gtk_widget_class_install_action (widget_class, "vault.purge", NULL, purge_action);
  gtk_widget_class_install_action (widget_class, "vault.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "vault.backup-vault", NULL, backup_vault_action);
  gtk_widget_class_install_action (widget_class, "vault.restore-folder", NULL, restore_folder_action);
  gtk_widget_class_install_action (widget_class, "vault.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "vault.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "vault.schedule", NULL, schedule_action);
  gtk_widget_class_install_action (widget_class, "vault.unschedule", NULL, unschedule_action);
}

static void
kvb_vault_page_init (KvbVaultPage *self)
{
  GtkDropTargetAsync *drop;
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->schedule = kvb_schedule_flow_new ();
  g_signal_connect_object (self->schedule, "toast", G_CALLBACK (toast_text), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->schedule, "changed", G_CALLBACK (update_actions), self,
                           G_CONNECT_SWAPPED);
  self->history = kvb_history_new_default ();
  self->downloads = g_ptr_array_new ();
  self->vault_backups = g_ptr_array_new_with_free_func (g_object_unref);

  /* Ctrl+S and Ctrl+O work wherever the focus is in the window (the sidebar included), as the
   * buttons they stand for are always in view. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_MANAGED);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_s, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("vault.download-backup")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_o, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("vault.restore-backup")));
  /* The whole vault: the same letters with Shift. */
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK),
                                                          gtk_named_action_new ("vault.backup-vault")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK),
                                                          gtk_named_action_new ("vault.restore-folder")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK),
                                                          gtk_named_action_new ("vault.compare")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_h, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("vault.history")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  {
    g_autoptr(GdkContentFormats) files = gdk_content_formats_new_for_gtype (GDK_TYPE_FILE_LIST);

    drop = gtk_drop_target_async_new (gdk_content_formats_union_deserialize_mime_types (g_steal_pointer (&files)),
                                      GDK_ACTION_COPY);
  }
  g_signal_connect (drop, "drag-enter", G_CALLBACK (drop_enter_cb), self);
  g_signal_connect (drop, "drag-leave", G_CALLBACK (drop_leave_cb), self);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  update_page (self);
}
