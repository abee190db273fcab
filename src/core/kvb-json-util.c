/* kvb-json-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kvb-json-util.h"

static JsonNode *
member_value (JsonObject *obj,
              const char *member,
              GType       type)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
kvb_json_get_string (JsonObject *obj,
                     const char *member,
                     const char *fallback)
{
  JsonNode *node = member_value (obj, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : fallback;
}

gint64
kvb_json_get_int (JsonObject *obj,
                  const char *member,
                  gint64      fallback)
{
  JsonNode *node = member_value (obj, member, G_TYPE_INT64);

  return node != NULL ? json_node_get_int (node) : fallback;
}

gboolean
kvb_json_get_boolean (JsonObject *obj,
                      const char *member,
                      gboolean    fallback)
{
  JsonNode *node = member_value (obj, member, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

JsonObject *
kvb_json_get_object (JsonObject *obj,
                     const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}
