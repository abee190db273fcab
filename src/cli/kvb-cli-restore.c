/* kvb-cli-restore.c: kvbackup restore
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

/* Restores one file; the exit status: after saying why, KVB_CLI_EXIT_USAGE for a path that
 * names no readable file (a folder, a named pipe, a device…), KVB_CLI_EXIT_FAILED otherwise. */
static int
restore_one (KvbCli              *cli,
             KvbKeyVaultClient   *client,
             const char          *path,
             const KvbObjectKind *given_kind)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(KvbBackupFile) backup = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  KvbObjectKind kind, name_kind;

  /* A file that is not a backup is refused before any request. */
  kvb_backup_file_load_async (file, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  backup = kvb_backup_file_load_finish (result, &error);
  g_clear_object (&result);
  if (backup == NULL || !kvb_backup_file_resolve_kind (backup, given_kind, &kind, &error))
    {
      /* An interruption is reported once, by the caller. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return KVB_CLI_EXIT_FAILED;
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  /* With the name our own file names carry, the vault is asked first: a name in use is
   * reported without sending, and a broken connection is never reported as a restore. */
  if (!kvb_backup_file_parse_name (path, NULL, &name, &name_kind) || name_kind != kind)
    g_clear_pointer (&name, g_free);
  kvb_keyvault_client_restore_named_async (client, kind, kvb_backup_file_get_blob (backup), name,
                                           cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  info = kvb_keyvault_client_restore_finish (client, result, &error);
  if (info == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return KVB_CLI_EXIT_FAILED;
      /* Translators: "FILE: what went wrong" */
      kvb_cli_print_error (_("%s: %s"), path, error->message);
      return KVB_CLI_EXIT_FAILED;
    }

  /* Translators: the object's name, the vault's name, the file */
  g_printerr (kind == KVB_OBJECT_KIND_SECRET ? _("Restored secret “%s” into %s from “%s”.\n") :
              kind == KVB_OBJECT_KIND_KEY ? _("Restored key “%s” into %s from “%s”.\n") :
              _("Restored certificate “%s” into %s from “%s”.\n"),
              kvb_object_info_get_name (info), kvb_keyvault_client_get_vault_name (client), path);

  return KVB_CLI_EXIT_OK;
}

int
kvb_cli_restore (KvbCli  *cli,
                 int      argc,
                 char   **argv)
{
  g_autofree char *vault = NULL;
  g_autofree char *kind_text = NULL;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("The vault: its name or its URL"), N_("VAULT") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_text,
      N_("The kind of object in the files: secret, key or certificate (needed only for a key or "
         "certificate file whose name does not say which)"), N_("KIND") },
    { NULL }
  };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  KvbObjectKind kind;
  guint n_failed = 0;
  int status = KVB_CLI_EXIT_OK;

  if (!kvb_cli_parse_options (cli, "restore",
                              _("Restore backup files (from this tool, az or PowerShell) into a "
                                "vault of the same subscription and geography."),
                              entries, _("FILE…"), &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (vault == NULL)
    return kvb_cli_usage_error ("restore", _("Name the vault with --vault."));
  if (argc < 2)
    return kvb_cli_usage_error ("restore", _("Name at least one backup file."));
  if (kind_text != NULL && !kvb_cli_parse_kind ("restore", kind_text, FALSE, &kind, NULL))
    return KVB_CLI_EXIT_USAGE;

  if (!kvb_cli_prepare (cli, vault, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vault, &error);
  if (client == NULL)
    return kvb_cli_usage_error ("restore", "%s", error->message);

  /* Each file on its own: one that fails does not stop the others. */
  for (int i = 1; i < argc; i++)
    {
      if (g_cancellable_is_cancelled (cli->cancellable))
        {
          kvb_cli_print_error (_("Interrupted."));
          return KVB_CLI_EXIT_FAILED;
        }
      int one = restore_one (cli, client, argv[i], kind_text != NULL ? &kind : NULL);

      if (one != KVB_CLI_EXIT_OK)
        n_failed++;
      /* A path that names no file is a wrong command line, and says so over other failures. */
      status = MAX (status, one);
    }

  if (g_cancellable_is_cancelled (cli->cancellable))
    {
      kvb_cli_print_error (_("Interrupted."));
      return KVB_CLI_EXIT_FAILED;
    }

  if (n_failed > 0 && argc > 2)
    kvb_cli_print_error (g_dngettext (GETTEXT_PACKAGE, "%u of %d file was not restored.",
                                      "%u of %d files were not restored.", argc - 1),
                         n_failed, argc - 1);

  return status;
}
