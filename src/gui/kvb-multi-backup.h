/* kvb-multi-backup.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

#define KVB_TYPE_MULTI_BACKUP (kvb_multi_backup_get_type ())

G_DECLARE_FINAL_TYPE (KvbMultiBackup, kvb_multi_backup, KVB, MULTI_BACKUP, AdwWindow)

/* "Back Up N Vaults…": the vaults chosen in the sidebar, each backed up whole into
 * FOLDER/VAULT as "kvbackup backup --all --vault A --vault B --output FOLDER" does, all at once
 * (the shared pipeline paces each vault on its own).  A window of its own, as the work belongs
 * to no single vault page: one operation card per vault (KvbVaultBackupOperation: progress,
 * Cancel, Resume, the check afterwards, its line in the history), and above them one summary
 * once every vault has ended, announced by the desktop when neither window has the focus.
 * Closing the window while vaults are still being backed up stops them; it closes once their
 * lines are in the history.
 *
 * Signal "finished" (const char *summary): each time every vault has ended (again, after a
 * Resume), with the summary shown. */
KvbMultiBackup *kvb_multi_backup_new         (GtkWindow      *parent,
                                              GFile          *folder);
/* Adds @vault, reached as the sidebar's session does (@pipeline, @cloud, @credential). */
gboolean        kvb_multi_backup_add_vault   (KvbMultiBackup *self,
                                              KvbVaultInfo   *vault,
                                              KvbPipeline    *pipeline,
                                              KvbCloud       *cloud,
                                              KvbCredential  *credential,
                                              GError        **error);
/* Starts every vault added. */
void            kvb_multi_backup_start       (KvbMultiBackup *self);
/* (nullable): the summary once every vault has ended. */
const char     *kvb_multi_backup_get_summary (KvbMultiBackup *self);

G_END_DECLS
