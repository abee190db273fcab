/* kvb-tenant-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-tenant-info"

#include "config.h"

#include "kvb-arm-json.h"
#include "kvb-tenant-info.h"

struct _KvbTenantInfo
{
  GObject parent_instance;

  char *tenant_id;
  char *display_name;
  char *default_domain;
};

G_DEFINE_FINAL_TYPE (KvbTenantInfo, kvb_tenant_info, G_TYPE_OBJECT)

static void
kvb_tenant_info_finalize (GObject *object)
{
  KvbTenantInfo *self = (KvbTenantInfo *)object;

  g_free (self->tenant_id);
  g_free (self->display_name);
  g_free (self->default_domain);

  G_OBJECT_CLASS (kvb_tenant_info_parent_class)->finalize (object);
}

static void
kvb_tenant_info_class_init (KvbTenantInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_tenant_info_finalize;
}

static void
kvb_tenant_info_init (KvbTenantInfo *self)
{
}

KvbTenantInfo *
kvb_tenant_info_new_from_json (JsonObject *item)
{
  KvbTenantInfo *self = g_object_new (KVB_TYPE_TENANT_INFO, NULL);
  JsonObject *properties = kvb_arm_json_object (item, "properties");

  (void)properties;
  self->tenant_id = g_strdup (kvb_arm_json_string (item, "tenantId"));
  self->display_name = g_strdup (kvb_arm_json_string (item, "displayName"));
  self->default_domain = g_strdup (kvb_arm_json_string (item, "defaultDomain"));

  return self;
}

const char *
kvb_tenant_info_get_tenant_id (KvbTenantInfo *self)
{
  g_return_val_if_fail (KVB_IS_TENANT_INFO (self), NULL);
  return self->tenant_id;
}

const char *
kvb_tenant_info_get_display_name (KvbTenantInfo *self)
{
  g_return_val_if_fail (KVB_IS_TENANT_INFO (self), NULL);
  return self->display_name;
}

const char *
kvb_tenant_info_get_default_domain (KvbTenantInfo *self)
{
  g_return_val_if_fail (KVB_IS_TENANT_INFO (self), NULL);
  return self->default_domain;
}
