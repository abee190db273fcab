/* kvb-history-item.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KVB_TYPE_HISTORY_ITEM (kvb_history_item_get_type ())

G_DECLARE_FINAL_TYPE (KvbHistoryItem, kvb_history_item, KVB, HISTORY_ITEM, GObject)

/* One entry of the core's history (see kvb-history.h), for a GListModel, and the words the
 * window shows for it. */
KvbHistoryItem *kvb_history_item_new          (JsonObject     *entry);
JsonObject     *kvb_history_item_get_entry    (KvbHistoryItem *self);
/* "Backup", "Restore", "Recovery", "Purge", "Download Backup". */
const char     *kvb_history_item_get_title    (KvbHistoryItem *self);
/* "Succeeded", "Some Failed", "Failed", "Interrupted", or "" when the entry has no result. */
const char     *kvb_history_item_get_result   (KvbHistoryItem *self);
/* "success", "warning" or "error": the style class for the result, or %NULL. */
const char     *kvb_history_item_get_result_class (KvbHistoryItem *self);
/* The time (local) and how long ago it was at @now; the counts; the folder or files; why it
 * failed.  One line each. */
char           *kvb_history_item_dup_details  (KvbHistoryItem *self,
                                               GDateTime      *now);
/* The folder of the operation, or the one that holds its first file; %NULL without either.
 * Returns: (transfer full) (nullable). */
GFile          *kvb_history_item_dup_folder   (KvbHistoryItem *self);

/* "Last backed up 3 days ago" (@last before @now), or "Never backed up" when @last is %NULL. */
char           *kvb_history_format_last_backup (GDateTime     *last,
                                                GDateTime     *now);

G_END_DECLS
