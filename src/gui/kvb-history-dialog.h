/* kvb-history-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-history.h"

G_BEGIN_DECLS

#define KVB_TYPE_HISTORY_DIALOG (kvb_history_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KvbHistoryDialog, kvb_history_dialog, KVB, HISTORY_DIALOG, AdwWindow)

/* "History": the entries of @history for @vault (a name), newest first, read off the main
 * thread: what was done, its result, when (local time, and how long ago), the counts, the folder
 * or files, why it failed; a button opens the folder of a backup.  Above the list, when the
 * vault was last backed up with every object done.  No entry: a status page says so.
 *
 * "items" (GListModel of KvbHistoryItem, read-only): the entries shown. */
GtkWidget  *kvb_history_dialog_new       (GtkWindow        *parent,
                                          KvbHistory       *history,
                                          const char       *vault);
GListModel *kvb_history_dialog_get_items (KvbHistoryDialog *self);

G_END_DECLS
