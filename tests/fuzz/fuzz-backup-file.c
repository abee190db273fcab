/* fuzz-backup-file.c: the backup-file reader and sniffer (raw blob, base64url text, JSON with
 * "value"), and the readers of backup file names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kvb-backup-file.h"
#include "kvb-fuzz.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  return 0;
}

static void
read_name (const char *name)
{
  g_autofree char *vault = NULL;
  g_autofree char *object = NULL;
  KvbObjectKind kind;

  kvb_backup_file_kind_from_name (name, &kind);
  if (kvb_backup_file_parse_name (name, &vault, &object, &kind))
    {
      g_autofree char *again = kvb_backup_file_build_name (vault, object, kind);

      g_assert_nonnull (again);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) contents = g_bytes_new (data, size);
  g_autofree char *text = kvb_fuzz_dup_string (data, size);
  static const char * const names[] = { NULL, "contoso.db.key.kvbackup", "cert.blob" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(KvbBackupFile) backup = NULL;
      g_autoptr(GError) error = NULL;
      KvbObjectKind kind;

      backup = kvb_backup_file_new_from_bytes (contents, names[i], &error);
      g_assert_true ((backup != NULL) != (error != NULL));
      if (backup == NULL)
        continue;
      g_assert_cmpuint (g_bytes_get_size (kvb_backup_file_get_blob (backup)), >, 0);
      if (!kvb_backup_file_resolve_kind (backup, NULL, &kind, &error))
        g_assert_nonnull (error);
    }

  read_name (text);

  return 0;
}
