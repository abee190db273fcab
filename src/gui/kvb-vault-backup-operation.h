/* kvb-vault-backup-operation.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-keyvault-client.h"
#include "kvb-operation-card.h"
#include "kvb-pipeline.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

#define KVB_TYPE_VAULT_BACKUP_OPERATION (kvb_vault_backup_operation_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultBackupOperation, kvb_vault_backup_operation, KVB,
                      VAULT_BACKUP_OPERATION, GObject)

/* "Back Up Vault…" once the folder is known: runs the core's KvbVaultBackup into @folder and
 * shows it on @card (objects finished of those listed so far, failed and throttled as it goes;
 * Cancel; at the end the summary, the failed objects with their reasons, and the result of the
 * core's check of the folder).  After a cancellation or a failure the card offers Resume, which
 * continues in the same folder: objects saved and unchanged are kept without a request.
 *
 * @vault gives the subscription, location and tenant for the manifest (a restore checks them);
 * @pipeline (nullable) is asked how often the vault throttled the job; @cloud_id (nullable) is
 * recorded in the manifest.
 *
 * Each run ends with a line in the user's history (kvb_history_new_default()), as "kvbackup
 * backup --all" writes it: result, counts, folder, why it failed.
 *
 * Signal "finished" (const char *summary, gboolean cancelled): after each run, once its line is
 * in the history, with the words the card shows. */
KvbVaultBackupOperation *kvb_vault_backup_operation_new         (KvbKeyVaultClient       *client,
                                                                 KvbVaultInfo            *vault,
                                                                 KvbPipeline             *pipeline,
                                                                 const char              *cloud_id,
                                                                 GFile                   *folder,
                                                                 KvbOperationCard        *card);
/* Starts the first run (@resume FALSE: a folder that already holds a backup is refused). */
void                     kvb_vault_backup_operation_start       (KvbVaultBackupOperation *self,
                                                                 gboolean                 resume);
gboolean                 kvb_vault_backup_operation_get_running (KvbVaultBackupOperation *self);
GFile                   *kvb_vault_backup_operation_get_folder  (KvbVaultBackupOperation *self);
KvbOperationCard        *kvb_vault_backup_operation_get_card    (KvbVaultBackupOperation *self);
/* (nullable): how the last run ended, as its history line says (KVB_HISTORY_SUCCEEDED,
 * _PARTIAL, _FAILED, _CANCELLED); %NULL while the first run is under way. */
const char              *kvb_vault_backup_operation_get_result  (KvbVaultBackupOperation *self);
const char              *kvb_vault_backup_operation_get_vault_name (KvbVaultBackupOperation *self);
/* Stops the run, if one is under way (the manifest keeps what was done). */
void                     kvb_vault_backup_operation_cancel      (KvbVaultBackupOperation *self);

/* The folder a new backup of @vault_name goes into, inside the folder the user chose:
 * "VAULT-YYYY-MM-DD-HHMMSS" at @now (local time), so that backups of several days sit side by
 * side and none is ever written over. */
char                    *kvb_vault_backup_operation_folder_name (const char              *vault_name,
                                                                 GDateTime               *now);

G_END_DECLS
