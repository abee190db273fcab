/* test-vault-finder.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "kvb-error.h"
#include "kvb-test-server.h"
#include "kvb-vault-finder.h"

/* What the sidebar gets for an account of three tenants: one lists two subscriptions, one will
 * not give a token, one shares a subscription of the first and has one without the Key Vault
 * provider.  Served by a fake Resource Manager that answers by the token's tenant. */

#define TENANT_A "11111111-1111-4111-8111-111111111111"
#define TENANT_B "22222222-2222-4222-8222-222222222222"
#define TENANT_C "33333333-3333-4333-8333-333333333333"
#define SUB_ZETA    "aaaaaaaa-0000-4000-8000-000000000001"
#define SUB_ALPHA   "aaaaaaaa-0000-4000-8000-000000000002"
#define SUB_SANDBOX "aaaaaaaa-0000-4000-8000-000000000003"

/* A credential whose token names its tenant, and that cannot sign in to tenant B. */
struct _TestTenantCredential
{
  GObject parent_instance;
};

#define TEST_TYPE_TENANT_CREDENTIAL (test_tenant_credential_get_type ())
G_DECLARE_FINAL_TYPE (TestTenantCredential, test_tenant_credential, TEST, TENANT_CREDENTIAL, GObject)

static void credential_iface_init (KvbCredentialInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestTenantCredential, test_tenant_credential, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KVB_TYPE_CREDENTIAL, credential_iface_init))

static void
tenant_get_token_async (KvbCredential       *self,
                        const char          *scope,
                        const char          *tenant,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  if (g_strcmp0 (tenant, TENANT_B) == 0)
    g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                             "Tenant B needs another sign-in.");
  else
    g_task_return_pointer (task,
                           kvb_access_token_new (tenant ? tenant : "home", g_get_real_time () / G_USEC_PER_SEC + 3600),
                           (GDestroyNotify) kvb_access_token_unref);
}

static KvbAccessToken *
tenant_get_token_finish (KvbCredential  *self,
                         GAsyncResult   *result,
                         GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
tenant_invalidate (KvbCredential *self,
                   const char    *scope,
                   const char    *tenant)
{
}

static void
credential_iface_init (KvbCredentialInterface *iface)
{
  iface->get_token_async = tenant_get_token_async;
  iface->get_token_finish = tenant_get_token_finish;
  iface->invalidate = tenant_invalidate;
}

static void
test_tenant_credential_class_init (TestTenantCredentialClass *klass)
{
}

static void
test_tenant_credential_init (TestTenantCredential *self)
{
}

static char *
subscription_json (const char *id,
                   const char *name,
                   const char *tenant)
{
  return g_strdup_printf ("{\"id\":\"/subscriptions/%s\",\"subscriptionId\":\"%s\",\"displayName\":\"%s\","
                          "\"tenantId\":\"%s\",\"state\":\"Enabled\"}", id, id, name, tenant);
}

static void
handler (KvbTestServer     *server,
         SoupServerMessage *msg,
         const char        *path,
         guint              n,
         gpointer           user_data)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  const char *tenant = auth != NULL && g_str_has_prefix (auth, "Bearer ") ? auth + 7 : "";

  if (g_str_equal (path, "/tenants"))
    {
      kvb_test_reply_json (msg, 200,
                           "{\"value\":["
                           "{\"id\":\"/tenants/" TENANT_A "\",\"tenantId\":\"" TENANT_A "\",\"displayName\":\"Tenant A\"},"
                           "{\"id\":\"/tenants/" TENANT_B "\",\"tenantId\":\"" TENANT_B "\",\"displayName\":\"Tenant B\"},"
                           "{\"id\":\"/tenants/" TENANT_C "\",\"tenantId\":\"" TENANT_C "\",\"displayName\":\"Tenant C\"}]}",
                           NULL, NULL);
    }
  else if (g_str_equal (path, "/subscriptions") && g_str_equal (tenant, TENANT_A))
    {
      g_autofree char *zeta = subscription_json (SUB_ZETA, "Zeta", TENANT_A);
      g_autofree char *alpha = subscription_json (SUB_ALPHA, "Alpha", TENANT_A);
      g_autofree char *body = g_strdup_printf ("{\"value\":[%s,%s]}", zeta, alpha);

      kvb_test_reply_json (msg, 200, body, NULL, NULL);
    }
  else if (g_str_equal (path, "/subscriptions") && g_str_equal (tenant, TENANT_C))
    {
      /* Alpha is shared into tenant C (Lighthouse) and comes again, in upper case. */
      g_autofree char *alpha = subscription_json ("AAAAAAAA-0000-4000-8000-000000000002", "Alpha", TENANT_A);
      g_autofree char *sandbox = subscription_json (SUB_SANDBOX, "Sandbox", TENANT_C);
      g_autofree char *body = g_strdup_printf ("{\"value\":[%s,%s]}", alpha, sandbox);

      kvb_test_reply_json (msg, 200, body, NULL, NULL);
    }
  else if (g_str_equal (path, "/subscriptions/" SUB_ZETA "/providers/Microsoft.KeyVault/vaults"))
    {
      kvb_test_reply_json (msg, 200,
                           "{\"value\":["
                           "{\"id\":\"/subscriptions/" SUB_ZETA "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/zz-kv\","
                           "\"name\":\"zz-kv\",\"location\":\"westeurope\",\"properties\":{}},"
                           "{\"id\":\"/subscriptions/" SUB_ZETA "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/aa-kv\","
                           "\"name\":\"aa-kv\",\"location\":\"eastus\",\"properties\":{}}]}",
                           NULL, NULL);
    }
  else if (g_str_equal (path, "/subscriptions/" SUB_ALPHA "/providers/Microsoft.KeyVault/vaults"))
    {
      kvb_test_reply_json (msg, 200, "{\"value\":[]}", NULL, NULL);
    }
  else if (g_str_equal (path, "/subscriptions/" SUB_SANDBOX "/providers/Microsoft.KeyVault/vaults"))
    {
      kvb_test_reply_json (msg, 409,
                           "{\"error\":{\"code\":\"MissingSubscriptionRegistration\","
                           "\"message\":\"The subscription is not registered to use namespace 'Microsoft.KeyVault'.\"}}",
                           NULL, NULL);
    }
  else
    {
      kvb_test_reply_json (msg, 404, "{\"error\":{\"code\":\"NotFound\",\"message\":\"no\"}}", NULL, NULL);
    }
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GPtrArray *
list (KvbArmClient  *client,
      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kvb_vault_finder_list_async (client, NULL, list_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return kvb_vault_finder_list_finish (client, result, error);
}

static void
test_tenants (void)
{
  g_autoptr(KvbTestServer) server = kvb_test_server_new (handler, NULL);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(TestTenantCredential) cred = g_object_new (TEST_TYPE_TENANT_CREDENTIAL, NULL);
  g_autoptr(KvbArmClient) client = kvb_arm_client_new (pipeline, cloud, KVB_CREDENTIAL (cred));
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  KvbFoundSubscription *sub;

  found = list (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 4);

  /* By name: Alpha (once, from the first tenant that listed it), Sandbox, Zeta. */
  sub = g_ptr_array_index (found, 0);
  g_assert_cmpstr (kvb_subscription_info_get_display_name (sub->info), ==, "Alpha");
  g_assert_cmpstr (kvb_tenant_info_get_tenant_id (sub->tenant), ==, TENANT_A);
  g_assert_no_error (sub->error);
  g_assert_cmpuint (sub->vaults->len, ==, 0);

  sub = g_ptr_array_index (found, 1);
  g_assert_cmpstr (kvb_subscription_info_get_display_name (sub->info), ==, "Sandbox");
  g_assert_cmpstr (kvb_tenant_info_get_tenant_id (sub->tenant), ==, TENANT_C);
  g_assert_error (sub->error, KVB_ERROR, KVB_ERROR_PROVIDER_NOT_REGISTERED);
  g_assert_null (sub->vaults);

  sub = g_ptr_array_index (found, 2);
  g_assert_cmpstr (kvb_subscription_info_get_display_name (sub->info), ==, "Zeta");
  g_assert_no_error (sub->error);
  g_assert_cmpuint (sub->vaults->len, ==, 2);
  g_assert_cmpstr (kvb_vault_info_get_name (g_ptr_array_index (sub->vaults, 0)), ==, "aa-kv");
  g_assert_cmpstr (kvb_vault_info_get_name (g_ptr_array_index (sub->vaults, 1)), ==, "zz-kv");

  /* The tenant that gave no token comes last, with the reason. */
  sub = g_ptr_array_index (found, 3);
  g_assert_null (sub->info);
  g_assert_cmpstr (kvb_tenant_info_get_tenant_id (sub->tenant), ==, TENANT_B);
  g_assert_error (sub->error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED);
}

static void
only_b_handler (KvbTestServer     *server,
                SoupServerMessage *msg,
                const char        *path,
                guint              n,
                gpointer           user_data)
{
  kvb_test_reply_json (msg, 200,
                       "{\"value\":[{\"id\":\"/tenants/" TENANT_B "\",\"tenantId\":\"" TENANT_B "\"}]}",
                       NULL, NULL);
}

static void
test_no_tenant_answers (void)
{
  g_autoptr(KvbTestServer) server = kvb_test_server_new (only_b_handler, NULL);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(TestTenantCredential) cred = g_object_new (TEST_TYPE_TENANT_CREDENTIAL, NULL);
  g_autoptr(KvbArmClient) client = kvb_arm_client_new (pipeline, cloud, KVB_CREDENTIAL (cred));
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  /* With nothing else to show, the tenant's failure is the account's. */
  found = list (client, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED);
  g_assert_null (found);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vault-finder/tenants", test_tenants);
  g_test_add_func ("/vault-finder/no-tenant-answers", test_no_tenant_answers);

  return g_test_run ();
}
