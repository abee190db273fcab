/* kvb-cli-compare.c: kvbackup compare
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kvb-cli.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-vault-compare.h"
#include "kvb-vault-manifest.h"

static void
print_rows (const char *title,
            JsonArray  *rows)
{
  if (json_array_get_length (rows) == 0)
    return;
  g_print ("%s\n", title);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *state = json_object_get_string_member_with_default (row, "state", NULL);

      g_print ("  %-12s %s%s\n", json_object_get_string_member (row, "kind"),
               json_object_get_string_member (row, "name"),
               g_strcmp0 (state, KVB_VAULT_COMPARE_DELETED) == 0 ? _(" (deleted, can be recovered)") :
               g_strcmp0 (state, KVB_VAULT_COMPARE_PURGED) == 0 ? _(" (purged, or never in this vault)") : "");
    }
}

int
kvb_cli_compare (KvbCli  *cli,
                 int      argc,
                 char   **argv)
{
  g_autofree char *vault = NULL;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("The vault: its name or its URL"), N_("VAULT") },
    { NULL }
  };
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(KvbVaultCompare) compare = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *display = NULL;
  JsonArray *only_in_vault, *only_in_backup, *changed;
  guint n_differences;

  if (!kvb_cli_parse_options (cli, "compare",
                              _("Compare a vault backup folder with the vault as it is now, from "
                                "the vault’s listing and the manifest only: what was added, "
                                "deleted and changed since the backup. Exit status 0 when they "
                                "match, 1 when they differ."),
                              entries, _("DIR"), &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (vault == NULL)
    return kvb_cli_usage_error ("compare", _("Name the vault with --vault."));
  if (argc != 2)
    return kvb_cli_usage_error ("compare", _("Name one vault backup folder."));

  folder = g_file_new_for_commandline_arg (argv[1]);
  display = g_file_get_parse_name (folder);
  if (!g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    return kvb_cli_usage_error ("compare", _("“%s” is not a folder."), display);
  manifest = kvb_vault_manifest_load (folder, &error);
  if (manifest == NULL)
    {
      kvb_cli_print_error ("%s", error->message);
      return g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND) ? KVB_CLI_EXIT_USAGE
                                                                      : KVB_CLI_EXIT_FAILED;
    }

  if (!kvb_cli_prepare (cli, vault, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }
  client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vault, &error);
  if (client == NULL)
    return kvb_cli_usage_error ("compare", "%s", error->message);

  /* The work is the core's, shared with the window's Compare with Vault. */
  compare = kvb_vault_compare_new (client, manifest);
  kvb_vault_compare_run_async (compare, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_vault_compare_run_finish (compare, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }

  only_in_vault = kvb_vault_compare_get_only_in_vault (compare);
  only_in_backup = kvb_vault_compare_get_only_in_backup (compare);
  changed = kvb_vault_compare_get_changed (compare);
  n_differences = kvb_vault_compare_get_n_differences (compare);

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_string_member (root, "command", "compare");
      json_object_set_string_member (root, "folder", display);
      json_object_set_boolean_member (root, "matches", n_differences == 0);
      json_object_set_string_member (root, "vault", kvb_keyvault_client_get_vault_url (client));
      json_object_set_string_member (root, "backupOf", kvb_vault_manifest_get_vault_uri (manifest));
      json_object_set_array_member (root, "onlyInVault", json_array_ref (only_in_vault));
      json_object_set_array_member (root, "onlyInBackup", json_array_ref (only_in_backup));
      json_object_set_array_member (root, "changed", json_array_ref (changed));
      kvb_cli_set_document (cli, root);
    }
  else if (n_differences == 0)
    /* Translators: the vault's name, then the folder */
    g_print (_("%s matches the backup in “%s”.\n"), kvb_keyvault_client_get_vault_name (client),
             display);
  else
    {
      print_rows (_("In the vault, not in the backup:"), only_in_vault);
      print_rows (_("In the backup, not in the vault (deleted or purged since):"), only_in_backup);
      print_rows (_("Changed since the backup:"), changed);
    }

  return n_differences == 0 ? KVB_CLI_EXIT_OK : KVB_CLI_EXIT_FAILED;
}
