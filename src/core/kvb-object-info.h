/* kvb-object-info.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-object-kind.h"

G_BEGIN_DECLS

#define KVB_TYPE_OBJECT_INFO (kvb_object_info_get_type ())

G_DECLARE_FINAL_TYPE (KvbObjectInfo, kvb_object_info, KVB, OBJECT_INFO, GObject)

/* One secret, key or certificate (or one version of it, or a deleted one) as Key Vault lists it.
 * Never holds a secret value.  Dates are Unix seconds, 0 when Key Vault did not give one. */
KvbObjectInfo *kvb_object_info_new_from_json        (KvbObjectKind  kind,
                                                     JsonObject    *item,
                                                     GError       **error);

KvbObjectKind  kvb_object_info_get_kind             (KvbObjectInfo *self);
const char    *kvb_object_info_get_name             (KvbObjectInfo *self);
/* The object identifier, e.g. https://v.vault.azure.net/secrets/db-password[/VERSION]. */
const char    *kvb_object_info_get_id               (KvbObjectInfo *self);
/* %NULL when the identifier names no version (list of current objects). */
const char    *kvb_object_info_get_version          (KvbObjectInfo *self);
gboolean       kvb_object_info_get_enabled          (KvbObjectInfo *self);
gint64         kvb_object_info_get_created          (KvbObjectInfo *self);
gint64         kvb_object_info_get_updated          (KvbObjectInfo *self);
gint64         kvb_object_info_get_expires          (KvbObjectInfo *self);
gint64         kvb_object_info_get_not_before       (KvbObjectInfo *self);
const char    *kvb_object_info_get_content_type     (KvbObjectInfo *self);
/* (element-type utf8 utf8) (nullable): the tags, or %NULL when there are none. */
GHashTable    *kvb_object_info_get_tags             (KvbObjectInfo *self);
/* TRUE for the key and secret that back a certificate: back up the certificate instead. */
gboolean       kvb_object_info_get_managed          (KvbObjectInfo *self);
const char    *kvb_object_info_get_recovery_level   (KvbObjectInfo *self);
/* Deleted objects only (else %NULL / 0). */
gboolean       kvb_object_info_get_deleted          (KvbObjectInfo *self);
const char    *kvb_object_info_get_recovery_id      (KvbObjectInfo *self);
gint64         kvb_object_info_get_deleted_date     (KvbObjectInfo *self);
gint64         kvb_object_info_get_scheduled_purge_date (KvbObjectInfo *self);

/* Certificates only: the SHA-1 thumbprint in upper-case hex, as the portal shows it, or %NULL. */
const char    *kvb_object_info_get_thumbprint       (KvbObjectInfo *self);

G_END_DECLS
