/* kvb-emu-reply.h: JSON replies and the real error envelopes, shared by every part of the stand-in. */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sets status, Content-Type "application/json; charset=utf-8" and the serialised node (consumed: the
 * reply takes ownership of @node; NULL sends an empty body). */
void kvb_emu_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);

/* {"error":{"code":…,"message":…,"innererror":{"code":…}}} (innererror only when @inner_code is set). */
void kvb_emu_reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message,
                          const char *inner_code);

/* Entra ID's shape: {"error":…,"error_description":"AADSTS…: …","error_codes":[…],"timestamp":…,
 * "trace_id":…,"correlation_id":…}. @aadsts is the number (e.g. 70016) or 0. */
void kvb_emu_reply_oauth_error (SoupServerMessage *msg, guint status, const char *error, guint aadsts,
                                const char *description);

/* Small helpers */
void kvb_emu_reply_text (SoupServerMessage *msg, guint status, const char *content_type, const char *text);
JsonNode *kvb_emu_parse_json_body (GBytes *body, GError **error);   /* NULL on malformed input */
char *kvb_emu_new_uuid (void);
char *kvb_emu_base64url_encode (const guint8 *data, gsize len);     /* unpadded */
guint8 *kvb_emu_base64url_decode (const char *text, gsize *out_len); /* NULL on bad input; padding optional */

G_END_DECLS
