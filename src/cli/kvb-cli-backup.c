/* kvb-cli-backup.c: kvbackup backup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "kvb-backup-file.h"
#include "kvb-cli.h"
#include "kvb-cli-progress.h"
#include "kvb-error.h"
#include "kvb-history.h"
#include "kvb-keyvault-client.h"
#include "kvb-object-backup.h"
#include "kvb-vault-backup.h"

static KvbJobStatus
item_status (gpointer item)
{
  return kvb_backup_job_item_get_status (item);
}

static JsonObject *
object_row (KvbObjectKind  kind,
            const char    *name)
{
  JsonObject *row = json_object_new ();

  json_object_set_string_member (row, "kind", kvb_object_kind_to_string (kind));
  json_object_set_string_member (row, "name", name);
  return row;
}

/* Writes the history line of a whole-vault backup and returns the document for --json (the
 * same, with the objects that failed or changed meanwhile). */
static JsonObject *
record_vault_backup (KvbCli              *cli,
                     KvbKeyVaultClient   *client,
                     KvbVaultBackup      *job,
                     GFile               *folder,
                     const char          *previous,
                     const KvbJobSummary *summary,
                     const GError        *error)
{
  g_autoptr(JsonObject) entry = kvb_cli_history_entry (cli, KVB_HISTORY_BACKUP,
                                                       kvb_keyvault_client_get_vault_name (client));
  g_autofree char *path = g_file_get_path (folder);
  JsonObject *counts = json_object_new ();
  GListModel *model = G_LIST_MODEL (job);
  GPtrArray *changed = kvb_vault_backup_get_changed (job);
  JsonArray *failed;
  JsonArray *changed_rows;

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
  json_object_set_string_member (entry, "folder", path);
  if (previous != NULL)
    json_object_set_string_member (entry, "incrementalFrom", previous);
  json_object_set_int_member (entry, "objects", g_list_model_get_n_items (model));
  json_object_set_string_member (entry, "result", kvb_cli_result_word (error, summary->n_failed));
  json_object_set_int_member (counts, "done", summary->n_done);
  json_object_set_int_member (counts, "kept", kvb_vault_backup_get_n_kept (job));
  json_object_set_int_member (counts, "linked", kvb_vault_backup_get_n_linked (job));
  json_object_set_int_member (counts, "copied", kvb_vault_backup_get_n_copied (job));
  json_object_set_int_member (counts, "covered", summary->n_skipped);
  json_object_set_int_member (counts, "failed", summary->n_failed);
  json_object_set_int_member (counts, "changedDuringBackup", changed->len);
  json_object_set_object_member (entry, "counts", counts);
  if (error != NULL)
    json_object_set_string_member (entry, "message", error->message);
  kvb_cli_history_append (cli, entry);

  failed = json_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (model, i);

      if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_FAILED)
        {
          JsonObject *row = object_row (kvb_backup_job_item_get_kind (item),
                                        kvb_backup_job_item_get_name (item));

          json_object_set_string_member (row, "reason", kvb_backup_job_item_get_message (item));
          json_array_add_object_element (failed, row);
        }
    }
  changed_rows = json_array_new ();
  for (guint i = 0; i < changed->len; i++)
    {
      const char *text = g_ptr_array_index (changed, i);
      const char *space = strchr (text, ' ');
      g_autofree char *kind_text = g_strndup (text, space - text);
      KvbObjectKind kind;

      if (space != NULL && kvb_object_kind_from_string (kind_text, &kind))
        json_array_add_object_element (changed_rows, object_row (kind, space + 1));
    }
  json_object_set_string_member (entry, "command", "backup");
  json_object_set_array_member (entry, "failed", failed);
  json_object_set_array_member (entry, "changedDuringBackup", changed_rows);
  return g_steal_pointer (&entry);
}

/* The history line (and --json document) of the backup of one object. */
static void
record_object_backup (KvbCli            *cli,
                      KvbKeyVaultClient *client,
                      KvbObjectKind      kind,
                      const char        *name,
                      GFile             *file,
                      const GError      *error)
{
  g_autoptr(JsonObject) entry = kvb_cli_history_entry (cli, KVB_HISTORY_BACKUP,
                                                       kvb_keyvault_client_get_vault_name (client));
  g_autofree char *path = g_file_get_path (file);
  JsonArray *files = json_array_new ();
  JsonArray *objects = json_array_new ();
  JsonObject *counts = json_object_new ();

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (client));
  json_array_add_string_element (files, path);
  json_object_set_array_member (entry, "files", files);
  json_object_set_int_member (entry, "objects", 1);
  json_object_set_string_member (entry, "result", kvb_cli_result_word (error, 0));
  json_object_set_int_member (counts, "done", error == NULL ? 1 : 0);
  json_object_set_int_member (counts, "failed", error == NULL ? 0 : 1);
  json_object_set_object_member (entry, "counts", counts);
  if (error != NULL)
    json_object_set_string_member (entry, "message", error->message);
  kvb_cli_history_append (cli, entry);

  if (cli->json)
    {
      json_array_add_object_element (objects, object_row (kind, name));
      json_object_set_string_member (entry, "command", "backup");
      json_object_set_array_member (entry, "objectNames", objects);
      kvb_cli_set_document (cli, entry);
    }
  else
    json_array_unref (objects);
}

/* One vault of kvbackup backup --all. */
typedef struct
{
  KvbKeyVaultClient *client;
  KvbVaultBackup *job;
  GFile *folder;
  char *previous;           /* (nullable): the earlier backup of --incremental */
  GAsyncResult *result;
} VaultRun;

static void
vault_run_free (VaultRun *run)
{
  g_clear_object (&run->client);
  g_clear_object (&run->job);
  g_clear_object (&run->folder);
  g_clear_object (&run->result);
  g_free (run->previous);
  g_free (run);
}

/* The end of one vault's backup: what failed or changed, the history line, the summary.
 * Returns: the exit status for this vault; *@doc (out): its document. */
static int
finish_vault (KvbCli      *cli,
              VaultRun    *run,
              JsonObject **doc)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *display = g_file_get_parse_name (run->folder);
  const char *vault_name = kvb_keyvault_client_get_vault_name (run->client);
  KvbJobSummary summary = { 0, };
  GPtrArray *changed;
  gboolean ok;

  ok = kvb_vault_backup_run_finish (run->job, run->result, &summary, &error);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (run->job)); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (run->job), i);

      if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_FAILED)
        /* Translators: the kind of object, its name, the reason */
        kvb_cli_print_error (_("%s “%s” was not backed up: %s"),
                             kvb_object_kind_to_string (kvb_backup_job_item_get_kind (item)),
                             kvb_backup_job_item_get_name (item),
                             kvb_backup_job_item_get_message (item));
    }

  changed = kvb_vault_backup_get_changed (run->job);
  for (guint i = 0; i < changed->len; i++)
    /* Translators: "KIND NAME" of an object */
    g_printerr (_("“%s” changed while the backup ran: back it up again to have its latest state.\n"),
                (const char *) g_ptr_array_index (changed, i));

  *doc = record_vault_backup (cli, run->client, run->job, run->folder, run->previous, &summary,
                              ok ? NULL : error);

  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted. Continue with --resume."));
      else
        /* Translators: a vault's name, then what went wrong */
        kvb_cli_print_error (_("%s: %s"), vault_name, error->message);
      return kvb_cli_status_for_error (error);
    }

  /* Translators: counts, then the vault's name and the folder */
  g_printerr (_("Backed up %u objects of %s to “%s” (%u kept from the earlier run, %u covered by "
                "their certificate, %u failed).\n"),
              summary.n_done, vault_name, display,
              kvb_vault_backup_get_n_kept (run->job), summary.n_skipped, summary.n_failed);
  if (run->previous != NULL)
    /* Translators: counts of objects unchanged since the earlier backup */
    g_printerr (_("Unchanged since the earlier backup: %u linked, %u copied (another file "
                  "system).\n"),
                kvb_vault_backup_get_n_linked (run->job), kvb_vault_backup_get_n_copied (run->job));

  return summary.n_failed > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
}

/* The vault's name in "NAME" or "https://NAME.vault.…/", as the client will have it. */
static char *
vault_name_of (const char *vault)
{
  const char *start = strstr (vault, "://");

  start = start != NULL ? start + 3 : vault;
  return g_ascii_strdown (start, strcspn (start, "./:"));
}

/* kvbackup backup --all: each vault into a folder, through the core's engine.  One vault goes
 * into --output itself; several each into --output/VAULT (and --incremental PREVIOUS_DIR then
 * means PREVIOUS_DIR/VAULT), all at once: every vault has its own pacer in the pipeline, so they
 * do not slow each other down. */
static int
backup_vaults (KvbCli      *cli,
               char       **vaults,
               const char  *output,
               gboolean     resume,
               int          concurrency,
               const char  *incremental)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_run_free);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbCliProgress) progress = NULL;
  g_autoptr(JsonArray) docs = json_array_new ();
  guint n_vaults = g_strv_length (vaults);
  gboolean several = n_vaults > 1;
  int status = KVB_CLI_EXIT_OK;

  /* The earlier backups first, before the sign-in is even looked at: a mistake costs nothing. */
  for (guint i = 0; incremental != NULL && i < n_vaults; i++)
    {
      g_autoptr(GFile) previous_base = g_file_new_for_commandline_arg (incremental);
      g_autoptr(GFile) previous = NULL;
      g_autoptr(KvbVaultManifest) earlier = NULL;
      g_autofree char *name = vault_name_of (vaults[i]);

      previous = several ? g_file_get_child (previous_base, name) : g_object_ref (previous_base);
      earlier = kvb_vault_manifest_load (previous, &error);
      if (earlier == NULL)
        {
          kvb_cli_print_error ("%s", error->message);
          return KVB_CLI_EXIT_USAGE;
        }
    }

  if (!kvb_cli_prepare (cli, vaults[0], &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  /* Every vault, folder and earlier backup is checked before anything is asked of a vault:
   * a mistake costs nothing. */
  for (guint i = 0; i < n_vaults; i++)
    {
      VaultRun *run = g_new0 (VaultRun, 1);
      g_autoptr(GFile) base = g_file_new_for_commandline_arg (output);
      g_autofree char *folder_name = NULL;
      const char *name;

      g_ptr_array_add (runs, run);
      if (!kvb_cli_prepare (cli, vaults[i], &error))
        {
          kvb_cli_print_error ("%s", error->message);
          return kvb_cli_status_for_error (error);
        }
      run->client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vaults[i],
                                             &error);
      if (run->client == NULL)
        return kvb_cli_usage_error ("backup", "%s", error->message);
      name = kvb_keyvault_client_get_vault_name (run->client);
      if (!g_hash_table_add (names, g_ascii_strdown (name, -1)))
        return kvb_cli_usage_error ("backup", _("The vault %s is named twice."), name);

      /* Key Vault names are case-insensitive: the sub-folder's is in lower case. */
      folder_name = g_ascii_strdown (name, -1);
      run->folder = several ? g_file_get_child (base, folder_name) : g_object_ref (base);
      if (incremental != NULL)
        {
          g_autoptr(GFile) previous_base = g_file_new_for_commandline_arg (incremental);
          g_autoptr(GFile) previous = several ? g_file_get_child (previous_base, folder_name)
                                              : g_object_ref (previous_base);
          g_autoptr(KvbVaultManifest) earlier = kvb_vault_manifest_load (previous, &error);

          if (earlier == NULL)
            {
              kvb_cli_print_error ("%s", error->message);
              return KVB_CLI_EXIT_USAGE;
            }
          run->previous = g_file_get_path (previous);
        }

      run->job = kvb_vault_backup_new (run->client, run->folder);
      kvb_vault_backup_set_resume (run->job, resume);
      if (concurrency > 0)
        kvb_vault_backup_set_max_parallel (run->job, concurrency);
      if (run->previous != NULL)
        {
          g_autoptr(GFile) previous = g_file_new_for_path (run->previous);

          kvb_vault_backup_set_previous (run->job, previous);
        }
    }

  /* A restore checks subscription and geography against these; only Resource Manager knows them. */
  for (guint i = 0; i < runs->len; i++)
    {
      VaultRun *run = g_ptr_array_index (runs, i);
      g_autoptr(KvbVaultInfo) info = NULL;

      info = kvb_cli_find_vault (cli, kvb_keyvault_client_get_vault_name (run->client), &error);
      if (info != NULL)
        kvb_vault_backup_set_origin (run->job, kvb_vault_info_get_subscription_id (info),
                                     kvb_vault_info_get_location (info),
                                     kvb_vault_info_get_tenant_id (info), kvb_cloud_get_id (cli->cloud));
      else
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              kvb_cli_print_error (_("Interrupted."));
              return KVB_CLI_EXIT_FAILED;
            }
          kvb_vault_backup_set_origin (run->job, NULL, NULL, NULL, kvb_cloud_get_id (cli->cloud));
          /* Translators: %s is a vault's name */
          g_printerr (_("Resource Manager does not show %s to the sign-in: the manifest leaves its "
                        "subscription and location empty, and a restore cannot check them.\n"),
                      kvb_keyvault_client_get_vault_name (run->client));
          g_clear_error (&error);
        }
    }

  /* A large vault takes minutes: a bar on a terminal, a line per tenth in a log. */
  progress = kvb_cli_progress_new (_("Backing up"));
  for (guint i = 0; i < runs->len; i++)
    {
      VaultRun *run = g_ptr_array_index (runs, i);

      kvb_cli_progress_add (progress, kvb_keyvault_client_get_vault_name (run->client),
                            G_LIST_MODEL (run->job), item_status);
      kvb_vault_backup_run_async (run->job, cli->cancellable, kvb_cli_wait_cb, &run->result);
    }
  kvb_cli_progress_start (progress);
  for (guint i = 0; i < runs->len; i++)
    {
      VaultRun *run = g_ptr_array_index (runs, i);

      kvb_cli_wait (cli, &run->result);
    }
  g_clear_pointer (&progress, kvb_cli_progress_free);

  for (guint i = 0; i < runs->len; i++)
    {
      g_autoptr(JsonObject) doc = NULL;
      int one = finish_vault (cli, g_ptr_array_index (runs, i), &doc);

      /* Not inside MAX(), which would call it twice. */
      status = MAX (status, one);
      json_array_add_object_element (docs, g_steal_pointer (&doc));
    }

  if (cli->json)
    {
      if (!several)
        kvb_cli_set_document (cli, json_array_get_object_element (docs, 0));
      else
        {
          g_autoptr(JsonObject) doc = json_object_new ();
          g_autofree char *path = NULL;
          g_autoptr(GFile) base = g_file_new_for_commandline_arg (output);

          path = g_file_get_path (base);
          json_object_set_string_member (doc, "command", "backup");
          json_object_set_string_member (doc, "folder", path);
          json_object_set_array_member (doc, "vaults", json_array_ref (docs));
          kvb_cli_set_document (cli, doc);
        }
    }

  return status;
}

int
kvb_cli_backup (KvbCli  *cli,
                int      argc,
                char   **argv)
{
  g_auto(GStrv) vaults = NULL;
  const char *vault = NULL;
  g_autofree char *kind_text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *output = NULL;
  gboolean force = FALSE;
  gboolean all = FALSE;
  gboolean resume = FALSE;
  int concurrency = -1;
  g_autofree char *incremental = NULL;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &vaults,
      N_("The vault: its name or its URL; with --all it can be given several times, to back up "
         "several vaults at once, each into its own sub-folder of --output"), N_("VAULT") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_text,
      N_("The kind of object: secret, key or certificate"), N_("KIND") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("The name of the object"), N_("NAME") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("The file to write, or a folder for VAULT.NAME.KIND.kvbackup (default: the current folder)"),
      N_("FILE|DIR") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_("Replace the file if it exists"), NULL },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      N_("Back up the whole vault into the folder --output: one file per object and a manifest.json"),
      NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume,
      N_("With --all: continue a backup in a folder that has a manifest; objects already saved and "
         "unchanged are not backed up again"), NULL },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency,
      N_("With --all: how many backups are in flight at once (default: from 8, adapting)"), N_("N") },
    { "incremental", 0, 0, G_OPTION_ARG_FILENAME, &incremental,
      N_("With --all: back up only what changed since the backup in PREVIOUS_DIR; unchanged "
         "objects become hard links to its files"), N_("PREVIOUS_DIR") },
    { NULL }
  };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *display = NULL;
  KvbObjectKind kind;

  if (!kvb_cli_parse_options (cli, "backup",
                              _("Back up one secret, key or certificate (with all its versions) to a "
                                "file that az, PowerShell and this tool can restore, or with --all "
                                "the whole vault to a folder."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (argc > 1)
    return kvb_cli_usage_error ("backup", _("Unexpected argument “%s”."), argv[1]);
  if (vaults == NULL || vaults[0] == NULL)
    return kvb_cli_usage_error ("backup", _("Name the vault with --vault."));
  vault = vaults[0];
  if (concurrency != -1 && (concurrency < 1 || concurrency > 64))
    return kvb_cli_usage_error ("backup", _("--concurrency takes a number from 1 to 64."));
  if (all)
    {
      if (kind_text != NULL || name != NULL || force)
        return kvb_cli_usage_error ("backup", _("--all backs up every object: leave out --kind, "
                                                "--name and --force."));
      if (output == NULL)
        return kvb_cli_usage_error ("backup", _("Name the folder for the vault’s backup with --output."));
      if (incremental != NULL && !g_file_test (incremental, G_FILE_TEST_IS_DIR))
        return kvb_cli_usage_error ("backup", _("--incremental names the folder of an earlier "
                                                "backup of the vault; “%s” is not a folder."),
                                    incremental);
      return backup_vaults (cli, vaults, output, resume, concurrency, incremental);
    }
  if (vaults[1] != NULL)
    return kvb_cli_usage_error ("backup", _("Several vaults go with --all: one object is backed up "
                                            "from one vault."));
  if (resume || concurrency != -1 || incremental != NULL)
    return kvb_cli_usage_error ("backup", _("--resume, --concurrency and --incremental go with --all."));
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
      return KVB_CLI_EXIT_USAGE;
    }

  /* The engine's one-object backup: the same check of the answer and the same write as a
   * folder's files. */
  kvb_object_backup_to_file_async (client, kind, name, file, force, cli->cancellable,
                                   kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_object_backup_to_file_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      record_object_backup (cli, client, kind, name, file, error);
      return KVB_CLI_EXIT_FAILED;
    }
  record_object_backup (cli, client, kind, name, file, NULL);

  /* Translators: the object's name, the vault's name, the file */
  g_printerr (kind == KVB_OBJECT_KIND_SECRET ? _("Backed up secret “%s” of %s to “%s”.\n") :
              kind == KVB_OBJECT_KIND_KEY ? _("Backed up key “%s” of %s to “%s”.\n") :
              _("Backed up certificate “%s” of %s to “%s”.\n"),
              name, kvb_keyvault_client_get_vault_name (client), display);

  return KVB_CLI_EXIT_OK;
}
