/* kvb-cli-backup.c: kvbackup backup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-backup-file.h"
#include "kvb-cli.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"

int
kvb_cli_backup (KvbCli  *cli,
                int      argc,
                char   **argv)
{
  g_autofree char *vault = NULL;
  g_autofree char *kind_text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *output = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("The vault: its name or its URL"), N_("VAULT") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_text,
      N_("The kind of object: secret, key or certificate"), N_("KIND") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("The name of the object"), N_("NAME") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("The file to write, or a folder for VAULT.NAME.KIND.kvbackup (default: the current folder)"),
      N_("FILE|DIR") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_("Replace the file if it exists"), NULL },
    { NULL }
  };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *display = NULL;
  KvbObjectKind kind;

  if (!kvb_cli_parse_options (cli, "backup",
                              _("Back up one secret, key or certificate (with all its versions) to a "
                                "file that az, PowerShell and this tool can restore."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (argc > 1)
    return kvb_cli_usage_error ("backup", _("Unexpected argument “%s”."), argv[1]);
  if (vault == NULL)
    return kvb_cli_usage_error ("backup", _("Name the vault with --vault."));
  if (kind_text == NULL)
    return kvb_cli_usage_error ("backup", _("Say what to back up with --kind secret, key or certificate."));
  if (!kvb_cli_parse_kind ("backup", kind_text, FALSE, &kind, NULL))
    return KVB_CLI_EXIT_USAGE;
  if (name == NULL || *name == '\0')
    return kvb_cli_usage_error ("backup", _("Name the object with --name."));

  if (!kvb_cli_prepare (cli, vault, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vault, &error);
  if (client == NULL)
    return kvb_cli_usage_error ("backup", "%s", error->message);

  file_name = kvb_backup_file_build_name (kvb_keyvault_client_get_vault_name (client), name, kind);
  if (output == NULL)
    file = g_file_new_build_filename (".", file_name, NULL);
  else if (g_file_test (output, G_FILE_TEST_IS_DIR))
    file = g_file_new_build_filename (output, file_name, NULL);
  else
    file = g_file_new_for_commandline_arg (output);
  display = g_file_get_parse_name (file);

  /* Refuse before asking the vault, so that a mistake costs nothing. */
  if (!force && g_file_query_exists (file, NULL))
    {
      kvb_cli_print_error (_("“%s” already exists and was not replaced. Choose another name, or "
                             "allow replacing it (--force)."), display);
      return KVB_CLI_EXIT_FAILED;
    }

  kvb_keyvault_client_backup_async (client, kind, name, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  blob = kvb_keyvault_client_backup_finish (client, result, &error);
  g_clear_object (&result);
  if (blob == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }

  kvb_backup_file_write_async (file, blob, force, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_backup_file_write_finish (result, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }

  /* Translators: the object's name, the vault's name, the file */
  g_printerr (kind == KVB_OBJECT_KIND_SECRET ? _("Backed up secret “%s” of %s to “%s”.\n") :
              kind == KVB_OBJECT_KIND_KEY ? _("Backed up key “%s” of %s to “%s”.\n") :
              _("Backed up certificate “%s” of %s to “%s”.\n"),
              name, kvb_keyvault_client_get_vault_name (client), display);

  return KVB_CLI_EXIT_OK;
}
