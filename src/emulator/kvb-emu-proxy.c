#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define MAX_HEAD_BYTES 8192

struct _KvbEmuProxy
{
  SoupServer *server;
  GTlsCertificate *certificate;
  GSocketService *service;
  GCancellable *cancellable;
  guint port;
};

typedef struct
{
  KvbEmuProxy *proxy;
  GSocketConnection *conn;
  GString *head;
  char byte;
  char *refusal;
} ProxyConn;

static void
proxy_conn_free (ProxyConn *pc)
{
  g_clear_object (&pc->conn);
  if (pc->head)
    g_string_free (pc->head, TRUE);
  g_free (pc->refusal);
  g_free (pc);
}

static void
close_conn (ProxyConn *pc)
{
  g_io_stream_close (G_IO_STREAM (pc->conn), NULL, NULL);
  proxy_conn_free (pc);
}

static void
refuse_written_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  close_conn (data);
}

static void
refuse (ProxyConn *pc, const char *status_line)
{
  pc->refusal = g_strdup_printf ("HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status_line);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (pc->conn)), pc->refusal,
                                   strlen (pc->refusal), G_PRIORITY_DEFAULT, pc->proxy->cancellable,
                                   refuse_written_cb, pc);
}

static void
established_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  ProxyConn *pc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketAddress) local = NULL, remote = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      close_conn (pc);
      return;
    }
  tls = g_tls_server_connection_new (G_IO_STREAM (pc->conn), pc->proxy->certificate, &error);
  if (tls == NULL)
    {
      g_warning ("CONNECT: %s", error->message);
      close_conn (pc);
      return;
    }
  /* The handshake happens on first read; a client that does not trust the CA just fails there. */
  g_object_set (tls, "authentication-mode", G_TLS_AUTHENTICATION_NONE, NULL);
  local = g_socket_connection_get_local_address (pc->conn, NULL);
  remote = g_socket_connection_get_remote_address (pc->conn, NULL);
  if (!soup_server_accept_iostream (pc->proxy->server, tls, local, remote, &error))
    {
      g_warning ("CONNECT: %s", error->message);
      close_conn (pc);
      return;
    }
  proxy_conn_free (pc);
}

static void
head_complete (ProxyConn *pc)
{
  static const char reply[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
  g_autofree char *line = g_strndup (pc->head->str, strcspn (pc->head->str, "\r\n"));
  g_auto(GStrv) parts = g_strsplit (line, " ", 3);

  if (g_strv_length (parts) != 3 || strcmp (parts[0], "CONNECT") != 0)
    {
      refuse (pc, "405 Method Not Allowed");
      return;
    }
  if (strchr (parts[1], ':') == NULL)
    {
      refuse (pc, "400 Bad Request");
      return;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (pc->conn)), reply,
                                   strlen (reply), G_PRIORITY_DEFAULT, pc->proxy->cancellable,
                                   established_cb, pc);
}

/* The request head is read a byte at a time: nothing after it may be taken from the socket, because
 * the TLS layer reads the rest (and needs the socket's pollable stream, not a buffered one). */
static void
read_byte_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  ProxyConn *pc = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n <= 0)
    {
      close_conn (pc);
      return;
    }
  g_string_append_c (pc->head, pc->byte);
  if (g_str_has_suffix (pc->head->str, "\r\n\r\n") || g_str_has_suffix (pc->head->str, "\n\n"))
    {
      head_complete (pc);
      return;
    }
  if (pc->head->len > MAX_HEAD_BYTES)
    {
      refuse (pc, "431 Request Header Fields Too Large");
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), &pc->byte, 1, G_PRIORITY_DEFAULT, pc->proxy->cancellable,
                             read_byte_cb, pc);
}

static gboolean
incoming_cb (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  KvbEmuProxy *proxy = data;
  ProxyConn *pc = g_new0 (ProxyConn, 1);
  GSocket *sock = g_socket_connection_get_socket (connection);

  g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  pc->proxy = proxy;
  pc->conn = g_object_ref (connection);
  pc->head = g_string_new (NULL);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), &pc->byte, 1,
                             G_PRIORITY_DEFAULT, proxy->cancellable, read_byte_cb, pc);
  return TRUE;
}

KvbEmuProxy *
kvb_emu_proxy_new (SoupServer *server, GTlsCertificate *certificate, guint port, GError **error)
{
  KvbEmuProxy *proxy = g_new0 (KvbEmuProxy, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  g_autoptr(GSocketAddress) effective = NULL;

  proxy->server = g_object_ref (server);
  proxy->certificate = g_object_ref (certificate);
  proxy->cancellable = g_cancellable_new ();
  proxy->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), addr, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    {
      kvb_emu_proxy_free (proxy);
      return NULL;
    }
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (incoming_cb), proxy);
  g_socket_service_start (proxy->service);
  return proxy;
}

guint
kvb_emu_proxy_get_port (KvbEmuProxy *proxy)
{
  return proxy->port;
}

void
kvb_emu_proxy_free (KvbEmuProxy *proxy)
{
  if (proxy == NULL)
    return;
  g_cancellable_cancel (proxy->cancellable);
  if (proxy->service)
    {
      g_socket_service_stop (proxy->service);
      g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
      g_signal_handlers_disconnect_by_data (proxy->service, proxy);
    }
  g_clear_object (&proxy->service);
  g_clear_object (&proxy->cancellable);
  g_clear_object (&proxy->certificate);
  g_clear_object (&proxy->server);
  g_free (proxy);
}
