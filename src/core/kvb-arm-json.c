/* kvb-arm-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-arm-json"

#include "config.h"

#include "kvb-arm-json.h"

const char *
kvb_arm_json_string (JsonObject *obj,
                     const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
kvb_arm_json_object (JsonObject *obj,
                     const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

gboolean
kvb_arm_json_bool (JsonObject *obj,
                   const char *name,
                   gboolean    fallback)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

gint64
kvb_arm_json_int (JsonObject *obj,
                  const char *name,
                  gint64      fallback)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

char *
kvb_arm_json_id_segment (const char *id,
                         const char *key)
{
  g_auto(GStrv) parts = NULL;

  if (id == NULL)
    return NULL;

  parts = g_strsplit (id, "/", -1);
  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_ascii_strcasecmp (parts[i], key) == 0)
      return g_strdup (parts[i + 1]);

  return NULL;
}
