/* kvb-json-util.h: readers of JSON members for documents we did not write ourselves.
 *
 * json-glib's json_object_get_*_member_with_default() check with g_return_val_if_fail() that the
 * member is a value, so an object or an array where a string belongs logs a critical (and aborts
 * where criticals are fatal).  These return the fallback for a member of any other type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* @obj may be NULL. */
const char *kvb_json_get_string  (JsonObject *obj,
                                  const char *member,
                                  const char *fallback);
/* Only an integer: a fraction or a number beyond gint64 gives @fallback. */
gint64      kvb_json_get_int     (JsonObject *obj,
                                  const char *member,
                                  gint64      fallback);
gboolean    kvb_json_get_boolean (JsonObject *obj,
                                  const char *member,
                                  gboolean    fallback);
/* (nullable) (transfer none) */
JsonObject *kvb_json_get_object  (JsonObject *obj,
                                  const char *member);

G_END_DECLS
