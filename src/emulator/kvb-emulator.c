#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emulator.h"
#include "kvb-emu-arm.h"
#include "kvb-emu-entra.h"
#include "kvb-emu-proxy.h"
#include "kvb-emu-reply.h"
#include "kvb-emu-state.h"
#include "kvb-emu-tls.h"

#ifdef KVB_EMU_HAVE_KEYVAULT
#include "kvb-emu-keyvault.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

/* Key Vault refuses request bodies above this size. */
/* Key Vault's limit on request bodies is not documented.  A restore carries every version of an
 * object (up to 500, about 45 KB each for a certificate), so the limit must leave room for that;
 * what is far beyond it is refused, so that a runaway client cannot exhaust the stand-in. */
#define MAX_KEYVAULT_BODY (32 * 1024 * 1024)
#define LOG_MEMORY_ENTRIES 10000

struct _KvbEmulator
{
  GObject parent_instance;

  /* knobs */
  char *seed_file;
  guint port;
  gboolean proxy_enabled;
  guint proxy_port;
  char *state_dir;
  char *cert_file, *key_file;
  guint latency_ms;
  guint throttle_requests, throttle_window;
  double fault_5xx, fault_drop;
  guint fault_5xx_next;     /* the next N Key Vault / Resource Manager requests answer 503 */
  double fault_drop_after;  /* Key Vault requests carried out, then the connection closed */
  double fault_cut_body;    /* Key Vault answers cut in the middle of their body */
  int fault_retry_after;     /* seconds in the 503s' Retry-After; < 0: none */
  guint token_lifetime;
  char *log_file;

  /* running */
  GThread *thread;
  GMainContext *context;
  /* Set by kvb_emulator_stop(); a flag rather than a GMainLoop, whose quit is lost when it comes
   * before the thread has entered g_main_loop_run(), as a stop right after a start can. */
  gint quit;
  GMutex lock;
  GCond cond;
  gboolean ready;
  GError *start_error;

  char *url;
  char *proxy_url;
  char *ca_file;
  char *client_cert_file;
  char *work_dir;            /* where files go */
  gboolean work_dir_is_temp;
  GPtrArray *written_files;
  char *info_json;

  /* owned by the server thread */
  KvbEmuState *state;
  KvbEmuEntra *entra;
  KvbEmuArm *arm;
  SoupServer *server;
  KvbEmuProxy *proxy;
  GTlsCertificate *certificate;
  guint actual_port;
  GHashTable *throttles;      /* vault name -> Throttle */
  GHashTable *connections;    /* GSocket -> Connection, of requests served */
  GSource *reaper;
  guint n_connections;        /* client connections that sent a request, ever */
  guint n_serving;            /* service requests being answered (latency included) */
  guint max_serving;          /* the most at once since the last GET /_emulator/connections */
  int log_fd;
  GQueue *log_lines;          /* char * */
};

typedef struct { gint64 window_start_us; guint count; } Throttle;

/* A client connection, for the reaper: requests being served on it, and how many sweeps in a
 * row found it closed by the client while idle. */
typedef struct { guint busy; guint closed_sweeps; } Connection;

G_DEFINE_FINAL_TYPE (KvbEmulator, kvb_emulator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SEED_FILE,
  PROP_PORT,
  PROP_PROXY_ENABLED,
  PROP_PROXY_PORT,
  PROP_STATE_DIR,
  PROP_LATENCY_MS,
  PROP_THROTTLE_REQUESTS,
  PROP_THROTTLE_WINDOW,
  PROP_FAULT_5XX,
  PROP_FAULT_DROP,
  PROP_FAULT_RETRY_AFTER,
  PROP_FAULT_DROP_AFTER,
  PROP_TOKEN_LIFETIME,
  PROP_LOG_FILE,
  PROP_URL,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static const char *const server_dns_names[] = {
  "localhost", "*.localhost", "*.vault.localhost",
  "login.microsoftonline.com", "login.windows.net", "management.azure.com", "management.core.windows.net",
  "*.vault.azure.net",
  "login.chinacloudapi.cn", "management.chinacloudapi.cn", "*.vault.azure.cn",
  "login.microsoftonline.us", "management.usgovcloudapi.net", "*.vault.usgovcloudapi.net",
  NULL
};
static const char *const server_ips[] = { "127.0.0.1", "::1", NULL };

static const struct { const char *suffix; const char *authority; const char *resource; } vault_clouds[] = {
  { ".vault.azure.net", "https://login.microsoftonline.com", "https://vault.azure.net" },
  { ".vault.azure.cn", "https://login.chinacloudapi.cn", "https://vault.azure.cn" },
  { ".vault.usgovcloudapi.net", "https://login.microsoftonline.us", "https://vault.usgovcloudapi.net" },
  { ".vault.localhost", NULL, "https://vault.localhost" },
};

/* ------------------------------------------------------------------------------------------------ */
/* The data plane: the one place that calls into it. While it is absent, a stub answers 501.        */

static gboolean
dataplane_seed (KvbEmuVault *vault, JsonObject *vault_seed, GError **error)
{
#ifdef KVB_EMU_HAVE_KEYVAULT
  return kvb_emu_keyvault_seed (vault, vault_seed, error);
#else
  return TRUE;
#endif
}

static void
dataplane_handle (SoupServerMessage *msg, const char *method, const char *path, GHashTable *query, GBytes *body,
                  const char *base_url, KvbEmuState *state, KvbEmuVault *vault, const char *caller_object_id)
{
#ifdef KVB_EMU_HAVE_KEYVAULT
  KvbEmuRequest req = {
    .msg = msg, .method = method, .path = path, .query = query, .body = body, .base_url = base_url,
    .state = state, .vault = vault, .caller_object_id = caller_object_id,
  };
  kvb_emu_keyvault_handle (&req);
#else
  kvb_emu_reply_error (msg, 501, "NotImplemented", "The Key Vault data plane is not built into this stand-in.", NULL);
#endif
}

/* ------------------------------------------------------------------------------------------------ */
/* Request log                                                                                      */

static gboolean
query_key_is_secret (const char *key)
{
  static const char *const secret_keys[] = {
    "code", "client_secret", "client_assertion", "refresh_token", "device_code", "access_token", "id_token",
    "token", "password", "code_verifier", "assertion", "sig", "secret", NULL
  };
  return g_strv_contains (secret_keys, key);
}

/* The log is JSON: whatever bytes a client sent become valid UTF-8 first. */
static void
add_text (JsonBuilder *b, const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text ? text : "", -1);
  json_builder_add_string_value (b, valid);
}

static void
log_request (KvbEmulator *self, SoupServerMessage *msg, guint status, gboolean dropped)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  gint64 *start = g_object_get_data (G_OBJECT (msg), "kvb-start");
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_autofree char *line = NULL;
  /* libsoup answers unparsable requests itself, before there is a URI */
  const char *path = uri ? g_uri_get_path (uri) : "";
  const char *q = uri ? g_uri_get_query (uri) : NULL;
  const char *method = soup_server_message_get_method (msg);

  if (g_object_get_data (G_OBJECT (msg), "kvb-logged") != NULL)
    return;
  g_object_set_data (G_OBJECT (msg), "kvb-logged", GINT_TO_POINTER (1));
  if (g_str_equal (path, "/_emulator/requests"))
    return;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, stamp);
  json_builder_set_member_name (b, "method");
  add_text (b, method);
  json_builder_set_member_name (b, "host");
  add_text (b, host);
  json_builder_set_member_name (b, "path");
  add_text (b, path);
  json_builder_set_member_name (b, "query");
  json_builder_begin_object (b);
  if (q != NULL)
    {
      /* Only the names of secret parameters are kept. */
      g_autoptr(GHashTable) params = soup_form_decode (q);
      g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (params), (GCompareFunc) strcmp);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          g_autofree char *key = g_utf8_make_valid (l->data, -1);
          json_builder_set_member_name (b, key);
          add_text (b, query_key_is_secret (l->data) ? "***" : g_hash_table_lookup (params, l->data));
        }
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  if (dropped)
    {
      json_builder_set_member_name (b, "dropped");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_set_member_name (b, "duration_us");
  /* Whole microseconds: a double would print with binary-fraction noise. */
  json_builder_add_int_value (b, start ? g_get_monotonic_time () - *start : 0);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  line = json_generator_to_data (gen, NULL);

  if (self->log_fd >= 0)
    {
      g_autofree char *with_nl = g_strconcat (line, "\n", NULL);
      gsize len = strlen (with_nl), off = 0;
      while (off < len)
        {
          ssize_t w = write (self->log_fd, with_nl + off, len - off);
          if (w < 0 && errno == EINTR)
            continue;
          if (w <= 0)
            break;
          off += w;
        }
    }
  g_queue_push_tail (self->log_lines, g_steal_pointer (&line));
  while (self->log_lines->length > LOG_MEMORY_ENTRIES)
    g_free (g_queue_pop_head (self->log_lines));
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  gint64 *start = g_new (gint64, 1);

  *start = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "kvb-start", start, g_free);
  /* Without TCP_NODELAY every keep-alive request waits for a delayed ACK (about 40 ms). */
  if (sock != NULL && g_object_get_data (G_OBJECT (sock), "kvb-nodelay") == NULL)
    {
      g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      g_object_set_data (G_OBJECT (sock), "kvb-nodelay", GINT_TO_POINTER (1));
    }
}

static void
request_finished_cb (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  log_request (data, msg, soup_server_message_get_status (msg), FALSE);
}

/* libsoup 3.2's server never lets go of a kept-alive connection that the client closes while
 * it is idle (fixed in 3.3.0): the socket stays in CLOSE-WAIT, and a long run of clients ends
 * at the open-file limit.  The stand-in closes such sockets itself: idle, and seen closed by
 * the client on two sweeps in a row, by then libsoup has read the end and stopped watching. */
#define REAP_INTERVAL_MS 1000

static void
connection_track (KvbEmulator *self, SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  Connection *c;

  if (sock == NULL)
    return;
  c = g_hash_table_lookup (self->connections, sock);
  if (c == NULL)
    {
      c = g_new0 (Connection, 1);
      g_hash_table_insert (self->connections, g_object_ref (sock), c);
      self->n_connections++;
    }
  c->busy++;
  c->closed_sweeps = 0;
}

static void
connection_untrack (KvbEmulator *self, SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  Connection *c = sock != NULL ? g_hash_table_lookup (self->connections, sock) : NULL;

  if (c != NULL && c->busy > 0)
    c->busy--;
}

static gboolean
closed_by_peer (GSocket *sock)
{
#if defined(TCP_INFO) && defined(__linux__)
  struct tcp_info info = { 0 };
  socklen_t len = sizeof info;

  if (getsockopt (g_socket_get_fd (sock), IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    return FALSE;
  return info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE;
#else
  return FALSE;
#endif
}

static gboolean
reap_cb (gpointer data)
{
  KvbEmulator *self = data;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GSocket *sock = key;
      Connection *c = value;

      if (g_socket_is_closed (sock))
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (c->busy > 0 || !closed_by_peer (sock))
        {
          c->closed_sweeps = 0;
          continue;
        }
      if (++c->closed_sweeps >= 2)
        {
          g_socket_close (sock, NULL);
          g_hash_table_iter_remove (&iter);
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
request_started_track_cb (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  connection_track (data, msg);
}

static void
request_done_untrack_cb (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  KvbEmulator *self = data;

  connection_untrack (self, msg);
  if (g_object_steal_data (G_OBJECT (msg), "kvb-serving") != NULL)
    self->n_serving--;
}

/* Closes the connection of @msg without an answer.  libsoup then says nothing more of the
 * message (neither finished nor aborted), so its counts end here. */
static void
drop_connection (KvbEmulator *self, SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = NULL;

  request_done_untrack_cb (self->server, msg, self);
  g_object_set_data (G_OBJECT (msg), "kvb-stolen", GINT_TO_POINTER (1));
  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* The answer already made for @msg goes out with its whole Content-Length but only half its
 * body, then the connection closes: a network cut in the middle of a response, which a client
 * must not take for a whole answer. */
static void
cut_body (KvbEmulator *self, SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  guint status = soup_server_message_get_status (msg);
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GIOStream) stream = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GOutputStream *out;

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, soup_server_message_get_response_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0 && g_ascii_strcasecmp (name, "Connection") != 0)
      g_string_append_printf (head, "%s: %s\r\n", name, value);
  g_string_append_printf (head, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", g_bytes_get_size (body));

  log_request (self, msg, status, TRUE);
  request_done_untrack_cb (self->server, msg, self);
  g_object_set_data (G_OBJECT (msg), "kvb-stolen", GINT_TO_POINTER (1));
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  out = g_io_stream_get_output_stream (stream);
  /* Small answers on loopback: written at once, without waiting on the client. */
  if (g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL))
    g_output_stream_write_all (out, g_bytes_get_data (body, NULL), g_bytes_get_size (body) / 2,
                               NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* How many service requests are answered at once, for tests of a client's concurrency. */
static void
serving_start (KvbEmulator *self, SoupServerMessage *msg)
{
  g_object_set_data (G_OBJECT (msg), "kvb-serving", GINT_TO_POINTER (1));
  self->n_serving++;
  self->max_serving = MAX (self->max_serving, self->n_serving);
}

/* ------------------------------------------------------------------------------------------------ */
/* Routing                                                                                          */

static gboolean
host_is_direct (const char *hostname)
{
  return strcmp (hostname, "127.0.0.1") == 0 || strcmp (hostname, "localhost") == 0
         || strcmp (hostname, "[::1]") == 0 || strcmp (hostname, "::1") == 0
         || g_str_has_suffix (hostname, ".localhost");
}

/* "abc.vault.azure.net:443" -> hostname "abc.vault.azure.net" (lower case, no port) */
static char *
host_without_port (const char *host)
{
  const char *colon;
  if (host == NULL)
    return g_strdup ("");
  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');
      return g_ascii_strdown (host, end ? end - host + 1 : -1);
    }
  colon = strrchr (host, ':');
  return g_ascii_strdown (host, colon ? colon - host : -1);
}

static void
reply_keyvault_unauthorized (KvbEmulator *self, SoupServerMessage *msg, KvbEmuVault *vault, int cloud,
                             const char *why)
{
  const char *authority = vault_clouds[cloud].authority ? vault_clouds[cloud].authority : self->url;
  g_autofree char *challenge = g_strdup_printf ("Bearer authorization=\"%s/%s\", resource=\"%s\"", authority,
                                                vault->tenant_id, vault_clouds[cloud].resource);
  const char *message = "AKV10000: Request is missing a Bearer or PoP token.";

  if (g_strcmp0 (why, "expired") == 0)
    message = "AKV10013: Token has expired.";
  else if (g_strcmp0 (why, "audience") == 0)
    message = "AKV10022: Invalid audience.";
  else if (g_strcmp0 (why, "tenant") == 0)
    message = "AKV10032: Invalid issuer. The token was issued by another tenant than the vault's.";
  else if (g_strcmp0 (why, "missing") != 0)
    message = "AKV10000: The bearer token is not valid.";
  kvb_emu_reply_error (msg, 401, "Unauthorized", message, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", challenge);
}

static gboolean
throttled (KvbEmulator *self, SoupServerMessage *msg, const char *vault_name)
{
  Throttle *t;
  gint64 now = g_get_monotonic_time ();
  gint64 window_us = (gint64) self->throttle_window * G_USEC_PER_SEC;

  if (self->throttle_requests == 0 || self->throttle_window == 0)
    return FALSE;
  t = g_hash_table_lookup (self->throttles, vault_name);
  if (t == NULL)
    {
      t = g_new0 (Throttle, 1);
      g_hash_table_insert (self->throttles, g_strdup (vault_name), t);
    }
  if (t->window_start_us == 0 || now - t->window_start_us >= window_us)
    {
      t->window_start_us = now;
      t->count = 0;
    }
  if (t->count >= self->throttle_requests)
    {
      gint64 left_us = t->window_start_us + window_us - now;
      g_autofree char *retry = g_strdup_printf ("%" G_GINT64_FORMAT, MAX ((gint64) 1, (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
      /* Rejected requests do not count against the limit. */
      kvb_emu_reply_error (msg, 429, "Throttled",
                           "Request was not processed because too many requests were received. Reason: "
                           "VaultRequestTypeLimitReached", NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry);
      return TRUE;
    }
  t->count++;
  return FALSE;
}

static void
handle_keyvault (KvbEmulator *self, SoupServerMessage *msg, const char *method, const char *path,
                 GHashTable *query, const char *host, const char *vault_name, int cloud)
{
  KvbEmuVault *vault = kvb_emu_state_get_vault (self->state, vault_name);
  SoupMessageBody *req_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *base_url = g_strdup_printf ("https://%s", host);
  g_autofree char *why = NULL;
  g_autofree char *request_id = kvb_emu_new_uuid ();
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);
  KvbEmuCaller caller = { 0 };

  soup_message_headers_replace (rh, "x-ms-request-id", request_id);
  soup_message_headers_replace (rh, "x-ms-keyvault-service-version", "1.9.2100.1");
  if (vault == NULL)
    {
      /* The real name would not resolve in DNS; through the proxy this is the closest answer. */
      g_autofree char *m = g_strdup_printf ("The vault '%s' does not exist.", vault_name);
      kvb_emu_reply_error (msg, 404, "VaultNotFound", m, NULL);
      return;
    }
  soup_message_headers_replace (rh, "x-ms-keyvault-region", vault->location);
  if (throttled (self, msg, vault->name))
    return;
  if (req_body->length > MAX_KEYVAULT_BODY)
    {
      kvb_emu_reply_error (msg, 413, "RequestEntityTooLarge",
                           "The request body is larger than the 32 MiB the stand-in accepts.", NULL);
      return;
    }
  if (!kvb_emu_entra_check_token (self->entra,
                                  soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                "Authorization"),
                                  KVB_EMU_AUDIENCE_KEYVAULT, vault->tenant_id, &caller, &why))
    {
      reply_keyvault_unauthorized (self, msg, vault, cloud, why);
      return;
    }
  body = soup_message_body_flatten (req_body);
  dataplane_handle (msg, method, path, query, body, base_url, self->state, vault, caller.oid);
  kvb_emu_caller_clear (&caller);
}

static void handle_control (KvbEmulator *self, SoupServerMessage *msg, const char *method, const char *path);

static void
process_request (KvbEmulator *self, SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *path = g_uri_get_path (uri);
  const char *raw_query = g_uri_get_query (uri);
  /* clients that join "https://host/" and "/path" send "//path" (az cloud register does) */
  while (path[0] == '/' && path[1] == '/')
    path++;
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  g_autofree char *hostname = NULL;
  g_autofree char *base_url = NULL;
  g_autoptr(GHashTable) query = NULL;
  gboolean direct;

  if (host == NULL || *host == '\0')
    {
      kvb_emu_reply_error (msg, 400, "BadRequest", "The request has no Host header.", NULL);
      return;
    }
  hostname = host_without_port (host);
  direct = host_is_direct (hostname);
  base_url = g_strdup_printf ("https://%s", host);
  query = raw_query ? soup_form_decode (raw_query) : g_hash_table_new (g_str_hash, g_str_equal);

  if (direct && g_str_has_prefix (path, "/_emulator/"))
    {
      handle_control (self, msg, method, path);
      return;
    }

  /* Injected faults, for clients' retry logic. */
  if (self->fault_drop > 0 && g_random_double () < self->fault_drop)
    {
      log_request (self, msg, 0, TRUE);
      drop_connection (self, msg);
      return;
    }
  if ((self->fault_5xx_next > 0 || (self->fault_5xx > 0 && g_random_double () < self->fault_5xx)))
    {
      if (kvb_emu_arm_owns_path (path) || g_str_has_suffix (hostname, "vault.localhost")
          || strstr (hostname, ".vault.") != NULL)
        {
          if (self->fault_5xx_next > 0)
            self->fault_5xx_next--;
          kvb_emu_reply_error (msg, 503, "ServiceUnavailable",
                               "The service is temporarily unavailable. Please try again later.", NULL);
          if (self->fault_retry_after >= 0)
            {
              char value[16];

              g_snprintf (value, sizeof value, "%d", self->fault_retry_after);
              soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                            "Retry-After", value);
            }
        }
      else
        kvb_emu_reply_oauth_error (msg, 503, "temporarily_unavailable", 50001,
                                   "The service is temporarily unavailable. Please try again later.");
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (vault_clouds); i++)
    {
      const char *suffix = vault_clouds[i].suffix;
      if (g_str_has_suffix (hostname, suffix) && strlen (hostname) > strlen (suffix))
        {
          g_autofree char *vault_name = g_strndup (hostname, strlen (hostname) - strlen (suffix));
          if (strchr (vault_name, '.') != NULL)
            break;
          handle_keyvault (self, msg, method, path, query, host, vault_name, i);
          /* The service acted, but its answer is lost: the ambiguous case for clients. */
          if (self->fault_drop_after > 0 && g_random_double () < self->fault_drop_after)
            {
              log_request (self, msg, soup_server_message_get_status (msg), TRUE);
              drop_connection (self, msg);
            }
          else if (self->fault_cut_body > 0 && g_random_double () < self->fault_cut_body)
            cut_body (self, msg);
          return;
        }
    }

  if (kvb_emu_arm_owns_path (path))
    {
      g_autofree char *vault_suffix = NULL;
      KvbEmuCaller caller = { 0 };
      g_autofree char *why = NULL;

      if (direct)
        vault_suffix = g_strdup_printf ("vault.localhost:%u", self->actual_port);
      else if (g_str_has_suffix (hostname, "chinacloudapi.cn"))
        vault_suffix = g_strdup ("vault.azure.cn");
      else if (g_str_has_suffix (hostname, "usgovcloudapi.net"))
        vault_suffix = g_strdup ("vault.usgovcloudapi.net");
      else
        vault_suffix = g_strdup ("vault.azure.net");

      if (kvb_emu_arm_is_anonymous (path))
        {
          kvb_emu_arm_handle (self->arm, msg, method, path, query, base_url, vault_suffix, NULL);
          return;
        }
      if (!kvb_emu_entra_check_token (self->entra,
                                      soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                    "Authorization"),
                                      KVB_EMU_AUDIENCE_ARM, NULL, &caller, &why))
        {
          kvb_emu_arm_reply_unauthorized (msg, base_url, why);
          return;
        }
      kvb_emu_arm_handle (self->arm, msg, method, path, query, base_url, vault_suffix, &caller);
      kvb_emu_caller_clear (&caller);
      return;
    }

  {
    g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
    if (kvb_emu_entra_handle (self->entra, msg, method, path, query, body, base_url))
      return;
  }

  {
    g_autofree char *m = g_strdup_printf ("No resource was found that matches the request URI '%s%s'.",
                                          base_url, path);
    kvb_emu_reply_error (msg, 404, "NotFound", m, NULL);
  }
}

typedef struct { KvbEmulator *self; SoupServerMessage *msg; } Delayed;

static gboolean
delayed_cb (gpointer data)
{
  Delayed *d = data;
  process_request (d->self, d->msg);
  /* A dropped connection took the message's I/O with it: nothing is left to resume. */
  if (g_object_get_data (G_OBJECT (d->msg), "kvb-stolen") == NULL)
    soup_server_message_unpause (d->msg);
  return G_SOURCE_REMOVE;
}

static void
delayed_free (gpointer data)
{
  Delayed *d = data;
  g_object_unref (d->msg);
  g_object_unref (d->self);
  g_free (d);
}

static void
server_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  KvbEmulator *self = data;

  if (!g_str_has_prefix (path, "/_emulator/"))
    serving_start (self, msg);
  if (self->latency_ms > 0 && !g_str_has_prefix (path, "/_emulator/"))
    {
      Delayed *d = g_new0 (Delayed, 1);
      GSource *src = g_timeout_source_new (self->latency_ms);
      d->self = g_object_ref (self);
      d->msg = g_object_ref (msg);
      soup_server_message_pause (msg);
      g_source_set_callback (src, delayed_cb, d, delayed_free);
      g_source_attach (src, self->context);
      g_source_unref (src);
      return;
    }
  process_request (self, msg);
}

/* ------------------------------------------------------------------------------------------------ */
/* Test control (direct URL only)                                                                   */

static void
reply_ok (SoupServerMessage *msg, const char *member, gint64 value)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
handle_control (KvbEmulator *self, SoupServerMessage *msg, const char *method, const char *path)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj = NULL;

  if (strcmp (path, "/_emulator/requests") == 0)
    {
      GString *s = g_string_new ("[");
      if (strcmp (method, "GET") != 0)
        {
          g_string_free (s, TRUE);
          kvb_emu_reply_error (msg, 405, "MethodNotAllowed", "Use GET.", NULL);
          return;
        }
      for (GList *l = self->log_lines->head; l != NULL; l = l->next)
        g_string_append_printf (s, "%s%s", l == self->log_lines->head ? "" : ",", (char *) l->data);
      g_string_append (s, "]");
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                        s->str, s->len);
      g_string_free (s, FALSE);
      return;
    }
  if (strcmp (path, "/_emulator/connections") == 0)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "accepted");
      json_builder_add_int_value (b, self->n_connections);
      json_builder_set_member_name (b, "max_in_flight");
      json_builder_add_int_value (b, self->max_serving);
      json_builder_end_object (b);
      self->max_serving = self->n_serving;
      kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
      return;
    }
  if (strcmp (path, "/_emulator/info") == 0)
    {
      kvb_emu_reply_text (msg, 200, "application/json; charset=utf-8", self->info_json);
      return;
    }
  if (strcmp (method, "POST") != 0)
    {
      kvb_emu_reply_error (msg, 405, "MethodNotAllowed", "Test-control endpoints take POST.", NULL);
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) == 0)
    node = json_from_string ("{}", NULL);
  else
    node = kvb_emu_parse_json_body (body, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      kvb_emu_reply_error (msg, 400, "BadParameter", "The request body must be a JSON object.", NULL);
      return;
    }
  obj = json_node_get_object (node);

  /* Faults switched on and off while a client runs (a 503 storm in the middle of a job). */
  if (strcmp (path, "/_emulator/faults") == 0)
    {
      self->fault_5xx = CLAMP (json_object_get_double_member_with_default (obj, "fail_5xx", self->fault_5xx), 0.0, 1.0);
      self->fault_drop = CLAMP (json_object_get_double_member_with_default (obj, "drop", self->fault_drop), 0.0, 1.0);
      self->fault_drop_after = CLAMP (json_object_get_double_member_with_default (obj, "drop_after",
                                                                                 self->fault_drop_after), 0.0, 1.0);
      self->fault_cut_body = CLAMP (json_object_get_double_member_with_default (obj, "cut_body",
                                                                               self->fault_cut_body), 0.0, 1.0);
      /* Slow only the part of a test that needs time to act in. */
      self->latency_ms = (guint) CLAMP (json_object_get_int_member_with_default (obj, "latency_ms",
                                                                                 self->latency_ms), 0, 60000);
      self->fault_retry_after = (int) CLAMP (json_object_get_int_member_with_default (obj, "retry_after",
                                                                                      self->fault_retry_after), -1, 3600);
      /* "fail_next": N makes the next N service requests answer 503, whatever the rate: a
       * test that must see a 503 does not depend on chance. */
      self->fault_5xx_next = (guint) CLAMP (json_object_get_int_member_with_default (obj, "fail_next",
                                                                                     self->fault_5xx_next), 0, 1000);
      /* "throttle": "N/SECONDS" or "off", as the command line's --throttle. */
      if (json_object_has_member (obj, "throttle"))
        {
          const char *limit = json_object_get_string_member_with_default (obj, "throttle", "");
          guint n = 0, secs = 0;

          if (g_ascii_strcasecmp (limit, "off") == 0)
            kvb_emulator_set_throttle (self, 0, 0);
          else if (sscanf (limit, "%u/%u", &n, &secs) == 2 && n > 0 && secs > 0)
            kvb_emulator_set_throttle (self, n, secs);
          else
            {
              kvb_emu_reply_error (msg, 400, "BadParameter", "throttle takes \"N/SECONDS\" or \"off\".", NULL);
              return;
            }
          g_hash_table_remove_all (self->throttles);
        }
      reply_ok (msg, "ok", 1);
      return;
    }
  if (strcmp (path, "/_emulator/devicecode/approve") == 0 || strcmp (path, "/_emulator/devicecode/decline") == 0
      || strcmp (path, "/_emulator/devicecode/expire") == 0)
    {
      const char *code = json_object_get_string_member_with_default (obj, "user_code", NULL);
      const char *user = json_object_get_string_member_with_default (obj, "user", NULL);
      gboolean ok;
      if (g_str_has_suffix (path, "/expire"))
        ok = kvb_emu_entra_expire_device_code (self->entra, code);
      else
        ok = kvb_emu_entra_decide_device_code (self->entra, code, g_str_has_suffix (path, "/approve"), user);
      if (!ok)
        kvb_emu_reply_error (msg, 404, "NotFound", "No pending device code with that user code (or unknown user).", NULL);
      else
        reply_ok (msg, "ok", 1);
      return;
    }
  if (strcmp (path, "/_emulator/refresh-tokens/revoke") == 0)
    {
      const char *user = json_object_get_string_member_with_default (obj, "user", NULL);
      reply_ok (msg, "revoked", kvb_emu_entra_revoke_refresh_tokens (self->entra, user));
      return;
    }
  if (strcmp (path, "/_emulator/token") == 0)
    {
      /* An access token without a sign-in, for tests: {"object_id": …, "resource": …} */
      const char *oid = json_object_get_string_member_with_default (obj, "object_id",
                                                                     kvb_emu_state_get_sample_service_principal (self->state));
      const char *resource = json_object_get_string_member_with_default (obj, "resource", "https://vault.localhost");
      g_autofree char *token = kvb_emu_entra_mint_token (self->entra, oid, resource);
      g_autoptr(JsonBuilder) b = json_builder_new ();
      if (token == NULL)
        {
          kvb_emu_reply_error (msg, 404, "NotFound", "Unknown identity.", NULL);
          return;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "access_token");
      json_builder_add_string_value (b, token);
      json_builder_end_object (b);
      kvb_emu_reply_json (msg, 200, json_builder_get_root (b));
      return;
    }
  kvb_emu_reply_error (msg, 404, "NotFound", "Unknown test-control endpoint.", NULL);
}

/* ------------------------------------------------------------------------------------------------ */
/* Start and stop                                                                                   */

static gboolean
write_private_file (KvbEmulator *self, const char *name, const char *contents, char **out_path, GError **error)
{
  g_autofree char *path = g_build_filename (self->work_dir, name, NULL);
  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING, 0600, error))
    return FALSE;
  g_ptr_array_add (self->written_files, g_strdup (path));
  if (out_path)
    *out_path = g_steal_pointer (&path);
  return TRUE;
}

static char *
first_pem_block (const char *pem, const char *label)
{
  g_autofree char *begin = g_strdup_printf ("-----BEGIN %s-----", label);
  g_autofree char *end = g_strdup_printf ("-----END %s-----", label);
  const char *b = strstr (pem, begin);
  const char *e = b ? strstr (b, end) : NULL;
  if (e == NULL)
    return NULL;
  return g_strdup_printf ("%.*s\n", (int) (e + strlen (end) - b), b);
}

static gboolean
setup_tls (KvbEmulator *self, GError **error)
{
  g_autofree char *ca_pem = NULL, *ca_key = NULL, *chain = NULL, *key = NULL;
  g_autofree char *ca_path = NULL, *ca_key_path = NULL;

  if (self->cert_file != NULL)
    {
      self->certificate = g_tls_certificate_new_from_files (self->cert_file, self->key_file, error);
      if (self->certificate == NULL)
        return FALSE;
      self->ca_file = g_strdup (self->cert_file);
      return TRUE;
    }

  ca_path = g_build_filename (self->work_dir, "ca.pem", NULL);
  ca_key_path = g_build_filename (self->work_dir, "ca-key.pem", NULL);
  /* A state folder given by the user keeps its CA, so that trust set up once survives restarts. */
  if (!self->work_dir_is_temp && g_file_test (ca_path, G_FILE_TEST_EXISTS)
      && g_file_test (ca_key_path, G_FILE_TEST_EXISTS))
    {
      if (!g_file_get_contents (ca_path, &ca_pem, NULL, error) || !g_file_get_contents (ca_key_path, &ca_key, NULL, error))
        return FALSE;
      self->ca_file = g_steal_pointer (&ca_path);
    }
  else
    {
      if (!kvb_emu_tls_make_ca ("Key Vault Backup local Azure stand-in test CA", &ca_pem, &ca_key, error))
        return FALSE;
      if (!write_private_file (self, "ca.pem", ca_pem, &self->ca_file, error))
        return FALSE;
      if (!self->work_dir_is_temp && !write_private_file (self, "ca-key.pem", ca_key, NULL, error))
        return FALSE;
    }
  if (!kvb_emu_tls_make_server (ca_pem, ca_key, server_dns_names, server_ips, &chain, &key, error))
    return FALSE;
  {
    g_autofree char *both = g_strconcat (chain, key, NULL);
    self->certificate = g_tls_certificate_new_from_pem (both, -1, error);
    memset (both, 0, strlen (both));
  }
  memset (key, 0, strlen (key));
  memset (ca_key, 0, strlen (ca_key));
  return self->certificate != NULL;
}

static gboolean
setup_client_certificate (KvbEmulator *self, GError **error)
{
  const char *oid = kvb_emu_state_get_generated_certificate_identity (self->state);
  KvbEmuIdentity *id = oid ? kvb_emu_state_get_identity (self->state, oid) : NULL;
  g_autofree char *path = NULL, *existing = NULL, *cert = NULL, *key = NULL;

  if (id == NULL)
    return TRUE;
  path = g_build_filename (self->work_dir, "client-cert.pem", NULL);
  if (!self->work_dir_is_temp && g_file_get_contents (path, &existing, NULL, NULL)
      && (cert = first_pem_block (existing, "CERTIFICATE")) != NULL)
    {
      g_free (id->certificate_pem);
      id->certificate_pem = g_steal_pointer (&cert);
      self->client_cert_file = g_steal_pointer (&path);
      memset (existing, 0, strlen (existing));
      return TRUE;
    }
  if (!kvb_emu_tls_make_client (id->name, &cert, &key, error))
    return FALSE;
  {
    g_autofree char *both = g_strconcat (cert, key, NULL);
    gboolean ok = write_private_file (self, "client-cert.pem", both, &self->client_cert_file, error);
    memset (both, 0, strlen (both));
    memset (key, 0, strlen (key));
    if (!ok)
      return FALSE;
  }
  g_free (id->certificate_pem);
  id->certificate_pem = g_steal_pointer (&cert);
  return TRUE;
}

static char *
build_info_json (KvbEmulator *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  KvbEmuIdentity *sp = kvb_emu_state_get_identity (self->state, kvb_emu_state_get_sample_service_principal (self->state));
  KvbEmuIdentity *user = kvb_emu_state_get_identity (self->state, kvb_emu_state_get_sample_user (self->state));
  const char *const *clients = kvb_emu_state_get_public_clients (self->state);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, self->url);
  json_builder_set_member_name (b, "proxy");
  if (self->proxy_url)
    json_builder_add_string_value (b, self->proxy_url);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "ca");
  json_builder_add_string_value (b, self->ca_file);
  json_builder_set_member_name (b, "tenant");
  json_builder_add_string_value (b, sp ? sp->tenant_id : kvb_emu_state_get_default_tenant (self->state));
  json_builder_set_member_name (b, "client_id");
  if (sp)
    json_builder_add_string_value (b, sp->client_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "client_secret");
  if (sp && sp->client_secret)
    json_builder_add_string_value (b, sp->client_secret);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "client_certificate");
  if (self->client_cert_file)
    json_builder_add_string_value (b, self->client_cert_file);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "vault_suffix");
  json_builder_add_string_value (b, "vault.localhost");
  json_builder_set_member_name (b, "user");
  if (user)
    json_builder_add_string_value (b, user->name);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "public_client_ids");
  json_builder_begin_array (b);
  for (guint i = 0; clients[i] != NULL; i++)
    json_builder_add_string_value (b, clients[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gboolean
setup (KvbEmulator *self, GError **error)
{
  GList *vaults;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  if (self->state_dir != NULL)
    {
      if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "Cannot create %s: %s", self->state_dir,
                       g_strerror (e));
          return FALSE;
        }
      self->work_dir = g_strdup (self->state_dir);
    }
  else
    {
      self->work_dir = g_dir_make_tmp ("kvb-emulator-XXXXXX", error);
      if (self->work_dir == NULL)
        return FALSE;
      self->work_dir_is_temp = TRUE;
    }

  self->state = kvb_emu_state_new ();
  if (!kvb_emu_state_load (self->state, self->seed_file, error))
    return FALSE;
  vaults = kvb_emu_state_get_vaults (self->state);
  for (GList *l = vaults; l != NULL; l = l->next)
    {
      KvbEmuVault *v = l->data;
      if (!dataplane_seed (v, kvb_emu_state_get_vault_seed (self->state, v->name), error))
        {
          g_list_free (vaults);
          return FALSE;
        }
    }
  g_list_free (vaults);

  self->entra = kvb_emu_entra_new (self->state);
  kvb_emu_entra_set_token_lifetime (self->entra, self->token_lifetime);
  self->arm = kvb_emu_arm_new (self->state);
  self->throttles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->log_lines = g_queue_new ();
  self->log_fd = -1;
  if (self->log_file != NULL)
    {
      self->log_fd = g_open (self->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (self->log_fd < 0)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "Cannot open the log %s: %s", self->log_file,
                       g_strerror (e));
          return FALSE;
        }
    }

  if (!setup_tls (self, error) || !setup_client_certificate (self, error))
    return FALSE;

  self->server = soup_server_new ("tls-certificate", self->certificate, "server-header", "kvb-emulator", NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_track_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_done_untrack_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_done_untrack_cb), self);
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, g_free);
  self->reaper = g_timeout_source_new (REAP_INTERVAL_MS);
  g_source_set_callback (self->reaper, reap_cb, self, NULL);
  g_source_attach (self->reaper, self->context);

  /* Our own socket, so the port is known and TCP_NODELAY is set on the listener (Linux passes it on). */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  addr = g_inet_socket_address_new (lo, self->port);
  if (!g_socket_bind (sock, addr, TRUE, error) || !g_socket_listen (sock, error))
    return FALSE;
  bound = g_socket_get_local_address (sock, error);
  if (bound == NULL)
    return FALSE;
  self->actual_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  if (!soup_server_listen_socket (self->server, sock, SOUP_SERVER_LISTEN_HTTPS, error))
    return FALSE;
  self->url = g_strdup_printf ("https://127.0.0.1:%u", self->actual_port);

  if (self->proxy_enabled)
    {
      self->proxy = kvb_emu_proxy_new (self->server, self->certificate, self->proxy_port, error);
      if (self->proxy == NULL)
        return FALSE;
      self->proxy_url = g_strdup_printf ("http://127.0.0.1:%u", kvb_emu_proxy_get_port (self->proxy));
    }
  self->info_json = build_info_json (self);
  return TRUE;
}

static void
teardown (KvbEmulator *self)
{
  g_clear_pointer (&self->proxy, kvb_emu_proxy_free);
  if (self->reaper != NULL)
    {
      g_source_destroy (self->reaper);
      g_clear_pointer (&self->reaper, g_source_unref);
    }
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      soup_server_disconnect (self->server);
    }
  g_clear_object (&self->server);
  /* Let cancelled callbacks run before the state they point at goes. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_clear_pointer (&self->entra, kvb_emu_entra_free);
  g_clear_pointer (&self->arm, kvb_emu_arm_free);
  g_clear_pointer (&self->state, kvb_emu_state_free);
  g_clear_pointer (&self->throttles, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  if (self->log_lines)
    g_queue_free_full (g_steal_pointer (&self->log_lines), g_free);
  if (self->log_fd >= 0)
    close (self->log_fd);
  self->log_fd = -1;
  g_clear_object (&self->certificate);
}

static gpointer
thread_func (gpointer data)
{
  KvbEmulator *self = data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);
  ok = setup (self, &error);

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  self->start_error = error;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  while (ok && !g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);
  teardown (self);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
remove_work_dir (KvbEmulator *self)
{
  for (guint i = 0; self->written_files && i < self->written_files->len; i++)
    if (self->work_dir_is_temp)
      g_unlink (g_ptr_array_index (self->written_files, i));
  if (self->work_dir_is_temp && self->work_dir)
    g_rmdir (self->work_dir);
}

gboolean
kvb_emulator_start (KvbEmulator *self, GError **error)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->proxy_url, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->client_cert_file, g_free);
  g_clear_pointer (&self->work_dir, g_free);
  g_clear_pointer (&self->info_json, g_free);
  self->work_dir_is_temp = FALSE;
  self->context = g_main_context_new ();
  g_atomic_int_set (&self->quit, FALSE);
  self->ready = FALSE;
  self->written_files = g_ptr_array_new_with_free_func (g_free);
  self->thread = g_thread_new ("kvb-emulator", thread_func, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->start_error != NULL)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      remove_work_dir (self);
      g_clear_pointer (&self->context, g_main_context_unref);
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      return FALSE;
    }
  return TRUE;
}

void
kvb_emulator_stop (KvbEmulator *self)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));

  if (self->thread == NULL)
    return;
  /* the wakeup makes the thread's next or current iteration return, so the flag is seen */
  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_wakeup (self->context);
  g_thread_join (g_steal_pointer (&self->thread));
  remove_work_dir (self);
  g_clear_pointer (&self->written_files, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}

/* ------------------------------------------------------------------------------------------------ */
/* GObject                                                                                          */

KvbEmulator *
kvb_emulator_new (void)
{
  return g_object_new (KVB_TYPE_EMULATOR, NULL);
}

static void
kvb_emulator_finalize (GObject *object)
{
  KvbEmulator *self = KVB_EMULATOR (object);

  kvb_emulator_stop (self);
  g_free (self->seed_file);
  g_free (self->state_dir);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self->log_file);
  g_free (self->url);
  g_free (self->proxy_url);
  g_free (self->ca_file);
  g_free (self->client_cert_file);
  g_free (self->work_dir);
  g_free (self->info_json);
  g_clear_pointer (&self->written_files, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (kvb_emulator_parent_class)->finalize (object);
}

static void
kvb_emulator_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  KvbEmulator *self = KVB_EMULATOR (object);

  switch (prop_id)
    {
    case PROP_SEED_FILE: g_value_set_string (value, self->seed_file); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_PROXY_ENABLED: g_value_set_boolean (value, self->proxy_enabled); break;
    case PROP_PROXY_PORT: g_value_set_uint (value, self->proxy_port); break;
    case PROP_STATE_DIR: g_value_set_string (value, self->state_dir); break;
    case PROP_LATENCY_MS: g_value_set_uint (value, self->latency_ms); break;
    case PROP_THROTTLE_REQUESTS: g_value_set_uint (value, self->throttle_requests); break;
    case PROP_THROTTLE_WINDOW: g_value_set_uint (value, self->throttle_window); break;
    case PROP_FAULT_5XX: g_value_set_double (value, self->fault_5xx); break;
    case PROP_FAULT_DROP: g_value_set_double (value, self->fault_drop); break;
    case PROP_FAULT_RETRY_AFTER: g_value_set_int (value, self->fault_retry_after); break;
    case PROP_FAULT_DROP_AFTER: g_value_set_double (value, self->fault_drop_after); break;
    case PROP_TOKEN_LIFETIME: g_value_set_uint (value, self->token_lifetime); break;
    case PROP_LOG_FILE: g_value_set_string (value, self->log_file); break;
    case PROP_URL: g_value_set_string (value, self->url); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_emulator_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  KvbEmulator *self = KVB_EMULATOR (object);

  switch (prop_id)
    {
    case PROP_SEED_FILE: kvb_emulator_set_seed_file (self, g_value_get_string (value)); break;
    case PROP_PORT: kvb_emulator_set_port (self, g_value_get_uint (value)); break;
    case PROP_PROXY_ENABLED: kvb_emulator_set_proxy_enabled (self, g_value_get_boolean (value)); break;
    case PROP_PROXY_PORT: kvb_emulator_set_proxy_port (self, g_value_get_uint (value)); break;
    case PROP_STATE_DIR: kvb_emulator_set_state_dir (self, g_value_get_string (value)); break;
    case PROP_LATENCY_MS: kvb_emulator_set_latency_ms (self, g_value_get_uint (value)); break;
    case PROP_THROTTLE_REQUESTS: self->throttle_requests = g_value_get_uint (value); break;
    case PROP_THROTTLE_WINDOW: self->throttle_window = g_value_get_uint (value); break;
    case PROP_FAULT_5XX: self->fault_5xx = g_value_get_double (value); break;
    case PROP_FAULT_DROP: self->fault_drop = g_value_get_double (value); break;
    case PROP_FAULT_RETRY_AFTER: self->fault_retry_after = g_value_get_int (value); break;
    case PROP_FAULT_DROP_AFTER: self->fault_drop_after = g_value_get_double (value); break;
    case PROP_TOKEN_LIFETIME: kvb_emulator_set_token_lifetime (self, g_value_get_uint (value)); break;
    case PROP_LOG_FILE: kvb_emulator_set_log_file (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_emulator_class_init (KvbEmulatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = kvb_emulator_finalize;
  object_class->get_property = kvb_emulator_get_property;
  object_class->set_property = kvb_emulator_set_property;

  props[PROP_SEED_FILE] = g_param_spec_string ("seed-file", NULL, NULL, NULL, rw);
  props[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, rw);
  props[PROP_PROXY_ENABLED] = g_param_spec_boolean ("proxy-enabled", NULL, NULL, TRUE, rw);
  props[PROP_PROXY_PORT] = g_param_spec_uint ("proxy-port", NULL, NULL, 0, 65535, 0, rw);
  props[PROP_STATE_DIR] = g_param_spec_string ("state-dir", NULL, NULL, NULL, rw);
  props[PROP_LATENCY_MS] = g_param_spec_uint ("latency-ms", NULL, NULL, 0, 600000, 0, rw);
  props[PROP_THROTTLE_REQUESTS] = g_param_spec_uint ("throttle-requests", NULL, NULL, 0, G_MAXUINT, 4000, rw);
  props[PROP_THROTTLE_WINDOW] = g_param_spec_uint ("throttle-window", NULL, NULL, 0, 3600, 10, rw);
  props[PROP_FAULT_5XX] = g_param_spec_double ("fault-5xx-rate", NULL, NULL, 0.0, 1.0, 0.0, rw);
  props[PROP_FAULT_DROP] = g_param_spec_double ("fault-drop-rate", NULL, NULL, 0.0, 1.0, 0.0, rw);
  props[PROP_FAULT_DROP_AFTER] = g_param_spec_double ("fault-drop-after-rate", NULL, NULL, 0.0, 1.0, 0.0, rw);
  props[PROP_FAULT_RETRY_AFTER] = g_param_spec_int ("fault-retry-after", NULL, NULL, -1, 3600, 1, rw);
  props[PROP_TOKEN_LIFETIME] = g_param_spec_uint ("token-lifetime", NULL, NULL, 1, G_MAXUINT, 3600, rw);
  props[PROP_LOG_FILE] = g_param_spec_string ("log-file", NULL, NULL, NULL, rw);
  props[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
kvb_emulator_init (KvbEmulator *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->proxy_enabled = TRUE;
  self->throttle_requests = 4000;
  self->throttle_window = 10;
  self->token_lifetime = 3600;
  self->fault_retry_after = 1;
  self->log_fd = -1;
}

#define SET_STRING(field, value, prop) G_STMT_START { \
    if (g_strcmp0 (self->field, value) != 0) { g_free (self->field); self->field = g_strdup (value); \
      g_object_notify_by_pspec (G_OBJECT (self), props[prop]); } } G_STMT_END

void
kvb_emulator_set_seed_file (KvbEmulator *self, const char *path)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  SET_STRING (seed_file, path, PROP_SEED_FILE);
}

void
kvb_emulator_set_port (KvbEmulator *self, guint port)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PORT]);
}

void
kvb_emulator_set_proxy_enabled (KvbEmulator *self, gboolean enabled)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->proxy_enabled = !!enabled;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PROXY_ENABLED]);
}

void
kvb_emulator_set_proxy_port (KvbEmulator *self, guint port)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->proxy_port = port;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PROXY_PORT]);
}

void
kvb_emulator_set_state_dir (KvbEmulator *self, const char *dir)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  SET_STRING (state_dir, dir, PROP_STATE_DIR);
}

void
kvb_emulator_set_certificate_files (KvbEmulator *self, const char *cert_pem, const char *key_pem)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  g_free (self->cert_file);
  g_free (self->key_file);
  self->cert_file = g_strdup (cert_pem);
  self->key_file = g_strdup (key_pem ? key_pem : cert_pem);
}

void
kvb_emulator_set_latency_ms (KvbEmulator *self, guint ms)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->latency_ms = ms;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LATENCY_MS]);
}

void
kvb_emulator_set_throttle (KvbEmulator *self, guint requests, guint window_seconds)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->throttle_requests = requests;
  self->throttle_window = window_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_THROTTLE_REQUESTS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_THROTTLE_WINDOW]);
}

void
kvb_emulator_set_fault_rates (KvbEmulator *self, double http_5xx, double drop)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->fault_5xx = CLAMP (http_5xx, 0.0, 1.0);
  self->fault_drop = CLAMP (drop, 0.0, 1.0);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAULT_5XX]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAULT_DROP]);
}

void
kvb_emulator_set_fault_drop_after_rate (KvbEmulator *self, double rate)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->fault_drop_after = CLAMP (rate, 0.0, 1.0);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAULT_DROP_AFTER]);
}

void
kvb_emulator_set_fault_cut_body_rate (KvbEmulator *self, double rate)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->fault_cut_body = CLAMP (rate, 0.0, 1.0);
}

void
kvb_emulator_set_fault_retry_after (KvbEmulator *self, int seconds)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->fault_retry_after = CLAMP (seconds, -1, 3600);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAULT_RETRY_AFTER]);
}

void
kvb_emulator_set_token_lifetime (KvbEmulator *self, guint seconds)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  self->token_lifetime = MAX (seconds, 1);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOKEN_LIFETIME]);
}

void
kvb_emulator_set_log_file (KvbEmulator *self, const char *path)
{
  g_return_if_fail (KVB_IS_EMULATOR (self));
  SET_STRING (log_file, path, PROP_LOG_FILE);
}

const char *
kvb_emulator_get_url (KvbEmulator *self)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), NULL);
  return self->url;
}

const char *
kvb_emulator_get_proxy_url (KvbEmulator *self)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), NULL);
  return self->proxy_url;
}

const char *
kvb_emulator_get_ca_file (KvbEmulator *self)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), NULL);
  return self->ca_file;
}

const char *
kvb_emulator_get_client_certificate_file (KvbEmulator *self)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), NULL);
  return self->client_cert_file;
}

char *
kvb_emulator_dup_info_json (KvbEmulator *self)
{
  g_return_val_if_fail (KVB_IS_EMULATOR (self), NULL);
  return g_strdup (self->info_json);
}
