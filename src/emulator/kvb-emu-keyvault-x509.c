/* kvb-emu-keyvault-x509.c: key pairs, self-signed certificates, CSRs and PKCS#12 for the data plane.
 *
 * The stand-in never signs or encrypts with these keys; they are real so that what a client
 * downloads (the JWK, the certificate, the PFX) parses like Azure's.
 */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/pkcs12.h>

#include "kvb-emu-keyvault-private.h"
#include "kvb-emu-seal.h"

static gboolean
fail (GError **error, const char *what, int rc)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", what, gnutls_strerror (rc));
  return FALSE;
}

char *
_kvb_new_version_id (void)
{
  guint8 b[16];
  char *out = g_malloc (33);

  gnutls_rnd (GNUTLS_RND_NONCE, b, sizeof b);
  for (int i = 0; i < 16; i++)
    g_snprintf (out + 2 * i, 3, "%02x", b[i]);
  return out;
}

static char *
b64url_datum (const gnutls_datum_t *d, gsize pad_to)
{
  g_autofree guint8 *buf = NULL;
  gsize len = d->size;

  if (pad_to > len)
    {
      buf = g_malloc0 (pad_to);
      memcpy (buf + pad_to - len, d->data, len);
      return kvb_emu_seal_b64url_encode (buf, pad_to);
    }
  return kvb_emu_seal_b64url_encode (d->data, len);
}

/* The public JWK members of @pub, as Key Vault lists them. */
static JsonObject *
jwk_from_pubkey (gnutls_pubkey_t pub, const char *kty, JsonArray *key_ops, GError **error)
{
  JsonObject *jwk = json_object_new ();
  int alg = gnutls_pubkey_get_pk_algorithm (pub, NULL);

  json_object_set_string_member (jwk, "kty", kty);
  if (key_ops != NULL)
    json_object_set_array_member (jwk, "key_ops", json_array_ref (key_ops));
  if (alg == GNUTLS_PK_RSA)
    {
      gnutls_datum_t m = { 0 }, e = { 0 };
      g_autofree char *n_text = NULL, *e_text = NULL;

      gnutls_pubkey_export_rsa_raw2 (pub, &m, &e, GNUTLS_EXPORT_FLAG_NO_LZ);
      n_text = b64url_datum (&m, 0);
      e_text = b64url_datum (&e, 0);
      json_object_set_string_member (jwk, "n", n_text);
      json_object_set_string_member (jwk, "e", e_text);
      gnutls_free (m.data);
      gnutls_free (e.data);
    }
  else if (alg == GNUTLS_PK_ECDSA)
    {
      gnutls_ecc_curve_t curve;
      gnutls_datum_t x = { 0 }, y = { 0 };
      g_autofree char *x_text = NULL, *y_text = NULL;
      const char *crv = "P-256";
      gsize size = 32;

      gnutls_pubkey_export_ecc_raw2 (pub, &curve, &x, &y, GNUTLS_EXPORT_FLAG_NO_LZ);
      if (curve == GNUTLS_ECC_CURVE_SECP384R1)
        crv = "P-384", size = 48;
      else if (curve == GNUTLS_ECC_CURVE_SECP521R1)
        crv = "P-521", size = 66;
      x_text = b64url_datum (&x, size);
      y_text = b64url_datum (&y, size);
      json_object_set_string_member (jwk, "crv", crv);
      json_object_set_string_member (jwk, "x", x_text);
      json_object_set_string_member (jwk, "y", y_text);
      gnutls_free (x.data);
      gnutls_free (y.data);
    }
  else
    {
      json_object_unref (jwk);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "unsupported key type");
      return NULL;
    }
  return jwk;
}

static JsonArray *
default_key_ops (gboolean rsa)
{
  static const char *rsa_ops[] = { "encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", NULL };
  static const char *ec_ops[] = { "sign", "verify", NULL };
  JsonArray *a = json_array_new ();

  for (const char **p = rsa ? rsa_ops : ec_ops; *p; p++)
    json_array_add_string_element (a, *p);
  return a;
}

/* RSA generation costs about 0.1 s a key; seeded objects share one pair per size (kept as DER,
 * so that every emulator thread imports its own copy). */
static int
generate_rsa (gnutls_privkey_t priv, unsigned int bits, gboolean seeded)
{
  static GMutex lock;
  static GHashTable *cache;   /* bits -> gnutls_datum_t * (PKCS#8 DER) */
  gnutls_datum_t *der;
  int rc = 0;

  if (!seeded)
    return gnutls_privkey_generate2 (priv, GNUTLS_PK_RSA, bits, 0, NULL, 0);
  g_mutex_lock (&lock);
  if (cache == NULL)
    cache = g_hash_table_new (NULL, NULL);
  der = g_hash_table_lookup (cache, GUINT_TO_POINTER (bits));
  if (der == NULL)
    {
      gnutls_privkey_t fresh;
      gnutls_x509_privkey_t x = NULL;

      gnutls_privkey_init (&fresh);
      rc = gnutls_privkey_generate2 (fresh, GNUTLS_PK_RSA, bits, 0, NULL, 0);
      if (rc >= 0)
        rc = gnutls_privkey_export_x509 (fresh, &x);
      if (rc >= 0)
        {
          der = g_new0 (gnutls_datum_t, 1);
          rc = gnutls_x509_privkey_export2 (x, GNUTLS_X509_FMT_DER, der);
          if (rc >= 0)
            g_hash_table_insert (cache, GUINT_TO_POINTER (bits), der);
          else
            g_clear_pointer (&der, g_free);
        }
      if (x)
        gnutls_x509_privkey_deinit (x);
      gnutls_privkey_deinit (fresh);
    }
  g_mutex_unlock (&lock);
  if (rc < 0)
    return rc;
  return gnutls_privkey_import_x509_raw (priv, der, GNUTLS_X509_FMT_DER, NULL, 0);
}

gboolean
_kvb_make_key (const char        *kty,
               int                key_size,
               const char        *crv,
               JsonArray         *key_ops,
               gboolean           seeded,
               KvbVersion        *out,
               gnutls_privkey_t  *privkey_out,
               GError           **error)
{
  gboolean rsa = g_str_has_prefix (kty, "RSA");
  gnutls_privkey_t priv = NULL;
  gnutls_pubkey_t pub = NULL;
  g_autoptr(JsonArray) ops = key_ops ? json_array_ref (key_ops) : default_key_ops (rsa);
  unsigned int bits;
  int rc;

  if (rsa && key_size <= 0)
    bits = 2048;
  else if (rsa && (key_size == 2048 || key_size == 3072 || key_size == 4096))
    bits = (unsigned int) key_size;   /* the sizes Key Vault offers; anything else is refused */
  else if (rsa)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unsupported RSA key size");
      return FALSE;
    }
  else if (crv == NULL || strcmp (crv, "P-256") == 0)
    bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1);
  else if (strcmp (crv, "P-384") == 0)
    bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP384R1);
  else if (strcmp (crv, "P-521") == 0)
    bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP521R1);
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unsupported curve");
      return FALSE;
    }
  gnutls_privkey_init (&priv);
  rc = rsa ? generate_rsa (priv, bits, seeded) : gnutls_privkey_generate2 (priv, GNUTLS_PK_ECDSA, bits, 0, NULL, 0);
  if (rc < 0)
    {
      gnutls_privkey_deinit (priv);
      return fail (error, "key generation", rc);
    }
  gnutls_pubkey_init (&pub);
  gnutls_pubkey_import_privkey (pub, priv, 0, 0);
  out->jwk = jwk_from_pubkey (pub, kty, ops, error);
  gnutls_pubkey_deinit (pub);
  if (out->jwk == NULL)
    {
      gnutls_privkey_deinit (priv);
      return FALSE;
    }
  if (privkey_out)
    *privkey_out = priv;
  else
    gnutls_privkey_deinit (priv);
  return TRUE;
}

static const char *
policy_str (JsonObject *policy, const char *section, const char *member, const char *fallback)
{
  JsonNode *n = policy ? json_object_get_member (policy, section) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return fallback;
  return json_object_get_string_member_with_default (json_node_get_object (n), member, fallback);
}

static gint64
policy_int (JsonObject *policy, const char *section, const char *member, gint64 fallback)
{
  JsonNode *n = policy ? json_object_get_member (policy, section) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return fallback;
  return json_object_get_int_member_with_default (json_node_get_object (n), member, fallback);
}

static char *
datum_base64 (const gnutls_datum_t *d)
{
  return g_base64_encode (d->data, d->size);
}

static void
fill_cert_versions (KvbCertMaterial *out,
                    gnutls_x509_crt_t crt,
                    JsonObject *jwk,
                    const char *secret_value,
                    const char *content_type)
{
  gnutls_datum_t der = { 0 };
  guint8 sha1[20];
  size_t sha1_len = sizeof sha1;
  char *id = _kvb_new_version_id ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 nbf = gnutls_x509_crt_get_activation_time (crt);
  gint64 exp = gnutls_x509_crt_get_expiration_time (crt);
  KvbVersion *parts[3];

  gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der);
  gnutls_x509_crt_get_fingerprint (crt, GNUTLS_DIG_SHA1, sha1, &sha1_len);
  out->cert = _kvb_version_new ();
  out->key = _kvb_version_new ();
  out->secret = _kvb_version_new ();
  parts[0] = out->cert, parts[1] = out->key, parts[2] = out->secret;
  for (int i = 0; i < 3; i++)
    {
      parts[i]->id = g_strdup (id);
      parts[i]->nbf = nbf;
      parts[i]->exp = exp;
      parts[i]->created = parts[i]->updated = now;
    }
  out->cert->cer = datum_base64 (&der);
  out->cert->x5t = kvb_emu_seal_b64url_encode (sha1, sha1_len);
  out->key->jwk = jwk;
  out->secret->value = g_strdup (secret_value);
  out->secret->content_type = g_strdup (content_type);
  gnutls_free (der.data);
  g_free (id);
}

/* Base64 of a PFX holding @crt and @xkey, with a MAC over the empty password, as exported PFX
 * files usually have.  The MAC's key derivation is what makes this cost about 60 ms. */
static char *
make_pfx (gnutls_x509_crt_t crt, gnutls_x509_privkey_t xkey, GError **error)
{
  gnutls_pkcs12_t p12;
  gnutls_pkcs12_bag_t cbag, kbag;
  gnutls_datum_t der = { 0 };
  char *result = NULL;
  int rc;

  gnutls_pkcs12_init (&p12);
  gnutls_pkcs12_bag_init (&cbag);
  gnutls_pkcs12_bag_init (&kbag);
  gnutls_pkcs12_bag_set_crt (cbag, crt);
  gnutls_pkcs12_bag_set_privkey (kbag, xkey, NULL, GNUTLS_PKCS_PLAIN);
  gnutls_pkcs12_set_bag (p12, cbag);
  gnutls_pkcs12_set_bag (p12, kbag);
  gnutls_pkcs12_generate_mac2 (p12, GNUTLS_MAC_SHA256, "");
  rc = gnutls_pkcs12_export2 (p12, GNUTLS_X509_FMT_DER, &der);
  if (rc >= 0)
    result = datum_base64 (&der);
  else
    fail (error, "PKCS#12 export", rc);
  gnutls_free (der.data);
  gnutls_pkcs12_bag_deinit (cbag);
  gnutls_pkcs12_bag_deinit (kbag);
  gnutls_pkcs12_deinit (p12);
  return result;
}

/* The certificate's secret: PEM (key, then certificate) or a PFX.  With @lazy_out, a PFX is not
 * made now: its material goes to @lazy_out for _kvb_version_value(), and NULL is returned. */
static char *
export_secret (gnutls_x509_crt_t crt, gnutls_privkey_t priv, const char *content_type,
               KvbVersion *lazy_out, GError **error)
{
  gnutls_x509_privkey_t xkey = NULL;
  char *result = NULL;
  int rc;

  rc = gnutls_privkey_export_x509 (priv, &xkey);
  if (rc < 0)
    {
      fail (error, "private key export", rc);
      return NULL;
    }
  if (g_strcmp0 (content_type, "application/x-pem-file") == 0)
    {
      gnutls_datum_t k = { 0 }, c = { 0 };

      gnutls_x509_privkey_export2_pkcs8 (xkey, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &k);
      gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &c);
      result = g_strdup_printf ("%.*s%.*s", (int) k.size, k.data, (int) c.size, c.data);
      gnutls_memset (k.data, 0, k.size);
      gnutls_free (k.data);
      gnutls_free (c.data);
    }
  else if (lazy_out != NULL)
    {
      gnutls_datum_t k = { 0 }, c = { 0 };

      gnutls_x509_privkey_export2_pkcs8 (xkey, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &k);
      gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &c);
      lazy_out->pfx_key = datum_base64 (&k);
      lazy_out->pfx_cer = datum_base64 (&c);
      gnutls_memset (k.data, 0, k.size);
      gnutls_free (k.data);
      gnutls_free (c.data);
    }
  else
    result = make_pfx (crt, xkey, error);
  gnutls_x509_privkey_deinit (xkey);
  return result;
}

const char *
_kvb_version_value (KvbVersion *v)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_x509_privkey_t xkey = NULL;
  g_autofree guint8 *cer = NULL, *key = NULL;
  gsize cer_len = 0, key_len = 0;

  if (v->value != NULL || v->pfx_cer == NULL || v->pfx_key == NULL)
    return v->value;
  cer = g_base64_decode (v->pfx_cer, &cer_len);
  key = g_base64_decode (v->pfx_key, &key_len);
  gnutls_x509_crt_init (&crt);
  gnutls_x509_privkey_init (&xkey);
  {
    gnutls_datum_t c = { cer, cer_len }, k = { key, key_len };

    if (gnutls_x509_crt_import (crt, &c, GNUTLS_X509_FMT_DER) >= 0
        && gnutls_x509_privkey_import_pkcs8 (xkey, &k, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN) >= 0)
      v->value = make_pfx (crt, xkey, NULL);
  }
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (xkey);
  if (key)
    memset (key, 0, key_len);
  if (v->value != NULL)
    {
      g_clear_pointer (&v->pfx_cer, g_free);
      memset (v->pfx_key, 0, strlen (v->pfx_key));
      g_clear_pointer (&v->pfx_key, g_free);
    }
  return v->value;
}

gboolean
_kvb_make_certificate (JsonObject       *policy,
                       gboolean          seeded,
                       KvbCertMaterial  *out,
                       GError          **error)
{
  const char *kty = policy_str (policy, "key_props", "kty", "RSA");
  const char *subject = policy_str (policy, "x509_props", "subject", "CN=DefaultPolicy");
  const char *content_type = policy_str (policy, "secret_props", "contentType", "application/x-pkcs12");
  gint64 months = policy_int (policy, "x509_props", "validity_months", 12);
  KvbVersion keyv = { 0 };
  gnutls_privkey_t priv = NULL;
  gnutls_pubkey_t pub = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_x509_crq_t crq = NULL;
  gnutls_datum_t csr = { 0 };
  guint8 serial[16];
  const char *err_pos = NULL;
  g_autofree char *secret = NULL;
  time_t now = time (NULL);
  int rc;

  if (!_kvb_make_key (kty, (int) policy_int (policy, "key_props", "key_size", 2048),
                      policy_str (policy, "key_props", "crv", NULL), NULL, seeded, &keyv, &priv, error))
    return FALSE;
  gnutls_pubkey_init (&pub);
  gnutls_pubkey_import_privkey (pub, priv, 0, 0);
  gnutls_x509_crt_init (&crt);
  gnutls_x509_crt_set_version (crt, 3);
  gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;
  gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  rc = gnutls_x509_crt_set_dn (crt, subject, &err_pos);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_issuer_dn (crt, subject, &err_pos);
  if (rc < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid subject");
      goto out;
    }
  gnutls_x509_crt_set_activation_time (crt, now - 600);
  gnutls_x509_crt_set_expiration_time (crt, now + months * 30 * 86400 + 5 * 86400);
  gnutls_x509_crt_set_pubkey (crt, pub);
  gnutls_x509_crt_set_basic_constraints (crt, 0, -1);
  gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT);
  rc = gnutls_x509_crt_privkey_sign (crt, crt, priv, GNUTLS_DIG_SHA256, 0);
  if (rc < 0)
    {
      fail (error, "certificate signing", rc);
      goto out;
    }
  gnutls_x509_crq_init (&crq);
  gnutls_x509_crq_set_dn (crq, subject, NULL);
  gnutls_x509_crq_set_pubkey (crq, pub);
  gnutls_x509_crq_privkey_sign (crq, priv, GNUTLS_DIG_SHA256, 0);
  gnutls_x509_crq_export2 (crq, GNUTLS_X509_FMT_DER, &csr);
  {
    KvbVersion lazy = { 0 };

    secret = export_secret (crt, priv, content_type, seeded ? &lazy : NULL, error);
    if (secret == NULL && lazy.pfx_key == NULL)
      goto out;
    fill_cert_versions (out, crt, g_steal_pointer (&keyv.jwk), secret, content_type);
    out->secret->pfx_cer = lazy.pfx_cer;
    out->secret->pfx_key = lazy.pfx_key;
  }
  out->csr = datum_base64 (&csr);
  rc = 0;

out:
  g_clear_pointer (&keyv.jwk, json_object_unref);
  gnutls_free (csr.data);
  if (crq)
    gnutls_x509_crq_deinit (crq);
  if (crt)
    gnutls_x509_crt_deinit (crt);
  gnutls_pubkey_deinit (pub);
  gnutls_privkey_deinit (priv);
  return out->cert != NULL;
}

gboolean
_kvb_import_certificate (const char       *value,
                         const char       *password,
                         JsonObject       *policy,
                         KvbCertMaterial  *out,
                         GError          **error)
{
  gnutls_x509_crt_t *chain = NULL;
  unsigned int chain_len = 0;
  gnutls_x509_privkey_t xkey = NULL;
  gnutls_pubkey_t pub = NULL;
  JsonObject *jwk;
  const char *content_type;
  gboolean pem = strstr (value, "-----BEGIN") != NULL;
  int rc;

  if (pem)
    {
      gnutls_datum_t d = { (guint8 *) value, strlen (value) };

      rc = gnutls_x509_crt_list_import2 (&chain, &chain_len, &d, GNUTLS_X509_FMT_PEM, 0);
      if (rc < 0 || chain_len == 0)
        return fail (error, "certificate", rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
      content_type = "application/x-pem-file";
    }
  else
    {
      gsize len = 0;
      g_autofree guint8 *der = g_base64_decode (value, &len);
      gnutls_datum_t d = { der, len };
      gnutls_pkcs12_t p12;

      if (len == 0)
        return fail (error, "PKCS#12", GNUTLS_E_BASE64_DECODING_ERROR);
      gnutls_pkcs12_init (&p12);
      rc = gnutls_pkcs12_import (p12, &d, GNUTLS_X509_FMT_DER, 0);
      if (rc >= 0)
        rc = gnutls_pkcs12_simple_parse (p12, password ? password : "", &xkey, &chain, &chain_len,
                                         NULL, NULL, NULL, 0);
      gnutls_pkcs12_deinit (p12);
      if (rc < 0 || chain_len == 0)
        return fail (error, "PKCS#12", rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
      content_type = "application/x-pkcs12";
    }
  gnutls_pubkey_init (&pub);
  gnutls_pubkey_import_x509 (pub, chain[0], 0);
  jwk = jwk_from_pubkey (pub, gnutls_pubkey_get_pk_algorithm (pub, NULL) == GNUTLS_PK_RSA ? "RSA" : "EC",
                         NULL, error);
  gnutls_pubkey_deinit (pub);
  if (jwk != NULL)
    {
      g_autoptr(JsonArray) ops = default_key_ops (json_object_has_member (jwk, "n"));

      json_object_set_array_member (jwk, "key_ops", json_array_ref (ops));
      content_type = policy_str (policy, "secret_props", "contentType", content_type);
      fill_cert_versions (out, chain[0], jwk, value, content_type);
    }
  for (unsigned int i = 0; i < chain_len; i++)
    gnutls_x509_crt_deinit (chain[i]);
  gnutls_free (chain);
  if (xkey)
    gnutls_x509_privkey_deinit (xkey);
  return jwk != NULL;
}

static JsonObject *
section (JsonObject *policy, const char *name)
{
  JsonNode *n = json_object_get_member (policy, name);

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      json_object_set_object_member (policy, name, json_object_new ());
      n = json_object_get_member (policy, name);
    }
  return json_node_get_object (n);
}

static void
default_member (JsonObject *o, const char *member, JsonNode *value)
{
  if (json_object_has_member (o, member))
    json_node_unref (value);
  else
    json_object_set_member (o, member, value);
}

/* A copy of @policy with the members the service fills in when a client leaves them out. */
JsonObject *
_kvb_normalize_policy (JsonObject *policy)
{
  JsonObject *p = json_object_new ();
  JsonObject *kp, *sp, *xp, *iss;
  g_autoptr(GList) members = policy ? json_object_get_members (policy) : NULL;

  for (GList *l = members; l; l = l->next)
    if (strcmp (l->data, "id") != 0 && strcmp (l->data, "attributes") != 0)
      json_object_set_member (p, l->data, json_node_copy (json_object_get_member (policy, l->data)));
  kp = section (p, "key_props");
  default_member (kp, "exportable", json_node_init_boolean (json_node_alloc (), TRUE));
  default_member (kp, "kty", json_node_init_string (json_node_alloc (), "RSA"));
  if (g_str_has_prefix (json_object_get_string_member_with_default (kp, "kty", "RSA"), "RSA"))
    default_member (kp, "key_size", json_node_init_int (json_node_alloc (), 2048));
  else
    default_member (kp, "crv", json_node_init_string (json_node_alloc (), "P-256"));
  default_member (kp, "reuse_key", json_node_init_boolean (json_node_alloc (), FALSE));
  sp = section (p, "secret_props");
  default_member (sp, "contentType", json_node_init_string (json_node_alloc (), "application/x-pkcs12"));
  xp = section (p, "x509_props");
  default_member (xp, "subject", json_node_init_string (json_node_alloc (), "CN=DefaultPolicy"));
  if (!json_object_has_member (xp, "ekus"))
    json_object_set_array_member (xp, "ekus", json_array_new ());
  if (!json_object_has_member (xp, "key_usage"))
    {
      JsonArray *ku = json_array_new ();

      json_array_add_string_element (ku, "digitalSignature");
      json_array_add_string_element (ku, "keyEncipherment");
      json_object_set_array_member (xp, "key_usage", ku);
    }
  default_member (xp, "validity_months", json_node_init_int (json_node_alloc (), 12));
  if (!json_object_has_member (xp, "basic_constraints"))
    {
      JsonObject *bc = json_object_new ();

      json_object_set_boolean_member (bc, "ca", FALSE);
      json_object_set_object_member (xp, "basic_constraints", bc);
    }
  if (!json_object_has_member (p, "lifetime_actions"))
    {
      JsonArray *la = json_array_new ();
      JsonObject *a = json_object_new (), *trigger = json_object_new (), *action = json_object_new ();

      json_object_set_int_member (trigger, "lifetime_percentage", 80);
      json_object_set_string_member (action, "action_type", "AutoRenew");
      json_object_set_object_member (a, "trigger", trigger);
      json_object_set_object_member (a, "action", action);
      json_array_add_object_element (la, a);
      json_object_set_array_member (p, "lifetime_actions", la);
    }
  iss = section (p, "issuer");
  default_member (iss, "name", json_node_init_string (json_node_alloc (), "Self"));
  return p;
}
