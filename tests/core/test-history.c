/* test-history.c: the history of operations: lines appended by several processes at once stay
 * whole, the file is private, reading is newest first and filters by vault, a damaged line is
 * skipped, and the last successful backup of a vault is found.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kvb-history.h"

typedef struct
{
  char *tmp;
  GFile *file;
  KvbHistory *history;
} Env;

static void
env_setup (Env           *env,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  env->tmp = g_dir_make_tmp ("kvb-history-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (env->tmp, "data", "key-vault-backup", "history.jsonl", NULL);
  env->file = g_file_new_for_path (path);
  env->history = kvb_history_new (env->file);
}

static void
env_teardown (Env           *env,
              gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (env->tmp, "data", "key-vault-backup", NULL);
  g_autofree char *data_dir = g_build_filename (env->tmp, "data", NULL);

  g_remove (g_file_peek_path (env->file));
  g_rmdir (dir);
  g_rmdir (data_dir);
  g_rmdir (env->tmp);
  g_clear_object (&env->history);
  g_clear_object (&env->file);
  g_clear_pointer (&env->tmp, g_free);
}

static void
append (KvbHistory *history,
        const char *operation,
        const char *vault,
        const char *result,
        const char *finished)
{
  g_autoptr(JsonObject) entry = kvb_history_entry_new (operation, vault);
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (entry, "result", result);
  if (finished != NULL)
    json_object_set_string_member (entry, "finished", finished);
  g_assert_true (kvb_history_append (history, entry, &error));
  g_assert_no_error (error);
}

static void
test_append_read (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) some = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) never = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir = g_path_get_dirname (g_file_peek_path (env->file));
  struct stat st;

  /* No file yet: an empty history, not an error. */
  none = kvb_history_read (env->history, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  never = kvb_history_get_last_backup (env->history, "a-kv", &error);
  g_assert_no_error (error);
  g_assert_null (never);

  append (env->history, KVB_HISTORY_BACKUP, "a-kv", KVB_HISTORY_SUCCEEDED, "2026-11-01T02:00:00Z");
  append (env->history, KVB_HISTORY_BACKUP, "b-kv", KVB_HISTORY_SUCCEEDED, "2026-11-02T02:00:00Z");
  append (env->history, KVB_HISTORY_RESTORE, "a-kv", KVB_HISTORY_SUCCEEDED, "2026-11-03T02:00:00Z");
  append (env->history, KVB_HISTORY_BACKUP, "A-KV", KVB_HISTORY_PARTIAL, "2026-11-04T02:00:00Z");

  g_assert_cmpint (g_stat (g_file_peek_path (env->file), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* A line cut short (a full disk) and an empty line are skipped; the rest reads on. */
  {
    g_autoptr(GFileOutputStream) out = g_file_append_to (env->file, G_FILE_CREATE_NONE, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (out), "{\"operation\":\"back\n\n", 20,
                                              NULL, NULL, &error));
    g_assert_no_error (error);
  }
  append (env->history, KVB_HISTORY_PURGE, "c-kv", KVB_HISTORY_SUCCEEDED, NULL);

  all = kvb_history_read (env->history, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 5);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (all, 0), "operation"), ==, "purge");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (all, 4), "vault"), ==, "a-kv");
  g_assert_nonnull (json_object_get_string_member (g_ptr_array_index (all, 0), "time"));

  some = kvb_history_read (env->history, "a-kv", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (some->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (some, 0), "result"), ==, "partial");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (some, 1), "operation"), ==, "restore");

  /* The last backup with every object done: the partial one and the restore do not count. */
  last = kvb_history_get_last_backup (env->history, "a-kv", &error);
  g_assert_no_error (error);
  g_assert_nonnull (last);
  text = g_date_time_format_iso8601 (last);
  g_assert_cmpstr (text, ==, "2026-11-01T02:00:00Z");
}

/* Processes appending at once: every line whole, none lost. */
#define N_WRITERS 8
#define N_LINES   200

static void
test_concurrent (Env           *env,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *padding = g_strnfill (600, 'x');
  pid_t pids[N_WRITERS];
  guint counts[N_WRITERS] = { 0, };

  for (int w = 0; w < N_WRITERS; w++)
    {
      pids[w] = fork ();
      g_assert_cmpint (pids[w], >=, 0);
      if (pids[w] == 0)
        {
          g_autoptr(KvbHistory) history = kvb_history_new (env->file);

          for (int i = 0; i < N_LINES; i++)
            {
              g_autoptr(JsonObject) entry = kvb_history_entry_new (KVB_HISTORY_BACKUP, "many-kv");

              json_object_set_int_member (entry, "writer", w);
              json_object_set_string_member (entry, "message", padding);
              if (!kvb_history_append (history, entry, NULL))
                _exit (1);
            }
          _exit (0);
        }
    }
  for (int w = 0; w < N_WRITERS; w++)
    {
      int status = 0;

      g_assert_cmpint (waitpid (pids[w], &status, 0), ==, pids[w]);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }

  all = kvb_history_read (env->history, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, N_WRITERS * N_LINES);
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (all, i);
      gint64 w = json_object_get_int_member (entry, "writer");

      g_assert_cmpint (w, >=, 0);
      g_assert_cmpint (w, <, N_WRITERS);
      g_assert_cmpuint (strlen (json_object_get_string_member (entry, "message")), ==, 600);
      counts[w]++;
    }
  for (int w = 0; w < N_WRITERS; w++)
    g_assert_cmpuint (counts[w], ==, N_LINES);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_read_async (Env           *env,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GError) error = NULL;

  append (env->history, KVB_HISTORY_BACKUP, "x-kv", KVB_HISTORY_SUCCEEDED, NULL);
  append (env->history, KVB_HISTORY_BACKUP, "y-kv", KVB_HISTORY_FAILED, NULL);
  kvb_history_read_async (env->history, NULL, 0, NULL, read_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  entries = kvb_history_read_finish (env->history, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  last = kvb_history_find_last_backup (entries, "x-kv");
  g_assert_nonnull (last);
  g_assert_null (kvb_history_find_last_backup (entries, "y-kv"));
}

/* The window appends off its thread: the line is there, with its time, once the task says so;
 * a folder that cannot be made is an error, not a crash. */
static void
test_append_async (Env           *env,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) entry = kvb_history_entry_new (KVB_HISTORY_BACKUP, "z-kv");
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbHistory) blocked = NULL;
  g_autoptr(GFile) blocked_file = NULL;
  g_autofree char *plain = g_build_filename (env->tmp, "plain", NULL);
  g_autofree char *under = g_build_filename (plain, "history.jsonl", NULL);

  json_object_remove_member (entry, "time");
  json_object_set_string_member (entry, "result", KVB_HISTORY_SUCCEEDED);
  kvb_history_append_async (env->history, entry, NULL, read_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (kvb_history_append_finish (env->history, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  entries = kvb_history_read (env->history, "z-kv", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_nonnull (json_object_get_string_member_with_default (g_ptr_array_index (entries, 0),
                                                                "time", NULL));

  /* A plain file where the folder should be. */
  g_assert_true (g_file_set_contents (plain, "", 0, NULL));
  blocked_file = g_file_new_for_path (under);
  blocked = kvb_history_new (blocked_file);
  kvb_history_append_async (blocked, entry, NULL, read_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (kvb_history_append_finish (blocked, result, &error));
  g_assert_nonnull (error);
  g_remove (plain);
}

/* Only a whole-vault backup with every object done is "last backed up": the window's Download
 * Backup ("download") and kvbackup's backup of one object (a "backup" line with its file) are
 * not; the outcome of an operation is worded from its counts. */
static void
test_single_objects (Env           *env,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) download = kvb_history_entry_new (KVB_HISTORY_DOWNLOAD, "d-kv");
  g_autoptr(JsonObject) one = kvb_history_entry_new (KVB_HISTORY_BACKUP, "d-kv");
  g_autoptr(JsonObject) counts_entry = kvb_history_entry_new (KVB_HISTORY_RECOVER, "d-kv");
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "Refused.");
  g_autofree char *text = NULL;
  JsonArray *files = json_array_new ();
  JsonObject *counts;

  append (env->history, KVB_HISTORY_BACKUP, "d-kv", KVB_HISTORY_SUCCEEDED, "2026-11-01T02:00:00Z");

  kvb_history_entry_set_outcome (download, 1, 1, 0, 0, NULL, NULL);
  json_object_set_string_member (download, "finished", "2026-11-05T02:00:00Z");
  g_assert_true (kvb_history_append (env->history, download, &error));
  json_array_add_string_element (files, "/b/d-kv.s.secret.kvbackup");
  json_object_set_array_member (one, "files", files);
  json_object_set_string_member (one, "result", KVB_HISTORY_SUCCEEDED);
  json_object_set_string_member (one, "finished", "2026-11-06T02:00:00Z");
  g_assert_true (kvb_history_append (env->history, one, &error));
  g_assert_no_error (error);

  last = kvb_history_get_last_backup (env->history, "d-kv", &error);
  g_assert_no_error (error);
  text = g_date_time_format_iso8601 (last);
  g_assert_cmpstr (text, ==, "2026-11-01T02:00:00Z");
  entries = kvb_history_read (env->history, "d-kv", 0, &error);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 1), "operation"), ==,
                   "download");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 1), "result"), ==,
                   "succeeded");

  /* The words of the outcome, from the counts. */
  kvb_history_entry_set_outcome (counts_entry, 4, 2, 1, 1, NULL, "The second one was refused.");
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "result"), ==, KVB_HISTORY_PARTIAL);
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "message"), ==, "The second one was refused.");
  g_assert_cmpint (json_object_get_int_member (counts_entry, "objects"), ==, 4);
  counts = json_object_get_object_member (counts_entry, "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (counts, "skipped"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (counts, "failed"), ==, 1);
  g_assert_true (json_object_has_member (counts_entry, "finished"));
  kvb_history_entry_set_outcome (counts_entry, 2, 0, 0, 2, NULL, NULL);
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "result"), ==, KVB_HISTORY_FAILED);
  kvb_history_entry_set_outcome (counts_entry, 2, 1, 0, 0, cancelled, NULL);
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "result"), ==, KVB_HISTORY_CANCELLED);
  kvb_history_entry_set_outcome (counts_entry, 2, 2, 0, 0, refused, NULL);
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "result"), ==, KVB_HISTORY_FAILED);
  g_assert_cmpstr (json_object_get_string_member (counts_entry, "message"), ==, "Refused.");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/history/append-read", Env, NULL, env_setup, test_append_read, env_teardown);
  g_test_add ("/history/concurrent", Env, NULL, env_setup, test_concurrent, env_teardown);
  g_test_add ("/history/read-async", Env, NULL, env_setup, test_read_async, env_teardown);
  g_test_add ("/history/append-async", Env, NULL, env_setup, test_append_async, env_teardown);
  g_test_add ("/history/single-objects", Env, NULL, env_setup, test_single_objects, env_teardown);
  return g_test_run ();
}
