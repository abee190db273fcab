/* kvb-object-backup.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-keyvault-client.h"
#include "kvb-object-info.h"

G_BEGIN_DECLS

/* One object's backup: which object Key Vault backs up for it, and its backup into a file of its
 * own.  A folder of them is KvbVaultBackup's work. */

/* What "Download Backup" of @object really backs up: for a certificate's managed key or secret,
 * the certificate of the same name (returns TRUE: tell the user before the save dialog);
 * otherwise the object itself (returns FALSE).  @name is borrowed from @object. */
gboolean kvb_object_backup_get_target     (KvbObjectInfo        *object,
                                           KvbObjectKind        *kind,
                                           const char          **name);

/* One object to a chosen @file (the portal's "Download Backup", az's "backup --file"): the
 * backup, the same check of the answer as a folder's, then the atomic 0600 write.  Without
 * @overwrite an existing @file is refused before any request (KVB_ERROR_FILE_EXISTS). */
void     kvb_object_backup_to_file_async  (KvbKeyVaultClient    *client,
                                           KvbObjectKind         kind,
                                           const char           *name,
                                           GFile                *file,
                                           gboolean              overwrite,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean kvb_object_backup_to_file_finish (GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
