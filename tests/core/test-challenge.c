/* test-challenge.c: the Key Vault 401 challenge is checked before any token leaves the
 * process, and TLS is never relaxed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kvb-entra-client.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-pipeline.h"
#include "kvb-test-credential.h"
#include "kvb-test-server.h"

#define TOKEN "test-token-0123456789"

typedef struct
{
  char *challenge;            /* the WWW-Authenticate header to send; PORT is replaced */
  gboolean refuse_token;      /* answer 401 even with a token */
  guint redirect_status;      /* with redirect_to: answer requests with this 3xx… */
  const char *redirect_to;    /* …and this Location */
  gboolean redirect_probe;    /* also the first request, without a token */
} Script;

static void
handler (KvbTestServer     *server,
         SoupServerMessage *msg,
         const char        *path,
         guint              n,
         gpointer           user_data)
{
  Script *script = user_data;
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (script->redirect_to != NULL && (auth != NULL || script->redirect_probe))
    {
      soup_server_message_set_redirect (msg, script->redirect_status, script->redirect_to);
      return;
    }

  if (auth == NULL || script->refuse_token)
    {
      g_autofree char *port = g_strdup_printf ("%u", kvb_test_server_get_port (server));
      g_autoptr(GString) challenge_str = g_string_new (script->challenge);
      g_autofree char *challenge = NULL;

      g_string_replace (challenge_str, "PORT", port, 0);
      challenge = g_string_free (g_steal_pointer (&challenge_str), FALSE);

      kvb_test_reply_json (msg, 401,
                           "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000: Request "
                           "is missing a Bearer or PoP token.\"}}",
                           "WWW-Authenticate", challenge);
      return;
    }

  if (g_str_has_suffix (path, "/restore"))
    kvb_test_reply_json (msg, 200,
                         "{\"id\":\"https://test.vault.localhost/secrets/restored/0123\","
                         "\"attributes\":{\"enabled\":true,\"created\":1700000000}}", NULL, NULL);
  else
    kvb_test_reply_json (msg, 200, "{\"value\":[],\"nextLink\":null}", NULL, NULL);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
  KvbObjectInfo *info;
} Result;

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->ok = kvb_keyvault_client_list_finish (KVB_KEYVAULT_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
restore_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  r->info = kvb_keyvault_client_restore_finish (KVB_KEYVAULT_CLIENT (source), result, &r->error);
  r->ok = r->info != NULL;
  r->done = TRUE;
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  node = kvb_pipeline_send_finish (KVB_PIPELINE (source), result, &status, NULL, &r->error);
  r->ok = r->error == NULL;
  r->done = TRUE;
}

static void
result_clear (Result *r)
{
  g_clear_error (&r->error);
  g_clear_object (&r->info);
}

/* Lists secrets of test.vault.localhost against a server sending @challenge. */
static void
run_list (const char        *challenge,
          gboolean           refuse_token,
          KvbTestServer    **server_out,
          KvbTestCredential **cred_out,
          Result            *r)
{
  static Script script;
  KvbTestServer *server;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vault = NULL;
  KvbTestCredential *cred = kvb_test_credential_new (TOKEN);

  g_free (script.challenge);
  script.challenge = g_strdup (challenge);
  script.refuse_token = refuse_token;

  server = kvb_test_server_new (handler, &script);
  cloud = kvb_test_server_new_cloud (server, TRUE);
  vault = kvb_test_server_dup_vault_url (server, "test");
  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred), vault, &error);
  g_assert_no_error (error);

  kvb_keyvault_client_list_async (client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, NULL, NULL,
                                  list_cb, r);
  kvb_test_wait (&r->done, 30);

  *server_out = server;
  *cred_out = cred;
}

static guint
count_with_token (KvbTestServer *server)
{
  GPtrArray *requests = kvb_test_server_get_requests (server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    if (((KvbTestRequest *)requests->pdata[i])->authorization != NULL)
      n++;
  return n;
}

static void
test_challenge_accepted (void)
{
  g_autoptr(KvbTestServer) server = NULL;
  g_autoptr(KvbTestCredential) cred = NULL;
  Result r = { 0 };
  GPtrArray *requests;
  KvbTestRequest *first, *second;

  run_list ("Bearer authorization=\"https://127.0.0.1:PORT/72f988bf-86f1-41af-91ab-2d7cd011db47\", "
            "resource=\"https://vault.localhost\"", FALSE, &server, &cred, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);

  requests = kvb_test_server_get_requests (server);
  g_assert_cmpuint (requests->len, ==, 2);
  first = requests->pdata[0];
  second = requests->pdata[1];
  g_assert_null (first->authorization);
  g_assert_cmpstr (second->authorization, ==, "Bearer " TOKEN);
  g_assert_true (g_str_has_prefix (second->user_agent, "KeyVaultBackup/"));
  g_assert_nonnull (strstr (second->query, "api-version=7.6"));

  /* The token was asked for the challenge's resource and tenant. */
  g_assert_cmpstr (kvb_test_credential_get_last_scope (cred), ==, "https://vault.localhost/.default");
  g_assert_cmpstr (kvb_test_credential_get_last_tenant (cred), ==,
                   "72f988bf-86f1-41af-91ab-2d7cd011db47");
  result_clear (&r);
}

static void
test_challenge_scope (void)
{
  g_autoptr(KvbTestServer) server = NULL;
  g_autoptr(KvbTestCredential) cred = NULL;
  Result r = { 0 };

  /* Unquoted values and a scope instead of a resource, as some SDKs accept. */
  run_list ("Bearer authorization=https://127.0.0.1:PORT/tenant-b, "
            "scope=\"https://vault.localhost/.default\"", FALSE, &server, &cred, &r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (kvb_test_credential_get_last_scope (cred), ==, "https://vault.localhost/.default");
  g_assert_cmpstr (kvb_test_credential_get_last_tenant (cred), ==, "tenant-b");
  result_clear (&r);
}

/* The scope is rebuilt from the resource's host: a scheme in capitals (found by the fuzz target
 * of the challenge) or a trailing slash give the same scope. */
static void
test_challenge_scope_canonical (void)
{
  static const char * const resources[] = {
    "resource=\"Https://VAULT.localhost\"",
    "resource=\"https://vault.localhost/\"",
    "resource=\"https://vault.localhost:443\"",
    "scope=\"HTTPS://vault.localhost/.default\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (resources); i++)
    {
      g_autoptr(KvbTestServer) server = NULL;
      g_autoptr(KvbTestCredential) cred = NULL;
      g_autofree char *challenge = g_strconcat ("Bearer authorization=\"https://127.0.0.1:PORT/t\", ",
                                                resources[i], NULL);
      Result r = { 0 };

      run_list (challenge, FALSE, &server, &cred, &r);
      g_assert_no_error (r.error);
      g_assert_cmpstr (kvb_test_credential_get_last_scope (cred), ==,
                       "https://vault.localhost/.default");
      result_clear (&r);
    }
}

static void
assert_rejected (const char *challenge)
{
  g_autoptr(KvbTestServer) server = NULL;
  g_autoptr(KvbTestCredential) cred = NULL;
  Result r = { 0 };

  run_list (challenge, FALSE, &server, &cred, &r);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED);
  g_assert_nonnull (strstr (r.error->message, "No credentials were sent"));
  /* No token was even obtained, let alone sent. */
  g_assert_cmpuint (kvb_test_credential_get_n_calls (cred), ==, 0);
  g_assert_cmpuint (count_with_token (server), ==, 0);
  g_assert_cmpuint (kvb_test_server_get_requests (server)->len, ==, 1);
  result_clear (&r);
}

static void
test_challenge_other_resource (void)
{
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://evil.localhost\"");
  /* A host that only ends with the same letters is not a dot-suffix. */
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://ault.localhost\"");
  /* A resource the vault host is under, but that is not a vault domain of the cloud. */
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://localhost\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"http://vault.localhost\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\"");
  /* Anything besides the host would have gone to the authority verbatim in the scope. */
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://user@vault.localhost\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://vault.localhost:8443\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://vault.localhost/other\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://vault.localhost?x=1\"");
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:PORT/tenant\", "
                   "scope=\"https://vault.localhost/.default https://management.localhost/.default\"");
}

static void
test_challenge_other_authority (void)
{
  assert_rejected ("Bearer authorization=\"https://login.evil.example/tenant\", "
                   "resource=\"https://vault.localhost\"");
  /* Same host, another port: another service. */
  assert_rejected ("Bearer authorization=\"https://127.0.0.1:1/tenant\", "
                   "resource=\"https://vault.localhost\"");
  assert_rejected ("Bearer authorization=\"http://127.0.0.1:PORT/tenant\", "
                   "resource=\"https://vault.localhost\"");
  assert_rejected ("Bearer resource=\"https://vault.localhost\"");
  assert_rejected ("Basic realm=\"x\"");
}

static void
test_challenge_not_a_vault (void)
{
  static Script script = { (char *)"Bearer authorization=\"https://127.0.0.1:PORT/t\", "
                           "resource=\"https://vault.localhost\"", FALSE };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (handler, &script);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbTestCredential) cred = kvb_test_credential_new (TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autofree char *url = g_strdup_printf ("%s/secrets?api-version=7.6",
                                          kvb_test_server_get_url (server));
  Result r = { 0 };

  g_assert_true (kvb_pipeline_add_cloud (pipeline, cloud, NULL));

  /* The client refuses a vault address outside the cloud's suffix… */
  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred),
                                    "https://test.vault.azure.net/", &error);
  g_assert_null (client);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);

  /* …and the pipeline sends nothing at all, not even the challenge request. */
  kvb_pipeline_send_async (pipeline, cloud, KVB_CREDENTIAL (cred), "GET", url, NULL,
                           KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 10, NULL, send_cb, &r);
  kvb_test_wait (&r.done, 30);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED);
  g_assert_cmpuint (kvb_test_server_get_requests (server)->len, ==, 0);
  g_assert_cmpuint (kvb_test_credential_get_n_calls (cred), ==, 0);
  result_clear (&r);
}

static void
test_challenge_token_refused (void)
{
  g_autoptr(KvbTestServer) server = NULL;
  g_autoptr(KvbTestCredential) cred = NULL;
  Result r = { 0 };

  /* A token that the vault refuses: one new challenge, one new token, then give up. */
  run_list ("Bearer authorization=\"https://127.0.0.1:PORT/t\", resource=\"https://vault.localhost\"",
            TRUE, &server, &cred, &r);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (kvb_test_server_get_requests (server)->len, ==, 3);
  g_assert_cmpuint (count_with_token (server), ==, 2);
  g_assert_cmpuint (kvb_test_credential_get_n_invalidations (cred), ==, 1);
  result_clear (&r);
}

static void
test_challenge_body_held_back (void)
{
  static Script script = { (char *)"Bearer authorization=\"https://127.0.0.1:PORT/t\", "
                           "resource=\"https://vault.localhost\"", FALSE };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (handler, &script);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbTestCredential) cred = kvb_test_credential_new (TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autofree char *vault = kvb_test_server_dup_vault_url (server, "test");
  g_autoptr(GBytes) blob = g_bytes_new_static ("\x29" "AzureKeyVaultSecretBackupV1.microsoft.com"
                                               "eyJ0ZXN0Ijp0cnVlfQ", 60);
  GPtrArray *requests;
  KvbTestRequest *probe, *real;
  Result r = { 0 };

  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred), vault, &error);
  g_assert_no_error (error);
  kvb_keyvault_client_restore_async (client, KVB_OBJECT_KIND_SECRET, blob, NULL, restore_cb, &r);
  kvb_test_wait (&r.done, 30);
  g_assert_no_error (r.error);
  g_assert_cmpstr (kvb_object_info_get_name (r.info), ==, "restored");

  /* The blob only goes out with the token, after the challenge was checked. */
  requests = kvb_test_server_get_requests (server);
  g_assert_cmpuint (requests->len, ==, 2);
  probe = requests->pdata[0];
  real = requests->pdata[1];
  g_assert_null (probe->authorization);
  g_assert_cmpuint (g_bytes_get_size (probe->body), ==, 0);
  g_assert_nonnull (real->authorization);
  g_assert_cmpuint (g_bytes_get_size (real->body), >, 60);
  result_clear (&r);
}

static void
count_handler (KvbTestServer     *server,
               SoupServerMessage *msg,
               const char        *path,
               guint              n,
               gpointer           user_data)
{
  kvb_test_reply_json (msg, 200, "{\"value\":[],\"nextLink\":null}", NULL, NULL);
}

/* A vault that answers with a redirect to another host (another port here: another service)
 * does not get followed, neither with the token nor without it. */
static void
test_redirect_not_followed (void)
{
  static const guint statuses[] = { 301, 302, 303, 307, 308 };
  g_autoptr(KvbTestServer) elsewhere = kvb_test_server_new (count_handler, NULL);
  g_autofree char *other_port = g_strdup_printf ("%s/secrets?api-version=7.6",
                                                 kvb_test_server_get_url (elsewhere));
  g_autofree char *other_vault = kvb_test_server_dup_vault_url (elsewhere, "other");
  const char *targets[] = { other_port, other_vault };

  for (guint probe = 0; probe < 2; probe++)
    for (guint t = 0; t < G_N_ELEMENTS (targets); t++)
      for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
        {
          Script script = {
            (char *)"Bearer authorization=\"https://127.0.0.1:PORT/t\", resource=\"https://vault.localhost\"",
            FALSE, statuses[i], targets[t], probe,
          };
          g_autoptr(KvbTestServer) server = kvb_test_server_new (handler, &script);
          g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
          g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
          g_autoptr(KvbTestCredential) cred = kvb_test_credential_new (TOKEN);
          g_autoptr(KvbKeyVaultClient) client = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *vault = kvb_test_server_dup_vault_url (server, "test");
          Result r = { 0 };

          client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred), vault, &error);
          g_assert_no_error (error);
          kvb_keyvault_client_list_async (client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, NULL, NULL,
                                          list_cb, &r);
          kvb_test_wait (&r.done, 30);

          /* The list fails; the other host heard nothing; the vault saw the token at most once. */
          g_assert_false (r.ok);
          g_assert_nonnull (r.error);
          g_assert_cmpuint (kvb_test_server_get_requests (elsewhere)->len, ==, 0);
          g_assert_cmpuint (count_with_token (server), ==, probe ? 0 : 1);
          if (probe)
            g_assert_cmpuint (kvb_test_credential_get_n_calls (cred), ==, 0);
          result_clear (&r);
        }
}

typedef struct
{
  guint status;
  const char *to;
} Redirect;

static void
redirect_handler (KvbTestServer     *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  guint              n,
                  gpointer           user_data)
{
  Redirect *redirect = user_data;

  soup_server_message_set_redirect (msg, redirect->status, redirect->to);
}

static void
entra_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Result *r = user_data;
  g_autoptr(JsonObject) response = kvb_entra_client_request_token_finish (KVB_PIPELINE (source),
                                                                          result, &r->error);

  r->ok = response != NULL;
  r->done = TRUE;
}

/* Entra ID's token endpoint answering with a redirect to another host: not followed, so the
 * client secret goes nowhere else (307 and 308 would re-send it; 301, 302 and 303 would go on
 * without it). */
static void
test_entra_redirect_not_followed (void)
{
  static const guint statuses[] = { 301, 302, 303, 307, 308 };
  g_autoptr(KvbTestServer) elsewhere = kvb_test_server_new (count_handler, NULL);
  g_autofree char *target = g_strdup_printf ("%s/t/oauth2/v2.0/token",
                                             kvb_test_server_get_url (elsewhere));

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      Redirect redirect = { statuses[i], target };
      g_autoptr(KvbTestServer) authority = kvb_test_server_new (redirect_handler, &redirect);
      g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (authority, TRUE);
      g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
      g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
      Result r = { 0 };

      g_assert_true (kvb_pipeline_add_cloud (pipeline, cloud, NULL));
      g_hash_table_insert (form, (char *) "grant_type", (char *) "client_credentials");
      g_hash_table_insert (form, (char *) "client_id", (char *) "00000000-0000-0000-0000-000000000001");
      g_hash_table_insert (form, (char *) "client_secret", (char *) "a-client-secret");
      g_hash_table_insert (form, (char *) "scope", (char *) "https://vault.localhost/.default");
      kvb_entra_client_request_token_async (pipeline, cloud, "t", form, NULL, entra_cb, &r);
      kvb_test_wait (&r.done, 30);

      g_assert_false (r.ok);
      g_assert_nonnull (r.error);
      g_assert_cmpuint (kvb_test_server_get_requests (authority)->len, ==, 1);
      g_assert_cmpuint (kvb_test_server_get_requests (elsewhere)->len, ==, 0);
      result_clear (&r);
    }
}

static void
test_tls_untrusted (void)
{
  static Script script = { (char *)"Bearer authorization=\"https://127.0.0.1:PORT/t\", "
                           "resource=\"https://vault.localhost\"", FALSE };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (handler, &script);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, FALSE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbTestCredential) cred = kvb_test_credential_new (TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autofree char *vault = kvb_test_server_dup_vault_url (server, "test");
  Result r = { 0 };

  /* Without the profile's CA the self-signed test certificate is not trusted. */
  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred), vault, &error);
  g_assert_no_error (error);
  kvb_keyvault_client_list_async (client, KVB_OBJECT_KIND_KEY, FALSE, NULL, NULL, NULL, list_cb, &r);
  kvb_test_wait (&r.done, 30);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_NETWORK);
  g_assert_nonnull (strstr (r.error->message, "not trusted"));
  g_assert_cmpuint (kvb_test_server_get_requests (server)->len, ==, 0);
  g_assert_cmpuint (kvb_test_credential_get_n_calls (cred), ==, 0);
  result_clear (&r);
}

static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      g_string_append_printf (captured_log, "%s\n", (const char *)fields[i].value);

  /* Debug messages are only captured: GLib prints them on stdout, which is the TAP stream. */
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Every debug message of a run with a token: the token never appears in any of them. */
static void
test_no_token_in_log (void)
{
  g_autoptr(KvbTestServer) server = NULL;
  g_autoptr(KvbTestCredential) cred = NULL;
  Result r = { 0 };

  run_list ("Bearer authorization=\"https://127.0.0.1:PORT/t\", resource=\"https://vault.localhost\"",
            TRUE, &server, &cred, &r);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (count_with_token (server), >, 0);
  g_assert_nonnull (strstr (captured_log->str, "GET /secrets"));
  g_assert_null (strstr (captured_log->str, TOKEN));
  g_assert_null (strstr (captured_log->str, "0123456789"));
  result_clear (&r);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* All debug messages are produced (and captured) whatever the environment says. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/challenge/accepted", test_challenge_accepted);
  g_test_add_func ("/challenge/scope", test_challenge_scope);
  g_test_add_func ("/challenge/scope-canonical", test_challenge_scope_canonical);
  g_test_add_func ("/challenge/other-resource", test_challenge_other_resource);
  g_test_add_func ("/challenge/other-authority", test_challenge_other_authority);
  g_test_add_func ("/challenge/not-a-vault", test_challenge_not_a_vault);
  g_test_add_func ("/challenge/token-refused", test_challenge_token_refused);
  g_test_add_func ("/challenge/body-held-back", test_challenge_body_held_back);
  g_test_add_func ("/challenge/redirect-not-followed", test_redirect_not_followed);
  g_test_add_func ("/entra/redirect-not-followed", test_entra_redirect_not_followed);
  g_test_add_func ("/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/log/no-token", test_no_token_in_log);

  return g_test_run ();
}
