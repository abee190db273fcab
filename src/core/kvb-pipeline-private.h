/* kvb-pipeline-private.h: the pipeline's parsers, for the fuzz targets, and what the Entra ID
 * client shares with it; not for the window or kvbackup.
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

/* Gives up @msg (cancels @attempt) once libsoup has sent it again by itself too many times:
 * a proxy that refuses the user and password of its address makes libsoup loop. */
void     _kvb_pipeline_watch_restarts  (SoupMessage  *msg,
                                        GCancellable *attempt);
/* The error to report when _kvb_pipeline_watch_restarts() gave @msg up, else %NULL. */
GError  *_kvb_pipeline_restart_error   (KvbPipeline  *self,
                                        SoupMessage  *msg);

/* What a 407 answer tells the user (no user and password were given for the proxy). */
GError  *_kvb_pipeline_proxy_auth_error (void);

G_END_DECLS
