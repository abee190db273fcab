/* fuzz-manifest.c: the manifest.json of a whole-vault backup, and the checks of its entries
 * (which must never name a file outside the backup folder).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kvb-error.h"
#include "kvb-fuzz.h"
#include "kvb-vault-manifest-private.h"

static GFile *folder;
static GFile *file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  /* Entries are checked against a folder that does not exist: nothing is read from disk. */
  folder = g_file_new_for_path ("/nonexistent/kvbackup-fuzz");
  file = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  manifest = _kvb_vault_manifest_new_from_bytes (bytes, file, &error);
  g_assert_true ((manifest != NULL) != (error != NULL));
  if (manifest == NULL)
    return 0;

  g_assert_nonnull (kvb_vault_manifest_get_vault_uri (manifest));
  kvb_vault_manifest_get_subscription (manifest);
  kvb_vault_manifest_get_previous (manifest);
  kvb_vault_manifest_get_started (manifest);
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (manifest, i);
      KvbObjectKind kind;

      g_autoptr(GError) entry_error = NULL;

      g_assert_true (kvb_vault_manifest_entry_get_kind (entry, &kind));
      g_assert_nonnull (kvb_vault_manifest_lookup (manifest, kind,
                                                   json_object_get_string_member (entry, "name")));

      /* The folder does not exist, so a file inside it is "missing"; a file anywhere else must
       * be refused before it is even looked for. */
      g_assert_false (kvb_vault_manifest_check_entry (entry, folder, &entry_error));
      if (g_error_matches (entry_error, KVB_ERROR, KVB_ERROR_NOT_FOUND))
        {
          g_autoptr(GFile) child = g_file_resolve_relative_path (
              folder, json_object_get_string_member (entry, "file"));

          g_assert_true (g_file_has_prefix (child, folder));
        }
    }

  problems = kvb_vault_manifest_verify (manifest, folder, NULL);
  g_assert_nonnull (problems);

  return 0;
}
