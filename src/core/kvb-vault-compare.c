/* kvb-vault-compare.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-compare"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-json-util.h"
#include "kvb-vault-compare.h"

struct _KvbVaultCompare
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  KvbVaultManifest *manifest;
  gboolean started;

  GHashTable *listed;       /* JsonObject entries of the manifest that the vault lists */
  GHashTable *deleted;      /* "kind/name" of the vault's soft-deleted objects */
  JsonArray *only_in_vault;
  JsonArray *only_in_backup;
  JsonArray *changed;
};

G_DEFINE_FINAL_TYPE (KvbVaultCompare, kvb_vault_compare, G_TYPE_OBJECT)

static void
kvb_vault_compare_dispose (GObject *object)
{
  KvbVaultCompare *self = (KvbVaultCompare *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->manifest);

  G_OBJECT_CLASS (kvb_vault_compare_parent_class)->dispose (object);
}

static void
kvb_vault_compare_finalize (GObject *object)
{
  KvbVaultCompare *self = (KvbVaultCompare *)object;

  g_clear_pointer (&self->listed, g_hash_table_unref);
  g_clear_pointer (&self->deleted, g_hash_table_unref);
  g_clear_pointer (&self->only_in_vault, json_array_unref);
  g_clear_pointer (&self->only_in_backup, json_array_unref);
  g_clear_pointer (&self->changed, json_array_unref);

  G_OBJECT_CLASS (kvb_vault_compare_parent_class)->finalize (object);
}

static void
kvb_vault_compare_class_init (KvbVaultCompareClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_vault_compare_dispose;
  object_class->finalize = kvb_vault_compare_finalize;
}

static void
kvb_vault_compare_init (KvbVaultCompare *self)
{
  self->listed = g_hash_table_new (NULL, NULL);
  self->deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->only_in_vault = json_array_new ();
  self->only_in_backup = json_array_new ();
  self->changed = json_array_new ();
}

KvbVaultCompare *
kvb_vault_compare_new (KvbKeyVaultClient *client,
                       KvbVaultManifest  *manifest)
{
  KvbVaultCompare *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (manifest), NULL);

  self = g_object_new (KVB_TYPE_VAULT_COMPARE, NULL);
  self->client = g_object_ref (client);
  self->manifest = g_object_ref (manifest);
  return self;
}

static gboolean
entry_in_backup (JsonObject *entry)
{
  const char *status = kvb_json_get_string (entry, "status", NULL);

  return g_strcmp0 (status, KVB_VAULT_MANIFEST_DONE) == 0 ||
         g_strcmp0 (status, KVB_VAULT_MANIFEST_COVERED) == 0;
}

static JsonObject *
new_row (KvbObjectKind  kind,
         const char    *name)
{
  JsonObject *row = json_object_new ();

  json_object_set_string_member (row, "kind", kvb_object_kind_to_string (kind));
  json_object_set_string_member (row, "name", name);
  return row;
}

static void
deleted_page_cb (GPtrArray *objects,
                 gpointer   user_data)
{
  KvbVaultCompare *self = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      g_hash_table_add (self->deleted,
                        g_strconcat (kvb_object_kind_to_string (kvb_object_info_get_kind (info)), "/",
                                     kvb_object_info_get_name (info), NULL));
    }
}

/* The listing is compared page by page: nothing is downloaded but names and dates. */
static void
live_page_cb (GPtrArray *objects,
              gpointer   user_data)
{
  KvbVaultCompare *self = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);
      KvbObjectKind kind = kvb_object_info_get_kind (info);
      const char *name = kvb_object_info_get_name (info);
      JsonObject *entry = kvb_vault_manifest_lookup (self->manifest, kind, name);
      g_autofree char *updated = kvb_vault_manifest_format_time (kvb_object_info_get_updated (info));
      const char *backed_up;

      if (entry == NULL || !entry_in_backup (entry))
        {
          json_array_add_object_element (self->only_in_vault, new_row (kind, name));
          continue;
        }
      g_hash_table_add (self->listed, entry);
      backed_up = kvb_json_get_string (entry, "updated", NULL);
      if (g_strcmp0 (backed_up, updated) != 0)
        {
          JsonObject *row = new_row (kind, name);

          json_object_set_string_member (row, "backupUpdated", backed_up);
          json_object_set_string_member (row, "vaultUpdated", updated);
          json_array_add_object_element (self->changed, row);
        }
    }
}

static void list_next (GTask *task);

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_list_finish (KVB_KEYVAULT_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  list_next (g_steal_pointer (&task));
}

static void
find_only_in_backup (KvbVaultCompare *self)
{
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (self->manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (self->manifest, i);
      KvbObjectKind kind;

      if (entry_in_backup (entry) && !g_hash_table_contains (self->listed, entry) &&
          kvb_vault_manifest_entry_get_kind (entry, &kind))
        {
          const char *name = json_object_get_string_member (entry, "name");
          g_autofree char *key = g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
          JsonObject *row = new_row (kind, name);

          json_object_set_string_member (row, "state", g_hash_table_contains (self->deleted, key)
                                                       ? KVB_VAULT_COMPARE_DELETED
                                                       : KVB_VAULT_COMPARE_PURGED);
          json_array_add_object_element (self->only_in_backup, row);
        }
    }
}

/* Live objects kind by kind, then the soft-deleted ones: these tell deleted from purged.
 * Takes @task. */
static void
list_next (GTask *task)
{
  KvbVaultCompare *self = g_task_get_source_object (task);
  guint pass = GPOINTER_TO_UINT (g_task_get_task_data (task));
  KvbObjectKind kind = pass % KVB_OBJECT_KIND_N_KINDS;
  gboolean list_deleted = pass >= KVB_OBJECT_KIND_N_KINDS;

  if (pass >= 2 * KVB_OBJECT_KIND_N_KINDS)
    {
      find_only_in_backup (self);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_task_set_task_data (task, GUINT_TO_POINTER (pass + 1), NULL);
  kvb_keyvault_client_list_async (self->client, kind, list_deleted,
                                  list_deleted ? deleted_page_cb : live_page_cb, self,
                                  g_task_get_cancellable (task), list_cb, task);
}

void
kvb_vault_compare_run_async (KvbVaultCompare     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KVB_IS_VAULT_COMPARE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_compare_run_async);
  if (self->started)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("This comparison has already run."));
      return;
    }
  self->started = TRUE;
  g_task_set_task_data (task, GUINT_TO_POINTER (0), NULL);
  list_next (g_steal_pointer (&task));
}

gboolean
kvb_vault_compare_run_finish (KvbVaultCompare  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

JsonArray *
kvb_vault_compare_get_only_in_vault (KvbVaultCompare *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_COMPARE (self), NULL);
  return self->only_in_vault;
}

JsonArray *
kvb_vault_compare_get_only_in_backup (KvbVaultCompare *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_COMPARE (self), NULL);
  return self->only_in_backup;
}

JsonArray *
kvb_vault_compare_get_changed (KvbVaultCompare *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_COMPARE (self), NULL);
  return self->changed;
}

guint
kvb_vault_compare_get_n_differences (KvbVaultCompare *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_COMPARE (self), 0);
  return json_array_get_length (self->only_in_vault) + json_array_get_length (self->only_in_backup) +
         json_array_get_length (self->changed);
}

KvbVaultManifest *
kvb_vault_compare_get_manifest (KvbVaultCompare *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_COMPARE (self), NULL);
  return self->manifest;
}
