/* test-vault-memory.c: the memory a whole-vault backup keeps does not grow with the vault beyond
 * a small bound per object (issues 10 and 13).  Two backups from the stand-in, of 300 and of
 * 1,500 secrets; the heap in use after each run, with the job and its manifest still held as
 * the window holds them, is compared.  Not a timing test: it counts bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <malloc.h>

#include <glib/gstdio.h>

#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-manifest.h"

#define N_SMALL 300
#define N_LARGE 1500

/* Per object kept after the run: its list item (name, file, status message, what the window
 * shows), its manifest entry and its keys.  Measured in a debug build: about 2.7 KiB; 5.1 KiB
 * while every manifest entry was a JsonObject tree. */
#define MAX_BYTES_PER_OBJECT 4096

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

static JsonNode *
vault_with_secrets (JsonNode   *vault,
                    const char *name,
                    guint       n)
{
  /* json_node_copy() would share the object: a new one, with the other members shared. */
  JsonNode *copy = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonArray *secrets = json_array_new ();
  JsonObject *counted = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  json_object_iter_init (&iter, json_node_get_object (vault));
  while (json_object_iter_next (&iter, &member, &value))
    json_object_set_member (object, member, json_node_copy (value));
  json_node_take_object (copy, object);

  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (counted, "name", "s");
  json_object_set_int_member (counted, "count", n);
  json_array_add_object_element (secrets, counted);
  json_object_set_array_member (object, "secrets", secrets);
  json_object_set_array_member (object, "keys", json_array_new ());
  json_object_set_array_member (object, "certificates", json_array_new ());
  return copy;
}

/* The command-line test's world, its vault replaced by two of N_SMALL and N_LARGE secrets. */
static char *
write_seed (const char *folder)
{
  g_autofree char *source = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "cli",
                                              "seed-vault.json", NULL);
  g_autofree char *path = g_build_filename (folder, "seed.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *vaults;
  JsonNode *vault;

  g_assert_true (json_parser_load_from_file (parser, source, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  vault = json_node_copy (json_array_get_element (json_object_get_array_member (root, "vaults"), 0));
  vaults = json_array_new ();
  json_array_add_element (vaults, vault_with_secrets (vault, "small-kv", N_SMALL));
  json_array_add_element (vaults, vault_with_secrets (vault, "large-kv", N_LARGE));
  json_object_set_array_member (root, "vaults", vaults);
  json_node_unref (vault);

  json_generator_set_root (generator, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (generator, path, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info;

  /* Freed memory at the top of the heap is not what a run keeps. */
  malloc_trim (0);
  info = mallinfo2 ();
  return info.uordblks + info.hblkhd;
}

/* The heap the backup of @vault_name keeps once it is over, the job still held. */
static gsize
backup_keeps (KvbTestEmulator *emu,
              KvbPipeline     *pipeline,
              KvbCloud        *cloud,
              KvbCredential   *cred,
              const char      *tmp,
              const char      *vault_name,
              guint            n)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(KvbVaultBackup) job = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp, vault_name, NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (path);
  KvbJobSummary summary = { 0, };
  gsize before, after;

  client = kvb_keyvault_client_new (pipeline, cloud, cred, vault_name, &error);
  g_assert_no_error (error);
  before = heap_in_use ();
  job = kvb_vault_backup_new (client, folder);
  kvb_vault_backup_run_async (job, NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (kvb_vault_backup_run_finish (job, result, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary.n_done, ==, n);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (job)), ==, n);
  g_assert_cmpuint (kvb_vault_manifest_get_n_objects (kvb_vault_backup_get_manifest (job)), ==, n);
  after = heap_in_use ();
  g_test_message ("%s: %u objects, %" G_GSIZE_FORMAT " bytes kept", vault_name, n,
                  after > before ? after - before : 0);
  return after > before ? after - before : 0;
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
test_flat (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *seed = NULL;
  g_autofree char *first = NULL;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbCredential) cred = NULL;
  KvbTestEmulator *emu;
  gsize small, large;
  double per_object;

#ifdef UNDER_SANITIZER
  g_test_skip ("the sanitizer's allocator is not the one mallinfo2() counts");
  return;
#endif

  tmp = g_dir_make_tmp ("kvb-vault-memory-XXXXXX", &error);
  g_assert_no_error (error);
  seed = write_seed (tmp);
  emu = kvb_test_emulator_start_or_skip ((const char * const[]) {
      "--seed", seed, "--latency-ms", "0", NULL });
  if (emu == NULL)
    {
      remove_tree (tmp);
      return;
    }

  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();
  cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      pipeline, cloud, emu->tenant, emu->client_id, emu->client_secret));

  /* A first run warms up what every run has once (the connection, the token, GTypes). */
  backup_keeps (emu, pipeline, cloud, cred, tmp, "small-kv", N_SMALL);
  first = g_build_filename (tmp, "small-kv", NULL);
  remove_tree (first);
  small = backup_keeps (emu, pipeline, cloud, cred, tmp, "small-kv", N_SMALL);
  large = backup_keeps (emu, pipeline, cloud, cred, tmp, "large-kv", N_LARGE);
  per_object = ((double) large - (double) small) / (N_LARGE - N_SMALL);
  g_test_message ("%.0f bytes kept per object (at most %d)", per_object, MAX_BYTES_PER_OBJECT);
  g_assert_cmpfloat (per_object, <=, MAX_BYTES_PER_OBJECT);

  g_clear_object (&cred);
  g_clear_object (&pipeline);
  g_clear_object (&cloud);
  kvb_test_emulator_stop (emu);
  remove_tree (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vault-memory/flat", test_flat);

  return g_test_run ();
}
