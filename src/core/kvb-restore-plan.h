/* kvb-restore-plan.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-job-status.h"
#include "kvb-keyvault-client.h"
#include "kvb-restore-plan-entry.h"

G_BEGIN_DECLS

#define KVB_TYPE_RESTORE_PLAN (kvb_restore_plan_get_type ())

G_DECLARE_FINAL_TYPE (KvbRestorePlan, kvb_restore_plan, KVB, RESTORE_PLAN, GObject)

/* "Restore Backup" of several files into one vault, in two steps: prepare (read the files, list
 * the vault once per kind, live and deleted) gives one KvbRestorePlanEntry per file with the
 * state of its name and a default action; the caller changes actions where it wants; run does
 * them one by one, certificates first (a certificate brings back its key and secret), then keys,
 * then secrets.  The plan is a GListModel of KvbRestorePlanEntry, empty until prepared.
 *
 * @purge_protection: whether the vault has purge protection
 *   (kvb_vault_info_get_purge_protection()): then PURGE_AND_RESTORE is refused up front.  When the caller does not know, pass FALSE: a
 *   purge is then tried, and refused by the service with the core's message. */
KvbRestorePlan *kvb_restore_plan_new                     (KvbKeyVaultClient    *client,
                                                          gboolean              purge_protection);

KvbKeyVaultClient *kvb_restore_plan_get_client           (KvbRestorePlan       *self);

/* The default action for soft-deleted names (property "soft-deleted-action"): NONE (the user
 * must choose; the default), SKIP, RECOVER or PURGE_AND_RESTORE (NONE under purge protection).
 * Applies to entries prepared later and to those still without a choice. */
void            kvb_restore_plan_set_soft_deleted_action (KvbRestorePlan       *self,
                                                          KvbRestoreAction      action);

/* Property "stop-at-name-in-use" (FALSE by default): TRUE makes the restore all or nothing
 * where names are concerned: run refuses before any request (KVB_ERROR_CONFLICT_LIVE) when an
 * entry's name is in use, and a name found taken while running (the client looks again before
 * sending) ends the run there: the entries not started are skipped with the reason. */
void            kvb_restore_plan_set_stop_at_name_in_use (KvbRestorePlan       *self,
                                                          gboolean              stop);
gboolean        kvb_restore_plan_get_stop_at_name_in_use (KvbRestorePlan       *self);

/* @files: a GListModel of GFile.  Files that cannot be read become INVALID entries; the
 * operation itself fails only when the vault cannot be listed (e.g. no list permission) or
 * on cancellation.  Once per plan. */
void            kvb_restore_plan_prepare_async           (KvbRestorePlan       *self,
                                                          GListModel           *files,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean        kvb_restore_plan_prepare_finish          (KvbRestorePlan       *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

/* For an AMBIGUOUS_KIND entry (or to correct the kind of a key-or-certificate file): sets the
 * kind, takes the name from the file name if it says one, and works out the state from the
 * listings made by prepare (no request).  Errors: KVB_ERROR_BAD_FILE when @kind contradicts the
 * file (a secret blob is never a key). */
gboolean        kvb_restore_plan_choose_kind             (KvbRestorePlan       *self,
                                                          KvbRestorePlanEntry  *entry,
                                                          KvbObjectKind         kind,
                                                          GError              **error);

/* Entries whose name is held by a deleted object (SOFT_DELETED). */
guint           kvb_restore_plan_count_soft_deleted      (KvbRestorePlan       *self);

/* "Apply to all": one choice for every SOFT_DELETED entry at once (their own choices so far
 * included): SKIP, RECOVER or PURGE_AND_RESTORE.  All or nothing: refused with
 * KVB_ERROR_INVALID_ARGUMENT and a sentence when the action does not fit every such entry
 * (PURGE_AND_RESTORE under purge protection) or once the restore has started.  Returns how many
 * entries it set in @n_set (optional). */
gboolean        kvb_restore_plan_choose_for_soft_deleted (KvbRestorePlan       *self,
                                                          KvbRestoreAction      action,
                                                          guint                *n_set,
                                                          GError              **error);

/* Entries whose action is still NONE. */
guint           kvb_restore_plan_count_undecided         (KvbRestorePlan       *self);

/* Runs every entry's action, one at a time; each entry's "status" and "message" follow.  A
 * failed entry keeps the core's message and does not stop the others.  Refused (before any
 * request) with KVB_ERROR_INVALID_ARGUMENT while an entry has no action.  Cancellation stops after
 * the current request: entries not started stay PENDING, and the finish gives
 * G_IO_ERROR_CANCELLED.  @summary (out, optional) has the counts.  Once per plan. */
void            kvb_restore_plan_run_async               (KvbRestorePlan       *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean        kvb_restore_plan_run_finish              (KvbRestorePlan       *self,
                                                          GAsyncResult         *result,
                                                          KvbJobSummary        *summary,
                                                          GError              **error);

G_END_DECLS
