/* kvbackup.c: the command line of Key Vault Backup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kvb-backup-file.h"
#include "kvb-cli.h"

/* The subcommands: a new command is a new row. */
static const KvbCliCommand commands[] = {
  { "list",    N_("List the secrets, keys and certificates of a vault"), kvb_cli_list },
  { "backup",  N_("Back up one object to a file, or whole vaults to folders"), kvb_cli_backup },
  { "restore", N_("Restore backup files into a vault"),                  kvb_cli_restore },
  { "verify",  N_("Check a vault backup folder against its manifest"),   kvb_cli_verify },
  { "compare", N_("Compare a vault backup folder with the vault"),       kvb_cli_compare },
  { "login",   N_("Sign in and remember the sign-in in the keyring"),    kvb_cli_login },
  { "logout",  N_("Sign out and remove the account’s secrets"),          kvb_cli_logout },
  { "accounts", N_("List the accounts that are signed in"),              kvb_cli_accounts },
  { "vaults",  N_("List the subscriptions and vaults the sign-in can see"), kvb_cli_vaults },
  { "history", N_("Show the backups and restores done on this computer"), kvb_cli_history },
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

/* Ctrl+C and SIGTERM.  The handler only writes the signal's number into a pipe; a thread of
 * its own does the rest, so that kvbackup ends even when the main thread or a worker is stuck in
 * a call that cancelling cannot reach (a hung file system, a library call without a cancellable,
 * the terminal read of a secret). */
#define STOP_GRACE_MS 1000

static int signal_pipe[2] = { -1, -1 };
static struct termios start_termios;
static gboolean have_start_termios;

static void
on_signal (int signo)
{
  int saved_errno = errno;
  unsigned char byte = (unsigned char) signo;

  if (write (signal_pipe[1], &byte, 1) < 0)
    {
      /* Nothing to do in a signal handler: the pipe is only full after many signals. */
    }
  errno = saved_errno;
}

static gboolean
cancel_cb (gpointer user_data)
{
  KvbCli *cli = user_data;

  g_cancellable_cancel (cli->cancellable);
  return G_SOURCE_REMOVE;
}

static int
read_signal (int timeout_ms)
{
  struct pollfd pfd = { signal_pipe[0], POLLIN, 0 };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  unsigned char byte;

  for (;;)
    {
      int wait_ms = -1;
      int ret;

      if (timeout_ms >= 0)
        wait_ms = MAX (0, (int) ((deadline - g_get_monotonic_time ()) / 1000));
      ret = poll (&pfd, 1, wait_ms);
      if (ret < 0 && errno == EINTR)
        continue;
      if (ret <= 0)
        return 0;
      if (read (signal_pipe[0], &byte, 1) == 1)
        return byte;
    }
}

static gpointer
stop_thread (gpointer user_data)
{
  KvbCli *cli = user_data;
  int signo = read_signal (-1);
  int again;
  GSource *source;

  if (signo == 0)
    return NULL;

  /* The first signal cancels what is running, on the main thread like every other call of the
   * core; the command then reports and main() returns 128 + the signal's number. */
  g_atomic_int_set (&cli->stop_signal, signo);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, cancel_cb, cli, NULL);
  g_source_attach (source, NULL);
  g_source_unref (source);

  /* A job that has not ended a second later (or a second signal) ends here.  Only temporary
   * names can hold a part of a file; the terminal gets back the echo a secret prompt took. */
  again = read_signal (STOP_GRACE_MS);
  if (again != 0)
    signo = again;
  kvb_backup_file_discard_partial ();
  if (have_start_termios)
    {
      sigset_t ttou;

      /* Run in the background, tcsetattr() would otherwise stop the process (SIGTTOU). */
      sigemptyset (&ttou);
      sigaddset (&ttou, SIGTTOU);
      pthread_sigmask (SIG_BLOCK, &ttou, NULL);
      tcsetattr (STDIN_FILENO, TCSANOW, &start_termios);
    }
  kvb_cli_print_error (_("Interrupted."));
  _exit (128 + signo);
}

static void
install_signal_handling (KvbCli *cli)
{
  struct sigaction action = { 0 };

  if (!g_unix_open_pipe (signal_pipe, FD_CLOEXEC, NULL))
    return;
  fcntl (signal_pipe[1], F_SETFL, O_NONBLOCK);

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &start_termios) == 0)
    have_start_termios = TRUE;

  g_thread_unref (g_thread_new ("kvbackup-stop", stop_thread, cli));

  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
}

/* Names and error messages from the service reach the terminal through g_print() and
 * g_printerr(): a control character in them could move the cursor, rewrite what was printed,
 * retitle the window or set the clipboard.  Only new lines and tabs go through; every other
 * control character (C0, DEL, C1) is shown as its JSON escape, \u001b: that is also what --json
 * needs, where json-glib escapes C0 itself but leaves DEL and C1 as they are. */
static void
print_sanitized (FILE       *stream,
                 const char *text)
{
  g_autoptr(GString) out = g_string_sized_new (strlen (text));
  const char *charset = NULL;

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
        g_string_append_printf (out, "\\u%04x", *p);
      else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        {
          g_string_append_printf (out, "\\u%04x", p[1]);
          p++;
        }
      else
        g_string_append_c (out, *p);
    }

  /* As GLib's own handler does: the console's character set, when it is not UTF-8. */
  if (!g_get_console_charset (&charset))
    {
      g_autofree char *converted = g_convert_with_fallback (out->str, out->len, charset, "UTF-8",
                                                            "?", NULL, NULL, NULL);

      if (converted != NULL)
        {
          fputs (converted, stream);
          fflush (stream);
          return;
        }
    }
  fputs (out->str, stream);
  fflush (stream);
}

static void
print_handler (const char *text)
{
  print_sanitized (stdout, text);
}

static void
printerr_handler (const char *text)
{
  print_sanitized (stderr, text);
}

int
main (int   argc,
      char *argv[])
{
  /* Static: the stop thread may still look at it while the process exits. */
  static KvbCli cli = { 0 };
  const char *name;
  int status = KVB_CLI_EXIT_USAGE;
  const char *localedir = g_getenv ("KVB_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* KVB_LOCALEDIR: the translations compiled in a build tree, for a run before installing
   * (build-aux/run.sh and the tests set it). */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname ("kvbackup");
  /* stdout is for the list (and --json); the debug log goes with the messages. */
  g_log_writer_default_set_use_stderr (TRUE);
  g_set_print_handler (print_handler);
  g_set_printerr_handler (printerr_handler);

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
  install_signal_handling (&cli);

  /* --json is known before the options are parsed, so that a wrong command line gets its
   * document too. */
  for (int i = 2; i < argc && strcmp (argv[i], "--") != 0; i++)
    if (strcmp (argv[i], "--json") == 0)
      {
        cli.json = TRUE;
        kvb_cli_collect_errors ();
      }

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
  /* An interrupted run ends as the shell reports a process ended by the signal. */
  if (g_atomic_int_get (&cli.stop_signal) != 0)
    status = 128 + g_atomic_int_get (&cli.stop_signal);
  kvb_cli_print_document (&cli, name, status);
  g_clear_pointer (&cli.doc, json_object_unref);

  g_clear_object (&cli.credential);
  g_clear_object (&cli.pipeline);
  g_clear_object (&cli.cloud);
  g_clear_object (&cli.cancellable);
  g_clear_pointer (&cli.cloud_name, g_free);

  return status;
}
