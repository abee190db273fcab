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
#include "kvb-vault-manifest.h"

typedef struct
{
  KvbVaultManifest *manifest;
  GHashTable *listed;       /* JsonObject entries of the manifest that the vault lists */
  GHashTable *deleted;      /* "kind/name" of the vault's soft-deleted objects */
  JsonArray *only_in_vault;
  JsonArray *changed;
} Compare;

static void
deleted_page_cb (GPtrArray *objects,
                 gpointer   user_data)
{
  Compare *cmp = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      g_hash_table_add (cmp->deleted,
                        g_strconcat (kvb_object_kind_to_string (kvb_object_info_get_kind (info)), "/",
                                     kvb_object_info_get_name (info), NULL));
    }
}

static gboolean
entry_in_backup (JsonObject *entry)
{
  const char *status = json_object_get_string_member_with_default (entry, "status", NULL);

  return g_strcmp0 (status, KVB_VAULT_MANIFEST_DONE) == 0 ||
         g_strcmp0 (status, KVB_VAULT_MANIFEST_COVERED) == 0;
}

static JsonObject *
new_row (KvbObjectKind  kind,
         const char    *name)
{
  JsonObject *row = json_object_new ();

  json_object_set_string_member (row, "kind", kvb_object_kind_to_string (kind));
  json_object_set_string_member (row, "name", name);
  return row;
}

/* The listing is compared page by page: nothing is downloaded but names and dates. */
static void
page_cb (GPtrArray *objects,
         gpointer   user_data)
{
  Compare *cmp = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);
      KvbObjectKind kind = kvb_object_info_get_kind (info);
      const char *name = kvb_object_info_get_name (info);
      JsonObject *entry = kvb_vault_manifest_lookup (cmp->manifest, kind, name);
      g_autofree char *updated = kvb_vault_manifest_format_time (kvb_object_info_get_updated (info));
      const char *backed_up;

      if (entry == NULL || !entry_in_backup (entry))
        {
          json_array_add_object_element (cmp->only_in_vault, new_row (kind, name));
          continue;
        }
      g_hash_table_add (cmp->listed, entry);
      backed_up = json_object_get_string_member_with_default (entry, "updated", NULL);
      if (g_strcmp0 (backed_up, updated) != 0)
        {
          JsonObject *row = new_row (kind, name);

          json_object_set_string_member (row, "backupUpdated", backed_up);
          json_object_set_string_member (row, "vaultUpdated", updated);
          json_array_add_object_element (cmp->changed, row);
        }
    }
}

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
               g_strcmp0 (state, "deleted") == 0 ? _(" (deleted, can be recovered)") :
               g_strcmp0 (state, "purged") == 0 ? _(" (purged, or never in this vault)") : "");
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
  g_autoptr(GHashTable) listed = NULL;
  g_autoptr(GHashTable) deleted = NULL;
  g_autoptr(JsonArray) only_in_vault = json_array_new ();
  g_autoptr(JsonArray) only_in_backup = json_array_new ();
  g_autoptr(JsonArray) changed = json_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *display = NULL;
  Compare cmp;
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

  listed = g_hash_table_new (NULL, NULL);
  deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cmp = (Compare) { manifest, listed, deleted, only_in_vault, changed };
  /* Live objects, then the soft-deleted ones: these tell deleted from purged. */
  for (guint pass = 0; pass < 2 * KVB_OBJECT_KIND_N_KINDS; pass++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      KvbObjectKind kind = pass % KVB_OBJECT_KIND_N_KINDS;
      gboolean list_deleted = pass >= KVB_OBJECT_KIND_N_KINDS;

      kvb_keyvault_client_list_async (client, kind, list_deleted,
                                      list_deleted ? deleted_page_cb : page_cb, &cmp,
                                      cli->cancellable, kvb_cli_wait_cb, &result);
      kvb_cli_wait (cli, &result);
      if (!kvb_keyvault_client_list_finish (client, result, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            kvb_cli_print_error (_("Interrupted."));
          else
            kvb_cli_print_error ("%s", error->message);
          return KVB_CLI_EXIT_FAILED;
        }
    }

  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (manifest); i++)
    {
      JsonObject *entry = kvb_vault_manifest_get_object (manifest, i);
      KvbObjectKind kind;

      if (entry_in_backup (entry) && !g_hash_table_contains (listed, entry) &&
          kvb_vault_manifest_entry_get_kind (entry, &kind))
        {
          const char *name = json_object_get_string_member (entry, "name");
          g_autofree char *key = g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
          JsonObject *row = new_row (kind, name);

          json_object_set_string_member (row, "state", g_hash_table_contains (deleted, key)
                                                       ? "deleted" : "purged");
          json_array_add_object_element (only_in_backup, row);
        }
    }

  n_differences = json_array_get_length (only_in_vault) + json_array_get_length (only_in_backup) +
                  json_array_get_length (changed);

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
