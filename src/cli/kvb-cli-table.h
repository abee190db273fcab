/* kvb-cli-table.h: columns of text that line up on a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gsize  kvb_cli_display_width (const char *text);
void   kvb_cli_append_padded (GString    *line,
                              const char *text,
                              gsize       width);

G_END_DECLS
