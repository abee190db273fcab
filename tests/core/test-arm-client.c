/* test-arm-client.c: tenants, subscriptions, vaults with their properties and the provider
 * registration, against the stand-in's Resource Manager, directly and through its proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kvb-arm-client.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"
#include "kvb-test-server.h"

#define PROD_SUBSCRIPTION "3f2b8c1d-6e4a-4b9f-8d7c-5a1e2f3b4c6d"

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

static GAsyncResult *
wait_result (Wait *w)
{
  kvb_test_wait (&w->done, 120);
  return w->result;
}

static void
run (gconstpointer data)
{
  gboolean proxied = GPOINTER_TO_INT (data);
  g_autoptr(KvbTestEmulator) emu = kvb_test_emulator_start_or_skip (NULL);
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbServicePrincipalCredential) cred = NULL;
  g_autoptr(KvbArmClient) arm = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) subscriptions = NULL;
  g_autoptr(GPtrArray) vaults = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  gboolean found_prod = FALSE;
  Wait w1 = { 0 }, w2 = { 0 }, w3 = { 0 }, w4 = { 0 }, w5 = { 0 };

  if (emu == NULL)
    return;

  if (proxied)
    {
      g_setenv ("https_proxy", emu->proxy, TRUE);
      g_setenv ("SSL_CERT_FILE", emu->ca, TRUE);
      cloud = kvb_cloud_new_public ();
    }
  else
    {
      g_unsetenv ("https_proxy");
      g_unsetenv ("SSL_CERT_FILE");
      cloud = kvb_test_emulator_new_cloud (emu);
    }
  pipeline = kvb_pipeline_new ();
  cred = kvb_service_principal_credential_new_with_secret (pipeline, cloud, emu->tenant,
                                                           emu->client_id, emu->client_secret);
  arm = kvb_arm_client_new (pipeline, cloud, KVB_CREDENTIAL (cred));

  kvb_arm_client_list_tenants_async (arm, NULL, done_cb, &w1);
  tenants = kvb_arm_client_list_tenants_finish (arm, wait_result (&w1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, >=, 1);
  g_assert_cmpstr (kvb_tenant_info_get_tenant_id (tenants->pdata[0]), ==, emu->tenant);

  kvb_arm_client_list_subscriptions_async (arm, emu->tenant, NULL, done_cb, &w2);
  subscriptions = kvb_arm_client_list_subscriptions_finish (arm, wait_result (&w2), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subscriptions->len, >=, 2);
  for (guint i = 0; i < subscriptions->len; i++)
    {
      g_assert_cmpstr (kvb_subscription_info_get_tenant_id (subscriptions->pdata[i]), ==, emu->tenant);
      g_assert_nonnull (kvb_subscription_info_get_display_name (subscriptions->pdata[i]));
      if (g_strcmp0 (kvb_subscription_info_get_subscription_id (subscriptions->pdata[i]),
                     PROD_SUBSCRIPTION) == 0)
        found_prod = TRUE;
    }
  g_assert_true (found_prod);

  kvb_arm_client_list_vaults_async (arm, emu->tenant, PROD_SUBSCRIPTION, NULL, done_cb, &w3);
  vaults = kvb_arm_client_list_vaults_finish (arm, wait_result (&w3), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vaults->len, >=, 2);
  for (guint i = 0; i < vaults->len; i++)
    {
      KvbVaultInfo *v = vaults->pdata[i];
      g_autofree char *url = NULL;

      /* Every vault URI that Resource Manager gives is one the Key Vault client accepts. */
      url = kvb_cloud_dup_vault_url (cloud, kvb_vault_info_get_vault_uri (v), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (kvb_vault_info_get_subscription_id (v), ==, PROD_SUBSCRIPTION);
      g_assert_cmpstr (kvb_vault_info_get_tenant_id (v), ==, emu->tenant);
      g_assert_nonnull (kvb_vault_info_get_location (v));
      g_assert_nonnull (kvb_vault_info_get_resource_group (v));

      if (g_strcmp0 (kvb_vault_info_get_name (v), "contoso-prod-kv") == 0)
        {
          g_assert_true (kvb_vault_info_get_rbac (v));
          g_assert_true (kvb_vault_info_get_purge_protection (v));
          g_assert_true (kvb_vault_info_get_soft_delete (v));
          g_assert_cmpstr (kvb_vault_info_get_location (v), ==, "westeurope");
        }
      if (g_strcmp0 (kvb_vault_info_get_name (v), "contoso-app-kv") == 0)
        {
          g_assert_false (kvb_vault_info_get_rbac (v));
          g_assert_false (kvb_vault_info_get_purge_protection (v));
          g_assert_cmpint (kvb_vault_info_get_soft_delete_retention_days (v), ==, 30);
        }
    }

  kvb_arm_client_get_provider_state_async (arm, emu->tenant, PROD_SUBSCRIPTION, NULL, done_cb, &w4);
  state = kvb_arm_client_get_provider_state_finish (arm, wait_result (&w4), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (state, ==, "Registered");

  /* A subscription that does not exist. */
  kvb_arm_client_list_vaults_async (arm, emu->tenant, "00000000-0000-0000-0000-000000000000",
                                    NULL, done_cb, &w5);
  g_clear_pointer (&vaults, g_ptr_array_unref);
  vaults = kvb_arm_client_list_vaults_finish (arm, wait_result (&w5), &error);
  g_assert_null (vaults);
  g_assert_true (g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND) ||
                 g_error_matches (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC));
  g_clear_error (&error);

  g_clear_object (&w1.result);
  g_clear_object (&w2.result);
  g_clear_object (&w3.result);
  g_clear_object (&w4.result);
  g_clear_object (&w5.result);
  g_unsetenv ("https_proxy");
  g_unsetenv ("SSL_CERT_FILE");
}

static guint
count_token_requests (KvbTestEmulator *emu)
{
  g_autoptr(JsonNode) log = kvb_test_emulator_control (emu, "GET", "/_emulator/requests", NULL, NULL);
  JsonArray *entries = json_node_get_array (log);
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (entries); i++)
    if (g_str_has_suffix (json_object_get_string_member (json_array_get_object_element (entries, i),
                                                         "path"), "/oauth2/v2.0/token"))
      n++;
  return n;
}

static void
test_sign_in (void)
{
  const char *args[] = { "--token-lifetime", "4", NULL };
  g_autoptr(KvbTestEmulator) emu = kvb_test_emulator_start_or_skip (args);
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbServicePrincipalCredential) good = NULL;
  g_autoptr(KvbServicePrincipalCredential) bad = NULL;
  g_autoptr(KvbServicePrincipalCredential) from_env = NULL;
  g_autoptr(KvbArmClient) arm = NULL;
  g_autoptr(KvbArmClient) bad_arm = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GError) error = NULL;
  Wait w1 = { 0 }, w2 = { 0 }, w3 = { 0 };
  guint before;
  gboolean slept = FALSE;

  if (emu == NULL)
    return;

  g_unsetenv ("https_proxy");
  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();

  /* A wrong secret: a sign-in failure that keeps Entra's own code. */
  bad = kvb_service_principal_credential_new_with_secret (pipeline, cloud, emu->tenant,
                                                          emu->client_id, "not-the-secret");
  bad_arm = kvb_arm_client_new (pipeline, cloud, KVB_CREDENTIAL (bad));
  kvb_arm_client_list_tenants_async (bad_arm, NULL, done_cb, &w1);
  tenants = kvb_arm_client_list_tenants_finish (bad_arm, wait_result (&w1), &error);
  g_assert_null (tenants);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
  g_assert_cmpstr (kvb_error_get_service_code (error), ==, "invalid_client");
  g_assert_null (strstr (error->message, "not-the-secret"));
  /* "ID" as everywhere else in the text. */
  g_assert_nonnull (strstr (error->message, "Check the client ID,"));
  g_clear_error (&error);

  /* Tokens of four seconds: the next call after they ran out gets a new one by itself. */
  good = kvb_service_principal_credential_new_with_secret (pipeline, cloud, emu->tenant,
                                                           emu->client_id, emu->client_secret);
  arm = kvb_arm_client_new (pipeline, cloud, KVB_CREDENTIAL (good));
  kvb_arm_client_list_tenants_async (arm, NULL, done_cb, &w2);
  tenants = kvb_arm_client_list_tenants_finish (arm, wait_result (&w2), &error);
  g_assert_no_error (error);
  g_clear_pointer (&tenants, g_ptr_array_unref);
  before = count_token_requests (emu);
  {
    gint64 until = g_get_monotonic_time () + 4 * G_USEC_PER_SEC;
    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (10000);
    slept = TRUE;
  }
  g_assert_true (slept);
  kvb_arm_client_list_tenants_async (arm, NULL, done_cb, &w3);
  tenants = kvb_arm_client_list_tenants_finish (arm, wait_result (&w3), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_token_requests (emu), ==, before + 1);

  /* The environment's service principal: all three variables or none. */
  g_unsetenv ("AZURE_TENANT_ID");
  g_unsetenv ("AZURE_CLIENT_ID");
  g_unsetenv ("AZURE_CLIENT_SECRET");
  from_env = kvb_service_principal_credential_new_from_environment (pipeline, cloud, &error);
  g_assert_no_error (error);
  g_assert_null (from_env);
  g_setenv ("AZURE_TENANT_ID", emu->tenant, TRUE);
  from_env = kvb_service_principal_credential_new_from_environment (pipeline, cloud, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "AZURE_CLIENT_ID"));
  g_clear_error (&error);
  g_setenv ("AZURE_CLIENT_ID", emu->client_id, TRUE);
  g_setenv ("AZURE_CLIENT_SECRET", emu->client_secret, TRUE);
  from_env = kvb_service_principal_credential_new_from_environment (pipeline, cloud, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_service_principal_credential_get_client_id (from_env), ==, emu->client_id);

  g_clear_object (&w1.result);
  g_clear_object (&w2.result);
  g_clear_object (&w3.result);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/arm/direct", GINT_TO_POINTER (FALSE), run);
  g_test_add_data_func ("/arm/proxy", GINT_TO_POINTER (TRUE), run);
  g_test_add_func ("/arm/sign-in", test_sign_in);

  return g_test_run ();
}
