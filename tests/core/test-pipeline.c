/* test-pipeline.c: retries, back-off, restore after a dropped connection, timeouts,
 * cancellation, paging links, pacing and the mapping of Key Vault answers, against a local
 * HTTPS server that answers as scripted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-pipeline.h"
#include "kvb-test-credential.h"
#include "kvb-test-server.h"
#include "kvb-test-sync.h"

#define CHALLENGE "Bearer authorization=\"https://127.0.0.1:PORT/tenant\", resource=\"https://vault.localhost\""

/* Each answer: "STATUS BODY" (BODY may be empty), "RETRY0 429" (429 with Retry-After: 0),
 * "DROP" (close the connection unanswered) or "HANG" (never answer).  The last one repeats. */
typedef struct
{
  const char * const *answers;
  guint next;
  GPtrArray *hung;
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
  const char *answer;
  guint count = 0;

  if (auth == NULL)
    {
      g_autofree char *port = g_strdup_printf ("%u", kvb_test_server_get_port (server));
      g_autoptr(GString) challenge = g_string_new (CHALLENGE);

      g_string_replace (challenge, "PORT", port, 0);
      kvb_test_reply_json (msg, 401, "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"x\"}}",
                           "WWW-Authenticate", challenge->str);
      return;
    }

  while (script->answers[count] != NULL)
    count++;
  answer = script->answers[MIN (script->next, count - 1)];
  script->next++;

  if (g_str_equal (answer, "DROP"))
    {
      g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);
      g_io_stream_close (stream, NULL, NULL);
      return;
    }
  if (g_str_equal (answer, "HANG"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (script->hung, g_object_ref (msg));
      return;
    }
  if (g_str_has_prefix (answer, "RETRY0 "))
    {
      kvb_test_reply_json (msg, atoi (answer + 7),
                           "{\"error\":{\"code\":\"Throttled\",\"message\":\"Request was not "
                           "processed because too many requests were received.\"}}",
                           "Retry-After", "0");
      return;
    }

  {
    const char *space = strchr (answer, ' ');
    g_autofree char *body = NULL;

    if (space != NULL)
      {
        g_autofree char *port = g_strdup_printf ("%u", kvb_test_server_get_port (server));
        g_autoptr(GString) s = g_string_new (space + 1);

        g_string_replace (s, "PORT", port, 0);
        body = g_string_free (g_steal_pointer (&s), FALSE);
      }
    kvb_test_reply_json (msg, atoi (answer), body != NULL && *body ? body : NULL, NULL, NULL);
  }
}

typedef struct
{
  Script script;
  KvbTestServer *server;
  KvbCloud *cloud;
  KvbPipeline *pipeline;
  KvbTestCredential *cred;
  KvbKeyVaultClient *client;
} Fixture;

static void
fixture_start (Fixture            *f,
               const char * const *answers)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *vault = NULL;

  f->script.answers = answers;
  f->script.next = 0;
  f->script.hung = g_ptr_array_new_with_free_func (g_object_unref);
  f->server = kvb_test_server_new (handler, &f->script);
  f->cloud = kvb_test_server_new_cloud (f->server, TRUE);
  f->pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (f->pipeline, 10);
  f->cred = kvb_test_credential_new ("token");
  vault = kvb_test_server_dup_vault_url (f->server, "test");
  f->client = kvb_keyvault_client_new (f->pipeline, f->cloud, KVB_CREDENTIAL (f->cred), vault,
                                       &error);
  g_assert_no_error (error);
}

static void
fixture_stop (Fixture *f)
{
  g_clear_object (&f->client);
  g_clear_object (&f->cred);
  g_clear_object (&f->pipeline);
  g_clear_object (&f->cloud);
  g_clear_pointer (&f->script.hung, g_ptr_array_unref);
  g_clear_pointer (&f->server, kvb_test_server_free);
}

/* Requests that carried a token (the challenge request is not counted). */
static guint
n_authorized (Fixture *f)
{
  GPtrArray *requests = kvb_test_server_get_requests (f->server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    if (((KvbTestRequest *)requests->pdata[i])->authorization != NULL)
      n++;
  return n;
}

#define BLOB_JSON "200 {\"value\":\"KUF6dXJlS2V5VmF1bHRTZWNyZXRCYWNrdXBWMS5taWNyb3NvZnQuY29tZXlKaGJHY2lPaUpTVTBFaWZR\"}"
#define EMPTY_LIST "200 {\"value\":[],\"nextLink\":null}"

static void
test_retry_429 (void)
{
  static const char * const answers[] = { "RETRY0 429", "RETRY0 429", EMPTY_LIST, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;

  fixture_start (&f, answers);
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_authorized (&f), ==, 3);
  g_assert_cmpuint (kvb_pipeline_get_n_retries (f.pipeline), ==, 2);
  fixture_stop (&f);
}

static void
test_retry_5xx_and_drop (void)
{
  static const char * const answers[] = { "503", "DROP", "500", BLOB_JSON, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;

  /* A backup is safe to repeat: it is re-sent after 5xx and a dropped connection. */
  fixture_start (&f, answers);
  blob = kvb_test_backup (f.client, KVB_OBJECT_KIND_SECRET, "s", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (blob), >, 42);
  g_assert_true (memcmp (g_bytes_get_data (blob, NULL), ")AzureKeyVaultSecretBackupV1", 28) == 0);
  g_assert_cmpuint (n_authorized (&f), ==, 4);
  fixture_stop (&f);
}

static void
test_recover_after_500 (void)
{
  static const char * const answers[] = {
    "500 {\"error\":{\"code\":\"InternalError\",\"message\":\"boom\"}}",
    "404 {\"error\":{\"code\":\"SecretNotFound\",\"message\":\"Deleted Secret not found\"}}",
    "200 {\"id\":\"https://test.vault.localhost/secrets/s/1\",\"attributes\":{\"enabled\":true}}",
    NULL
  };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;

  /* A recover answered 500 may have been carried out: it is sent again, and the "not found"
   * of the second try is not the answer — the live object that then answers is. */
  fixture_start (&f, answers);
  info = kvb_test_recover (f.client, KVB_OBJECT_KIND_SECRET, "s", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (info), ==, "s");
  /* recover, recover again, the live object when it answers, its properties */
  g_assert_cmpuint (n_authorized (&f), ==, 4);
  fixture_stop (&f);
}

static void
test_throttled_exhausted (void)
{
  static const char * const answers[] = { "RETRY0 429", NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;

  gint64 start, elapsed_ms;

  /* Retried for as long as the budget allows (counted in time, not in tries), then the
   * throttling is reported. */
  fixture_start (&f, answers);
  kvb_pipeline_set_retry_budget_ms (f.pipeline, 1500);
  start = g_get_monotonic_time ();
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_KEY, FALSE, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_null (items);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_THROTTLED);
  g_assert_cmpuint (n_authorized (&f), >, 6);
  g_assert_cmpint (elapsed_ms, >=, 1300);
  g_assert_cmpint (elapsed_ms, <, 3000);
  fixture_stop (&f);
}

static void
test_backoff_timing (void)
{
  static const char * const answers[] = { "503", "503", "503", EMPTY_LIST, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gint64 start, elapsed_ms;

  /* 1, 2, 4 × base with up to a quarter of jitter: 700 ms to 875 ms of waiting at base 100 ms. */
  fixture_start (&f, answers);
  kvb_pipeline_set_retry_base_ms (f.pipeline, 100);
  start = g_get_monotonic_time ();
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_KEY, FALSE, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_no_error (error);
  g_assert_cmpint (elapsed_ms, >=, 700);
  g_assert_cmpint (elapsed_ms, <, 2500);
  fixture_stop (&f);
}

#define CONFLICT_DB_PASSWORD \
  "409 {\"error\":{\"code\":\"Conflict\",\"message\":\"There was a conflict restoring the " \
  "secret 'db-password'. A secret with the same name already exists in this key vault.\"}}"
#define SECRET_NOT_FOUND \
  "404 {\"error\":{\"code\":\"SecretNotFound\",\"message\":\"A secret with (name/id) " \
  "db-password was not found in this key vault.\"}}"
#define DB_PASSWORD \
  "200 {\"id\":\"https://test.vault.localhost:PORT/secrets/db-password/abc\",\"attributes\":" \
  "{\"enabled\":true,\"created\":1700000000,\"updated\":1700000001}}"

static guint
count_requests (Fixture    *f,
                const char *method,
                const char *path)
{
  GPtrArray *requests = kvb_test_server_get_requests (f->server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    {
      KvbTestRequest *r = requests->pdata[i];

      if (g_strcmp0 (r->method, method) == 0 && g_strcmp0 (r->path, path) == 0)
        n++;
    }
  return n;
}

static void
test_restore_after_drop (void)
{
  static const char * const answers[] = {
    SECRET_NOT_FOUND,        /* the name is not live … */
    SECRET_NOT_FOUND,        /* … nor soft-deleted */
    "DROP",
    CONFLICT_DB_PASSWORD,
    DB_PASSWORD,
    NULL
  };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (")AzureKeyVaultSecretBackupV1.microsoft.comeyJ4Ijoi", 50);
  GPtrArray *requests;

  /* The name was free before; the connection drops after the blob went out; the retry finds
   * the name taken — by the first attempt — so the object that is there is the result. */
  fixture_start (&f, answers);
  info = kvb_test_restore_named (f.client, KVB_OBJECT_KIND_SECRET, blob, "db-password", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (info), ==, "db-password");
  g_assert_cmpuint (count_requests (&f, "POST", "/secrets/restore"), ==, 2);
  requests = kvb_test_server_get_requests (f.server);
  g_assert_cmpstr (((KvbTestRequest *)requests->pdata[requests->len - 1])->path, ==,
                   "/secrets/db-password");
  fixture_stop (&f);
}

static void
test_restore_after_drop_unknown (void)
{
  static const char * const answers[] = { "DROP", CONFLICT_DB_PASSWORD, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (")AzureKeyVaultSecretBackupV1.microsoft.comeyJ4Ijoi", 50);

  /* Without the name, nothing was known before: the taken name may be an object that was there
   * all along.  Never "restored" on a guess. */
  fixture_start (&f, answers);
  info = kvb_test_restore (f.client, KVB_OBJECT_KIND_SECRET, blob, &error);
  g_assert_null (info);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_OUTCOME_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "db-password"));
  g_assert_nonnull (strstr (error->message, "cannot be told"));
  fixture_stop (&f);
}

static void
test_restore_named_live (void)
{
  static const char * const answers[] = { DB_PASSWORD, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (")AzureKeyVaultSecretBackupV1.microsoft.comeyJ4Ijoi", 50);

  /* A live name: the service never overwrites, so the blob is not even sent. */
  fixture_start (&f, answers);
  info = kvb_test_restore_named (f.client, KVB_OBJECT_KIND_SECRET, blob, "db-password", &error);
  g_assert_null (info);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  g_assert_nonnull (strstr (error->message, "Nothing was restored"));
  g_assert_cmpuint (count_requests (&f, "POST", "/secrets/restore"), ==, 0);
  fixture_stop (&f);
}

static void
test_restore_named_deleted (void)
{
  static const char * const answers[] = {
    SECRET_NOT_FOUND,
    "200 {\"recoveryId\":\"https://test.vault.localhost:PORT/deletedsecrets/db-password\","
    "\"id\":\"https://test.vault.localhost:PORT/secrets/db-password/abc\",\"deletedDate\":1700000100,"
    "\"scheduledPurgeDate\":1707776100,\"attributes\":{\"enabled\":true,\"created\":1700000000,"
    "\"updated\":1700000001,\"recoveryLevel\":\"Recoverable+Purgeable\"}}",
    NULL
  };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (")AzureKeyVaultSecretBackupV1.microsoft.comeyJ4Ijoi", 50);

  fixture_start (&f, answers);
  info = kvb_test_restore_named (f.client, KVB_OBJECT_KIND_SECRET, blob, "db-password", &error);
  g_assert_null (info);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_DELETED);
  g_assert_nonnull (strstr (error->message, "Recover it, or purge it"));
  g_assert_cmpuint (count_requests (&f, "POST", "/secrets/restore"), ==, 0);
  fixture_stop (&f);
}

static void
test_restore_conflict_plain (void)
{
  static const char * const answers[] = {
    "409 {\"error\":{\"code\":\"Conflict\",\"message\":\"There was a conflict restoring the secret "
    "'db-password'.\"}}", NULL
  };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (")AzureKeyVaultSecretBackupV1.microsoft.comeyJ4Ijoi", 50);

  /* Without a dropped attempt before it, a 409 is a conflict. */
  fixture_start (&f, answers);
  info = kvb_test_restore (f.client, KVB_OBJECT_KIND_SECRET, blob, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  g_assert_nonnull (strstr (error->message, "db-password"));
  g_assert_nonnull (strstr (error->message, "Delete and purge"));
  fixture_stop (&f);
}

typedef struct
{
  gboolean done;
  GError *error;
  guint status;
} SendResult;

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendResult *r = user_data;
  g_autoptr(JsonNode) node = NULL;

  node = kvb_pipeline_send_finish (KVB_PIPELINE (source), result, &r->status, NULL, &r->error);
  r->done = TRUE;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_timeout_and_cancel (void)
{
  static const char * const answers[] = { "HANG", NULL };
  Fixture f = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *url = NULL;
  SendResult r = { 0 }, c = { 0 };
  gint64 start;

  fixture_start (&f, answers);
  url = g_strconcat (kvb_keyvault_client_get_vault_url (f.client), "secrets?api-version=7.6", NULL);

  start = g_get_monotonic_time ();
  kvb_pipeline_send_async (f.pipeline, f.cloud, KVB_CREDENTIAL (f.cred), "GET", url, NULL,
                           KVB_REQUEST_KEYVAULT, 1, NULL, send_cb, &r);
  kvb_test_wait (&r.done, 30);
  g_assert_error (r.error, KVB_ERROR, KVB_ERROR_TIMEOUT);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 5000);

  kvb_pipeline_send_async (f.pipeline, f.cloud, KVB_CREDENTIAL (f.cred), "GET", url, NULL,
                           KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 60, cancellable,
                           send_cb, &c);
  g_timeout_add (200, cancel_cb, cancellable);
  kvb_test_wait (&c.done, 30);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_error (&r.error);
  g_clear_error (&c.error);
  fixture_stop (&f);
}

static void
test_cancel_during_backoff (void)
{
  static const char * const answers[] = { "503", NULL };
  Fixture f = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *url = NULL;
  SendResult r = { 0 };
  gint64 start;

  /* A back-off of 5 s, cancelled after 300 ms: the caller hears of it at once. */
  fixture_start (&f, answers);
  kvb_pipeline_set_retry_base_ms (f.pipeline, 5000);
  url = g_strconcat (kvb_keyvault_client_get_vault_url (f.client), "secrets?api-version=7.6", NULL);
  start = g_get_monotonic_time ();
  kvb_pipeline_send_async (f.pipeline, f.cloud, KVB_CREDENTIAL (f.cred), "GET", url, NULL,
                           KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 30, cancellable,
                           send_cb, &r);
  g_timeout_add (300, cancel_cb, cancellable);
  kvb_test_wait (&r.done, 30);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 2000);
  g_clear_error (&r.error);
  fixture_stop (&f);
}

static void
test_network_error (void)
{
  static const char * const answers[] = { EMPTY_LIST, NULL };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;

  /* Nobody listens any more on the vault's port. */
  fixture_start (&f, answers);
  kvb_pipeline_set_retry_budget_ms (f.pipeline, 500);
  soup_server_disconnect (kvb_test_server_get_server (f.server));
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_NETWORK);
  g_assert_cmpuint (kvb_pipeline_get_n_retries (f.pipeline), >=, 3);
  /* The message says how long it kept trying and what to do. */
  g_assert_nonnull (strstr (error->message, "kept failing"));
  g_assert_nonnull (strstr (error->message, "Check your network connection"));
  fixture_stop (&f);
}

static void
test_next_link (void)
{
  static const char * const answers[] = {
    "200 {\"value\":[{\"id\":\"https://test.vault.localhost:PORT/secrets/a\",\"attributes\":{}}],"
    "\"nextLink\":\"https://test.vault.localhost:PORT/secrets?api-version=2016-10-01&$skiptoken=abc&maxresults=25\"}",
    "200 {\"value\":[{\"id\":\"https://test.vault.localhost:PORT/secrets/b\",\"managed\":true,\"attributes\":{}}],"
    "\"nextLink\":null}",
    NULL
  };
  static const char * const away[] = {
    "200 {\"value\":[],\"nextLink\":\"https://other.vault.localhost:PORT/secrets?$skiptoken=abc\"}",
    NULL
  };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  GPtrArray *requests;
  KvbTestRequest *second;

  fixture_start (&f, answers);
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_false (kvb_object_info_get_managed (items->pdata[0]));
  g_assert_true (kvb_object_info_get_managed (items->pdata[1]));
  requests = kvb_test_server_get_requests (f.server);
  second = requests->pdata[requests->len - 1];
  /* The link is followed with our api-version, once, and the rest kept. */
  g_assert_nonnull (strstr (second->query, "api-version=7.6"));
  g_assert_null (strstr (second->query, "2016-10-01"));
  g_assert_nonnull (strstr (second->query, "$skiptoken=abc"));
  fixture_stop (&f);

  /* A link to another host is not followed. */
  fixture_start (&f, away);
  g_clear_pointer (&items, g_ptr_array_unref);
  items = kvb_test_list (f.client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FAILED);
  g_assert_cmpuint (kvb_test_server_get_requests (f.server)->len, ==, 2);
  fixture_stop (&f);
}

typedef struct
{
  const char *answer;
  KvbError code;
  const char *words;     /* something the message must say */
  gboolean recover;      /* run a recover instead of a backup */
} ErrorCase;

static void
test_error_mapping (void)
{
  static const ErrorCase cases[] = {
    { "403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address is not authorized and caller "
      "is not a trusted service.\",\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}",
      KVB_ERROR_FORBIDDEN_FIREWALL, "firewall", FALSE },
    { "403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"Caller is not authorized to perform action "
      "on resource.\",\"innererror\":{\"code\":\"ForbiddenByRbac\"}}}",
      KVB_ERROR_FORBIDDEN_RBAC, "Key Vault Secrets Officer", FALSE },
    { "403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"The user, group or application 'x' does not "
      "have secrets backup permission\",\"innererror\":{\"code\":\"ForbiddenByPolicy\"}}}",
      KVB_ERROR_FORBIDDEN_POLICY, "“Backup”", FALSE },
    { "403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"Operation \\\"backup\\\" is not allowed on "
      "this secret, since it is associated with a certificate.\",\"innererror\":{\"code\":"
      "\"SecretManagedByKeyVault\"}}}",
      KVB_ERROR_INVALID_ARGUMENT, "certificate", FALSE },
    { "404 {\"error\":{\"code\":\"SecretNotFound\",\"message\":\"A secret with (name/id) s was not found\"}}",
      KVB_ERROR_NOT_FOUND, "“s”", FALSE },
    { "409 {\"error\":{\"code\":\"Conflict\",\"message\":\"Secret s is currently being deleted and cannot "
      "be re-created; retry later.\",\"innererror\":{\"code\":\"ObjectIsBeingDeleted\"}}}",
      KVB_ERROR_CONFLICT_BEING_DELETED, "Wait", TRUE },
    { "409 {\"error\":{\"code\":\"Conflict\",\"message\":\"Secret s is currently in a deleted but "
      "recoverable state\",\"innererror\":{\"code\":\"ObjectIsDeletedButRecoverable\"}}}",
      KVB_ERROR_CONFLICT_DELETED, "purge", TRUE },
    { "400 {\"error\":{\"code\":\"BadParameter\",\"message\":\"The secret s has 501 versions. Key Vault "
      "does not support the backup of more than 500 versions of a key, secret, or certificate "
      "object.\"}}", KVB_ERROR_TOO_MANY_VERSIONS, "500", FALSE },
    { "302", KVB_ERROR_FAILED, "302", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *answers[] = { cases[i].answer, NULL };
      Fixture f = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) blob = NULL;
      g_autoptr(KvbObjectInfo) info = NULL;

      fixture_start (&f, answers);
      if (cases[i].recover)
        info = kvb_test_recover (f.client, KVB_OBJECT_KIND_SECRET, "s", &error);
      else
        blob = kvb_test_backup (f.client, KVB_OBJECT_KIND_SECRET, "s", &error);
      g_assert_error (error, KVB_ERROR, (gint)cases[i].code);
      if (strstr (error->message, cases[i].words) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].words);
      fixture_stop (&f);
    }
}

/* The access-policy permission is translated with the sentence around it, so that a Japanese
 * user reads the word of the Japanese Azure portal, not "Backup" in a Japanese sentence.  With a
 * small catalogue of its own, put back afterwards.  (Not in a subprocess: LeakSanitizer's
 * tracer can crash in a child that has run GnuTLS's threads.) */
static void
test_error_permission_translated (void)
{
  static const char po[] =
    "msgid \"\"\n"
    "msgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n"
    "\n"
    "msgctxt \"access-policy permission\"\n"
    "msgid \"Backup\"\n"
    "msgstr \"バックアップ\"\n";
  static const char * const answers[] = {
    "403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"The user, group or application 'x' does "
    "not have secrets backup permission\",\"innererror\":{\"code\":\"ForbiddenByPolicy\"}}}",
    NULL
  };
  g_autofree char *dir = NULL;
  g_autofree char *po_path = NULL, *mo_dir = NULL, *mo_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autofree char *old_locale = g_strdup (setlocale (LC_ALL, NULL));
  g_autofree char *old_language = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *old_dir = g_strdup (bindtextdomain (GETTEXT_PACKAGE, NULL));
  const char *translated;
  Fixture f = { 0 };
  int status;

  dir = g_dir_make_tmp ("kvb-test-XXXXXX", &error);
  g_assert_no_error (error);
  po_path = g_build_filename (dir, "ja.po", NULL);
  mo_dir = g_build_filename (dir, "ja", "LC_MESSAGES", NULL);
  mo_path = g_build_filename (mo_dir, GETTEXT_PACKAGE ".mo", NULL);
  g_assert_true (g_file_set_contents (po_path, po, -1, &error));
  g_assert_cmpint (g_mkdir_with_parents (mo_dir, 0700), ==, 0);
  {
    const char *argv[] = { "msgfmt", "-o", mo_path, po_path, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                       &status, NULL) || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_skip ("msgfmt (gettext) is not installed");
        return;
      }
  }

  g_setenv ("LANGUAGE", "ja", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  translated = g_dpgettext2 (GETTEXT_PACKAGE, "access-policy permission", "Backup");

  if (g_strcmp0 (translated, "バックアップ") != 0)
    g_test_skip ("this C library does not follow LANGUAGE in the C.UTF-8 locale");
  else
    {
      fixture_start (&f, answers);
      blob = kvb_test_backup (f.client, KVB_OBJECT_KIND_SECRET, "s", &error);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_POLICY);
      if (strstr (error->message, "“バックアップ”") == NULL)
        g_error ("“%s” does not name the permission as translated", error->message);
      fixture_stop (&f);
    }

  if (old_language != NULL)
    g_setenv ("LANGUAGE", old_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, old_locale);
  bindtextdomain (GETTEXT_PACKAGE, old_dir);

  g_unlink (mo_path);
  g_unlink (po_path);
  g_rmdir (mo_dir);
  g_free (g_steal_pointer (&mo_dir));
  mo_dir = g_build_filename (dir, "ja", NULL);
  g_rmdir (mo_dir);
  g_rmdir (dir);
}

static void
request_queued_cb (SoupSession *session,
                   SoupMessage *msg,
                   GArray      *times)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (times, now);
}

static gboolean
stall_cb (gpointer user_data)
{
  g_usleep (1200 * 1000);
  return G_SOURCE_REMOVE;
}

/* Sixty requests at once to one vault with a limit of 20 per second: the pacer spreads them so
 * that no second sees more than the limit, also when the main loop stalls for longer than a
 * second in the middle (a loaded machine): the requests whose time passed meanwhile must not
 * all leave together.  The times are taken where the pacer lets a request
 * go (libsoup's queue), not where the local test server happens to read it: on a loaded machine
 * the server, which shares this thread, reads several TLS handshakes late and at once. */
static void
test_pacer (void)
{
  static const char * const answers[] = { EMPTY_LIST, NULL };
  Fixture f = { 0 };
  g_autofree char *url = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  SendResult results[60] = { { 0 } };
  gint64 first, last;
  guint max_in_window = 0;
  gulong handler;

  fixture_start (&f, answers);
  kvb_pipeline_set_vault_rate_limit (f.pipeline, 20, 1);
  url = g_strconcat (kvb_keyvault_client_get_vault_url (f.client), "secrets?api-version=7.6", NULL);
  handler = g_signal_connect (kvb_pipeline_get_session (f.pipeline), "request-queued",
                              G_CALLBACK (request_queued_cb), times);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    kvb_pipeline_send_async (f.pipeline, f.cloud, KVB_CREDENTIAL (f.cred), "GET", url, NULL,
                             KVB_REQUEST_KEYVAULT | KVB_REQUEST_RETRY_SAFE, 30, NULL, send_cb,
                             &results[i]);
  g_timeout_add (700, stall_cb, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      kvb_test_wait (&results[i].done, 60);
      g_assert_no_error (results[i].error);
      g_assert_cmpuint (results[i].status, ==, 200);
    }
  g_signal_handler_disconnect (kvb_pipeline_get_session (f.pipeline), handler);

  /* Every request the server saw went through the pacer (the challenge request included). */
  g_assert_cmpuint (times->len, >=, G_N_ELEMENTS (results));
  g_assert_cmpuint (times->len, ==, kvb_test_server_get_requests (f.server)->len);
  for (guint i = 0; i < times->len; i++)
    {
      guint n = 0;

      first = g_array_index (times, gint64, i);
      for (guint j = i; j < times->len; j++)
        if (g_array_index (times, gint64, j) - first < G_USEC_PER_SEC)
          n++;
      max_in_window = MAX (max_in_window, n);
    }
  first = g_array_index (times, gint64, 0);
  last = g_array_index (times, gint64, times->len - 1);

  g_test_message ("%u requests in %.2f s, at most %u in any second", times->len,
                  (last - first) / 1e6, max_in_window);
  g_assert_cmpuint (max_in_window, <=, 20);
  g_assert_cmpint (last - first, >=, 2 * G_USEC_PER_SEC);
  fixture_stop (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pipeline/retry-429", test_retry_429);
  g_test_add_func ("/pipeline/retry-5xx-and-drop", test_retry_5xx_and_drop);
  g_test_add_func ("/pipeline/recover-after-500", test_recover_after_500);
  g_test_add_func ("/pipeline/throttled-exhausted", test_throttled_exhausted);
  g_test_add_func ("/pipeline/backoff-timing", test_backoff_timing);
  g_test_add_func ("/pipeline/restore-after-drop", test_restore_after_drop);
  g_test_add_func ("/pipeline/restore-after-drop-unknown", test_restore_after_drop_unknown);
  g_test_add_func ("/pipeline/restore-named-live", test_restore_named_live);
  g_test_add_func ("/pipeline/restore-named-deleted", test_restore_named_deleted);
  g_test_add_func ("/pipeline/restore-conflict", test_restore_conflict_plain);
  g_test_add_func ("/pipeline/timeout-and-cancel", test_timeout_and_cancel);
  g_test_add_func ("/pipeline/network-error", test_network_error);
  g_test_add_func ("/pipeline/cancel-during-backoff", test_cancel_during_backoff);
  g_test_add_func ("/pipeline/next-link", test_next_link);
  g_test_add_func ("/pipeline/error-mapping", test_error_mapping);
  g_test_add_func ("/pipeline/pacer", test_pacer);
  g_test_add_func ("/pipeline/error-permission-translated", test_error_permission_translated);

  return g_test_run ();
}
