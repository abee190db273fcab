/* kvb-object-details.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-keyvault-client.h"

G_BEGIN_DECLS

#define KVB_TYPE_OBJECT_DETAILS (kvb_object_details_get_type ())

G_DECLARE_FINAL_TYPE (KvbObjectDetails, kvb_object_details, KVB, OBJECT_DETAILS, AdwWindow)

/* A window with what Key Vault says of one object: its properties, tags, and for a live object
 * every version with its dates and state, listed as the window opens (Escape closes it). */
GtkWidget     *kvb_object_details_new         (KvbKeyVaultClient *client,
                                               KvbObjectInfo     *info);

KvbObjectInfo *kvb_object_details_get_info    (KvbObjectDetails  *self);
/* TRUE while the versions are being listed. */
gboolean       kvb_object_details_get_loading (KvbObjectDetails  *self);
/* The versions listed so far (element-type KvbObjectInfo), newest first once complete. */
GListModel    *kvb_object_details_get_versions (KvbObjectDetails *self);

G_END_DECLS
