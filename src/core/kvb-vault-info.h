/* kvb-vault-info.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KVB_TYPE_VAULT_INFO (kvb_vault_info_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultInfo, kvb_vault_info, KVB, VAULT_INFO, GObject)

/* A Key Vault as Resource Manager lists it, with the properties that matter for backup.
 * Absent booleans take the service defaults: soft delete on, purge protection off, access
 * policies (not RBAC). */
KvbVaultInfo *kvb_vault_info_new_from_json (JsonObject *item);

const char *kvb_vault_info_get_name (KvbVaultInfo *self);
const char *kvb_vault_info_get_id (KvbVaultInfo *self);
const char *kvb_vault_info_get_location (KvbVaultInfo *self);
const char *kvb_vault_info_get_vault_uri (KvbVaultInfo *self);
const char *kvb_vault_info_get_tenant_id (KvbVaultInfo *self);
const char *kvb_vault_info_get_subscription_id (KvbVaultInfo *self);
const char *kvb_vault_info_get_resource_group (KvbVaultInfo *self);
gboolean    kvb_vault_info_get_soft_delete (KvbVaultInfo *self);
gboolean    kvb_vault_info_get_purge_protection (KvbVaultInfo *self);
gboolean    kvb_vault_info_get_rbac (KvbVaultInfo *self);
gint64      kvb_vault_info_get_soft_delete_retention_days (KvbVaultInfo *self);
const char *kvb_vault_info_get_public_network_access (KvbVaultInfo *self);

G_END_DECLS
