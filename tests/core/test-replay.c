/* test-replay.c: the Key Vault client against every recording of the real service.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each file in tests/data/recordings the replay server (tests/replay/kvb-replay.py) is
 * started with it and reached through its CONNECT proxy with the production public-cloud
 * profile, so the recorded host names hold.  The test walks the recorded calls in order and makes
 * the client call that produces each one (list, list versions, get, get deleted, backup, restore,
 * delete, purge, recover), then checks what the client made of the recorded answer: the items of
 * every page, the blob bytes, the restored or deleted object, or the error code of a 4xx.
 */

#define G_LOG_DOMAIN "test-replay"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-test-credential.h"

typedef struct
{
  GSubprocess *process;
  char *state_dir;
  JsonObject *info;
  JsonArray *plan;
} Replay;

static void
replay_stop (Replay *r)
{
  if (r->process != NULL)
    {
      g_subprocess_send_signal (r->process, SIGTERM);
      g_subprocess_wait (r->process, NULL, NULL);
    }
  g_clear_object (&r->process);
  if (r->state_dir != NULL)
    {
      g_autoptr(GDir) d = g_dir_open (r->state_dir, 0, NULL);
      const char *name;

      /* The server's files: certificates, the plan and the request log (no sub-folders). */
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (r->state_dir, name, NULL);

          g_remove (path);
        }
      g_rmdir (r->state_dir);
    }
  g_clear_pointer (&r->state_dir, g_free);
  g_clear_pointer (&r->info, json_object_unref);
  g_clear_pointer (&r->plan, json_array_unref);
}

static gboolean
replay_start (Replay     *r,
              const char *recording)
{
  g_autofree char *script = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "replay",
                                              "kvb-replay.py", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) plan_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  memset (r, 0, sizeof *r);
  r->state_dir = g_dir_make_tmp ("kvb-replay-XXXXXX", &error);
  g_assert_no_error (error);

  r->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/usr/bin/python3",
                                 script, "--state-dir", r->state_dir, "--recording", recording,
                                 NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (r->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  r->info = json_object_ref (json_node_get_object (json_parser_get_root (parser)));

  g_assert_true (json_parser_load_from_file (plan_parser,
                                             json_object_get_string_member (r->info, "plan"),
                                             &error));
  g_assert_no_error (error);
  r->plan = json_array_ref (json_node_get_array (json_parser_get_root (plan_parser)));

  return TRUE;
}

/* The request log, as an array of objects. */
static JsonArray *
replay_requests (Replay *r)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  JsonArray *out = json_array_new ();

  if (!g_file_get_contents (json_object_get_string_member (r->info, "log"), &contents, NULL, NULL))
    return out;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) p = json_parser_new ();

      if (*lines[i] == '\0' || !json_parser_load_from_data (p, lines[i], -1, NULL))
        continue;
      json_array_add_element (out, json_node_copy (json_parser_get_root (p)));
    }
  return out;
}

/* Calls ------------------------------------------------------------------------------------- */

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (*result == NULL)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        g_error ("a call did not finish within 120 s");
    }
  return *result;
}

static void
count_cb (GPtrArray *objects,
          gpointer   user_data)
{
  guint *n = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      /* Every item must come out with a name and an id. */
      g_assert_nonnull (kvb_object_info_get_name (info));
      g_assert_nonnull (kvb_object_info_get_id (info));
    }
  *n += objects->len;
}

static gboolean
kind_from_collection (const char    *collection,
                      KvbObjectKind *kind,
                      gboolean      *deleted)
{
  *deleted = g_str_has_prefix (collection, "deleted");
  return kvb_object_kind_from_string (*deleted ? collection + strlen ("deleted") : collection, kind);
}

/* What the client should make of a recorded error answer. */
static int
expected_error (guint       status,
                const char *body)
{
  if (status == 404)
    return KVB_ERROR_NOT_FOUND;
  if (status == 400 && strstr (body, "Malformed backup blob") != NULL)
    return KVB_ERROR_MALFORMED_BLOB;
  if (status == 409 && strstr (body, "ObjectIsDeletedButRecoverable") != NULL)
    return KVB_ERROR_CONFLICT_DELETED;
  if (status == 409 && strstr (body, "ObjectIsBeingDeleted") != NULL)
    return KVB_ERROR_CONFLICT_BEING_DELETED;
  g_error ("no expectation for a %u answer: %s", status, body);
  return -1;
}

static void
check_outcome (const char   *what,
               gboolean      ok,
               GError       *error,
               guint         status,
               const char   *body)
{
  if (status >= 200 && status < 300)
    {
      if (error != NULL)
        g_error ("%s: recorded %u, the client failed: %s", what, status, error->message);
      g_assert_true (ok);
      return;
    }

  if (error == NULL)
    g_error ("%s: recorded %u, the client reported success", what, status);
  g_test_message ("%s → %s", what, error->message);
  g_assert_error (error, KVB_ERROR, expected_error (status, body));
  /* The message is for people: no raw JSON. */
  g_assert_null (strchr (error->message, '{'));
}

static GBytes *
decode_value (const char *value)
{
  g_autoptr(GBytes) text = g_bytes_new (value, strlen (value));
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (text, NULL, &error);

  g_assert_no_error (error);
  return g_bytes_ref (kvb_backup_file_get_blob (file));
}

/* A blob of the right shape for restores whose request body was not recorded. */
static GBytes *
stand_in_blob (KvbObjectKind kind)
{
  const char *dir = g_getenv ("KVB_RECORDINGS");
  const char *file = kind == KVB_OBJECT_KIND_SECRET
    ? "azure-sdk-for-cpp__KeyVaultSecretClientTest.BackupRestore.json"
    : "azure-sdk-for-cpp__KeyVaultKeyClient.BackupKey.json";
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GRegex) regex = g_regex_new ("(KUF6dXJl|JkF6dXJl)[A-Za-z0-9_-]+", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *value = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_regex_match (regex, contents, 0, &match));
  value = g_match_info_fetch (match, 0);
  return decode_value (value);
}

static gboolean
is_last_page (JsonObject *page)
{
  JsonNode *next = json_object_get_member (page, "nextLink");

  return next == NULL || JSON_NODE_HOLDS_NULL (next) ||
         (JSON_NODE_HOLDS_VALUE (next) && g_strcmp0 (json_node_get_string (next), "") == 0);
}

static void
walk_recording (gconstpointer data)
{
  const char *recording = data;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  g_autoptr(KvbTestCredential) credential = kvb_test_credential_new ("replay-test-token");
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GBytes) last_blob = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vault = NULL;
  Replay r;
  guint n_calls, n_done = 0;
  const char *retried_path = NULL;

  replay_start (&r, recording);
  n_calls = json_array_get_length (r.plan);
  if (n_calls == 0)
    {
      replay_stop (&r);
      g_test_skip ("nothing a backup tool would send in this recording");
      return;
    }

  /* The production profile, through the replay's proxy, trusting its CA. */
  g_setenv ("https_proxy", json_object_get_string_member (r.info, "proxy"), TRUE);
  g_setenv ("SSL_CERT_FILE", json_object_get_string_member (r.info, "ca"), TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");
  pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (pipeline, 10);

  /* The recordings use REDACTED.vault.azure.net, vaultname.vault.azure.net and myvault… */
  {
    g_autofree char *contents = NULL;
    g_autoptr(GRegex) regex = g_regex_new ("https://([A-Za-z0-9-]+)\\.vault\\.azure\\.net/", 0, 0,
                                           NULL);
    g_autoptr(GMatchInfo) match = NULL;

    g_assert_true (g_file_get_contents (recording, &contents, NULL, NULL));
    g_assert_true (g_regex_match (regex, contents, 0, &match));
    vault = g_match_info_fetch (match, 1);
  }
  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (credential), vault, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < n_calls; )
    {
      JsonObject *call = json_array_get_object_element (r.plan, i);
      const char *method = json_object_get_string_member (call, "method");
      const char *path = json_object_get_string_member (call, "path");
      const char *body = json_object_get_string_member_with_default (call, "body", "");
      guint status = json_object_get_int_member (call, "status");
      g_auto(GStrv) parts = g_strsplit (path + 1, "/", -1);
      guint n_parts = g_strv_length (parts);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) call_error = NULL;
      g_autofree char *what = g_strdup_printf ("%s %s", method, path);
      KvbObjectKind kind;
      gboolean deleted;

      if (n_parts == 0 || !kind_from_collection (parts[0], &kind, &deleted))
        {
          g_test_message ("%s: not a call of the client", what);
          i++;
          continue;
        }

      if (g_str_equal (method, "GET") && (n_parts == 1 || (n_parts == 3 &&
                                                          g_str_equal (parts[2], "versions"))))
        {
          /* One list call covers this page and the recorded pages after it. */
          guint expected = 0, got = 0;

          for (; i < n_calls; i++)
            {
              JsonObject *page = json_array_get_object_element (r.plan, i);
              g_autoptr(JsonParser) p = json_parser_new ();

              if (!g_str_equal (json_object_get_string_member (page, "path"), path) ||
                  !g_str_equal (json_object_get_string_member (page, "method"), "GET"))
                break;
              g_assert_true (json_parser_load_from_data (p, json_object_get_string_member (page, "body"),
                                                         -1, NULL));
              expected += json_array_get_length (json_object_get_array_member (
                json_node_get_object (json_parser_get_root (p)), "value"));
              /* The next page only follows from a nextLink. */
              if (is_last_page (json_node_get_object (json_parser_get_root (p))))
                {
                  i++;
                  break;
                }
            }

          if (n_parts == 1)
            kvb_keyvault_client_list_async (client, kind, deleted, count_cb, &got, NULL, done_cb,
                                            &result);
          else
            kvb_keyvault_client_list_versions_async (client, kind, parts[1], count_cb, &got, NULL,
                                                     done_cb, &result);
          wait_for (&result);
          if (n_parts == 1)
            kvb_keyvault_client_list_finish (client, result, &call_error);
          else
            kvb_keyvault_client_list_versions_finish (client, result, &call_error);
          g_assert_no_error (call_error);
          g_test_message ("%s: %u items, %u recorded", what, got, expected);
          g_assert_cmpuint (got, ==, expected);
          n_done++;
          continue;
        }

      i++;
      n_done++;

      if (g_str_equal (method, "POST") && n_parts == 3 && g_str_equal (parts[2], "backup") && !deleted)
        {
          g_autoptr(GBytes) blob = NULL;

          kvb_keyvault_client_backup_async (client, kind, parts[1], NULL, done_cb, &result);
          blob = kvb_keyvault_client_backup_finish (client, wait_for (&result), &call_error);
          check_outcome (what, blob != NULL, call_error, status, body);
          if (blob != NULL)
            {
              g_autoptr(JsonParser) p = json_parser_new ();
              g_autoptr(GBytes) expected = NULL;

              g_assert_true (json_parser_load_from_data (p, body, -1, NULL));
              expected = decode_value (json_object_get_string_member (
                json_node_get_object (json_parser_get_root (p)), "value"));
              /* Byte for byte the decoded recorded value. */
              g_assert_true (g_bytes_equal (blob, expected));
              g_clear_pointer (&last_blob, g_bytes_unref);
              last_blob = g_steal_pointer (&blob);
            }
        }
      else if (g_str_equal (method, "POST") && n_parts == 2 && g_str_equal (parts[1], "restore"))
        {
          g_autoptr(KvbObjectInfo) info = NULL;
          g_autoptr(GBytes) blob = NULL;
          JsonNode *request = json_object_get_member (call, "request_body");

          if (request != NULL && JSON_NODE_HOLDS_OBJECT (request))
            blob = decode_value (json_object_get_string_member (json_node_get_object (request),
                                                                "value"));
          else if (last_blob != NULL)
            blob = g_bytes_ref (last_blob);
          else
            blob = stand_in_blob (kind);

          kvb_keyvault_client_restore_async (client, kind, blob, NULL, done_cb, &result);
          info = kvb_keyvault_client_restore_finish (client, wait_for (&result), &call_error);
          if (status == 409 && strstr (body, "ObjectIsBeingDeleted") != NULL &&
              !g_error_matches (call_error, KVB_ERROR, KVB_ERROR_CONFLICT_BEING_DELETED))
            {
              /* "Retry later": the client may wait and try again by itself; the recording
               * ends there, so the retry finds no answer.  It must have been a retry. */
              g_autoptr(JsonArray) log = replay_requests (&r);
              guint n_restores = 0;

              for (guint k = 0; k < json_array_get_length (log); k++)
                {
                  JsonObject *req = json_array_get_object_element (log, k);

                  if (g_strcmp0 (json_object_get_string_member_with_default (req, "path", ""), path) == 0 &&
                      json_object_get_boolean_member_with_default (req, "authorization", FALSE))
                    n_restores++;
                }
              g_test_message ("%s: retried (%u attempts)", what, n_restores);
              g_assert_nonnull (call_error);
              g_assert_cmpuint (n_restores, >=, 2);
              retried_path = path;
            }
          else
            check_outcome (what, info != NULL, call_error, status, body);
          if (info != NULL)
            g_assert_nonnull (kvb_object_info_get_name (info));
        }
      else if (g_str_equal (method, "DELETE") && n_parts == 2)
        {
          if (deleted)
            {
              gboolean ok;

              kvb_keyvault_client_purge_async (client, kind, parts[1], NULL, done_cb, &result);
              ok = kvb_keyvault_client_purge_finish (client, wait_for (&result), &call_error);
              check_outcome (what, ok, call_error, status, body);
            }
          else
            {
              g_autoptr(KvbObjectInfo) info = NULL;

              kvb_keyvault_client_delete_async (client, kind, parts[1], NULL, done_cb, &result);
              info = kvb_keyvault_client_delete_finish (client, wait_for (&result), &call_error);
              check_outcome (what, info != NULL, call_error, status, body);
              if (info != NULL)
                {
                  g_assert_cmpstr (kvb_object_info_get_name (info), ==, parts[1]);
                  g_assert_true (kvb_object_info_get_deleted (info));
                  g_assert_cmpint (kvb_object_info_get_scheduled_purge_date (info), >, 0);
                }
            }
        }
      else if (g_str_equal (method, "GET") && n_parts == 2)
        {
          g_autoptr(KvbObjectInfo) info = NULL;

          if (deleted)
            {
              kvb_keyvault_client_get_deleted_async (client, kind, parts[1], NULL, done_cb, &result);
              info = kvb_keyvault_client_get_deleted_finish (client, wait_for (&result), &call_error);
            }
          else
            {
              kvb_keyvault_client_get_properties_async (client, kind, parts[1], NULL, NULL, done_cb,
                                                        &result);
              info = kvb_keyvault_client_get_properties_finish (client, wait_for (&result),
                                                                &call_error);
            }
          check_outcome (what, info != NULL, call_error, status, body);
          if (info != NULL)
            {
              g_assert_cmpstr (kvb_object_info_get_name (info), ==, parts[1]);
              g_assert_cmpint (kvb_object_info_get_deleted (info), ==, deleted);
            }
        }
      else if (g_str_equal (method, "POST") && n_parts == 3 && deleted &&
               g_str_equal (parts[2], "recover"))
        {
          g_autoptr(KvbObjectInfo) info = NULL;

          kvb_keyvault_client_recover_async (client, kind, parts[1], NULL, done_cb, &result);
          info = kvb_keyvault_client_recover_finish (client, wait_for (&result), &call_error);
          check_outcome (what, info != NULL, call_error, status, body);
          if (info != NULL)
            g_assert_cmpstr (kvb_object_info_get_name (info), ==, parts[1]);
        }
      else
        {
          g_test_message ("%s: not a call of the client", what);
          n_done--;
        }
    }

  /* Every request found its recorded answer; nothing was retried behind our back. */
  requests = replay_requests (&r);
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *req = json_array_get_object_element (requests, i);

      if (json_object_get_boolean_member_with_default (req, "unmatched", FALSE) &&
          g_strcmp0 (json_object_get_string_member (req, "path"), retried_path) != 0)
        g_error ("%s %s had no recorded answer (a retry or a call out of order)",
                 json_object_get_string_member (req, "method"),
                 json_object_get_string_member (req, "path"));
    }

  g_test_message ("%u client calls for %u recorded calls", n_done, n_calls);
  g_assert_cmpuint (n_done, >, 0);

  replay_stop (&r);
  g_unsetenv ("https_proxy");
  g_unsetenv ("SSL_CERT_FILE");
}

/* The recordings ship with the project and the rest is in the README's dependencies: without
 * any of them nothing would be tested, so that is a failure, not a skip. */
static void
fail_missing (gconstpointer data)
{
  g_test_message ("%s", (const char *) data);
  g_test_fail ();
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

int
main (int   argc,
      char *argv[])
{
  const char *dir = g_getenv ("KVB_RECORDINGS");
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  const char *entry;

  g_test_init (&argc, &argv, NULL);

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL ||
      !g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ||
      openssl == NULL || g_getenv ("KVB_SOURCE_ROOT") == NULL)
    {
      g_test_add_data_func ("/replay/inputs", "needs the recordings (KVB_RECORDINGS), "
                            "KVB_SOURCE_ROOT, /usr/bin/python3 and openssl", fail_missing);
      return g_test_run ();
    }

  while ((entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      g_ptr_array_add (files, g_build_filename (dir, entry, NULL));
  g_ptr_array_sort (files, compare_paths);

  if (files->len == 0)
    {
      g_test_add_data_func ("/replay/inputs", "no recordings (*.json) in KVB_RECORDINGS",
                            fail_missing);
      return g_test_run ();
    }

  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (files, i));
      g_autofree char *test_path = NULL;

      /* GTest paths may not hold '[' etc.; keep letters, digits and a few marks. */
      g_strcanon (base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", '_');
      test_path = g_strdup_printf ("/replay/%s", base);
      g_test_add_data_func (test_path, g_ptr_array_index (files, i), walk_recording);
    }

  return g_test_run ();
}
