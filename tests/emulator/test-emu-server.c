/* The stand-in's server side: start-up line and clean stop of the executable, TLS with the generated
 * CA (and refused without it), the CONNECT proxy with real host names, the knobs (throttle, faults,
 * latency), bad input and the request log. */
#define G_LOG_DOMAIN "test-emu-server"
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kvb-emulator.h"

#define TENANT "8c6d9f3e-2b1a-4c5d-9e7f-0a1b2c3d4e5f"
#define SP_CLIENT "9b7d5f3a-2c4e-4a6b-8d1f-3e5a7c9b1d2f"
#define PROD_SUB "3f2b8c1d-6e4a-4b9f-8d7c-5a1e2f3b4c6d"

typedef struct {
  KvbEmulator *emu;
  SoupSession *session;        /* trusts the stand-in's CA */
  char *state_dir;
  char *log_file;
  JsonObject *info;
} Fixture;

static SoupSession *
new_session (const char *ca_file, const char *proxy_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = ca_file ? g_tls_file_database_new (ca_file, &error) : NULL;
  SoupSession *s;

  g_assert_no_error (error);
  s = soup_session_new_with_options ("timeout", 30, NULL);
  if (db != NULL)
    soup_session_set_tls_database (s, db);
  if (proxy_url != NULL)
    {
      g_autoptr(GProxyResolver) r = g_simple_proxy_resolver_new (proxy_url, NULL);
      soup_session_set_proxy_resolver (s, r);
    }
  else
    {
      /* never the environment's proxy */
      g_autoptr(GProxyResolver) r = g_simple_proxy_resolver_new (NULL, NULL);
      soup_session_set_proxy_resolver (s, r);
    }
  return s;
}

static void
fixture_start (Fixture *f, gboolean with_proxy)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *info = NULL;
  g_autoptr(JsonParser) p = json_parser_new ();

  f->state_dir = g_dir_make_tmp ("kvb-emu-server-XXXXXX", &error);
  g_assert_no_error (error);
  f->log_file = g_build_filename (f->state_dir, "requests.jsonl", NULL);
  kvb_emulator_set_state_dir (f->emu, f->state_dir);
  kvb_emulator_set_log_file (f->emu, f->log_file);
  kvb_emulator_set_proxy_enabled (f->emu, with_proxy);
  g_assert_true (kvb_emulator_start (f->emu, &error));
  g_assert_no_error (error);
  info = kvb_emulator_dup_info_json (f->emu);
  g_assert_true (json_parser_load_from_data (p, info, -1, NULL));
  f->info = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  f->session = new_session (kvb_emulator_get_ca_file (f->emu), NULL);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->emu = kvb_emulator_new ();
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->emu)
    kvb_emulator_stop (f->emu);
  g_clear_object (&f->emu);
  g_clear_object (&f->session);
  g_clear_pointer (&f->info, json_object_unref);
  if (f->state_dir)
    rm_rf (f->state_dir);
  g_free (f->state_dir);
  g_free (f->log_file);
}

/* Sends a request; returns the body (never NULL on success), sets *status and the message. */
static GBytes *
send (SoupSession *s, const char *method, const char *url, const char *content_type, const char *body,
      gsize body_len, const char *bearer, SoupMessage **out_msg, GError **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  GBytes *res;

  g_assert_nonnull (msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, body_len ? body_len : strlen (body));
      soup_message_set_request_body_from_bytes (msg, content_type, b);
    }
  if (bearer != NULL)
    {
      g_autofree char *h = g_strdup_printf ("Bearer %s", bearer);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", h);
    }
  res = soup_session_send_and_read (s, msg, NULL, error);
  if (out_msg)
    *out_msg = g_object_ref (msg);
  return res;
}

static JsonObject *
parse_object (GBytes *b)
{
  g_autoptr(JsonParser) p = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (b, &len);
  g_assert_true (json_parser_load_from_data (p, data, len, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

static void
assert_error_envelope (GBytes *b, const char *code)
{
  g_autoptr(JsonObject) o = parse_object (b);
  JsonObject *err;
  g_assert_true (json_object_has_member (o, "error"));
  err = json_object_get_object_member (o, "error");
  g_assert_nonnull (err);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (err, "message"));
}

static char *
get_token (Fixture *f, const char *scope)
{
  g_autofree char *url = g_strdup_printf ("%s/%s/oauth2/v2.0/token", kvb_emulator_get_url (f->emu), TENANT);
  g_autofree char *esc = g_uri_escape_string (scope, NULL, FALSE);
  g_autofree char *secret = g_uri_escape_string (json_object_get_string_member (f->info, "client_secret"), NULL, FALSE);
  g_autofree char *form = g_strdup_printf ("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s",
                                           SP_CLIENT, secret, esc);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = send (f->session, "POST", url, "application/x-www-form-urlencoded", form, 0, NULL,
                              &msg, &error);
  g_autoptr(JsonObject) o = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  o = parse_object (b);
  return g_strdup (json_object_get_string_member (o, "access_token"));
}

/* ---- tests ---- */

static void
test_tls_verified (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(SoupSession) untrusting = NULL;
  g_autoptr(JsonObject) o = NULL;

  fixture_start (f, FALSE);
  g_assert_true (g_str_has_prefix (kvb_emulator_get_url (f->emu), "https://127.0.0.1:"));
  g_assert_null (kvb_emulator_get_proxy_url (f->emu));
  g_assert_true (g_file_test (kvb_emulator_get_ca_file (f->emu), G_FILE_TEST_EXISTS));
  url = g_strdup_printf ("%s/%s/v2.0/.well-known/openid-configuration", kvb_emulator_get_url (f->emu), TENANT);
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  o = parse_object (b);
  /* endpoints are absolute on the host the client used */
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "token_endpoint"), kvb_emulator_get_url (f->emu)));
  g_clear_object (&msg);
  g_clear_pointer (&b, g_bytes_unref);

  /* A client that does not trust the test CA is refused. */
  untrusting = new_session (NULL, NULL);
  b = send (untrusting, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_null (b);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);

  /* The private state folder holds the CA and the service principal's certificate, mode 0600. */
  {
    GStatBuf st;
    const char *cc = json_object_get_string_member (f->info, "client_certificate");
    g_autofree char *pem = NULL;
    g_assert_nonnull (cc);
    g_assert_cmpint (g_stat (cc, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_true (g_file_get_contents (cc, &pem, NULL, NULL));
    g_assert_nonnull (strstr (pem, "BEGIN CERTIFICATE"));
    g_assert_nonnull (strstr (pem, "PRIVATE KEY"));
  }
}

static void
test_direct_vault_host (Fixture *f, gconstpointer data)
{
  /* GLib resolves *.localhost to loopback, so the sample cloud's vault URLs work directly. */
  guint port;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;
  const char *challenge;
  g_autofree char *expect = NULL;

  fixture_start (f, FALSE);
  port = atoi (strrchr (kvb_emulator_get_url (f->emu), ':') + 1);
  url = g_strdup_printf ("https://contoso-prod-kv.vault.localhost:%u/secrets?api-version=7.4", port);
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  assert_error_envelope (b, "Unauthorized");
  challenge = soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate");
  expect = g_strdup_printf ("Bearer authorization=\"%s/%s\", resource=\"https://vault.localhost\"",
                            kvb_emulator_get_url (f->emu), TENANT);
  g_assert_cmpstr (challenge, ==, expect);
}

static void
test_proxy_real_names (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupSession) via = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(JsonObject) o = NULL;
  g_autofree char *arm_token = NULL, *kv_token = NULL;
  JsonArray *value;

  fixture_start (f, TRUE);
  g_assert_true (g_str_has_prefix (kvb_emulator_get_proxy_url (f->emu), "http://127.0.0.1:"));
  via = new_session (kvb_emulator_get_ca_file (f->emu), kvb_emulator_get_proxy_url (f->emu));

  /* Entra ID at its real name */
  b = send (via, "GET", "https://login.microsoftonline.com/" TENANT "/v2.0/.well-known/openid-configuration",
            NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  o = parse_object (b);
  g_assert_cmpstr (json_object_get_string_member (o, "token_endpoint"), ==,
                   "https://login.microsoftonline.com/" TENANT "/oauth2/v2.0/token");
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);

  /* Key Vault at its real name: the challenge names the real authority and resource */
  b = send (via, "GET", "https://contoso-prod-kv.vault.azure.net/secrets?api-version=7.4", NULL, NULL, 0, NULL,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate"), ==,
                   "Bearer authorization=\"https://login.microsoftonline.com/" TENANT "\", resource=\"https://vault.azure.net\"");
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);

  /* Resource Manager at its real name: vaultUri uses the real vault names */
  arm_token = get_token (f, "https://management.azure.com/.default");
  b = send (via, "GET", "https://management.azure.com/subscriptions/" PROD_SUB
            "/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01", NULL, NULL, 0, arm_token, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  o = parse_object (b);
  value = json_object_get_array_member (o, "value");
  g_assert_cmpuint (json_array_get_length (value), >, 0);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (
                   json_object_get_object_member (json_array_get_object_element (value, 0), "properties"), "vaultUri"),
                 ".vault.azure.net/"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "nextLink"), "https://management.azure.com/"));
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);

  /* An ARM token is refused by Key Vault; a Key Vault token is accepted */
  b = send (via, "GET", "https://contoso-prod-kv.vault.azure.net/secrets?api-version=7.4", NULL, NULL, 0, arm_token,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);
  kv_token = get_token (f, "https://vault.azure.net/.default");
  b = send (via, "GET", "https://contoso-prod-kv.vault.azure.net/secrets?api-version=7.4", NULL, NULL, 0, kv_token,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), !=, 401);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);

  /* The sovereign clouds' names: their own authority and resource in the challenge, their own vault
   * suffix in Resource Manager. */
  b = send (via, "GET", "https://contoso-prod-kv.vault.azure.cn/secrets?api-version=7.4", NULL, NULL, 0, NULL,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate"), ==,
                   "Bearer authorization=\"https://login.chinacloudapi.cn/" TENANT "\", resource=\"https://vault.azure.cn\"");
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);
  b = send (via, "GET", "https://contoso-prod-kv.vault.usgovcloudapi.net/secrets?api-version=7.4", NULL, NULL, 0, NULL,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate"), ==,
                   "Bearer authorization=\"https://login.microsoftonline.us/" TENANT "\", resource=\"https://vault.usgovcloudapi.net\"");
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);
  b = send (via, "GET", "https://management.chinacloudapi.cn/subscriptions/" PROD_SUB
            "/resourceGroups/rg-prod-security/providers/Microsoft.KeyVault/vaults/contoso-prod-kv?api-version=2023-07-01",
            NULL, NULL, 0, arm_token, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  o = parse_object (b);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "properties"), "vaultUri"), ==,
                   "https://contoso-prod-kv.vault.azure.cn/");
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);

  /* A Key Vault token is refused by Resource Manager */
  b = send (via, "GET", "https://management.azure.com/subscriptions?api-version=2022-12-01", NULL, NULL, 0, kv_token,
            &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  assert_error_envelope (b, "InvalidAuthenticationTokenAudience");
}

static void
test_throttle (Fixture *f, gconstpointer data)
{
  guint port;
  g_autofree char *url = NULL;
  guint n429 = 0, n401 = 0;

  kvb_emulator_set_throttle (f->emu, 5, 30);
  fixture_start (f, FALSE);
  port = atoi (strrchr (kvb_emulator_get_url (f->emu), ':') + 1);
  url = g_strdup_printf ("https://contoso-dev-kv.vault.localhost:%u/secrets?api-version=7.4", port);
  for (int i = 0; i < 8; i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
      g_assert_no_error (error);
      if (soup_message_get_status (msg) == 429)
        {
          const char *ra = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
          n429++;
          assert_error_envelope (b, "Throttled");
          g_assert_nonnull (ra);
          g_assert_cmpint (atoi (ra), >=, 1);
          g_assert_cmpint (atoi (ra), <=, 30);
        }
      else if (soup_message_get_status (msg) == 401)
        n401++;
    }
  g_assert_cmpuint (n401, ==, 5);
  g_assert_cmpuint (n429, ==, 3);

  /* The limit is per vault: another vault still answers. */
  {
    g_autofree char *other = g_strdup_printf ("https://contoso-prod-kv.vault.localhost:%u/secrets?api-version=7.4", port);
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = send (f->session, "GET", other, NULL, NULL, 0, NULL, &msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  }
}

static void
test_fault_5xx (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;

  kvb_emulator_set_fault_rates (f->emu, 1.0, 0.0);
  fixture_start (f, FALSE);
  url = g_strdup_printf ("%s/subscriptions?api-version=2022-12-01", kvb_emulator_get_url (f->emu));
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
  assert_error_envelope (b, "ServiceUnavailable");
}

static void
test_fault_drop (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;

  kvb_emulator_set_fault_rates (f->emu, 0.0, 1.0);
  fixture_start (f, FALSE);
  url = g_strdup_printf ("%s/subscriptions?api-version=2022-12-01", kvb_emulator_get_url (f->emu));
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_null (b);
  g_assert_nonnull (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 0);
}

static void
test_latency (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;
  gint64 t0;

  kvb_emulator_set_latency_ms (f->emu, 400);
  fixture_start (f, FALSE);
  url = g_strdup_printf ("%s/common/discovery/instance?api-version=1.1", kvb_emulator_get_url (f->emu));
  /* first request also pays for the TLS handshake; time the second */
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_object (&msg);
  t0 = g_get_monotonic_time ();
  b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 400 * 1000);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  const char *base;
  guint port;
  g_autofree char *token = NULL, *arm = NULL;

  fixture_start (f, FALSE);
  base = kvb_emulator_get_url (f->emu);
  port = atoi (strrchr (base, ':') + 1);
  token = get_token (f, "https://vault.localhost/.default");
  arm = get_token (f, "https://management.core.windows.net//.default");

  struct { const char *method; const char *path; const char *ctype; const char *body; gboolean vault;
           guint status; const char *code; } cases[] = {
    { "GET", "/no/such/path", NULL, NULL, FALSE, 404, "NotFound" },
    { "GET", "/subscriptions", NULL, NULL, FALSE, 400, "MissingApiVersionParameter" },
    { "GET", "/subscriptions?api-version=banana", NULL, NULL, FALSE, 400, "InvalidApiVersionParameter" },
    { "DELETE", "/subscriptions?api-version=2022-12-01", NULL, NULL, FALSE, 405, "MethodNotAllowed" },
    { "GET", "/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01", NULL, NULL, FALSE, 404,
      "SubscriptionNotFound" },
    { "GET", "/subscriptions/" PROD_SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/nope?api-version=2023-07-01",
      NULL, NULL, FALSE, 404, "ResourceNotFound" },
    { "POST", "/_emulator/devicecode/approve", "application/json", "{not json", FALSE, 400, "BadParameter" },
    { "GET", "/_emulator/devicecode/approve", NULL, NULL, FALSE, 405, "MethodNotAllowed" },
    { "PUT", "/secrets/x?api-version=7.4", "application/json", "{\"value\": ", TRUE, 400, NULL },
    { "PUT", "/secrets/x?api-version=1999-01-01", "application/json", "{\"value\":\"v\"}", TRUE, 400, NULL },
    { "PATCH", "/nothing-here?api-version=7.4", "application/json", "{}", TRUE, 0, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = cases[i].vault
        ? g_strdup_printf ("https://contoso-dev-kv.vault.localhost:%u%s", port, cases[i].path)
        : g_strconcat (base, cases[i].path, NULL);
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = send (f->session, cases[i].method, url, cases[i].ctype, cases[i].body, 0,
                                  cases[i].vault ? token : g_str_has_prefix (cases[i].path, "/subscriptions") ? arm : NULL,
                                  &msg, &error);
      g_autoptr(JsonObject) o = NULL;
      g_test_message ("%s %s -> %u", cases[i].method, cases[i].path, soup_message_get_status (msg));
      g_assert_no_error (error);
      if (cases[i].status != 0)
        g_assert_cmpuint (soup_message_get_status (msg), ==, cases[i].status);
      else
        g_assert_cmpuint (soup_message_get_status (msg), >=, 400);
      g_assert_cmpuint (soup_message_get_status (msg), <, 500);
      /* always the real envelope */
      o = parse_object (b);
      g_assert_true (json_object_has_member (o, "error"));
      if (cases[i].code != NULL)
        assert_error_envelope (b, cases[i].code);
    }

  /* A body over the 32 MiB limit for Key Vault: refused with the envelope, and the server lives on. */
  {
    gsize big = 32 * 1024 * 1024 + 100;
    g_autofree char *body = g_malloc (big + 1);
    g_autofree char *url = g_strdup_printf ("https://contoso-dev-kv.vault.localhost:%u/secrets/big?api-version=7.4", port);
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = NULL;
    memset (body, 'a', big);
    memcpy (body, "{\"value\":\"", 10);
    memcpy (body + big - 2, "\"}", 2);
    body[big] = '\0';
    b = send (f->session, "PUT", url, "application/json", body, big, token, &msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 413);
    assert_error_envelope (b, "RequestEntityTooLarge");
  }
  /* Entra ID errors have Entra's shape. */
  {
    g_autofree char *url = g_strdup_printf ("%s/%s/oauth2/v2.0/token", base, TENANT);
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
    g_autoptr(JsonObject) o = NULL;
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 405);
    o = parse_object (b);
    g_assert_cmpstr (json_object_get_string_member (o, "error"), ==, "invalid_request");
    g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "error_description"), "AADSTS"));
  }
  {
    g_autofree char *url = g_strdup_printf ("%s/%s/oauth2/v2.0/token", base, TENANT);
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = send (f->session, "POST", url, "application/x-www-form-urlencoded", "%%%&&==&grant_type",
                                0, NULL, &msg, &error);
    g_autoptr(JsonObject) o = NULL;
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 400);
    o = parse_object (b);
    g_assert_true (json_object_has_member (o, "error_codes"));
  }
}

static void
test_request_log (Fixture *f, gconstpointer data)
{
  g_autofree char *token = NULL, *log = NULL, *url = NULL;
  const char *secret;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  fixture_start (f, FALSE);
  secret = json_object_get_string_member (f->info, "client_secret");
  token = get_token (f, "https://management.azure.com/.default");
  url = g_strdup_printf ("%s/subscriptions?api-version=2022-12-01&code=SECRETCODE123&refresh_token=RT-SECRET-456",
                         kvb_emulator_get_url (f->emu));
  {
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = send (f->session, "GET", url, NULL, NULL, 0, token, &msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }
  /* the line is written once the response has gone out, which may be just after the client has it */
  for (int tries = 0; tries < 100; tries++)
    {
      g_clear_pointer (&log, g_free);
      g_assert_true (g_file_get_contents (f->log_file, &log, NULL, NULL));
      if (strstr (log, "\"/subscriptions\"") != NULL)
        break;
      g_usleep (50 * 1000);
    }
  /* nothing secret */
  g_assert_null (strstr (log, secret));
  g_assert_null (strstr (log, token));
  g_assert_null (strstr (log, "SECRETCODE123"));
  g_assert_null (strstr (log, "RT-SECRET-456"));
  /* but what happened, one JSON object per line */
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) p = json_parser_new ();
      JsonObject *o;
      if (*lines[i] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (p, lines[i], -1, NULL));
      o = json_node_get_object (json_parser_get_root (p));
      g_assert_true (json_object_has_member (o, "method"));
      g_assert_true (json_object_has_member (o, "host"));
      g_assert_true (json_object_has_member (o, "query"));
      g_assert_true (json_object_has_member (o, "duration_us"));
      g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "duration_us")), ==, G_TYPE_INT64);
      if (g_strcmp0 (json_object_get_string_member (o, "path"), "/subscriptions") == 0)
        {
          JsonObject *q = json_object_get_object_member (o, "query");
          g_assert_cmpint (json_object_get_int_member (o, "status"), ==, 200);
          g_assert_cmpstr (json_object_get_string_member (q, "api-version"), ==, "2022-12-01");
          g_assert_cmpstr (json_object_get_string_member (q, "code"), ==, "***");
          n++;
        }
    }
  g_assert_cmpuint (n, ==, 1);

  /* the same log over the test-control endpoint */
  {
    g_autofree char *u = g_strdup_printf ("%s/_emulator/requests", kvb_emulator_get_url (f->emu));
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = send (f->session, "GET", u, NULL, NULL, 0, NULL, &msg, &error);
    g_autoptr(JsonParser) p = json_parser_new ();
    g_autofree char *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
    g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (p)));
    g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (p))), >=, 2);
    g_assert_null (strstr (text, secret));
    g_assert_null (strstr (text, "SECRETCODE123"));
  }
}

static void
test_executable (void)
{
  const char *build = g_getenv ("KVB_BUILD_ROOT");
  g_autofree char *exe = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(JsonParser) p = json_parser_new ();
  JsonObject *o;
  g_autofree char *ca_dir = NULL;
  g_autofree char *rest = NULL;

  if (build == NULL)
    {
      g_test_skip ("KVB_BUILD_ROOT is not set");
      return;
    }
  exe = g_build_filename (build, "src", "emulator", "kvb-emulator", NULL);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, exe, "--throttle", "100/10",
                           "--token-lifetime", "120", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (json_parser_load_from_data (p, line, -1, NULL));
  o = json_node_get_object (json_parser_get_root (p));
  for (const char *const *k = (const char *const[]) { "url", "proxy", "ca", "tenant", "client_id", "client_secret",
                                                      "client_certificate", "vault_suffix", "user", NULL }; *k; k++)
    g_assert_true (json_object_has_member (o, *k));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "url"), "https://127.0.0.1:"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "proxy"), "http://127.0.0.1:"));
  g_assert_cmpstr (json_object_get_string_member (o, "vault_suffix"), ==, "vault.localhost");
  g_assert_true (json_array_get_length (json_object_get_array_member (o, "public_client_ids")) >= 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "public_client_ids"), 0), ==,
                   "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
  g_assert_true (g_file_test (json_object_get_string_member (o, "ca"), G_FILE_TEST_EXISTS));
  ca_dir = g_path_get_dirname (json_object_get_string_member (o, "ca"));

  /* it answers while it runs */
  {
    g_autoptr(SoupSession) s = new_session (json_object_get_string_member (o, "ca"), NULL);
    g_autofree char *url = g_strdup_printf ("%s/common/discovery/instance", json_object_get_string_member (o, "url"));
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GBytes) b = send (s, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }

  /* SIGTERM: a clean stop, exit 0, its private folder removed, nothing more on stdout */
  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_false (g_file_test (ca_dir, G_FILE_TEST_EXISTS));
  rest = g_data_input_stream_read_line_utf8 (out, NULL, NULL, NULL);
  g_assert_null (rest);

  /* SIGINT too */
  g_clear_object (&proc);
  g_clear_object (&out);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, exe, "--no-proxy", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_free (line);
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "\"proxy\":null"));
  g_subprocess_send_signal (proc, SIGINT);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);

  /* bad options: exit 2 and a message, no start-up line */
  g_clear_object (&proc);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, exe,
                           "--throttle", "lots", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 2);
}

static int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
test_keep_alive_fast (Fixture *f, gconstpointer data)
{
  /* One connection, requests back to back, each answered in well under a delayed ACK (about
   * 40 ms): what a client stalled by Nagle's algorithm on either side would see. */
  g_autofree char *url = NULL;
  gint64 times[30];

  fixture_start (f, FALSE);
  url = g_strdup_printf ("%s/common/discovery/instance", kvb_emulator_get_url (f->emu));
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = NULL;
      gint64 t0 = g_get_monotonic_time ();
      b = send (f->session, "GET", url, NULL, NULL, 0, NULL, &msg, &error);
      times[i] = g_get_monotonic_time () - t0;
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    }
  qsort (times + 1, G_N_ELEMENTS (times) - 1, sizeof (gint64), cmp_gint64);   /* the first pays the handshake */
  g_test_message ("median %" G_GINT64_FORMAT " us", times[G_N_ELEMENTS (times) / 2]);
  g_assert_cmpint (times[G_N_ELEMENTS (times) / 2], <, 20 * 1000);
}

static void
test_restart_keeps_state_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *ca1 = NULL, *ca2 = NULL, *cc1 = NULL, *cc2 = NULL, *url1 = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  fixture_start (f, TRUE);
  g_assert_true (g_file_get_contents (kvb_emulator_get_ca_file (f->emu), &ca1, NULL, NULL));
  g_assert_true (g_file_get_contents (kvb_emulator_get_client_certificate_file (f->emu), &cc1, NULL, NULL));
  url1 = g_strdup (kvb_emulator_get_url (f->emu));
  port = atoi (strrchr (url1, ':') + 1);
  kvb_emulator_stop (f->emu);

  /* Started again on the port it had, in the same state folder: the same CA and certificate, so
   * trust set up once and a registered certificate survive a restart. */
  kvb_emulator_set_port (f->emu, port);
  g_assert_true (kvb_emulator_start (f->emu, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_emulator_get_url (f->emu), ==, url1);
  g_assert_true (g_file_get_contents (kvb_emulator_get_ca_file (f->emu), &ca2, NULL, NULL));
  g_assert_true (g_file_get_contents (kvb_emulator_get_client_certificate_file (f->emu), &cc2, NULL, NULL));
  g_assert_cmpstr (ca1, ==, ca2);
  g_assert_cmpstr (cc1, ==, cc2);
  {
    g_autofree char *u = g_strdup_printf ("%s/common/discovery/instance", url1);
    g_autoptr(SoupSession) s = new_session (kvb_emulator_get_ca_file (f->emu), NULL);
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GBytes) b = send (s, "GET", u, NULL, NULL, 0, NULL, &msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }

  /* A port in use is a start error, not a crash. */
  {
    g_autoptr(KvbEmulator) second = kvb_emulator_new ();
    kvb_emulator_set_port (second, port);
    kvb_emulator_set_proxy_enabled (second, FALSE);
    g_assert_false (kvb_emulator_start (second, &error));
    g_assert_nonnull (error);
  }
}

static void
test_stop_right_after_start (Fixture *f, gconstpointer data)
{
  /* A stop that comes as soon as the start has returned (a signal at start-up, a test that only
   * checks the start) must end the server's thread: a stop that came before the thread was
   * serving was once lost, and the stop waited for ever. */
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint n = 0;

  /* the fixture's folder, which teardown removes also when an assertion fails */
  f->state_dir = g_dir_make_tmp ("kvb-emu-restart-XXXXXX", &error);
  g_assert_no_error (error);
  kvb_emulator_set_state_dir (f->emu, f->state_dir);
  kvb_emulator_set_proxy_enabled (f->emu, FALSE);
  while (n < 200 && g_get_monotonic_time () - t0 < 3 * G_USEC_PER_SEC)
    {
      g_assert_true (kvb_emulator_start (f->emu, &error));
      g_assert_no_error (error);
      kvb_emulator_stop (f->emu);
      n++;
    }
  g_test_message ("%u starts and stops", n);
  g_assert_cmpuint (n, >=, 20);
}

static void
test_seed_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kvb-emu-seed-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "seed.json", NULL);

  g_assert_true (g_file_set_contents (path, "{\"tenants\": []}", -1, NULL));
  kvb_emulator_set_seed_file (f->emu, path);
  g_assert_false (kvb_emulator_start (f->emu, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "tenant"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "{not json", -1, NULL));
  g_assert_false (kvb_emulator_start (f->emu, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/emulator/server/tls-verified", Fixture, NULL, setup, test_tls_verified, teardown);
  g_test_add ("/emulator/server/direct-vault-host", Fixture, NULL, setup, test_direct_vault_host, teardown);
  g_test_add ("/emulator/server/proxy-real-names", Fixture, NULL, setup, test_proxy_real_names, teardown);
  g_test_add ("/emulator/server/throttle", Fixture, NULL, setup, test_throttle, teardown);
  g_test_add ("/emulator/server/fault-5xx", Fixture, NULL, setup, test_fault_5xx, teardown);
  g_test_add ("/emulator/server/fault-drop", Fixture, NULL, setup, test_fault_drop, teardown);
  g_test_add ("/emulator/server/latency", Fixture, NULL, setup, test_latency, teardown);
  g_test_add ("/emulator/server/bad-input", Fixture, NULL, setup, test_bad_input, teardown);
  g_test_add ("/emulator/server/request-log", Fixture, NULL, setup, test_request_log, teardown);
  g_test_add ("/emulator/server/keep-alive-fast", Fixture, NULL, setup, test_keep_alive_fast, teardown);
  g_test_add ("/emulator/server/restart-keeps-state-dir", Fixture, NULL, setup, test_restart_keeps_state_dir, teardown);
  g_test_add ("/emulator/server/stop-right-after-start", Fixture, NULL, setup, test_stop_right_after_start, teardown);
  g_test_add ("/emulator/server/seed-errors", Fixture, NULL, setup, test_seed_errors, teardown);
  g_test_add_func ("/emulator/server/executable", test_executable);
  return g_test_run ();
}
