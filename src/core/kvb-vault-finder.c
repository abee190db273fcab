/* kvb-vault-finder.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-finder"

#include "config.h"

#include "kvb-vault-finder.h"

/* What the sidebar shows, put together from the core's Resource Manager client: one list call
 * after the other, so that a large account does not flood Resource Manager. */

typedef struct
{
  GPtrArray  *tenants;        /* of KvbTenantInfo */
  guint       tenant;         /* the tenant whose subscriptions are being listed */
  GPtrArray  *subscriptions;  /* of KvbFoundSubscription */
  GPtrArray  *skipped;        /* of KvbFoundSubscription: tenants that could not be listed */
  GHashTable *seen;           /* subscription ids already listed by an earlier tenant */
  guint       current;        /* the subscription whose vaults are being listed */
} ListData;

static void
found_subscription_free (KvbFoundSubscription *sub)
{
  g_clear_object (&sub->info);
  g_clear_object (&sub->tenant);
  g_clear_pointer (&sub->vaults, g_ptr_array_unref);
  g_clear_error (&sub->error);
  g_free (sub);
}

static void
list_data_free (ListData *data)
{
  g_clear_pointer (&data->tenants, g_ptr_array_unref);
  g_clear_pointer (&data->subscriptions, g_ptr_array_unref);
  g_clear_pointer (&data->skipped, g_ptr_array_unref);
  g_clear_pointer (&data->seen, g_hash_table_unref);
  g_free (data);
}

static int
compare_subscriptions (gconstpointer a,
                       gconstpointer b)
{
  KvbSubscriptionInfo *x = (*(KvbFoundSubscription * const *) a)->info;
  KvbSubscriptionInfo *y = (*(KvbFoundSubscription * const *) b)->info;
  const char *xn = kvb_subscription_info_get_display_name (x);
  const char *yn = kvb_subscription_info_get_display_name (y);

  return g_utf8_collate (xn ? xn : kvb_subscription_info_get_subscription_id (x),
                         yn ? yn : kvb_subscription_info_get_subscription_id (y));
}

static int
compare_vaults (gconstpointer a,
                gconstpointer b)
{
  return g_strcmp0 (kvb_vault_info_get_name (*(KvbVaultInfo * const *) a),
                    kvb_vault_info_get_name (*(KvbVaultInfo * const *) b));
}

static void list_next_tenant (GTask *task);
static void list_next_vaults (GTask *task);

static void
vaults_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  KvbFoundSubscription *sub = g_ptr_array_index (data->subscriptions, data->current);
  g_autoptr(GError) error = NULL;

  sub->vaults = kvb_arm_client_list_vaults_finish (KVB_ARM_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (sub->vaults != NULL)
    g_ptr_array_sort (sub->vaults, compare_vaults);
  else
    sub->error = g_steal_pointer (&error);

  data->current++;
  list_next_vaults (g_steal_pointer (&task));
}

static void
list_next_vaults (GTask *task)
{
  ListData *data = g_task_get_task_data (task);
  KvbFoundSubscription *sub;

  if (data->current >= data->subscriptions->len)
    {
      g_ptr_array_extend_and_steal (data->subscriptions, g_steal_pointer (&data->skipped));
      g_task_return_pointer (task, g_ptr_array_ref (data->subscriptions),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }

  sub = g_ptr_array_index (data->subscriptions, data->current);
  kvb_arm_client_list_vaults_async (g_task_get_source_object (task),
                                    kvb_tenant_info_get_tenant_id (sub->tenant),
                                    kvb_subscription_info_get_subscription_id (sub->info),
                                    g_task_get_cancellable (task), vaults_cb, task);
}

static void
subscriptions_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  KvbTenantInfo *tenant = g_ptr_array_index (data->tenants, data->tenant);
  g_autoptr(GPtrArray) subscriptions = NULL;
  g_autoptr(GError) error = NULL;

  subscriptions = kvb_arm_client_list_subscriptions_finish (KVB_ARM_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Like Azure CLI, a tenant that will not give a token (another MFA policy, a guest account
   * that was removed) does not hide the subscriptions of the others. */
  if (subscriptions == NULL)
    {
      KvbFoundSubscription *skipped = g_new0 (KvbFoundSubscription, 1);

      g_debug ("Skipping tenant %s: %s", kvb_tenant_info_get_tenant_id (tenant), error->message);
      skipped->tenant = g_object_ref (tenant);
      skipped->error = g_steal_pointer (&error);
      g_ptr_array_add (data->skipped, skipped);
    }

  for (guint i = 0; subscriptions != NULL && i < subscriptions->len; i++)
    {
      KvbSubscriptionInfo *info = g_ptr_array_index (subscriptions, i);
      const char *id = kvb_subscription_info_get_subscription_id (info);
      KvbFoundSubscription *found;

      /* A subscription shared into another tenant (Lighthouse) is listed once. */
      if (id == NULL || !g_hash_table_add (data->seen, g_ascii_strdown (id, -1)))
        continue;
      found = g_new0 (KvbFoundSubscription, 1);
      found->info = g_object_ref (info);
      found->tenant = g_object_ref (tenant);
      g_ptr_array_add (data->subscriptions, found);
    }

  data->tenant++;
  list_next_tenant (g_steal_pointer (&task));
}

static void
list_next_tenant (GTask *task)
{
  ListData *data = g_task_get_task_data (task);

  if (data->tenant < data->tenants->len)
    {
      KvbTenantInfo *tenant = g_ptr_array_index (data->tenants, data->tenant);

      kvb_arm_client_list_subscriptions_async (g_task_get_source_object (task),
                                               kvb_tenant_info_get_tenant_id (tenant),
                                               g_task_get_cancellable (task), subscriptions_cb, task);
      return;
    }

  /* Only when nothing at all could be listed is a tenant's failure the answer. */
  if (data->subscriptions->len == 0 && data->skipped->len > 0)
    {
      KvbFoundSubscription *first = g_ptr_array_index (data->skipped, 0);

      g_task_return_error (task, g_steal_pointer (&first->error));
      g_object_unref (task);
      return;
    }

  g_ptr_array_sort (data->subscriptions, compare_subscriptions);
  data->current = 0;
  list_next_vaults (task);
}

static void
tenants_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->tenants = kvb_arm_client_list_tenants_finish (KVB_ARM_CLIENT (source), result, &error);
  if (data->tenants == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  list_next_tenant (g_steal_pointer (&task));
}

void
kvb_vault_finder_list_async (KvbArmClient        *client,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  ListData *data;

  g_return_if_fail (KVB_IS_ARM_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_finder_list_async);
  data = g_new0 (ListData, 1);
  data->subscriptions = g_ptr_array_new_with_free_func ((GDestroyNotify) found_subscription_free);
  data->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) found_subscription_free);
  data->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);

  kvb_arm_client_list_tenants_async (client, cancellable, tenants_cb, task);
}

GPtrArray *
kvb_vault_finder_list_finish (KvbArmClient  *client,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
