/* kvb-test-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-test-sync"

#include "config.h"

#include <string.h>

#include "kvb-test-server.h"
#include "kvb-test-sync.h"

typedef struct
{
  gboolean done;
  GAsyncResult *result;
  GPtrArray *items;
  guint n_pages;
} Wait;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

static void
page_cb (GPtrArray *objects,
         gpointer   user_data)
{
  Wait *w = user_data;

  g_assert_cmpuint (objects->len, <=, 25);
  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (w->items, g_object_ref (objects->pdata[i]));
  w->n_pages++;
}

#define RUN(call) \
  Wait w = { FALSE, NULL, NULL, 0 }; \
  call; \
  kvb_test_wait (&w.done, 600)

GPtrArray *
kvb_test_list (KvbKeyVaultClient *client,
               KvbObjectKind      kind,
               gboolean           deleted,
               guint             *n_pages,
               GError           **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean ok;
  RUN ((w.items = items,
        kvb_keyvault_client_list_async (client, kind, deleted, page_cb, &w, NULL, done_cb, &w)));

  ok = kvb_keyvault_client_list_finish (client, w.result, error);
  g_object_unref (w.result);
  if (n_pages != NULL)
    *n_pages = w.n_pages;
  return ok ? g_steal_pointer (&items) : NULL;
}

GPtrArray *
kvb_test_list_versions (KvbKeyVaultClient *client,
                        KvbObjectKind      kind,
                        const char        *name,
                        GError           **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean ok;
  RUN ((w.items = items,
        kvb_keyvault_client_list_versions_async (client, kind, name, page_cb, &w, NULL, done_cb,
                                                 &w)));

  ok = kvb_keyvault_client_list_versions_finish (client, w.result, error);
  g_object_unref (w.result);
  return ok ? g_steal_pointer (&items) : NULL;
}

#define ONE(async_call, finish_fn) \
  RUN (async_call); \
  { \
    __typeof__ (finish_fn (client, w.result, error)) ret = finish_fn (client, w.result, error); \
    g_object_unref (w.result); \
    return ret; \
  }

KvbObjectInfo *
kvb_test_get (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name, GError **error)
{
  ONE (kvb_keyvault_client_get_properties_async (client, kind, name, NULL, NULL, done_cb, &w),
       kvb_keyvault_client_get_properties_finish);
}

KvbObjectInfo *
kvb_test_get_deleted (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name,
                      GError **error)
{
  ONE (kvb_keyvault_client_get_deleted_async (client, kind, name, NULL, done_cb, &w),
       kvb_keyvault_client_get_deleted_finish);
}

GBytes *
kvb_test_backup (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name, GError **error)
{
  ONE (kvb_keyvault_client_backup_async (client, kind, name, NULL, done_cb, &w),
       kvb_keyvault_client_backup_finish);
}

KvbObjectInfo *
kvb_test_restore (KvbKeyVaultClient *client, KvbObjectKind kind, GBytes *blob, GError **error)
{
  ONE (kvb_keyvault_client_restore_async (client, kind, blob, NULL, done_cb, &w),
       kvb_keyvault_client_restore_finish);
}

KvbObjectInfo *
kvb_test_restore_named (KvbKeyVaultClient *client, KvbObjectKind kind, GBytes *blob,
                        const char *name, GError **error)
{
  ONE (kvb_keyvault_client_restore_named_async (client, kind, blob, name, NULL, done_cb, &w),
       kvb_keyvault_client_restore_finish);
}

KvbObjectInfo *
kvb_test_delete (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name, GError **error)
{
  ONE (kvb_keyvault_client_delete_async (client, kind, name, NULL, done_cb, &w),
       kvb_keyvault_client_delete_finish);
}

KvbObjectInfo *
kvb_test_recover (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name, GError **error)
{
  ONE (kvb_keyvault_client_recover_async (client, kind, name, NULL, done_cb, &w),
       kvb_keyvault_client_recover_finish);
}

gboolean
kvb_test_purge (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name, GError **error)
{
  ONE (kvb_keyvault_client_purge_async (client, kind, name, NULL, done_cb, &w),
       kvb_keyvault_client_purge_finish);
}

gboolean
kvb_test_wait_usable (KvbKeyVaultClient *client, KvbObjectKind kind, const char *name,
                      KvbUsableAfter after, GError **error)
{
  ONE (kvb_keyvault_client_wait_until_usable_async (client, kind, name, after, 60, NULL, done_cb,
                                                    &w),
       kvb_keyvault_client_wait_until_usable_finish);
}

guint
kvb_test_raw (KvbPipeline    *pipeline,
              KvbCloud       *cloud,
              KvbCredential  *credential,
              const char     *vault_url,
              const char     *method,
              const char     *path_query,
              const char     *json,
              JsonNode      **answer,
              GError        **error)
{
  g_autofree char *url = g_strconcat (vault_url, path_query, NULL);
  g_autoptr(GBytes) body = json != NULL ? g_bytes_new (json, strlen (json)) : NULL;
  JsonNode *node;
  guint status = 0;
  RUN (kvb_pipeline_send_async (pipeline, cloud, credential, method, url, body,
                                KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 60, NULL, done_cb,
                                &w));

  node = kvb_pipeline_send_finish (pipeline, w.result, &status, NULL, error);
  g_object_unref (w.result);
  if (answer != NULL)
    *answer = node;
  else if (node != NULL)
    json_node_unref (node);

  return status;
}
