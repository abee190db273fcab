/* kvb-subscription-info.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KVB_TYPE_SUBSCRIPTION_INFO (kvb_subscription_info_get_type ())

G_DECLARE_FINAL_TYPE (KvbSubscriptionInfo, kvb_subscription_info, KVB, SUBSCRIPTION_INFO, GObject)

/* A subscription as Resource Manager lists it (GET /subscriptions). */
KvbSubscriptionInfo *kvb_subscription_info_new_from_json (JsonObject *item);

const char *kvb_subscription_info_get_subscription_id (KvbSubscriptionInfo *self);
const char *kvb_subscription_info_get_display_name (KvbSubscriptionInfo *self);
const char *kvb_subscription_info_get_tenant_id (KvbSubscriptionInfo *self);
const char *kvb_subscription_info_get_state (KvbSubscriptionInfo *self);

G_END_DECLS
