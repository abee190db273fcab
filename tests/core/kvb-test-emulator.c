/* kvb-test-emulator.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-test-emulator"

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "kvb-test-emulator.h"

const char *
kvb_test_emulator_get_path (void)
{
  static char *path = NULL;

  if (path == NULL)
    {
      const char *root = g_getenv ("KVB_BUILD_ROOT");
      g_autofree char *candidate = NULL;

      if (root == NULL)
        return NULL;
      candidate = g_build_filename (root, "src", "emulator", "kvb-emulator", NULL);
      if (!g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        return NULL;
      path = g_steal_pointer (&candidate);
    }

  return path;
}

typedef struct
{
  GMainLoop *loop;
  char *line;
  GError *error;
} ReadLine;

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ReadLine *rl = user_data;

  rl->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                        NULL, &rl->error);
  if (rl->line == NULL && rl->error == NULL)
    rl->error = g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                             "kvb-emulator exited before printing its JSON line");
  g_main_loop_quit (rl->loop);
}

static gboolean
read_line_timeout_cb (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

static const char *
info_string (JsonObject *info,
             const char *name)
{
  JsonNode *node = json_object_get_member (info, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A test that fails an assertion aborts without running its teardown: the stand-in must not
 * outlive it. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

KvbTestEmulator *
kvb_test_emulator_start (const char * const *extra_args,
                         GError            **error)
{
  const char *path = kvb_test_emulator_get_path ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) stdout_stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GOutputStream) drain = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  KvbTestEmulator *self;
  ReadLine rl = { 0 };
  GSource *timeout;

  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "kvb-emulator is not built");
      return NULL;
    }

  self = g_new0 (KvbTestEmulator, 1);
  self->state_dir = g_dir_make_tmp ("kvb-emulator-XXXXXX", error);
  if (self->state_dir == NULL)
    {
      kvb_test_emulator_stop (self);
      return NULL;
    }

  g_ptr_array_add (argv, (char *)path);
  g_ptr_array_add (argv, (char *)"--port");
  g_ptr_array_add (argv, (char *)"0");
  g_ptr_array_add (argv, (char *)"--state-dir");
  g_ptr_array_add (argv, self->state_dir);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)extra_args[i]);
  g_ptr_array_add (argv, NULL);

  /* Its stderr goes to the test's log, which is where one looks when a test fails. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* GLib writes debug messages to stdout, where the JSON line must be alone. */
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata,
                                                error);
  if (self->process == NULL)
    {
      kvb_test_emulator_stop (self);
      return NULL;
    }

  stdout_stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));

  g_main_context_push_thread_default (context);
  rl.loop = g_main_loop_new (context, FALSE);
  timeout = g_timeout_source_new_seconds (30);
  g_source_set_callback (timeout, read_line_timeout_cb, cancellable, NULL);
  g_source_attach (timeout, context);
  g_data_input_stream_read_line_async (stdout_stream, G_PRIORITY_DEFAULT, cancellable,
                                       read_line_cb, &rl);
  g_main_loop_run (rl.loop);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_loop_unref (rl.loop);
  g_main_context_pop_thread_default (context);

  if (rl.line == NULL)
    {
      g_propagate_error (error, rl.error);
      kvb_test_emulator_stop (self);
      return NULL;
    }

  if (!json_parser_load_from_data (parser, rl.line, -1, error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "kvb-emulator printed no JSON object");
      g_free (rl.line);
      kvb_test_emulator_stop (self);
      return NULL;
    }
  g_free (rl.line);

  self->info = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  self->url = info_string (self->info, "url");
  self->proxy = info_string (self->info, "proxy");
  self->ca = info_string (self->info, "ca");
  self->tenant = info_string (self->info, "tenant");
  self->client_id = info_string (self->info, "client_id");
  self->client_secret = info_string (self->info, "client_secret");
  self->client_certificate = info_string (self->info, "client_certificate");
  self->vault_suffix = info_string (self->info, "vault_suffix");
  self->user = info_string (self->info, "user");

  if (self->url == NULL || self->ca == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "kvb-emulator's JSON line lacks url or ca");
      kvb_test_emulator_stop (self);
      return NULL;
    }

  /* Keep stdout drained so that the stand-in never blocks on a full pipe.  The splice holds
   * the stream until the pipe closes. */
  drain = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (drain,
                                g_subprocess_get_stdout_pipe (self->process),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_LOW, NULL,
                                NULL, NULL);

  return self;
}

KvbTestEmulator *
kvb_test_emulator_start_or_skip (const char * const *extra_args)
{
  g_autoptr(GError) error = NULL;
  KvbTestEmulator *self = kvb_test_emulator_start (extra_args, &error);

  if (self == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_test_skip ("kvb-emulator is not built");
      else
        g_test_fail_printf ("kvb-emulator did not start: %s", error->message);
    }

  return self;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

void
kvb_test_emulator_stop (KvbTestEmulator *self)
{
  if (self == NULL)
    return;

  if (self->process != NULL)
    {
      g_subprocess_send_signal (self->process, SIGTERM);
      g_subprocess_wait (self->process, NULL, NULL);
      g_clear_object (&self->process);
    }

  if (self->state_dir != NULL)
    remove_tree (self->state_dir);

  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->info, json_object_unref);
  g_free (self);
}

KvbCloud *
kvb_test_emulator_new_cloud (KvbTestEmulator *self)
{
  return kvb_cloud_new_sample (self->url, self->ca);
}

static gboolean
accept_ca_cb (SoupMessage          *msg,
              GTlsCertificate      *certificate,
              GTlsCertificateFlags  errors,
              gpointer              user_data)
{
  GTlsDatabase *db = user_data;
  GTlsCertificateFlags flags;

  /* Only for the control calls of the test itself: trust exactly the stand-in's CA. */
  flags = g_tls_database_verify_chain (db, certificate, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       NULL, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL);
  return flags == 0;
}

JsonNode *
kvb_test_emulator_control (KvbTestEmulator *self,
                           const char      *method,
                           const char      *path,
                           const char      *json_body,
                           guint           *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url = g_strconcat (self->url, path, NULL);

  db = g_tls_file_database_new (self->ca, &error);
  g_assert_no_error (error);

  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_ca_cb), db);
  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }

  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (status != NULL)
    *status = soup_message_get_status (msg);

  if (g_bytes_get_size (answer) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), NULL))
    return NULL;

  return json_node_copy (json_parser_get_root (parser));
}
