/* kvb-fuzz.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>

#include "kvb-fuzz.h"

static GLogWriterOutput
quiet_writer (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE))
    return G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  /* GLib's own fatal path raises SIGTRAP, which libFuzzer does not catch: it would keep no
   * crashing input.  SIGABRT it catches. */
  abort ();
}

void
kvb_fuzz_init (void)
{
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  /* Messages stay untranslated: no locale files are read per input. */
  g_setenv ("LANGUAGE", "C", TRUE);
}

char *
kvb_fuzz_dup_string (const guint8 *data,
                     size_t        size)
{
  return g_strndup ((const char *) data, size);
}

JsonNode *
kvb_fuzz_parse_json (const guint8 *data,
                     size_t        size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, (const char *) data, size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL ? json_node_copy (root) : NULL;
}
