/* kvb-emu-proxy.h: a plain-HTTP CONNECT proxy that never forwards: it answers every CONNECT itself,
 * terminates TLS with the stand-in's certificate and hands the stream to the stand-in's server. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _KvbEmuProxy KvbEmuProxy;

/* Listens on 127.0.0.1:@port (0: the system picks) in the thread-default main context. */
KvbEmuProxy *kvb_emu_proxy_new (SoupServer *server, GTlsCertificate *certificate, guint port, GError **error);
guint kvb_emu_proxy_get_port (KvbEmuProxy *proxy);
void kvb_emu_proxy_free (KvbEmuProxy *proxy);

G_END_DECLS
