/* kvb-tenant-info.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KVB_TYPE_TENANT_INFO (kvb_tenant_info_get_type ())

G_DECLARE_FINAL_TYPE (KvbTenantInfo, kvb_tenant_info, KVB, TENANT_INFO, GObject)

/* A tenant as Resource Manager lists it (GET /tenants). */
KvbTenantInfo *kvb_tenant_info_new_from_json (JsonObject *item);

const char *kvb_tenant_info_get_tenant_id (KvbTenantInfo *self);
const char *kvb_tenant_info_get_display_name (KvbTenantInfo *self);
const char *kvb_tenant_info_get_default_domain (KvbTenantInfo *self);

G_END_DECLS
