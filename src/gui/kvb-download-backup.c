/* kvb-download-backup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-download-backup"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kvb-backup-file.h"
#include "kvb-download-backup.h"
#include "kvb-error.h"
#include "kvb-object-backup.h"
#include "kvb-operation-card.h"

struct _KvbDownloadBackup
{
  GObject parent_instance;

  GtkWindow *parent;
  KvbKeyVaultClient *client;
  char *vault_name;
  GPtrArray *objects;          /* of KvbObjectInfo, as selected */

  /* One object: what is really backed up. */
  KvbObjectKind kind;
  char *name;
  gboolean replaced;

  GFile *file;
  GFile *folder;
  KvbVaultBackup *job;
  GPtrArray *job_objects;      /* of KvbObjectInfo: the selection of the last job, for a retry */
  KvbJobSummary summary;
  char *notification_id;

  /* The dialog being shown, and the task that waits for it. */
  GTask *dialog_task;
  GtkNativeDialog *chooser;
  GtkWindow *question;
  GCancellable *dialog_cancellable;
  gulong cancelled_id;
};

G_DEFINE_FINAL_TYPE (KvbDownloadBackup, kvb_download_backup, G_TYPE_OBJECT)

enum {
  SIGNAL_JOB_STARTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Notification ids are per job: a later download must not replace an earlier one's. */
static guint notification_serial;

static void
end_dialog (KvbDownloadBackup *self)
{
  if (self->cancelled_id != 0)
    g_clear_signal_handler (&self->cancelled_id, self->dialog_cancellable);
  g_clear_object (&self->dialog_cancellable);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  if (self->question != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->question, self);
      gtk_window_destroy (g_steal_pointer (&self->question));
    }
}

static void
kvb_download_backup_dispose (GObject *object)
{
  KvbDownloadBackup *self = (KvbDownloadBackup *)object;

  end_dialog (self);
  g_clear_object (&self->dialog_task);
  g_clear_object (&self->parent);
  g_clear_object (&self->client);
  g_clear_object (&self->file);
  g_clear_object (&self->folder);
  g_clear_object (&self->job);
  g_clear_pointer (&self->job_objects, g_ptr_array_unref);
  g_clear_pointer (&self->objects, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_download_backup_parent_class)->dispose (object);
}

static void
kvb_download_backup_finalize (GObject *object)
{
  KvbDownloadBackup *self = (KvbDownloadBackup *)object;

  g_clear_pointer (&self->vault_name, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->notification_id, g_free);

  G_OBJECT_CLASS (kvb_download_backup_parent_class)->finalize (object);
}

static void
kvb_download_backup_class_init (KvbDownloadBackupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_download_backup_dispose;
  object_class->finalize = kvb_download_backup_finalize;

  /**
   * KvbDownloadBackup::job-started:
   * @job: the KvbVaultBackup about to run
   *
   * Several objects only: the folder is chosen and the job is about to run; show it (a
   * KvbOperationCard with the title of kvb_download_backup_dup_title()).
   */
  signals[SIGNAL_JOB_STARTED] =
    g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, KVB_TYPE_VAULT_BACKUP);
}

static void
kvb_download_backup_init (KvbDownloadBackup *self)
{
  self->job_objects = g_ptr_array_new_with_free_func (g_object_unref);
}

/* ---- the end ---- */

static char *
folder_display_name (GFile *folder)
{
  g_autofree char *base = folder != NULL ? g_file_get_basename (folder) : NULL;

  return base != NULL ? g_filename_display_name (base) : g_strdup ("");
}

/* A finished operation is told about where the user is not looking: in a notification. */
static void
maybe_notify (KvbDownloadBackup *self,
              const GError      *error)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  GApplication *app = NULL;

  g_clear_pointer (&self->notification_id, g_free);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->parent != NULL && gtk_window_is_active (self->parent))
    return;

  if (self->parent != NULL)
    app = G_APPLICATION (gtk_window_get_application (self->parent));
  if (app == NULL)
    app = g_application_get_default ();
  if (app == NULL || !g_application_get_is_registered (app))
    return;

  if (error != NULL)
    {
      notification = g_notification_new (_("Download Backup Failed"));
      body = g_strdup (error->message);
    }
  else
    {
      notification = g_notification_new (self->job != NULL ? _("Backups Downloaded")
                                                           : _("Backup Downloaded"));
      body = kvb_download_backup_dup_result (self);
    }
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, KVB_DOWNLOAD_BACKUP_NOTIFICATION_ACTION);

  self->notification_id = g_strdup_printf ("download-backup-%u", ++notification_serial);
  g_application_send_notification (app, self->notification_id, notification);
}

static void
return_error (GTask  *task,
              GError *error)
{
  maybe_notify (g_task_get_source_object (task), error);
  g_task_return_error (task, error);
}

static void
return_done (GTask *task)
{
  maybe_notify (g_task_get_source_object (task), NULL);
  g_task_return_boolean (task, TRUE);
}

/* ---- dialogs ---- */

static void
dialog_cancelled_cb (KvbDownloadBackup *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->dialog_task);

  /* A dialog closed from here sends no response: the task ends at once. */
  end_dialog (self);
  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
}

/* Keeps @task until the dialog answers, or until its cancellable ends the dialog. */
static gboolean
begin_dialog (KvbDownloadBackup *self,
              GTask             *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_task_return_error_if_cancelled (task))
    return FALSE;

  g_set_object (&self->dialog_task, task);
  if (cancellable != NULL)
    {
      self->dialog_cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_signal_connect_swapped (cancellable, "cancelled",
                                                     G_CALLBACK (dialog_cancelled_cb), self);
    }
  return TRUE;
}

/* ---- one object ---- */

static void
one_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbDownloadBackup *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!kvb_object_backup_to_file_finish (result, &error))
    {
      self->summary.n_failed = 1;
      return_error (task, g_steal_pointer (&error));
      return;
    }

  self->summary.n_done = 1;
  return_done (task);
}

static void
save_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  KvbDownloadBackup *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->dialog_task);
  g_autoptr(GFile) file = NULL;
  GCancellable *cancellable;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  end_dialog (self);

  if (file == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  g_set_object (&self->file, file);
  g_clear_object (&self->folder);
  self->folder = g_file_get_parent (file);

  /* The dialog has already asked before replacing a file. */
  cancellable = g_task_get_cancellable (task);
  kvb_object_backup_to_file_async (self->client, self->kind, self->name, file, TRUE, cancellable,
                                   one_done_cb, g_steal_pointer (&task));
}

static void
show_save_dialog (GTask *task)
{
  KvbDownloadBackup *self = g_task_get_source_object (task);
  g_autofree char *suggested = NULL;
  GtkFileChooserNative *chooser;

  if (!begin_dialog (self, task))
    return;

  chooser = gtk_file_chooser_native_new (_("Download Backup"), self->parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  suggested = kvb_backup_file_build_name (self->vault_name, self->name, self->kind);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (self->chooser);
}

static void
question_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      gpointer          user_data)
{
  KvbDownloadBackup *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->dialog_task);
  gboolean accepted = g_strcmp0 (response, "download") == 0;

  /* The dialog closes itself after the response. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  self->question = NULL;
  end_dialog (self);

  if (!accepted)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }
  show_save_dialog (task);
}

static void
ask_for_certificate (GTask         *task,
                     KvbObjectInfo *object)
{
  KvbDownloadBackup *self = g_task_get_source_object (task);
  GtkWidget *dialog;

  if (!begin_dialog (self, task))
    return;

  dialog = adw_message_dialog_new (self->parent, _("Download Certificate Backup?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” belongs to the certificate “%s”. Key Vault backs it up "
                                    "only with its certificate. Download the certificate’s "
                                    "backup instead?"),
                                  kvb_object_info_get_name (object), self->name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "download", _("_Download Certificate Backup"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  self->question = GTK_WINDOW (dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (question_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- several objects ---- */

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbDownloadBackup *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary = { 0, };

  if (!kvb_vault_backup_run_finish (KVB_VAULT_BACKUP (source), result, &summary, &error))
    {
      /* Cancelled or stopped: the items say how far it went. */
      memset (&self->summary, 0, sizeof self->summary);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (source)); i++)
        {
          g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (source), i);

          switch (kvb_backup_job_item_get_status (item))
            {
            case KVB_JOB_STATUS_DONE: self->summary.n_done++; break;
            case KVB_JOB_STATUS_SKIPPED: self->summary.n_skipped++; break;
            case KVB_JOB_STATUS_FAILED: self->summary.n_failed++; break;
            default: break;
            }
        }
      return_error (task, g_steal_pointer (&error));
      return;
    }

  self->summary = summary;
  return_done (task);
}

static void
start_job (GTask     *task,
           GPtrArray *objects)
{
  KvbDownloadBackup *self = g_task_get_source_object (task);
  g_autoptr(KvbVaultBackup) job = kvb_vault_backup_new (self->client, self->folder);
  g_autoptr(GPtrArray) job_objects = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (job_objects, g_object_ref (g_ptr_array_index (objects, i)));
  kvb_vault_backup_set_objects (job, job_objects);
  /* A folder with a backup of the vault is continued (a retry, or a second download into it):
   * what it holds stays in its manifest. */
  kvb_vault_backup_set_resume (job, TRUE);

  g_set_object (&self->job, job);
  g_clear_pointer (&self->job_objects, g_ptr_array_unref);
  self->job_objects = g_steal_pointer (&job_objects);
  memset (&self->summary, 0, sizeof self->summary);

  g_signal_emit (self, signals[SIGNAL_JOB_STARTED], 0, job);
  kvb_vault_backup_run_async (job, g_task_get_cancellable (task), job_done_cb, g_object_ref (task));
}

static void
folder_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    gpointer         user_data)
{
  KvbDownloadBackup *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->dialog_task);
  g_autoptr(GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  end_dialog (self);

  if (folder == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  g_set_object (&self->folder, folder);
  start_job (task, self->objects);
}

static void
show_folder_dialog (GTask *task)
{
  KvbDownloadBackup *self = g_task_get_source_object (task);
  GtkFileChooserNative *chooser;

  if (!begin_dialog (self, task))
    return;

  chooser = gtk_file_chooser_native_new (_("Download Backups"), self->parent,
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Download"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_response_cb), self);
  gtk_native_dialog_show (self->chooser);
}

/* ---- public ---- */

KvbDownloadBackup *
kvb_download_backup_run_async (GtkWindow           *parent,
                               KvbKeyVaultClient   *client,
                               const char          *vault_name,
                               GPtrArray           *objects,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(KvbDownloadBackup) self = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (vault_name != NULL, NULL);
  g_return_val_if_fail (objects != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  self = g_object_new (KVB_TYPE_DOWNLOAD_BACKUP, NULL);
  g_set_object (&self->parent, parent);
  self->client = g_object_ref (client);
  self->vault_name = g_strdup (vault_name);
  self->objects = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (self->objects, g_object_ref (g_ptr_array_index (objects, i)));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_download_backup_run_async);

  if (self->objects->len == 0)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("Select the objects to download first."));
    }
  else if (self->objects->len == 1)
    {
      KvbObjectInfo *object = g_ptr_array_index (self->objects, 0);
      const char *name = NULL;

      self->replaced = kvb_object_backup_get_target (object, &self->kind, &name);
      self->name = g_strdup (name);
      if (self->replaced)
        ask_for_certificate (task, object);
      else
        show_save_dialog (task);
    }
  else
    {
      show_folder_dialog (task);
    }

  /* The task keeps the operation alive until the callback has run. */
  return self;
}

KvbDownloadBackup *
kvb_download_backup_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_object_ref (g_task_get_source_object (G_TASK (result)));
}

void
kvb_download_backup_retry_failed_async (KvbDownloadBackup   *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (KVB_IS_DOWNLOAD_BACKUP (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_download_backup_run_async);

  /* The objects whose item (the file they went into) failed. */
  for (guint i = 0; self->job != NULL && i < self->job_objects->len; i++)
    {
      KvbObjectInfo *object = g_ptr_array_index (self->job_objects, i);
      GListModel *items = G_LIST_MODEL (self->job);
      const char *name;
      KvbObjectKind kind;

      kvb_object_backup_get_target (object, &kind, &name);
      for (guint j = 0; j < g_list_model_get_n_items (items); j++)
        {
          g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (items, j);

          if (kvb_backup_job_item_get_kind (item) == kind &&
              g_strcmp0 (kvb_backup_job_item_get_name (item), name) == 0)
            {
              if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_FAILED)
                g_ptr_array_add (failed, g_object_ref (object));
              break;
            }
        }
    }

  if (self->job == NULL || failed->len == 0)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("No backup failed: there is nothing to retry."));
      return;
    }

  start_job (task, failed);
}

gboolean
kvb_download_backup_get_several (KvbDownloadBackup *self)
{
  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), FALSE);
  return self->objects->len > 1;
}

GFile *
kvb_download_backup_get_file (KvbDownloadBackup *self)
{
  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);
  return self->file;
}

GFile *
kvb_download_backup_get_folder (KvbDownloadBackup *self)
{
  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);
  return self->folder;
}

KvbVaultBackup *
kvb_download_backup_get_job (KvbDownloadBackup *self)
{
  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);
  return self->job;
}

void
kvb_download_backup_get_summary (KvbDownloadBackup *self,
                                 KvbJobSummary     *summary)
{
  g_return_if_fail (KVB_IS_DOWNLOAD_BACKUP (self));
  g_return_if_fail (summary != NULL);
  *summary = self->summary;
}

char *
kvb_download_backup_dup_title (KvbDownloadBackup *self)
{
  g_autofree char *folder = NULL;
  guint n;

  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);

  folder = folder_display_name (self->folder);
  n = self->job != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->job)) : 1;
  return g_strdup_printf (ngettext ("Downloading %u backup to “%s”",
                                    "Downloading %u backups to “%s”", n), n, folder);
}

char *
kvb_download_backup_dup_result (KvbDownloadBackup *self)
{
  g_autofree char *folder = NULL;
  g_autofree char *counts = NULL;

  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);

  if (self->job == NULL)
    return g_strdup_printf (_("Backup of “%s” saved"), self->name != NULL ? self->name : "");

  folder = folder_display_name (self->folder);
  counts = kvb_operation_format_summary (KVB_OPERATION_DOWNLOAD, self->summary.n_done,
                                         self->summary.n_skipped, self->summary.n_failed, 0,
                                         FALSE);
  /* translators: %s are a folder name and a summary such as "10 saved, 1 failed" */
  return g_strdup_printf (_("Backups saved to “%s”: %s"), folder, counts);
}

const char *
kvb_download_backup_get_notification_id (KvbDownloadBackup *self)
{
  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);
  return self->notification_id;
}

static void
toast_button_cb (AdwToast *toast,
                 GFile    *folder_or_file)
{
  kvb_download_backup_open_folder (folder_or_file);
}

AdwToast *
kvb_download_backup_new_toast (KvbDownloadBackup *self)
{
  g_autofree char *title = NULL;
  GFile *target;
  AdwToast *toast;

  g_return_val_if_fail (KVB_IS_DOWNLOAD_BACKUP (self), NULL);

  title = kvb_download_backup_dup_result (self);
  toast = adw_toast_new (title);
  target = self->file != NULL ? self->file : self->folder;
  if (target != NULL)
    {
      adw_toast_set_button_label (toast, _("Open Folder"));
      /* The toast keeps the file: it may outlive the operation. */
      g_signal_connect_data (toast, "button-clicked", G_CALLBACK (toast_button_cb),
                             g_object_ref (target), (GClosureNotify) (void (*) (void)) g_object_unref,
                             0);
    }
  return toast;
}

static void
launch_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Nothing to tell the user beyond the folder not opening; the reason is for the log. */
  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Could not open the folder: %s", error->message);
}

void
kvb_download_backup_open_folder (GFile *folder_or_file)
{
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GAppLaunchContext) context = NULL;
  g_autofree char *uri = NULL;
  GdkDisplay *display;

  g_return_if_fail (G_IS_FILE (folder_or_file));

  if (g_file_query_file_type (folder_or_file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    folder = g_object_ref (folder_or_file);
  else
    folder = g_file_get_parent (folder_or_file);
  if (folder == NULL)
    return;

  display = gdk_display_get_default ();
  if (display != NULL)
    context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (display));
  uri = g_file_get_uri (folder);
  g_app_info_launch_default_for_uri_async (uri, context, NULL, launch_cb, NULL);
}
