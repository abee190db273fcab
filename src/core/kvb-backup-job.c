/* kvb-backup-job.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-backup-job"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-backup-file.h"
#include "kvb-backup-job.h"
#include "kvb-error.h"

struct _KvbBackupJob
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  GFile *folder;
  GPtrArray *items;
  gboolean overwrite;
  guint max_parallel;
  gboolean started;
};

static void kvb_backup_job_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbBackupJob, kvb_backup_job, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kvb_backup_job_list_model_init))

static GType
kvb_backup_job_get_item_type (GListModel *model)
{
  return KVB_TYPE_BACKUP_JOB_ITEM;
}

static guint
kvb_backup_job_get_n_items (GListModel *model)
{
  return KVB_BACKUP_JOB (model)->items->len;
}

static gpointer
kvb_backup_job_get_item (GListModel *model,
                         guint       position)
{
  KvbBackupJob *self = KVB_BACKUP_JOB (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
kvb_backup_job_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kvb_backup_job_get_item_type;
  iface->get_n_items = kvb_backup_job_get_n_items;
  iface->get_item = kvb_backup_job_get_item;
}

static void
kvb_backup_job_dispose (GObject *object)
{
  KvbBackupJob *self = (KvbBackupJob *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->folder);

  G_OBJECT_CLASS (kvb_backup_job_parent_class)->dispose (object);
}

static void
kvb_backup_job_finalize (GObject *object)
{
  KvbBackupJob *self = (KvbBackupJob *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_backup_job_parent_class)->finalize (object);
}

static void
kvb_backup_job_class_init (KvbBackupJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_backup_job_dispose;
  object_class->finalize = kvb_backup_job_finalize;
}

static void
kvb_backup_job_init (KvbBackupJob *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_parallel = KVB_BACKUP_JOB_DEFAULT_PARALLEL;
}

KvbBackupJob *
kvb_backup_job_new (KvbKeyVaultClient *client,
                    GFile             *folder)
{
  KvbBackupJob *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = g_object_new (KVB_TYPE_BACKUP_JOB, NULL);
  self->client = g_object_ref (client);
  self->folder = g_object_ref (folder);

  return self;
}

gboolean
kvb_backup_job_get_target (KvbObjectInfo  *object,
                           KvbObjectKind  *kind,
                           const char    **name)
{
  gboolean replaced;

  g_return_val_if_fail (KVB_IS_OBJECT_INFO (object), FALSE);

  /* The key and secret of a certificate carry its name, and Key Vault backs them up only with
   * the certificate (403 "associated with a certificate"). */
  replaced = kvb_object_info_get_managed (object) &&
             kvb_object_info_get_kind (object) != KVB_OBJECT_KIND_CERTIFICATE;

  if (kind != NULL)
    *kind = replaced ? KVB_OBJECT_KIND_CERTIFICATE : kvb_object_info_get_kind (object);
  if (name != NULL)
    *name = kvb_object_info_get_name (object);

  return replaced;
}

KvbBackupJobItem *
kvb_backup_job_add_object (KvbBackupJob  *self,
                           KvbObjectInfo *object)
{
  g_autoptr(KvbBackupJobItem) item = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *file_name = NULL;
  const char *name;
  KvbObjectKind kind;
  gboolean replaced;

  g_return_val_if_fail (KVB_IS_BACKUP_JOB (self), NULL);
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (object), NULL);
  g_return_val_if_fail (!self->started, NULL);

  replaced = kvb_backup_job_get_target (object, &kind, &name);

  for (guint i = 0; i < self->items->len; i++)
    {
      KvbBackupJobItem *existing = g_ptr_array_index (self->items, i);

      if (kvb_backup_job_item_get_kind (existing) == kind &&
          g_strcmp0 (kvb_backup_job_item_get_name (existing), name) == 0)
        {
          if (replaced)
            _kvb_backup_job_item_set_replaced (existing);
          return existing;
        }
    }

  file_name = kvb_backup_file_build_name (kvb_keyvault_client_get_vault_name (self->client),
                                          name, kind);
  file = g_file_get_child (self->folder, file_name);
  item = _kvb_backup_job_item_new (kind, name, file);
  if (replaced)
    _kvb_backup_job_item_set_replaced (item);

  g_ptr_array_add (self->items, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);

  return item;
}

void
kvb_backup_job_set_overwrite (KvbBackupJob *self,
                              gboolean      overwrite)
{
  g_return_if_fail (KVB_IS_BACKUP_JOB (self));
  self->overwrite = !!overwrite;
}

void
kvb_backup_job_set_max_parallel (KvbBackupJob *self,
                                 guint         max_parallel)
{
  g_return_if_fail (KVB_IS_BACKUP_JOB (self));
  self->max_parallel = MAX (max_parallel, 1);
}

/* ---- one object ---- */

typedef struct
{
  KvbKeyVaultClient *client;
  KvbObjectKind kind;
  char *name;
  GFile *file;
  gboolean overwrite;
  gboolean existed;
  GBytes *blob;
} One;

static void
one_free (One *one)
{
  g_clear_object (&one->client);
  g_clear_pointer (&one->name, g_free);
  g_clear_object (&one->file);
  g_clear_pointer (&one->blob, g_bytes_unref);
  g_free (one);
}

static void
one_write_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_backup_file_write_finish (result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
one_backup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  One *one = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  one->blob = kvb_keyvault_client_backup_finish (one->client, result, &error);
  if (one->blob != NULL &&
      !kvb_backup_file_check_answer (one->blob, one->kind,
                                     kvb_keyvault_client_get_vault_name (one->client), one->name,
                                     &error))
    g_clear_pointer (&one->blob, g_bytes_unref);
  if (one->blob == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  kvb_backup_file_write_async (one->file, one->blob, one->overwrite, cancellable, one_write_cb,
                               g_steal_pointer (&task));
}

static void
one_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  One *one = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Any other error: the write says what is wrong with the place. */
  one->existed = info != NULL;
  if (one->existed && !one->overwrite)
    {
      g_autofree char *display = g_file_get_parse_name (one->file);

      /* Refused before the vault is asked: a mistake costs nothing. */
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                               _("“%s” already exists and was not replaced."), display);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  kvb_keyvault_client_backup_async (one->client, one->kind, one->name, cancellable,
                                    one_backup_cb, g_steal_pointer (&task));
}

static GTask *
one_start (KvbKeyVaultClient   *client,
           KvbObjectKind        kind,
           const char          *name,
           GFile               *file,
           gboolean             overwrite,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task;
  One *one;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_job_backup_one_async);
  one = g_new0 (One, 1);
  one->client = g_object_ref (client);
  one->kind = kind;
  one->name = g_strdup (name);
  one->file = g_object_ref (file);
  one->overwrite = overwrite;
  g_task_set_task_data (task, one, (GDestroyNotify) one_free);

  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                           G_PRIORITY_DEFAULT, cancellable, one_query_cb, g_object_ref (task));

  return task;
}

void
kvb_backup_job_backup_one_async (KvbKeyVaultClient   *client,
                                 KvbObjectKind        kind,
                                 const char          *name,
                                 GFile               *file,
                                 gboolean             overwrite,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (client));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_FILE (file));

  g_object_unref (one_start (client, kind, name, file, overwrite, cancellable, callback,
                             user_data));
}

gboolean
kvb_backup_job_backup_one_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the job ---- */

typedef struct
{
  guint next;
  guint in_flight;
  KvbJobSummary summary;
} Run;

typedef struct
{
  GTask *task;              /* the job's */
  KvbBackupJobItem *item;
} ItemOp;

static void run_fill (GTask *task);

static void
item_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ItemOp *op = user_data;
  g_autoptr(GTask) task = op->task;
  g_autoptr(KvbBackupJobItem) item = op->item;
  Run *run = g_task_get_task_data (task);
  One *one = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *display = g_file_get_parse_name (kvb_backup_job_item_get_file (item));

  g_free (op);
  run->in_flight--;

  if (!kvb_backup_job_backup_one_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_PENDING, NULL);
        }
      else if (g_error_matches (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS))
        {
          _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_SKIPPED, error->message);
          run->summary.n_skipped++;
        }
      else
        {
          g_debug ("%s: %s", kvb_backup_job_item_get_name (item), error->message);
          _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_FAILED, error->message);
          run->summary.n_failed++;
        }
    }
  else
    {
      /* Whole sentences, each translated on its own. */
      if (kvb_backup_job_item_get_replaced (item))
        g_ptr_array_add (sentences, g_strdup_printf (
            _("The certificate “%s” was backed up in place of its key and secret: Key Vault backs "
              "them up only together with the certificate."), kvb_backup_job_item_get_name (item)));
      g_ptr_array_add (sentences, g_strdup_printf (_("Saved to “%s”."), display));
      if (one->existed)
        g_ptr_array_add (sentences, g_strdup (_("The file that was there was replaced.")));
      g_ptr_array_add (sentences, NULL);

      {
        g_autofree char *message = g_strjoinv (" ", (char **) sentences->pdata);
        _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_DONE, message);
      }
      run->summary.n_done++;
    }

  run_fill (g_steal_pointer (&task));
}

/* Keeps up to max_parallel backups in flight; returns once all are back. */
static void
run_fill (GTask *task)
{
  KvbBackupJob *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  while (run->next < self->items->len && run->in_flight < self->max_parallel &&
         !g_cancellable_is_cancelled (cancellable))
    {
      KvbBackupJobItem *item = g_ptr_array_index (self->items, run->next++);
      ItemOp *op = g_new0 (ItemOp, 1);

      op->task = g_object_ref (task);
      op->item = g_object_ref (item);
      run->in_flight++;
      _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_RUNNING, _("Backing up…"));
      g_object_unref (one_start (self->client, kvb_backup_job_item_get_kind (item),
                                 kvb_backup_job_item_get_name (item),
                                 kvb_backup_job_item_get_file (item), self->overwrite,
                                 cancellable, item_done_cb, op));
    }

  if (run->in_flight > 0)
    {
      g_object_unref (task);
      return;
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = NULL;

      g_cancellable_set_error_if_cancelled (cancellable, &error);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      g_debug ("Backup job of %s: %u done, %u skipped, %u failed",
               kvb_keyvault_client_get_vault_name (self->client),
               run->summary.n_done, run->summary.n_skipped, run->summary.n_failed);
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

void
kvb_backup_job_run_async (KvbBackupJob        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KVB_IS_BACKUP_JOB (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_job_run_async);
  g_task_set_task_data (task, g_new0 (Run, 1), g_free);

  if (self->started)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("This backup has already run."));
      return;
    }
  self->started = TRUE;

  /* Folders of backups are private: 0700 (design.md). */
  if (!g_file_make_directory_with_parents (self->folder, cancellable, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_autofree char *display = g_file_get_parse_name (self->folder);

          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_task_return_error (task, g_steal_pointer (&error));
          else
            g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                                     _("The folder “%s” could not be made: %s"), display,
                                     error->message);
          return;
        }
    }
  else
    {
      g_file_set_attribute_uint32 (self->folder, G_FILE_ATTRIBUTE_UNIX_MODE, 0700,
                                   G_FILE_QUERY_INFO_NONE, NULL, NULL);
    }

  run_fill (g_steal_pointer (&task));
}

gboolean
kvb_backup_job_run_finish (KvbBackupJob   *self,
                           GAsyncResult   *result,
                           KvbJobSummary  *summary,
                           GError        **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (summary != NULL)
    *summary = run->summary;

  return g_task_propagate_boolean (G_TASK (result), error);
}
