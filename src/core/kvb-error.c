/* kvb-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-error"

#include "config.h"

#include "kvb-error.h"

G_DEFINE_QUARK (kvb-error-quark, kvb_error)
