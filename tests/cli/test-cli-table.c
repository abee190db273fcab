/* test-cli-table.c: kvbackup's table columns line up by what the terminal shows, whatever the
 * script of the headers and names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kvb-cli-table.h"

static void
test_display_width (void)
{
  g_assert_cmpuint (kvb_cli_display_width (""), ==, 0);
  g_assert_cmpuint (kvb_cli_display_width ("KIND"), ==, 4);
  /* Kanji and kana: two columns each, three bytes each. */
  g_assert_cmpuint (kvb_cli_display_width ("種類"), ==, 4);
  g_assert_cmpuint (kvb_cli_display_width ("更新日時"), ==, 8);
  /* Fullwidth Latin letters are wide too; halfwidth katakana are not. */
  g_assert_cmpuint (kvb_cli_display_width ("ＡＢ"), ==, 4);
  g_assert_cmpuint (kvb_cli_display_width ("ｶﾅ"), ==, 2);
  /* A combining accent takes no column: "é" as e + U+0301. */
  g_assert_cmpuint (kvb_cli_display_width ("e\xcc\x81"), ==, 1);
  /* Bytes that are not UTF-8 count one each, and do not run past the end. */
  g_assert_cmpuint (kvb_cli_display_width ("a\xff" "b"), ==, 3);
  g_assert_cmpuint (kvb_cli_display_width ("a\xe7\xa8"), ==, 3);
}

/* The next column starts at the same terminal column under a Japanese header as under an
 * English one: what "%-12s" got wrong (it pads by bytes). */
static void
test_padded_columns_line_up (void)
{
  const char *cells[] = { "KIND", "種類", "secret", "シークレット", "e\xcc\x81t\xc3\xa9", NULL };

  for (guint i = 0; cells[i] != NULL; i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);

      kvb_cli_append_padded (line, cells[i], 12);
      g_string_append (line, "|");
      g_assert_cmpuint (kvb_cli_display_width (line->str), ==, 13);
      g_assert_true (g_str_has_prefix (line->str, cells[i]));
    }
}

/* Wider than the column: nothing is cut and nothing is added. */
static void
test_padded_too_wide (void)
{
  g_autoptr(GString) line = g_string_new (NULL);

  kvb_cli_append_padded (line, "証明書のバックアップ", 12);
  g_assert_cmpstr (line->str, ==, "証明書のバックアップ");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/table/display-width", test_display_width);
  g_test_add_func ("/cli/table/padded-columns-line-up", test_padded_columns_line_up);
  g_test_add_func ("/cli/table/padded-too-wide", test_padded_too_wide);

  return g_test_run ();
}
