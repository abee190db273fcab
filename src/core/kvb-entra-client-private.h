/* kvb-entra-client-private.h: how an answer of Microsoft Entra ID is read, for the fuzz targets;
 * not for the window or kvbackup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-entra-client.h"

G_BEGIN_DECLS

/* The JSON object of a successful answer (token, device code…), or the mapped error of any
 * other.  @answer is the body as received, perhaps empty or not JSON. */
JsonObject *_kvb_entra_client_read_answer (guint    status,
                                           GBytes  *answer,
                                           GError **error);

G_END_DECLS
