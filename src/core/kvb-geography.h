/* kvb-geography.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Azure geography of a region ("westeurope", "West Europe" or "west-europe"): "europe",
 * "japan", "united-states"…  Key Vault restores a backup only into a vault of the same
 * subscription and the same geography (its "security world").  Returns: (nullable): %NULL for
 * a region this table does not know, so that the caller says it cannot tell rather than guess. */
const char *kvb_geography_for_location (const char *location);

/* TRUE when both regions are known and in the same geography; *@known (optional) says whether
 * both were known. */
gboolean    kvb_geography_same         (const char *location_a,
                                        const char *location_b,
                                        gboolean   *known);

G_END_DECLS
