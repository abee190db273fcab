/* kvb-emu-tls.h: the stand-in's test CA, server certificate and service-principal certificate
 * (GnuTLS), and verification of client-assertion signatures. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new self-signed CA (ECDSA P-256). PEM outputs; the key is PKCS#8. */
gboolean kvb_emu_tls_make_ca (const char *common_name, char **cert_pem, char **key_pem, GError **error);

/* A server certificate signed by the CA, for @dns_names and @ips (NULL-terminated, either may be
 * NULL). The returned chain holds the leaf then the CA. */
gboolean kvb_emu_tls_make_server (const char *ca_cert_pem, const char *ca_key_pem,
                                  const char * const *dns_names, const char * const *ips,
                                  char **chain_pem, char **key_pem, GError **error);

/* A self-signed RSA 2048 client certificate for a service principal's client assertions. */
gboolean kvb_emu_tls_make_client (const char *common_name, char **cert_pem, char **key_pem, GError **error);

/* base64url SHA-1 (x5t) or SHA-256 (x5t#S256) thumbprint of the first certificate in @cert_pem. */
char *kvb_emu_tls_thumbprint (const char *cert_pem, gboolean sha256);

/* Checks a JWS signature made with the key of @cert_pem; @alg is "RS256" or "PS256". */
gboolean kvb_emu_tls_verify_signature (const char *cert_pem, const char *alg,
                                       const void *data, gsize data_len,
                                       const void *sig, gsize sig_len);

G_END_DECLS
