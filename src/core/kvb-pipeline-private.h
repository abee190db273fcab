/* kvb-pipeline-private.h: the pipeline's parsers, for the fuzz targets; not for the window or
 * kvbackup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-pipeline.h"

G_BEGIN_DECLS

/* Checks a vault's WWW-Authenticate @header (nullable) as a 401 answer of @vault_uri does.  On
 * success sets the scope a token is asked for and the tenant (nullable: the home tenant). */
gboolean _kvb_pipeline_check_challenge (KvbCloud    *cloud,
                                        GUri        *vault_uri,
                                        const char  *header,
                                        char       **scope,
                                        char       **tenant,
                                        GError     **error);

G_END_DECLS
