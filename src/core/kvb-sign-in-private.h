/* kvb-sign-in-private.h: helpers shared by the sign-in flows; not for the window or kvbackup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kvb-account-credential.h"
#include "kvb-device-code-flow.h"

G_BEGIN_DECLS

/* The claims of an ID token (the payload only; it came over TLS straight from the authority and
 * is used for the account's name and home tenant, never for an access decision). */
JsonObject           *kvb_sign_in_parse_id_token           (const char           *id_token);

/* "{authority}/{tenant}/oauth2/v2.0/{endpoint}" */
char                 *kvb_sign_in_dup_endpoint             (KvbCloud             *cloud,
                                                            const char           *tenant,
                                                            const char           *endpoint);

/* The scopes a user signs in with: Resource Manager plus a refresh token and an ID token. */
char                 *kvb_sign_in_dup_user_scopes          (KvbCloud             *cloud);

/* Turns the token response of a user sign-in into the account's credential, with the access
 * token it carried already cached.  Fails when there is no refresh token. */
KvbAccountCredential *kvb_sign_in_credential_from_response (KvbPipeline          *pipeline,
                                                            KvbCloud             *cloud,
                                                            const char           *cloud_name,
                                                            const char           *client_id,
                                                            const char           *tenant,
                                                            JsonObject           *response,
                                                            GError              **error);

void                  kvb_account_credential_cache_token   (KvbAccountCredential *self,
                                                            const char           *scope,
                                                            const char           *tenant,
                                                            KvbAccessToken       *token);

/* The keyring an added account's secrets go to (the store's). */
void                  kvb_account_credential_set_keyring   (KvbAccountCredential *self,
                                                            KvbKeyring           *keyring);

/* Random bytes from GnuTLS's key-grade generator, as base64url. */
char                 *kvb_sign_in_random_string            (gsize                 n_bytes);

/* Drops this session's copy of a secret, so that the next lookup reads the keyring again (another
 * process may have stored a newer refresh token).  Nothing happens for an in-memory keyring. */
void                  kvb_keyring_forget_cached            (KvbKeyring           *keyring,
                                                            KvbAccount           *account,
                                                            KvbSecretKind         kind);

/* Wipes and frees a form table's values that may be secret. */
GHashTable           *kvb_sign_in_form_new                 (void);

/* Takes the device code, the code to show and the polling schedule from the answer of the
 * "devicecode" endpoint. */
gboolean              _kvb_device_code_flow_read_start     (KvbDeviceCodeFlow    *self,
                                                            JsonObject           *response,
                                                            GError              **error);

G_END_DECLS
