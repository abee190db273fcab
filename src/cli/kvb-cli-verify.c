/* kvb-cli-verify.c: kvbackup verify
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-cli.h"
#include "kvb-error.h"
#include "kvb-vault-manifest.h"

int
kvb_cli_verify (KvbCli  *cli,
                int      argc,
                char   **argv)
{
  const GOptionEntry entries[] = {
    { NULL }
  };
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *display = NULL;
  guint n_checked = 0;

  if (!kvb_cli_parse_options (cli, "verify",
                              _("Check a vault backup folder without asking the vault: every file "
                                "the manifest records is there, with its size and SHA-256, and "
                                "reads as a backup of its kind; no file is left unrecorded."),
                              entries, _("DIR"), &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (argc != 2)
    return kvb_cli_usage_error ("verify", _("Name one vault backup folder."));

  folder = g_file_new_for_commandline_arg (argv[1]);
  display = g_file_get_parse_name (folder);
  if (!g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    return kvb_cli_usage_error ("verify", _("“%s” is not a folder."), display);

  manifest = kvb_vault_manifest_load (folder, &error);
  if (manifest == NULL)
    {
      kvb_cli_print_error ("%s", error->message);
      return g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND) ? KVB_CLI_EXIT_USAGE
                                                                      : KVB_CLI_EXIT_FAILED;
    }

  problems = kvb_vault_manifest_verify (manifest, folder, &n_checked);
  if (cli->json)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      g_autofree char *path = g_file_get_path (folder);
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < problems->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (problems, i));
      json_object_set_string_member (doc, "command", "verify");
      json_object_set_string_member (doc, "folder", path);
      json_object_set_string_member (doc, "vaultUri", kvb_vault_manifest_get_vault_uri (manifest));
      json_object_set_int_member (doc, "checked", n_checked);
      json_object_set_boolean_member (doc, "whole", problems->len == 0);
      json_object_set_array_member (doc, "problems", array);
      kvb_cli_set_document (cli, doc);
      return problems->len > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
    }

  for (guint i = 0; i < problems->len; i++)
    g_print ("%s\n", (const char *) g_ptr_array_index (problems, i));

  if (problems->len > 0)
    {
      /* Translators: the number of problems, then the folder */
      g_print (g_dngettext (GETTEXT_PACKAGE, "%u problem found in “%s”.\n",
                            "%u problems found in “%s”.\n", problems->len),
               problems->len, display);
      return KVB_CLI_EXIT_FAILED;
    }

  g_print (g_dngettext (GETTEXT_PACKAGE, "“%s” is whole: %u file matches the manifest.\n",
                        "“%s” is whole: %u files match the manifest.\n", n_checked),
           display, n_checked);
  return KVB_CLI_EXIT_OK;
}
