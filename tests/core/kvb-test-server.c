/* kvb-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-test-server"

#include "config.h"

#include <string.h>

#include "kvb-test-server.h"

struct _KvbTestServer
{
  SoupServer *server;
  KvbTestHandler handler;
  gpointer user_data;
  guint port;
  char *url;
  GPtrArray *requests;
};

static void
request_free (KvbTestRequest *r)
{
  g_free (r->method);
  g_free (r->path);
  g_free (r->query);
  g_free (r->authorization);
  g_free (r->user_agent);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_free (r);
}

const char *
kvb_test_data_path (const char *name)
{
  static GHashTable *paths = NULL;
  const char *root = g_getenv ("KVB_SOURCE_ROOT");
  char *path;

  if (paths == NULL)
    paths = g_hash_table_new (g_str_hash, g_str_equal);
  path = g_hash_table_lookup (paths, name);
  if (path == NULL)
    {
      g_assert_nonnull (root);
      path = g_build_filename (root, "tests", "core", "data", name, NULL);
      g_hash_table_insert (paths, g_strdup (name), path);
    }

  return path;
}

static void
handle_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  KvbTestServer *self = user_data;
  KvbTestRequest *r = g_new0 (KvbTestRequest, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  r->method = g_strdup (soup_server_message_get_method (msg));
  r->path = g_strdup (path);
  r->query = g_strdup (g_uri_get_query (soup_server_message_get_uri (msg)));
  r->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  r->user_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
  r->body = soup_message_body_flatten (body);
  r->time_us = g_get_monotonic_time ();
  g_ptr_array_add (self->requests, r);

  self->handler (self, msg, path, self->requests->len - 1, self->user_data);
}

KvbTestServer *
kvb_test_server_new (KvbTestHandler handler,
                     gpointer       user_data)
{
  KvbTestServer *self = g_new0 (KvbTestServer, 1);
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  cert = g_tls_certificate_new_from_file (kvb_test_data_path ("test-server.pem"), &error);
  g_assert_no_error (error);

  self->handler = handler;
  self->user_data = user_data;
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)request_free);
  self->server = soup_server_new ("tls-certificate", cert, NULL);
  soup_server_add_handler (self->server, NULL, handle_cb, self, NULL);
  soup_server_listen_local (self->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  self->url = g_strdup_printf ("https://127.0.0.1:%u", self->port);

  return self;
}

void
kvb_test_server_free (KvbTestServer *self)
{
  if (self == NULL)
    return;

  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->requests);
  g_free (self->url);
  g_free (self);
}

guint
kvb_test_server_get_port (KvbTestServer *self)
{
  return self->port;
}

const char *
kvb_test_server_get_url (KvbTestServer *self)
{
  return self->url;
}

char *
kvb_test_server_dup_vault_url (KvbTestServer *self,
                               const char    *name)
{
  return g_strdup_printf ("https://%s.vault.localhost:%u/", name, self->port);
}

KvbCloud *
kvb_test_server_new_cloud (KvbTestServer *self,
                           gboolean       trust)
{
  return kvb_cloud_new_sample (self->url, trust ? kvb_test_data_path ("test-ca.pem") : NULL);
}

GPtrArray *
kvb_test_server_get_requests (KvbTestServer *self)
{
  return self->requests;
}

SoupServer *
kvb_test_server_get_server (KvbTestServer *self)
{
  return self->server;
}

void
kvb_test_reply_json (SoupServerMessage *msg,
                     guint              status,
                     const char        *json,
                     const char        *header,
                     const char        *value)
{
  soup_server_message_set_status (msg, status, NULL);
  if (header != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), header, value);
  if (json != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json,
                                      strlen (json));
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
kvb_test_wait (gboolean *done,
               guint     seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, wait_timeout_cb, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  g_assert_false (timed_out);
}
