/* kvb-restore-plan-private.h: what KvbRestorePlan sets on its entries.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-restore-plan-entry.h"

G_BEGIN_DECLS

KvbRestorePlanEntry *_kvb_restore_plan_entry_new           (GFile               *file);
void                 _kvb_restore_plan_entry_set_backup    (KvbRestorePlanEntry *self,
                                                            KvbBackupFile       *backup);
void                 _kvb_restore_plan_entry_set_kind      (KvbRestorePlanEntry *self,
                                                            KvbObjectKind        kind);
void                 _kvb_restore_plan_entry_set_name      (KvbRestorePlanEntry *self,
                                                            const char          *name);
void                 _kvb_restore_plan_entry_set_state     (KvbRestorePlanEntry *self,
                                                            KvbRestoreState      state,
                                                            const char          *error_message,
                                                            gint64               deleted_date,
                                                            gint64               purge_date);
void                 _kvb_restore_plan_entry_set_can_purge (KvbRestorePlanEntry *self,
                                                            gboolean             can_purge);
/* Without the checks of kvb_restore_plan_entry_set_action(): the plan's defaults. */
void                 _kvb_restore_plan_entry_put_action    (KvbRestorePlanEntry *self,
                                                            KvbRestoreAction     action);
void                 _kvb_restore_plan_entry_set_status    (KvbRestorePlanEntry *self,
                                                            KvbJobStatus         status,
                                                            const char          *message);
void                 _kvb_restore_plan_entry_set_locked    (KvbRestorePlanEntry *self,
                                                            gboolean             locked);

G_END_DECLS
