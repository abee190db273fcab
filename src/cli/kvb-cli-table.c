/* kvb-cli-table.c: columns of text that line up on a terminal
 *
 * printf's "%-12s" pads by bytes: a Japanese header or object name (three bytes, two columns per
 * character) would push the next column.  These pad by the columns the terminal shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kvb-cli-table.h"

/**
 * kvb_cli_display_width:
 * @text: UTF-8 text
 *
 * Returns: how many terminal columns @text takes: two for a wide or fullwidth character, none
 *   for a combining mark or other zero-width character, one for the rest.
 */
gsize
kvb_cli_display_width (const char *text)
{
  gsize width = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p != '\0';)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      /* A byte that is not UTF-8 still shows as something; step over it alone. */
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          width++;
          p++;
          continue;
        }

      if (g_unichar_iswide (c))
        width += 2;
      else if (!g_unichar_iszerowidth (c))
        width++;
      p = g_utf8_next_char (p);
    }

  return width;
}

/**
 * kvb_cli_append_padded:
 * @line: the line being built
 * @text: UTF-8 text
 * @width: the column's width in terminal columns
 *
 * Appends @text and as many spaces as make it @width columns wide (none when it is wider),
 * like "%-*s" would for ASCII text.
 */
void
kvb_cli_append_padded (GString    *line,
                       const char *text,
                       gsize       width)
{
  gsize shown;

  g_return_if_fail (line != NULL);
  g_return_if_fail (text != NULL);

  shown = kvb_cli_display_width (text);
  g_string_append (line, text);
  for (; shown < width; shown++)
    g_string_append_c (line, ' ');
}
