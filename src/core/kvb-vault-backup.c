/* kvb-vault-backup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-backup"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "kvb-backup-file.h"
#include "kvb-backup-reuse.h"
#include "kvb-error.h"
#include "kvb-file-util.h"
#include "kvb-json-util.h"
#include "kvb-object-backup.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-manifest-private.h"

/* The manifest is rewritten at most this often while objects finish (and always at the end):
 * what finished since the last write is redone by a resume, which costs little.  For a large
 * vault the gap grows with the time a write takes, so that writing stays a small share of the
 * run (the whole manifest is written each time). */
#define SAVE_INTERVAL_USEC (G_USEC_PER_SEC / 2)
#define SAVE_SHARE 20

struct _KvbVaultBackup
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  GFile *folder;
  guint max_parallel;
  gboolean adaptive;
  gboolean resume;
  char *subscription;
  char *location;
  char *tenant;
  char *cloud;
  GFile *previous;

  GPtrArray *selection;     /* (nullable): of Selected; without it the whole vault */

  gboolean started;
  KvbVaultManifest *previous_manifest;
  guint n_linked;
  guint n_copied;
  KvbVaultManifest *manifest;
  GPtrArray *items;
  GPtrArray *changed;
  guint n_kept;
};

/* One item of a selection: the object of its file, and the certificate's key or secret it stands
 * for. */
typedef struct
{
  KvbBackupJobItem *item;
  KvbObjectInfo *info;      /* (nullable): the target's own properties, when it was selected */
  GPtrArray *covered;       /* of KvbObjectInfo: a certificate's key or secret that was selected */
} Selected;

static void
selected_free (Selected *selected)
{
  g_clear_object (&selected->item);
  g_clear_object (&selected->info);
  g_clear_pointer (&selected->covered, g_ptr_array_unref);
  g_free (selected);
}

static void kvb_vault_backup_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbVaultBackup, kvb_vault_backup, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kvb_vault_backup_list_model_init))

static GType
kvb_vault_backup_get_item_type (GListModel *model)
{
  return KVB_TYPE_BACKUP_JOB_ITEM;
}

static guint
kvb_vault_backup_get_n_items (GListModel *model)
{
  return KVB_VAULT_BACKUP (model)->items->len;
}

static gpointer
kvb_vault_backup_get_item (GListModel *model,
                           guint       position)
{
  KvbVaultBackup *self = KVB_VAULT_BACKUP (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
kvb_vault_backup_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kvb_vault_backup_get_item_type;
  iface->get_n_items = kvb_vault_backup_get_n_items;
  iface->get_item = kvb_vault_backup_get_item;
}

static void
kvb_vault_backup_dispose (GObject *object)
{
  KvbVaultBackup *self = (KvbVaultBackup *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->folder);
  g_clear_object (&self->manifest);
  g_clear_object (&self->previous);
  g_clear_object (&self->previous_manifest);
  g_clear_pointer (&self->selection, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_vault_backup_parent_class)->dispose (object);
}

static void
kvb_vault_backup_finalize (GObject *object)
{
  KvbVaultBackup *self = (KvbVaultBackup *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->changed, g_ptr_array_unref);
  g_clear_pointer (&self->subscription, g_free);
  g_clear_pointer (&self->location, g_free);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->cloud, g_free);

  G_OBJECT_CLASS (kvb_vault_backup_parent_class)->finalize (object);
}

static void
kvb_vault_backup_class_init (KvbVaultBackupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_vault_backup_dispose;
  object_class->finalize = kvb_vault_backup_finalize;
}

static void
kvb_vault_backup_init (KvbVaultBackup *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->changed = g_ptr_array_new_with_free_func (g_free);
  self->max_parallel = KVB_VAULT_BACKUP_DEFAULT_PARALLEL;
  self->adaptive = TRUE;
}

KvbVaultBackup *
kvb_vault_backup_new (KvbKeyVaultClient *client,
                      GFile             *folder)
{
  KvbVaultBackup *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = g_object_new (KVB_TYPE_VAULT_BACKUP, NULL);
  self->client = g_object_ref (client);
  self->folder = g_object_ref (folder);
  return self;
}

/* The item of an object backed up as @kind: its file in the kind's sub-folder. */
static KvbBackupJobItem *
new_item (KvbVaultBackup *self,
          KvbObjectKind   item_kind,
          KvbObjectKind   file_kind,
          const char     *name)
{
  g_autofree char *file_name = NULL;
  g_autoptr(GFile) sub = NULL;
  g_autoptr(GFile) file = NULL;

  file_name = kvb_backup_file_build_name (kvb_keyvault_client_get_vault_name (self->client), name,
                                          file_kind);
  sub = g_file_get_child (self->folder, kvb_vault_manifest_kind_folder (file_kind));
  file = g_file_get_child (sub, file_name);
  return _kvb_backup_job_item_new (item_kind, name, file);
}

void
kvb_vault_backup_set_objects (KvbVaultBackup *self,
                              GPtrArray      *objects)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));
  g_return_if_fail (objects != NULL);
  g_return_if_fail (!self->started && self->selection == NULL);

  self->selection = g_ptr_array_new_with_free_func ((GDestroyNotify) selected_free);
  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *object = g_ptr_array_index (objects, i);
      Selected *selected = NULL;
      const char *name;
      KvbObjectKind kind;
      gboolean replaced;

      g_return_if_fail (KVB_IS_OBJECT_INFO (object));
      replaced = kvb_object_backup_get_target (object, &kind, &name);

      for (guint j = 0; j < self->selection->len && selected == NULL; j++)
        {
          Selected *other = g_ptr_array_index (self->selection, j);

          if (kvb_backup_job_item_get_kind (other->item) == kind &&
              g_strcmp0 (kvb_backup_job_item_get_name (other->item), name) == 0)
            selected = other;
        }
      if (selected == NULL)
        {
          selected = g_new0 (Selected, 1);
          selected->covered = g_ptr_array_new_with_free_func (g_object_unref);
          selected->item = new_item (self, kind, kind, name);
          g_ptr_array_add (self->selection, selected);
          g_ptr_array_add (self->items, g_object_ref (selected->item));
          g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
        }

      if (replaced)
        {
          _kvb_backup_job_item_set_replaced (selected->item);
          g_ptr_array_add (selected->covered, g_object_ref (object));
        }
      else if (selected->info == NULL)
        selected->info = g_object_ref (object);
    }
}

void
kvb_vault_backup_set_max_parallel (KvbVaultBackup *self,
                                   guint           max_parallel)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));
  self->max_parallel = MAX (max_parallel, 1);
  self->adaptive = FALSE;
}

void
kvb_vault_backup_set_resume (KvbVaultBackup *self,
                             gboolean        resume)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));
  self->resume = !!resume;
}

void
kvb_vault_backup_set_origin (KvbVaultBackup *self,
                             const char     *subscription,
                             const char     *location,
                             const char     *tenant,
                             const char     *cloud)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));

  g_free (self->subscription);
  self->subscription = g_strdup (subscription);
  g_free (self->location);
  self->location = g_strdup (location);
  g_free (self->tenant);
  self->tenant = g_strdup (tenant);
  g_free (self->cloud);
  self->cloud = g_strdup (cloud);
}

void
kvb_vault_backup_set_previous (KvbVaultBackup *self,
                               GFile          *previous)
{
  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));
  g_return_if_fail (previous == NULL || G_IS_FILE (previous));

  g_set_object (&self->previous, previous);
}

guint
kvb_vault_backup_get_n_linked (KvbVaultBackup *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP (self), 0);
  return self->n_linked;
}

guint
kvb_vault_backup_get_n_copied (KvbVaultBackup *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP (self), 0);
  return self->n_copied;
}

KvbVaultManifest *
kvb_vault_backup_get_manifest (KvbVaultBackup *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP (self), NULL);
  return self->manifest;
}

guint
kvb_vault_backup_get_n_kept (KvbVaultBackup *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP (self), 0);
  return self->n_kept;
}

GPtrArray *
kvb_vault_backup_get_changed (KvbVaultBackup *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_BACKUP (self), NULL);
  return self->changed;
}

/* ---- the run ---- */

/* Once every backup has ended the vault is listed a second time, to find the objects whose
 * "updated" moved while the job ran.  The second listing asks for all its pages at once, with
 * the links the first listing's pages gave (a link names a place in the list, not a moment: the
 * service's $skiptoken holds the last name of the page before), instead of walking the chain of
 * nextLinks one round trip at a time (9 s of a 40 s run at 5,000 objects).  An object that
 * moved from one page to another meanwhile may be missed by both: each object the second
 * listing did not bring is looked at on its own. */
typedef struct
{
  GPtrArray *links;         /* the first listing's pages: NULL for the first, then nextLinks */
  guint next_page;          /* the second listing: the next of @links to ask for */
} Listing;

typedef struct
{
  GTask *task;
  KvbObjectKind kind;
} ListCall;

typedef struct
{
  guint lists_pending;
  guint in_flight;
  GQueue queue;             /* KvbBackupJobItem, waiting for a free slot */
  GHashTable *seen;         /* "kind/name" listed in this run */
  GHashTable *earlier;      /* "kind/name" -> the earlier run's "updated" of objects done */
  GError *list_error;       /* the first kind that could not be listed */
  GError *save_error;
  GError *dest_error;       /* the folder takes no more files (disk full, read-only): stop */
  GError *sign_in_error;    /* the sign-in is no longer valid: every request would fail, stop */
  gint64 last_save;
  gint64 save_interval;
  guint limit;              /* backups in flight at most, now */
  guint calm;               /* objects done since the limit last moved */
  KvbJobSummary summary;

  Listing listing[KVB_OBJECT_KIND_N_KINDS];
  gboolean relisting;       /* the backups are over: the second listing runs */
  guint pages_pending;      /* of the second listing */
  GHashTable *relisted;     /* keys (borrowed from seen) the second listing brought */
  GHashTable *marked;       /* keys of the objects found changed */
  GPtrArray *unseen;        /* keys the second listing did not bring, to look at one by one */
  guint next_unseen;
  guint looks_pending;
} Run;

static void
run_free (Run *run)
{
  g_queue_clear_full (&run->queue, g_object_unref);
  g_clear_pointer (&run->seen, g_hash_table_unref);
  g_clear_pointer (&run->earlier, g_hash_table_unref);
  g_clear_error (&run->list_error);
  g_clear_error (&run->save_error);
  g_clear_error (&run->dest_error);
  g_clear_error (&run->sign_in_error);
  g_clear_pointer (&run->relisted, g_hash_table_unref);
  g_clear_pointer (&run->marked, g_hash_table_unref);
  g_clear_pointer (&run->unseen, g_ptr_array_unref);
  for (guint i = 0; i < KVB_OBJECT_KIND_N_KINDS; i++)
    g_clear_pointer (&run->listing[i].links, g_ptr_array_unref);
  g_free (run);
}

static char *
key_for (KvbObjectKind  kind,
         const char    *name)
{
  return g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
}

static void run_next (GTask *task);

/* A write that no other object's write would escape: the disk is full, the folder is on a
 * read-only file system or its quota is used.  Going on would only fetch secrets from the
 * vault to throw them away. */
static gboolean
is_destination_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

static void
note_destination_error (Run          *run,
                        const GError *error)
{
  if (run->dest_error == NULL && is_destination_error (error))
    {
      g_debug ("The backup folder takes no more files: %s", error->message);
      run->dest_error = g_error_copy (error);
    }
}

/* A refused sign-in (revoked, expired, password changed) fails every request that follows: the
 * job stops as for a full disk, and what it had not saved is left pending for a resume. */
static gboolean
note_sign_in_error (Run          *run,
                    const GError *error)
{
  if (!g_error_matches (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED))
    return FALSE;
  if (run->sign_in_error == NULL)
    {
      g_debug ("The sign-in was refused: %s", error->message);
      run->sign_in_error = g_error_copy (error);
    }
  return TRUE;
}

static void
save_manifest (GTask    *task,
               gboolean  now)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 t = g_get_monotonic_time ();

  if (!now && t - run->last_save < run->save_interval)
    return;
  if (!kvb_vault_manifest_save (self->manifest, self->folder, &error))
    {
      g_debug ("manifest: %s", error->message);
      note_destination_error (run, error);
      if (run->save_error == NULL)
        run->save_error = g_steal_pointer (&error);
    }
  run->last_save = g_get_monotonic_time ();
  run->save_interval = MAX (SAVE_INTERVAL_USEC, SAVE_SHARE * (run->last_save - t));
}

static JsonObject *
entry_for_item (KvbVaultBackup   *self,
                KvbBackupJobItem *item)
{
  return kvb_vault_manifest_lookup (self->manifest, kvb_backup_job_item_get_kind (item),
                                    kvb_backup_job_item_get_name (item));
}

static void
item_failed (GTask            *task,
             KvbBackupJobItem *item,
             const GError     *error)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  JsonObject *entry = entry_for_item (self, item);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || note_sign_in_error (run, error))
    {
      _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_PENDING, NULL);
      json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_PENDING);
      return;
    }

  if (self->adaptive &&
      (g_error_matches (error, KVB_ERROR, KVB_ERROR_THROTTLED) ||
       g_error_matches (error, KVB_ERROR, KVB_ERROR_TIMEOUT) ||
       g_error_matches (error, KVB_ERROR, KVB_ERROR_NETWORK)))
    {
      run->limit = MAX (run->limit / 2, 1);
      run->calm = 0;
      g_debug ("%u backups in flight at most after a failure", run->limit);
    }

  g_debug ("%s: %s", kvb_backup_job_item_get_name (item), error->message);
  _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_FAILED, error->message);
  json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_FAILED);
  json_object_set_string_member (entry, "reason", error->message);
  run->summary.n_failed++;
}

/* One object: (kept from the earlier run, or) count its versions, back it up, write the file. */
typedef struct
{
  GTask *task;              /* the run's */
  KvbBackupJobItem *item;
  guint versions;
  GPtrArray *version_lines; /* "VERSION UPDATED ENABLED" of each version, for the digest */
  char *versions_digest;
  JsonObject *reuse_from;   /* (nullable): the earlier backup's entry, when it may be reused */
  guint pending;            /* requests of this object still out */
  GBytes *blob;             /* the backup, once answered, until the versions are in too */
  GError *error;            /* the failure to report; the versions' wins, as when serial */
} ObjectOp;

static void
object_op_free (ObjectOp *op)
{
  g_clear_object (&op->task);
  g_clear_object (&op->item);
  g_clear_pointer (&op->version_lines, g_ptr_array_unref);
  g_clear_pointer (&op->versions_digest, g_free);
  g_clear_pointer (&op->reuse_from, json_object_unref);
  g_clear_pointer (&op->blob, g_bytes_unref);
  g_clear_error (&op->error);
  g_free (op);
}

static void
object_op_end (ObjectOp *op)
{
  g_autoptr(GTask) task = g_object_ref (op->task);
  Run *run = g_task_get_task_data (task);

  object_op_free (op);
  run->in_flight--;
  save_manifest (task, FALSE);
  run_next (g_steal_pointer (&task));
}

static char *
relative_file (KvbVaultBackup   *self,
               KvbBackupJobItem *item)
{
  g_autoptr(GFile) parent = g_file_get_parent (kvb_backup_job_item_get_file (item));
  g_autofree char *base = g_file_get_basename (kvb_backup_job_item_get_file (item));
  g_autofree char *sub = g_file_get_basename (parent);

  return g_strconcat (sub, "/", base, NULL);
}

static void
object_write_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ObjectOp *op = user_data;
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  Run *run = g_task_get_task_data (op->task);
  JsonObject *entry = entry_for_item (self, op->item);
  g_autoptr(GError) error = NULL;

  if (!kvb_backup_file_write_finish (result, &error))
    {
      json_object_remove_member (entry, "sha256");
      json_object_remove_member (entry, "size");
      note_destination_error (run, error);
      item_failed (op->task, op->item, error);
    }
  else
    {
      g_autofree char *display = g_file_get_parse_name (kvb_backup_job_item_get_file (op->item));
      g_autofree char *saved = g_strdup_printf (_("Saved to “%s”."), display);
      g_autofree char *message = NULL;

      /* A selected key or secret of a certificate: say why the file is the certificate's.
       * Whole sentences, each translated on its own. */
      if (kvb_backup_job_item_get_replaced (op->item))
        {
          g_autofree char *why = g_strdup_printf (
              _("The certificate “%s” was backed up in place of its key and secret: Key Vault "
                "backs them up only together with the certificate."),
              kvb_backup_job_item_get_name (op->item));

          message = g_strconcat (why, " ", saved, NULL);
        }
      else
        message = g_steal_pointer (&saved);

      json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_DONE);
      json_object_remove_member (entry, "reason");
      _kvb_backup_job_item_set_status (op->item, KVB_JOB_STATUS_DONE, message);
      run->summary.n_done++;
      if (self->adaptive && ++run->calm >= run->limit && run->limit < KVB_VAULT_BACKUP_MAX_PARALLEL)
        {
          run->limit++;
          run->calm = 0;
        }
    }
  object_op_end (op);
}

/* Both requests of the object are answered: report the failure, or write the file. */
static void
object_save (ObjectOp *op)
{
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  JsonObject *entry = entry_for_item (self, op->item);
  g_autoptr(GBytes) blob = g_steal_pointer (&op->blob);
  g_autofree char *digest = NULL;
  g_autofree char *relative = NULL;

  if (op->error == NULL)
    kvb_backup_file_check_answer (blob, kvb_backup_job_item_get_kind (op->item),
                                  kvb_keyvault_client_get_vault_name (self->client),
                                  kvb_backup_job_item_get_name (op->item), &op->error);
  if (op->error != NULL)
    {
      item_failed (op->task, op->item, op->error);
      object_op_end (op);
      return;
    }

  /* Recorded before the write; the status says done only once the file is in place.  The blob
   * goes with the write: nothing of it is kept once it is on disk. */
  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
  relative = relative_file (self, op->item);
  json_object_set_string_member (entry, "file", relative);
  json_object_set_int_member (entry, "size", g_bytes_get_size (blob));
  json_object_set_string_member (entry, "sha256", digest);
  json_object_set_int_member (entry, "versions", op->versions);
  if (op->versions_digest != NULL)
    json_object_set_string_member (entry, "versionsDigest", op->versions_digest);
  json_object_remove_member (entry, "reused");

  kvb_backup_file_write_async (kvb_backup_job_item_get_file (op->item), blob, TRUE,
                               g_task_get_cancellable (op->task), object_write_cb, op);
}

static void
object_backup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ObjectOp *op = user_data;
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  g_autoptr(GError) error = NULL;

  op->blob = kvb_keyvault_client_backup_finish (self->client, result, &error);
  if (op->blob == NULL && op->error == NULL)
    op->error = g_steal_pointer (&error);
  if (--op->pending > 0)
    return;
  object_save (op);
}

static void
count_versions (GPtrArray *objects,
                gpointer   user_data)
{
  ObjectOp *op = user_data;

  op->versions += objects->len;
  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      g_ptr_array_add (op->version_lines,
                       g_strdup_printf ("%s %" G_GINT64_FORMAT " %d",
                                        kvb_object_info_get_version (info),
                                        kvb_object_info_get_updated (info),
                                        kvb_object_info_get_enabled (info)));
    }
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* A digest of the version list: a version added, disabled or changed moves it even when the
 * object's own "updated" (its current version's) stays. */
static char *
digest_versions (GPtrArray *lines)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_ptr_array_sort (lines, compare_lines);
  for (guint i = 0; i < lines->len; i++)
    {
      g_checksum_update (checksum, g_ptr_array_index (lines, i), -1);
      g_checksum_update (checksum, (const guchar *) "\n", 1);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

static void object_reuse (ObjectOp *op);

static void
object_versions_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ObjectOp *op = user_data;
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  g_autoptr(GError) error = NULL;
  const char *digest;

  if (!kvb_keyvault_client_list_versions_finish (self->client, result, &error))
    {
      g_clear_error (&op->error);
      op->error = g_steal_pointer (&error);
    }
  else
    op->versions_digest = digest_versions (op->version_lines);

  if (--op->pending > 0)
    return;
  if (op->error != NULL || op->reuse_from == NULL)
    {
      object_save (op);
      return;
    }

  /* Unchanged since the earlier backup: same "updated" (checked before) and the same versions.
   * An earlier manifest without a digest only has the number of versions to go by. */
  digest = kvb_json_get_string (op->reuse_from, "versionsDigest", NULL);
  if (digest != NULL ? g_strcmp0 (digest, op->versions_digest) == 0 :
      kvb_json_get_int (op->reuse_from, "versions", -1) == op->versions)
    {
      object_reuse (op);
      return;
    }
  g_debug ("%s: its versions changed since the earlier backup",
           kvb_backup_job_item_get_name (op->item));

  op->pending = 1;
  kvb_keyvault_client_backup_async (self->client, kvb_backup_job_item_get_kind (op->item),
                                    kvb_backup_job_item_get_name (op->item),
                                    g_task_get_cancellable (op->task), object_backup_cb, op);
}

static void
object_start_backup (ObjectOp *op)
{
  KvbVaultBackup *self = g_task_get_source_object (op->task);

  op->versions = 0;
  g_clear_pointer (&op->versions_digest, g_free);
  g_clear_pointer (&op->version_lines, g_ptr_array_unref);
  op->version_lines = g_ptr_array_new_with_free_func (g_free);
  op->pending = 1;
  kvb_keyvault_client_list_versions_async (self->client, kvb_backup_job_item_get_kind (op->item),
                                           kvb_backup_job_item_get_name (op->item),
                                           count_versions, op,
                                           g_task_get_cancellable (op->task),
                                           object_versions_cb, op);

  /* The versions decide a reuse before any backup is asked for; otherwise they are only
   * recorded, and both requests go at once: one round trip an object instead of two. */
  if (op->reuse_from == NULL)
    {
      op->pending++;
      kvb_keyvault_client_backup_async (self->client, kvb_backup_job_item_get_kind (op->item),
                                        kvb_backup_job_item_get_name (op->item),
                                        g_task_get_cancellable (op->task), object_backup_cb, op);
    }
}

static void
reuse_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ObjectOp *op = user_data;
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  Run *run = g_task_get_task_data (op->task);
  JsonObject *entry = entry_for_item (self, op->item);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) taken = NULL;
  KvbBackupReuseMode mode = 0;

  taken = kvb_backup_reuse_finish (result, &mode, &error);
  if (taken == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          item_failed (op->task, op->item, error);
          object_op_end (op);
          return;
        }
      /* The earlier file is damaged or gone: the object is backed up as if it had changed. */
      g_debug ("%s not reused: %s", kvb_backup_job_item_get_name (op->item), error->message);
      op->pending = 1;
      kvb_keyvault_client_backup_async (self->client, kvb_backup_job_item_get_kind (op->item),
                                        kvb_backup_job_item_get_name (op->item),
                                        g_task_get_cancellable (op->task), object_backup_cb, op);
      return;
    }

  json_object_set_string_member (entry, "file", json_object_get_string_member (taken, "file"));
  json_object_set_int_member (entry, "size", json_object_get_int_member (taken, "size"));
  json_object_set_string_member (entry, "sha256", json_object_get_string_member (taken, "sha256"));
  json_object_set_int_member (entry, "versions", op->versions);
  json_object_set_string_member (entry, "versionsDigest", op->versions_digest);
  json_object_set_string_member (entry, "reused", mode == KVB_BACKUP_REUSE_LINK ? "link" : "copy");
  json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_DONE);
  json_object_remove_member (entry, "reason");
  _kvb_backup_job_item_set_status (op->item, KVB_JOB_STATUS_DONE,
                                   mode == KVB_BACKUP_REUSE_LINK ?
                                   _("Unchanged since the earlier backup: linked to its file.") :
                                   _("Unchanged since the earlier backup: its file was copied."));
  run->summary.n_done++;
  if (mode == KVB_BACKUP_REUSE_LINK)
    self->n_linked++;
  else
    self->n_copied++;
  object_op_end (op);
}

static void
object_reuse (ObjectOp *op)
{
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  g_autofree char *relative = relative_file (self, op->item);

  kvb_backup_reuse_async (op->reuse_from, self->previous, self->folder, relative,
                          g_task_get_cancellable (op->task), reuse_cb, op);
}

static void
keep_check_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ObjectOp *op = user_data;
  KvbVaultBackup *self = g_task_get_source_object (op->task);
  Run *run = g_task_get_task_data (op->task);
  GCancellable *cancellable = g_task_get_cancellable (op->task);
  g_autoptr(GError) check_error = NULL;

  if (kvb_backup_reuse_check_finish (result, &check_error))
    {
      g_autofree char *display = g_file_get_parse_name (kvb_backup_job_item_get_file (op->item));
      g_autofree char *message = g_strdup_printf (
          _("Kept from the earlier run: “%s” is unchanged."), display);

      _kvb_backup_job_item_set_status (op->item, KVB_JOB_STATUS_DONE, message);
      run->summary.n_done++;
      self->n_kept++;
      object_op_end (op);
      return;
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = NULL;

      g_cancellable_set_error_if_cancelled (cancellable, &error);
      item_failed (op->task, op->item, error);
      object_op_end (op);
      return;
    }
  g_debug ("not kept: %s", check_error->message);
  object_start_backup (op);
}

static void
object_start (GTask            *task,
              KvbBackupJobItem *item)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  JsonObject *entry = entry_for_item (self, item);
  ObjectOp *op = g_new0 (ObjectOp, 1);
  g_autofree char *key = key_for (kvb_backup_job_item_get_kind (item),
                                  kvb_backup_job_item_get_name (item));
  const char *earlier_updated;

  op->task = g_object_ref (task);
  op->item = g_object_ref (item);
  run->in_flight++;
  _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_RUNNING, _("Backing up…"));

  /* Kept only when done before and not updated since: the file is the object as it is. */
  if (g_hash_table_lookup_extended (run->earlier, key, NULL, (gpointer *) &earlier_updated) &&
      g_strcmp0 (earlier_updated,
                 kvb_json_get_string (entry, "updated", NULL)) == 0)
    {
      kvb_backup_reuse_check_async (entry, self->folder, g_task_get_cancellable (task),
                                    keep_check_cb, op);
      return;
    }

  /* Incremental: a candidate for reuse when the earlier backup has it done with the same
   * "updated"; the versions decide once they are listed. */
  if (self->previous_manifest != NULL)
    {
      JsonObject *earlier = kvb_vault_manifest_lookup (self->previous_manifest,
                                                       kvb_backup_job_item_get_kind (item),
                                                       kvb_backup_job_item_get_name (item));

      if (earlier != NULL &&
          g_strcmp0 (kvb_json_get_string (earlier, "status", NULL),
                     KVB_VAULT_MANIFEST_DONE) == 0 &&
          !kvb_json_get_boolean (earlier, "changedDuringBackup", FALSE) &&
          kvb_json_get_string (earlier, "updated", NULL) != NULL &&
          g_strcmp0 (kvb_json_get_string (earlier, "updated", NULL),
                     kvb_json_get_string (entry, "updated", NULL)) == 0)
        op->reuse_from = json_object_ref (earlier);
    }

  object_start_backup (op);
}

static void
set_tags (JsonObject    *entry,
          KvbObjectInfo *info)
{
  GHashTable *tags = kvb_object_info_get_tags (info);
  g_autoptr(JsonObject) out = json_object_new ();

  if (tags != NULL)
    {
      g_autoptr(GList) keys = g_hash_table_get_keys (tags);

      /* Sorted, so that two manifests of the same vault compare line by line. */
      keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
      for (GList *l = keys; l != NULL; l = l->next)
        json_object_set_string_member (out, l->data, g_hash_table_lookup (tags, l->data));
    }
  json_object_set_object_member (entry, "tags", g_steal_pointer (&out));
}

/* The manifest entry of a listed (or selected) object, with what the listing says of it. */
static JsonObject *
record_entry (KvbVaultBackup *self,
              KvbObjectInfo  *info)
{
  g_autofree char *updated = kvb_vault_manifest_format_time (kvb_object_info_get_updated (info));
  const char *content_type = kvb_object_info_get_content_type (info);
  JsonObject *entry;

  entry = kvb_vault_manifest_ensure (self->manifest, kvb_object_info_get_kind (info),
                                     kvb_object_info_get_name (info));
  /* Done in an earlier run but updated since: the file is no longer the object, and a run
   * killed before it is backed up again must not leave it recorded as done. */
  if (g_strcmp0 (kvb_json_get_string (entry, "status", NULL),
                 KVB_VAULT_MANIFEST_DONE) == 0 &&
      g_strcmp0 (kvb_json_get_string (entry, "updated", NULL), updated) != 0)
    json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_PENDING);
  if (updated != NULL)
    json_object_set_string_member (entry, "updated", updated);
  else
    json_object_set_null_member (entry, "updated");
  set_tags (entry, info);
  if (content_type != NULL)
    json_object_set_string_member (entry, "contentType", content_type);
  else
    json_object_set_null_member (entry, "contentType");
  json_object_set_boolean_member (entry, "managed", kvb_object_info_get_managed (info));
  json_object_set_boolean_member (entry, "enabled", kvb_object_info_get_enabled (info));
  return entry;
}

/* A certificate's key or secret: in the file of the certificate @name. */
static void
record_covered (JsonObject *entry,
                const char *name)
{
  json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_COVERED);
  json_object_set_string_member (entry, "coveredBy", name);
  json_object_remove_member (entry, "file");
  json_object_remove_member (entry, "size");
  json_object_remove_member (entry, "sha256");
  json_object_remove_member (entry, "reason");
}

static void
queue_item (GTask            *task,
            KvbBackupJobItem *item,
            JsonObject       *entry)
{
  Run *run = g_task_get_task_data (task);

  if (g_strcmp0 (kvb_json_get_string (entry, "status", NULL), KVB_VAULT_MANIFEST_DONE) != 0)
    json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_PENDING);
  g_queue_push_tail (&run->queue, g_object_ref (item));
}

static void
listed_for_backup (GTask         *task,
                   KvbObjectInfo *info)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  KvbObjectKind kind = kvb_object_info_get_kind (info);
  const char *name = kvb_object_info_get_name (info);
  g_autofree char *key = key_for (kind, name);
  g_autoptr(KvbBackupJobItem) item = NULL;
  gboolean covered;
  JsonObject *entry;

  if (!g_hash_table_add (run->seen, g_steal_pointer (&key)))
    return;

  /* Key Vault backs up a certificate's key and secret only with the certificate. */
  covered = kvb_object_info_get_managed (info) && kind != KVB_OBJECT_KIND_CERTIFICATE;

  entry = record_entry (self, info);
  item = new_item (self, kind, covered ? KVB_OBJECT_KIND_CERTIFICATE : kind, name);

  if (covered)
    {
      g_autofree char *message = g_strdup_printf (
          _("Backed up with the certificate “%s”: Key Vault backs up a certificate’s key and "
            "secret only together with it."), name);

      _kvb_backup_job_item_set_replaced (item);
      _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_SKIPPED, message);
      record_covered (entry, name);
      run->summary.n_skipped++;
    }
  else
    queue_item (task, item, entry);

  g_ptr_array_add (self->items, g_steal_pointer (&item));
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
}

/* A selection: its items are there already; what the vault knows of a certificate that was not
 * selected itself (only its key or secret) is asked for before its backup. */
typedef struct
{
  GTask *task;
  KvbBackupJobItem *item;
} SelectedCall;

static void
selected_properties_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SelectedCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  g_autoptr(KvbBackupJobItem) item = call->item;
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_free (call);
  run->lists_pending--;
  info = kvb_keyvault_client_get_properties_finish (KVB_KEYVAULT_CLIENT (source), result, &error);
  if (info != NULL)
    {
      g_hash_table_add (run->seen, key_for (kvb_backup_job_item_get_kind (item),
                                            kvb_backup_job_item_get_name (item)));
      queue_item (task, item, record_entry (self, info));
    }
  else
    {
      kvb_vault_manifest_ensure (self->manifest, kvb_backup_job_item_get_kind (item),
                                 kvb_backup_job_item_get_name (item));
      item_failed (task, item, error);
    }
  run_next (g_steal_pointer (&task));
}

static void
start_selection (GTask *task)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  for (guint i = 0; i < self->selection->len; i++)
    {
      Selected *selected = g_ptr_array_index (self->selection, i);
      const char *name = kvb_backup_job_item_get_name (selected->item);

      for (guint j = 0; j < selected->covered->len; j++)
        {
          KvbObjectInfo *info = g_ptr_array_index (selected->covered, j);

          g_hash_table_add (run->seen, key_for (kvb_object_info_get_kind (info),
                                                kvb_object_info_get_name (info)));
          record_covered (record_entry (self, info), name);
        }

      if (selected->info != NULL)
        {
          g_hash_table_add (run->seen, key_for (kvb_backup_job_item_get_kind (selected->item),
                                                name));
          queue_item (task, selected->item, record_entry (self, selected->info));
        }
      else
        {
          SelectedCall *call = g_new0 (SelectedCall, 1);

          call->task = g_object_ref (task);
          call->item = g_object_ref (selected->item);
          run->lists_pending++;
          kvb_keyvault_client_get_properties_async (self->client,
                                                    kvb_backup_job_item_get_kind (selected->item),
                                                    name, NULL, g_task_get_cancellable (task),
                                                    selected_properties_cb, call);
        }
    }
  run_next (g_object_ref (task));
}

static void
mark_changed (GTask         *task,
              KvbObjectKind  kind,
              const char    *name,
              JsonObject    *entry)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autofree char *key = key_for (kind, name);
  gpointer stored_key;

  /* A page that moved under the listing can name an object twice. */
  if (!g_hash_table_lookup_extended (run->seen, key, &stored_key, NULL) ||
      !g_hash_table_add (run->marked, stored_key))
    return;
  json_object_set_boolean_member (entry, "changedDuringBackup", TRUE);
  g_ptr_array_add (self->changed, g_strdup_printf ("%s %s", kvb_object_kind_to_string (kind), name));
}

typedef struct
{
  GTask *task;
  KvbObjectKind kind;
  char *name;
} Look;

static void
look_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Look *look = user_data;
  KvbVaultBackup *self = g_task_get_source_object (look->task);
  Run *run = g_task_get_task_data (look->task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  JsonObject *entry;

  run->looks_pending--;
  info = kvb_keyvault_client_get_properties_finish (KVB_KEYVAULT_CLIENT (source), result, &error);
  entry = kvb_vault_manifest_lookup (self->manifest, look->kind, look->name);
  if (info == NULL)
    {
      /* Deleted since: as when the second listing no longer names it. */
      g_debug ("%s: not looked at again: %s", look->name, error->message);
      note_sign_in_error (run, error);
    }
  else if (entry != NULL)
    {
      g_autofree char *updated =
          kvb_vault_manifest_format_time (kvb_object_info_get_updated (info));

      if (g_strcmp0 (updated, kvb_json_get_string (entry, "updated", NULL)) != 0)
        mark_changed (look->task, look->kind, look->name, entry);
    }
  run_next (look->task);
  g_free (look->name);
  g_free (look);
}

static void
listed_again (GTask         *task,
              KvbObjectInfo *info)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  KvbObjectKind kind = kvb_object_info_get_kind (info);
  const char *name = kvb_object_info_get_name (info);
  g_autofree char *updated = kvb_vault_manifest_format_time (kvb_object_info_get_updated (info));
  g_autofree char *key = key_for (kind, name);
  JsonObject *entry = kvb_vault_manifest_lookup (self->manifest, kind, name);
  gpointer stored_key;

  /* Not listed the first time: new since, and not part of this backup. */
  if (entry == NULL || !g_hash_table_lookup_extended (run->seen, key, &stored_key, NULL))
    return;
  g_hash_table_add (run->relisted, stored_key);
  if (g_strcmp0 (updated, kvb_json_get_string (entry, "updated", NULL)) != 0)
    mark_changed (task, kind, name, entry);
}

static gboolean
run_stopped (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  return g_cancellable_is_cancelled (g_task_get_cancellable (task)) || run->list_error != NULL ||
         run->dest_error != NULL || run->sign_in_error != NULL;
}

static void
note_list_error (Run     *run,
                 GError **error)
{
  note_sign_in_error (run, *error);
  if (run->list_error == NULL && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    run->list_error = g_steal_pointer (error);
}

static void
relist_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *next_link = NULL;

  run->pages_pending--;
  page = kvb_keyvault_client_list_page_finish (KVB_KEYVAULT_CLIENT (source), result, &next_link,
                                               &error);
  if (page == NULL)
    note_list_error (run, &error);
  else
    for (guint i = 0; i < page->len; i++)
      listed_again (task, g_ptr_array_index (page, i));
  run_next (g_steal_pointer (&task));
}

/* The second listing, then the look at each object it did not bring: as many requests out at
 * once as backups were, the pipeline paces them.  Returns whether anything is still out. */
static gboolean
relist_pump (GTask *task)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint limit = MAX (run->limit, 1);

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      Listing *listing = &run->listing[kind];

      while (listing->next_page < listing->links->len && run->pages_pending < limit &&
             !run_stopped (task))
        {
          run->pages_pending++;
          kvb_keyvault_client_list_page_async (self->client, kind, FALSE,
                                               g_ptr_array_index (listing->links,
                                                                  listing->next_page++),
                                               cancellable, relist_cb, g_object_ref (task));
        }
    }
  if (run->pages_pending > 0)
    return TRUE;

  if (run->unseen == NULL)
    {
      GHashTableIter iter;
      gpointer key;

      run->unseen = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, run->seen);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (run->relisted, key))
          g_ptr_array_add (run->unseen, key);
      if (run->unseen->len > 0)
        g_debug ("%u objects not in the second listing: looked at one by one", run->unseen->len);
    }
  while (run->next_unseen < run->unseen->len && run->looks_pending < limit && !run_stopped (task))
    {
      const char *key = g_ptr_array_index (run->unseen, run->next_unseen++);
      const char *slash = strchr (key, '/');
      g_autofree char *kind_text = g_strndup (key, slash - key);
      Look *look = g_new0 (Look, 1);

      if (!kvb_object_kind_from_string (kind_text, &look->kind))
        {
          g_free (look);
          continue;
        }
      look->task = g_object_ref (task);
      look->name = g_strdup (slash + 1);
      run->looks_pending++;
      kvb_keyvault_client_get_properties_async (self->client, look->kind, look->name, NULL,
                                                cancellable, look_cb, look);
    }
  return run->looks_pending > 0;
}

static void
list_page_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ListCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  Listing *listing = &run->listing[call->kind];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *next_link = NULL;

  run->lists_pending--;
  page = kvb_keyvault_client_list_page_finish (KVB_KEYVAULT_CLIENT (source), result, &next_link,
                                               &error);
  if (page == NULL)
    {
      g_free (call);
      note_list_error (run, &error);
      run_next (g_steal_pointer (&task));
      return;
    }

  g_debug ("Vault %s: a page of %u %s", kvb_keyvault_client_get_vault_name (self->client),
           page->len, kvb_object_kind_get_collection (call->kind));
  for (guint i = 0; i < page->len; i++)
    listed_for_backup (task, g_ptr_array_index (page, i));

  if (next_link != NULL && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_ptr_array_add (listing->links, g_strdup (next_link));
      run->lists_pending++;
      call->task = g_object_ref (task);
      kvb_keyvault_client_list_page_async (self->client, call->kind, FALSE, next_link,
                                           g_task_get_cancellable (task), list_page_cb, call);
    }
  else
    g_free (call);
  run_next (g_steal_pointer (&task));
}

/* The first listing: each kind page by page, its objects queued for backup as they come. */
static void
start_lists (GTask *task)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      ListCall *call = g_new0 (ListCall, 1);

      call->task = g_object_ref (task);
      call->kind = kind;
      g_ptr_array_add (run->listing[kind].links, NULL);
      run->lists_pending++;
      kvb_keyvault_client_list_page_async (self->client, kind, FALSE, NULL,
                                           g_task_get_cancellable (task), list_page_cb, call);
    }
}

static void
run_finish_up (GTask *task)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);

  /* Found in the order the backups ended: reported in a stable one. */
  g_ptr_array_sort (self->changed, compare_lines);

  /* Likewise in a selection, where the key or secret is not an item of its own. */
  for (guint i = 0; self->selection != NULL && i < self->selection->len; i++)
    {
      Selected *selected = g_ptr_array_index (self->selection, i);
      const char *name = kvb_backup_job_item_get_name (selected->item);
      g_autofree char *reason = NULL;

      if (kvb_backup_job_item_get_status (selected->item) != KVB_JOB_STATUS_FAILED)
        continue;
      reason = g_strdup_printf (_("Not backed up: Key Vault backs it up only with the certificate "
                                  "“%s”, which was not backed up."), name);
      for (guint j = 0; j < selected->covered->len; j++)
        {
          KvbObjectInfo *info = g_ptr_array_index (selected->covered, j);
          JsonObject *entry = kvb_vault_manifest_lookup (self->manifest,
                                                         kvb_object_info_get_kind (info),
                                                         kvb_object_info_get_name (info));

          json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_FAILED);
          json_object_set_string_member (entry, "reason", reason);
        }
    }

  /* A certificate's key and secret are in its file: when the certificate failed, so did they,
   * and the manifest must not call them covered. */
  for (guint i = 0; i < self->items->len; i++)
    {
      KvbBackupJobItem *item = g_ptr_array_index (self->items, i);
      const char *name = kvb_backup_job_item_get_name (item);
      JsonObject *certificate;
      JsonObject *entry;
      g_autofree char *reason = NULL;

      if (!kvb_backup_job_item_get_replaced (item) ||
          kvb_backup_job_item_get_status (item) != KVB_JOB_STATUS_SKIPPED)
        continue;
      certificate = kvb_vault_manifest_lookup (self->manifest, KVB_OBJECT_KIND_CERTIFICATE, name);
      if (certificate == NULL ||
          g_strcmp0 (kvb_json_get_string (certificate, "status", NULL),
                     KVB_VAULT_MANIFEST_FAILED) != 0)
        continue;
      reason = g_strdup_printf (_("Not backed up: Key Vault backs it up only with the certificate "
                                  "“%s”, which was not backed up."), name);
      entry = entry_for_item (self, item);
      json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_FAILED);
      json_object_set_string_member (entry, "reason", reason);
      _kvb_backup_job_item_set_status (item, KVB_JOB_STATUS_FAILED, reason);
      run->summary.n_skipped--;
      run->summary.n_failed++;
    }

  /* What an earlier run recorded and this one no longer lists: kept when it was backed up
   * (the backup still has it), dropped otherwise.  A selection lists nothing: the rest of the
   * manifest stays. */
  if (!g_cancellable_is_cancelled (cancellable) && run->list_error == NULL)
    {
      guint n_objects = self->selection == NULL ? kvb_vault_manifest_get_n_objects (self->manifest)
                                                : 0;

      for (guint i = 0; i < n_objects; i++)
        {
          JsonObject *entry = kvb_vault_manifest_get_object (self->manifest, i);
          KvbObjectKind kind;
          g_autofree char *key = NULL;

          if (!kvb_vault_manifest_entry_get_kind (entry, &kind))
            continue;
          key = key_for (kind, json_object_get_string_member (entry, "name"));
          if (!g_hash_table_contains (run->seen, key) &&
              g_strcmp0 (kvb_json_get_string (entry, "status", NULL),
                         KVB_VAULT_MANIFEST_DONE) != 0)
            g_ptr_array_add (stale, g_steal_pointer (&key));
        }
      for (guint i = 0; i < stale->len; i++)
        {
          const char *key = g_ptr_array_index (stale, i);
          const char *slash = strchr (key, '/');
          g_autofree char *kind_text = g_strndup (key, slash - key);
          KvbObjectKind kind;

          if (kvb_object_kind_from_string (kind_text, &kind))
            kvb_vault_manifest_remove (self->manifest, kind, slash + 1);
        }
      kvb_vault_manifest_set_times (self->manifest, kvb_vault_manifest_get_started (self->manifest),
                                    g_get_real_time () / G_USEC_PER_SEC);
    }
  save_manifest (task, TRUE);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = NULL;

      g_cancellable_set_error_if_cancelled (cancellable, &error);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else if (run->dest_error != NULL)
    {
      g_autofree char *folder = g_file_get_parse_name (self->folder);
      guint n_left = run->summary.n_failed + g_queue_get_length (&run->queue);
      const char *why = run->dest_error->code == G_IO_ERROR_NO_SPACE ? _("its disk is full")
                        : run->dest_error->code == G_IO_ERROR_READ_ONLY
                          ? _("its file system is read-only")
                          : _("it may not be written to");

      g_task_return_new_error (task, G_IO_ERROR, run->dest_error->code,
                               _("The backup stopped because the folder “%s” takes no more "
                                 "files: %s. %u objects were saved, %u were not. Free some "
                                 "space or choose a folder on another disk, then resume the "
                                 "backup."),
                               folder, why, run->summary.n_done, n_left);
    }
  else if (run->sign_in_error != NULL)
    {
      guint n_left = 0;

      for (guint i = 0; i < self->items->len; i++)
        {
          KvbJobStatus status = kvb_backup_job_item_get_status (g_ptr_array_index (self->items, i));

          n_left += status != KVB_JOB_STATUS_DONE && status != KVB_JOB_STATUS_SKIPPED;
        }
      /* Translators: the first %s is the sign-in's own message ("… sign in again.") */
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                               _("The backup stopped. %s %u objects were saved, %u were not. "
                                 "Once signed in again, resume the backup."),
                               run->sign_in_error->message, run->summary.n_done, n_left);
    }
  else if (run->list_error != NULL)
    g_task_return_error (task, g_steal_pointer (&run->list_error));
  else if (run->save_error != NULL)
    g_task_return_error (task, g_steal_pointer (&run->save_error));
  else
    {
      g_debug ("Backup of %s: %u done (%u kept), %u covered, %u failed, %u changed meanwhile",
               kvb_keyvault_client_get_vault_name (self->client), run->summary.n_done,
               self->n_kept, run->summary.n_skipped, run->summary.n_failed, self->changed->len);
      g_task_return_boolean (task, TRUE);
    }
}

/* Starts what can start: backups while the first listing brings objects, then the second
 * listing; once nothing is left, ends.  Takes @task. */
static void
run_next (GTask *task)
{
  KvbVaultBackup *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  if (!run->relisting)
    {
      while (!g_queue_is_empty (&run->queue) && run->in_flight < run->limit &&
             !run_stopped (task))
        {
          g_autoptr(KvbBackupJobItem) item = g_queue_pop_head (&run->queue);

          object_start (task, item);
        }
      if (run->lists_pending > 0 || run->in_flight > 0)
        {
          g_object_unref (task);
          return;
        }
      /* A selection has no listing to repeat: see kvb_vault_backup_set_objects(). */
      if (!run_stopped (task) && self->selection == NULL)
        {
          save_manifest (task, TRUE);
          run->relisting = TRUE;
        }
    }

  if (run->relisting && relist_pump (task))
    {
      g_object_unref (task);
      return;
    }

  run_finish_up (task);
  g_object_unref (task);
}

/* Our writer's temporary files (".NAME.XXXXXX") that a killed run left behind: blobs in the
 * kind folders (@suffix ".kvbackup."), the manifest's in the folder itself. */
static void
remove_partial_files (GFile      *sub,
                      const char *suffix)
{
  g_autofree char *path = g_file_get_path (sub);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *base;

  if (dir == NULL)
    return;
  while ((base = g_dir_read_name (dir)) != NULL)
    {
      if (base[0] == '.' && strstr (base, suffix) != NULL)
        {
          g_autofree char *partial = g_build_filename (path, base, NULL);

          g_unlink (partial);
        }
    }
}

static gboolean
make_private_folder (GFile         *folder,
                     GError       **error)
{
  g_autofree char *path = g_file_get_path (folder);

  /* Folders of backups are private: 0700 (design.md). */
  if (path == NULL || g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;
      g_autofree char *display = g_file_get_parse_name (folder);

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("The folder “%s” could not be made: %s. Choose another folder."),
                   display, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
prepare_folder (KvbVaultBackup  *self,
                Run             *run,
                GError         **error)
{
  g_autoptr(KvbVaultManifest) earlier = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *vault_url = kvb_keyvault_client_get_vault_url (self->client);

  if (self->previous != NULL)
    {
      g_autofree char *display = g_file_get_parse_name (self->previous);

      if (g_file_equal (self->previous, self->folder))
        {
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("The earlier backup “%s” is the folder of this backup. Choose a new "
                         "folder for the incremental backup."), display);
          return FALSE;
        }
      self->previous_manifest = kvb_vault_manifest_load (self->previous, error);
      if (self->previous_manifest == NULL)
        return FALSE;
      if (g_ascii_strcasecmp (kvb_vault_manifest_get_vault_uri (self->previous_manifest),
                              vault_url) != 0)
        {
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("“%s” holds the backup of another vault (%s): an incremental backup "
                         "builds on a backup of the same vault."),
                       display, kvb_vault_manifest_get_vault_uri (self->previous_manifest));
          return FALSE;
        }
    }

  if (!make_private_folder (self->folder, error))
    return FALSE;

  earlier = kvb_vault_manifest_load (self->folder, &local_error);
  if (earlier == NULL && !g_error_matches (local_error, KVB_ERROR, KVB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (earlier != NULL && !self->resume)
    {
      g_autofree char *display = g_file_get_parse_name (self->folder);

      g_set_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                   _("“%s” already holds a vault backup. Continue it (--resume) or choose "
                     "another folder."), display);
      return FALSE;
    }
  if (earlier != NULL &&
      g_ascii_strcasecmp (kvb_vault_manifest_get_vault_uri (earlier), vault_url) != 0)
    {
      g_autofree char *display = g_file_get_parse_name (self->folder);

      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("“%s” holds the backup of another vault (%s). Choose another folder."),
                   display, kvb_vault_manifest_get_vault_uri (earlier));
      return FALSE;
    }

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      g_autoptr(GFile) sub = g_file_get_child (self->folder, kvb_vault_manifest_kind_folder (kind));

      if (!make_private_folder (sub, error))
        return FALSE;
      remove_partial_files (sub, KVB_BACKUP_FILE_EXTENSION ".");
    }
  remove_partial_files (self->folder, "." KVB_VAULT_MANIFEST_FILE_NAME ".");

  if (earlier != NULL)
    {
      self->manifest = g_steal_pointer (&earlier);
      for (guint i = 0; i < kvb_vault_manifest_get_n_objects (self->manifest); i++)
        {
          JsonObject *entry = kvb_vault_manifest_get_object (self->manifest, i);
          KvbObjectKind kind;

          if (kvb_vault_manifest_entry_get_kind (entry, &kind) &&
              g_strcmp0 (kvb_json_get_string (entry, "status", NULL),
                         KVB_VAULT_MANIFEST_DONE) == 0)
            g_hash_table_insert (run->earlier,
                                 key_for (kind, json_object_get_string_member (entry, "name")),
                                 g_strdup (kvb_json_get_string (entry, "updated", NULL)));
        }
    }
  else
    {
      self->manifest = kvb_vault_manifest_new (vault_url);
      kvb_vault_manifest_set_times (self->manifest, g_get_real_time () / G_USEC_PER_SEC, 0);
    }
  kvb_vault_manifest_set_origin (self->manifest, self->subscription, self->location, self->tenant,
                                 self->cloud);
  if (self->previous != NULL)
    {
      g_autofree char *previous_path = g_file_get_path (self->previous);

      kvb_vault_manifest_set_previous (self->manifest, previous_path);
    }
  kvb_vault_manifest_set_times (self->manifest, kvb_vault_manifest_get_started (self->manifest), 0);
  /* Entries are looked up again in every callback: most can be kept as text (issue 10). */
  _kvb_vault_manifest_set_compact (self->manifest, TRUE);

  /* Written at once, so that a run killed before its first object can be resumed. */
  return kvb_vault_manifest_save (self->manifest, self->folder, error);
}

void
kvb_vault_backup_run_async (KvbVaultBackup      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Run *run;

  g_return_if_fail (KVB_IS_VAULT_BACKUP (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_backup_run_async);
  run = g_new0 (Run, 1);
  g_queue_init (&run->queue);
  run->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->relisted = g_hash_table_new (g_direct_hash, g_direct_equal);
  run->marked = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < KVB_OBJECT_KIND_N_KINDS; i++)
    run->listing[i].links = g_ptr_array_new_with_free_func (g_free);
  run->earlier = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  if (self->started)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("This backup has already run."));
      return;
    }
  self->started = TRUE;

  if (!prepare_folder (self, run, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  run->last_save = g_get_monotonic_time ();
  run->save_interval = SAVE_INTERVAL_USEC;
  run->limit = self->max_parallel;
  if (self->selection != NULL)
    start_selection (task);
  else
    start_lists (task);
}

gboolean
kvb_vault_backup_run_finish (KvbVaultBackup  *self,
                             GAsyncResult    *result,
                             KvbJobSummary   *summary,
                             GError         **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (summary != NULL)
    *summary = run->summary;
  return g_task_propagate_boolean (G_TASK (result), error);
}
