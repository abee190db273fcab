/* kvb-vault-backup.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-backup-job-item.h"
#include "kvb-job-status.h"
#include "kvb-keyvault-client.h"
#include "kvb-object-info.h"
#include "kvb-vault-manifest.h"

G_BEGIN_DECLS

/* Backups in flight at once.  The pipeline paces every request to a vault under its limit; the
 * number in flight only decides how many round trips overlap.  It starts at the default, grows by
 * one for each round of that many objects done without trouble, up to the maximum, and halves
 * when an object fails on throttling, a timeout or the network. */
#define KVB_VAULT_BACKUP_DEFAULT_PARALLEL 8
#define KVB_VAULT_BACKUP_MAX_PARALLEL     32

#define KVB_TYPE_VAULT_BACKUP (kvb_vault_backup_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultBackup, kvb_vault_backup, KVB, VAULT_BACKUP, GObject)

/* The backup of a whole vault into @folder (made 0700): one file per object in the kind
 * sub-folders (secrets/, keys/, certificates/; 0700, files 0600, written atomically) and a
 * manifest.json rewritten atomically as objects finish.  Every secret, key and certificate is
 * listed; the key and secret of a certificate are recorded as covered by it (Key Vault backs
 * them up only with the certificate).  The job is a GListModel of KvbBackupJobItem that grows
 * as the listing arrives: covered objects are SKIPPED with the reason.  The same engine backs up
 * a selection (kvb_vault_backup_set_objects()); one object to a file of its own is
 * kvb_object_backup_to_file_async(). */
KvbVaultBackup   *kvb_vault_backup_new              (KvbKeyVaultClient   *client,
                                                     GFile               *folder);
/* A selection instead of the whole vault (before the run): the vault is not listed, exactly these
 * objects (KvbObjectInfo, as listed) are backed up with the same machinery, files and manifest.
 * The model has one item per file, at once: a certificate's managed key or secret becomes its
 * certificate (the item is "replaced"; the key or secret is recorded "covered" in the manifest,
 * and the certificate's own properties are asked for when it was not selected itself), and
 * duplicates collapse into one item.  Objects of an earlier manifest that are not in the
 * selection stay as they are (a selection says nothing about the rest of the vault).  The
 * check for objects changed while the job ran is not made: it rests on listing the vault a
 * second time, and a selection is a few objects backed up at once; get_changed() stays empty. */
void              kvb_vault_backup_set_objects      (KvbVaultBackup      *self,
                                                     GPtrArray           *objects);
/* A fixed number in flight instead of the adaptive one. */
void              kvb_vault_backup_set_max_parallel (KvbVaultBackup      *self,
                                                     guint                max_parallel);
/* Continue the backup in a folder that has a manifest: objects recorded done whose file still
 * has its SHA-256 are kept without a request.  Without it a folder with a manifest is refused
 * (KVB_ERROR_FILE_EXISTS). */
void              kvb_vault_backup_set_resume       (KvbVaultBackup      *self,
                                                     gboolean             resume);
/* Incremental: an earlier backup of the same vault in @previous (another folder).  An object
 * whose "updated" and version list are those the earlier manifest records, and whose earlier file
 * still has its SHA-256, is not backed up again: its file becomes a hard link to the earlier one
 * (a copy when the folders are on different file systems), recorded in the manifest as "reused":
 * "link" or "copy".  The new folder is a whole backup on its own; the earlier one is not changed.
 * A @previous without a manifest, or of another vault, fails the run before any request. */
void              kvb_vault_backup_set_previous     (KvbVaultBackup      *self,
                                                     GFile               *previous);
/* What Resource Manager says about the vault (each nullable: unknown), for the manifest. */
void              kvb_vault_backup_set_origin       (KvbVaultBackup      *self,
                                                     const char          *subscription,
                                                     const char          *location,
                                                     const char          *tenant,
                                                     const char          *cloud);

/* One failed object does not stop the others: it is FAILED with its reason, in the model and
 * the manifest.  The run fails as a whole when cancelled (the manifest keeps what was done),
 * when the folder cannot be used, or when a kind cannot be listed (after the other kinds are
 * backed up).  @summary (out, optional): done (kept ones included), skipped (covered), failed. */
void              kvb_vault_backup_run_async        (KvbVaultBackup      *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean          kvb_vault_backup_run_finish       (KvbVaultBackup      *self,
                                                     GAsyncResult        *result,
                                                     KvbJobSummary       *summary,
                                                     GError             **error);

/* After a run: the manifest as written.  Returns: (transfer none) (nullable). */
KvbVaultManifest *kvb_vault_backup_get_manifest     (KvbVaultBackup      *self);
/* After a run: objects kept from the earlier run without a request (--resume). */
guint             kvb_vault_backup_get_n_kept       (KvbVaultBackup      *self);
/* After a run: objects taken from the earlier backup by a hard link, or by a copy. */
guint             kvb_vault_backup_get_n_linked     (KvbVaultBackup      *self);
guint             kvb_vault_backup_get_n_copied     (KvbVaultBackup      *self);
/* After a run: objects whose "updated" moved while the job ran (listed again at the end).
 * Returns: (transfer none) (element-type utf8): "KIND NAME" each. */
GPtrArray        *kvb_vault_backup_get_changed      (KvbVaultBackup      *self);

G_END_DECLS
