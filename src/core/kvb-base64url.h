/* kvb-base64url.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char   *kvb_base64url_encode (const guchar *data,
                              gsize         len);
GBytes *kvb_base64url_decode (const char   *text,
                              gsize         len);

G_END_DECLS
