/* kvb-backup-reuse.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The files a backup takes from an earlier run instead of asking the vault again: a file kept in
 * its own folder by a resumed run, and an unchanged object's file from the earlier backup of an
 * incremental run.  The files are read off the main thread, from copies of the manifest entries
 * (the manifests stay with the caller's thread). */

typedef enum
{
  KVB_BACKUP_REUSE_LINK = 1,   /* a hard link to the earlier file */
  KVB_BACKUP_REUSE_COPY,       /* a copy (another file system, or one without hard links) */
} KvbBackupReuseMode;

/* Whether @folder still holds @entry's file whole (kvb_vault_manifest_check_entry()). */
void        kvb_backup_reuse_check_async  (JsonObject          *entry,
                                           GFile               *folder,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    kvb_backup_reuse_check_finish (GAsyncResult        *result,
                                           GError             **error);

/* @earlier's file in @earlier_folder, checked, taken into @folder as @file (relative to it), and
 * checked there.  Returns: (transfer full): the new entry's "file", "size" and "sha256" (with the
 * earlier entry's kind, name, versions and versionsDigest); %NULL with @error when the earlier
 * file is damaged or gone, or the new one cannot be written. */
void        kvb_backup_reuse_async        (JsonObject          *earlier,
                                           GFile               *earlier_folder,
                                           GFile               *folder,
                                           const char          *file,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
JsonObject *kvb_backup_reuse_finish       (GAsyncResult        *result,
                                           KvbBackupReuseMode  *mode,
                                           GError             **error);

G_END_DECLS
