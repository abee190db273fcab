/* kvb-entra-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-cloud.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

/**
 * kvb_entra_client_request_token_async:
 * @tenant: tenant id or domain, "organizations", "common"…
 * @form: (element-type utf8 utf8): the form fields (grant_type, client_id, scope, …)
 *
 * POSTs @form to `{authority}/{tenant}/oauth2/v2.0/token` of @cloud with the pipeline's session.
 * Nothing of the form or the answer is logged.
 */
void        kvb_entra_client_request_token_async  (KvbPipeline         *pipeline,
                                                   KvbCloud            *cloud,
                                                   const char          *tenant,
                                                   GHashTable          *form,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/**
 * kvb_entra_client_request_token_finish:
 *
 * Returns: (transfer full): the token response (access_token, expires_in, maybe refresh_token…).
 *   On an Entra error: %KVB_ERROR_SIGN_IN_REQUIRED for invalid_grant / interaction_required,
 *   %KVB_ERROR_SIGN_IN_FAILED for the others (the Entra code is kept, see
 *   kvb_entra_error_get_code()); %KVB_ERROR_NETWORK / %KVB_ERROR_TIMEOUT for transport failures.
 */
JsonObject *kvb_entra_client_request_token_finish (KvbPipeline         *pipeline,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* The same POST to another endpoint of the authority (e.g. "devicecode"). */
void        kvb_entra_client_post_form_async      (KvbPipeline         *pipeline,
                                                   KvbCloud            *cloud,
                                                   const char          *tenant,
                                                   const char          *endpoint,
                                                   GHashTable          *form,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
JsonObject *kvb_entra_client_post_form_finish     (KvbPipeline         *pipeline,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* The Entra error code ("authorization_pending", "slow_down", "expired_token", "invalid_grant"…)
 * of an error from the calls above, or %NULL. */
const char *kvb_entra_error_get_code              (const GError        *error);

/* Reads "expires_in" (a number or a numeric string) of a token response, at most a day; 0 when
 * absent or not positive. */
gint64      kvb_entra_token_response_get_expires_in (JsonObject        *response);

G_END_DECLS
