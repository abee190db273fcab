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
#include "kvb-geography.h"
#include "kvb-keyvault-client.h"
#include "kvb-restore-plan.h"
#include "kvb-vault-manifest.h"

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

/* ---- a whole-vault backup folder ---- */

/* Key Vault restores only into a vault of the same subscription and geography; a blob sent
 * elsewhere fails after the fact, so this is checked before anything is sent.  Returns FALSE
 * (after saying why) to refuse; unknown facts are said and let through. */
static gboolean
preflight (KvbVaultManifest *manifest,
           KvbVaultInfo     *target,
           const char       *vault_name)
{
  const char *from_sub = kvb_vault_manifest_get_subscription (manifest);
  const char *from_location = kvb_vault_manifest_get_location (manifest);
  const char *to_sub = target != NULL ? kvb_vault_info_get_subscription_id (target) : NULL;
  const char *to_location = target != NULL ? kvb_vault_info_get_location (target) : NULL;
  gboolean known;

  if (from_sub != NULL && to_sub != NULL && g_ascii_strcasecmp (from_sub, to_sub) != 0)
    {
      kvb_cli_print_error (_("The backup comes from subscription %s and %s is in subscription %s: "
                             "Key Vault restores only into a vault of the same subscription. "
                             "Nothing was sent."), from_sub, vault_name, to_sub);
      return FALSE;
    }
  if (from_location != NULL && to_location != NULL &&
      !kvb_geography_same (from_location, to_location, &known))
    {
      if (known)
        {
          kvb_cli_print_error (_("The backup comes from %s and %s is in %s, another geography: Key "
                                 "Vault restores only into a vault of the same geography. Nothing "
                                 "was sent."), from_location, vault_name, to_location);
          return FALSE;
        }
      g_printerr (_("Whether %s and %s are in the same geography is not known here; the vault "
                    "will refuse the restore if they are not.\n"), from_location, to_location);
    }
  if (from_sub == NULL || to_sub == NULL)
    g_printerr ("%s\n", _("The subscription and location of the backup or of the vault are not "
                          "known, so they were not checked; the vault will refuse the restore if "
                          "they do not fit."));
  return TRUE;
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

typedef struct
{
  GHashTable *present;      /* "kind/name" */
  guint versions;
} Listed;

static void
listed_cb (GPtrArray *objects,
           gpointer   user_data)
{
  Listed *listed = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      if (listed->present != NULL)
        g_hash_table_add (listed->present,
                          g_strconcat (kvb_object_kind_to_string (kvb_object_info_get_kind (info)),
                                       "/", kvb_object_info_get_name (info), NULL));
      listed->versions++;
    }
}

/* Afterwards: every object of the backup is in the vault, and what was restored has the
 * versions the manifest records.  Returns the number of objects that are not as they should be. */
static guint
check_after (KvbCli            *cli,
             KvbKeyVaultClient *client,
             KvbVaultManifest  *manifest,
             GHashTable        *restored)
{
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  guint n_wrong = 0;

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      Listed listed = { present, 0 };

      kvb_keyvault_client_list_async (client, kind, FALSE, listed_cb, &listed, cli->cancellable,
                                      kvb_cli_wait_cb, &result);
      kvb_cli_wait (cli, &result);
      if (!kvb_keyvault_client_list_finish (client, result, &error))
        {
          kvb_cli_print_error ("%s", error->message);
          return G_MAXUINT;
        }
    }

  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (manifest, i);
      const char *status = json_object_get_string_member_with_default (entry, "status", "");
      const char *name = json_object_get_string_member (entry, "name");
      g_autofree char *key = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      Listed listed = { NULL, 0 };
      KvbObjectKind kind;
      gint64 want;

      if ((g_strcmp0 (status, KVB_VAULT_MANIFEST_DONE) != 0 &&
           g_strcmp0 (status, KVB_VAULT_MANIFEST_COVERED) != 0) ||
          !kvb_vault_manifest_entry_get_kind (entry, &kind))
        continue;
      key = g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
      if (!g_hash_table_contains (present, key))
        {
          /* Translators: the kind of object, its name */
          kvb_cli_print_error (_("%s “%s” is not in the vault after the restore."),
                               kvb_object_kind_to_string (kind), name);
          n_wrong++;
          continue;
        }
      if (!g_hash_table_contains (restored, key))
        continue;

      want = json_object_get_int_member_with_default (entry, "versions", 0);
      kvb_keyvault_client_list_versions_async (client, kind, name, listed_cb, &listed,
                                               cli->cancellable, kvb_cli_wait_cb, &result);
      kvb_cli_wait (cli, &result);
      if (!kvb_keyvault_client_list_versions_finish (client, result, &error))
        {
          kvb_cli_print_error ("%s", error->message);
          return G_MAXUINT;
        }
      if (want > 0 && listed.versions != want)
        {
          /* Translators: the kind of object, its name, two counts */
          kvb_cli_print_error (_("%s “%s” has %u versions after the restore where the backup has %d."),
                               kvb_object_kind_to_string (kind), name, listed.versions, (int) want);
          n_wrong++;
        }
    }
  return n_wrong;
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
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(KvbVaultInfo) target = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);
  g_autoptr(GHashTable) restored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *vault_name = kvb_keyvault_client_get_vault_name (client);
  KvbJobSummary summary = { 0, };
  guint n_bad = 0, n_conflicts = 0, n_wrong, n_entries;

  manifest = kvb_vault_manifest_load (folder, &error);
  if (manifest == NULL)
    {
      kvb_cli_print_error ("%s", error->message);
      return g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND) ? KVB_CLI_EXIT_USAGE
                                                                      : KVB_CLI_EXIT_FAILED;
    }

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
  if (!preflight (manifest, target, vault_name))
    return KVB_CLI_EXIT_USAGE;

  /* Only files that are as the manifest recorded them go into the plan. */
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (manifest, i);
      g_autoptr(GError) check_error = NULL;

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "status", NULL),
                     KVB_VAULT_MANIFEST_DONE) != 0)
        continue;
      if (!kvb_vault_manifest_check_entry (entry, folder, &check_error))
        {
          kvb_cli_print_error (_("Not restored: %s"), check_error->message);
          n_bad++;
          continue;
        }
      {
        g_autoptr(GFile) file = g_file_resolve_relative_path (folder,
                                                              json_object_get_string_member (entry, "file"));
        g_list_store_append (files, file);
      }
    }

  plan = kvb_restore_plan_new (client, target != NULL && kvb_vault_info_get_purge_protection (target));
  kvb_restore_plan_set_soft_deleted_action (plan, soft_deleted_action);
  kvb_restore_plan_prepare_async (plan, G_LIST_MODEL (files), cli->cancellable, kvb_cli_wait_cb,
                                  &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_restore_plan_prepare_finish (plan, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }
  g_clear_object (&result);

  n_entries = g_list_model_get_n_items (G_LIST_MODEL (plan));
  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (plan), i);
      KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);
      KvbRestoreAction action = kvb_restore_plan_entry_get_action (entry);
      g_autofree char *display = g_file_get_basename (kvb_restore_plan_entry_get_file (entry));

      if (state == KVB_RESTORE_STATE_INVALID)
        n_bad++;
      if ((state == KVB_RESTORE_STATE_EXISTS || state == KVB_RESTORE_STATE_SOFT_DELETED) &&
          stop_on_conflict)
        n_conflicts++;
      if (action == KVB_RESTORE_ACTION_RESTORE || action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
        g_hash_table_add (restored, g_strconcat (kvb_object_kind_to_string (kvb_restore_plan_entry_get_kind (entry)),
                                                 "/", kvb_restore_plan_entry_get_name (entry), NULL));
      if (dry_run || (stop_on_conflict && (state == KVB_RESTORE_STATE_EXISTS ||
                                           state == KVB_RESTORE_STATE_SOFT_DELETED)))
        g_print ("%-12s %-40s %s\n",
                 kvb_object_kind_to_string (kvb_restore_plan_entry_get_kind (entry)),
                 kvb_restore_plan_entry_get_name (entry) ? kvb_restore_plan_entry_get_name (entry) : display,
                 stop_on_conflict && (state == KVB_RESTORE_STATE_EXISTS ||
                                      state == KVB_RESTORE_STATE_SOFT_DELETED)
                   ? _("stop: the name is in use") : plan_word (entry));
    }

  if (n_conflicts > 0)
    {
      kvb_cli_print_error (g_dngettext (GETTEXT_PACKAGE,
                                        "%u name is in use in %s, so nothing was restored. Choose "
                                        "what to do with --on-conflict skip, recover or purge.",
                                        "%u names are in use in %s, so nothing was restored. Choose "
                                        "what to do with --on-conflict skip, recover or purge.",
                                        n_conflicts), n_conflicts, vault_name);
      return KVB_CLI_EXIT_FAILED;
    }
  if (dry_run)
    {
      g_printerr (_("Dry run: nothing was sent to %s.\n"), vault_name);
      return n_bad > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
    }

  kvb_restore_plan_run_async (plan, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_restore_plan_run_finish (plan, result, &summary, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }
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

  n_wrong = check_after (cli, client, manifest, restored);

  /* Translators: counts, then the vault's name */
  g_printerr (_("Restored %u objects into %s (%u skipped, %u failed).\n"), summary.n_done,
              vault_name, summary.n_skipped, summary.n_failed + n_bad);
  if (n_wrong == 0)
    g_printerr (_("Checked: every object of the backup is in %s, the restored ones with all their "
                  "versions.\n"), vault_name);

  return summary.n_failed + n_bad + n_wrong > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
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
