/* kvb-object-list.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-object-listing.h"

G_BEGIN_DECLS

#define KVB_TYPE_OBJECT_LIST (kvb_object_list_get_type ())

G_DECLARE_FINAL_TYPE (KvbObjectList, kvb_object_list, KVB, OBJECT_LIST, GtkWidget)

/* The objects of one kind of a vault (or its deleted ones) in a column view that sorts by
 * column, filters as you type (Ctrl+F) and selects several rows.
 *
 * Actions it installs: list.find (Ctrl+F), list.show-details (opens KvbObjectDetails for the
 * first selected object), list.reload (F5), list.context-menu (Menu, Shift+F10).
 * Its row menu also offers vault.download-backup, which the embedding page provides. */
GtkWidget        *kvb_object_list_new                  (void);

/* (nullable): the listing shown; setting it does not start it (see kvb_object_listing_reload()). */
KvbObjectListing *kvb_object_list_get_listing          (KvbObjectList    *self);
void              kvb_object_list_set_listing          (KvbObjectList    *self,
                                                        KvbObjectListing *listing);

/* Returns: (transfer container) (element-type KvbObjectInfo): the selected objects, in the
 * order shown. */
GPtrArray        *kvb_object_list_get_selected_objects (KvbObjectList    *self);

/* The text the list is filtered by ("" for none). */
const char       *kvb_object_list_get_filter_text      (KvbObjectList    *self);
void              kvb_object_list_set_filter_text      (KvbObjectList    *self,
                                                        const char       *text);

/* The model the column view shows (filtered and sorted), for the embedding page's counters. */
GtkSelectionModel *kvb_object_list_get_selection_model (KvbObjectList    *self);

G_END_DECLS
