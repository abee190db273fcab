/* kvb-service-principal-credential.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_SERVICE_PRINCIPAL_CREDENTIAL (kvb_service_principal_credential_get_type ())

G_DECLARE_FINAL_TYPE (KvbServicePrincipalCredential, kvb_service_principal_credential,
                      KVB, SERVICE_PRINCIPAL_CREDENTIAL, GObject)

/* Client credentials with a client secret.  Access tokens are cached in memory per (scope,
 * tenant) and requested again ahead of expiry. */
KvbServicePrincipalCredential *kvb_service_principal_credential_new_with_secret
                                                          (KvbPipeline  *pipeline,
                                                           KvbCloud     *cloud,
                                                           const char   *tenant,
                                                           const char   *client_id,
                                                           const char   *secret);
/* Client credentials with a certificate: @pem_path holds the certificate and its private key;
 * each token request carries a freshly signed client assertion (PS256, x5t#S256). */
KvbServicePrincipalCredential *kvb_service_principal_credential_new_with_certificate
                                                          (KvbPipeline  *pipeline,
                                                           KvbCloud     *cloud,
                                                           const char   *tenant,
                                                           const char   *client_id,
                                                           const char   *pem_path,
                                                           GError      **error);
/* From AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH).  Returns %NULL without an
 * error when none of them is set, and an error when only some are. */
KvbServicePrincipalCredential *kvb_service_principal_credential_new_from_environment
                                                          (KvbPipeline  *pipeline,
                                                           KvbCloud     *cloud,
                                                           GError      **error);

const char *kvb_service_principal_credential_get_tenant    (KvbServicePrincipalCredential *self);
const char *kvb_service_principal_credential_get_client_id (KvbServicePrincipalCredential *self);

G_END_DECLS
