/* test-challenge-cloud.c: cloud profiles, vault names and addresses, and which hosts count as
 * a cloud's vaults and authority — the lists that decide where a token may go.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "kvb-cloud.h"
#include "kvb-error.h"

static void
assert_url (KvbCloud   *cloud,
            const char *input,
            const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = kvb_cloud_dup_vault_url (cloud, input, &error);

  if (expected == NULL)
    {
      g_assert_null (url);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_cmpstr (url, ==, expected);
    }
}

static void
test_vault_urls (void)
{
  g_autoptr(KvbCloud) pub = kvb_cloud_lookup ("public", NULL);
  g_autoptr(KvbCloud) china = kvb_cloud_lookup ("AzureChinaCloud", NULL);
  g_autoptr(KvbCloud) usgov = kvb_cloud_lookup ("usgov", NULL);
  g_autoptr(KvbCloud) sample = kvb_cloud_new_sample ("https://127.0.0.1:8443", NULL);

  assert_url (pub, "contoso-kv", "https://contoso-kv.vault.azure.net/");
  assert_url (pub, "Contoso-KV", "https://contoso-kv.vault.azure.net/");
  assert_url (pub, "https://contoso-kv.vault.azure.net", "https://contoso-kv.vault.azure.net/");
  assert_url (pub, "https://contoso-kv.vault.azure.net:443/", "https://contoso-kv.vault.azure.net/");
  assert_url (china, "contoso-kv", "https://contoso-kv.vault.azure.cn/");
  assert_url (usgov, "contoso-kv", "https://contoso-kv.vault.usgovcloudapi.net/");
  assert_url (sample, "contoso-dev-kv", "https://contoso-dev-kv.vault.localhost:8443/");

  /* Not vaults of the cloud, or not vault names. */
  assert_url (pub, "http://contoso-kv.vault.azure.net/", NULL);
  assert_url (pub, "https://contoso-kv.vault.azure.cn/", NULL);
  assert_url (pub, "https://vault.azure.net/", NULL);
  assert_url (pub, "https://contoso-kv.vault.azure.net.evil.example/", NULL);
  assert_url (china, "https://contoso-kv.vault.azure.net/", NULL);
  assert_url (pub, "kv", NULL);
  assert_url (pub, "1contoso", NULL);
  assert_url (pub, "contoso--kv", NULL);
  assert_url (pub, "contoso-kv-", NULL);
  assert_url (pub, "contoso_kv", NULL);
  assert_url (pub, "a-name-that-is-far-too-long", NULL);
}

static gboolean
is_authority (KvbCloud   *cloud,
              const char *uri)
{
  g_autoptr(GUri) u = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);

  return kvb_cloud_is_authority_uri (cloud, u);
}

static void
test_authority (void)
{
  g_autoptr(KvbCloud) pub = kvb_cloud_new_public ();
  g_autoptr(KvbCloud) china = kvb_cloud_new_china ();
  g_autoptr(KvbCloud) sample = kvb_cloud_new_sample ("https://127.0.0.1:8443", NULL);

  /* What Key Vault really sends in its challenge for the public cloud. */
  g_assert_true (is_authority (pub, "https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47"));
  g_assert_true (is_authority (pub, "https://login.microsoftonline.com/tenant"));
  g_assert_true (is_authority (pub, "https://LOGIN.MICROSOFTONLINE.COM:443/tenant"));
  g_assert_false (is_authority (pub, "http://login.microsoftonline.com/tenant"));
  g_assert_false (is_authority (pub, "https://login.microsoftonline.com:8443/tenant"));
  g_assert_false (is_authority (pub, "https://login.chinacloudapi.cn/tenant"));
  g_assert_false (is_authority (pub, "https://login.microsoftonline.com.evil.example/tenant"));
  g_assert_true (is_authority (china, "https://login.partner.microsoftonline.cn/tenant"));
  g_assert_false (is_authority (china, "https://login.windows.net/tenant"));
  g_assert_true (is_authority (sample, "https://127.0.0.1:8443/tenant"));
  g_assert_false (is_authority (sample, "https://127.0.0.1:9443/tenant"));
  g_assert_false (is_authority (sample, "https://login.windows.net/tenant"));

  g_assert_true (kvb_cloud_is_vault_host (pub, "contoso.vault.azure.net"));
  g_assert_true (kvb_cloud_is_vault_host (pub, "CONTOSO.VAULT.AZURE.NET"));
  g_assert_false (kvb_cloud_is_vault_host (pub, "vault.azure.net"));
  g_assert_false (kvb_cloud_is_vault_host (pub, "contosovault.azure.net"));
  g_assert_false (kvb_cloud_is_vault_host (pub, "contoso.vault.azure.net.evil.example"));
}

static void
test_profile_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbCloud) bad = NULL;
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("kvb-cloud-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  close (fd);

  g_assert_true (g_file_set_contents (path,
                                      "{\"name\":\"Contoso Stack\","
                                      "\"authorityHost\":\"https://login.contoso.example/\","
                                      "\"resourceManager\":\"https://management.contoso.example/\","
                                      "\"keyVaultDnsSuffix\":\".vault.contoso.example\"}", -1, NULL));
  cloud = kvb_cloud_lookup (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_cloud_get_display_name (cloud), ==, "Contoso Stack");
  g_assert_cmpstr (kvb_cloud_get_authority_host (cloud), ==, "https://login.contoso.example");
  g_assert_cmpstr (kvb_cloud_get_arm_scope (cloud), ==, "https://management.contoso.example/.default");
  g_assert_cmpstr (kvb_cloud_get_keyvault_scope (cloud), ==, "https://vault.contoso.example/.default");
  assert_url (cloud, "kv1", "https://kv1.vault.contoso.example/");

  /* A profile that would send tokens over plain HTTP is refused. */
  g_assert_true (g_file_set_contents (path,
                                      "{\"name\":\"Plain\",\"authorityHost\":\"http://login.example\","
                                      "\"resourceManager\":\"https://arm.example\","
                                      "\"keyVaultDnsSuffix\":\"vault.example\"}", -1, NULL));
  bad = kvb_cloud_lookup (path, &error);
  g_assert_null (bad);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (kvb_cloud_lookup ("mars", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);

  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cloud/vault-urls", test_vault_urls);
  g_test_add_func ("/cloud/authority", test_authority);
  g_test_add_func ("/cloud/profile-file", test_profile_file);

  return g_test_run ();
}
