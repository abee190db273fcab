/* kvb-secret-string.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Zero a string that may hold a token, code, verifier or secret before freeing it, so that it
 * does not linger in freed memory. */
void kvb_secret_string_clear (char     **s);
void kvb_secret_string_free  (gpointer   s);

G_END_DECLS
