/* kvb-backup-job-item.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-job-status.h"
#include "kvb-object-kind.h"

G_BEGIN_DECLS

#define KVB_TYPE_BACKUP_JOB_ITEM (kvb_backup_job_item_get_type ())

G_DECLARE_FINAL_TYPE (KvbBackupJobItem, kvb_backup_job_item, KVB, BACKUP_JOB_ITEM, GObject)

/* One object of a KvbVaultBackup: what is backed up (a certificate in place of its managed key or
 * secret), to which file, and how it went.  Every getter is also a read-only property of the
 * same name (kind, name, replaced, file, status, message) with notify. */
KvbObjectKind  kvb_backup_job_item_get_kind     (KvbBackupJobItem *self);
const char    *kvb_backup_job_item_get_name     (KvbBackupJobItem *self);
/* TRUE when a certificate's managed key or secret was asked for and the certificate is backed up
 * in its place (Key Vault refuses to back them up alone). */
gboolean       kvb_backup_job_item_get_replaced (KvbBackupJobItem *self);
GFile         *kvb_backup_job_item_get_file     (KvbBackupJobItem *self);
KvbJobStatus   kvb_backup_job_item_get_status   (KvbBackupJobItem *self);
/* (nullable): the reason of a failure or skip, or what was done, in a sentence. */
const char    *kvb_backup_job_item_get_message  (KvbBackupJobItem *self);

/* For KvbVaultBackup. */
KvbBackupJobItem *_kvb_backup_job_item_new        (KvbObjectKind     kind,
                                                   const char       *name,
                                                   GFile            *file);
void              _kvb_backup_job_item_set_replaced (KvbBackupJobItem *self);
void              _kvb_backup_job_item_set_status (KvbBackupJobItem *self,
                                                   KvbJobStatus      status,
                                                   const char       *message);

G_END_DECLS
