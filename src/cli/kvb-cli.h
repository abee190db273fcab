/* kvb-cli.h: what the commands of kvbackup share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-object-kind.h"
#include "kvb-pipeline.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

/* Exit status: scripts tell these apart. */
#define KVB_CLI_EXIT_OK      0
#define KVB_CLI_EXIT_FAILED  1   /* an object (or the whole run) failed */
#define KVB_CLI_EXIT_USAGE   2   /* the command line was wrong */
/* Interrupted: 128 + the signal's number, as a shell reports it: 130 (SIGINT), 143 (SIGTERM). */

/* The state of one run of kvbackup.  Not a GObject: it lives exactly as long as main(). */
typedef struct
{
  /* Options every command has. */
  char *cloud_name;           /* --cloud */
  gboolean json;              /* --json: one JSON document on stdout, nothing else there */

  /* --json: what the command reports; main() prints it once, with the exit status and the
   * error messages, whatever the outcome. */
  JsonObject *doc;

  /* Made on demand by kvb_cli_prepare(). */
  KvbCloud *cloud;
  KvbPipeline *pipeline;
  KvbCredential *credential;

  /* Cancelled by Ctrl+C or SIGTERM; stop_signal is then the signal's number. */
  GCancellable *cancellable;
  int stop_signal;
} KvbCli;

typedef int (*KvbCliRunFunc) (KvbCli  *cli,
                              int      argc,
                              char   **argv);

/* One subcommand.  New commands are new rows of the table in kvbackup.c. */
typedef struct
{
  const char    *name;
  const char    *summary;     /* N_(): translated when shown */
  KvbCliRunFunc  run;
} KvbCliCommand;

/* The commands (one file each). */
int  kvb_cli_list    (KvbCli *cli, int argc, char **argv);
int  kvb_cli_backup  (KvbCli *cli, int argc, char **argv);
int  kvb_cli_restore (KvbCli *cli, int argc, char **argv);
int  kvb_cli_verify  (KvbCli *cli, int argc, char **argv);
int  kvb_cli_compare (KvbCli *cli, int argc, char **argv);
int  kvb_cli_history (KvbCli *cli, int argc, char **argv);
int  kvb_cli_vaults  (KvbCli *cli, int argc, char **argv);
/* Sign-in commands (src/cli/kvb-cli-login.c) go here. */
int  kvb_cli_login    (KvbCli *cli, int argc, char **argv);
int  kvb_cli_logout   (KvbCli *cli, int argc, char **argv);
int  kvb_cli_accounts (KvbCli *cli, int argc, char **argv);

/**
 * kvb_cli_parse_options:
 * @entries: the command's own options (the common ones are added)
 * @parameter_string: (nullable): e.g. "FILE…" for positional arguments
 *
 * Parses the command's options, with --help and the common --cloud.  On a usage error it prints
 * the message and how to get help, and returns FALSE: exit with %KVB_CLI_EXIT_USAGE.
 */
gboolean  kvb_cli_parse_options   (KvbCli              *cli,
                                   const char          *command,
                                   const char          *summary,
                                   const GOptionEntry  *entries,
                                   const char          *parameter_string,
                                   int                 *argc,
                                   char              ***argv);

/* Complains about the command line (with a hint to --help); returns %KVB_CLI_EXIT_USAGE. */
int       kvb_cli_usage_error     (const char          *command,
                                   const char          *format,
                                   ...) G_GNUC_PRINTF (2, 3);

/* Parses --kind; "all" is allowed only when @allow_all (then *all is set). */
gboolean  kvb_cli_parse_kind      (const char          *command,
                                   const char          *text,
                                   gboolean             allow_all,
                                   KvbObjectKind       *kind,
                                   gboolean            *all);

/* The cloud (--cloud, else KVB_CLOUD_SAMPLE_URL for the stand-in, else public), a check of
 * @vault (a name or URL of that cloud), the pipeline and the credential.  FALSE with @error when
 * one of them cannot be had; see kvb_cli_status_for_error(). */
gboolean  kvb_cli_prepare         (KvbCli              *cli,
                                   const char          *vault,
                                   GError             **error);

/* Runs the main loop until the async call that was given kvb_cli_wait_cb and @result finishes.
 * Returns: (transfer none): *@result, which the caller owns. */
GAsyncResult *kvb_cli_wait        (KvbCli              *cli,
                                   GAsyncResult       **result);
void      kvb_cli_wait_cb         (GObject             *source,
                                   GAsyncResult        *result,
                                   gpointer             user_data);

/* The exit status for an error of kvb_cli_prepare(): a wrong --cloud or vault is a usage error. */
int       kvb_cli_status_for_error (const GError       *error);

/* The vault @vault_name as Resource Manager shows it to the sign-in (subscription, location,
 * tenant), searched in every subscription it can see.  Returns: (transfer full) (nullable):
 * %NULL without @error when no subscription shows it.  After kvb_cli_prepare(). */
KvbVaultInfo *kvb_cli_find_vault  (KvbCli              *cli,
                                   const char          *vault_name,
                                   GError             **error);

/* "kvbackup: MESSAGE" on stderr (with --json also kept for the document's "errors"). */
void      kvb_cli_print_error     (const char          *format,
                                   ...) G_GNUC_PRINTF (1, 2);

/* --json: the command's document (a reference is taken); replaces an earlier one. */
void      kvb_cli_set_document    (KvbCli              *cli,
                                   JsonObject          *doc);
/* --json, from main(): prints the one document: the command's (or {"command": …}) with
 * "exitStatus" and, when there were any, "errors" (the messages that went to stderr).  Without
 * --json it does nothing.  Also called from kvb_cli_usage_error()'s callers' exits. */
void      kvb_cli_print_document  (KvbCli              *cli,
                                   const char          *command,
                                   int                  status);
/* Starts collecting error messages for the document (main() calls it when --json is given). */
void      kvb_cli_collect_errors  (void);

/* The history (kvb-history.h): an entry for @operation on @vault with who signed in (never a
 * secret) and the cloud; kvb_cli_history_append() sets "finished" and writes it.  A history
 * that cannot be written is a warning on stderr, not a failure of the command. */
JsonObject *kvb_cli_history_entry (KvbCli              *cli,
                                   const char          *operation,
                                   const char          *vault);
void      kvb_cli_history_append  (KvbCli              *cli,
                                   JsonObject          *entry);
/* The "result" of an operation: cancelled, failed (the run as a whole), partial (some objects
 * failed) or succeeded. */
const char *kvb_cli_result_word   (const GError        *error,
                                   guint                n_failed);

G_END_DECLS
