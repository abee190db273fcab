/* kvbackup.c: the command line of Key Vault Backup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kvb-cli.h"

/* The subcommands: a new command is a new row. */
static const KvbCliCommand commands[] = {
  { "list",    N_("List the secrets, keys and certificates of a vault"), kvb_cli_list },
  { "backup",  N_("Back up one secret, key or certificate to a file"),   kvb_cli_backup },
  { "restore", N_("Restore backup files into a vault"),                  kvb_cli_restore },
  { "login",   N_("Sign in and remember the sign-in in the keyring"),    kvb_cli_login },
  { "logout",  N_("Sign out and remove the account’s secrets"),          kvb_cli_logout },
  { "accounts", N_("List the accounts that are signed in"),              kvb_cli_accounts },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage:"));
  fprintf (out, "  %s %s\n\n", g_get_prgname (), _("COMMAND [OPTION…]"));
  fprintf (out, "%s\n", _("Back up and restore the objects of Azure Key Vault."));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n");
  /* Translators: %s is "kvbackup" */
  fprintf (out, _("Run “%s COMMAND --help” to see the options of a command.\n"), g_get_prgname ());
}

static gboolean
interrupted_cb (gpointer user_data)
{
  KvbCli *cli = user_data;

  /* The first Ctrl+C cancels what is running; the commands then report and exit. */
  g_cancellable_cancel (cli->cancellable);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  KvbCli cli = { 0 };
  const char *name;
  int status = KVB_CLI_EXIT_USAGE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname ("kvbackup");
  /* stdout is for the list (and --json); the debug log goes with the messages. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return KVB_CLI_EXIT_USAGE;
    }

  name = argv[1];
  if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0 || strcmp (name, "help") == 0)
    {
      if (argc > 2 && strcmp (name, "help") == 0)
        {
          /* "kvbackup help backup" is "kvbackup backup --help". */
          argv[1] = argv[2];
          argv[2] = (char *) "--help";
          name = argv[1];
        }
      else
        {
          print_usage (stdout);
          return KVB_CLI_EXIT_OK;
        }
    }

  if (strcmp (name, "--version") == 0)
    {
      g_print ("kvbackup %s\n", PACKAGE_VERSION);
      return KVB_CLI_EXIT_OK;
    }

  cli.cancellable = g_cancellable_new ();
  g_unix_signal_add (SIGINT, interrupted_cb, &cli);
  g_unix_signal_add (SIGTERM, interrupted_cb, &cli);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (commands[i].name, name) == 0)
        {
          /* The command sees its own name as argv[0]. */
          status = commands[i].run (&cli, argc - 1, argv + 1);
          goto out;
        }
    }

  /* Translators: %s is what the user typed as the command */
  kvb_cli_print_error (_("“%s” is not a command."), name);
  print_usage (stderr);
  status = KVB_CLI_EXIT_USAGE;

out:
  g_clear_object (&cli.credential);
  g_clear_object (&cli.pipeline);
  g_clear_object (&cli.cloud);
  g_clear_object (&cli.cancellable);
  g_clear_pointer (&cli.cloud_name, g_free);

  return status;
}
