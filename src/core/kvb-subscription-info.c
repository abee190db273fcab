/* kvb-subscription-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-subscription-info"

#include "config.h"

#include "kvb-arm-json.h"
#include "kvb-subscription-info.h"

struct _KvbSubscriptionInfo
{
  GObject parent_instance;

  char *subscription_id;
  char *display_name;
  char *tenant_id;
  char *state;
};

G_DEFINE_FINAL_TYPE (KvbSubscriptionInfo, kvb_subscription_info, G_TYPE_OBJECT)

static void
kvb_subscription_info_finalize (GObject *object)
{
  KvbSubscriptionInfo *self = (KvbSubscriptionInfo *)object;

  g_free (self->subscription_id);
  g_free (self->display_name);
  g_free (self->tenant_id);
  g_free (self->state);

  G_OBJECT_CLASS (kvb_subscription_info_parent_class)->finalize (object);
}

static void
kvb_subscription_info_class_init (KvbSubscriptionInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_subscription_info_finalize;
}

static void
kvb_subscription_info_init (KvbSubscriptionInfo *self)
{
}

KvbSubscriptionInfo *
kvb_subscription_info_new_from_json (JsonObject *item)
{
  KvbSubscriptionInfo *self = g_object_new (KVB_TYPE_SUBSCRIPTION_INFO, NULL);
  JsonObject *properties = kvb_arm_json_object (item, "properties");

  (void)properties;
  self->subscription_id = g_strdup (kvb_arm_json_string (item, "subscriptionId"));
  self->display_name = g_strdup (kvb_arm_json_string (item, "displayName"));
  self->tenant_id = g_strdup (kvb_arm_json_string (item, "tenantId"));
  self->state = g_strdup (kvb_arm_json_string (item, "state"));

  return self;
}

const char *
kvb_subscription_info_get_subscription_id (KvbSubscriptionInfo *self)
{
  g_return_val_if_fail (KVB_IS_SUBSCRIPTION_INFO (self), NULL);
  return self->subscription_id;
}

const char *
kvb_subscription_info_get_display_name (KvbSubscriptionInfo *self)
{
  g_return_val_if_fail (KVB_IS_SUBSCRIPTION_INFO (self), NULL);
  return self->display_name;
}

const char *
kvb_subscription_info_get_tenant_id (KvbSubscriptionInfo *self)
{
  g_return_val_if_fail (KVB_IS_SUBSCRIPTION_INFO (self), NULL);
  return self->tenant_id;
}

const char *
kvb_subscription_info_get_state (KvbSubscriptionInfo *self)
{
  g_return_val_if_fail (KVB_IS_SUBSCRIPTION_INFO (self), NULL);
  return self->state;
}
