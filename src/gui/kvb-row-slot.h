/* kvb-row-slot.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KVB_TYPE_ROW_SLOT (kvb_row_slot_get_type ())

G_DECLARE_FINAL_TYPE (KvbRowSlot, kvb_row_slot, KVB, ROW_SLOT, GObject)

KvbRowSlot *kvb_row_slot_new      (gpointer    item);
gpointer    kvb_row_slot_get_item (KvbRowSlot *self);
void        kvb_row_slot_set_item (KvbRowSlot *self,
                                   gpointer    item);
void        kvb_row_slot_set_shown_selected (KvbRowSlot *self,
                                             gboolean    selected);
gboolean    kvb_row_slot_get_shown_selected (KvbRowSlot *self,
                                             gboolean   *selected);

G_END_DECLS
