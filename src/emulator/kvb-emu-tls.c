#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-tls.h"
#include "kvb-emu-reply.h"

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <arpa/inet.h>
#include <string.h>

static gboolean
tls_fail (GError **error, const char *what, int ret)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (ret));
  return FALSE;
}

#define CHECK(call, what) G_STMT_START { int _r = (call); if (_r < 0) { ok = tls_fail (error, what, _r); goto out; } } G_STMT_END

static char *
datum_to_string (gnutls_datum_t *d)
{
  char *s = g_strndup ((const char *) d->data, d->size);
  gnutls_free (d->data);
  d->data = NULL;
  return s;
}

static int
set_common (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn, int days)
{
  guint8 serial[16];
  time_t now = time (NULL);
  int r;

  for (gsize i = 0; i < sizeof serial; i++)
    serial[i] = g_random_int_range (0, 256);
  serial[0] &= 0x7f;   /* a positive serial */
  serial[0] |= 0x01;
  if ((r = gnutls_x509_crt_set_version (crt, 3)) < 0
      || (r = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0
      || (r = gnutls_x509_crt_set_activation_time (crt, now - 3600)) < 0
      || (r = gnutls_x509_crt_set_expiration_time (crt, now + (time_t) days * 86400)) < 0
      || (r = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen (cn))) < 0
      || (r = gnutls_x509_crt_set_key (crt, key)) < 0)
    return r;
  {
    guint8 kid[64];
    size_t kid_len = sizeof kid;
    if ((r = gnutls_x509_crt_get_key_id (crt, 0, kid, &kid_len)) < 0
        || (r = gnutls_x509_crt_set_subject_key_id (crt, kid, kid_len)) < 0)
      return r;
  }
  return 0;
}

static gboolean
export_pair (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, char **cert_pem, char **key_pem, GError **error)
{
  gnutls_datum_t d = { NULL, 0 };
  int r;

  if ((r = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &d)) < 0)
    return tls_fail (error, "export certificate", r);
  *cert_pem = datum_to_string (&d);
  if ((r = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d)) < 0)
    {
      g_clear_pointer (cert_pem, g_free);
      return tls_fail (error, "export key", r);
    }
  *key_pem = datum_to_string (&d);
  return TRUE;
}

gboolean
kvb_emu_tls_make_ca (const char *common_name, char **cert_pem, char **key_pem, GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gboolean ok = TRUE;

  CHECK (gnutls_x509_privkey_init (&key), "key");
  CHECK (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0), "generate CA key");
  CHECK (gnutls_x509_crt_init (&crt), "certificate");
  CHECK (set_common (crt, key, common_name, 3650), "CA fields");
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 1, -1), "CA constraints");
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), "CA key usage");
  CHECK (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), "sign CA");
  ok = export_pair (crt, key, cert_pem, key_pem, error);
out:
  if (crt)
    gnutls_x509_crt_deinit (crt);
  if (key)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

gboolean
kvb_emu_tls_make_server (const char *ca_cert_pem, const char *ca_key_pem,
                         const char * const *dns_names, const char * const *ips,
                         char **chain_pem, char **key_pem, GError **error)
{
  gnutls_x509_privkey_t key = NULL, ca_key = NULL;
  gnutls_x509_crt_t crt = NULL, ca = NULL;
  gnutls_datum_t d;
  gboolean ok = TRUE;
  g_autofree char *leaf = NULL;

  CHECK (gnutls_x509_crt_init (&ca), "CA certificate");
  d.data = (unsigned char *) ca_cert_pem;
  d.size = strlen (ca_cert_pem);
  CHECK (gnutls_x509_crt_import (ca, &d, GNUTLS_X509_FMT_PEM), "read CA certificate");
  CHECK (gnutls_x509_privkey_init (&ca_key), "CA key");
  d.data = (unsigned char *) ca_key_pem;
  d.size = strlen (ca_key_pem);
  CHECK (gnutls_x509_privkey_import2 (ca_key, &d, GNUTLS_X509_FMT_PEM, NULL, 0), "read CA key");

  CHECK (gnutls_x509_privkey_init (&key), "key");
  CHECK (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0), "generate key");
  CHECK (gnutls_x509_crt_init (&crt), "certificate");
  /* 397 days: within what browsers and current TLS stacks accept for a leaf. */
  CHECK (set_common (crt, key, "kvb-emulator", 397), "server fields");
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 0, -1), "constraints");
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "key usage");
  CHECK (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "key purpose");
  for (guint i = 0; dns_names != NULL && dns_names[i] != NULL; i++)
    CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, dns_names[i],
                                                 strlen (dns_names[i]), GNUTLS_FSAN_APPEND), "DNS name");
  for (guint i = 0; ips != NULL && ips[i] != NULL; i++)
    {
      guint8 raw[16];
      guint len = 0;
      if (inet_pton (AF_INET, ips[i], raw) == 1)
        len = 4;
      else if (inet_pton (AF_INET6, ips[i], raw) == 1)
        len = 16;
      if (len > 0)
        CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, raw, len, GNUTLS_FSAN_APPEND),
               "IP address");
    }
  {
    guint8 kid[64];
    size_t kid_len = sizeof kid;
    if (gnutls_x509_crt_get_subject_key_id (ca, kid, &kid_len, NULL) >= 0)
      CHECK (gnutls_x509_crt_set_authority_key_id (crt, kid, kid_len), "authority key id");
  }
  CHECK (gnutls_x509_crt_sign2 (crt, ca, ca_key, GNUTLS_DIG_SHA256, 0), "sign server certificate");
  if (!export_pair (crt, key, &leaf, key_pem, error))
    {
      ok = FALSE;
      goto out;
    }
  *chain_pem = g_strconcat (leaf, ca_cert_pem, NULL);
out:
  if (crt)
    gnutls_x509_crt_deinit (crt);
  if (ca)
    gnutls_x509_crt_deinit (ca);
  if (key)
    gnutls_x509_privkey_deinit (key);
  if (ca_key)
    gnutls_x509_privkey_deinit (ca_key);
  return ok;
}

gboolean
kvb_emu_tls_make_client (const char *common_name, char **cert_pem, char **key_pem, GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gboolean ok = TRUE;

  CHECK (gnutls_x509_privkey_init (&key), "key");
  CHECK (gnutls_x509_privkey_generate (key, GNUTLS_PK_RSA, 2048, 0), "generate RSA key");
  CHECK (gnutls_x509_crt_init (&crt), "certificate");
  CHECK (set_common (crt, key, common_name, 730), "client fields");
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 0, -1), "constraints");
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "key usage");
  CHECK (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0), "key purpose");
  CHECK (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), "sign client certificate");
  ok = export_pair (crt, key, cert_pem, key_pem, error);
out:
  if (crt)
    gnutls_x509_crt_deinit (crt);
  if (key)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

static gnutls_x509_crt_t
import_first (const char *pem)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t d = { (unsigned char *) pem, pem ? strlen (pem) : 0 };

  if (pem == NULL || gnutls_x509_crt_init (&crt) < 0)
    return NULL;
  if (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_PEM) < 0)
    {
      gnutls_x509_crt_deinit (crt);
      return NULL;
    }
  return crt;
}

char *
kvb_emu_tls_thumbprint (const char *cert_pem, gboolean sha256)
{
  gnutls_x509_crt_t crt = import_first (cert_pem);
  guint8 buf[64];
  size_t len = sizeof buf;
  char *out = NULL;

  if (crt == NULL)
    return NULL;
  if (gnutls_x509_crt_get_fingerprint (crt, sha256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA1, buf, &len) >= 0)
    out = kvb_emu_base64url_encode (buf, len);
  gnutls_x509_crt_deinit (crt);
  return out;
}

gboolean
kvb_emu_tls_verify_signature (const char *cert_pem, const char *alg,
                              const void *data, gsize data_len,
                              const void *sig, gsize sig_len)
{
  gnutls_x509_crt_t crt = import_first (cert_pem);
  gnutls_pubkey_t pub = NULL;
  gnutls_sign_algorithm_t algo;
  gnutls_datum_t d = { (unsigned char *) data, data_len };
  gnutls_datum_t s = { (unsigned char *) sig, sig_len };
  gboolean ok = FALSE;

  if (crt == NULL)
    return FALSE;
  if (g_strcmp0 (alg, "RS256") == 0)
    algo = GNUTLS_SIGN_RSA_SHA256;
  else if (g_strcmp0 (alg, "PS256") == 0)
    algo = GNUTLS_SIGN_RSA_PSS_RSAE_SHA256;
  else
    goto out;
  if (gnutls_pubkey_init (&pub) < 0 || gnutls_pubkey_import_x509 (pub, crt, 0) < 0)
    goto out;
  ok = gnutls_pubkey_verify_data2 (pub, algo, 0, &d, &s) >= 0;
out:
  if (pub)
    gnutls_pubkey_deinit (pub);
  gnutls_x509_crt_deinit (crt);
  return ok;
}
