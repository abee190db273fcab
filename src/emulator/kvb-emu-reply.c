#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-reply.h"

#include <string.h>

void
kvb_emu_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (node != NULL)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      json_generator_set_root (gen, node);
      text = json_generator_to_data (gen, &len);
      json_node_unref (node);
    }
  soup_server_message_set_status (msg, status, NULL);
  if (text != NULL)
    soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                      g_steal_pointer (&text), len);
  else
    soup_message_body_truncate (soup_server_message_get_response_body (msg));
}

void
kvb_emu_reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message,
                     const char *inner_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  /* messages may quote what the client sent; keep the reply valid JSON whatever that was */
  g_autofree char *valid = g_utf8_make_valid (message ? message : "", -1);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, valid);
  if (inner_code != NULL)
    {
      json_builder_set_member_name (b, "innererror");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, inner_code);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, status, json_builder_get_root (b));
}

void
kvb_emu_reply_oauth_error (SoupServerMessage *msg, guint status, const char *error, guint aadsts,
                           const char *description)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%SZ");
  g_autofree char *trace = kvb_emu_new_uuid ();
  g_autofree char *corr = kvb_emu_new_uuid ();
  g_autofree char *desc = NULL;
  g_autofree char *valid = g_utf8_make_valid (description ? description : "", -1);

  if (aadsts != 0)
    desc = g_strdup_printf ("AADSTS%u: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
                            aadsts, valid, trace, corr, stamp);
  else
    desc = g_strdup (valid);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, error);
  json_builder_set_member_name (b, "error_description");
  json_builder_add_string_value (b, desc);
  json_builder_set_member_name (b, "error_codes");
  json_builder_begin_array (b);
  if (aadsts != 0)
    json_builder_add_int_value (b, aadsts);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "timestamp");
  json_builder_add_string_value (b, stamp);
  json_builder_set_member_name (b, "trace_id");
  json_builder_add_string_value (b, trace);
  json_builder_set_member_name (b, "correlation_id");
  json_builder_add_string_value (b, corr);
  if (aadsts != 0)
    {
      json_builder_set_member_name (b, "error_uri");
      json_builder_add_string_value (b, "https://login.microsoftonline.com/error");
    }
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, status, json_builder_get_root (b));
}

void
kvb_emu_reply_text (SoupServerMessage *msg, guint status, const char *content_type, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, text, strlen (text));
}

JsonNode *
kvb_emu_parse_json_body (GBytes *body, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The request body is empty.");
      return NULL;
    }
  if (!g_utf8_validate (data, len, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The request body is not UTF-8.");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, len, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The request body is empty.");
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

char *
kvb_emu_new_uuid (void)
{
  return g_uuid_string_random ();
}

char *
kvb_emu_base64url_encode (const guint8 *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  return text;
}

guint8 *
kvb_emu_base64url_decode (const char *text, gsize *out_len)
{
  gsize n = strlen (text);
  g_autoptr(GString) s = g_string_sized_new (n + 4);

  for (gsize i = 0; i < n; i++)
    {
      char c = text[i];
      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (c == '=')
        {
          /* padding only at the end */
          for (gsize j = i; j < n; j++)
            if (text[j] != '=')
              return NULL;
          break;
        }
      else if (!g_ascii_isalnum (c) && c != '+' && c != '/')
        return NULL;
      g_string_append_c (s, c);
    }
  if (s->len % 4 == 1)
    return NULL;
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  return g_base64_decode (s->str, out_len);
}
