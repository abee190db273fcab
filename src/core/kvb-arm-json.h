/* kvb-arm-json.h: small readers for Resource Manager JSON (private to the core).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *kvb_arm_json_string     (JsonObject *obj,
                                     const char *name);
JsonObject *kvb_arm_json_object     (JsonObject *obj,
                                     const char *name);
gboolean    kvb_arm_json_bool       (JsonObject *obj,
                                     const char *name,
                                     gboolean    fallback);
gint64      kvb_arm_json_int        (JsonObject *obj,
                                     const char *name,
                                     gint64      fallback);
/* The segment after @key in a resource id ("/subscriptions/ID/resourceGroups/RG/…"). */
char       *kvb_arm_json_id_segment (const char *id,
                                     const char *key);

G_END_DECLS
