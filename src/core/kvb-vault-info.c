/* kvb-vault-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-info"

#include "config.h"

#include "kvb-arm-json.h"
#include "kvb-vault-info.h"

struct _KvbVaultInfo
{
  GObject parent_instance;

  char *name;
  char *id;
  char *location;
  char *vault_uri;
  char *tenant_id;
  char *subscription_id;
  char *resource_group;
  gboolean soft_delete;
  gboolean purge_protection;
  gboolean rbac;
  gint64 soft_delete_retention_days;
  char *public_network_access;
};

G_DEFINE_FINAL_TYPE (KvbVaultInfo, kvb_vault_info, G_TYPE_OBJECT)

static void
kvb_vault_info_finalize (GObject *object)
{
  KvbVaultInfo *self = (KvbVaultInfo *)object;

  g_free (self->name);
  g_free (self->id);
  g_free (self->location);
  g_free (self->vault_uri);
  g_free (self->tenant_id);
  g_free (self->subscription_id);
  g_free (self->resource_group);
  g_free (self->public_network_access);

  G_OBJECT_CLASS (kvb_vault_info_parent_class)->finalize (object);
}

static void
kvb_vault_info_class_init (KvbVaultInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_vault_info_finalize;
}

static void
kvb_vault_info_init (KvbVaultInfo *self)
{
}

KvbVaultInfo *
kvb_vault_info_new_from_json (JsonObject *item)
{
  KvbVaultInfo *self = g_object_new (KVB_TYPE_VAULT_INFO, NULL);
  JsonObject *properties = kvb_arm_json_object (item, "properties");

  (void)properties;
  self->name = g_strdup (kvb_arm_json_string (item, "name"));
  self->id = g_strdup (kvb_arm_json_string (item, "id"));
  self->location = g_strdup (kvb_arm_json_string (item, "location"));
  self->vault_uri = g_strdup (kvb_arm_json_string (properties, "vaultUri"));
  self->tenant_id = g_strdup (kvb_arm_json_string (properties, "tenantId"));
  self->subscription_id = kvb_arm_json_id_segment (self->id, "subscriptions");
  self->resource_group = kvb_arm_json_id_segment (self->id, "resourceGroups");
  self->soft_delete = kvb_arm_json_bool (properties, "enableSoftDelete", TRUE);
  self->purge_protection = kvb_arm_json_bool (properties, "enablePurgeProtection", FALSE);
  self->rbac = kvb_arm_json_bool (properties, "enableRbacAuthorization", FALSE);
  self->soft_delete_retention_days = kvb_arm_json_int (properties, "softDeleteRetentionInDays", 90);
  self->public_network_access = g_strdup (kvb_arm_json_string (properties, "publicNetworkAccess"));

  return self;
}

const char *
kvb_vault_info_get_name (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->name;
}

const char *
kvb_vault_info_get_id (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->id;
}

const char *
kvb_vault_info_get_location (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->location;
}

const char *
kvb_vault_info_get_vault_uri (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->vault_uri;
}

const char *
kvb_vault_info_get_tenant_id (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->tenant_id;
}

const char *
kvb_vault_info_get_subscription_id (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->subscription_id;
}

const char *
kvb_vault_info_get_resource_group (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->resource_group;
}

gboolean
kvb_vault_info_get_soft_delete (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), 0);
  return self->soft_delete;
}

gboolean
kvb_vault_info_get_purge_protection (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), 0);
  return self->purge_protection;
}

gboolean
kvb_vault_info_get_rbac (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), 0);
  return self->rbac;
}

gint64
kvb_vault_info_get_soft_delete_retention_days (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), 0);
  return self->soft_delete_retention_days;
}

const char *
kvb_vault_info_get_public_network_access (KvbVaultInfo *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_INFO (self), NULL);
  return self->public_network_access;
}
