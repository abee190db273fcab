/* kvb-vault-restore.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-restore"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-geography.h"
#include "kvb-json-util.h"
#include "kvb-vault-restore.h"

struct _KvbVaultRestore
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  GFile *folder;
  gboolean purge_protection;
  KvbVaultManifest *manifest;
  KvbRestorePlan *plan;
  char *notice;
  GPtrArray *problems;
};

G_DEFINE_FINAL_TYPE (KvbVaultRestore, kvb_vault_restore, G_TYPE_OBJECT)

static void
kvb_vault_restore_dispose (GObject *object)
{
  KvbVaultRestore *self = (KvbVaultRestore *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->folder);
  g_clear_object (&self->manifest);
  g_clear_object (&self->plan);

  G_OBJECT_CLASS (kvb_vault_restore_parent_class)->dispose (object);
}

static void
kvb_vault_restore_finalize (GObject *object)
{
  KvbVaultRestore *self = (KvbVaultRestore *)object;

  g_clear_pointer (&self->notice, g_free);
  g_clear_pointer (&self->problems, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_vault_restore_parent_class)->finalize (object);
}

static void
kvb_vault_restore_class_init (KvbVaultRestoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_vault_restore_dispose;
  object_class->finalize = kvb_vault_restore_finalize;
}

static void
kvb_vault_restore_init (KvbVaultRestore *self)
{
  self->problems = g_ptr_array_new_with_free_func (g_free);
}

KvbVaultRestore *
kvb_vault_restore_new (KvbKeyVaultClient *client,
                       GFile             *folder)
{
  KvbVaultRestore *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = g_object_new (KVB_TYPE_VAULT_RESTORE, NULL);
  self->client = g_object_ref (client);
  self->folder = g_object_ref (folder);
  return self;
}

const char *
kvb_vault_restore_get_notice (KvbVaultRestore *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_RESTORE (self), NULL);
  return self->notice;
}

KvbVaultManifest *
kvb_vault_restore_get_manifest (KvbVaultRestore *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_RESTORE (self), NULL);
  return self->manifest;
}

KvbRestorePlan *
kvb_vault_restore_get_plan (KvbVaultRestore *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_RESTORE (self), NULL);
  return self->plan;
}

GPtrArray *
kvb_vault_restore_get_problems (KvbVaultRestore *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_RESTORE (self), NULL);
  return self->problems;
}

/* Key Vault restores only into a vault of the same subscription and geography; a blob sent
 * elsewhere fails after the fact, so this is checked before anything is sent. */
gboolean
kvb_vault_restore_load (KvbVaultRestore  *self,
                        KvbVaultInfo     *target,
                        GError          **error)
{
  const char *vault_name, *from_sub, *from_location, *to_sub, *to_location;
  gboolean known = FALSE;

  g_return_val_if_fail (KVB_IS_VAULT_RESTORE (self), FALSE);
  g_return_val_if_fail (target == NULL || KVB_IS_VAULT_INFO (target), FALSE);

  g_clear_object (&self->manifest);
  self->manifest = kvb_vault_manifest_load (self->folder, error);
  if (self->manifest == NULL)
    return FALSE;

  vault_name = kvb_keyvault_client_get_vault_name (self->client);
  from_sub = kvb_vault_manifest_get_subscription (self->manifest);
  from_location = kvb_vault_manifest_get_location (self->manifest);
  to_sub = target != NULL ? kvb_vault_info_get_subscription_id (target) : NULL;
  to_location = target != NULL ? kvb_vault_info_get_location (target) : NULL;
  self->purge_protection = target != NULL && kvb_vault_info_get_purge_protection (target);

  if (from_sub != NULL && to_sub != NULL && g_ascii_strcasecmp (from_sub, to_sub) != 0)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE,
                   _("The backup comes from subscription %s and %s is in subscription %s: "
                     "Key Vault restores only into a vault of the same subscription. "
                     "Nothing was sent."), from_sub, vault_name, to_sub);
      return FALSE;
    }
  if (from_location != NULL && to_location != NULL &&
      !kvb_geography_same (from_location, to_location, &known) && known)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE,
                   _("The backup comes from %s and %s is in %s, another geography: Key "
                     "Vault restores only into a vault of the same geography. Nothing "
                     "was sent."), from_location, vault_name, to_location);
      return FALSE;
    }

  g_clear_pointer (&self->notice, g_free);
  if (from_sub == NULL || to_sub == NULL)
    self->notice = g_strdup (_("The subscription and location of the backup or of the vault are "
                               "not known, so they were not checked; the vault will refuse the "
                               "restore if they do not fit."));
  else if (from_location != NULL && to_location != NULL && !known)
    self->notice = g_strdup_printf (_("Whether %s and %s are in the same geography is not known "
                                      "here; the vault will refuse the restore if they are not."),
                                    from_location, to_location);
  return TRUE;
}

/* ---- prepare ---- */

static void
prepare_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_restore_plan_prepare_finish (KVB_RESTORE_PLAN (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
kvb_vault_restore_prepare_async (KvbVaultRestore     *self,
                                 KvbRestoreAction     soft_deleted_action,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);

  g_return_if_fail (KVB_IS_VAULT_RESTORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_restore_prepare_async);

  if (self->manifest == NULL || self->plan != NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("This restore was not loaded, or was already prepared."));
      return;
    }

  /* Only files that are as the manifest recorded them go into the plan.  They are small: read
   * here, as the window reads a file it is given. */
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (self->manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (self->manifest, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = NULL;

      if (g_strcmp0 (kvb_json_get_string (entry, "status", NULL),
                     KVB_VAULT_MANIFEST_DONE) != 0)
        continue;
      if (!kvb_vault_manifest_check_entry (entry, self->folder, &error))
        {
          g_ptr_array_add (self->problems,
                           g_strdup_printf (_("Not restored: %s"), error->message));
          continue;
        }
      file = g_file_resolve_relative_path (self->folder, json_object_get_string_member (entry, "file"));
      g_list_store_append (files, file);
    }

  self->plan = kvb_restore_plan_new (self->client, self->purge_protection);
  kvb_restore_plan_set_soft_deleted_action (self->plan, soft_deleted_action);
  kvb_restore_plan_prepare_async (self->plan, G_LIST_MODEL (files), cancellable, prepare_cb,
                                  g_steal_pointer (&task));
}

gboolean
kvb_vault_restore_prepare_finish (KvbVaultRestore  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- run, then check ---- */

/* Version counts asked at once after the run: the per-vault pacer spaces them. */
#define CHECK_PARALLEL 16

typedef struct
{
  KvbJobSummary summary;
  GHashTable *present;      /* "kind/name" listed after the run */
  GPtrArray *restored;      /* JsonObject (borrowed from the manifest) of what was restored */
  guint lists_pending;
  gboolean compared;        /* the manifest was compared with the lists */
  guint next_restored;
  guint in_flight;
  GError *error;            /* the first failure; returned once nothing is in flight */
} Run;

static void
run_free (Run *run)
{
  g_clear_pointer (&run->present, g_hash_table_unref);
  g_clear_pointer (&run->restored, g_ptr_array_unref);
  g_clear_error (&run->error);
  g_free (run);
}

static char *
key_for (KvbObjectKind  kind,
         const char    *name)
{
  return g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
}

static void check_next (GTask *task);

/* The versions of one restored object, counted. */
typedef struct
{
  GTask *task;
  JsonObject *entry;        /* borrowed from the manifest */
  guint versions;
} VersionCount;

static void
versions_page_cb (GPtrArray *objects,
                  gpointer   user_data)
{
  VersionCount *count = user_data;

  count->versions += objects->len;
}

static void
versions_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VersionCount *count = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&count->task);
  KvbVaultRestore *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  JsonObject *entry = count->entry;
  g_autoptr(GError) error = NULL;
  gint64 want;

  run->in_flight--;
  if (!kvb_keyvault_client_list_versions_finish (self->client, result, &error))
    {
      if (run->error == NULL)
        run->error = g_steal_pointer (&error);
    }
  else
    {
      want = kvb_json_get_int (entry, "versions", 0);
      if (want > 0 && count->versions != want)
        g_ptr_array_add (self->problems, g_strdup_printf (
            /* Translators: the kind of object, its name, two counts */
            _("%s “%s” has %u versions after the restore where the backup has %d."),
            json_object_get_string_member (entry, "kind"), json_object_get_string_member (entry, "name"),
            count->versions, (int) want));
    }
  g_free (count);
  check_next (g_steal_pointer (&task));
}

static void
present_page_cb (GPtrArray *objects,
                 gpointer   user_data)
{
  Run *run = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      g_hash_table_add (run->present, key_for (kvb_object_info_get_kind (info),
                                               kvb_object_info_get_name (info)));
    }
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbVaultRestore *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  run->lists_pending--;
  if (!kvb_keyvault_client_list_finish (self->client, result, &error) && run->error == NULL)
    run->error = g_steal_pointer (&error);
  check_next (g_steal_pointer (&task));
}

/* What the manifest has and the vault does not, once the lists are in. */
static void
find_missing (KvbVaultRestore *self,
              Run             *run)
{
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (self->manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (self->manifest, i);
      const char *status = kvb_json_get_string (entry, "status", "");
      const char *name = json_object_get_string_member (entry, "name");
      g_autofree char *key = NULL;
      KvbObjectKind kind;

      if ((g_strcmp0 (status, KVB_VAULT_MANIFEST_DONE) != 0 &&
           g_strcmp0 (status, KVB_VAULT_MANIFEST_COVERED) != 0) ||
          !kvb_vault_manifest_entry_get_kind (entry, &kind))
        continue;
      key = key_for (kind, name);
      if (!g_hash_table_contains (run->present, key))
        g_ptr_array_add (self->problems, g_strdup_printf (
            /* Translators: the kind of object, its name */
            _("%s “%s” is not in the vault after the restore."),
            kvb_object_kind_to_string (kind), name));
    }
}

/* The manifest entries of the files the run restored: their versions are counted. */
static void
collect_restored (KvbVaultRestore *self,
                  Run             *run)
{
  run->restored = g_ptr_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);
      KvbRestoreAction action = kvb_restore_plan_entry_get_action (entry);
      JsonObject *recorded;

      if (kvb_restore_plan_entry_get_status (entry) != KVB_JOB_STATUS_DONE ||
          (action != KVB_RESTORE_ACTION_RESTORE &&
           action != KVB_RESTORE_ACTION_PURGE_AND_RESTORE))
        continue;
      recorded = kvb_vault_manifest_lookup (self->manifest,
                                            kvb_restore_plan_entry_get_kind (entry),
                                            kvb_restore_plan_entry_get_name (entry));
      if (recorded != NULL)
        g_ptr_array_add (run->restored, recorded);
    }
}

/* Counts the versions of each restored object, several at a time, while the three kinds are
 * listed (a chain of pages each); once the lists are in, compares the manifest with them.
 * Takes @task. */
static void
check_next (GTask *task)
{
  KvbVaultRestore *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (run->lists_pending == 0 && !run->compared && run->error == NULL)
    {
      run->compared = TRUE;
      find_missing (self, run);
    }

  while (run->error == NULL && run->next_restored < run->restored->len &&
         run->in_flight < CHECK_PARALLEL)
    {
      VersionCount *count = g_new0 (VersionCount, 1);
      KvbObjectKind kind;

      count->task = g_object_ref (task);
      count->entry = g_ptr_array_index (run->restored, run->next_restored++);
      kvb_vault_manifest_entry_get_kind (count->entry, &kind);
      run->in_flight++;
      kvb_keyvault_client_list_versions_async (self->client, kind,
                                               json_object_get_string_member (count->entry, "name"),
                                               versions_page_cb, count, cancellable, versions_cb,
                                               count);
    }

  if (run->in_flight > 0 || run->lists_pending > 0)
    {
      g_object_unref (task);
      return;
    }

  if (run->error != NULL)
    g_task_return_error (task, g_steal_pointer (&run->error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
start_check (GTask *task)
{
  KvbVaultRestore *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  collect_restored (self, run);
  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      run->lists_pending++;
      kvb_keyvault_client_list_async (self->client, kind, FALSE, present_page_cb, run,
                                      g_task_get_cancellable (task), list_cb,
                                      g_object_ref (task));
    }
  check_next (task);
}

static void
plan_run_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!kvb_restore_plan_run_finish (KVB_RESTORE_PLAN (source), result, &run->summary, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  start_check (g_steal_pointer (&task));
}

void
kvb_vault_restore_run_async (KvbVaultRestore     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (KVB_IS_VAULT_RESTORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_restore_run_async);
  run = g_new0 (Run, 1);
  run->present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  if (self->plan == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("Prepare this restore before running it."));
      return;
    }

  kvb_restore_plan_run_async (self->plan, cancellable, plan_run_cb, g_steal_pointer (&task));
}

gboolean
kvb_vault_restore_run_finish (KvbVaultRestore  *self,
                              GAsyncResult     *result,
                              KvbJobSummary    *summary,
                              GError          **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (summary != NULL)
    *summary = run->summary;
  return g_task_propagate_boolean (G_TASK (result), error);
}
