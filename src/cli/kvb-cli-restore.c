/* kvb-cli-restore.c: kvbackup restore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-backup-file.h"
#include "kvb-cli.h"
#include "kvb-cli-progress.h"
#include "kvb-error.h"
#include "kvb-history.h"
#include "kvb-keyvault-client.h"
#include "kvb-vault-restore.h"

/* Restores one file; the exit status: after saying why, KVB_CLI_EXIT_USAGE for a path that
 * names no readable file (a folder, a named pipe, a device…), KVB_CLI_EXIT_FAILED otherwise. */
static void
file_row (JsonArray   *rows,
          const char  *path,
          const char  *kind,
          const char  *name,
          const char  *result,
          const char  *message)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autofree char *full = g_file_get_path (file);
  JsonObject *row = json_object_new ();

  json_object_set_string_member (row, "file", full ? full : path);
  if (kind != NULL)
    json_object_set_string_member (row, "kind", kind);
  if (name != NULL)
    json_object_set_string_member (row, "name", name);
  json_object_set_string_member (row, "result", result);
  if (message != NULL)
    json_object_set_string_member (row, "message", message);
  json_array_add_object_element (rows, row);
}

static int
restore_one (KvbCli              *cli,
             KvbKeyVaultClient   *client,
             const char          *path,
             const KvbObjectKind *given_kind,
             JsonArray           *rows)
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
      file_row (rows, path, NULL, NULL, kvb_cli_result_word (error, 0), error->message);
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
      file_row (rows, path, kvb_object_kind_to_string (kind), name, kvb_cli_result_word (error, 0),
                error->message);
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
  file_row (rows, path, kvb_object_kind_to_string (kind), kvb_object_info_get_name (info),
            KVB_HISTORY_SUCCEEDED, NULL);

  return KVB_CLI_EXIT_OK;
}

/* The history line of a restore of files, and with --json the document (with each file). */
static void
record_files (KvbCli            *cli,
              KvbKeyVaultClient *client,
              JsonArray         *rows,
              guint              n_files,
              guint              n_failed)
{
  g_autoptr(JsonObject) entry = kvb_cli_history_entry (cli, KVB_HISTORY_RESTORE,
                                                       kvb_keyvault_client_get_vault_name (client));
  JsonArray *files = json_array_new ();
  JsonObject *counts = json_object_new ();
  guint n_done = 0;
  gboolean cancelled = g_cancellable_is_cancelled (cli->cancellable);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      json_array_add_string_element (files, json_object_get_string_member (row, "file"));
      if (g_str_equal (json_object_get_string_member (row, "result"), KVB_HISTORY_SUCCEEDED))
        n_done++;
    }
  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
  json_object_set_array_member (entry, "files", files);
  json_object_set_int_member (entry, "objects", n_files);
  json_object_set_string_member (entry, "result",
                                 cancelled ? KVB_HISTORY_CANCELLED :
                                 n_done == 0 && n_failed > 0 ? KVB_HISTORY_FAILED :
                                 kvb_cli_result_word (NULL, n_failed));
  json_object_set_int_member (counts, "done", n_done);
  json_object_set_int_member (counts, "failed", n_failed);
  json_object_set_object_member (entry, "counts", counts);
  kvb_cli_history_append (cli, entry);

  if (cli->json)
    {
      json_object_set_string_member (entry, "command", "restore");
      json_object_set_array_member (entry, "results", json_array_ref (rows));
      kvb_cli_set_document (cli, entry);
    }
}

/* ---- a whole-vault backup folder ---- */

static const char *
status_word (KvbJobStatus status)
{
  switch (status)
    {
    case KVB_JOB_STATUS_DONE:
      return "done";
    case KVB_JOB_STATUS_SKIPPED:
      return "skipped";
    case KVB_JOB_STATUS_FAILED:
      return "failed";
    case KVB_JOB_STATUS_RUNNING:
      return "running";
    case KVB_JOB_STATUS_PENDING:
    default:
      return "pending";
    }
}

/* The history of a folder restore: the restore, and the recoveries and purges it did, each a
 * line of its own (with the names: they say what came back or was lost for good).  With --json
 * the document is the restore's, with every file of the plan. */
static void
record_folder (KvbCli              *cli,
               KvbKeyVaultClient   *client,
               GFile               *folder,
               KvbRestorePlan      *plan,
               const KvbJobSummary *summary,
               guint                n_left_out,
               gboolean             dry_run,
               const GError        *error)
{
  const char *vault_name = kvb_keyvault_client_get_vault_name (client);
  g_autoptr(JsonObject) entry = kvb_cli_history_entry (cli, KVB_HISTORY_RESTORE, vault_name);
  g_autofree char *path = g_file_get_path (folder);
  g_autoptr(JsonArray) recovered = json_array_new ();
  g_autoptr(JsonArray) purged = json_array_new ();
  g_autoptr(JsonArray) rows = json_array_new ();
  guint n_entries = plan != NULL ? g_list_model_get_n_items (G_LIST_MODEL (plan)) : 0;
  JsonObject *counts = json_object_new ();

  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(KvbRestorePlanEntry) plan_entry = g_list_model_get_item (G_LIST_MODEL (plan), i);
      KvbRestoreAction action = kvb_restore_plan_entry_get_action (plan_entry);
      KvbJobStatus status = kvb_restore_plan_entry_get_status (plan_entry);
      const char *name = kvb_restore_plan_entry_get_name (plan_entry);
      g_autofree char *file = g_file_get_path (kvb_restore_plan_entry_get_file (plan_entry));
      JsonObject *row = json_object_new ();

      json_object_set_string_member (row, "kind",
                                     kvb_object_kind_to_string (kvb_restore_plan_entry_get_kind (plan_entry)));
      if (name != NULL)
        json_object_set_string_member (row, "name", name);
      json_object_set_string_member (row, "file", file);
      json_object_set_string_member (row, "action",
                                     action == KVB_RESTORE_ACTION_RESTORE ? "restore" :
                                     action == KVB_RESTORE_ACTION_RECOVER ? "recover" :
                                     action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE ? "purge-and-restore" :
                                     action == KVB_RESTORE_ACTION_SKIP ? "skip" : "stop");
      json_object_set_string_member (row, "status", status_word (status));
      if (kvb_restore_plan_entry_get_message (plan_entry) != NULL)
        json_object_set_string_member (row, "message", kvb_restore_plan_entry_get_message (plan_entry));
      json_array_add_object_element (rows, row);

      if (status == KVB_JOB_STATUS_DONE && name != NULL && action == KVB_RESTORE_ACTION_RECOVER)
        json_array_add_string_element (recovered, name);
      if (status == KVB_JOB_STATUS_DONE && name != NULL &&
          action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
        json_array_add_string_element (purged, name);
    }

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
  json_object_set_string_member (entry, "folder", path);
  json_object_set_int_member (entry, "objects", n_entries);
  if (dry_run)
    json_object_set_boolean_member (entry, "dryRun", TRUE);
  json_object_set_string_member (entry, "result",
                                 kvb_cli_result_word (error, summary->n_failed + n_left_out));
  json_object_set_int_member (counts, "done", summary->n_done);
  json_object_set_int_member (counts, "recovered", json_array_get_length (recovered));
  json_object_set_int_member (counts, "purged", json_array_get_length (purged));
  json_object_set_int_member (counts, "skipped", summary->n_skipped);
  json_object_set_int_member (counts, "failed", summary->n_failed + n_left_out);
  json_object_set_object_member (entry, "counts", counts);
  if (error != NULL)
    json_object_set_string_member (entry, "message", error->message);

  /* A dry run sends nothing: it is not an operation on the vault. */
  if (!dry_run)
    {
      kvb_cli_history_append (cli, entry);
      for (guint k = 0; k < 2; k++)
        {
          JsonArray *names = k == 0 ? recovered : purged;
          g_autoptr(JsonObject) line = NULL;
          JsonObject *line_counts;

          if (json_array_get_length (names) == 0)
            continue;
          line = kvb_cli_history_entry (cli, k == 0 ? KVB_HISTORY_RECOVER : KVB_HISTORY_PURGE,
                                        vault_name);
          line_counts = json_object_new ();
          json_object_set_string_member (line, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
          json_object_set_string_member (line, "folder", path);
          json_object_set_int_member (line, "objects", json_array_get_length (names));
          json_object_set_string_member (line, "result", KVB_HISTORY_SUCCEEDED);
          json_object_set_int_member (line_counts, "done", json_array_get_length (names));
          json_object_set_object_member (line, "counts", line_counts);
          json_object_set_array_member (line, "names", json_array_ref (names));
          kvb_cli_history_append (cli, line);
        }
    }

  if (cli->json)
    {
      json_object_set_string_member (entry, "command", "restore");
      json_object_set_array_member (entry, "plan", json_array_ref (rows));
      kvb_cli_set_document (cli, entry);
    }
}

static const char *
plan_word (KvbRestorePlanEntry *entry)
{
  switch (kvb_restore_plan_entry_get_action (entry))
    {
    case KVB_RESTORE_ACTION_RESTORE:
      return _("restore");
    case KVB_RESTORE_ACTION_RECOVER:
      return _("recover the deleted object");
    case KVB_RESTORE_ACTION_PURGE_AND_RESTORE:
      return _("purge the deleted object, then restore");
    case KVB_RESTORE_ACTION_SKIP:
      if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_EXISTS)
        return _("skip: the name is in use");
      if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_INVALID)
        return _("skip: the file cannot be restored");
      return _("skip: the name is soft-deleted");
    case KVB_RESTORE_ACTION_NONE:
    default:
      return _("stop: the name is in use");
    }
}

static KvbJobStatus
plan_entry_status (gpointer entry)
{
  return kvb_restore_plan_entry_get_status (entry);
}

static int
restore_folder (KvbCli            *cli,
                KvbKeyVaultClient *client,
                const char        *path,
                KvbRestoreAction   soft_deleted_action,
                gboolean           stop_on_conflict,
                gboolean           dry_run)
{
  g_autoptr(GFile) folder = g_file_new_for_commandline_arg (path);
  g_autoptr(KvbVaultRestore) restore = kvb_vault_restore_new (client, folder);
  g_autoptr(KvbVaultInfo) target = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *vault_name = kvb_keyvault_client_get_vault_name (client);
  g_autoptr(KvbCliProgress) progress = NULL;
  KvbJobSummary summary = { 0, };
  KvbRestorePlan *plan;
  GPtrArray *problems;
  guint n_conflicts = 0, n_invalid = 0, n_left_out, n_entries;

  /* The pre-flight needs the target's subscription and location: only Resource Manager has them. */
  target = kvb_cli_find_vault (cli, vault_name, &error);
  if (target == NULL && error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          kvb_cli_print_error (_("Interrupted."));
          return KVB_CLI_EXIT_FAILED;
        }
      g_debug ("Resource Manager: %s", error->message);
      g_clear_error (&error);
    }

  if (!kvb_vault_restore_load (restore, target, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      record_folder (cli, client, folder, NULL, &summary, 0, FALSE, error);
      return g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND) ||
             g_error_matches (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE) ? KVB_CLI_EXIT_USAGE
                                                                       : KVB_CLI_EXIT_FAILED;
    }
  if (kvb_vault_restore_get_notice (restore) != NULL)
    g_printerr ("%s\n", kvb_vault_restore_get_notice (restore));

  kvb_vault_restore_prepare_async (restore, soft_deleted_action, cli->cancellable,
                                   kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_vault_restore_prepare_finish (restore, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      record_folder (cli, client, folder, NULL, &summary, 0, FALSE, error);
      return KVB_CLI_EXIT_FAILED;
    }
  g_clear_object (&result);

  problems = kvb_vault_restore_get_problems (restore);
  n_left_out = problems->len;
  for (guint i = 0; i < problems->len; i++)
    kvb_cli_print_error ("%s", (const char *) g_ptr_array_index (problems, i));

  plan = kvb_vault_restore_get_plan (restore);
  n_entries = g_list_model_get_n_items (G_LIST_MODEL (plan));
  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (plan), i);
      KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);
      gboolean conflict = state == KVB_RESTORE_STATE_EXISTS || state == KVB_RESTORE_STATE_SOFT_DELETED;
      g_autofree char *display = g_file_get_basename (kvb_restore_plan_entry_get_file (entry));

      if (state == KVB_RESTORE_STATE_INVALID)
        n_invalid++;
      if (conflict && stop_on_conflict)
        n_conflicts++;
      /* With --json the plan is in the document. */
      if ((dry_run || (conflict && stop_on_conflict)) && !cli->json)
        g_print ("%-12s %-40s %s\n",
                 kvb_object_kind_to_string (kvb_restore_plan_entry_get_kind (entry)),
                 kvb_restore_plan_entry_get_name (entry) ? kvb_restore_plan_entry_get_name (entry) : display,
                 conflict && stop_on_conflict ? _("stop: the name is in use") : plan_word (entry));
    }

  if (n_conflicts > 0)
    {
      g_set_error (&error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%u name is in use in %s, so nothing was restored. Choose "
                                "what to do with --on-conflict skip, recover or purge.",
                                "%u names are in use in %s, so nothing was restored. Choose "
                                "what to do with --on-conflict skip, recover or purge.",
                                n_conflicts), n_conflicts, vault_name);
      kvb_cli_print_error ("%s", error->message);
      record_folder (cli, client, folder, plan, &summary, n_left_out, FALSE, error);
      /* Stopped before anything was sent: a refusal. */
      return KVB_CLI_EXIT_USAGE;
    }
  if (dry_run)
    {
      record_folder (cli, client, folder, plan, &summary, n_left_out + n_invalid, TRUE, NULL);
      g_printerr (_("Dry run: nothing was sent to %s.\n"), vault_name);
      return n_left_out + n_invalid > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
    }

  progress = kvb_cli_progress_new (_("Restoring"));
  kvb_cli_progress_add (progress, vault_name, G_LIST_MODEL (plan), plan_entry_status);
  kvb_cli_progress_start (progress);
  kvb_vault_restore_run_async (restore, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  g_clear_pointer (&progress, kvb_cli_progress_free);
  if (!kvb_vault_restore_run_finish (restore, result, &summary, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      record_folder (cli, client, folder, plan, &summary, problems->len, FALSE, error);
      return KVB_CLI_EXIT_FAILED;
    }
  record_folder (cli, client, folder, plan, &summary, problems->len, FALSE, NULL);
  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (plan), i);

      if (kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_FAILED)
        {
          g_autofree char *display = g_file_get_basename (kvb_restore_plan_entry_get_file (entry));

          /* Translators: "FILE: what went wrong" */
          kvb_cli_print_error (_("%s: %s"), display, kvb_restore_plan_entry_get_message (entry));
        }
    }
  /* What the check after the run found comes after the files left out. */
  for (guint i = n_left_out; i < problems->len; i++)
    kvb_cli_print_error ("%s", (const char *) g_ptr_array_index (problems, i));

  /* Translators: counts, then the vault's name */
  g_printerr (_("Restored %u objects into %s (%u skipped, %u failed).\n"), summary.n_done,
              vault_name, summary.n_skipped, summary.n_failed + n_left_out);
  if (problems->len == n_left_out)
    g_printerr (_("Checked: every object of the backup is in %s, the restored ones with all their "
                  "versions.\n"), vault_name);

  return summary.n_failed + problems->len > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
}

int
kvb_cli_restore (KvbCli  *cli,
                 int      argc,
                 char   **argv)
{
  g_autofree char *vault = NULL;
  g_autofree char *kind_text = NULL;
  g_autofree char *on_conflict = NULL;
  gboolean dry_run = FALSE;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("The vault: its name or its URL"), N_("VAULT") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_text,
      N_("The kind of object in the files: secret, key or certificate (needed only for a key or "
         "certificate file whose name does not say which)"), N_("KIND") },
    { "on-conflict", 0, 0, G_OPTION_ARG_STRING, &on_conflict,
      N_("For a vault backup folder: what to do with names in use or soft-deleted: stop before "
         "sending anything (fail, the default), skip them, recover the deleted ones, or purge the "
         "deleted ones and restore"), N_("fail|skip|recover|purge") },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
      N_("For a vault backup folder: print the plan and send nothing but listings"), NULL },
    { NULL }
  };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = NULL;
  KvbObjectKind kind;
  guint n_failed = 0;
  int status = KVB_CLI_EXIT_OK;
  gboolean is_folder;
  KvbRestoreAction soft_deleted_action;

  if (!kvb_cli_parse_options (cli, "restore",
                              _("Restore backup files (from this tool, az or PowerShell), or a "
                                "vault backup folder (kvbackup backup --all), into a vault of the "
                                "same subscription and geography."),
                              entries, _("FILE…|DIR"), &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (vault == NULL)
    return kvb_cli_usage_error ("restore", _("Name the vault with --vault."));
  if (argc < 2)
    return kvb_cli_usage_error ("restore", _("Name at least one backup file."));
  if (kind_text != NULL && !kvb_cli_parse_kind ("restore", kind_text, FALSE, &kind, NULL))
    return KVB_CLI_EXIT_USAGE;

  is_folder = argc == 2 && g_file_test (argv[1], G_FILE_TEST_IS_DIR);
  if (!is_folder && (on_conflict != NULL || dry_run))
    return kvb_cli_usage_error ("restore", _("--on-conflict and --dry-run go with a vault backup folder."));
  if (is_folder && kind_text != NULL)
    return kvb_cli_usage_error ("restore", _("A vault backup folder says the kind of every file: leave out --kind."));
  if (on_conflict == NULL || g_str_equal (on_conflict, "fail"))
    soft_deleted_action = KVB_RESTORE_ACTION_NONE;
  else if (g_str_equal (on_conflict, "skip"))
    soft_deleted_action = KVB_RESTORE_ACTION_SKIP;
  else if (g_str_equal (on_conflict, "recover"))
    soft_deleted_action = KVB_RESTORE_ACTION_RECOVER;
  else if (g_str_equal (on_conflict, "purge"))
    soft_deleted_action = KVB_RESTORE_ACTION_PURGE_AND_RESTORE;
  else
    return kvb_cli_usage_error ("restore", _("Unknown choice “%s” for --on-conflict: use fail, skip, "
                                             "recover or purge."), on_conflict);

  if (!kvb_cli_prepare (cli, vault, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vault, &error);
  if (client == NULL)
    return kvb_cli_usage_error ("restore", "%s", error->message);

  if (is_folder)
    {
      g_autoptr(GFile) folder = g_file_new_for_commandline_arg (argv[1]);
      g_autoptr(GFile) manifest = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);

      /* A folder without a manifest falls through to the message about folders. */
      if (g_file_query_exists (manifest, NULL))
        return restore_folder (cli, client, argv[1], soft_deleted_action,
                               on_conflict == NULL || g_str_equal (on_conflict, "fail"), dry_run);
    }

  /* Each file on its own: one that fails does not stop the others. */
  rows = json_array_new ();
  for (int i = 1; i < argc; i++)
    {
      if (g_cancellable_is_cancelled (cli->cancellable))
        break;
      int one = restore_one (cli, client, argv[i], kind_text != NULL ? &kind : NULL, rows);

      if (one != KVB_CLI_EXIT_OK)
        n_failed++;
      /* A path that names no file is a wrong command line, and says so over other failures. */
      status = MAX (status, one);
    }
  record_files (cli, client, rows, argc - 1, n_failed);

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
