/* kvb-history.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Where the history is kept: DATA/key-vault-backup/history.jsonl (g_get_user_data_dir()). */
#define KVB_HISTORY_FOLDER_NAME "key-vault-backup"
#define KVB_HISTORY_FILE_NAME   "history.jsonl"

/* The "operation" of an entry. */
#define KVB_HISTORY_BACKUP  "backup"
#define KVB_HISTORY_RESTORE "restore"
#define KVB_HISTORY_RECOVER "recover"
#define KVB_HISTORY_PURGE   "purge"
/* The backup of chosen objects (the window's Download Backup): never a whole-vault backup. */
#define KVB_HISTORY_DOWNLOAD "download"

/* The "result" of an entry: every object done, some failed, the whole run failed (nothing or
 * not all was tried), or interrupted. */
#define KVB_HISTORY_SUCCEEDED "succeeded"
#define KVB_HISTORY_PARTIAL   "partial"
#define KVB_HISTORY_FAILED    "failed"
#define KVB_HISTORY_CANCELLED "cancelled"

#define KVB_TYPE_HISTORY (kvb_history_get_type ())

G_DECLARE_FINAL_TYPE (KvbHistory, kvb_history, KVB, HISTORY, GObject)

/* The record of what was done to vaults: one JSON object a line, appended, never rewritten.
 *
 * An entry has "time" (UTC, ISO 8601, set by append when missing), "operation", "vault" (its
 * name), and as known "vaultUrl", "account" (the user name, or the client id of a service
 * principal, or "Azure CLI"), "cloud", "folder", "files" (array), "objects" (how many the
 * operation was about), "result", "counts" (an object of numbers: done, failed, skipped,
 * kept, linked…), "finished" and "message" (why it failed).  Callers build it with
 * kvb_history_entry_new() and set the members they know.  It must never hold a secret value, a
 * token or a client secret: names, numbers, paths and dates only. */
KvbHistory  *kvb_history_new              (GFile          *file);
/* The user's history file (see KVB_HISTORY_FILE_NAME). */
KvbHistory  *kvb_history_new_default      (void);
GFile       *kvb_history_get_file         (KvbHistory     *self);

/* A new entry with "operation" and "vault" set.  Returns: (transfer full). */
JsonObject  *kvb_history_entry_new        (const char     *operation,
                                           const char     *vault);

/* Sets what an operation over @n_objects came to: "objects", "result" (cancelled when @error
 * is G_IO_ERROR_CANCELLED, failed when another @error or when nothing was done and some failed,
 * partial when some failed, else succeeded), "counts" (done, skipped, failed), "finished" (now),
 * and "message": @error's, or else @reason (why the first object failed), when there is one. */
void         kvb_history_entry_set_outcome (JsonObject    *entry,
                                            guint          n_objects,
                                            guint          n_done,
                                            guint          n_skipped,
                                            guint          n_failed,
                                            const GError  *error,
                                            const char    *reason);

/* Appends @entry as one line: the folder is made 0700, the file 0600, opened with O_APPEND and
 * written with a single write(), so that lines of processes that append at once never mix. */
gboolean     kvb_history_append           (KvbHistory     *self,
                                           JsonObject     *entry,
                                           GError        **error);
/* The same off the calling thread, for the window: @entry is not to be changed meanwhile. */
void         kvb_history_append_async     (KvbHistory          *self,
                                           JsonObject          *entry,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean     kvb_history_append_finish    (KvbHistory          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* The entries, newest first; only those of @vault (a name, any case) when not %NULL; at most
 * @max (0: all).  Lines that are not entries (a line cut short by a full disk) are skipped.  No
 * file yet is an empty history.  Returns: (transfer full) (element-type JsonObject). */
GPtrArray   *kvb_history_read             (KvbHistory     *self,
                                           const char     *vault,
                                           guint           max,
                                           GError        **error);
/* The same off the calling thread, for the window. */
void         kvb_history_read_async       (KvbHistory          *self,
                                           const char          *vault,
                                           guint                max,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GPtrArray   *kvb_history_read_finish      (KvbHistory          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* When @vault was last backed up whole with every object done ("backup", "succeeded", and no
 * "files": a line with files is the backup of single objects): the time of that entry's end, or %NULL when it never was (or the history cannot be read: see @error).
 * Returns: (transfer full) (nullable). */
GDateTime   *kvb_history_get_last_backup  (KvbHistory     *self,
                                           const char     *vault,
                                           GError        **error);
/* The same answer from entries already read (kvb_history_read(), newest first). */
GDateTime   *kvb_history_find_last_backup (GPtrArray      *entries,
                                           const char     *vault);

G_END_DECLS
