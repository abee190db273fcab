/* kvb-backup-job.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-backup-job-item.h"
#include "kvb-job-status.h"
#include "kvb-keyvault-client.h"
#include "kvb-object-info.h"

G_BEGIN_DECLS

/* How many backups a job has in flight at once by default: the pipeline paces per vault, this
 * only keeps the round trips overlapping. */
#define KVB_BACKUP_JOB_DEFAULT_PARALLEL 4

#define KVB_TYPE_BACKUP_JOB (kvb_backup_job_get_type ())

G_DECLARE_FINAL_TYPE (KvbBackupJob, kvb_backup_job, KVB, BACKUP_JOB, GObject)

/* Backs up objects of one vault into @folder, one file per object named VAULT.NAME.KIND.kvbackup
 * (raw blob bytes, written atomically, 0600; the folder is made 0700 if missing).  The job is a
 * GListModel of KvbBackupJobItem, one per file: a certificate's managed key or secret becomes
 * the certificate, and duplicates collapse into one item.  (The whole-vault engine with its
 * manifest grows from this.) */
KvbBackupJob     *kvb_backup_job_new              (KvbKeyVaultClient    *client,
                                                   GFile                *folder);
/* Returns: (transfer none): the item @object went into (a new one, or the one it joined). */
KvbBackupJobItem *kvb_backup_job_add_object       (KvbBackupJob         *self,
                                                   KvbObjectInfo        *object);
/* Replace files that exist (default: never; such objects are SKIPPED, and say so). */
void              kvb_backup_job_set_overwrite    (KvbBackupJob         *self,
                                                   gboolean              overwrite);
void              kvb_backup_job_set_max_parallel (KvbBackupJob         *self,
                                                   guint                 max_parallel);

/* Backs up every item; each item's "status" and "message" follow.  One failure does not stop
 * the others.  Fails as a whole only when cancelled (G_IO_ERROR_CANCELLED: items not finished are
 * PENDING again) or when the folder cannot be made.  @summary (out, optional).  Once per job. */
void              kvb_backup_job_run_async        (KvbBackupJob         *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean          kvb_backup_job_run_finish       (KvbBackupJob         *self,
                                                   GAsyncResult         *result,
                                                   KvbJobSummary        *summary,
                                                   GError              **error);

/* What "Download Backup" of @object really backs up: for a certificate's managed key or secret,
 * the certificate of the same name (returns TRUE: tell the user before the save dialog);
 * otherwise the object itself (returns FALSE).  @name is borrowed from @object. */
gboolean          kvb_backup_job_get_target       (KvbObjectInfo        *object,
                                                   KvbObjectKind        *kind,
                                                   const char          **name);

/* "Download Backup" of one object to a chosen @file: the backup, then the atomic 0600 write.
 * Without @overwrite an existing @file is refused before any request (KVB_ERROR_FILE_EXISTS). */
void              kvb_backup_job_backup_one_async  (KvbKeyVaultClient   *client,
                                                    KvbObjectKind        kind,
                                                    const char          *name,
                                                    GFile               *file,
                                                    gboolean             overwrite,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          kvb_backup_job_backup_one_finish (GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
