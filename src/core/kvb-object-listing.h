/* kvb-object-listing.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-keyvault-client.h"

G_BEGIN_DECLS

#define KVB_TYPE_OBJECT_LISTING (kvb_object_listing_get_type ())

G_DECLARE_FINAL_TYPE (KvbObjectListing, kvb_object_listing, KVB, OBJECT_LISTING, GObject)

/* A GListModel of KvbObjectInfo: the objects of one kind of a vault (or its soft-deleted ones),
 * filled page by page as Key Vault answers.  Nothing is listed until kvb_object_listing_reload(). */
KvbObjectListing  *kvb_object_listing_new         (KvbKeyVaultClient *client,
                                                   KvbObjectKind      kind,
                                                   gboolean           deleted);

KvbKeyVaultClient *kvb_object_listing_get_client  (KvbObjectListing  *self);
KvbObjectKind      kvb_object_listing_get_kind    (KvbObjectListing  *self);
gboolean           kvb_object_listing_get_deleted (KvbObjectListing  *self);
/* TRUE from reload() until the last page arrived or the listing failed. */
gboolean           kvb_object_listing_get_loading (KvbObjectListing  *self);
/* TRUE once every page arrived (and stays so until the next reload()). */
gboolean           kvb_object_listing_get_complete (KvbObjectListing *self);
/* (nullable): why the listing stopped (a KVB_ERROR with a message for people). */
const GError      *kvb_object_listing_get_error   (KvbObjectListing  *self);
guint              kvb_object_listing_get_n_pages (KvbObjectListing  *self);

/* Forgets every object and lists again; cancels a listing under way. */
void               kvb_object_listing_reload      (KvbObjectListing  *self);
/* Stops a listing under way; what arrived stays. */
void               kvb_object_listing_cancel      (KvbObjectListing  *self);

G_END_DECLS
