/* test-object-jobs.c: the per-object operations of the main window against the stand-in:
 * backing up a selection into a backup folder, "Download Backup" of one object, and restore plans over
 * files whose names are free, live, soft-deleted, unknown or of an ambiguous kind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-object-backup.h"
#include "kvb-pipeline.h"
#include "kvb-restore-plan.h"
#include "kvb-service-principal-credential.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-manifest.h"
#include "kvb-test-emulator.h"
#include "kvb-test-server.h"
#include "kvb-test-sync.h"

typedef struct
{
  KvbTestEmulator *emu;
  KvbCloud *cloud;
  KvbPipeline *pipeline;
  KvbCredential *cred;
  char *tmp;
} Env;

/* The number of secrets seeded for the 503 storm: enough that the storm surely hits some of
 * their backups, each of which the pipeline retries. */
#define STORM_OBJECTS 25
#define STORM_RATE "0.25"

/* The built-in sample with STORM_OBJECTS more secrets in contoso-dev-kv, so that the storm is on
 * from the start and no request of the test's own seeding has to get through it. */
static char *
write_storm_seed (const char *folder)
{
  g_autofree char *sample = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "src", "emulator",
                                              "sample-seed.json", NULL);
  g_autofree char *path = g_build_filename (folder, "storm-seed.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *vaults;

  g_assert_true (json_parser_load_from_file (parser, sample, &error));
  g_assert_no_error (error);
  vaults = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "vaults");
  for (guint i = 0; i < json_array_get_length (vaults); i++)
    {
      JsonObject *vault = json_array_get_object_element (vaults, i);
      JsonObject *storm;

      if (!g_str_equal (json_object_get_string_member (vault, "name"), "contoso-dev-kv"))
        continue;
      storm = json_object_new ();
      json_object_set_string_member (storm, "name", "storm");
      json_object_set_int_member (storm, "count", STORM_OBJECTS);
      json_array_add_object_element (json_object_get_array_member (vault, "secrets"), storm);
    }

  json_generator_set_root (generator, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (generator, path, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static void
env_setup (Env           *env,
           gconstpointer  data)
{
  gboolean storm = GPOINTER_TO_INT (data);
  g_autofree char *seed = NULL;
  g_autoptr(GError) error = NULL;

  env->tmp = g_dir_make_tmp ("kvb-object-jobs-XXXXXX", &error);
  g_assert_no_error (error);

  if (storm)
    {
      seed = write_storm_seed (env->tmp);
      env->emu = kvb_test_emulator_start_or_skip ((const char * const[]) {
          "--seed", seed, "--fail-5xx", STORM_RATE, NULL });
    }
  else
    env->emu = kvb_test_emulator_start_or_skip (NULL);
  if (env->emu == NULL)
    return;

  env->cloud = kvb_test_emulator_new_cloud (env->emu);
  env->pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (env->pipeline, 20);
  env->cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      env->pipeline, env->cloud, env->emu->tenant, env->emu->client_id, env->emu->client_secret));
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
  g_clear_object (&env->cred);
  g_clear_object (&env->pipeline);
  g_clear_object (&env->cloud);
  g_clear_pointer (&env->emu, kvb_test_emulator_stop);
}

static KvbKeyVaultClient *
env_client (Env        *env,
            const char *vault)
{
  g_autoptr(GError) error = NULL;
  KvbKeyVaultClient *client;

  client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, vault, &error);
  g_assert_no_error (error);
  return client;
}

/* ---- seeding at the stand-in ---- */

static void
put_secret (Env               *env,
            KvbKeyVaultClient *client,
            const char        *name,
            const char        *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("secrets/%s?api-version=7.6", name);
  g_autofree char *json = g_strdup_printf ("{\"value\":\"%s\"}", value);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint status;

  /* A name just purged answers 409 ObjectIsBeingDeleted for a moment after its deleted object is
   * gone (the service finishes purges in the background): set it once that is over. */
  for (;;)
    {
      status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                             kvb_keyvault_client_get_vault_url (client), "PUT", path, json, NULL,
                             &error);
      g_assert_no_error (error);
      if (status != 409 || g_get_monotonic_time () > deadline)
        break;
      g_usleep (200 * 1000);
    }
  g_assert_cmpuint (status, ==, 200);
}

static void
create_key (Env               *env,
            KvbKeyVaultClient *client,
            const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("keys/%s/create?api-version=7.6", name);
  guint status;

  status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                         kvb_keyvault_client_get_vault_url (client), "POST", path,
                         "{\"kty\":\"EC\",\"crv\":\"P-256\"}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
}

static void
create_certificate (Env               *env,
                    KvbKeyVaultClient *client,
                    const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) cert = NULL;
  g_autofree char *path = g_strdup_printf ("certificates/%s/create?api-version=7.6", name);
  guint status;

  status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                         kvb_keyvault_client_get_vault_url (client), "POST", path,
                         "{\"policy\":{\"issuer\":{\"name\":\"Self\"},"
                         "\"x509_props\":{\"subject\":\"CN=plan.contoso.example\"},"
                         "\"key_props\":{\"kty\":\"RSA\",\"key_size\":2048}}}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 202);

  /* Issuing takes a moment. */
  for (guint i = 0; i < 80 && cert == NULL; i++)
    {
      g_clear_error (&error);
      cert = kvb_test_get (client, KVB_OBJECT_KIND_CERTIFICATE, name, &error);
      if (cert == NULL)
        g_usleep (250 * 1000);
    }
  g_assert_no_error (error);
}

static void
delete_and_wait (KvbKeyVaultClient *client,
                 KvbObjectKind      kind,
                 const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) deleted = kvb_test_delete (client, kind, name, &error);

  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (client, kind, name, KVB_USABLE_AFTER_DELETE, &error));
  g_assert_no_error (error);
}

static void
purge_and_wait (KvbKeyVaultClient *client,
                KvbObjectKind      kind,
                const char        *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kvb_test_purge (client, kind, name, &error));
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (client, kind, name, KVB_USABLE_AFTER_PURGE, &error));
  g_assert_no_error (error);
}

static KvbObjectInfo *
find_object (KvbKeyVaultClient *client,
             KvbObjectKind      kind,
             const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = kvb_test_list (client, kind, FALSE, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (kvb_object_info_get_name (items->pdata[i]), name) == 0)
      return g_object_ref (items->pdata[i]);
  g_assert_not_reached ();
}

static guint
count_versions (KvbKeyVaultClient *client,
                KvbObjectKind      kind,
                const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = kvb_test_list_versions (client, kind, name, &error);

  g_assert_no_error (error);
  return versions->len;
}

/* ---- the request log ---- */

static JsonArray *
request_log (Env       *env,
             JsonNode **node)
{
  *node = kvb_test_emulator_control (env->emu, "GET", "/_emulator/requests", NULL, NULL);
  g_assert_nonnull (*node);
  return json_node_get_array (*node);
}

static guint
log_length (Env *env)
{
  g_autoptr(JsonNode) node = NULL;

  return json_array_get_length (request_log (env, &node));
}

/* Key Vault requests of @vault since entry @since: "METHOD /path STATUS" each. */
static GPtrArray *
requests_since (Env        *env,
                const char *vault,
                guint       since)
{
  g_autoptr(JsonNode) node = NULL;
  JsonArray *log = request_log (env, &node);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = since; i < json_array_get_length (log); i++)
    {
      JsonObject *e = json_array_get_object_element (log, i);
      const char *host = json_object_get_string_member (e, "host");

      if (!g_str_has_prefix (host, vault) || strstr (host, ".vault.") == NULL)
        continue;
      g_ptr_array_add (lines, g_strdup_printf ("%s %s %" G_GINT64_FORMAT,
                                               json_object_get_string_member (e, "method"),
                                               json_object_get_string_member (e, "path"),
                                               json_object_get_int_member (e, "status")));
    }

  return lines;
}

static guint
count_lines (GPtrArray  *lines,
             const char *line)
{
  guint n = 0;

  for (guint i = 0; i < lines->len; i++)
    if (g_str_equal (lines->pdata[i], line))
      n++;
  return n;
}

/* ---- running the jobs ---- */

typedef struct
{
  gboolean done;
  GAsyncResult *result;
} Wait;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

static gboolean
run_backup_job (KvbVaultBackup *job,
                GCancellable   *cancellable,
                KvbJobSummary  *summary,
                GError        **error)
{
  Wait w = { FALSE, NULL };
  gboolean ok;

  kvb_vault_backup_run_async (job, cancellable, done_cb, &w);
  kvb_test_wait (&w.done, 300);
  ok = kvb_vault_backup_run_finish (job, w.result, summary, error);
  g_object_unref (w.result);
  return ok;
}

static gboolean
backup_one (KvbKeyVaultClient *client,
            KvbObjectKind      kind,
            const char        *name,
            GFile             *file,
            gboolean           overwrite,
            GError           **error)
{
  Wait w = { FALSE, NULL };
  gboolean ok;

  kvb_object_backup_to_file_async (client, kind, name, file, overwrite, NULL, done_cb, &w);
  kvb_test_wait (&w.done, 120);
  ok = kvb_object_backup_to_file_finish (w.result, error);
  g_object_unref (w.result);
  return ok;
}

static KvbRestorePlan *
prepare_plan (KvbKeyVaultClient   *client,
              gboolean             purge_protection,
              KvbRestoreAction     soft_deleted_action,
              const char          *folder,
              const char * const  *file_names)
{
  g_autoptr(KvbRestorePlan) plan = kvb_restore_plan_new (client, purge_protection);
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);
  g_autoptr(GError) error = NULL;
  Wait w = { FALSE, NULL };
  guint n = 0;

  kvb_restore_plan_set_soft_deleted_action (plan, soft_deleted_action);
  for (; file_names[n] != NULL; n++)
    {
      g_autoptr(GFile) file = g_file_new_build_filename (folder, file_names[n], NULL);
      g_list_store_append (files, file);
    }

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (plan)), ==, 0);
  kvb_restore_plan_prepare_async (plan, G_LIST_MODEL (files), NULL, done_cb, &w);
  kvb_test_wait (&w.done, 120);
  g_assert_true (kvb_restore_plan_prepare_finish (plan, w.result, &error));
  g_assert_no_error (error);
  g_object_unref (w.result);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (plan)), ==, n);

  return g_steal_pointer (&plan);
}

static gboolean
run_plan (KvbRestorePlan *plan,
          GCancellable   *cancellable,
          KvbJobSummary  *summary,
          GError        **error)
{
  Wait w = { FALSE, NULL };
  gboolean ok;

  kvb_restore_plan_run_async (plan, cancellable, done_cb, &w);
  kvb_test_wait (&w.done, 600);
  ok = kvb_restore_plan_run_finish (plan, w.result, summary, error);
  g_object_unref (w.result);
  return ok;
}

/* The entry of a file, by its file name (a path in the folder: by its last part). */
static KvbRestorePlanEntry *
entry_of (KvbRestorePlan *plan,
          const char     *file_name)
{
  g_autofree char *want = g_path_get_basename (file_name);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (plan), i);
      g_autofree char *base = g_file_get_basename (kvb_restore_plan_entry_get_file (entry));

      if (g_str_equal (base, want))
        return entry;   /* the plan keeps it alive */
    }
  g_assert_not_reached ();
}

static KvbBackupJobItem *
item_of (KvbVaultBackup *job,
         KvbObjectKind   kind,
         const char     *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (job)); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);

      if (kvb_backup_job_item_get_kind (item) == kind &&
          g_str_equal (kvb_backup_job_item_get_name (item), name))
        return item;
    }
  g_assert_not_reached ();
}

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_true (g_file_set_contents (to, contents, len, &error));
  g_assert_no_error (error);
}

static char *
folder_path (Env        *env,
             const char *name)
{
  return g_build_filename (env->tmp, name, NULL);
}

/* Backs up the named objects of @client into @folder, one VAULT.NAME.KIND.kvbackup file each
 * ("Download Backup" of one object at a time, as az writes them); all must succeed. */
static void
backup_all (KvbKeyVaultClient  *client,
            const char         *folder,
            KvbObjectKind       kind,
            const char * const *names)
{
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  for (guint n = 0; names[n] != NULL; n++)
    {
      g_autofree char *base = kvb_backup_file_build_name (
          kvb_keyvault_client_get_vault_name (client), names[n], kind);
      g_autoptr(GFile) file = g_file_new_build_filename (folder, base, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_true (backup_one (client, kind, names[n], file, FALSE, &error));
      g_assert_no_error (error);
    }
}

/* Every regular file under @folder, as paths relative to it, sorted. */
static void
collect_files (const char *folder,
               const char *prefix,
               GPtrArray  *out)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autofree char *relative = prefix ? g_strconcat (prefix, "/", name, NULL) : g_strdup (name);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files (path, relative, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&relative));
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
list_files (const char *folder)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  collect_files (folder, NULL, files);
  g_ptr_array_sort (files, compare_strings);
  g_ptr_array_add (files, NULL);
  return g_strjoinv (" ", (char **) files->pdata);
}

/* The selected objects, as the window's list has them. */
static GPtrArray *
select_objects (KvbKeyVaultClient   *client,
                const KvbObjectKind *kinds,
                const char * const  *names)
{
  GPtrArray *objects = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; names[i] != NULL; i++)
    g_ptr_array_add (objects, find_object (client, kinds[i], names[i]));
  return objects;
}

/* ---- tests ---- */

/* A selection into a folder: the folder is a backup folder of its own, with exactly the selected
 * objects' files (0600) in the kind sub-folders, a certificate once in place of its managed key
 * and secret (both recorded as covered), a manifest true to the files, and nothing else; the
 * vault is not listed; a second backup into the folder is refused before any request unless it
 * continues the first; and every file restores into another vault of the same subscription and
 * geography. */
static void
test_backup_selection (Env           *env,
                       gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbKeyVaultClient) other = NULL;
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbVaultBackup) again = NULL;
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *digest = NULL;
  KvbBackupJobItem *cert_item;
  KvbJobSummary summary;
  JsonObject *entry;
  gsize length;
  guint before, n_checked;
  const char *names[] = { "sel-secret", "sel-key", "dev-contoso-com", "dev-api-key", NULL };
  const char * const files[] = {
    "secrets/contoso-dev-kv.sel-secret.secret.kvbackup", "keys/contoso-dev-kv.sel-key.key.kvbackup",
    "certificates/contoso-dev-kv.dev-contoso-com.certificate.kvbackup",
    "secrets/contoso-dev-kv.dev-api-key.secret.kvbackup", NULL
  };
  const KvbObjectKind kinds[] = {
    KVB_OBJECT_KIND_SECRET, KVB_OBJECT_KIND_KEY,
    KVB_OBJECT_KIND_SECRET,   /* managed by the certificate */
    KVB_OBJECT_KIND_KEY,      /* managed too: the same certificate */
    KVB_OBJECT_KIND_SECRET,
    KVB_OBJECT_KIND_SECRET,   /* selected twice */
  };
  const char * const selection[] = {
    "sel-secret", "sel-key", "dev-contoso-com", "dev-contoso-com", "dev-api-key", "sel-secret", NULL
  };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");
  other = env_client (env, "contoso-dev-limited-kv");

  put_secret (env, dev, "sel-secret", "one");
  put_secret (env, dev, "sel-secret", "two");
  create_key (env, dev, "sel-key");

  folder = folder_path (env, "selection");   /* does not exist yet */
  dir = g_file_new_for_path (folder);
  objects = select_objects (dev, kinds, selection);
  job = kvb_vault_backup_new (dev, dir);
  kvb_vault_backup_set_objects (job, objects);

  /* The managed key and secret became one certificate item, the duplicate collapsed: one item
   * per file, there before the run. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (job)), ==, 4);
  cert_item = item_of (job, KVB_OBJECT_KIND_CERTIFICATE, "dev-contoso-com");
  g_assert_true (kvb_backup_job_item_get_replaced (cert_item));
  g_assert_false (kvb_backup_job_item_get_replaced (item_of (job, KVB_OBJECT_KIND_SECRET,
                                                             "sel-secret")));

  before = log_length (env);
  g_assert_true (run_backup_job (job, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, 4);
  g_assert_cmpuint (summary.n_skipped, ==, 0);
  g_assert_cmpuint (summary.n_failed, ==, 0);

  /* Only the selection was asked for: no listing, the certificate backed up once. */
  sent = requests_since (env, "contoso-dev-kv", before);
  g_assert_cmpuint (count_lines (sent, "GET /secrets 200"), ==, 0);
  g_assert_cmpuint (count_lines (sent, "GET /keys 200"), ==, 0);
  g_assert_cmpuint (count_lines (sent, "GET /certificates 200"), ==, 0);
  g_assert_cmpuint (count_lines (sent, "POST /certificates/dev-contoso-com/backup 200"), ==, 1);
  g_assert_cmpuint (count_lines (sent, "POST /secrets/dev-contoso-com/backup 200"), ==, 0);
  g_assert_cmpuint (count_lines (sent, "POST /secrets/sel-secret/backup 200"), ==, 1);

  assert_mode (folder, 0700);
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (folder, files[i], NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(KvbBackupFile) backup = kvb_backup_file_load (file, NULL, &error);

      g_assert_no_error (error);
      assert_mode (path, 0600);
      g_assert_cmpint (kvb_backup_file_get_format (backup), ==, KVB_BACKUP_FORMAT_RAW);
    }

  /* Nothing else in the folder. */
  listing = list_files (folder);
  g_assert_cmpstr (listing, ==,
                   "certificates/contoso-dev-kv.dev-contoso-com.certificate.kvbackup "
                   "keys/contoso-dev-kv.sel-key.key.kvbackup "
                   "manifest.json "
                   "secrets/contoso-dev-kv.dev-api-key.secret.kvbackup "
                   "secrets/contoso-dev-kv.sel-secret.secret.kvbackup");

  /* The manifest is true to the files, and says what became of the key and secret. */
  manifest = kvb_vault_manifest_load (dir, &error);
  g_assert_no_error (error);
  problems = kvb_vault_manifest_verify (manifest, dir, &n_checked);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (n_checked, ==, 4);
  g_assert_cmpuint (kvb_vault_manifest_get_n_objects (manifest), ==, 6);
  entry = kvb_vault_manifest_lookup (manifest, KVB_OBJECT_KIND_CERTIFICATE, "dev-contoso-com");
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "done");
  g_assert_cmpstr (json_object_get_string_member (entry, "file"), ==, files[2]);
  {
    g_autofree char *path = g_build_filename (folder, files[2], NULL);

    g_assert_true (g_file_get_contents (path, &contents, &length, &error));
    digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
    g_assert_cmpstr (json_object_get_string_member (entry, "sha256"), ==, digest);
    g_assert_cmpint (json_object_get_int_member (entry, "size"), ==, (gint64) length);
  }
  for (KvbObjectKind kind = KVB_OBJECT_KIND_SECRET; kind <= KVB_OBJECT_KIND_KEY; kind++)
    {
      entry = kvb_vault_manifest_lookup (manifest, kind, "dev-contoso-com");
      g_assert_nonnull (entry);
      g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "covered");
      g_assert_cmpstr (json_object_get_string_member (entry, "coveredBy"), ==, "dev-contoso-com");
      g_assert_false (json_object_has_member (entry, "file"));
    }

  g_assert_cmpint (kvb_backup_job_item_get_status (cert_item), ==, KVB_JOB_STATUS_DONE);
  g_assert_nonnull (strstr (kvb_backup_job_item_get_message (cert_item), "certificate"));

  /* A second backup into the folder is refused at once, unless it continues the first. */
  again = kvb_vault_backup_new (dev, dir);
  kvb_vault_backup_set_objects (again, objects);
  before = log_length (env);
  g_assert_false (run_backup_job (again, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (log_length (env), ==, before);

  /* Every file restores, with its versions, into a vault of the same subscription and
   * geography. */
  plan = prepare_plan (other, FALSE, KVB_RESTORE_ACTION_NONE, folder, files);
  for (guint i = 0; files[i] != NULL; i++)
    {
      KvbRestorePlanEntry *plan_entry = entry_of (plan, files[i]);

      g_assert_cmpint (kvb_restore_plan_entry_get_state (plan_entry), ==, KVB_RESTORE_STATE_FREE);
      g_assert_cmpstr (kvb_restore_plan_entry_get_name (plan_entry), ==, names[i]);
    }
  g_assert_true (run_plan (plan, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, 4);
  g_assert_cmpuint (count_versions (other, KVB_OBJECT_KIND_SECRET, "sel-secret"), ==, 2);
  g_assert_cmpuint (count_versions (other, KVB_OBJECT_KIND_KEY, "sel-key"), ==, 1);
  {
    /* The certificate came back with its key and secret. */
    g_autoptr(KvbObjectInfo) secret = find_object (other, KVB_OBJECT_KIND_SECRET,
                                                   "dev-contoso-com");
    g_assert_true (kvb_object_info_get_managed (secret));
  }
}

/* Cancels the job once an object is saved. */
static void
cancel_when_done_cb (KvbBackupJobItem *item,
                     GParamSpec       *pspec,
                     GCancellable     *cancellable)
{
  if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_DONE)
    g_cancellable_cancel (cancellable);
}

/* A selection cancelled half-way resumes: what it saved is kept without a request, the rest is
 * backed up, and the folder is whole in the end. */
static void
test_backup_selection_resume (Env           *env,
                              gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbVaultBackup) again = NULL;
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) objects = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  KvbJobSummary summary;
  guint before, n_items;
  const KvbObjectKind kinds[] = {
    KVB_OBJECT_KIND_SECRET, KVB_OBJECT_KIND_SECRET, KVB_OBJECT_KIND_SECRET,
    KVB_OBJECT_KIND_SECRET, KVB_OBJECT_KIND_KEY,
  };
  const char * const names[] = { "res-a", "res-b", "res-c", "res-d", "res-key", NULL };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");
  for (guint i = 0; i < 4; i++)
    put_secret (env, dev, names[i], "v");
  create_key (env, dev, "res-key");

  folder = folder_path (env, "selection-resume");
  dir = g_file_new_for_path (folder);
  objects = select_objects (dev, kinds, names);
  job = kvb_vault_backup_new (dev, dir);
  kvb_vault_backup_set_objects (job, objects);
  kvb_vault_backup_set_max_parallel (job, 1);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (job));
  g_assert_cmpuint (n_items, ==, 5);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);

      g_signal_connect (item, "notify::status", G_CALLBACK (cancel_when_done_cb), cancellable);
    }

  g_assert_false (run_backup_job (job, cancellable, &summary, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (summary.n_done, >=, 1);
  g_assert_cmpuint (summary.n_done, <, n_items);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);

      g_signal_handlers_disconnect_by_data (item, cancellable);
      if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_DONE)
        g_ptr_array_add (done, g_strdup_printf ("POST /%s/%s/backup 200",
                                                kvb_object_kind_get_collection (
                                                    kvb_backup_job_item_get_kind (item)),
                                                kvb_backup_job_item_get_name (item)));
      else
        g_assert_cmpint (kvb_backup_job_item_get_status (item), ==, KVB_JOB_STATUS_PENDING);
    }
  g_assert_cmpuint (done->len, ==, summary.n_done);

  /* Resumed: the saved objects are kept, without a request. */
  again = kvb_vault_backup_new (dev, dir);
  kvb_vault_backup_set_objects (again, objects);
  kvb_vault_backup_set_resume (again, TRUE);
  before = log_length (env);
  g_assert_true (run_backup_job (again, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, n_items);
  g_assert_cmpuint (summary.n_failed, ==, 0);
  g_assert_cmpuint (kvb_vault_backup_get_n_kept (again), ==, done->len);
  sent = requests_since (env, "contoso-dev-kv", before);
  for (guint i = 0; i < done->len; i++)
    g_assert_cmpuint (count_lines (sent, done->pdata[i]), ==, 0);
  g_assert_cmpuint (count_lines (sent, "POST /secrets/res-a/backup 200") +
                    count_lines (sent, "POST /secrets/res-b/backup 200") +
                    count_lines (sent, "POST /secrets/res-c/backup 200") +
                    count_lines (sent, "POST /secrets/res-d/backup 200") +
                    count_lines (sent, "POST /keys/res-key/backup 200"), ==, n_items - done->len);

  manifest = kvb_vault_manifest_load (dir, &error);
  g_assert_no_error (error);
  problems = kvb_vault_manifest_verify (manifest, dir, NULL);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (kvb_vault_manifest_get_n_objects (manifest), ==, n_items);
}

/* "Download Backup" of one object: a managed secret is backed up as its certificate, and the
 * caller learns it before choosing the file; an existing file is refused before any request. */
static void
test_backup_one (Env           *env,
                 gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbObjectInfo) managed = NULL;
  g_autoptr(KvbObjectInfo) plain = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(KvbBackupFile) backup = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *name = NULL;
  KvbObjectKind kind;
  KvbObjectKind from_name;
  guint before;

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");

  plain = find_object (dev, KVB_OBJECT_KIND_SECRET, "dev-db-password");
  g_assert_false (kvb_object_backup_get_target (plain, &kind, &name));
  g_assert_cmpint (kind, ==, KVB_OBJECT_KIND_SECRET);
  g_assert_cmpstr (name, ==, "dev-db-password");

  managed = find_object (dev, KVB_OBJECT_KIND_SECRET, "dev-contoso-com");
  g_assert_true (kvb_object_backup_get_target (managed, &kind, &name));
  g_assert_cmpint (kind, ==, KVB_OBJECT_KIND_CERTIFICATE);
  g_assert_cmpstr (name, ==, "dev-contoso-com");

  path = g_build_filename (env->tmp, "chosen.bin", NULL);
  file = g_file_new_for_path (path);
  g_assert_true (backup_one (dev, kind, name, file, FALSE, &error));
  g_assert_no_error (error);
  assert_mode (path, 0600);
  backup = kvb_backup_file_load (file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kvb_backup_file_get_header (backup), ==, KVB_BLOB_HEADER_KEY);
  g_assert_false (kvb_backup_file_kind_from_name (path, &from_name));

  /* The file is there now: refused, and the vault was not asked. */
  before = log_length (env);
  g_assert_false (backup_one (dev, kind, name, file, FALSE, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS);
  g_assert_nonnull (strstr (error->message, "chosen.bin"));
  g_clear_error (&error);
  g_assert_cmpuint (log_length (env), ==, before);

  g_assert_true (backup_one (dev, kind, name, file, TRUE, &error));
  g_assert_no_error (error);
}

/* The plan over every kind of file, and its run. */
static void
test_restore_plan (Env           *env,
                   gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) restores = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *path = NULL;
  g_autofree char *path2 = NULL;
  KvbRestorePlanEntry *free_entry, *live, *recover, *purge, *noname, *mystery, *cert, *broken;
  KvbJobSummary summary;
  guint since;
  const char *secrets[] = { "plan-free", "plan-live", "plan-recover", "plan-purge",
                            "plan-noname", NULL };
  const char *keys[] = { "plan-key", NULL };
  const char *certificates[] = { "plan-cert", NULL };
  const char * const files[] = {
    "contoso-dev-kv.plan-free.secret.kvbackup",
    "contoso-dev-kv.plan-live.secret.kvbackup",
    "contoso-dev-kv.plan-recover.secret.kvbackup",
    "contoso-dev-kv.plan-purge.secret.kvbackup",
    "exported-by-az.bin",                              /* plan-noname, a name we do not know */
    "mystery.blob",                                    /* plan-key, a kind we do not know */
    "contoso-dev-kv.plan-cert.certificate.kvbackup",
    "broken.secret.kvbackup",
    NULL
  };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");

  put_secret (env, dev, "plan-free", "1");
  put_secret (env, dev, "plan-free", "2");
  put_secret (env, dev, "plan-free", "3");
  put_secret (env, dev, "plan-live", "live");
  put_secret (env, dev, "plan-recover", "r");
  put_secret (env, dev, "plan-purge", "p1");
  put_secret (env, dev, "plan-purge", "p2");
  put_secret (env, dev, "plan-noname", "n");
  create_key (env, dev, "plan-key");
  create_certificate (env, dev, "plan-cert");

  folder = folder_path (env, "plan");
  backup_all (dev, folder, KVB_OBJECT_KIND_SECRET, secrets);
  backup_all (dev, folder, KVB_OBJECT_KIND_KEY, keys);
  backup_all (dev, folder, KVB_OBJECT_KIND_CERTIFICATE, certificates);

  path = g_build_filename (folder, "contoso-dev-kv.plan-noname.secret.kvbackup", NULL);
  path2 = g_build_filename (folder, "exported-by-az.bin", NULL);
  copy_file (path, path2);
  g_free (path);
  g_free (path2);
  path = g_build_filename (folder, "contoso-dev-kv.plan-key.key.kvbackup", NULL);
  path2 = g_build_filename (folder, "mystery.blob", NULL);
  copy_file (path, path2);
  g_free (path);
  path = g_build_filename (folder, "broken.secret.kvbackup", NULL);
  g_assert_true (g_file_set_contents (path, "hello", -1, &error));

  /* The vault's side: free names, deleted names, a live one. */
  delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-free");
  delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-recover");
  delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-purge");
  delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-noname");
  delete_and_wait (dev, KVB_OBJECT_KIND_KEY, "plan-key");
  delete_and_wait (dev, KVB_OBJECT_KIND_CERTIFICATE, "plan-cert");
  purge_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-free");
  purge_and_wait (dev, KVB_OBJECT_KIND_SECRET, "plan-noname");
  purge_and_wait (dev, KVB_OBJECT_KIND_KEY, "plan-key");
  purge_and_wait (dev, KVB_OBJECT_KIND_CERTIFICATE, "plan-cert");

  since = log_length (env);
  plan = prepare_plan (dev, FALSE, KVB_RESTORE_ACTION_NONE, folder, files);

  /* One listing per kind, live and deleted, and not one request per file. */
  lines = requests_since (env, "contoso-dev-kv", since);
  g_assert_cmpuint (count_lines (lines, "GET /secrets 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "GET /deletedsecrets 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "GET /keys 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "GET /deletedkeys 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "GET /certificates 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "GET /deletedcertificates 200"), ==, 1);
  g_assert_cmpuint (lines->len, <=, 7);   /* the six, and at most the sign-in challenge */

  free_entry = entry_of (plan, files[0]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (free_entry), ==, KVB_RESTORE_STATE_FREE);
  g_assert_cmpint (kvb_restore_plan_entry_get_kind (free_entry), ==, KVB_OBJECT_KIND_SECRET);
  g_assert_cmpstr (kvb_restore_plan_entry_get_name (free_entry), ==, "plan-free");
  g_assert_cmpint (kvb_restore_plan_entry_get_action (free_entry), ==, KVB_RESTORE_ACTION_RESTORE);

  live = entry_of (plan, files[1]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (live), ==, KVB_RESTORE_STATE_EXISTS);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (live), ==, KVB_RESTORE_ACTION_SKIP);
  g_assert_false (kvb_restore_plan_entry_can (live, KVB_RESTORE_ACTION_RESTORE));
  g_assert_false (kvb_restore_plan_entry_set_action (live, KVB_RESTORE_ACTION_RESTORE, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "plan-live"));
  g_clear_error (&error);

  recover = entry_of (plan, files[2]);
  purge = entry_of (plan, files[3]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (recover), ==, KVB_RESTORE_STATE_SOFT_DELETED);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (purge), ==, KVB_RESTORE_STATE_SOFT_DELETED);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (recover), ==, KVB_RESTORE_ACTION_NONE);
  g_assert_cmpint (kvb_restore_plan_entry_get_deleted_date (recover), >, 1600000000);
  g_assert_cmpint (kvb_restore_plan_entry_get_scheduled_purge_date (recover), >,
                   kvb_restore_plan_entry_get_deleted_date (recover));
  g_assert_true (kvb_restore_plan_entry_can (purge, KVB_RESTORE_ACTION_PURGE_AND_RESTORE));

  noname = entry_of (plan, files[4]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (noname), ==, KVB_RESTORE_STATE_UNKNOWN_NAME);
  g_assert_null (kvb_restore_plan_entry_get_name (noname));
  g_assert_cmpint (kvb_restore_plan_entry_get_action (noname), ==, KVB_RESTORE_ACTION_RESTORE);

  mystery = entry_of (plan, files[5]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (mystery), ==,
                   KVB_RESTORE_STATE_AMBIGUOUS_KIND);
  g_assert_null (kvb_restore_plan_entry_get_error_message (mystery));
  g_assert_cmpint (kvb_restore_plan_entry_get_action (mystery), ==, KVB_RESTORE_ACTION_NONE);
  g_assert_false (kvb_restore_plan_entry_can (mystery, KVB_RESTORE_ACTION_RESTORE));

  cert = entry_of (plan, files[6]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (cert), ==, KVB_RESTORE_STATE_FREE);
  g_assert_cmpint (kvb_restore_plan_entry_get_kind (cert), ==, KVB_OBJECT_KIND_CERTIFICATE);

  broken = entry_of (plan, files[7]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (broken), ==, KVB_RESTORE_STATE_INVALID);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_error_message (broken), "broken.secret"));
  g_assert_cmpint (kvb_restore_plan_entry_get_action (broken), ==, KVB_RESTORE_ACTION_SKIP);

  /* Three entries need the user: the plan does not run, and nothing is sent. */
  g_assert_cmpuint (kvb_restore_plan_count_undecided (plan), ==, 3);
  since = log_length (env);
  g_assert_false (run_plan (plan, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (log_length (env), ==, since);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (free_entry), ==, KVB_JOB_STATUS_PENDING);

  /* The user's choices. */
  g_assert_true (kvb_restore_plan_entry_set_action (recover, KVB_RESTORE_ACTION_RECOVER, &error));
  g_assert_true (kvb_restore_plan_entry_set_action (purge, KVB_RESTORE_ACTION_PURGE_AND_RESTORE,
                                                    &error));
  g_assert_false (kvb_restore_plan_choose_kind (plan, mystery, KVB_OBJECT_KIND_SECRET, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_true (kvb_restore_plan_choose_kind (plan, mystery, KVB_OBJECT_KIND_KEY, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (mystery), ==, KVB_RESTORE_STATE_UNKNOWN_NAME);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (mystery), ==, KVB_RESTORE_ACTION_RESTORE);
  g_assert_cmpuint (kvb_restore_plan_count_undecided (plan), ==, 0);

  since = log_length (env);
  g_assert_true (run_plan (plan, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, 6);
  g_assert_cmpuint (summary.n_skipped, ==, 2);
  g_assert_cmpuint (summary.n_failed, ==, 0);

  g_assert_cmpint (kvb_restore_plan_entry_get_status (free_entry), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (live), ==, KVB_JOB_STATUS_SKIPPED);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (broken), ==, KVB_JOB_STATUS_SKIPPED);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (recover), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (purge), ==, KVB_JOB_STATUS_DONE);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (purge), "purged"));
  g_assert_cmpstr (kvb_restore_plan_entry_get_name (noname), ==, "plan-noname");
  g_assert_cmpstr (kvb_restore_plan_entry_get_name (mystery), ==, "plan-key");

  /* Back, with every version. */
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "plan-free"), ==, 3);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "plan-purge"), ==, 2);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "plan-recover"), ==, 1);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "plan-noname"), ==, 1);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_KEY, "plan-key"), ==, 1);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_CERTIFICATE, "plan-cert"), ==, 1);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "plan-live"), ==, 1);

  /* Five restores (none for the live name), certificates first, then keys, then secrets; the
   * deleted one was recovered, the other purged first.  (A restore right after a purge may be
   * answered 409 "being deleted" and sent again: those are not counted.) */
  lines = (g_ptr_array_unref (lines), requests_since (env, "contoso-dev-kv", since));
  restores = g_ptr_array_new ();
  for (guint i = 0; i < lines->len; i++)
    if (g_str_has_suffix (lines->pdata[i], "/restore 200"))
      g_ptr_array_add (restores, lines->pdata[i]);
  g_assert_cmpuint (restores->len, ==, 5);
  g_assert_cmpstr (restores->pdata[0], ==, "POST /certificates/restore 200");
  g_assert_cmpstr (restores->pdata[1], ==, "POST /keys/restore 200");
  for (guint i = 2; i < 5; i++)
    g_assert_cmpstr (restores->pdata[i], ==, "POST /secrets/restore 200");
  g_assert_cmpuint (count_lines (lines, "POST /deletedsecrets/plan-recover/recover 200"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "DELETE /deletedsecrets/plan-purge 204"), ==, 1);

  /* A plan runs once. */
  g_assert_false (run_plan (plan, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
}

/* Purge protection, and a name that went away between the plan and its run. */
static void
test_restore_conflicts (Env           *env,
                        gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) prod = NULL;
  g_autoptr(KvbKeyVaultClient) app = NULL;
  g_autoptr(KvbRestorePlan) told = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  KvbRestorePlanEntry *deleted, *gone, *ok;
  KvbJobSummary summary;
  const char *prod_secrets[] = { "pp-deleted", "pp-gone", NULL };
  const char *app_secrets[] = { "pp-ok", NULL };
  const char * const files[] = {
    "contoso-prod-kv.pp-deleted.secret.kvbackup",
    "contoso-prod-kv.pp-gone.secret.kvbackup",
    "contoso-app-kv.pp-ok.secret.kvbackup",   /* same subscription and geography: restores */
    NULL
  };

  if (env->emu == NULL)
    return;
  prod = env_client (env, "contoso-prod-kv");   /* purge protection */
  app = env_client (env, "contoso-app-kv");

  folder = folder_path (env, "prod");
  for (guint i = 0; prod_secrets[i] != NULL; i++)
    put_secret (env, prod, prod_secrets[i], "v");
  backup_all (prod, folder, KVB_OBJECT_KIND_SECRET, prod_secrets);
  put_secret (env, app, "pp-ok", "v");
  backup_all (app, folder, KVB_OBJECT_KIND_SECRET, app_secrets);
  delete_and_wait (prod, KVB_OBJECT_KIND_SECRET, "pp-deleted");

  /* Told about purge protection: purging is not offered, nor taken as the default. */
  told = prepare_plan (prod, TRUE, KVB_RESTORE_ACTION_PURGE_AND_RESTORE, folder, files);
  deleted = entry_of (told, files[0]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (deleted), ==, KVB_RESTORE_STATE_SOFT_DELETED);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (deleted), ==, KVB_RESTORE_ACTION_NONE);
  g_assert_false (kvb_restore_plan_entry_can (deleted, KVB_RESTORE_ACTION_PURGE_AND_RESTORE));
  g_assert_true (kvb_restore_plan_entry_can (deleted, KVB_RESTORE_ACTION_RECOVER));
  g_assert_false (kvb_restore_plan_entry_set_action (deleted, KVB_RESTORE_ACTION_PURGE_AND_RESTORE,
                                                     &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "purge protection"));
  g_clear_error (&error);
  kvb_restore_plan_set_soft_deleted_action (told, KVB_RESTORE_ACTION_RECOVER);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (deleted), ==, KVB_RESTORE_ACTION_RECOVER);
  /* One choice for every deleted name: purging is refused for all of them, nothing changed. */
  g_assert_cmpuint (kvb_restore_plan_count_soft_deleted (told), ==, 1);
  g_assert_false (kvb_restore_plan_choose_for_soft_deleted (told, KVB_RESTORE_ACTION_PURGE_AND_RESTORE,
                                                            NULL, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "purge protection"));
  g_clear_error (&error);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (deleted), ==, KVB_RESTORE_ACTION_RECOVER);
  {
    guint n_set = 0;

    g_assert_true (kvb_restore_plan_choose_for_soft_deleted (told, KVB_RESTORE_ACTION_SKIP, &n_set,
                                                             &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n_set, ==, 1);
    g_assert_cmpint (kvb_restore_plan_entry_get_action (deleted), ==, KVB_RESTORE_ACTION_SKIP);
    /* The other entries keep theirs. */
    g_assert_cmpint (kvb_restore_plan_entry_get_action (entry_of (told, files[2])), ==,
                     KVB_RESTORE_ACTION_RESTORE);
  }

  /* Not told: the purge is tried, refused by the service, and the entry ends with the core's
   * message; a name that was live when the plan was made and went away is still skipped; the
   * rest goes on. */
  plan = prepare_plan (prod, FALSE, KVB_RESTORE_ACTION_PURGE_AND_RESTORE, folder, files);
  deleted = entry_of (plan, files[0]);
  gone = entry_of (plan, files[1]);
  ok = entry_of (plan, files[2]);
  g_assert_cmpint (kvb_restore_plan_entry_get_action (deleted), ==,
                   KVB_RESTORE_ACTION_PURGE_AND_RESTORE);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (gone), ==, KVB_RESTORE_STATE_EXISTS);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (ok), ==, KVB_RESTORE_STATE_FREE);
  g_assert_cmpstr (kvb_restore_plan_entry_get_name (ok), ==, "pp-ok");

  delete_and_wait (prod, KVB_OBJECT_KIND_SECRET, "pp-gone");

  g_assert_true (run_plan (plan, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (deleted), ==, KVB_JOB_STATUS_FAILED);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (deleted), "purge protection"));
  g_assert_cmpint (kvb_restore_plan_entry_get_status (gone), ==, KVB_JOB_STATUS_SKIPPED);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (ok), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpuint (summary.n_done, ==, 1);
  g_assert_cmpuint (summary.n_skipped, ==, 1);
  g_assert_cmpuint (summary.n_failed, ==, 1);
  g_assert_cmpuint (count_versions (prod, KVB_OBJECT_KIND_SECRET, "pp-ok"), ==, 1);

  /* The deleted object is still there, to be recovered. */
  {
    g_autoptr(KvbObjectInfo) info = kvb_test_get_deleted (prod, KVB_OBJECT_KIND_SECRET,
                                                          "pp-deleted", &error);
    g_assert_no_error (error);
  }
}

/* A name free when the plan is made and taken before it runs: the restore's 409 ends that entry
 * with the core's message, and the next file is still restored. */
static void
test_restore_race (Env           *env,
                   gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  KvbRestorePlanEntry *race, *ok;
  KvbJobSummary summary;
  const char *secrets[] = { "race-taken", "race-ok", NULL };
  const char * const files[] = {
    "contoso-dev-kv.race-taken.secret.kvbackup",
    "contoso-dev-kv.race-ok.secret.kvbackup",
    NULL
  };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");

  put_secret (env, dev, "race-taken", "old");
  put_secret (env, dev, "race-ok", "old");
  folder = folder_path (env, "race");
  backup_all (dev, folder, KVB_OBJECT_KIND_SECRET, secrets);
  for (guint i = 0; secrets[i] != NULL; i++)
    {
      delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, secrets[i]);
      purge_and_wait (dev, KVB_OBJECT_KIND_SECRET, secrets[i]);
    }

  plan = prepare_plan (dev, FALSE, KVB_RESTORE_ACTION_NONE, folder, files);
  race = entry_of (plan, files[0]);
  ok = entry_of (plan, files[1]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (race), ==, KVB_RESTORE_STATE_FREE);

  put_secret (env, dev, "race-taken", "someone else's");

  g_assert_true (run_plan (plan, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (race), ==, KVB_JOB_STATUS_FAILED);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (race), "already exists"));
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (race), "race-taken"));
  g_assert_cmpint (kvb_restore_plan_entry_get_status (ok), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpuint (summary.n_done, ==, 1);
  g_assert_cmpuint (summary.n_failed, ==, 1);
  /* The other one's object is untouched: one version, not the backup's. */
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "race-taken"), ==, 1);
}

/* "Stop at a name in use": all or nothing.  A name in use when the plan is made refuses the run
 * before any restore is sent; a name taken after it ends the run there, and the files not
 * started are skipped with the reason. */
static void
test_restore_stop (Env           *env,
                   gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(KvbRestorePlan) racing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autofree char *folder = NULL;
  KvbRestorePlanEntry *first, *second;
  KvbJobSummary summary;
  guint since;
  const char *secrets[] = { "stop-a", "stop-b", "stop-c", NULL };
  const char * const live_and_free[] = {
    "contoso-dev-kv.stop-a.secret.kvbackup",
    "contoso-dev-kv.stop-b.secret.kvbackup",
    NULL
  };
  const char * const both_free[] = {
    "contoso-dev-kv.stop-c.secret.kvbackup",
    "contoso-dev-kv.stop-b.secret.kvbackup",
    NULL
  };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");

  for (guint i = 0; secrets[i] != NULL; i++)
    put_secret (env, dev, secrets[i], "old");
  folder = folder_path (env, "stop");
  backup_all (dev, folder, KVB_OBJECT_KIND_SECRET, secrets);
  for (guint i = 1; secrets[i] != NULL; i++)
    {
      delete_and_wait (dev, KVB_OBJECT_KIND_SECRET, secrets[i]);
      purge_and_wait (dev, KVB_OBJECT_KIND_SECRET, secrets[i]);
    }

  /* stop-a is live, stop-b free: nothing is sent. */
  plan = prepare_plan (dev, FALSE, KVB_RESTORE_ACTION_NONE, folder, live_and_free);
  kvb_restore_plan_set_stop_at_name_in_use (plan, TRUE);
  since = log_length (env);
  g_assert_false (run_plan (plan, NULL, &summary, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  g_assert_nonnull (strstr (error->message, "stop-a"));
  g_assert_nonnull (strstr (error->message, "nothing was restored"));
  g_clear_error (&error);
  sent = requests_since (env, "contoso-dev-kv", since);
  g_assert_cmpuint (count_lines (sent, "POST /secrets/restore 200"), ==, 0);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (entry_of (plan, live_and_free[1])), ==,
                   KVB_JOB_STATUS_PENDING);

  /* Both free when planned; stop-c is taken before the run: it fails, stop-b is not restored. */
  racing = prepare_plan (dev, FALSE, KVB_RESTORE_ACTION_NONE, folder, both_free);
  kvb_restore_plan_set_stop_at_name_in_use (racing, TRUE);
  first = entry_of (racing, both_free[0]);
  second = entry_of (racing, both_free[1]);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (first), ==, KVB_RESTORE_STATE_FREE);
  g_assert_cmpint (kvb_restore_plan_entry_get_state (second), ==, KVB_RESTORE_STATE_FREE);
  put_secret (env, dev, "stop-c", "someone else's");

  g_assert_true (run_plan (racing, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kvb_restore_plan_entry_get_status (first), ==, KVB_JOB_STATUS_FAILED);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (first), "already exists"));
  g_assert_cmpint (kvb_restore_plan_entry_get_status (second), ==, KVB_JOB_STATUS_SKIPPED);
  g_assert_nonnull (strstr (kvb_restore_plan_entry_get_message (second), "stopped at"));
  g_assert_cmpuint (summary.n_done, ==, 0);
  g_assert_cmpuint (summary.n_failed, ==, 1);
  g_assert_cmpuint (summary.n_skipped, ==, 1);
  g_assert_cmpuint (count_versions (dev, KVB_OBJECT_KIND_SECRET, "stop-c"), ==, 1);
  g_clear_pointer (&sent, g_ptr_array_unref);
  sent = requests_since (env, "contoso-dev-kv", since);
  g_assert_cmpuint (count_lines (sent, "POST /secrets/restore 200"), ==, 0);
}

/* A quarter of the requests answered 503: a backup of many objects still finishes, every file
 * complete. */
static void
test_backup_storm (Env           *env,
                   gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) secrets = NULL;
  g_autoptr(GPtrArray) storm = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *folder = NULL;
  KvbJobSummary summary;
  JsonArray *log;
  guint n_503 = 0;

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");

  secrets = kvb_test_list (dev, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);

  folder = folder_path (env, "storm");
  dir = g_file_new_for_path (folder);
  job = kvb_vault_backup_new (dev, dir);
  for (guint i = 0; i < secrets->len; i++)
    if (g_str_has_prefix (kvb_object_info_get_name (secrets->pdata[i]), "storm-"))
      g_ptr_array_add (storm, g_object_ref (secrets->pdata[i]));
  kvb_vault_backup_set_objects (job, storm);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (job)), ==, STORM_OBJECTS);

  g_assert_true (run_backup_job (job, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, STORM_OBJECTS);
  g_assert_cmpuint (summary.n_failed, ==, 0);

  for (guint i = 1; i <= STORM_OBJECTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("contoso-dev-kv.storm-%02u.secret.kvbackup", i);
      g_autofree char *path = g_build_filename (folder, "secrets", name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(KvbBackupFile) backup = kvb_backup_file_load (file, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (kvb_backup_file_get_header (backup), ==, KVB_BLOB_HEADER_SECRET);
    }
  manifest = kvb_vault_manifest_load (dir, &error);
  g_assert_no_error (error);
  problems = kvb_vault_manifest_verify (manifest, dir, NULL);
  g_assert_cmpuint (problems->len, ==, 0);

  /* The storm did blow (over the 50-odd requests, no 503 at all is a chance of 1 in millions). */
  log = request_log (env, &node);
  for (guint i = 0; i < json_array_get_length (log); i++)
    if (json_object_get_int_member (json_array_get_object_element (log, i), "status") == 503)
      n_503++;
  g_assert_cmpuint (n_503, >, 0);
}

/* Cancelled: a job or a plan stops, nothing is left running, and what was not done is
 * pending. */
static void
test_cancel (Env           *env,
             gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) secrets = NULL;
  g_autofree char *folder = NULL;
  KvbJobSummary summary;
  Wait w = { FALSE, NULL };

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");
  secrets = kvb_test_list (dev, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);

  folder = folder_path (env, "cancel");
  dir = g_file_new_for_path (folder);
  job = kvb_vault_backup_new (dev, dir);
  kvb_vault_backup_set_max_parallel (job, 1);
  kvb_vault_backup_set_objects (job, secrets);

  kvb_vault_backup_run_async (job, cancellable, done_cb, &w);
  g_cancellable_cancel (cancellable);
  kvb_test_wait (&w.done, 60);
  g_assert_false (kvb_vault_backup_run_finish (job, w.result, &summary, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_object_unref (w.result);
  g_assert_cmpuint (summary.n_done, ==, 0);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (job)); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (G_LIST_MODEL (job), i);
      g_assert_cmpint (kvb_backup_job_item_get_status (item), ==, KVB_JOB_STATUS_PENDING);
      g_assert_false (g_file_query_exists (kvb_backup_job_item_get_file (item), NULL));
    }

  /* A restore plan likewise: stopped at once, every entry still pending. */
  {
    g_autoptr(KvbKeyVaultClient) other = env_client (env, "contoso-dev-limited-kv");
    g_autoptr(KvbRestorePlan) plan = NULL;
    g_autoptr(GCancellable) stop = g_cancellable_new ();
    g_autofree char *files_folder = folder_path (env, "cancel-files");
    const char *names[] = { "dev-db-password", "dev-api-key", NULL };
    const char * const files[] = {
      "contoso-dev-kv.dev-db-password.secret.kvbackup",
      "contoso-dev-kv.dev-api-key.secret.kvbackup",
      NULL
    };
    Wait wr = { FALSE, NULL };

    backup_all (dev, files_folder, KVB_OBJECT_KIND_SECRET, names);
    plan = prepare_plan (other, FALSE, KVB_RESTORE_ACTION_NONE, files_folder, files);
    kvb_restore_plan_run_async (plan, stop, done_cb, &wr);
    g_cancellable_cancel (stop);
    kvb_test_wait (&wr.done, 60);
    g_assert_false (kvb_restore_plan_run_finish (plan, wr.result, &summary, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_object_unref (wr.result);
    g_assert_cmpuint (summary.n_done, ==, 0);
    g_assert_cmpuint (summary.n_failed, ==, 0);
    for (guint i = 0; files[i] != NULL; i++)
      g_assert_cmpint (kvb_restore_plan_entry_get_status (entry_of (plan, files[i])), ==,
                       KVB_JOB_STATUS_PENDING);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/object-jobs/backup-selection", Env, NULL, env_setup, test_backup_selection,
              env_teardown);
  g_test_add ("/object-jobs/backup-selection-resume", Env, NULL, env_setup,
              test_backup_selection_resume, env_teardown);
  g_test_add ("/object-jobs/backup-one", Env, NULL, env_setup, test_backup_one, env_teardown);
  g_test_add ("/object-jobs/backup-storm", Env, GINT_TO_POINTER (TRUE), env_setup,
              test_backup_storm,
              env_teardown);
  g_test_add ("/object-jobs/cancel", Env, NULL, env_setup, test_cancel, env_teardown);
  g_test_add ("/object-jobs/restore-plan", Env, NULL, env_setup, test_restore_plan, env_teardown);
  g_test_add ("/object-jobs/restore-conflicts", Env, NULL, env_setup, test_restore_conflicts,
              env_teardown);
  g_test_add ("/object-jobs/restore-race", Env, NULL, env_setup, test_restore_race, env_teardown);
  g_test_add ("/object-jobs/restore-stop", Env, NULL, env_setup, test_restore_stop, env_teardown);

  return g_test_run ();
}
