/* fuzz-arm-json.c: the pages of Azure Resource Manager (tenants, subscriptions, vaults), read as
 * the client reads them.  The input is the body of a page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kvb-arm-json.h"
#include "kvb-fuzz.h"
#include "kvb-subscription-info.h"
#include "kvb-tenant-info.h"
#include "kvb-vault-info.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  return 0;
}

static void
read_item (JsonObject *item)
{
  g_autoptr(KvbTenantInfo) tenant = kvb_tenant_info_new_from_json (item);
  g_autoptr(KvbSubscriptionInfo) subscription = kvb_subscription_info_new_from_json (item);
  g_autoptr(KvbVaultInfo) vault = kvb_vault_info_new_from_json (item);

  g_assert_nonnull (tenant);
  g_assert_nonnull (subscription);
  g_assert_nonnull (vault);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonNode) node = kvb_fuzz_parse_json (data, size);
  JsonObject *obj, *error_obj;
  JsonNode *value;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  obj = json_node_get_object (node);

  /* An error body, as the client's error mapping reads it. */
  error_obj = kvb_arm_json_object (obj, "error");
  kvb_arm_json_string (error_obj, "code");
  kvb_arm_json_string (error_obj, "message");
  kvb_arm_json_string (obj, "registrationState");
  kvb_arm_json_string (obj, "nextLink");

  /* A page, and a single resource. */
  value = json_object_get_member (obj, "value");
  if (value != NULL && JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *items = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *item = json_array_get_element (items, i);

          if (JSON_NODE_HOLDS_OBJECT (item))
            read_item (json_node_get_object (item));
        }
    }
  read_item (obj);

  return 0;
}
