/* test-parsers.c: readers of what a service or a file hands us, fed the inputs that once broke
 * them (found by the fuzz targets of tests/fuzz): each input is read without a warning, and the
 * result is what a careful reader makes of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "kvb-cloud.h"
#include "kvb-entra-client-private.h"
#include "kvb-error.h"
#include "kvb-keyvault-client-private.h"
#include "kvb-object-info.h"
#include "kvb-pipeline-private.h"
#include "kvb-sign-in-private.h"
#include "kvb-vault-manifest-private.h"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* A date as a double too large for a gint64 was cast anyway (undefined behaviour); a date past
 * the year 9999 is none. */
static void
test_object_info_dates (void)
{
  g_autoptr(JsonObject) item = parse_object (
      "{\"id\":\"https://contoso.vault.azure.net/secrets/a/v1\","
      "\"recoveryId\":\"https://contoso.vault.azure.net/deletedsecrets/a\","
      "\"deletedDate\":1636059e28,\"scheduledPurgeDate\":1643835228.5,"
      "\"attributes\":{\"created\":-5,\"updated\":253402300800,\"exp\":253402300799,"
      "\"nbf\":1e300}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = kvb_object_info_new_from_json (KVB_OBJECT_KIND_SECRET, item,
                                                                 &error);

  g_assert_no_error (error);
  g_assert_cmpint (kvb_object_info_get_deleted_date (info), ==, 0);
  g_assert_cmpint (kvb_object_info_get_scheduled_purge_date (info), ==, 1643835228);
  g_assert_cmpint (kvb_object_info_get_created (info), ==, 0);
  g_assert_cmpint (kvb_object_info_get_updated (info), ==, 0);
  g_assert_cmpint (kvb_object_info_get_expires (info), ==, G_GINT64_CONSTANT (253402300799));
  g_assert_cmpint (kvb_object_info_get_not_before (info), ==, 0);
  /* Still deleted: the recovery id says so. */
  g_assert_true (kvb_object_info_get_deleted (info));
}

/* An https link without a host ("https:/…") compared a NULL host with the vault's. */
static void
test_next_link_without_host (void)
{
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbKeyVaultClient) client = kvb_keyvault_client_new (pipeline, cloud, NULL, "contoso",
                                                                 &error);
  static const char * const links[] = {
    "https:/secrets?api-version=7.4",
    "https:secrets",
    "https:///secrets",
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *url = _kvb_keyvault_client_next_page_url (client, links[i], &error);

      g_assert_null (url);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_FAILED);
      g_clear_error (&error);
    }
}

/* A body of white space is JSON without a root to json-glib. */
static void
test_entra_blank_answer (void)
{
  static const guint statuses[] = { 200, 400, 500 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GBytes) answer = g_bytes_new_static (" \r\n", 3);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) obj = _kvb_entra_client_read_answer (statuses[i], answer, &error);

      g_assert_null (obj);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
    }
}

/* An ID token whose payload decodes to white space: no claims. */
static void
test_id_token_blank_payload (void)
{
  g_autofree char *token = g_strconcat ("eyJhbGciOiJub25lIn0.",
                                        /* " \n " */ "IAog", ".", NULL);

  g_assert_null (kvb_sign_in_parse_id_token (token));
  g_assert_null (kvb_sign_in_parse_id_token ("eGJc.|hi3."));
}

/* The scope is rebuilt from the resource's host (the network side is in test-challenge). */
static void
test_challenge_scope (void)
{
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  g_autoptr(GUri) vault = g_uri_parse ("https://contoso.vault.azure.net/", G_URI_FLAGS_NONE, NULL);
  g_autofree char *scope = NULL;
  g_autofree char *tenant = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (_kvb_pipeline_check_challenge (
      cloud, vault,
      "Bearer authorization=\"https://login.windows.net/00000000-0000-0000-0000-00/.d000000000000\", "
      "resource=\"Https://vault.azure.net\"", &scope, &tenant, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (scope, ==, "https://vault.azure.net/.default");
  g_assert_cmpstr (tenant, ==, "00000000-0000-0000-0000-00");

  g_assert_false (_kvb_pipeline_check_challenge (
      cloud, vault,
      "Bearer authorization=\"https://login.windows.net/t\", "
      "scope=\"https://vault.azure.net/.default offline_access\"", &scope, &tenant, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED);
}

/* Members of the wrong type (an array where a number belongs) tripped json-glib's checks in
 * json_object_get_*_member_with_default(); a wrong type is now as good as absent. */
static void
test_manifest_member_types (void)
{
  static const char *manifests[] = {
    "{\"format\":\"kvbackup-vault\",\"formatVersion\":[],\"objects\":[]}",
    "{\"format\":{},\"formatVersion\":1,\"objects\":[]}",
    "{\"format\":\"kvbackup-vault\",\"formatVersion\":1,\"vaultUri\":[],\"started\":{},"
    "\"objects\":[{\"kind\":\"secret\",\"name\":\"a\",\"status\":[],\"file\":{},"
    "\"size\":\"1\",\"sha256\":[]}]}",
    "{\"format\":\"kvbackup-vault\",\"formatVersion\":1,\"objects\":[{\"kind\":[],\"name\":\"a\"}]}",
  };
  g_autoptr(GFile) folder = g_file_new_for_path ("/nonexistent");
  g_autoptr(GFile) file = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);

  for (guint i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (manifests[i], strlen (manifests[i]));
      g_autoptr(GError) error = NULL;
      g_autoptr(KvbVaultManifest) manifest = _kvb_vault_manifest_new_from_bytes (bytes, file,
                                                                                 &error);

      if (i == 2)
        {
          g_autoptr(GPtrArray) problems = NULL;

          g_assert_no_error (error);
          g_assert_cmpstr (kvb_vault_manifest_get_vault_uri (manifest), ==, "");
          g_assert_cmpint (kvb_vault_manifest_get_started (manifest), ==, 0);
          g_assert_false (kvb_vault_manifest_check_entry (kvb_vault_manifest_get_object (manifest, 0),
                                                          folder, &error));
          g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
          problems = kvb_vault_manifest_verify (manifest, folder, NULL);
          g_assert_cmpuint (problems->len, ==, 0);
        }
      else
        {
          g_assert_null (manifest);
          g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
        }
    }
}

/* A device code answer whose numbers are doubles too large for a gint64. */
static void
test_device_code_large_numbers (void)
{
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  g_autoptr(KvbDeviceCodeFlow) flow = kvb_device_code_flow_new (pipeline, cloud, NULL, "client",
                                                                "organizations");
  g_autoptr(JsonObject) response = parse_object (
      "{\"device_code\":\"d\",\"user_code\":\"u\",\"verification_uri\":\"https://x\","
      "\"interval\":1e300,\"expires_in\":-1e300}");
  g_autoptr(GError) error = NULL;

  g_assert_true (_kvb_device_code_flow_read_start (flow, response, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kvb_device_code_flow_get_interval (flow), ==, 5);
  g_assert_cmpint (kvb_entra_token_response_get_expires_in (response), ==, 0);
}

/* A token lifetime as a string of many digits: at most a day, never an overflow when added to
 * the time of day (found by fuzz-entra-json). */
static void
test_token_huge_lifetime (void)
{
  g_autoptr(JsonObject) text = parse_object ("{\"access_token\":\"a\",\"expires_in\":\"33004444444444444444\"}");
  g_autoptr(JsonObject) number = parse_object ("{\"access_token\":\"a\",\"expires_in\":9223372036854775807}");
  g_autoptr(JsonObject) normal = parse_object ("{\"access_token\":\"a\",\"expires_in\":3599}");
  g_autoptr(JsonObject) negative = parse_object ("{\"access_token\":\"a\",\"expires_in\":\"-5\"}");

  g_assert_cmpint (kvb_entra_token_response_get_expires_in (text), ==, 24 * 3600);
  g_assert_cmpint (kvb_entra_token_response_get_expires_in (number), ==, 24 * 3600);
  g_assert_cmpint (kvb_entra_token_response_get_expires_in (normal), ==, 3599);
  g_assert_cmpint (kvb_entra_token_response_get_expires_in (negative), ==, 0);
}

/* An empty manifest.json is a bad manifest, not a crash. */
static void
test_manifest_empty (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("kvb-test-parsers-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp, KVB_VAULT_MANIFEST_FILE_NAME, NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (tmp);
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  manifest = kvb_vault_manifest_load (folder, &error);
  g_assert_null (manifest);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);

  g_unlink (path);
  g_rmdir (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/parsers/token-huge-lifetime", test_token_huge_lifetime);
  g_test_add_func ("/parsers/object-info-dates", test_object_info_dates);
  g_test_add_func ("/parsers/next-link-without-host", test_next_link_without_host);
  g_test_add_func ("/parsers/entra-blank-answer", test_entra_blank_answer);
  g_test_add_func ("/parsers/id-token-blank-payload", test_id_token_blank_payload);
  g_test_add_func ("/parsers/challenge-scope", test_challenge_scope);
  g_test_add_func ("/parsers/manifest-empty", test_manifest_empty);
  g_test_add_func ("/parsers/manifest-member-types", test_manifest_member_types);
  g_test_add_func ("/parsers/device-code-large-numbers", test_device_code_large_numbers);

  return g_test_run ();
}
