/* kvb-vault-backup-operation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-backup-operation"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-history.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-backup-operation.h"
#include "kvb-vault-manifest.h"

/* How often the line under the progress bar is brought up to date. */
#define DETAIL_INTERVAL_MS 500

struct _KvbVaultBackupOperation
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  KvbVaultInfo *vault;
  KvbPipeline *pipeline;
  char *cloud_id;
  GFile *folder;
  KvbOperationCard *card;
  KvbHistory *history;

  KvbVaultBackup *job;          /* the current or last run */
  GCancellable *cancellable;    /* the current run's */
  guint detail_source;
  guint throttled_at_start;
  gboolean running;
  gboolean resumed;             /* the current or last run continued an earlier one */
  const char *result;           /* (nullable): the last run's, as in the history */
};

G_DEFINE_FINAL_TYPE (KvbVaultBackupOperation, kvb_vault_backup_operation, G_TYPE_OBJECT)

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
kvb_vault_backup_operation_folder_name (const char *vault_name,
                                        GDateTime  *now)
{
  g_autofree char *stamp = NULL;

  g_return_val_if_fail (vault_name != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  stamp = g_date_time_format (now, "%Y-%m-%d-%H%M%S");
  return g_strdup_printf ("%s-%s", vault_name, stamp);
}

static guint
throttled_now (KvbVaultBackupOperation *self)
{
  return self->pipeline != NULL ? kvb_pipeline_get_n_throttled (self->pipeline) : 0;
}

/* The pipeline counts for every vault of the window: what other work does meanwhile counts too,
 * which is good enough to tell a person that the vault is pushing back. */
static guint
throttled_during_run (KvbVaultBackupOperation *self)
{
  return throttled_now (self) - self->throttled_at_start;
}

static gboolean
update_detail_cb (gpointer user_data)
{
  KvbVaultBackupOperation *self = user_data;
  GListModel *items = G_LIST_MODEL (self->job);
  guint n = g_list_model_get_n_items (items), n_failed = 0, n_finished = 0;
  g_autofree char *detail = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (items, i);
      KvbJobStatus status = kvb_backup_job_item_get_status (item);

      if (status == KVB_JOB_STATUS_FAILED)
        n_failed++;
      if (status != KVB_JOB_STATUS_PENDING && status != KVB_JOB_STATUS_RUNNING)
        n_finished++;
    }

  /* translators: while a whole vault is backed up: objects finished of those listed so far (the
   * second number grows while the vault is listed), failed, and answers "429 Too Many Requests",
   * each waited out and sent again */
  detail = g_strdup_printf (_("%u of %u objects finished, %u failed, throttled %u times"),
                            n_finished, n, n_failed, throttled_during_run (self));
  kvb_operation_card_set_detail (self->card, detail);
  return G_SOURCE_CONTINUE;
}

/* ---- the check of the folder afterwards, off the main thread ---- */

typedef struct
{
  guint n_checked;
  GPtrArray *problems;
} Verified;

static void
verified_free (Verified *verified)
{
  g_clear_pointer (&verified->problems, g_ptr_array_unref);
  g_free (verified);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GFile *folder = task_data;
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;
  Verified *verified;

  /* The manifest as it is on disk, not as the job holds it: that is what a restore reads. */
  manifest = kvb_vault_manifest_load (folder, &error);
  if (manifest == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  verified = g_new0 (Verified, 1);
  verified->problems = kvb_vault_manifest_verify (manifest, folder, &verified->n_checked);
  g_task_return_pointer (task, verified, (GDestroyNotify) verified_free);
}

typedef struct
{
  KvbJobSummary summary;
  GError *error;               /* of the run; NULL when it ran to the end */
} RunEnd;

/* ---- the line in the history, written before "finished" is emitted ---- */

typedef struct
{
  KvbVaultBackupOperation *self;
  char *summary;
  gboolean cancelled;
} Recorded;

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Recorded *recorded = user_data;
  g_autoptr(KvbVaultBackupOperation) self = recorded->self;
  g_autofree char *summary = recorded->summary;
  gboolean cancelled = recorded->cancelled;
  g_autoptr(GError) error = NULL;

  g_free (recorded);
  /* The backup is on disk whatever happens to its line: a failure is only worth a warning. */
  if (!kvb_history_append_finish (KVB_HISTORY (source), result, &error))
    g_warning ("%s", error->message);
  if (self->card == NULL)
    return;   /* disposed meanwhile */
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, summary, cancelled);
}

/* The same line as "kvbackup backup --all" writes, so that the window and kvbackup history
 * tell of each other's backups. */
static void
record (KvbVaultBackupOperation *self,
        const KvbJobSummary     *summary,
        const GError            *error)
{
  g_autoptr(JsonObject) entry = kvb_history_entry_new (KVB_HISTORY_BACKUP,
                                                       kvb_keyvault_client_get_vault_name (self->client));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *finished = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = g_file_get_path (self->folder);
  JsonObject *counts = json_object_new ();
  const char *result;
  Recorded *recorded;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    result = KVB_HISTORY_CANCELLED;
  else if (error != NULL)
    result = KVB_HISTORY_FAILED;
  else
    result = summary->n_failed > 0 ? KVB_HISTORY_PARTIAL : KVB_HISTORY_SUCCEEDED;

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (self->client));
  if (self->cloud_id != NULL)
    json_object_set_string_member (entry, "cloud", self->cloud_id);
  if (path != NULL)
    json_object_set_string_member (entry, "folder", path);
  if (self->resumed)
    json_object_set_boolean_member (entry, "resumed", TRUE);
  json_object_set_int_member (entry, "objects", g_list_model_get_n_items (G_LIST_MODEL (self->job)));
  json_object_set_string_member (entry, "result", result);
  self->result = result;
  json_object_set_int_member (counts, "done", summary->n_done);
  json_object_set_int_member (counts, "kept", kvb_vault_backup_get_n_kept (self->job));
  json_object_set_int_member (counts, "linked", kvb_vault_backup_get_n_linked (self->job));
  json_object_set_int_member (counts, "copied", kvb_vault_backup_get_n_copied (self->job));
  json_object_set_int_member (counts, "covered", summary->n_skipped);
  json_object_set_int_member (counts, "failed", summary->n_failed);
  json_object_set_int_member (counts, "changedDuringBackup", kvb_vault_backup_get_changed (self->job)->len);
  json_object_set_object_member (entry, "counts", counts);
  if (error != NULL)
    json_object_set_string_member (entry, "message", error->message);
  json_object_set_string_member (entry, "finished", finished);

  recorded = g_new0 (Recorded, 1);
  recorded->self = g_object_ref (self);
  recorded->summary = g_strdup (kvb_operation_card_get_summary (self->card));
  recorded->cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Not cancellable: a backup that ran is recorded even when the window closes meanwhile. */
  kvb_history_append_async (self->history, entry, NULL, recorded_cb, recorded);
}

static void
finish_card (KvbVaultBackupOperation *self,
             const KvbJobSummary     *summary,
             const GError            *error,
             const char              *check)
{
  g_autoptr(GString) note = g_string_new (NULL);
  GPtrArray *changed = kvb_vault_backup_get_changed (self->job);
  guint kept = kvb_vault_backup_get_n_kept (self->job);
  guint throttled = throttled_during_run (self);
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gboolean offer_resume = error != NULL || summary->n_failed > 0 || changed->len > 0;

  g_clear_handle_id (&self->detail_source, g_source_remove);
  self->running = FALSE;

  if (kept > 0)
    g_string_append_printf (note, ngettext ("%u was kept from the earlier run.",
                                            "%u were kept from the earlier run.", kept), kept);
  if (throttled > 0)
    {
      if (note->len > 0)
        g_string_append_c (note, ' ');
      g_string_append_printf (note, ngettext ("The vault throttled the backup %u time; it waited and went on.",
                                              "The vault throttled the backup %u times; it waited and went on.",
                                              throttled), throttled);
    }
  if (changed->len > 0)
    {
      if (note->len > 0)
        g_string_append_c (note, ' ');
      /* translators: the names are "KIND NAME" of objects, separated by commas */
      g_string_append_printf (note, ngettext ("%u object changed while the backup ran (%s): Resume backs it up again.",
                                              "%u objects changed while the backup ran (%s): Resume backs them up again.",
                                              changed->len), changed->len,
                              (const char *) g_ptr_array_index (changed, 0));
    }
  if (check != NULL)
    {
      if (note->len > 0)
        g_string_append_c (note, ' ');
      g_string_append (note, check);
    }
  if (cancelled || (error != NULL && summary->n_done > 0))
    {
      if (note->len > 0)
        g_string_append_c (note, ' ');
      g_string_append (note, _("Resume continues in the same folder: what was saved is kept."));
    }

  kvb_operation_card_finish_with_note (self->card, error, note->str, offer_resume);
  record (self, summary, error);
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RunEnd *end = user_data;
  g_autoptr(KvbVaultBackupOperation) self = g_object_ref (KVB_VAULT_BACKUP_OPERATION (source));
  g_autoptr(GError) error = NULL;
  g_autofree char *check = NULL;
  Verified *verified;

  verified = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->card == NULL)
    {
      g_clear_error (&end->error);
      g_free (end);
      return;
    }

  if (verified == NULL)
    check = g_strdup_printf (_("The folder could not be checked afterwards: %s"), error->message);
  else if (verified->problems->len == 0)
    check = g_strdup_printf (ngettext ("Checked afterwards: the folder is whole, %u file matches the manifest.",
                                       "Checked afterwards: the folder is whole, %u files match the manifest.",
                                       verified->n_checked), verified->n_checked);
  else
    /* translators: a count, then the first problem the check found (a sentence) */
    check = g_strdup_printf (ngettext ("Checked afterwards: %u problem in the folder. %s",
                                       "Checked afterwards: %u problems in the folder. %s",
                                       verified->problems->len),
                             verified->problems->len,
                             (const char *) g_ptr_array_index (verified->problems, 0));
  g_clear_pointer (&verified, verified_free);

  finish_card (self, &end->summary, end->error, check);
  g_clear_error (&end->error);
  g_free (end);
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(KvbVaultBackupOperation) self = user_data;
  g_autoptr(GTask) verify = NULL;
  RunEnd *end = g_new0 (RunEnd, 1);

  kvb_vault_backup_run_finish (KVB_VAULT_BACKUP (source), result, &end->summary, &end->error);
  if (KVB_VAULT_BACKUP (source) != self->job || self->card == NULL)
    {
      /* Disposed meanwhile, or a newer run took over. */
      g_clear_error (&end->error);
      g_free (end);
      return;
    }

  /* A run that was stopped or could not go on is not checked: the folder is not whole yet. */
  if (end->error != NULL)
    {
      finish_card (self, &end->summary, end->error, NULL);
      g_clear_error (&end->error);
      g_free (end);
      return;
    }

  verify = g_task_new (self, self->cancellable, verified_cb, end);
  g_task_set_source_tag (verify, run_cb);
  g_task_set_task_data (verify, g_object_ref (self->folder), g_object_unref);
  g_task_run_in_thread (verify, verify_thread);
}

static char *
card_title (KvbVaultBackupOperation *self,
            gboolean                 resume)
{
  g_autofree char *display = g_file_get_parse_name (self->folder);
  const char *name = kvb_keyvault_client_get_vault_name (self->client);

  /* translators: the vault's name, then the folder */
  return resume ? g_strdup_printf (_("Resuming the backup of vault “%s” in “%s”"), name, display)
                : g_strdup_printf (_("Backing up vault “%s” to “%s”"), name, display);
}

void
kvb_vault_backup_operation_start (KvbVaultBackupOperation *self,
                                  gboolean                 resume)
{
  g_autofree char *title = NULL;

  g_return_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self));
  g_return_if_fail (!self->running);
  g_return_if_fail (self->card != NULL);

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->job);
  self->job = kvb_vault_backup_new (self->client, self->folder);
  kvb_vault_backup_set_resume (self->job, resume);
  self->resumed = resume;
  /* A restore checks subscription and geography against these; only Resource Manager has them. */
  if (self->vault != NULL)
    kvb_vault_backup_set_origin (self->job, kvb_vault_info_get_subscription_id (self->vault),
                                 kvb_vault_info_get_location (self->vault),
                                 kvb_vault_info_get_tenant_id (self->vault), self->cloud_id);
  else
    kvb_vault_backup_set_origin (self->job, NULL, NULL, NULL, self->cloud_id);

  self->running = TRUE;
  self->result = NULL;
  self->throttled_at_start = throttled_now (self);
  title = card_title (self, resume);
  kvb_operation_card_set_job (self->card, KVB_OPERATION_VAULT_BACKUP, title,
                              G_LIST_MODEL (self->job), self->cancellable);
  kvb_operation_card_set_retry_label (self->card, _("_Resume"));
  g_clear_handle_id (&self->detail_source, g_source_remove);
  self->detail_source = g_timeout_add (DETAIL_INTERVAL_MS, update_detail_cb, self);
  update_detail_cb (self);

  kvb_vault_backup_run_async (self->job, self->cancellable, run_cb, g_object_ref (self));
}

static void
resume_cb (KvbOperationCard        *card,
           KvbVaultBackupOperation *self)
{
  if (!self->running)
    kvb_vault_backup_operation_start (self, TRUE);
}

gboolean
kvb_vault_backup_operation_get_running (KvbVaultBackupOperation *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self), FALSE);
  return self->running;
}

GFile *
kvb_vault_backup_operation_get_folder (KvbVaultBackupOperation *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self), NULL);
  return self->folder;
}

const char *
kvb_vault_backup_operation_get_result (KvbVaultBackupOperation *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self), NULL);
  return self->result;
}

const char *
kvb_vault_backup_operation_get_vault_name (KvbVaultBackupOperation *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self), NULL);
  return kvb_keyvault_client_get_vault_name (self->client);
}

KvbOperationCard *
kvb_vault_backup_operation_get_card (KvbVaultBackupOperation *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self), NULL);
  return self->card;
}

void
kvb_vault_backup_operation_cancel (KvbVaultBackupOperation *self)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP_OPERATION (self));
  g_cancellable_cancel (self->cancellable);
}

static void
kvb_vault_backup_operation_dispose (GObject *object)
{
  KvbVaultBackupOperation *self = (KvbVaultBackupOperation *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->detail_source, g_source_remove);
  if (self->card != NULL)
    g_signal_handlers_disconnect_by_data (self->card, self);
  g_clear_object (&self->card);
  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->vault);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->folder);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (kvb_vault_backup_operation_parent_class)->dispose (object);
}

static void
kvb_vault_backup_operation_finalize (GObject *object)
{
  KvbVaultBackupOperation *self = (KvbVaultBackupOperation *)object;

  g_clear_pointer (&self->cloud_id, g_free);

  G_OBJECT_CLASS (kvb_vault_backup_operation_parent_class)->finalize (object);
}

static void
kvb_vault_backup_operation_class_init (KvbVaultBackupOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_vault_backup_operation_dispose;
  object_class->finalize = kvb_vault_backup_operation_finalize;

  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
kvb_vault_backup_operation_init (KvbVaultBackupOperation *self)
{
  self->history = kvb_history_new_default ();
}

KvbVaultBackupOperation *
kvb_vault_backup_operation_new (KvbKeyVaultClient *client,
                                KvbVaultInfo      *vault,
                                KvbPipeline       *pipeline,
                                const char        *cloud_id,
                                GFile             *folder,
                                KvbOperationCard  *card)
{
  KvbVaultBackupOperation *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (vault == NULL || KVB_IS_VAULT_INFO (vault), NULL);
  g_return_val_if_fail (pipeline == NULL || KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);
  g_return_val_if_fail (KVB_IS_OPERATION_CARD (card), NULL);

  self = g_object_new (KVB_TYPE_VAULT_BACKUP_OPERATION, NULL);
  self->client = g_object_ref (client);
  self->vault = vault != NULL ? g_object_ref (vault) : NULL;
  self->pipeline = pipeline != NULL ? g_object_ref (pipeline) : NULL;
  self->cloud_id = g_strdup (cloud_id);
  self->folder = g_object_ref (folder);
  self->card = g_object_ref (card);
  g_signal_connect (card, "retry", G_CALLBACK (resume_cb), self);
  return self;
}
