/* kvb-restore-plan-entry.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-backup-file.h"
#include "kvb-job-status.h"
#include "kvb-object-kind.h"

G_BEGIN_DECLS

/**
 * KvbRestoreState:
 * @KVB_RESTORE_STATE_FREE: no live or deleted object has the name: a restore can go ahead
 * @KVB_RESTORE_STATE_EXISTS: a live object has the name; a restore never overwrites, so skip it
 * @KVB_RESTORE_STATE_SOFT_DELETED: a deleted object holds the name (see the deletion and purge
 *   dates): recover it, or purge it and restore, or skip
 * @KVB_RESTORE_STATE_UNKNOWN_NAME: the file name does not say the object's name (a file of az or
 *   PowerShell): the restore is tried, and the service says if the name is taken
 * @KVB_RESTORE_STATE_AMBIGUOUS_KIND: a key-or-certificate blob with no other clue: the user must
 *   choose with kvb_restore_plan_choose_kind()
 * @KVB_RESTORE_STATE_INVALID: the file cannot be restored; the error message says why
 *
 * What the vault holds under the name of a file, when the plan was made.
 */
typedef enum
{
  KVB_RESTORE_STATE_FREE,
  KVB_RESTORE_STATE_EXISTS,
  KVB_RESTORE_STATE_SOFT_DELETED,
  KVB_RESTORE_STATE_UNKNOWN_NAME,
  KVB_RESTORE_STATE_AMBIGUOUS_KIND,
  KVB_RESTORE_STATE_INVALID,
} KvbRestoreState;

/**
 * KvbRestoreAction:
 * @KVB_RESTORE_ACTION_NONE: not chosen yet; a plan does not run while an entry has none
 * @KVB_RESTORE_ACTION_RESTORE: restore the file (free or unknown name)
 * @KVB_RESTORE_ACTION_SKIP: leave the file alone (always allowed)
 * @KVB_RESTORE_ACTION_RECOVER: soft-deleted name: recover the deleted object, the file is not used
 * @KVB_RESTORE_ACTION_PURGE_AND_RESTORE: soft-deleted name: purge the deleted object for good,
 *   wait until the name is free, then restore the file (not under purge protection)
 */
typedef enum
{
  KVB_RESTORE_ACTION_NONE,
  KVB_RESTORE_ACTION_RESTORE,
  KVB_RESTORE_ACTION_SKIP,
  KVB_RESTORE_ACTION_RECOVER,
  KVB_RESTORE_ACTION_PURGE_AND_RESTORE,
} KvbRestoreAction;

#define KVB_TYPE_RESTORE_STATE (kvb_restore_state_get_type ())
GType kvb_restore_state_get_type (void);
#define KVB_TYPE_RESTORE_ACTION (kvb_restore_action_get_type ())
GType kvb_restore_action_get_type (void);

#define KVB_TYPE_RESTORE_PLAN_ENTRY (kvb_restore_plan_entry_get_type ())

G_DECLARE_FINAL_TYPE (KvbRestorePlanEntry, kvb_restore_plan_entry, KVB, RESTORE_PLAN_ENTRY, GObject)

/* One file of a KvbRestorePlan.  Every getter is also a read-only property of the same name
 * (file, backup, kind, name, state, error-message, deleted-date, scheduled-purge-date, status,
 * message) with notify, and "action" is read-write, so that a list row can bind to them. */
GFile            *kvb_restore_plan_entry_get_file                 (KvbRestorePlanEntry *self);
/* (nullable): the file as read, %NULL for an invalid one. */
KvbBackupFile    *kvb_restore_plan_entry_get_backup               (KvbRestorePlanEntry *self);
/* Meaningful unless the state is AMBIGUOUS_KIND or INVALID. */
KvbObjectKind     kvb_restore_plan_entry_get_kind                 (KvbRestorePlanEntry *self);
/* (nullable): from the file name VAULT.NAME.KIND.kvbackup; after a restore, the restored name. */
const char       *kvb_restore_plan_entry_get_name                 (KvbRestorePlanEntry *self);
KvbRestoreState   kvb_restore_plan_entry_get_state                (KvbRestorePlanEntry *self);
/* (nullable): why the file is INVALID, the reader's message; %NULL in other states. */
const char       *kvb_restore_plan_entry_get_error_message        (KvbRestorePlanEntry *self);
/* Unix seconds, SOFT_DELETED only (else 0). */
gint64            kvb_restore_plan_entry_get_deleted_date         (KvbRestorePlanEntry *self);
gint64            kvb_restore_plan_entry_get_scheduled_purge_date (KvbRestorePlanEntry *self);

KvbRestoreAction  kvb_restore_plan_entry_get_action               (KvbRestorePlanEntry *self);
/* Whether @action fits the entry's state (and the vault's purge protection); for graying out. */
gboolean          kvb_restore_plan_entry_can                      (KvbRestorePlanEntry *self,
                                                                   KvbRestoreAction     action);
/* Errors: KVB_ERROR_INVALID_ARGUMENT with a sentence saying why @action does not fit. */
gboolean          kvb_restore_plan_entry_set_action               (KvbRestorePlanEntry *self,
                                                                   KvbRestoreAction     action,
                                                                   GError             **error);

KvbJobStatus      kvb_restore_plan_entry_get_status               (KvbRestorePlanEntry *self);
/* (nullable): what happened, in a sentence: the reason of a failure or a skip, or what was done. */
const char       *kvb_restore_plan_entry_get_message              (KvbRestorePlanEntry *self);

G_END_DECLS
