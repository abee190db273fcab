/* kvb-recycling-selection.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KVB_TYPE_RECYCLING_SELECTION (kvb_recycling_selection_get_type ())

G_DECLARE_FINAL_TYPE (KvbRecyclingSelection, kvb_recycling_selection, KVB, RECYCLING_SELECTION, GObject)

KvbRecyclingSelection *kvb_recycling_selection_new       (GtkSelectionModel     *model);
GtkSelectionModel     *kvb_recycling_selection_get_model (KvbRecyclingSelection *self);
void                   kvb_recycling_selection_set_model (KvbRecyclingSelection *self,
                                                          GtkSelectionModel     *model);

G_END_DECLS
