/* kvb-vault-manifest.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-object-kind.h"

G_BEGIN_DECLS

/* The folder of a whole-vault backup: FOLDER/manifest.json and one file per object in the kind
 * sub-folders secrets/, keys/ and certificates/. */
#define KVB_VAULT_MANIFEST_FILE_NAME "manifest.json"
#define KVB_VAULT_MANIFEST_FORMAT "kvbackup-vault"
#define KVB_VAULT_MANIFEST_FORMAT_VERSION 1

/* The "status" of an object in the manifest. */
#define KVB_VAULT_MANIFEST_PENDING "pending"
#define KVB_VAULT_MANIFEST_DONE    "done"
#define KVB_VAULT_MANIFEST_FAILED  "failed"
#define KVB_VAULT_MANIFEST_COVERED "covered"

#define KVB_TYPE_VAULT_MANIFEST (kvb_vault_manifest_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultManifest, kvb_vault_manifest, KVB, VAULT_MANIFEST, GObject)

/* The manifest of a whole-vault backup.  It holds no secret: names, sizes, SHA-256 digests,
 * dates, tags and content types.  Objects keep the order in which they were added.  Each object
 * is a JsonObject with kind, name, file (relative to the folder), size, sha256, versions,
 * versionsDigest (SHA-256 over the sorted "VERSION UPDATED ENABLED" lines of its versions), updated, tags, contentType, managed, status and, as the case may be, reason, coveredBy and
 * changedDuringBackup; callers set its members directly. */
KvbVaultManifest *kvb_vault_manifest_new               (const char        *vault_uri);
/* FOLDER/manifest.json.  KVB_ERROR_NOT_FOUND when there is none, KVB_ERROR_BAD_FILE when it is
 * not a manifest of this format. */
KvbVaultManifest *kvb_vault_manifest_load              (GFile             *folder,
                                                        GError           **error);
/* Atomically (temporary name, fsync, rename), mode 0600. */
gboolean          kvb_vault_manifest_save              (KvbVaultManifest  *self,
                                                        GFile             *folder,
                                                        GError           **error);

const char       *kvb_vault_manifest_get_vault_uri     (KvbVaultManifest  *self);
/* (nullable): unknown when Resource Manager did not show the vault to the sign-in. */
const char       *kvb_vault_manifest_get_subscription  (KvbVaultManifest  *self);
const char       *kvb_vault_manifest_get_location      (KvbVaultManifest  *self);
const char       *kvb_vault_manifest_get_tenant        (KvbVaultManifest  *self);
void              kvb_vault_manifest_set_origin        (KvbVaultManifest  *self,
                                                        const char        *subscription,
                                                        const char        *location,
                                                        const char        *tenant,
                                                        const char        *cloud);
/* The folder of the earlier backup an incremental one builds on ("incrementalFrom"); (nullable):
 * a full backup.  Objects taken from it carry "reused": "link" (a hard link to its file) or
 * "copy" (another file system). */
void              kvb_vault_manifest_set_previous      (KvbVaultManifest  *self,
                                                        const char        *folder);
const char       *kvb_vault_manifest_get_previous      (KvbVaultManifest  *self);
/* Unix seconds; 0: not set. */
void              kvb_vault_manifest_set_times         (KvbVaultManifest  *self,
                                                        gint64             started,
                                                        gint64             finished);
gint64            kvb_vault_manifest_get_started       (KvbVaultManifest  *self);

guint             kvb_vault_manifest_get_n_objects     (KvbVaultManifest  *self);
/* Returns: (transfer none). */
JsonObject       *kvb_vault_manifest_get_object        (KvbVaultManifest  *self,
                                                        guint              position);
/* Returns: (transfer none) (nullable). */
JsonObject       *kvb_vault_manifest_lookup            (KvbVaultManifest  *self,
                                                        KvbObjectKind      kind,
                                                        const char        *name);
/* The object's entry, made (with kind and name) when missing.  Returns: (transfer none). */
JsonObject       *kvb_vault_manifest_ensure            (KvbVaultManifest  *self,
                                                        KvbObjectKind      kind,
                                                        const char        *name);
void              kvb_vault_manifest_remove            (KvbVaultManifest  *self,
                                                        KvbObjectKind      kind,
                                                        const char        *name);
/* The kind of an entry; FALSE when its "kind" is not one. */
gboolean          kvb_vault_manifest_entry_get_kind    (JsonObject        *entry,
                                                        KvbObjectKind     *kind);

/* The kind sub-folder: "secrets", "keys" or "certificates". */
const char       *kvb_vault_manifest_kind_folder       (KvbObjectKind      kind);

/* Whether FOLDER/@entry's file is there with the recorded size and SHA-256, and reads as a blob
 * of the entry's kind.  FALSE with a sentence in @error that says what is wrong (the file's name
 * in it).  Reads the file on the calling thread. */
gboolean          kvb_vault_manifest_check_entry       (JsonObject        *entry,
                                                        GFile             *folder,
                                                        GError           **error);

/* Every object recorded done is checked with kvb_vault_manifest_check_entry(), and every file
 * in the kind sub-folders that no done object names is reported as extra (half-written
 * temporary files too).  Returns: (transfer full) (element-type utf8): one sentence per
 * problem, empty when the folder is whole.  @n_checked (out, optional): objects checked. */
GPtrArray        *kvb_vault_manifest_verify            (KvbVaultManifest  *self,
                                                        GFile             *folder,
                                                        guint             *n_checked);

/* Unix seconds as "2026-01-31T12:00:00Z"; %NULL for 0. */
char             *kvb_vault_manifest_format_time       (gint64             unix_seconds);

G_END_DECLS
