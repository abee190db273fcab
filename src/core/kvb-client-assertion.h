/* kvb-client-assertion.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  KVB_ASSERTION_ALGORITHM_PS256,   /* x5t#S256: Entra ID's current format */
  KVB_ASSERTION_ALGORITHM_RS256,   /* x5t (SHA-1): the older format, ADFS and Azure Stack */
} KvbAssertionAlgorithm;

#define KVB_TYPE_CLIENT_ASSERTION (kvb_client_assertion_get_type ())

G_DECLARE_FINAL_TYPE (KvbClientAssertion, kvb_client_assertion, KVB, CLIENT_ASSERTION, GObject)

/*
 * A service principal's client certificate (a PEM file with the certificate and its private key)
 * and the signed JWTs it makes for the token endpoint (client_assertion).
 */
KvbClientAssertion *kvb_client_assertion_new_from_file  (const char             *pem_path,
                                                         GError                **error);
KvbClientAssertion *kvb_client_assertion_new_from_data  (const char             *pem,
                                                         gsize                   len,
                                                         GError                **error);
void                kvb_client_assertion_set_algorithm  (KvbClientAssertion     *self,
                                                         KvbAssertionAlgorithm   algorithm);
/* base64url of the SHA-256 (x5t#S256) and SHA-1 (x5t) of the certificate's DER. */
const char         *kvb_client_assertion_get_x5t_s256   (KvbClientAssertion     *self);
const char         *kvb_client_assertion_get_x5t        (KvbClientAssertion     *self);
/* A JWT with iss = sub = @client_id, aud = @token_endpoint, a random jti, nbf = iat = now and
 * exp = now + 10 minutes. */
char               *kvb_client_assertion_create         (KvbClientAssertion     *self,
                                                         const char             *client_id,
                                                         const char             *token_endpoint,
                                                         GError                **error);

G_END_DECLS
