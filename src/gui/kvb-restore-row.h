/* kvb-restore-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-restore-plan.h"

G_BEGIN_DECLS

#define KVB_TYPE_RESTORE_ROW (kvb_restore_row_get_type ())

G_DECLARE_FINAL_TYPE (KvbRestoreRow, kvb_restore_row, KVB, RESTORE_ROW, GtkListBoxRow)

/* One file of a restore plan: what it holds, what the vault has under its name, the choice it
 * needs, and once running its status and message.  "editable" (default TRUE) turns the choices
 * off while the plan runs. */
GtkWidget           *kvb_restore_row_new          (KvbRestorePlan      *plan,
                                                   KvbRestorePlanEntry *entry);
KvbRestorePlanEntry *kvb_restore_row_get_entry    (KvbRestoreRow       *self);
void                 kvb_restore_row_set_editable (KvbRestoreRow       *self,
                                                   gboolean             editable);

G_END_DECLS
