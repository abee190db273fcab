/* kvb-base64url.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-base64url"

#include "config.h"

#include "kvb-base64url.h"

/**
 * kvb_base64url_encode:
 *
 * Returns: @data as base64url without padding, as Key Vault sends backup blobs and as JWTs and
 *   PKCE write their parts.
 */
char *
kvb_base64url_encode (const guchar *data,
                      gsize         len)
{
  char *text = g_base64_encode (data, len);

  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }

  return text;
}

/**
 * kvb_base64url_decode:
 *
 * Decodes base64url or standard base64, with or without '=' padding, ignoring whitespace: what
 * Key Vault answers and what people save in files.
 *
 * Returns: (nullable): the bytes, or %NULL when the text is empty or holds anything else.
 */
GBytes *
kvb_base64url_decode (const char *text,
                      gsize       len)
{
  g_autoptr(GString) clean = g_string_sized_new (len + 3);
  gsize padding = 0;
  gsize out_len = 0;
  guchar *out;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = text[i];

      if (g_ascii_isspace (c))
        continue;
      if (c == '=')
        {
          padding++;
          continue;
        }
      /* Nothing but padding and whitespace may follow the first '='. */
      if (padding > 0)
        return NULL;
      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return NULL;
      g_string_append_c (clean, c);
    }

  if (clean->len == 0 || clean->len % 4 == 1 || padding > 2)
    return NULL;
  if (padding > 0 && (clean->len + padding) % 4 != 0)
    return NULL;

  while (clean->len % 4 != 0)
    g_string_append_c (clean, '=');

  out = g_base64_decode (clean->str, &out_len);
  if (out_len == 0)
    {
      g_free (out);
      return NULL;
    }

  return g_bytes_new_take (out, out_len);
}
