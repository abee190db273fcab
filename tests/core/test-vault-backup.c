/* test-vault-backup.c: the whole-vault engine against the stand-in: the folder and its manifest,
 * covered keys and secrets, a second run refused, resume after a cancellation and after damage,
 * verification of the folder, incremental backups (hard links), the restore of the folder with its pre-flight, and the geography
 * table; kept-alive connections for the backups, and a restore of several files at once whose
 * outcomes stay honest when answers are lost.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-geography.h"
#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"
#include "kvb-test-sync.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-manifest.h"
#include "kvb-vault-restore.h"

/* A smaller world than the command-line test's, so that the sanitizer build stays quick. */
#define N_SECRETS (1 + 12 + 3)
#define N_KEYS    (1 + 4)
#define N_CERTS   (1 + 2)
#define N_DONE    (N_SECRETS + N_KEYS + N_CERTS)
#define N_COVERED (2 * N_CERTS)

typedef struct
{
  KvbTestEmulator *emu;
  KvbCloud *cloud;
  KvbPipeline *pipeline;
  KvbCredential *cred;
  KvbKeyVaultClient *client;
  char *tmp;
  GFile *folder;
} Env;

static void
shrink_counts (JsonArray *objects)
{
  for (guint i = 0; objects != NULL && i < json_array_get_length (objects); i++)
    {
      JsonObject *o = json_array_get_object_element (objects, i);
      const char *name = json_object_get_string_member (o, "name");

      if (g_str_equal (name, "app"))
        json_object_set_int_member (o, "count", 12);
      else if (g_str_equal (name, "multi"))
        json_object_set_int_member (o, "count", 3);
      else if (g_str_equal (name, "ec"))
        json_object_set_int_member (o, "count", 4);
      else if (g_str_equal (name, "site"))
        json_object_set_int_member (o, "count", 2);
    }
}

static char *
write_seed (const char *folder)
{
  g_autofree char *source = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "cli",
                                              "seed-vault.json", NULL);
  g_autofree char *path = g_build_filename (folder, "seed.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *vault;

  g_assert_true (json_parser_load_from_file (parser, source, &error));
  g_assert_no_error (error);
  vault = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "vaults"), 0);
  g_assert_cmpstr (json_object_get_string_member (vault, "name"), ==, "wv-kv");
  shrink_counts (json_object_get_array_member (vault, "secrets"));
  shrink_counts (json_object_get_array_member (vault, "keys"));
  shrink_counts (json_object_get_array_member (vault, "certificates"));

  json_generator_set_root (generator, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (generator, path, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
env_setup (Env           *env,
           gconstpointer  data)
{
  g_autofree char *seed = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(GError) error = NULL;

  env->tmp = g_dir_make_tmp ("kvb-vault-backup-XXXXXX", &error);
  g_assert_no_error (error);
  seed = write_seed (env->tmp);
  /* With a latency, requests sent at once are answered at once: the stand-in sees them
   * overlap whatever the load of the machine. */
  env->emu = kvb_test_emulator_start_or_skip ((const char * const[]) {
      "--seed", seed, "--fail-5xx", "0.1", "--fail-retry-after", "0",
      "--latency-ms", data != NULL ? "30" : "0", NULL });
  if (env->emu == NULL)
    return;

  env->cloud = kvb_test_emulator_new_cloud (env->emu);
  env->pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (env->pipeline, 20);
  env->cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      env->pipeline, env->cloud, env->emu->tenant, env->emu->client_id, env->emu->client_secret));
  env->client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, "wv-kv", &error);
  g_assert_no_error (error);
  folder = g_build_filename (env->tmp, "backup", NULL);
  env->folder = g_file_new_for_path (folder);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_rmdir (path);
}

static void
env_teardown (Env           *env,
              gconstpointer  data)
{
  if (env->tmp != NULL)
    remove_tree (env->tmp);
  g_clear_pointer (&env->tmp, g_free);
  g_clear_object (&env->folder);
  g_clear_object (&env->client);
  g_clear_object (&env->cred);
  g_clear_object (&env->pipeline);
  g_clear_object (&env->cloud);
  g_clear_pointer (&env->emu, kvb_test_emulator_stop);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
run_job (KvbVaultBackup *job,
         GCancellable   *cancellable,
         KvbJobSummary  *summary,
         GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kvb_vault_backup_run_async (job, cancellable, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return kvb_vault_backup_run_finish (job, result, summary, error);
}

static guint
file_mode (GFile      *folder,
           const char *relative)
{
  g_autoptr(GFile) file = relative != NULL ? g_file_resolve_relative_path (folder, relative)
                                           : g_object_ref (folder);
  g_autofree char *path = g_file_get_path (file);
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static guint
count_status (KvbVaultManifest *manifest,
              const char       *status)
{
  guint n = 0;

  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (manifest); i++)
    if (g_str_equal (json_object_get_string_member (kvb_vault_manifest_get_object (manifest, i),
                                                    "status"), status))
      n++;
  return n;
}

static void
test_whole_vault (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbVaultBackup) again = NULL;
  g_autoptr(KvbVaultBackup) resumed = NULL;
  g_autoptr(KvbVaultManifest) loaded = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary = { 0, };
  JsonObject *entry;
  guint n_items, n_checked = 0;

  if (env->emu == NULL)
    return;

  job = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_origin (job, "sub", "westeurope", "tenant", "sample");
  g_assert_true (run_job (job, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  g_assert_cmpuint (summary.n_skipped, ==, N_COVERED);
  g_assert_cmpuint (summary.n_failed, ==, 0);
  g_assert_cmpuint (kvb_vault_backup_get_n_kept (job), ==, 0);
  g_assert_cmpuint (kvb_vault_backup_get_changed (job)->len, ==, 0);

  /* The model: one item per object; the certificate's key and secret in its place. */
  n_items = g_list_model_get_n_items (G_LIST_MODEL (job));
  g_assert_cmpuint (n_items, ==, N_DONE + N_COVERED);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);
      gboolean covered = g_str_equal (kvb_backup_job_item_get_name (item), "web") &&
                         kvb_backup_job_item_get_kind (item) != KVB_OBJECT_KIND_CERTIFICATE;

      if (covered)
        {
          g_assert_cmpint (kvb_backup_job_item_get_status (item), ==, KVB_JOB_STATUS_SKIPPED);
          g_assert_true (kvb_backup_job_item_get_replaced (item));
        }
      else if (kvb_backup_job_item_get_status (item) != KVB_JOB_STATUS_SKIPPED)
        g_assert_cmpint (kvb_backup_job_item_get_status (item), ==, KVB_JOB_STATUS_DONE);
    }

  /* The folder as written: private, whole, and the manifest reads back the same. */
  g_assert_cmpuint (file_mode (env->folder, NULL), ==, 0700);
  g_assert_cmpuint (file_mode (env->folder, "keys"), ==, 0700);
  g_assert_cmpuint (file_mode (env->folder, "manifest.json"), ==, 0600);
  loaded = kvb_vault_manifest_load (env->folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_status (loaded, KVB_VAULT_MANIFEST_DONE), ==, N_DONE);
  g_assert_cmpuint (count_status (loaded, KVB_VAULT_MANIFEST_COVERED), ==, N_COVERED);
  g_assert_cmpstr (kvb_vault_manifest_get_subscription (loaded), ==, "sub");
  g_assert_cmpstr (kvb_vault_manifest_get_location (loaded), ==, "westeurope");
  entry = kvb_vault_manifest_lookup (loaded, KVB_OBJECT_KIND_SECRET, "db-password");
  g_assert_nonnull (entry);
  g_assert_cmpint (json_object_get_int_member (entry, "versions"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (entry, "file"), ==,
                   "secrets/wv-kv.db-password.secret.kvbackup");
  g_assert_cmpuint (file_mode (env->folder, json_object_get_string_member (entry, "file")), ==, 0600);
  entry = kvb_vault_manifest_lookup (loaded, KVB_OBJECT_KIND_KEY, "web");
  g_assert_cmpstr (json_object_get_string_member (entry, "coveredBy"), ==, "web");
  g_assert_false (json_object_has_member (entry, "file"));

  problems = kvb_vault_manifest_verify (loaded, env->folder, &n_checked);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (n_checked, ==, N_DONE);
  g_clear_pointer (&problems, g_ptr_array_unref);

  /* A second run into the same folder is refused before any request. */
  again = kvb_vault_backup_new (env->client, env->folder);
  g_assert_false (run_job (again, NULL, NULL, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS);
  g_clear_error (&error);

  /* A damaged file is redone by a resume; the others are kept. */
  {
    g_autoptr(GFile) file = g_file_resolve_relative_path (env->folder,
                                                          "keys/wv-kv.signing.key.kvbackup");
    g_autofree char *path = g_file_get_path (file);

    g_assert_true (g_file_set_contents (path, "&AzureKeyVaultKeyBackupV1.microsoft.com.x", -1, NULL));
    problems = kvb_vault_manifest_verify (loaded, env->folder, NULL);
    g_assert_cmpuint (problems->len, ==, 1);
    g_assert_nonnull (strstr (problems->pdata[0], "keys/wv-kv.signing.key.kvbackup"));
    g_clear_pointer (&problems, g_ptr_array_unref);
  }
  resumed = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_resume (resumed, TRUE);
  g_assert_true (run_job (resumed, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  g_assert_cmpuint (kvb_vault_backup_get_n_kept (resumed), ==, N_DONE - 1);
  problems = kvb_vault_manifest_verify (kvb_vault_backup_get_manifest (resumed), env->folder, NULL);
  g_assert_cmpuint (problems->len, ==, 0);
  g_clear_pointer (&problems, g_ptr_array_unref);

  /* An object updated since is backed up again by a resume, with its new version. */
  {
    g_autoptr(KvbVaultBackup) after_update = NULL;
    guint status;

    status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                           kvb_keyvault_client_get_vault_url (env->client), "PUT",
                           "secrets/app-01?api-version=7.6", "{\"value\":\"new\"}", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status, ==, 200);
    after_update = kvb_vault_backup_new (env->client, env->folder);
    kvb_vault_backup_set_resume (after_update, TRUE);
    g_assert_true (run_job (after_update, NULL, &summary, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (kvb_vault_backup_get_n_kept (after_update), ==, N_DONE - 1);
    entry = kvb_vault_manifest_lookup (kvb_vault_backup_get_manifest (after_update),
                                       KVB_OBJECT_KIND_SECRET, "app-01");
    g_assert_cmpint (json_object_get_int_member (entry, "versions"), ==, 2);
  }

  /* A stray file is named by verify. */
  {
    g_autoptr(GFile) stray = g_file_resolve_relative_path (env->folder, "secrets/stray");
    g_autofree char *path = g_file_get_path (stray);
    g_autoptr(KvbVaultManifest) latest = kvb_vault_manifest_load (env->folder, &error);

    g_assert_no_error (error);
    g_assert_true (g_file_set_contents (path, "x", -1, NULL));
    problems = kvb_vault_manifest_verify (latest, env->folder, NULL);
    g_assert_cmpuint (problems->len, ==, 1);
    g_assert_nonnull (strstr (problems->pdata[0], "secrets/stray"));
  }
}

static void
item_status_cb (GObject    *item,
                GParamSpec *pspec,
                gpointer    user_data)
{
  if (kvb_backup_job_item_get_status (KVB_BACKUP_JOB_ITEM (item)) == KVB_JOB_STATUS_DONE)
    g_cancellable_cancel (user_data);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_signal_connect_object (item, "notify::status", G_CALLBACK (item_status_cb), user_data, 0);
    }
}

static void
test_cancel_then_resume (Env           *env,
                         gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbVaultBackup) resumed = NULL;
  g_autoptr(KvbVaultManifest) loaded = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary = { 0, };
  guint n_done;

  if (env->emu == NULL)
    return;

  /* Cancelled once the first object is saved: the manifest keeps what was done. */
  job = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_max_parallel (job, 1);
  g_signal_connect (job, "items-changed", G_CALLBACK (items_changed_cb), cancellable);
  g_assert_false (run_job (job, cancellable, &summary, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (job)); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);

      g_assert_cmpint (kvb_backup_job_item_get_status (item), !=, KVB_JOB_STATUS_RUNNING);
    }
  loaded = kvb_vault_manifest_load (env->folder, &error);
  g_assert_no_error (error);
  n_done = count_status (loaded, KVB_VAULT_MANIFEST_DONE);
  g_assert_cmpuint (n_done, >=, 1);
  g_assert_cmpuint (n_done, <, N_DONE);

  resumed = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_resume (resumed, TRUE);
  g_assert_true (run_job (resumed, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  g_assert_cmpuint (kvb_vault_backup_get_n_kept (resumed), ==, n_done);
}

static ino_t
file_inode (GFile      *folder,
            const char *relative)
{
  g_autoptr(GFile) file = g_file_resolve_relative_path (folder, relative);
  g_autofree char *path = g_file_get_path (file);
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_ino;
}

/* Incremental: an unchanged vault costs no backup; every file is a hard link to the earlier one,
 * except one whose earlier file was damaged, which is backed up again.  The same folder as the
 * earlier one, and a folder without a backup, are refused before any request. */
static void
test_incremental (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) full = NULL;
  g_autoptr(KvbVaultBackup) next = NULL;
  g_autoptr(KvbVaultBackup) refused = NULL;
  g_autoptr(KvbVaultManifest) loaded = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GFile) empty = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *damaged = NULL;
  KvbJobSummary summary = { 0, };
  JsonObject *entry;

  if (env->emu == NULL)
    return;

  full = kvb_vault_backup_new (env->client, env->folder);
  g_assert_true (run_job (full, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);

  /* The earlier file of db-password no longer has its SHA-256. */
  entry = kvb_vault_manifest_lookup (kvb_vault_backup_get_manifest (full), KVB_OBJECT_KIND_SECRET,
                                     "db-password");
  g_assert_nonnull (entry);
  g_assert_nonnull (json_object_get_string_member (entry, "versionsDigest"));
  damaged = g_build_filename (env->tmp, "backup", json_object_get_string_member (entry, "file"), NULL);
  g_assert_true (g_file_set_contents (damaged, "damaged", -1, &error));

  path = g_build_filename (env->tmp, "next", NULL);
  folder = g_file_new_for_path (path);
  next = kvb_vault_backup_new (env->client, folder);
  kvb_vault_backup_set_previous (next, env->folder);
  g_assert_true (run_job (next, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  g_assert_cmpuint (summary.n_failed, ==, 0);
  g_assert_cmpuint (kvb_vault_backup_get_n_linked (next), ==, N_DONE - 1);
  g_assert_cmpuint (kvb_vault_backup_get_n_copied (next), ==, 0);

  loaded = kvb_vault_manifest_load (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_vault_manifest_get_previous (loaded), ==, g_file_peek_path (env->folder));
  for (guint i = 0; i < kvb_vault_manifest_get_n_objects (loaded); i++)
    {
      JsonObject *o = kvb_vault_manifest_get_object (loaded, i);
      const char *file;

      if (!g_str_equal (json_object_get_string_member (o, "status"), KVB_VAULT_MANIFEST_DONE))
        continue;
      file = json_object_get_string_member (o, "file");
      if (g_str_equal (json_object_get_string_member (o, "name"), "db-password") &&
          g_str_equal (json_object_get_string_member (o, "kind"), "secret"))
        {
          g_assert_false (json_object_has_member (o, "reused"));
          g_assert_cmpuint (file_inode (folder, file), !=, file_inode (env->folder, file));
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (o, "reused"), ==, "link");
          g_assert_cmpuint (file_inode (folder, file), ==, file_inode (env->folder, file));
          g_assert_cmpuint (file_mode (folder, file), ==, 0600);
        }
    }
  problems = kvb_vault_manifest_verify (loaded, folder, NULL);
  g_assert_cmpuint (problems->len, ==, 0);

  /* Refused: the earlier folder itself, and a folder that holds no backup. */
  refused = kvb_vault_backup_new (env->client, folder);
  kvb_vault_backup_set_previous (refused, folder);
  g_assert_false (run_job (refused, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_clear_object (&refused);

  g_free (path);
  path = g_build_filename (env->tmp, "third", NULL);
  g_clear_object (&folder);
  folder = g_file_new_for_path (path);
  empty = g_file_new_for_path (env->tmp);
  refused = kvb_vault_backup_new (env->client, folder);
  kvb_vault_backup_set_previous (refused, empty);
  g_assert_false (run_job (refused, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_NOT_FOUND);
  g_assert_false (g_file_query_exists (folder, NULL));
}

static void
test_geography (void)
{
  gboolean known = FALSE;

  g_assert_true (kvb_geography_same ("westeurope", "North Europe", &known));
  g_assert_true (known);
  g_assert_false (kvb_geography_same ("japaneast", "eastus", &known));
  g_assert_true (known);
  g_assert_false (kvb_geography_same ("westeurope", "uksouth", &known));
  g_assert_true (known);
  g_assert_false (kvb_geography_same ("westeurope", "atlantis", &known));
  g_assert_false (known);
  g_assert_cmpstr (kvb_geography_for_location ("Japan West"), ==, "japan");
  g_assert_null (kvb_geography_for_location (NULL));
}

static KvbVaultInfo *
vault_info (const char *subscription,
            const char *location)
{
  g_autofree char *text = g_strdup_printf (
      "{\"id\":\"/subscriptions/%s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/wv-empty-kv\","
      "\"name\":\"wv-empty-kv\",\"location\":\"%s\",\"properties\":{\"tenantId\":\"t\"}}",
      subscription, location);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  return kvb_vault_info_new_from_json (json_node_get_object (node));
}

static void
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_restore_folder (Env           *env,
                     gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbKeyVaultClient) target = NULL;
  g_autoptr(KvbVaultRestore) far = NULL;
  g_autoptr(KvbVaultRestore) other_sub = NULL;
  g_autoptr(KvbVaultRestore) restore = NULL;
  g_autoptr(KvbVaultInfo) japan = vault_info ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "japaneast");
  g_autoptr(KvbVaultInfo) elsewhere = vault_info ("9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f", "westeurope");
  g_autoptr(KvbVaultInfo) north = vault_info ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "northeurope");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary = { 0, };

  if (env->emu == NULL)
    return;

  job = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_origin (job, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "westeurope", NULL,
                               "sample");
  g_assert_true (run_job (job, NULL, &summary, &error));
  g_assert_no_error (error);

  target = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, "wv-empty-kv", &error);
  g_assert_no_error (error);

  /* Another geography, another subscription: refused at load, before any request. */
  far = kvb_vault_restore_new (target, env->folder);
  g_assert_false (kvb_vault_restore_load (far, japan, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE);
  g_clear_error (&error);
  other_sub = kvb_vault_restore_new (target, env->folder);
  g_assert_false (kvb_vault_restore_load (other_sub, elsewhere, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE);
  g_clear_error (&error);

  /* North Europe is Europe too: everything comes back, each object with its versions. */
  restore = kvb_vault_restore_new (target, env->folder);
  g_assert_true (kvb_vault_restore_load (restore, north, &error));
  g_assert_no_error (error);
  g_assert_null (kvb_vault_restore_get_notice (restore));
  kvb_vault_restore_prepare_async (restore, KVB_RESTORE_ACTION_NONE, NULL, done_cb, &result);
  wait_result (&result);
  g_assert_true (kvb_vault_restore_prepare_finish (restore, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kvb_vault_restore_get_plan (restore))),
                    ==, N_DONE);
  kvb_vault_restore_run_async (restore, NULL, done_cb, &result);
  wait_result (&result);
  g_assert_true (kvb_vault_restore_run_finish (restore, result, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  g_assert_cmpuint (summary.n_failed, ==, 0);
  g_assert_cmpuint (kvb_vault_restore_get_problems (restore)->len, ==, 0);
}

/* What the stand-in counted: connections accepted, and the most requests in flight since the
 * last call. */
static void
connections (Env   *env,
             guint *accepted,
             guint *max_in_flight)
{
  g_autoptr(JsonNode) node = kvb_test_emulator_control (env->emu, "GET", "/_emulator/connections",
                                                        NULL, NULL);

  g_assert_nonnull (node);
  if (accepted != NULL)
    *accepted = json_object_get_int_member (json_node_get_object (node), "accepted");
  if (max_in_flight != NULL)
    *max_in_flight = json_object_get_int_member (json_node_get_object (node), "max_in_flight");
}

/* Kept-alive connections carry the backups: one object at a time, the whole vault goes over a
 * handful of connections, not one (and one TLS handshake) per object. */
static void
test_keep_alive (Env           *env,
                 gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary = { 0, };
  guint before, after, backed_up;

  if (env->emu == NULL)
    return;

  connections (env, &before, NULL);
  job = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_max_parallel (job, 1);
  g_assert_true (run_job (job, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, N_DONE);
  connections (env, &after, NULL);

  /* Each backup is a GET of the versions and a POST of the backup; libsoup sends a POST over
   * a new connection unless told otherwise.  The count includes the second look itself. */
  backed_up = N_DONE - N_COVERED;
  g_test_message ("%u connections for %u backups", after - before, backed_up);
  g_assert_cmpuint (after - before, <, backed_up / 2);
}

/* A folder restore runs several files at once under the vault's pacer, and what it reports is
 * still what the vault shows, also when a third of the answers are lost after the vault acted. */
static void
test_restore_concurrent (Env           *env,
                         gconstpointer  data)
{
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbKeyVaultClient) target = NULL;
  g_autoptr(KvbVaultRestore) restore = NULL;
  g_autoptr(KvbVaultInfo) north = vault_info ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "northeurope");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) present = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  KvbRestorePlan *plan;
  KvbJobSummary summary = { 0, };
  guint max_in_flight, n_done = 0;

  if (env->emu == NULL)
    return;

  job = kvb_vault_backup_new (env->client, env->folder);
  kvb_vault_backup_set_origin (job, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "westeurope", NULL,
                               "sample");
  g_assert_true (run_job (job, NULL, &summary, &error));
  g_assert_no_error (error);

  target = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, "wv-empty-kv", &error);
  g_assert_no_error (error);
  restore = kvb_vault_restore_new (target, env->folder);
  g_assert_true (kvb_vault_restore_load (restore, north, &error));
  g_assert_no_error (error);
  kvb_vault_restore_prepare_async (restore, KVB_RESTORE_ACTION_NONE, NULL, done_cb, &result);
  wait_result (&result);
  g_assert_true (kvb_vault_restore_prepare_finish (restore, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  reply = kvb_test_emulator_control (env->emu, "POST", "/_emulator/faults",
                                     "{\"fail_5xx\":0,\"drop_after\":0.3}", NULL);
  connections (env, NULL, NULL);
  kvb_vault_restore_run_async (restore, NULL, done_cb, &result);
  wait_result (&result);
  g_assert_true (kvb_vault_restore_run_finish (restore, result, &summary, &error));
  g_assert_no_error (error);
  connections (env, NULL, &max_in_flight);
  g_clear_pointer (&reply, json_node_unref);
  reply = kvb_test_emulator_control (env->emu, "POST", "/_emulator/faults",
                                     "{\"drop_after\":0}", NULL);

  /* One file at a time would be two look-ups of its name at most. */
  g_test_message ("%u requests in flight at most", max_in_flight);
  g_assert_cmpuint (max_in_flight, >, 2);

  /* Honest: every file reported restored is in the vault; the others say the outcome is not
   * known, never done. */
  present = kvb_test_list (target, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);
  plan = kvb_vault_restore_get_plan (restore);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (plan), i);
      const char *name = kvb_restore_plan_entry_get_name (entry);
      gboolean found = FALSE;

      if (kvb_restore_plan_entry_get_kind (entry) != KVB_OBJECT_KIND_SECRET)
        continue;
      for (guint j = 0; j < present->len && !found; j++)
        found = g_str_equal (kvb_object_info_get_name (present->pdata[j]), name);
      if (kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_DONE)
        {
          g_assert_true (found);
          n_done++;
        }
      else
        g_assert_cmpint (kvb_restore_plan_entry_get_status (entry), ==, KVB_JOB_STATUS_FAILED);
    }
  g_assert_cmpuint (n_done, >, 0);
  g_assert_cmpuint (summary.n_done + summary.n_failed, ==, N_DONE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vault-backup/geography", test_geography);
  g_test_add ("/vault-backup/whole-vault", Env, NULL, env_setup, test_whole_vault, env_teardown);
  g_test_add ("/vault-backup/cancel-then-resume", Env, NULL, env_setup, test_cancel_then_resume,
              env_teardown);
  g_test_add ("/vault-backup/incremental", Env, NULL, env_setup, test_incremental, env_teardown);
  g_test_add ("/vault-backup/restore-folder", Env, NULL, env_setup, test_restore_folder,
              env_teardown);
  g_test_add ("/vault-backup/keep-alive", Env, NULL, env_setup, test_keep_alive, env_teardown);
  g_test_add ("/vault-backup/restore-concurrent", Env, GINT_TO_POINTER (TRUE), env_setup,
              test_restore_concurrent, env_teardown);

  return g_test_run ();
}
