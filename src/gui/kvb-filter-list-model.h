/* kvb-filter-list-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KVB_TYPE_FILTER_LIST_MODEL (kvb_filter_list_model_get_type ())

G_DECLARE_FINAL_TYPE (KvbFilterListModel, kvb_filter_list_model, KVB, FILTER_LIST_MODEL, GObject)

KvbFilterListModel *kvb_filter_list_model_new        (GListModel         *model,
                                                      GtkFilter          *filter);
GListModel         *kvb_filter_list_model_get_model  (KvbFilterListModel *self);
void                kvb_filter_list_model_set_model  (KvbFilterListModel *self,
                                                      GListModel         *model);
GtkFilter          *kvb_filter_list_model_get_filter (KvbFilterListModel *self);
void                kvb_filter_list_model_set_filter (KvbFilterListModel *self,
                                                      GtkFilter          *filter);

G_END_DECLS
