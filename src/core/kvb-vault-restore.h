/* kvb-vault-restore.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-job-status.h"
#include "kvb-keyvault-client.h"
#include "kvb-restore-plan.h"
#include "kvb-vault-info.h"
#include "kvb-vault-manifest.h"

G_BEGIN_DECLS

#define KVB_TYPE_VAULT_RESTORE (kvb_vault_restore_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultRestore, kvb_vault_restore, KVB, VAULT_RESTORE, GObject)

/* The restore of a whole-vault backup folder (KvbVaultBackup) into the vault of @client:
 * load (manifest and pre-flight), prepare (the files that match the manifest go into a
 * KvbRestorePlan, which the caller may show and change), run (the plan, then a check that every
 * object of the backup is in the vault and each restored one has its versions). */
KvbVaultRestore  *kvb_vault_restore_new            (KvbKeyVaultClient    *client,
                                                    GFile                *folder);

/* Reads the manifest and checks it against @target (what Resource Manager says of the vault;
 * %NULL when it does not show it): another subscription or another geography fails with
 * KVB_ERROR_WRONG_SCOPE before anything is sent.  What cannot be checked is said by
 * kvb_vault_restore_get_notice().  Reads files on the calling thread. */
gboolean          kvb_vault_restore_load           (KvbVaultRestore      *self,
                                                    KvbVaultInfo         *target,
                                                    GError              **error);
/* After load: (nullable) a sentence about what the pre-flight could not check. */
const char       *kvb_vault_restore_get_notice     (KvbVaultRestore      *self);
/* After load. Returns: (transfer none). */
KvbVaultManifest *kvb_vault_restore_get_manifest   (KvbVaultRestore      *self);

/* Checks every file recorded done against the manifest (those that do not match are left out,
 * see kvb_vault_restore_get_problems()) and prepares the plan with @soft_deleted_action as the
 * default for soft-deleted names (kvb_restore_plan_set_soft_deleted_action()).  Sends only
 * listings. */
void              kvb_vault_restore_prepare_async  (KvbVaultRestore      *self,
                                                    KvbRestoreAction      soft_deleted_action,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          kvb_vault_restore_prepare_finish (KvbVaultRestore      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* After prepare. Returns: (transfer none). */
KvbRestorePlan   *kvb_vault_restore_get_plan       (KvbVaultRestore      *self);

/* Runs the plan, then lists the vault: an object of the backup that is not there, or a restored
 * one without the versions the manifest records, is a problem.  Fails as a whole as the plan's
 * run does (cancellation, an entry without an action) or when the vault cannot be listed. */
void              kvb_vault_restore_run_async      (KvbVaultRestore      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          kvb_vault_restore_run_finish     (KvbVaultRestore      *self,
                                                    GAsyncResult         *result,
                                                    KvbJobSummary        *summary,
                                                    GError              **error);

/* Returns: (transfer none) (element-type utf8): one sentence per file left out by prepare and
 * per object found wrong after the run. */
GPtrArray        *kvb_vault_restore_get_problems   (KvbVaultRestore      *self);

G_END_DECLS
