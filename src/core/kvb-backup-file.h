/* kvb-backup-file.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-object-kind.h"

G_BEGIN_DECLS

/* Files larger than this are refused before anything else is done with them.  The largest blob
 * seen from the service is a 33 KB certificate; 500 versions of one stay well below this, even as
 * base64 text. */
#define KVB_BACKUP_FILE_MAX_SIZE (64 * 1024 * 1024)

/* The extension of the files we write: VAULT.NAME.KIND.kvbackup */
#define KVB_BACKUP_FILE_EXTENSION ".kvbackup"

/**
 * KvbBackupFormat:
 * @KVB_BACKUP_FORMAT_RAW: the blob's bytes, as `az … backup --file` and `Backup-AzKeyVault*` write
 * @KVB_BACKUP_FORMAT_BASE64URL: the base64url text of the service's "value" (padded or not,
 *   whitespace allowed, standard base64 characters tolerated)
 * @KVB_BACKUP_FORMAT_JSON: a JSON object with a "value" member holding the base64url text
 *
 * How a backup file was written.  We always write %KVB_BACKUP_FORMAT_RAW.
 */
typedef enum
{
  KVB_BACKUP_FORMAT_RAW,
  KVB_BACKUP_FORMAT_BASE64URL,
  KVB_BACKUP_FORMAT_JSON,
} KvbBackupFormat;

/**
 * KvbBlobHeader:
 * @KVB_BLOB_HEADER_SECRET: "AzureKeyVaultSecretBackupV1.microsoft.com": a secret
 * @KVB_BLOB_HEADER_KEY: "AzureKeyVaultKeyBackupV1.microsoft.com": a key or a certificate (the
 *   service writes the key header for both)
 * @KVB_BLOB_HEADER_OTHER: another "AzureKeyVault…Backup…" header: the kind must be given
 */
typedef enum
{
  KVB_BLOB_HEADER_SECRET,
  KVB_BLOB_HEADER_KEY,
  KVB_BLOB_HEADER_OTHER,
} KvbBlobHeader;

#define KVB_TYPE_BACKUP_FILE (kvb_backup_file_get_type ())

G_DECLARE_FINAL_TYPE (KvbBackupFile, kvb_backup_file, KVB, BACKUP_FILE, GObject)

/* Reading.  @display_name (a file name or path, may be %NULL) is used in messages and as the
 * last clue to the kind ("….certificate.kvbackup", "mycert.blob").  Errors: KVB_ERROR_BAD_FILE
 * with a message that says what is wrong with the file. */
KvbBackupFile   *kvb_backup_file_new_from_bytes   (GBytes               *contents,
                                                   const char           *display_name,
                                                   GError              **error);
KvbBackupFile   *kvb_backup_file_load             (GFile                *file,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
void             kvb_backup_file_load_async       (GFile                *file,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
KvbBackupFile   *kvb_backup_file_load_finish      (GAsyncResult         *result,
                                                   GError              **error);

/* The blob's bytes (base64url-decoded), what restore sends. */
GBytes          *kvb_backup_file_get_blob         (KvbBackupFile        *self);
KvbBackupFormat  kvb_backup_file_get_format       (KvbBackupFile        *self);
KvbBlobHeader    kvb_backup_file_get_header       (KvbBackupFile        *self);
const char      *kvb_backup_file_get_display_name (KvbBackupFile        *self);

/**
 * kvb_backup_file_resolve_kind:
 * @given_kind: (nullable): the kind the user named (`--kind`), or %NULL
 * @kind: (out): the kind to restore as
 *
 * Decides the kind: from the blob header (secret), else @given_kind, else the file name.
 * Errors: KVB_ERROR_AMBIGUOUS_KIND for a key-or-certificate blob with no other clue,
 * KVB_ERROR_BAD_FILE when @given_kind contradicts the header.
 */
gboolean         kvb_backup_file_resolve_kind     (KvbBackupFile        *self,
                                                   const KvbObjectKind  *given_kind,
                                                   KvbObjectKind        *kind,
                                                   GError              **error);

/* The kind a file name suggests ("x.key.kvbackup", "mycert.blob", "db-password.secret"), if any. */
gboolean         kvb_backup_file_kind_from_name   (const char           *file_name,
                                                   KvbObjectKind        *kind);

/* "VAULT.NAME.KIND.kvbackup" (design.md); @vault is a vault name or URL (its first label is used). */
char            *kvb_backup_file_build_name       (const char           *vault,
                                                   const char           *name,
                                                   KvbObjectKind         kind);
/* The reverse of kvb_backup_file_build_name(): whether the last part of @file_name is
 * "VAULT.NAME.KIND.kvbackup" (vault and object names hold no dots), and if so its parts. */
gboolean         kvb_backup_file_parse_name       (const char           *file_name,
                                                   char                **vault,
                                                   char                **name,
                                                   KvbObjectKind        *kind);

/* Whether @blob, as a vault answered a backup of the @kind object @name of @vault, is what a
 * restore would take (a whole blob of that kind), before it becomes a file: an answer garbled
 * or cut short on the way must never become a "backup".  Error: KVB_ERROR_FAILED, saying so. */
gboolean         kvb_backup_file_check_answer     (GBytes               *blob,
                                                   KvbObjectKind         kind,
                                                   const char           *vault,
                                                   const char           *name,
                                                   GError              **error);

/* Writing: the raw blob bytes, byte for byte what `az … backup --file` writes.  Atomic (temporary
 * name in the same folder, fsync, rename, fsync of the folder), mode 0600.  Without @force an
 * existing file is never replaced: KVB_ERROR_FILE_EXISTS. */
gboolean         kvb_backup_file_write            (GFile                *file,
                                                   GBytes               *blob,
                                                   gboolean              force,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
/* Writes the whole content to @fd; FALSE with errno set when a write failed. */
typedef gboolean (*KvbBackupFileWriteFunc)        (int                   fd,
                                                   gpointer              user_data);
/* As kvb_backup_file_write(), with the content written by @func instead of held in memory:
 * for a file too large to build whole first (a vault's manifest). */
gboolean         kvb_backup_file_write_with       (GFile                *file,
                                                   KvbBackupFileWriteFunc func,
                                                   gpointer              user_data,
                                                   gboolean              force,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
void             kvb_backup_file_write_async      (GFile                *file,
                                                   GBytes               *blob,
                                                   gboolean              force,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean         kvb_backup_file_write_finish     (GAsyncResult         *result,
                                                   GError              **error);

/* Removes the temporary files of writes still under way, for a process that must end at once
 * (a second Ctrl+C): the final names only ever get whole files. */
void             kvb_backup_file_discard_partial  (void);

G_END_DECLS
