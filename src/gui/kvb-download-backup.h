/* kvb-download-backup.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-keyvault-client.h"
#include "kvb-object-info.h"
#include "kvb-vault-backup.h"

G_BEGIN_DECLS

/* The default action of the notification sent when a download ends while its window is not
 * active: the application presents its main window. */
#define KVB_DOWNLOAD_BACKUP_NOTIFICATION_ACTION "app.show-window"

#define KVB_TYPE_DOWNLOAD_BACKUP (kvb_download_backup_get_type ())

G_DECLARE_FINAL_TYPE (KvbDownloadBackup, kvb_download_backup, KVB, DOWNLOAD_BACKUP, GObject)

/* "Download Backup" of the selected objects of @vault_name, the whole flow as the user sees it.
 *
 * One object: a certificate's managed key or secret first asks whether to download the
 * certificate's backup instead; then the save dialog with the name VAULT.NAME.KIND.kvbackup
 * (the dialog confirms replacing a file); then the file is written (atomically, 0600).
 * Several objects: a folder dialog, then a KvbVaultBackup of the selection into that folder, so
 * that it is a backup folder like a whole vault's (kind sub-folders and a manifest.json, which
 * `kvbackup verify` checks and Restore Folder reads).  A folder that already holds a backup of
 * the same vault is continued: what it has of the selection, unchanged since, is kept; a backup
 * of another vault is refused.  "job-started" is emitted with the job before it runs, so that
 * the caller can show it in a KvbOperationCard.
 *
 * When the operation ends (not by cancellation) while @parent is not the active window, a
 * GNotification is sent through @parent's application (or the default one) with the id of
 * kvb_download_backup_get_notification_id() and KVB_DOWNLOAD_BACKUP_NOTIFICATION_ACTION.
 *
 * Returns: (transfer none): the operation, alive until the callback has run, so that the
 * caller can connect to "job-started".  Closing a dialog or cancelling @cancellable ends it
 * with G_IO_ERROR_CANCELLED. */
KvbDownloadBackup *kvb_download_backup_run_async   (GtkWindow           *parent,
                                                    KvbKeyVaultClient   *client,
                                                    const char          *vault_name,
                                                    GPtrArray           *objects,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* Returns: (transfer full): the operation, to read what was done; %NULL with @error. */
KvbDownloadBackup *kvb_download_backup_run_finish  (GAsyncResult        *result,
                                                    GError             **error);

/* A new job with the objects whose backup failed in the last job, into the same folder, with no
 * dialog ("Retry Failed").  Emits "job-started" again; finish with kvb_download_backup_run_finish(). */
void               kvb_download_backup_retry_failed_async (KvbDownloadBackup   *self,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);

/* Whether the operation was over several objects (a folder and a job). */
gboolean           kvb_download_backup_get_several (KvbDownloadBackup   *self);
/* (nullable): the file written (one object), else %NULL. */
GFile             *kvb_download_backup_get_file    (KvbDownloadBackup   *self);
/* (nullable): the folder of the file, or the folder chosen for several objects. */
GFile             *kvb_download_backup_get_folder  (KvbDownloadBackup   *self);
/* (nullable): the last job (several objects). */
KvbVaultBackup    *kvb_download_backup_get_job     (KvbDownloadBackup   *self);
/* The counts of the last run (one object: 1 done). */
void               kvb_download_backup_get_summary (KvbDownloadBackup   *self,
                                                    KvbJobSummary       *summary);
/* The title of the job's card: "Downloading 12 backups to “folder”". */
char              *kvb_download_backup_dup_title   (KvbDownloadBackup   *self);
/* The sentence of the toast at the end: "Backup of “NAME” saved", or for several objects
 * "Backups saved to “folder”: 10 saved, 1 failed". */
char              *kvb_download_backup_dup_result  (KvbDownloadBackup   *self);
/* (nullable): the id of the notification sent at the end of the last run, if one was sent. */
const char        *kvb_download_backup_get_notification_id (KvbDownloadBackup *self);

/* The toast of the end: kvb_download_backup_dup_result() with an "Open Folder" button that
 * calls kvb_download_backup_open_folder() on the file or folder.  (transfer full): for
 * adw_toast_overlay_add_toast(). */
AdwToast          *kvb_download_backup_new_toast   (KvbDownloadBackup   *self);

/* "Open Folder" of the toast: shows the folder of @folder_or_file (the folder itself when it is
 * one) in the file manager, through the OpenURI portal inside Flatpak. */
void               kvb_download_backup_open_folder (GFile               *folder_or_file);

G_END_DECLS
