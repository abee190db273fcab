/* test-emu-keyvault.c: the stand-in's Key Vault data plane over real HTTPS, every operation and
 * every error a client can meet.  The stand-in runs in-process on a port the system picks; vault
 * hosts are <vault>.vault.localhost:PORT. */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "kvb-emulator.h"

#define SP_READER_ID "2b7d6c4e-0000-4000-8000-00000000d002"
#define SP_READER_SECRET "test-only-secret-2"

typedef struct
{
  KvbEmulator *emu;
  SoupSession *session;
  char *url;
  guint port;
  char *tenant, *client_id, *client_secret;
  char *token, *reader_token;
} Fixture;

static Fixture *fx;

typedef struct
{
  guint status;
  JsonNode *root;
  SoupMessageHeaders *headers;
  GBytes *body;
} Reply;

static void
reply_free (Reply *r)
{
  g_clear_pointer (&r->root, json_node_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static Reply *
send_raw (const char *method, const char *url, const char *token, const char *content_type, GBytes *body)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  Reply *r = g_new0 (Reply, 1);

  g_assert_nonnull (msg);
  if (token)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  r->body = soup_session_send_and_read (fx->session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  if (g_bytes_get_size (r->body) > 0)
    {
      g_autoptr(JsonParser) p = json_parser_new ();

      if (json_parser_load_from_data (p, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), NULL))
        r->root = json_node_ref (json_parser_get_root (p));
    }
  return r;
}

/* A call on vault @vault: @path may carry its own query; api-version 7.4 is added unless present. */
static Reply *
kv_as (const char *token, const char *method, const char *vault, const char *path, const char *json)
{
  g_autofree char *url = g_strdup_printf ("https://%s.vault.localhost:%u%s%sapi-version=7.4", vault, fx->port, path,
                                          strchr (path, '?') ? "&" : "?");
  g_autoptr(GBytes) body = json ? g_bytes_new (json, strlen (json)) : NULL;

  if (strstr (path, "api-version="))
    {
      g_free (url);
      url = g_strdup_printf ("https://%s.vault.localhost:%u%s", vault, fx->port, path);
    }
  return send_raw (method, url, token, "application/json", body);
}

static Reply *
kv (const char *method, const char *vault, const char *path, const char *json)
{
  return kv_as (fx->token, method, vault, path, json);
}

static JsonObject *
obj (Reply *r)
{
  g_assert_nonnull (r->root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->root));
  return json_node_get_object (r->root);
}

static const char *
str_at (JsonObject *o, const char *a, const char *b)
{
  JsonObject *inner = b ? json_object_get_object_member (o, a) : o;

  g_assert_nonnull (inner);
  return json_object_get_string_member_with_default (inner, b ? b : a, NULL);
}

/* The real error envelope: {"error":{"code":…,"message":…[,"innererror":{"code":…}]}} with JSON content type. */
static void
assert_error (Reply *r, guint status, const char *code, const char *inner, const char *message_part)
{
  JsonObject *e;

  g_assert_cmpuint (r->status, ==, status);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (r->headers, "Content-Type"), "application/json"));
  e = json_object_get_object_member (obj (r), "error");
  g_assert_nonnull (e);
  g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (e, "message"));
  if (message_part)
    g_assert_nonnull (strstr (json_object_get_string_member (e, "message"), message_part));
  if (inner)
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (e, "innererror"), "code"), ==, inner);
  else
    g_assert_false (json_object_has_member (e, "innererror"));
}

/* Polls until @path answers @status (the stand-in's soft-delete states take a moment). */
static Reply *
wait_for (const char *method, const char *vault, const char *path, guint status)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (TRUE)
    {
      Reply *r = kv (method, vault, path, NULL);

      if (r->status == status || g_get_monotonic_time () > deadline)
        return r;
      reply_free (r);
      g_usleep (50 * 1000);
    }
}

static char *
fetch_token (const char *client_id, const char *secret)
{
  g_autofree char *url = g_strdup_printf ("%s/%s/oauth2/v2.0/token", fx->url, fx->tenant);
  g_autofree char *form = soup_form_encode ("grant_type", "client_credentials", "client_id", client_id,
                                            "client_secret", secret, "scope", "https://vault.azure.net/.default", NULL);
  g_autoptr(GBytes) body = g_bytes_new (form, strlen (form));
  g_autoptr(Reply) r = send_raw ("POST", url, NULL, "application/x-www-form-urlencoded", body);

  g_assert_cmpuint (r->status, ==, 200);
  return g_strdup (str_at (obj (r), "access_token", NULL));
}

static GBytes *
b64url_decode (const char *text)
{
  g_autofree char *std = g_strdup (text);
  g_autoptr(GString) s = NULL;
  gsize len;
  guchar *data;

  for (char *p = std; *p; p++)
    *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
  s = g_string_new (std);
  while (s->len % 4)
    g_string_append_c (s, '=');
  data = g_base64_decode (s->str, &len);
  return g_bytes_new_take (data, len);
}

static char *
backup (const char *vault, const char *kind, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/%s/%s/backup", kind, name);
  g_autoptr(Reply) r = kv ("POST", vault, path, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  return g_strdup (str_at (obj (r), "value", NULL));
}

static Reply *
restore (const char *vault, const char *kind, const char *value)
{
  g_autofree char *path = g_strdup_printf ("/%s/restore", kind);
  g_autofree char *json = g_strdup_printf ("{\"value\":\"%s\"}", value);

  return kv ("POST", vault, path, json);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void
test_secret_versions (void)
{
  g_autoptr(Reply) set1 = kv ("PUT", "kvb-weu", "/secrets/t-ver", "{\"value\":\"one\",\"contentType\":\"text/plain\",\"tags\":{\"a\":\"b\"}}");
  g_autoptr(Reply) set2 = kv ("PUT", "kvb-weu", "/secrets/t-ver", "{\"value\":\"two\"}");
  g_autoptr(Reply) latest = kv ("GET", "kvb-weu", "/secrets/t-ver", NULL);
  g_autoptr(Reply) slash = kv ("GET", "kvb-weu", "/secrets/t-ver/", NULL);
  g_autoptr(Reply) versions = kv ("GET", "kvb-weu", "/secrets/t-ver/versions", NULL);
  g_autofree char *id1 = NULL, *by_version_path = NULL, *patch_path = NULL;
  g_autoptr(Reply) first = NULL, patched = NULL, missing = NULL;
  JsonArray *items;

  g_assert_cmpuint (set1->status, ==, 200);
  g_assert_cmpstr (str_at (obj (set1), "value", NULL), ==, "one");
  g_assert_cmpstr (str_at (obj (set1), "contentType", NULL), ==, "text/plain");
  g_assert_true (g_str_has_prefix (str_at (obj (set1), "id", NULL), "https://kvb-weu.vault.localhost:"));
  g_assert_cmpstr (str_at (obj (set1), "attributes", "recoveryLevel"), ==, "Recoverable+Purgeable");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (obj (set1), "attributes"), "recoverableDays"), ==, 90);
  g_assert_cmpstr (str_at (obj (latest), "value", NULL), ==, "two");
  g_assert_cmpstr (str_at (obj (slash), "value", NULL), ==, "two");
  g_assert_cmpstr (str_at (obj (latest), "id", NULL), ==, str_at (obj (set2), "id", NULL));

  items = json_object_get_array_member (obj (versions), "value");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_true (json_node_is_null (json_object_get_member (obj (versions), "nextLink")));
  g_assert_false (json_object_has_member (json_array_get_object_element (items, 0), "value"));

  id1 = g_strdup (str_at (obj (set1), "id", NULL));
  by_version_path = g_strdup (strstr (id1, "/secrets/"));
  first = kv ("GET", "kvb-weu", by_version_path, NULL);
  g_assert_cmpstr (str_at (obj (first), "value", NULL), ==, "one");

  patch_path = g_strdup (by_version_path);
  patched = kv ("PATCH", "kvb-weu", patch_path, "{\"attributes\":{\"enabled\":false},\"tags\":{\"x\":\"y\"}}");
  g_assert_cmpuint (patched->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (obj (patched), "attributes"), "enabled"));
  g_assert_cmpstr (str_at (obj (patched), "tags", "x"), ==, "y");
  g_assert_false (json_object_has_member (obj (patched), "value"));
  {
    g_autoptr(Reply) disabled = kv ("GET", "kvb-weu", by_version_path, NULL);

    assert_error (disabled, 403, "Forbidden", "SecretDisabled", "disabled secret");
  }

  missing = kv ("GET", "kvb-weu", "/secrets/t-ver/0123456789abcdef0123456789abcdef", NULL);
  assert_error (missing, 404, "SecretNotFound", NULL, "t-ver/0123456789abcdef0123456789abcdef");
}

/* Walks a list to its end; returns the number of items and checks every page. */
static guint
walk (const char *vault, const char *first_path, guint max_page, guint *pages)
{
  g_autofree char *next = NULL;
  guint total = 0;
  Reply *r = kv ("GET", vault, first_path, NULL);

  *pages = 0;
  while (TRUE)
    {
      JsonObject *o = obj (r);
      JsonNode *link = json_object_get_member (o, "nextLink");
      guint n = json_array_get_length (json_object_get_array_member (o, "value"));

      g_assert_cmpuint (r->status, ==, 200);
      g_assert_nonnull (link);   /* present even on the last page, as null */
      g_assert_cmpuint (n, <=, max_page);
      total += n;
      (*pages)++;
      if (json_node_is_null (link))
        break;
      g_free (next);
      next = g_strdup (json_node_get_string (link));
      g_assert_true (g_str_has_prefix (next, "https://"));
      g_assert_nonnull (strstr (next, "$skiptoken="));
      reply_free (r);
      r = send_raw ("GET", next, fx->token, NULL, NULL);
    }
  reply_free (r);
  return total;
}

static void
test_paging (void)
{
  guint pages;
  g_autoptr(Reply) bad_max = kv ("GET", "kvb-weu", "/secrets?maxresults=26", NULL);
  g_autoptr(Reply) bad_token = kv ("GET", "kvb-weu", "/secrets?$skiptoken=bm9wZQ", NULL);

  /* The seeded vault has 61 "page-NN" secrets plus a few others: several pages, at most 25 each. */
  g_assert_cmpuint (walk ("kvb-weu", "/secrets", 25, &pages), >=, 64);
  g_assert_cmpuint (pages, >=, 3);
  g_assert_cmpuint (walk ("kvb-weu", "/secrets?maxresults=5", 5, &pages), >=, 64);
  g_assert_cmpuint (pages, >=, 13);
  g_assert_cmpuint (walk ("kvb-weu", "/keys", 25, &pages), >=, 2);
  g_assert_cmpuint (walk ("kvb-weu", "/certificates?includePending=true", 25, &pages), >=, 1);
  assert_error (bad_max, 400, "BadParameter", NULL, "maxresults");
  assert_error (bad_token, 400, "BadParameter", NULL, NULL);
}

static void
assert_blob_header (const char *value, const char *header)
{
  g_autoptr(GBytes) raw = b64url_decode (value);
  const guint8 *d = g_bytes_get_data (raw, NULL);

  g_assert_null (strchr (value, '='));
  g_assert_cmpuint (d[0], ==, strlen (header));
  g_assert_true (memcmp (d + 1, header, strlen (header)) == 0);
  g_assert_true (memcmp (d + 1 + strlen (header), "eyJ", 3) == 0);
}

/* set/create → backup → delete → (being deleted: 409) → deleted → purge → (being purged: 409) →
 * restore → get → restore again (409). */
static void
cycle (const char *kind, const char *name, const char *create_method, const char *create_path,
       const char *create_body, const char *header)
{
  g_autofree char *path = g_strdup_printf ("/%s/%s", kind, name);
  g_autofree char *deleted_path = g_strdup_printf ("/deleted%s/%s", kind, name);
  g_autofree char *blob = NULL;
  g_autoptr(Reply) created = kv (create_method, "kvb-weu", create_path, create_body);
  g_autoptr(Reply) del = NULL, del_get = NULL, again = NULL, restore_early = NULL, deleted = NULL;
  g_autoptr(Reply) restore_deleted = NULL, purge = NULL, restore_purging = NULL, restored = NULL;
  g_autoptr(Reply) got = NULL, restore_live = NULL, listed = NULL;

  g_assert_cmpuint (created->status, <, 300);
  if (created->status == 202)
    {
      g_autofree char *pending = g_strdup_printf ("/%s/%s/pending", kind, name);
      g_autoptr(Reply) done = NULL;
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      g_assert_cmpstr (str_at (obj (created), "status", NULL), ==, "inProgress");
      g_assert_nonnull (soup_message_headers_get_one (created->headers, "Retry-After"));
      g_assert_nonnull (str_at (obj (created), "csr", NULL));
      while (TRUE)
        {
          g_clear_pointer (&done, reply_free);
          done = kv ("GET", "kvb-weu", pending, NULL);
          if (g_strcmp0 (str_at (obj (done), "status", NULL), "completed") == 0 || g_get_monotonic_time () > deadline)
            break;
          g_usleep (100 * 1000);
        }
      g_assert_cmpstr (str_at (obj (done), "status", NULL), ==, "completed");
      g_assert_true (g_str_has_suffix (str_at (obj (done), "target", NULL), path));
    }
  blob = backup ("kvb-weu", kind, name);
  assert_blob_header (blob, header);

  del = kv ("DELETE", "kvb-weu", path, NULL);
  g_assert_cmpuint (del->status, ==, 200);
  g_assert_true (g_str_has_suffix (str_at (obj (del), "recoveryId", NULL), deleted_path));
  g_assert_true (json_object_has_member (obj (del), "deletedDate"));
  g_assert_true (json_object_has_member (obj (del), "scheduledPurgeDate"));
  del_get = kv ("GET", "kvb-weu", deleted_path, NULL);
  g_assert_cmpuint (del_get->status, ==, 404);     /* being deleted: not listed yet */
  restore_early = restore ("kvb-weu", kind, blob);
  assert_error (restore_early, 409, "Conflict", "ObjectIsBeingDeleted", "being deleted");
  deleted = wait_for ("GET", "kvb-weu", deleted_path, 200);
  g_assert_cmpuint (deleted->status, ==, 200);
  restore_deleted = restore ("kvb-weu", kind, blob);
  assert_error (restore_deleted, 409, "Conflict", "ObjectIsDeletedButRecoverable", "deleted but recoverable");
  again = kv (create_method, "kvb-weu", create_path, create_body);
  assert_error (again, 409, "Conflict", "ObjectIsDeletedButRecoverable", NULL);
  purge = kv ("DELETE", "kvb-weu", deleted_path, NULL);
  g_assert_cmpuint (purge->status, ==, 204);
  g_assert_cmpuint (g_bytes_get_size (purge->body), ==, 0);
  restore_purging = restore ("kvb-weu", kind, blob);
  assert_error (restore_purging, 409, "Conflict", "ObjectIsBeingDeleted", NULL);
  /* The name is usable again a moment after the purge, as with Azure: retry on 409. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while ((restored = restore ("kvb-weu", kind, blob))->status == 409 && g_get_monotonic_time () < deadline)
      {
        g_clear_pointer (&restored, reply_free);
        g_usleep (100 * 1000);
      }
  }
  g_assert_cmpuint (restored->status, ==, 200);
  got = kv ("GET", "kvb-weu", path, NULL);
  g_assert_cmpuint (got->status, ==, 200);
  restore_live = restore ("kvb-weu", kind, blob);
  assert_error (restore_live, 409, "Conflict", NULL, "already exists");
  listed = kv ("GET", "kvb-weu", path, NULL);
  g_assert_cmpuint (listed->status, ==, 200);
}

static void
test_secret_cycle (void)
{
  cycle ("secrets", "t-cyc", "PUT", "/secrets/t-cyc", "{\"value\":\"hush\"}", "AzureKeyVaultSecretBackupV1.microsoft.com");
  {
    g_autoptr(Reply) r = kv ("GET", "kvb-weu", "/secrets/t-cyc", NULL);

    g_assert_cmpstr (str_at (obj (r), "value", NULL), ==, "hush");
  }
}

static void
test_key_cycle (void)
{
  g_autoptr(Reply) rsa = kv ("POST", "kvb-weu", "/keys/t-rsa/create", "{\"kty\":\"RSA\",\"key_size\":2048}");
  g_autoptr(Reply) import = kv ("PUT", "kvb-weu", "/keys/t-imp", "{\"key\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"d\":\"secret\"}}");
  g_autoptr(Reply) bad = kv ("POST", "kvb-weu", "/keys/t-bad/create", "{\"kty\":\"DSA\"}");
  JsonObject *key;

  g_assert_cmpuint (rsa->status, ==, 200);
  key = json_object_get_object_member (obj (rsa), "key");
  g_assert_cmpstr (json_object_get_string_member (key, "kty"), ==, "RSA");
  g_assert_cmpstr (json_object_get_string_member (key, "e"), ==, "AQAB");
  g_assert_cmpuint (strlen (json_object_get_string_member (key, "n")), ==, 342);
  g_assert_cmpuint (import->status, ==, 200);
  g_assert_false (json_object_has_member (json_object_get_object_member (obj (import), "key"), "d"));
  assert_error (bad, 400, "BadParameter", NULL, "kty");
  cycle ("keys", "t-kcyc", "POST", "/keys/t-kcyc/create", "{\"kty\":\"EC\",\"crv\":\"P-256\"}",
         "AzureKeyVaultKeyBackupV1.microsoft.com");
}

static void
test_certificate_cycle (void)
{
  const char *policy = "{\"policy\":{\"x509_props\":{\"subject\":\"CN=t-ccyc\"},\"issuer\":{\"name\":\"Self\"}}}";
  g_autoptr(Reply) cert = NULL, key = NULL, secret = NULL, key_backup = NULL, secret_delete = NULL;
  g_autoptr(Reply) policy_r = NULL, key_after = NULL;

  /* Certificates carry the Key header, as the real service's do. */
  cycle ("certificates", "t-ccyc", "POST", "/certificates/t-ccyc/create", policy, "AzureKeyVaultKeyBackupV1.microsoft.com");
  cert = kv ("GET", "kvb-weu", "/certificates/t-ccyc", NULL);
  g_assert_cmpuint (cert->status, ==, 200);
  g_assert_cmpuint (strlen (str_at (obj (cert), "x5t", NULL)), ==, 27);
  g_assert_nonnull (str_at (obj (cert), "cer", NULL));
  g_assert_nonnull (strstr (str_at (obj (cert), "kid", NULL), "/keys/t-ccyc/"));
  g_assert_nonnull (strstr (str_at (obj (cert), "sid", NULL), "/secrets/t-ccyc/"));

  /* The restored certificate brought its managed key and secret back. */
  key = kv ("GET", "kvb-weu", "/keys/t-ccyc", NULL);
  secret = kv ("GET", "kvb-weu", "/secrets/t-ccyc", NULL);
  g_assert_cmpuint (key->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (obj (key), "managed"));
  g_assert_true (json_object_get_boolean_member (obj (secret), "managed"));
  g_assert_cmpstr (str_at (obj (secret), "contentType", NULL), ==, "application/x-pkcs12");
  g_assert_nonnull (str_at (obj (secret), "kid", NULL));
  key_backup = kv ("POST", "kvb-weu", "/keys/t-ccyc/backup", NULL);
  assert_error (key_backup, 403, "Forbidden", NULL, "associated with a certificate");
  secret_delete = kv ("DELETE", "kvb-weu", "/secrets/t-ccyc", NULL);
  assert_error (secret_delete, 403, "Forbidden", "SecretManagedByKeyVault", NULL);
  policy_r = kv ("GET", "kvb-weu", "/certificates/t-ccyc/policy", NULL);
  g_assert_cmpstr (str_at (obj (policy_r), "x509_props", "subject"), ==, "CN=t-ccyc");

  /* Deleting the certificate deletes its key and secret too. */
  {
    g_autoptr(Reply) del = kv ("DELETE", "kvb-weu", "/certificates/t-ccyc", NULL);

    g_assert_cmpuint (del->status, ==, 200);
  }
  key_after = kv ("GET", "kvb-weu", "/keys/t-ccyc", NULL);
  assert_error (key_after, 404, "KeyNotFound", NULL, NULL);
}

static char *
value_body (const char *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_add_string_value (b, value);
  json_builder_set_member_name (b, "pwd");
  json_builder_add_string_value (b, "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
wait_completed (const char *vault, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/certificates/%s/pending", name);
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  while (TRUE)
    {
      g_autoptr(Reply) r = kv ("GET", vault, path, NULL);

      if (g_strcmp0 (str_at (obj (r), "status", NULL), "completed") == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

/* A certificate's secret (PEM or PFX) imports into another vault as the same certificate. */
static void
test_certificate_import (void)
{
  g_autoptr(Reply) created = kv ("POST", "kvb-weu", "/certificates/t-pem/create",
                                 "{\"policy\":{\"secret_props\":{\"contentType\":\"application/x-pem-file\"},"
                                 "\"x509_props\":{\"subject\":\"CN=pem.example\"}}}");
  g_autoptr(Reply) pem_cert = NULL, pem_secret = NULL, pem_import = NULL;
  g_autoptr(Reply) pfx_cert = kv ("GET", "kvb-weu", "/certificates/web-tls", NULL);
  g_autoptr(Reply) pfx_secret = kv ("GET", "kvb-weu", "/secrets/web-tls", NULL);
  g_autoptr(Reply) pfx_import = NULL, imported_secret = NULL, garbage = NULL;
  g_autofree char *pem_body = NULL, *pfx_body = NULL;

  g_assert_cmpuint (created->status, ==, 202);
  wait_completed ("kvb-weu", "t-pem");
  pem_cert = kv ("GET", "kvb-weu", "/certificates/t-pem", NULL);
  pem_secret = kv ("GET", "kvb-weu", "/secrets/t-pem", NULL);
  g_assert_cmpstr (str_at (obj (pem_secret), "contentType", NULL), ==, "application/x-pem-file");
  g_assert_nonnull (strstr (str_at (obj (pem_secret), "value", NULL), "-----BEGIN PRIVATE KEY-----"));
  g_assert_nonnull (strstr (str_at (obj (pem_secret), "value", NULL), "-----BEGIN CERTIFICATE-----"));
  pem_body = value_body (str_at (obj (pem_secret), "value", NULL));
  pem_import = kv ("POST", "kvb-neu", "/certificates/t-pem-copy/import", pem_body);
  g_assert_cmpuint (pem_import->status, ==, 200);
  g_assert_cmpstr (str_at (obj (pem_import), "x5t", NULL), ==, str_at (obj (pem_cert), "x5t", NULL));

  g_assert_cmpstr (str_at (obj (pfx_secret), "contentType", NULL), ==, "application/x-pkcs12");
  pfx_body = value_body (str_at (obj (pfx_secret), "value", NULL));
  pfx_import = kv ("POST", "kvb-neu", "/certificates/web-tls-copy/import", pfx_body);
  g_assert_cmpuint (pfx_import->status, ==, 200);
  g_assert_cmpstr (str_at (obj (pfx_import), "x5t", NULL), ==, str_at (obj (pfx_cert), "x5t", NULL));
  g_assert_cmpstr (str_at (obj (pfx_import), "cer", NULL), ==, str_at (obj (pfx_cert), "cer", NULL));
  imported_secret = kv ("GET", "kvb-neu", "/secrets/web-tls-copy", NULL);
  g_assert_true (json_object_get_boolean_member (obj (imported_secret), "managed"));

  garbage = kv ("POST", "kvb-neu", "/certificates/t-garbage/import", "{\"value\":\"bm90IGEgY2VydGlmaWNhdGU=\"}");
  assert_error (garbage, 400, "BadParameter", NULL, NULL);
}

static void
test_recover (void)
{
  g_autoptr(Reply) set = kv ("PUT", "kvb-weu", "/secrets/t-rec", "{\"value\":\"back\"}");
  g_autoptr(Reply) del = kv ("DELETE", "kvb-weu", "/secrets/t-rec", NULL);
  g_autoptr(Reply) deleted = wait_for ("GET", "kvb-weu", "/deletedsecrets/t-rec", 200);
  g_autoptr(Reply) listed = kv ("GET", "kvb-weu", "/deletedsecrets", NULL);
  g_autoptr(Reply) rec = kv ("POST", "kvb-weu", "/deletedsecrets/t-rec/recover", NULL);
  g_autoptr(Reply) early = kv ("GET", "kvb-weu", "/secrets/t-rec", NULL);
  g_autoptr(Reply) set_early = kv ("PUT", "kvb-weu", "/secrets/t-rec", "{\"value\":\"x\"}");
  g_autoptr(Reply) later = wait_for ("GET", "kvb-weu", "/secrets/t-rec", 200);
  g_autoptr(Reply) no_such = kv ("POST", "kvb-weu", "/deletedsecrets/t-nothing/recover", NULL);
  JsonArray *items = json_object_get_array_member (obj (listed), "value");
  gboolean found = FALSE;

  g_assert_cmpuint (deleted->status, ==, 200);
  for (guint i = 0; i < json_array_get_length (items); i++)
    found |= g_str_has_suffix (json_object_get_string_member (json_array_get_object_element (items, i), "recoveryId"),
                               "/deletedsecrets/t-rec");
  g_assert_true (found);
  g_assert_cmpuint (rec->status, ==, 200);
  g_assert_false (json_object_has_member (obj (rec), "value"));
  assert_error (early, 404, "SecretNotFound", NULL, NULL);   /* recovery takes a moment */
  assert_error (set_early, 409, "Conflict", "ObjectIsBeingRecovered", NULL);
  g_assert_cmpuint (later->status, ==, 200);
  g_assert_cmpstr (str_at (obj (later), "value", NULL), ==, "back");
  assert_error (no_such, 404, "SecretNotFound", NULL, "was not found");
}

static void
test_vault_settings (void)
{
  g_autoptr(Reply) set = kv ("PUT", "kvb-nosoft", "/secrets/t-final", "{\"value\":\"v\"}");
  g_autoptr(Reply) del = kv ("DELETE", "kvb-nosoft", "/secrets/t-final", NULL);
  g_autoptr(Reply) gone = kv ("GET", "kvb-nosoft", "/secrets/t-final", NULL);
  g_autoptr(Reply) not_deleted = kv ("GET", "kvb-nosoft", "/deletedsecrets/t-final", NULL);
  g_autoptr(Reply) reset = kv ("PUT", "kvb-nosoft", "/secrets/t-final", "{\"value\":\"again\"}");
  g_autoptr(Reply) protected_purge = kv ("DELETE", "kvb-protected", "/deletedsecrets/kept", NULL);
  g_autoptr(Reply) protected_get = kv ("GET", "kvb-protected", "/deletedsecrets/kept", NULL);

  g_assert_cmpuint (del->status, ==, 200);
  g_assert_false (json_object_has_member (obj (del), "recoveryId"));
  g_assert_cmpstr (str_at (obj (set), "attributes", "recoveryLevel"), ==, "Purgeable");
  assert_error (gone, 404, "SecretNotFound", NULL, NULL);
  assert_error (not_deleted, 404, "SecretNotFound", NULL, "Deleted Secret not found");
  g_assert_cmpuint (reset->status, ==, 200);   /* the delete was final: the name is free */
  assert_error (protected_purge, 403, "Forbidden", NULL, "purge protection");
  g_assert_cmpuint (protected_get->status, ==, 200);
  g_assert_cmpstr (str_at (obj (protected_get), "attributes", "recoveryLevel"), ==, "CustomizedRecoverable");
}

static void
test_restore_scope (void)
{
  g_autoptr(Reply) set = kv ("PUT", "kvb-weu", "/secrets/t-geo", "{\"value\":\"geo\"}");
  g_autofree char *blob = backup ("kvb-weu", "secrets", "t-geo");
  g_autoptr(Reply) same_geo = restore ("kvb-neu", "secrets", blob);
  g_autoptr(Reply) other_geo = restore ("kvb-eus", "secrets", blob);
  g_autoptr(Reply) other_sub = restore ("kvb-dev", "secrets", blob);
  g_autoptr(Reply) as_key = restore ("kvb-weu", "keys", blob);
  g_autoptr(Reply) got = kv ("GET", "kvb-neu", "/secrets/t-geo", NULL);
  g_autofree char *cut = g_strndup (blob, strlen (blob) - 10);
  g_autoptr(Reply) truncated = restore ("kvb-weu", "secrets", cut);
  g_autoptr(Reply) not_b64 = restore ("kvb-weu", "secrets", "not*base64url");
  g_autoptr(Reply) garbage = restore ("kvb-weu", "secrets", "aGVsbG8gd29ybGQ");

  /* westeurope and northeurope are one geography, in one subscription. */
  g_assert_cmpuint (same_geo->status, ==, 200);
  g_assert_true (g_str_has_prefix (str_at (obj (same_geo), "id", NULL), "https://kvb-neu.vault.localhost:"));
  g_assert_cmpstr (str_at (obj (got), "value", NULL), ==, "geo");
  assert_error (other_geo, 400, "BadParameter", NULL, "same Azure geography");
  assert_error (other_sub, 400, "BadParameter", NULL, "same Azure subscription");
  assert_error (as_key, 400, "Malformed backup blob", NULL, "Backup blob is corrupt.");
  assert_error (truncated, 400, "Malformed backup blob", NULL, NULL);
  assert_error (not_b64, 400, "Malformed backup blob", NULL, NULL);
  assert_error (garbage, 400, "Malformed backup blob", NULL, NULL);
}

static void
test_version_limit (void)
{
  g_autoptr(Reply) r = NULL;

  for (int i = 0; i < 501; i++)
    {
      g_autoptr(Reply) set = kv ("PUT", "kvb-eus", "/secrets/t-many", "{\"value\":\"v\"}");

      g_assert_cmpuint (set->status, ==, 200);
    }
  r = kv ("POST", "kvb-eus", "/secrets/t-many/backup", NULL);
  assert_error (r, 400, "BadParameter", NULL, "500 versions");
}

static void
test_forbidden (void)
{
  g_autoptr(Reply) rbac_list = kv_as (fx->reader_token, "GET", "kvb-weu", "/secrets", NULL);
  g_autoptr(Reply) rbac_get = kv_as (fx->reader_token, "GET", "kvb-weu", "/secrets/db-password", NULL);
  g_autoptr(Reply) rbac_backup = kv_as (fx->reader_token, "POST", "kvb-weu", "/keys/signing-key/backup", NULL);
  g_autoptr(Reply) policy_list = kv_as (fx->reader_token, "GET", "kvb-neu", "/secrets", NULL);
  g_autoptr(Reply) policy_get = kv_as (fx->reader_token, "GET", "kvb-neu", "/secrets/any", NULL);
  g_autoptr(Reply) policy_restore = kv_as (fx->reader_token, "POST", "kvb-neu", "/certificates/restore", "{\"value\":\"x\"}");

  g_assert_cmpuint (rbac_list->status, ==, 200);
  assert_error (rbac_get, 403, "Forbidden", "ForbiddenByRbac", "Microsoft.KeyVault/vaults/secrets/getSecret/action");
  assert_error (rbac_backup, 403, "Forbidden", "ForbiddenByRbac", "keys/backup");
  g_assert_cmpuint (policy_list->status, ==, 200);
  assert_error (policy_get, 403, "Forbidden", "ForbiddenByPolicy", "does not have secrets get permission");
  assert_error (policy_restore, 403, "Forbidden", "ForbiddenByPolicy", "certificates restore permission");
}

static void
test_bad_input (void)
{
  g_autoptr(Reply) bad_json = kv ("PUT", "kvb-weu", "/secrets/t-bad", "{\"value\":");
  g_autoptr(Reply) not_object = kv ("PUT", "kvb-weu", "/secrets/t-bad", "[1,2]");
  g_autoptr(Reply) no_value = kv ("PUT", "kvb-weu", "/secrets/t-bad", "{\"valu\":\"x\"}");
  g_autoptr(Reply) wrong_type = kv ("PUT", "kvb-weu", "/secrets/t-bad", "{\"value\":5}");
  g_autoptr(Reply) bad_method = kv ("POST", "kvb-weu", "/secrets/t-bad", "{}");
  g_autoptr(Reply) bad_method2 = kv ("DELETE", "kvb-weu", "/secrets", NULL);
  g_autoptr(Reply) unknown = kv ("GET", "kvb-weu", "/storage/x", NULL);
  g_autoptr(Reply) too_deep = kv ("GET", "kvb-weu", "/secrets/a/b/c/d", NULL);
  g_autoptr(Reply) bad_name = kv ("GET", "kvb-weu", "/secrets/under_score", NULL);
  g_autoptr(Reply) old_api = kv ("GET", "kvb-weu", "/secrets?api-version=9.9", NULL);
  g_autoptr(Reply) restore_no_value = kv ("POST", "kvb-weu", "/secrets/restore", "{}");
  g_autoptr(Reply) big = NULL;
  g_autoptr(Reply) big_value = NULL;
  g_autofree char *no_api_url = g_strdup_printf ("https://kvb-weu.vault.localhost:%u/secrets", fx->port);
  g_autoptr(Reply) no_api2 = send_raw ("GET", no_api_url, fx->token, NULL, NULL);
  GString *huge = g_string_new ("{\"value\":\"");

  assert_error (bad_json, 400, "BadParameter", NULL, NULL);
  assert_error (not_object, 400, "BadParameter", NULL, NULL);
  assert_error (no_value, 400, "BadParameter", NULL, "value");
  assert_error (wrong_type, 400, "BadParameter", NULL, "value");
  assert_error (bad_method, 405, "MethodNotAllowed", NULL, "POST");
  g_assert_nonnull (soup_message_headers_get_one (bad_method->headers, "Allow"));
  assert_error (bad_method2, 405, "MethodNotAllowed", NULL, NULL);
  assert_error (unknown, 404, "NotFound", NULL, NULL);
  assert_error (too_deep, 404, "NotFound", NULL, NULL);
  assert_error (bad_name, 400, "BadParameter", NULL, "invalid name: under_score");
  assert_error (old_api, 400, "BadParameter", NULL, "The specified version (9.9) is not recognized.");
  assert_error (no_api2, 400, "BadParameter", NULL, "api-version");
  assert_error (restore_no_value, 400, "BadParameter", NULL, "value");

  for (int i = 0; i < 26 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\"}");
  big_value = kv ("PUT", "kvb-weu", "/secrets/t-big", huge->str);
  assert_error (big_value, 400, "BadParameter", NULL, "25 KB");
  /* A restore body of several MiB is read and judged as a blob, not refused for its size:
   * certificates with many versions make blobs that large. */
  {
    g_autoptr(GString) blob = g_string_new ("{\"value\":\"");
    g_autoptr(Reply) big_restore = NULL;

    while (blob->len < 3 * 1024 * 1024)
      g_string_append (blob, "QUJDRA");
    g_string_append (blob, "\"}");
    big_restore = kv ("POST", "kvb-weu", "/secrets/restore", blob->str);
    assert_error (big_restore, 400, "Malformed backup blob", NULL, NULL);
  }
  while (huge->len < 33 * 1024 * 1024)
    g_string_append (huge, "                                                                ");
  big = kv ("PUT", "kvb-weu", "/secrets/t-big", huge->str);
  assert_error (big, 413, "RequestEntityTooLarge", NULL, NULL);
  g_string_free (huge, TRUE);
}

/* The master key is fixed in the seed: a blob made by one run of the stand-in restores in another
 * (a new process in real use; a second instance here, with its own CA, tokens and store). */
static void
test_restore_other_run (void)
{
  g_autoptr(Reply) set = kv ("PUT", "kvb-weu", "/secrets/t-run", "{\"value\":\"survives\"}");
  g_autofree char *blob = backup ("kvb-weu", "secrets", "t-run");
  g_autoptr(KvbEmulator) emu2 = kvb_emulator_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GUri) uri = NULL;
  SoupSession *first_session = fx->session;
  guint first_port = fx->port;
  char *first_url = fx->url, *first_token = fx->token;
  g_autofree char *seed = NULL;
  g_autoptr(Reply) restored = NULL, got = NULL;

  seed = g_build_filename (g_getenv ("KVB_SOURCE_ROOT") ? g_getenv ("KVB_SOURCE_ROOT") : "..", "tests", "emulator",
                           "test-emu-keyvault-seed.json", NULL);
  kvb_emulator_set_seed_file (emu2, seed);
  kvb_emulator_set_proxy_enabled (emu2, FALSE);
  g_assert_true (kvb_emulator_start (emu2, &error));
  g_assert_no_error (error);
  db = g_tls_file_database_new (kvb_emulator_get_ca_file (emu2), &error);
  g_assert_no_error (error);
  fx->session = soup_session_new ();
  soup_session_set_tls_database (fx->session, db);
  soup_session_set_proxy_resolver (fx->session, NULL);
  fx->url = g_strdup (kvb_emulator_get_url (emu2));
  uri = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  fx->port = (guint) g_uri_get_port (uri);
  fx->token = fetch_token (fx->client_id, fx->client_secret);

  restored = restore ("kvb-weu", "secrets", blob);
  g_assert_cmpuint (restored->status, ==, 200);
  got = kv ("GET", "kvb-weu", "/secrets/t-run", NULL);
  g_assert_cmpstr (str_at (obj (got), "value", NULL), ==, "survives");

  kvb_emulator_stop (emu2);
  g_object_unref (fx->session);
  g_free (fx->url);
  g_free (fx->token);
  fx->session = first_session;
  fx->port = first_port;
  fx->url = first_url;
  fx->token = first_token;
}

/* Random requests: the stand-in never crashes, and every refusal is the real envelope. */
static void
test_fuzz (void)
{
  static const char *methods[] = { "GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS" };
  static const char *segments[] = { "secrets", "keys", "certificates", "deletedsecrets", "deletedkeys",
                                    "deletedcertificates", "restore", "backup", "versions", "recover", "create",
                                    "import", "pending", "policy", "fz", "db-password", "web-tls", "%2F", "..",
                                    "a%20b", "", "%C3%BC", "0123456789abcdef0123456789abcdef" };
  static const char *bodies[] = { NULL, "{", "[]", "null", "{\"value\":123}", "{\"value\":\"KUF6\"}",
                                  "{\"value\":\"x\",\"tags\":{\"a\":1}}", "{\"attributes\":5}",
                                  "{\"kty\":\"RSA\",\"key_size\":99999}", "{\"kty\":\"EC\",\"crv\":\"P-9\"}",
                                  "{\"policy\":{\"key_props\":{\"kty\":\"RSA\",\"key_size\":512}}}",
                                  "{\"policy\":{\"x509_props\":{\"subject\":\"not a dn\"}}}",
                                  "{\"policy\":7}", "{\"key\":{\"kty\":5}}", "\xff\xfe\x00garbage" };
  static const char *queries[] = { "api-version=7.4", "api-version=7.4&maxresults=0", "api-version=7.4&maxresults=x",
                                   "api-version=7.4&$skiptoken=%25%25", "api-version=", "api-version=7.4&maxresults=3" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261128);
  guint sent = 0;

  for (int i = 0; i < 400; i++)
    {
      g_autoptr(GString) path = g_string_new ("");
      int n = g_rand_int_range (rand, 1, 5);
      const char *method = methods[g_rand_int_range (rand, 0, G_N_ELEMENTS (methods))];
      const char *body = bodies[g_rand_int_range (rand, 0, G_N_ELEMENTS (bodies))];
      g_autofree char *url = NULL;
      g_autoptr(GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;
      g_autoptr(Reply) r = NULL;

      for (int k = 0; k < n; k++)
        g_string_append_printf (path, "/%s", segments[g_rand_int_range (rand, 0, G_N_ELEMENTS (segments))]);
      url = g_strdup_printf ("https://kvb-dev.vault.localhost:%u%s?%s", fx->port, path->str,
                             queries[g_rand_int_range (rand, 0, G_N_ELEMENTS (queries))]);
      if (!g_uri_is_valid (url, SOUP_HTTP_URI_FLAGS, NULL))
        continue;   /* libsoup would not send it */
      r = send_raw (method, url, fx->token, "application/json", bytes);
      sent++;
      g_assert_cmpuint (r->status, >=, 200);
      g_assert_cmpuint (r->status, <, 500);
      if (r->status >= 400)
        {
          JsonObject *e;

          if (r->root == NULL)
            g_error ("%s %s -> %u without a JSON body: %.*s", method, url, r->status,
                     (int) g_bytes_get_size (r->body), (const char *) g_bytes_get_data (r->body, NULL));
          e = json_object_get_object_member (obj (r), "error");
          g_assert_nonnull (e);
          g_assert_nonnull (json_object_get_string_member (e, "code"));
          g_assert_nonnull (json_object_get_string_member (e, "message"));
        }
    }
  g_assert_cmpuint (sent, >, 300);
  {
    g_autoptr(Reply) alive = kv ("GET", "kvb-weu", "/secrets/db-password", NULL);

    g_assert_cmpuint (alive->status, ==, 200);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *seed = NULL;
  g_autofree char *info = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GUri) uri = NULL;
  JsonObject *o;
  int rc;

  g_test_init (&argc, &argv, NULL);
  fx = g_new0 (Fixture, 1);
  if (g_getenv ("KVB_SOURCE_ROOT"))
    seed = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "emulator", "test-emu-keyvault-seed.json", NULL);
  else
    seed = g_test_build_filename (G_TEST_DIST, "test-emu-keyvault-seed.json", NULL);
  fx->emu = kvb_emulator_new ();
  kvb_emulator_set_seed_file (fx->emu, seed);
  kvb_emulator_set_port (fx->emu, 0);
  kvb_emulator_set_proxy_enabled (fx->emu, FALSE);
  if (!kvb_emulator_start (fx->emu, &error))
    g_error ("stand-in did not start: %s", error->message);
  fx->url = g_strdup (kvb_emulator_get_url (fx->emu));
  uri = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  fx->port = (guint) g_uri_get_port (uri);
  info = kvb_emulator_dup_info_json (fx->emu);
  g_assert_true (json_parser_load_from_data (parser, info, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  fx->tenant = g_strdup (json_object_get_string_member (o, "tenant"));
  fx->client_id = g_strdup (json_object_get_string_member (o, "client_id"));
  fx->client_secret = g_strdup (json_object_get_string_member (o, "client_secret"));

  db = g_tls_file_database_new (kvb_emulator_get_ca_file (fx->emu), &error);
  g_assert_no_error (error);
  fx->session = soup_session_new ();
  soup_session_set_tls_database (fx->session, db);
  soup_session_set_timeout (fx->session, 30);
  soup_session_set_proxy_resolver (fx->session, NULL);   /* loopback only, whatever the environment says */
  fx->token = fetch_token (fx->client_id, fx->client_secret);
  fx->reader_token = fetch_token (SP_READER_ID, SP_READER_SECRET);

  g_test_add_func ("/emulator/keyvault/secret-versions", test_secret_versions);
  g_test_add_func ("/emulator/keyvault/paging", test_paging);
  g_test_add_func ("/emulator/keyvault/secret-cycle", test_secret_cycle);
  g_test_add_func ("/emulator/keyvault/key-cycle", test_key_cycle);
  g_test_add_func ("/emulator/keyvault/certificate-cycle", test_certificate_cycle);
  g_test_add_func ("/emulator/keyvault/certificate-import", test_certificate_import);
  g_test_add_func ("/emulator/keyvault/recover", test_recover);
  g_test_add_func ("/emulator/keyvault/vault-settings", test_vault_settings);
  g_test_add_func ("/emulator/keyvault/restore-scope", test_restore_scope);
  g_test_add_func ("/emulator/keyvault/version-limit", test_version_limit);
  g_test_add_func ("/emulator/keyvault/forbidden", test_forbidden);
  g_test_add_func ("/emulator/keyvault/bad-input", test_bad_input);
  g_test_add_func ("/emulator/keyvault/restore-other-run", test_restore_other_run);
  g_test_add_func ("/emulator/keyvault/fuzz", test_fuzz);
  rc = g_test_run ();

  kvb_emulator_stop (fx->emu);
  g_object_unref (fx->session);
  g_object_unref (fx->emu);
  return rc;
}
