/* kvb-file-util.h: reading the files a person names (backups, cloud profiles, certificates)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * KvbFilePurpose:
 * @KVB_FILE_PURPOSE_BACKUP: a backup file to restore
 * @KVB_FILE_PURPOSE_CLOUD_PROFILE: a cloud profile (JSON)
 * @KVB_FILE_PURPOSE_CERTIFICATE: a service principal's certificate with its private key (PEM)
 * @KVB_FILE_PURPOSE_CA: certificate authorities to trust (PEM)
 * @KVB_FILE_PURPOSE_OTHER: a file of another program that the caller reads for a hint only
 *
 * What the file was meant to be: it picks the sentence that tells the person what to choose
 * instead when the path names something else.
 */
typedef enum
{
  KVB_FILE_PURPOSE_BACKUP,
  KVB_FILE_PURPOSE_CLOUD_PROFILE,
  KVB_FILE_PURPOSE_CERTIFICATE,
  KVB_FILE_PURPOSE_CA,
  KVB_FILE_PURPOSE_OTHER,
} KvbFilePurpose;

/* Opens @path for reading without ever blocking (a named pipe, a device or a socket would) and
 * returns the descriptor only when it is a regular file; @size gets its size.  Errors:
 * KVB_ERROR_INVALID_ARGUMENT with a message that says what @path is and what to choose instead. */
int      kvb_file_open_regular (const char      *path,
                                KvbFilePurpose   purpose,
                                goffset         *size,
                                GError         **error);

/* Reads @fd to its end, or to @max_size + 1 bytes at most, so that the caller can tell a file
 * larger than @max_size (0: no limit).  @path names the file in messages. */
GBytes  *kvb_file_read_fd      (int              fd,
                                const char      *path,
                                gsize            max_size,
                                GCancellable    *cancellable,
                                GError         **error);

/* kvb_file_open_regular() and kvb_file_read_fd() without a limit. */
GBytes  *kvb_file_load_regular (const char      *path,
                                KvbFilePurpose   purpose,
                                GCancellable    *cancellable,
                                GError         **error);

G_END_DECLS
