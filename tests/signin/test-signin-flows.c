/* test-signin-flows.c: every sign-in flow end to end against the stand-in's Entra ID.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libsoup/soup.h>

#include "kvb-account-credential.h"
#include "kvb-account-store.h"
#include "kvb-browser-flow.h"
#include "kvb-client-assertion.h"
#include "kvb-device-code-flow.h"
#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-sign-in-settings.h"
#include "kvb-test-emulator.h"
#include "kvb-test-server.h"

#define DEFAULT_CLIENT "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

/* Everything logged, debug messages included (as with G_MESSAGES_DEBUG=all): searched for
 * secrets by the tests. */
static GString *logged;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") || g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      {
        if (fields[i].length < 0)
          g_string_append (logged, fields[i].value);
        else
          g_string_append_len (logged, fields[i].value, fields[i].length);
        g_string_append_c (logged, '\n');
      }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
assert_not_logged (const char *secret)
{
  g_assert_nonnull (secret);
  g_assert_cmpuint (strlen (secret), >=, 6);
  g_assert_null (strstr (logged->str, secret));
}

typedef struct
{
  KvbTestEmulator *emu;
  KvbCloud *cloud;
  KvbPipeline *pipeline;
} Fixture;

static gboolean
fixture_start (Fixture            *f,
               const char * const *args)
{
  g_autoptr(GError) error = NULL;

  f->emu = kvb_test_emulator_start_or_skip (args);
  if (f->emu == NULL)
    return FALSE;
  f->cloud = kvb_test_emulator_new_cloud (f->emu);
  f->pipeline = kvb_pipeline_new ();
  g_assert_true (kvb_pipeline_add_cloud (f->pipeline, f->cloud, &error));
  g_assert_no_error (error);
  return TRUE;
}

static void
fixture_stop (Fixture *f)
{
  g_clear_object (&f->pipeline);
  g_clear_object (&f->cloud);
  g_clear_pointer (&f->emu, kvb_test_emulator_stop);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* How many token-endpoint requests the stand-in has seen. */
static guint
count_requests (Fixture    *f,
                const char *path_suffix)
{
  g_autoptr(JsonNode) log = kvb_test_emulator_control (f->emu, "GET", "/_emulator/requests", NULL, NULL);
  JsonArray *entries = NULL;
  guint n = 0;

  g_assert_nonnull (log);
  if (JSON_NODE_HOLDS_ARRAY (log))
    entries = json_node_get_array (log);
  else if (JSON_NODE_HOLDS_OBJECT (log) && json_object_has_member (json_node_get_object (log), "requests"))
    entries = json_object_get_array_member (json_node_get_object (log), "requests");
  g_assert_nonnull (entries);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      if (g_str_has_suffix (json_object_get_string_member_with_default (e, "path", ""), path_suffix))
        n++;
    }
  return n;
}

static KvbAccessToken *
get_token (KvbCredential  *credential,
           const char     *scope,
           const char     *tenant,
           GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kvb_credential_get_token_async (credential, scope, tenant, NULL, result_cb, &result);
  return kvb_credential_get_token_finish (credential, wait_for (&result), error);
}

/* Lists the secrets of the sample vault with @credential: proves the token is accepted. */
static guint
list_vault (Fixture       *f,
            KvbCredential *credential)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *url = NULL;
  g_autofree char *vault = kvb_cloud_dup_vault_url (f->cloud, "contoso-prod-kv", &error);
  guint status = 0;

  g_assert_no_error (error);
  url = g_strconcat (vault, "secrets?api-version=7.6", NULL);
  kvb_pipeline_send_async (f->pipeline, f->cloud, credential, "GET", url, NULL,
                           KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 0, NULL, result_cb, &result);
  body = kvb_pipeline_send_finish (f->pipeline, wait_for (&result), &status, NULL, &error);
  g_assert_no_error (error);
  return status;
}

/* ---- playing the browser (in a thread: the listener needs the main context) ---- */

typedef struct
{
  char *authorize_url;
  char *ca;
  gboolean decline;
  const char *forged_state;      /* first visit the redirect with this state */
  /* results */
  guint forged_status;
  guint final_status;
  char *final_body;
  char *code;                    /* the authorization code the browser saw */
  guint second_status;           /* a visit after the real one */
  gboolean done;
} Browser;

static char *
unescape_html (const char *s)
{
  GString *out = g_string_new (NULL);
  static const struct { const char *ent, *ch; } ents[] = {
    { "&amp;", "&" }, { "&quot;", "\"" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&#39;", "'" }, { "&apos;", "'" },
  };

  while (*s)
    {
      gboolean matched = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (ents); i++)
        if (g_str_has_prefix (s, ents[i].ent))
          {
            g_string_append (out, ents[i].ch);
            s += strlen (ents[i].ent);
            matched = TRUE;
            break;
          }
      if (!matched)
        g_string_append_c (out, *s++);
    }
  return g_string_free (out, FALSE);
}

static char *
loopback_url (const char *location,
              const char *replace_state)
{
  g_autoptr(GUri) uri = g_uri_parse (location, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GHashTable) q = NULL;
  g_autoptr(GUri) rewritten = NULL;
  g_autofree char *query = NULL;

  g_assert_nonnull (uri);
  g_assert_cmpstr (g_uri_get_scheme (uri), ==, "http");
  g_assert_cmpstr (g_uri_get_host (uri), ==, "localhost");
  query = g_strdup (g_uri_get_query (uri));
  if (replace_state != NULL)
    {
      g_autoptr(GHashTable) copy = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter it;
      gpointer k, v;

      /* soup_form_decode()'s values live in its keys' memory: copy before changing one. */
      q = soup_form_decode (query);
      g_hash_table_iter_init (&it, q);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (copy, k, v);
      g_hash_table_insert (copy, (char *) "state", (char *) replace_state);
      g_free (query);
      query = soup_form_encode_hash (copy);
    }
  /* Tests talk to 127.0.0.1 only: "localhost" is where the listener is, on IPv4. */
  rewritten = g_uri_build (G_URI_FLAGS_ENCODED, "http", NULL, "127.0.0.1", g_uri_get_port (uri),
                           *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/", query, NULL);
  return g_uri_to_string (rewritten);
}

static guint
http_get (SoupSession *session,
          const char  *url,
          char       **body)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  if (bytes == NULL)
    return 0;   /* connection refused: nobody listens any more */
  if (body != NULL)
    *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

static gpointer
browser_thread (gpointer data)
{
  Browser *b = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) post = NULL;
  g_autoptr(GBytes) page = NULL;
  g_autoptr(GRegex) input = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GHashTable) form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL, *url = NULL, *body = NULL;
  const char *location;

  g_main_context_push_thread_default (context);
  db = g_tls_file_database_new (b->ca, &error);
  g_assert_no_error (error);
  session = soup_session_new_with_options ("tls-database", db, NULL);

  /* 1. Open the authorize address: the stand-in's approval page. */
  g_assert_true (http_get (session, b->authorize_url, &html) == SOUP_STATUS_OK);
  input = g_regex_new ("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">", 0, 0, NULL);
  g_regex_match (input, html, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *k = g_match_info_fetch (match, 1), *v = g_match_info_fetch (match, 2);
      g_hash_table_insert (form, unescape_html (k), unescape_html (v));
      g_match_info_next (match, NULL);
    }
  g_assert_true (g_hash_table_contains (form, "state"));
  g_assert_cmpstr (g_hash_table_lookup (form, "code_challenge_method"), ==, "S256");

  /* 2. Press Approve (or Decline): the stand-in redirects to the loopback address. */
  g_hash_table_insert (form, g_strdup ("decision"), g_strdup (b->decline ? "decline" : "approve"));
  post = soup_message_new_from_encoded_form ("POST", b->authorize_url, soup_form_encode_hash (form));
  soup_message_add_flags (post, SOUP_MESSAGE_NO_REDIRECT);
  page = soup_session_send_and_read (session, post, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (post), ==, SOUP_STATUS_FOUND);
  location = soup_message_headers_get_one (soup_message_get_response_headers (post), "Location");
  g_assert_nonnull (location);
  {
    g_autoptr(GUri) u = g_uri_parse (location, G_URI_FLAGS_ENCODED, NULL);
    g_autoptr(GHashTable) q = soup_form_decode (g_uri_get_query (u));
    b->code = g_strdup (g_hash_table_lookup (q, "code"));
  }

  /* 3. A forged answer first, if asked: refused, and the flow keeps waiting. */
  if (b->forged_state != NULL)
    {
      g_autofree char *forged = loopback_url (location, b->forged_state);
      b->forged_status = http_get (session, forged, NULL);
    }

  /* 4. Follow the redirect to the listener. */
  url = loopback_url (location, NULL);
  b->final_status = http_get (session, url, &b->final_body);

  /* 5. Once more, over a new connection: the listener served its one request and closed. */
  g_usleep (300 * 1000);
  {
    g_autoptr(SoupSession) fresh = soup_session_new ();

    b->second_status = http_get (fresh, url, &body);
  }

  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&b->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
browser_free (Browser *b)
{
  g_free (b->authorize_url);
  g_free (b->ca);
  g_free (b->final_body);
  g_free (b->code);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Browser, browser_free)

typedef struct
{
  const char *url;
  guint status;
  gboolean done;
} Get;

static gpointer
get_thread (gpointer data)
{
  Get *g = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;

  g_main_context_push_thread_default (context);
  session = soup_session_new ();
  g->status = http_get (session, g->url, NULL);
  g_clear_object (&session);
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&g->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* A GET from another thread while this one runs the listener. */
static guint
get_while_listening (const char *url)
{
  Get g = { url, 0, FALSE };
  GThread *thread = g_thread_new ("get", get_thread, &g);

  while (!g_atomic_int_get (&g.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  return g.status;
}

static KvbAccountCredential *
browser_sign_in (Fixture   *f,
                 Browser   *b,
                 GError   **error)
{
  g_autoptr(KvbBrowserFlow) flow = kvb_browser_flow_new (f->pipeline, f->cloud, "sample",
                                                         DEFAULT_CLIENT, "organizations");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  GThread *thread;
  const char *url;

  url = kvb_browser_flow_start (flow, &local_error);
  g_assert_no_error (local_error);
  g_assert_true (g_str_has_prefix (url, f->emu->url));
  g_assert_nonnull (strstr (url, "code_challenge_method=S256"));
  g_assert_nonnull (strstr (url, "redirect_uri=http%3A%2F%2Flocalhost%3A"));
  g_assert_true (g_str_has_prefix (kvb_browser_flow_get_redirect_uri (flow), "http://localhost:"));

  b->authorize_url = g_strdup (url);
  b->ca = g_strdup (f->emu->ca);
  thread = g_thread_new ("browser", browser_thread, b);

  kvb_browser_flow_wait_async (flow, NULL, result_cb, &result);
  wait_for (&result);
  while (!g_atomic_int_get (&b->done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  return kvb_browser_flow_wait_finish (flow, result, error);
}

/* The listening socket of @port is bound to 127.0.0.1 and nothing else (/proc/net/tcp*). */
static void
assert_loopback_only (guint port)
{
  g_autofree char *tcp = NULL, *tcp6 = NULL;
  g_autofree char *want = g_strdup_printf ("0100007F:%04X 00000000:0000 0A", port);
  g_autofree char *any = g_strdup_printf ("00000000:%04X 00000000:0000 0A", port);
  g_autofree char *port6 = g_strdup_printf (":%04X 00000000000000000000000000000000:0000 0A", port);

  if (!g_file_get_contents ("/proc/net/tcp", &tcp, NULL, NULL))
    return;
  g_assert_nonnull (strstr (tcp, want));
  g_assert_null (strstr (tcp, any));
  if (g_file_get_contents ("/proc/net/tcp6", &tcp6, NULL, NULL))
    g_assert_null (strstr (tcp6, port6));
}

static void
test_browser_flow (void)
{
  Fixture f = { 0 };
  g_autoptr(Browser) b = g_new0 (Browser, 1);
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  KvbAccount *account;
  guint before;

  if (!fixture_start (&f, NULL))
    return;

  b->forged_state = "not-the-state";
  credential = browser_sign_in (&f, b, &error);
  g_assert_no_error (error);
  g_assert_nonnull (credential);

  /* A wrong state was refused, the real answer accepted with a page for the user. */
  g_assert_cmpuint (b->forged_status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_cmpuint (b->final_status, ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (b->final_body, "close this tab"));
  /* One request only: afterwards the port is closed (a connection is refused). */
  g_assert_cmpuint (b->second_status, ==, 0);

  account = kvb_account_credential_get_account (credential);
  g_assert_cmpint (kvb_account_get_kind (account), ==, KVB_ACCOUNT_KIND_USER);
  g_assert_cmpstr (kvb_account_get_username (account), ==, f.emu->user);
  g_assert_cmpstr (kvb_account_get_home_tenant (account), ==, f.emu->tenant);
  g_assert_cmpstr (kvb_account_get_cloud (account), ==, "sample");

  /* The Resource Manager token came with the sign-in; Key Vault's is one refresh away. */
  before = count_requests (&f, "/oauth2/v2.0/token");
  {
    g_autoptr(KvbAccessToken) arm = get_token (KVB_CREDENTIAL (credential),
                                               kvb_cloud_get_arm_scope (f.cloud), NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (arm);
  }
  g_assert_cmpuint (count_requests (&f, "/oauth2/v2.0/token"), ==, before);
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (credential)), ==, 200);
  g_assert_cmpuint (count_requests (&f, "/oauth2/v2.0/token"), ==, before + 1);
  /* Twice: the second list reuses the Key Vault token. */
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (credential)), ==, 200);
  g_assert_cmpuint (count_requests (&f, "/oauth2/v2.0/token"), ==, before + 1);

  /* Neither the authorization code nor the tokens were logged, even at debug level. */
  g_assert_cmpuint (logged->len, >, 0);
  assert_not_logged (b->code);
  {
    g_autoptr(KvbAccessToken) arm = get_token (KVB_CREDENTIAL (credential),
                                               kvb_cloud_get_arm_scope (f.cloud), NULL, &error);
    g_autoptr(KvbAccessToken) kv = get_token (KVB_CREDENTIAL (credential),
                                              kvb_cloud_get_keyvault_scope (f.cloud), f.emu->tenant, &error);
    assert_not_logged (kvb_access_token_get_token (arm));
    assert_not_logged (kvb_access_token_get_token (kv));
  }

  fixture_stop (&f);
}

static void
test_browser_listener (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbBrowserFlow) flow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) redirect = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autofree char *url = NULL, *body = NULL;
  const char *authorize;

  if (!fixture_start (&f, NULL))
    return;

  flow = kvb_browser_flow_new (f.pipeline, f.cloud, "sample", DEFAULT_CLIENT, "organizations");
  authorize = kvb_browser_flow_start (flow, &error);
  g_assert_no_error (error);
  g_assert_nonnull (authorize);
  redirect = g_uri_parse (kvb_browser_flow_get_redirect_uri (flow), G_URI_FLAGS_NONE, NULL);
  assert_loopback_only (g_uri_get_port (redirect));

  kvb_browser_flow_wait_async (flow, NULL, result_cb, &result);

  /* Wrong or missing state, other paths: refused, and the flow goes on waiting. */
  url = g_strdup_printf ("http://127.0.0.1:%d/?code=abc&state=wrong", g_uri_get_port (redirect));
  g_assert_cmpuint (get_while_listening (url), ==, SOUP_STATUS_BAD_REQUEST);
  g_free (url);
  url = g_strdup_printf ("http://127.0.0.1:%d/?code=abc", g_uri_get_port (redirect));
  g_assert_cmpuint (get_while_listening (url), ==, SOUP_STATUS_BAD_REQUEST);
  g_free (url);
  url = g_strdup_printf ("http://127.0.0.1:%d/favicon.ico", g_uri_get_port (redirect));
  g_assert_cmpuint (get_while_listening (url), ==, SOUP_STATUS_NOT_FOUND);
  g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);

  /* Cancel: the caller hears it, and the port is closed. */
  kvb_browser_flow_cancel (flow);
  credential = kvb_browser_flow_wait_finish (flow, wait_for (&result), &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_CANCELLED);
  g_assert_null (credential);
  g_free (url);
  url = g_strdup_printf ("http://127.0.0.1:%d/?code=abc&state=x", g_uri_get_port (redirect));
  g_assert_cmpuint (get_while_listening (url), ==, 0);

  fixture_stop (&f);
}

static void
test_browser_timeout (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbBrowserFlow) flow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GUri) redirect = NULL;
  g_autofree char *url = NULL;
  gint64 start;

  if (!fixture_start (&f, NULL))
    return;

  flow = kvb_browser_flow_new (f.pipeline, f.cloud, "sample", DEFAULT_CLIENT, "organizations");
  kvb_browser_flow_set_timeout (flow, 1);
  g_assert_nonnull (kvb_browser_flow_start (flow, &error));
  start = g_get_monotonic_time ();
  kvb_browser_flow_wait_async (flow, NULL, result_cb, &result);
  credential = kvb_browser_flow_wait_finish (flow, wait_for (&result), &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  /* Given up: the port is closed, a late answer finds nobody. */
  redirect = g_uri_parse (kvb_browser_flow_get_redirect_uri (flow), G_URI_FLAGS_NONE, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%d/?code=abc&state=x", g_uri_get_port (redirect));
  g_assert_cmpuint (get_while_listening (url), ==, 0);

  fixture_stop (&f);
}

static void
test_browser_decline (void)
{
  Fixture f = { 0 };
  g_autoptr(Browser) b = g_new0 (Browser, 1);
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  if (!fixture_start (&f, NULL))
    return;

  b->decline = TRUE;
  credential = browser_sign_in (&f, b, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
  g_assert_null (credential);
  g_assert_cmpuint (b->final_status, ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (b->final_body, "not completed"));
  /* An answer that ends the sign-in closes the port too. */
  g_assert_cmpuint (b->second_status, ==, 0);

  fixture_stop (&f);
}

/* ---- device code ---- */

typedef struct
{
  Fixture *f;
  char *user_code;
  const char *decision;     /* approve, decline, expire */
  guint min_polls;          /* decide once the flow has polled this often */
  SoupSession *session;     /* kept: one TLS handshake, and no blocking of the main loop */
  gboolean busy, decided;
} Decide;

static guint
count_in_log (GBytes     *bytes,
              const char *path_suffix)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *entries = NULL;
  guint n = 0;

  if (bytes == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                                    g_bytes_get_size (bytes), NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_ARRAY (root))
    entries = json_node_get_array (root);
  else if (JSON_NODE_HOLDS_OBJECT (root) && json_object_has_member (json_node_get_object (root), "requests"))
    entries = json_object_get_array_member (json_node_get_object (root), "requests");
  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      if (g_str_has_suffix (json_object_get_string_member_with_default (e, "path", ""), path_suffix))
        n++;
    }
  return n;
}

static void
decided_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Decide *d = user_data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  d->busy = FALSE;
  d->decided = bytes != NULL;
}

static void
log_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Decide *d = user_data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_autofree char *url = NULL, *body = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) json = NULL;

  if (count_in_log (bytes, "/oauth2/v2.0/token") < d->min_polls)
    {
      d->busy = FALSE;
      return;
    }

  url = g_strdup_printf ("%s/_emulator/devicecode/%s", d->f->emu->url, d->decision);
  body = g_strdup_printf ("{\"user_code\":\"%s\"}", d->user_code);
  json = g_bytes_new (body, strlen (body));
  msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (msg, "application/json", json);
  soup_session_send_and_read_async (d->session, msg, G_PRIORITY_DEFAULT, NULL, decided_cb, d);
}

static gboolean
decide_tick_cb (gpointer data)
{
  Decide *d = data;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  /* Removed by the test once the flow has answered. */
  if (d->decided || d->busy)
    return G_SOURCE_CONTINUE;

  d->busy = TRUE;
  url = g_strdup_printf ("%s/_emulator/requests", d->f->emu->url);
  msg = soup_message_new ("GET", url);
  soup_session_send_and_read_async (d->session, msg, G_PRIORITY_DEFAULT, NULL, log_read_cb, d);
  return G_SOURCE_CONTINUE;
}

static KvbAccountCredential *
device_code_sign_in (Fixture     *f,
                     const char  *decision,
                     guint        min_polls,
                     GError     **error)
{
  g_autoptr(KvbDeviceCodeFlow) flow = kvb_device_code_flow_new (f->pipeline, f->cloud, "sample",
                                                                DEFAULT_CLIENT, "organizations");
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  Decide d = { f, NULL, decision, min_polls, NULL, FALSE, FALSE };
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (f->emu->ca, NULL);
  guint tick;

  kvb_device_code_flow_start_async (flow, NULL, result_cb, &started);
  g_assert_true (kvb_device_code_flow_start_finish (flow, wait_for (&started), &local_error));
  g_assert_no_error (local_error);

  g_assert_nonnull (kvb_device_code_flow_get_user_code (flow));
  g_assert_true (g_str_has_prefix (kvb_device_code_flow_get_verification_uri (flow), "https://"));
  g_assert_nonnull (strstr (kvb_device_code_flow_get_message (flow),
                            kvb_device_code_flow_get_user_code (flow)));
  g_assert_cmpint (kvb_device_code_flow_get_expires_on (flow), >, g_get_real_time () / G_USEC_PER_SEC);

  d.user_code = g_strdup (kvb_device_code_flow_get_user_code (flow));
  d.session = soup_session_new_with_options ("tls-database", db, NULL);
  tick = g_timeout_add (300, decide_tick_cb, &d);
  kvb_device_code_flow_wait_async (flow, NULL, result_cb, &result);
  wait_for (&result);
  g_assert_true (d.decided);
  g_source_remove (tick);
  while (d.busy)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&d.session);
  g_free (d.user_code);
  return kvb_device_code_flow_wait_finish (flow, result, error);
}

static void
test_device_code (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  guint polls;

  if (!fixture_start (&f, NULL))
    return;

  /* The sample's interval is 1 s: approve after three polls. */
  credential = device_code_sign_in (&f, "approve", 3, &error);
  g_assert_no_error (error);
  g_assert_nonnull (credential);
  polls = count_requests (&f, "/oauth2/v2.0/token");
  g_assert_cmpuint (polls, >=, 3);
  g_assert_cmpuint (polls, <=, 6);
  g_assert_cmpstr (kvb_account_get_username (kvb_account_credential_get_account (credential)), ==,
                   f.emu->user);
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (credential)), ==, 200);

  fixture_stop (&f);
}

static void
test_device_code_decline_expire (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  KvbAccountCredential *credential;

  if (!fixture_start (&f, NULL))
    return;

  credential = device_code_sign_in (&f, "decline", 1, &error);
  g_assert_null (credential);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
  g_assert_nonnull (strstr (error->message, "declined"));
  g_clear_error (&error);

  credential = device_code_sign_in (&f, "expire", 1, &error);
  g_assert_null (credential);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
  g_assert_nonnull (strstr (error->message, "expired"));

  fixture_stop (&f);
}

/* A scripted Entra ID: slow_down on the first poll, then pending, then tokens; numbers as
 * strings, as some identity providers send them. */
typedef struct
{
  guint polls;
  gint64 poll_us[8];
  gboolean never_approve;
  const char *expires_in;
} Script;

static void
scripted_entra (KvbTestServer     *server,
                SoupServerMessage *msg,
                const char        *path,
                guint              n,
                gpointer           user_data)
{
  Script *sc = user_data;

  if (g_str_has_suffix (path, "/devicecode"))
    {
      g_autofree char *json = g_strdup_printf ("{\"device_code\":\"dc-secret-7Qx\",\"user_code\":\"ABCD-EFGH\","
                                               "\"verification_uri\":\"https://microsoft.com/devicelogin\","
                                               "\"expires_in\":\"%s\",\"interval\":\"1\"}", sc->expires_in);
      kvb_test_reply_json (msg, 200, json, NULL, NULL);
      return;
    }

  if (sc->polls < G_N_ELEMENTS (sc->poll_us))
    sc->poll_us[sc->polls] = g_get_monotonic_time ();
  sc->polls++;

  if (sc->polls == 1)
    kvb_test_reply_json (msg, 400, "{\"error\":\"slow_down\"}", NULL, NULL);
  else if (sc->polls == 2 || sc->never_approve)
    kvb_test_reply_json (msg, 400, "{\"error\":\"authorization_pending\",\"error_description\":\"AADSTS70016: pending\"}",
                         NULL, NULL);
  else
    {
      /* {"preferred_username":"pat@example.test","tid":"tenant-1"} */
      const char *id_token = "eyJhbGciOiJub25lIn0."
                             "eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJwYXRAZXhhbXBsZS50ZXN0IiwidGlkIjoidGVuYW50LTEifQ.x";
      g_autofree char *json = g_strdup_printf ("{\"token_type\":\"Bearer\",\"expires_in\":\"3599\","
                                               "\"access_token\":\"at-secret-7Qx\",\"refresh_token\":\"rt-secret-7Qx\","
                                               "\"id_token\":\"%s\"}", id_token);
      kvb_test_reply_json (msg, 200, json, NULL, NULL);
    }
}

static void
test_device_code_slow_down (void)
{
  Script sc = { 0, { 0 }, FALSE, "60" };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (scripted_entra, &sc);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbDeviceCodeFlow) flow = NULL;
  g_autoptr(GAsyncResult) started = NULL, result = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (kvb_pipeline_add_cloud (pipeline, cloud, &error));
  flow = kvb_device_code_flow_new (pipeline, cloud, "sample", DEFAULT_CLIENT, "organizations");
  kvb_device_code_flow_start_async (flow, NULL, result_cb, &started);
  g_assert_true (kvb_device_code_flow_start_finish (flow, wait_for (&started), &error));
  g_assert_cmpuint (kvb_device_code_flow_get_interval (flow), ==, 1);
  /* No message from the service: one is made up from the address and the code. */
  g_assert_nonnull (strstr (kvb_device_code_flow_get_message (flow), "ABCD-EFGH"));

  kvb_device_code_flow_wait_async (flow, NULL, result_cb, &result);
  credential = kvb_device_code_flow_wait_finish (flow, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_account_get_username (kvb_account_credential_get_account (credential)), ==,
                   "pat@example.test");
  g_assert_cmpuint (sc.polls, ==, 3);
  /* RFC 8628: after slow_down, 5 s more between polls (1 + 5). */
  g_assert_cmpuint (kvb_device_code_flow_get_interval (flow), ==, 6);
  g_assert_cmpint (sc.poll_us[1] - sc.poll_us[0], >=, 6 * G_USEC_PER_SEC - 100000);
  g_assert_cmpint (sc.poll_us[2] - sc.poll_us[1], >=, 6 * G_USEC_PER_SEC - 100000);
  assert_not_logged ("dc-secret-7Qx");
  assert_not_logged ("at-secret-7Qx");
  assert_not_logged ("rt-secret-7Qx");
}

static void
test_device_code_local_expiry (void)
{
  Script sc = { 0, { 0 }, TRUE, "8" };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (scripted_entra, &sc);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbDeviceCodeFlow) flow = NULL;
  g_autoptr(GAsyncResult) started = NULL, result = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_true (kvb_pipeline_add_cloud (pipeline, cloud, &error));
  flow = kvb_device_code_flow_new (pipeline, cloud, "sample", DEFAULT_CLIENT, "organizations");
  kvb_device_code_flow_start_async (flow, NULL, result_cb, &started);
  g_assert_true (kvb_device_code_flow_start_finish (flow, wait_for (&started), &error));
  start = g_get_monotonic_time ();

  /* The service keeps saying "pending": the code's own lifetime ends the wait. */
  kvb_device_code_flow_wait_async (flow, NULL, result_cb, &result);
  credential = kvb_device_code_flow_wait_finish (flow, wait_for (&result), &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
}

static void
test_device_code_cancel (void)
{
  Script sc = { 0, { 0 }, TRUE, "60" };
  g_autoptr(KvbTestServer) server = kvb_test_server_new (scripted_entra, &sc);
  g_autoptr(KvbCloud) cloud = kvb_test_server_new_cloud (server, TRUE);
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbDeviceCodeFlow) flow = NULL;
  g_autoptr(GAsyncResult) started = NULL, result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (kvb_pipeline_add_cloud (pipeline, cloud, &error));
  flow = kvb_device_code_flow_new (pipeline, cloud, "sample", DEFAULT_CLIENT, "organizations");
  kvb_device_code_flow_start_async (flow, NULL, result_cb, &started);
  g_assert_true (kvb_device_code_flow_start_finish (flow, wait_for (&started), &error));
  kvb_device_code_flow_wait_async (flow, cancellable, result_cb, &result);
  g_cancellable_cancel (cancellable);
  credential = kvb_device_code_flow_wait_finish (flow, wait_for (&result), &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_CANCELLED);
}

/* ---- refresh tokens: rotation, revocation, expiry in the middle of a run ---- */

static KvbAccountCredential *
signed_in_store (Fixture          *f,
                 KvbAccountStore **store)
{
  g_autoptr(Browser) b = g_new0 (Browser, 1);
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccount) account = NULL;

  credential = browser_sign_in (f, b, &error);
  g_assert_no_error (error);
  *store = kvb_account_store_new (f->pipeline, NULL, kvb_keyring_new_in_memory ());
  kvb_account_store_add_async (*store, credential, NULL, result_cb, &result);
  account = kvb_account_store_add_finish (*store, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  return g_steal_pointer (&credential);
}

static char *
stored_refresh_token (KvbAccountStore *store,
                      KvbAccount      *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KvbKeyring *keyring = kvb_account_store_get_keyring (store);
  char *rt;

  kvb_keyring_lookup_async (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN, NULL, result_cb, &result);
  rt = kvb_keyring_lookup_finish (keyring, wait_for (&result), &error);
  g_assert_no_error (error);
  return rt;
}

static void
test_refresh_rotation (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rt1 = NULL, *rt2 = NULL, *rt3 = NULL;
  KvbAccount *account;

  if (!fixture_start (&f, NULL))
    return;

  credential = signed_in_store (&f, &store);
  account = kvb_account_credential_get_account (credential);
  rt1 = stored_refresh_token (store, account);
  g_assert_nonnull (rt1);

  /* Key Vault in the home tenant: one redemption, and the new refresh token is stored. */
  {
    g_autoptr(KvbAccessToken) kv = get_token (KVB_CREDENTIAL (credential),
                                              kvb_cloud_get_keyvault_scope (f.cloud), f.emu->tenant,
                                              &error);
    g_assert_no_error (error);
  }
  rt2 = stored_refresh_token (store, account);
  g_assert_nonnull (rt2);
  g_assert_cmpstr (rt1, !=, rt2);

  /* Resource Manager again after invalidation: the rotated token works, the old is gone. */
  kvb_credential_invalidate (KVB_CREDENTIAL (credential), kvb_cloud_get_arm_scope (f.cloud), NULL);
  {
    g_autoptr(KvbAccessToken) arm = get_token (KVB_CREDENTIAL (credential),
                                               kvb_cloud_get_arm_scope (f.cloud), NULL, &error);
    g_assert_no_error (error);
  }
  rt3 = stored_refresh_token (store, account);
  g_assert_cmpstr (rt3, !=, rt2);
  assert_not_logged (rt1);
  assert_not_logged (rt2);
  assert_not_logged (rt3);
  g_assert_false (kvb_account_get_needs_sign_in (account));

  /* Ten concurrent callers for two resources: served without a refused (reused) token. */
  kvb_credential_invalidate (KVB_CREDENTIAL (credential), kvb_cloud_get_arm_scope (f.cloud), NULL);
  kvb_credential_invalidate (KVB_CREDENTIAL (credential), kvb_cloud_get_keyvault_scope (f.cloud), f.emu->tenant);
  {
    GAsyncResult *results[10] = { NULL };
    for (guint i = 0; i < 10; i++)
      kvb_credential_get_token_async (KVB_CREDENTIAL (credential),
                                      i % 2 ? kvb_cloud_get_arm_scope (f.cloud)
                                            : kvb_cloud_get_keyvault_scope (f.cloud),
                                      i % 2 ? NULL : f.emu->tenant, NULL, result_cb, &results[i]);
    for (guint i = 0; i < 10; i++)
      {
        g_autoptr(KvbAccessToken) t = NULL;
        t = kvb_credential_get_token_finish (KVB_CREDENTIAL (credential), wait_for (&results[i]), &error);
        g_assert_no_error (error);
        g_clear_object (&results[i]);
      }
  }
  g_assert_false (kvb_account_get_needs_sign_in (account));

  fixture_stop (&f);
}

/* Two holders of the same refresh token (the window and a kvbackup run): the second, refused
 * because the first rotated it, picks up the successor from the keyring instead of signing out. */
static void
test_refresh_two_holders (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(KvbAccountCredential) first = NULL, second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rt1 = NULL;
  KvbAccount *account;

  if (!fixture_start (&f, NULL))
    return;

  first = signed_in_store (&f, &store);
  account = kvb_account_credential_get_account (first);
  rt1 = stored_refresh_token (store, account);
  second = kvb_account_credential_new (f.pipeline, f.cloud, account, kvb_account_store_get_keyring (store), rt1);

  {
    g_autoptr(KvbAccessToken) t = get_token (KVB_CREDENTIAL (first), kvb_cloud_get_keyvault_scope (f.cloud),
                                             f.emu->tenant, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr(KvbAccessToken) t = get_token (KVB_CREDENTIAL (second), kvb_cloud_get_keyvault_scope (f.cloud),
                                             f.emu->tenant, &error);
    g_assert_no_error (error);
    g_assert_nonnull (t);
  }
  g_assert_false (kvb_account_get_needs_sign_in (account));

  fixture_stop (&f);
}

static void
test_refresh_revoked (void)
{
  Fixture f = { 0 };
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccessToken) token = NULL;
  g_autofree char *body = NULL;
  g_autofree char *rt = NULL;
  g_autoptr(JsonNode) answer = NULL;
  KvbAccount *account;
  guint before;

  if (!fixture_start (&f, NULL))
    return;

  credential = signed_in_store (&f, &store);
  account = kvb_account_credential_get_account (credential);

  /* The user's password changed: every refresh token is revoked. */
  body = g_strdup_printf ("{\"user\":\"%s\"}", f.emu->user);
  answer = kvb_test_emulator_control (f.emu, "POST", "/_emulator/refresh-tokens/revoke", body, NULL);

  token = get_token (KVB_CREDENTIAL (credential), kvb_cloud_get_keyvault_scope (f.cloud),
                     f.emu->tenant, &error);
  g_assert_null (token);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED);
  g_assert_nonnull (strstr (error->message, "sign in again"));
  g_assert_true (kvb_account_get_needs_sign_in (account));
  g_clear_error (&error);

  /* The dead refresh token is gone from the keyring, and asking again sends nothing. */
  rt = stored_refresh_token (store, account);
  g_assert_null (rt);
  before = count_requests (&f, "/oauth2/v2.0/token");
  token = get_token (KVB_CREDENTIAL (credential), kvb_cloud_get_keyvault_scope (f.cloud),
                     f.emu->tenant, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED);
  g_assert_cmpuint (count_requests (&f, "/oauth2/v2.0/token"), ==, before);

  fixture_stop (&f);
}

static void
test_token_expiry (void)
{
  const char *args[] = { "--token-lifetime", "4", NULL };
  Fixture f = { 0 };
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  guint before;

  if (!fixture_start (&f, args))
    return;

  credential = signed_in_store (&f, &store);
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (credential)), ==, 200);
  {
    g_autoptr(KvbAccessToken) t = get_token (KVB_CREDENTIAL (credential),
                                             kvb_cloud_get_keyvault_scope (f.cloud), f.emu->tenant, &error);
    g_assert_no_error (error);
    first = g_strdup (kvb_access_token_get_token (t));
  }

  /* Past its half-life the token is renewed before use; past its end it would be refused. */
  before = count_requests (&f, "/oauth2/v2.0/token");
  g_usleep (5 * G_USEC_PER_SEC);
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (credential)), ==, 200);
  g_assert_cmpuint (count_requests (&f, "/oauth2/v2.0/token"), >, before);
  {
    g_autoptr(KvbAccessToken) t = get_token (KVB_CREDENTIAL (credential),
                                             kvb_cloud_get_keyvault_scope (f.cloud), f.emu->tenant, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (kvb_access_token_get_token (t), !=, first);
  }

  fixture_stop (&f);
}

/* ---- service principal with a certificate ---- */

static char *
decode_segment (const char *seg)
{
  GString *s = g_string_new (seg);
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  for (gsize i = 0; i < s->len; i++)
    s->str[i] = s->str[i] == '-' ? '+' : s->str[i] == '_' ? '/' : s->str[i];
  while (s->len % 4)
    g_string_append_c (s, '=');
  raw = g_base64_decode (s->str, &len);
  g_string_free (s, TRUE);
  return g_strndup ((const char *) raw, len);
}

static void
test_certificate (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbServicePrincipalCredential) sp = NULL;
  g_autoptr(KvbClientAssertion) assertion = NULL;
  g_autofree char *jwt = NULL, *header = NULL, *claims = NULL;
  g_auto(GStrv) parts = NULL;

  if (!fixture_start (&f, NULL))
    return;

  /* The assertion's shape: PS256 with x5t#S256, aud = token endpoint, a short life. */
  assertion = kvb_client_assertion_new_from_file (f.emu->client_certificate, &error);
  g_assert_no_error (error);
  jwt = kvb_client_assertion_create (assertion, f.emu->client_id, "https://login.example/t/oauth2/v2.0/token", &error);
  g_assert_no_error (error);
  parts = g_strsplit (jwt, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = decode_segment (parts[0]);
  claims = decode_segment (parts[1]);
  g_assert_nonnull (strstr (header, "\"alg\":\"PS256\""));
  g_assert_nonnull (strstr (header, kvb_client_assertion_get_x5t_s256 (assertion)));
  g_assert_nonnull (strstr (claims, "\"aud\":\"https://login.example/t/oauth2/v2.0/token\""));

  /* Against the stand-in: a token, accepted by the vault. */
  sp = kvb_service_principal_credential_new_with_certificate (f.pipeline, f.cloud, f.emu->tenant,
                                                              f.emu->client_id, f.emu->client_certificate,
                                                              &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list_vault (&f, KVB_CREDENTIAL (sp)), ==, 200);

  /* The older RS256 + x5t form is accepted too. */
  kvb_client_assertion_set_algorithm (assertion, KVB_ASSERTION_ALGORITHM_RS256);
  g_free (jwt);
  jwt = kvb_client_assertion_create (assertion, f.emu->client_id, "https://login.example/t/oauth2/v2.0/token", &error);
  g_strfreev (parts);
  parts = g_strsplit (jwt, ".", -1);
  g_free (header);
  header = decode_segment (parts[0]);
  g_assert_nonnull (strstr (header, "\"alg\":\"RS256\""));
  g_assert_nonnull (strstr (header, "\"x5t\""));

  /* A file without a key is refused with a message. */
  {
    g_autoptr(KvbClientAssertion) none = kvb_client_assertion_new_from_file (f.emu->ca, &error);
    g_assert_null (none);
    g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  }

  fixture_stop (&f);
}

static void
test_client_secret_account (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(KvbAccountStore) store2 = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KvbAccount) added = NULL;
  KvbCredential *again;

  if (!fixture_start (&f, NULL))
    return;

  account = kvb_account_new (KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, "sample",
                             kvb_cloud_get_authority_host (f.cloud), f.emu->client_id,
                             f.emu->tenant, f.emu->client_id);
  credential = kvb_account_credential_new (f.pipeline, f.cloud, account, NULL, NULL);
  kvb_account_credential_set_client_secret (credential, f.emu->client_secret);
  store = kvb_account_store_new (f.pipeline, NULL, kvb_keyring_new_in_memory ());
  kvb_account_store_set_sample_cloud (store, f.cloud);
  kvb_account_store_add_async (store, credential, NULL, result_cb, &result);
  added = kvb_account_store_add_finish (store, wait_for (&result), &error);
  g_assert_no_error (error);

  /* A fresh credential (another store on the same keyring) finds the secret in the keyring. */
  store2 = kvb_account_store_new (f.pipeline, NULL, kvb_account_store_get_keyring (store));
  kvb_account_store_set_sample_cloud (store2, f.cloud);
  again = kvb_account_store_get_credential (store2, added, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list_vault (&f, again), ==, 200);

  fixture_stop (&f);
}

/* ---- settings and the account list ---- */

static GSettings *
memory_settings (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, backend, NULL);
}

static void
test_client_id_precedence (void)
{
  g_autoptr(GSettings) settings = memory_settings ();
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *t = NULL;

  if (settings == NULL)
    {
      g_test_skip ("the GSettings schema is not compiled in the build tree");
      return;
    }
  g_unsetenv ("KVB_CLIENT_ID");
  g_unsetenv ("KVB_TENANT_ID");

  a = kvb_sign_in_dup_client_id (settings, NULL);
  g_assert_cmpstr (a, ==, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
  t = kvb_sign_in_dup_tenant (settings, NULL);
  g_assert_cmpstr (t, ==, "organizations");

  g_settings_set_string (settings, "client-id", "11111111-1111-1111-1111-111111111111");
  b = kvb_sign_in_dup_client_id (settings, NULL);
  g_assert_cmpstr (b, ==, "11111111-1111-1111-1111-111111111111");

  g_setenv ("KVB_CLIENT_ID", "22222222-2222-2222-2222-222222222222", TRUE);
  c = kvb_sign_in_dup_client_id (settings, NULL);
  g_assert_cmpstr (c, ==, "22222222-2222-2222-2222-222222222222");

  d = kvb_sign_in_dup_client_id (settings, "33333333-3333-3333-3333-333333333333");
  g_assert_cmpstr (d, ==, "33333333-3333-3333-3333-333333333333");
  g_unsetenv ("KVB_CLIENT_ID");
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *n_signals)
{
  (*n_signals)++;
}

static KvbAccount *
add_service_principal (KvbAccountStore *store,
                       KvbPipeline     *pipeline,
                       const char      *cloud_name,
                       const char      *tenant,
                       const char      *client_id,
                       const char      *secret)
{
  g_autoptr(KvbCloud) cloud = kvb_cloud_lookup (cloud_name, NULL);
  g_autoptr(KvbAccount) account = kvb_account_new (KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, cloud_name,
                                                   kvb_cloud_get_authority_host (cloud), client_id,
                                                   tenant, client_id);
  g_autoptr(KvbAccountCredential) credential = kvb_account_credential_new (pipeline, cloud, account, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KvbAccount *added;

  kvb_account_credential_set_client_secret (credential, secret);
  kvb_account_store_add_async (store, credential, NULL, result_cb, &result);
  added = kvb_account_store_add_finish (store, wait_for (&result), &error);
  g_assert_no_error (error);
  return added;
}

static void
test_account_store (void)
{
  g_autoptr(GSettings) settings = memory_settings ();
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbKeyring) keyring = kvb_keyring_new_in_memory ();
  g_autoptr(KvbAccountStore) store = NULL, again = NULL;
  g_autoptr(KvbAccount) a = NULL, b = NULL, a2 = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) stored = NULL;
  g_autofree char *text = NULL, *secret_b = NULL, *secret_a = NULL;
  guint n_signals = 0;

  if (settings == NULL)
    {
      g_test_skip ("the GSettings schema is not compiled in the build tree");
      return;
    }

  store = kvb_account_store_new (pipeline, settings, keyring);
  g_signal_connect (store, "items-changed", G_CALLBACK (items_changed_cb), &n_signals);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  /* Two accounts at once, in different clouds and tenants. */
  a = add_service_principal (store, pipeline, "public", "tenant-a", "client-a", "secret-a-123456");
  b = add_service_principal (store, pipeline, "usgov", "tenant-b", "client-b", "secret-b-123456");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_cmpuint (n_signals, ==, 2);

  /* Signing in again as the same one replaces it. */
  a2 = add_service_principal (store, pipeline, "public", "tenant-a", "client-a", "secret-a-654321");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_true (kvb_account_equal (a, a2));

  /* Remembered in GSettings, without the secrets; a new store (next start) finds both. */
  stored = g_settings_get_value (settings, "accounts");
  text = g_variant_print (stored, FALSE);
  g_assert_null (strstr (text, "secret-a"));
  g_assert_null (strstr (text, "secret-b"));
  g_assert_nonnull (strstr (text, "client-b"));
  again = kvb_account_store_new (pipeline, settings, keyring);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  g_assert_nonnull (kvb_account_store_find (again, "client-a"));
  g_assert_nonnull (kvb_account_store_find (again, kvb_account_get_id (b)));
  g_assert_null (kvb_account_store_find (again, "nobody"));

  /* Sign out one: the other stays, and only the first one's secret goes. */
  kvb_account_store_sign_out_async (store, b, NULL, result_cb, &result);
  g_assert_true (kvb_account_store_sign_out_finish (store, wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_clear_object (&result);
  kvb_keyring_lookup_async (keyring, b, KVB_SECRET_KIND_CLIENT_SECRET, NULL, result_cb, &result);
  secret_b = kvb_keyring_lookup_finish (keyring, wait_for (&result), &error);
  g_assert_null (secret_b);
  g_clear_object (&result);
  kvb_keyring_lookup_async (keyring, a, KVB_SECRET_KIND_CLIENT_SECRET, NULL, result_cb, &result);
  secret_a = kvb_keyring_lookup_finish (keyring, wait_for (&result), &error);
  g_assert_cmpstr (secret_a, ==, "secret-a-654321");
  g_clear_object (&again);
  again = kvb_account_store_new (pipeline, settings, keyring);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  logged = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signin/settings/client-id", test_client_id_precedence);
  g_test_add_func ("/signin/accounts/store", test_account_store);
  g_test_add_func ("/signin/browser/flow", test_browser_flow);
  g_test_add_func ("/signin/browser/listener", test_browser_listener);
  g_test_add_func ("/signin/browser/timeout", test_browser_timeout);
  g_test_add_func ("/signin/browser/decline", test_browser_decline);
  g_test_add_func ("/signin/device-code/approve", test_device_code);
  g_test_add_func ("/signin/device-code/decline-expire", test_device_code_decline_expire);
  g_test_add_func ("/signin/device-code/slow-down", test_device_code_slow_down);
  g_test_add_func ("/signin/device-code/local-expiry", test_device_code_local_expiry);
  g_test_add_func ("/signin/device-code/cancel", test_device_code_cancel);
  g_test_add_func ("/signin/refresh/rotation", test_refresh_rotation);
  g_test_add_func ("/signin/refresh/two-holders", test_refresh_two_holders);
  g_test_add_func ("/signin/refresh/revoked", test_refresh_revoked);
  g_test_add_func ("/signin/refresh/expiry", test_token_expiry);
  g_test_add_func ("/signin/service-principal/certificate", test_certificate);
  g_test_add_func ("/signin/service-principal/secret-account", test_client_secret_account);

  return g_test_run ();
}
