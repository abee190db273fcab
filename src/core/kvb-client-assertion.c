/* kvb-client-assertion.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-client-assertion"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>

#include "kvb-client-assertion.h"
#include "kvb-error.h"
#include "kvb-base64url.h"
#include "kvb-file-util.h"

struct _KvbClientAssertion
{
  GObject parent_instance;

  gnutls_privkey_t key;
  char *x5t_s256;
  char *x5t;
  KvbAssertionAlgorithm algorithm;
};

G_DEFINE_FINAL_TYPE (KvbClientAssertion, kvb_client_assertion, G_TYPE_OBJECT)

static void
kvb_client_assertion_finalize (GObject *object)
{
  KvbClientAssertion *self = (KvbClientAssertion *)object;

  g_clear_pointer (&self->key, gnutls_privkey_deinit);
  g_clear_pointer (&self->x5t_s256, g_free);
  g_clear_pointer (&self->x5t, g_free);

  G_OBJECT_CLASS (kvb_client_assertion_parent_class)->finalize (object);
}

static void
kvb_client_assertion_class_init (KvbClientAssertionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_client_assertion_finalize;
}

static void
kvb_client_assertion_init (KvbClientAssertion *self)
{
  self->algorithm = KVB_ASSERTION_ALGORITHM_PS256;
}

static char *
fingerprint (gnutls_x509_crt_t           crt,
             gnutls_digest_algorithm_t   algo)
{
  guchar buf[64];
  size_t size = sizeof buf;

  if (gnutls_x509_crt_get_fingerprint (crt, algo, buf, &size) < 0)
    return NULL;
  return kvb_base64url_encode (buf, size);
}

KvbClientAssertion *
kvb_client_assertion_new_from_data (const char  *pem,
                                    gsize        len,
                                    GError     **error)
{
  g_autoptr(KvbClientAssertion) self = NULL;
  gnutls_datum_t datum = { (unsigned char *) pem, len };
  gnutls_x509_crt_t crt = NULL;
  int ret;

  g_return_val_if_fail (pem != NULL, NULL);

  self = g_object_new (KVB_TYPE_CLIENT_ASSERTION, NULL);

  gnutls_x509_crt_init (&crt);
  ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM);
  if (ret < 0)
    {
      gnutls_x509_crt_deinit (crt);
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The certificate file has no PEM certificate (%s)."), gnutls_strerror (ret));
      return NULL;
    }
  self->x5t_s256 = fingerprint (crt, GNUTLS_DIG_SHA256);
  self->x5t = fingerprint (crt, GNUTLS_DIG_SHA1);
  gnutls_x509_crt_deinit (crt);

  gnutls_privkey_init (&self->key);
  /* Reads PKCS#8 and PKCS#1 ("RSA PRIVATE KEY") blocks; the certificate block is skipped. */
  ret = gnutls_privkey_import_x509_raw (self->key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The certificate file has no unencrypted private key (%s): it must hold the "
                     "certificate and its private key in PEM."), gnutls_strerror (ret));
      return NULL;
    }

  if (gnutls_privkey_get_pk_algorithm (self->key, NULL) != GNUTLS_PK_RSA)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The certificate’s private key is not an RSA key."));
      return NULL;
    }

  return g_steal_pointer (&self);
}

KvbClientAssertion *
kvb_client_assertion_new_from_file (const char  *pem_path,
                                    GError     **error)
{
  g_autoptr(GBytes) contents = NULL;
  KvbClientAssertion *self;
  gsize len = 0;
  char *data;

  g_return_val_if_fail (pem_path != NULL, NULL);

  /* A named pipe or a device given as the certificate must not hang the sign-in. */
  contents = kvb_file_load_regular (pem_path, KVB_FILE_PURPOSE_CERTIFICATE, NULL, error);
  if (contents == NULL)
    return NULL;

  data = (char *) g_bytes_get_data (contents, &len);
  self = kvb_client_assertion_new_from_data (len > 0 ? data : "", len, error);
  /* The file holds a private key: do not leave it in freed memory. */
  if (len > 0)
    memset (data, 0, len);
  return self;
}

void
kvb_client_assertion_set_algorithm (KvbClientAssertion    *self,
                                    KvbAssertionAlgorithm  algorithm)
{
  g_return_if_fail (KVB_IS_CLIENT_ASSERTION (self));
  self->algorithm = algorithm;
}

const char *
kvb_client_assertion_get_x5t_s256 (KvbClientAssertion *self)
{
  g_return_val_if_fail (KVB_IS_CLIENT_ASSERTION (self), NULL);
  return self->x5t_s256;
}

const char *
kvb_client_assertion_get_x5t (KvbClientAssertion *self)
{
  g_return_val_if_fail (KVB_IS_CLIENT_ASSERTION (self), NULL);
  return self->x5t;
}

static char *
json_segment (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  return kvb_base64url_encode ((const guchar *) text, strlen (text));
}

char *
kvb_client_assertion_create (KvbClientAssertion  *self,
                             const char          *client_id,
                             const char          *token_endpoint,
                             GError             **error)
{
  g_autoptr(JsonBuilder) header = json_builder_new ();
  g_autoptr(JsonBuilder) claims = json_builder_new ();
  g_autofree char *h = NULL, *c = NULL, *signing_input = NULL, *sig64 = NULL;
  g_autofree char *jti = g_uuid_string_random ();
  gboolean pss = self->algorithm == KVB_ASSERTION_ALGORITHM_PS256;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_datum_t data, sig = { NULL, 0 };
  int ret;

  g_return_val_if_fail (KVB_IS_CLIENT_ASSERTION (self), NULL);
  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (token_endpoint != NULL, NULL);

  json_builder_begin_object (header);
  json_builder_set_member_name (header, "alg");
  json_builder_add_string_value (header, pss ? "PS256" : "RS256");
  json_builder_set_member_name (header, "typ");
  json_builder_add_string_value (header, "JWT");
  json_builder_set_member_name (header, pss ? "x5t#S256" : "x5t");
  json_builder_add_string_value (header, pss ? self->x5t_s256 : self->x5t);
  json_builder_end_object (header);

  /* A short life: Entra ID takes at most 10 minutes after nbf. */
  json_builder_begin_object (claims);
  json_builder_set_member_name (claims, "aud");
  json_builder_add_string_value (claims, token_endpoint);
  json_builder_set_member_name (claims, "iss");
  json_builder_add_string_value (claims, client_id);
  json_builder_set_member_name (claims, "sub");
  json_builder_add_string_value (claims, client_id);
  json_builder_set_member_name (claims, "jti");
  json_builder_add_string_value (claims, jti);
  json_builder_set_member_name (claims, "nbf");
  json_builder_add_int_value (claims, now);
  json_builder_set_member_name (claims, "iat");
  json_builder_add_int_value (claims, now);
  json_builder_set_member_name (claims, "exp");
  json_builder_add_int_value (claims, now + 600);
  json_builder_end_object (claims);

  h = json_segment (header);
  c = json_segment (claims);
  signing_input = g_strconcat (h, ".", c, NULL);

  data.data = (unsigned char *) signing_input;
  data.size = strlen (signing_input);
  ret = gnutls_privkey_sign_data2 (self->key,
                                   pss ? GNUTLS_SIGN_RSA_PSS_SHA256 : GNUTLS_SIGN_RSA_SHA256,
                                   0, &data, &sig);
  if (ret < 0)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                   _("The client assertion could not be signed: %s"), gnutls_strerror (ret));
      return NULL;
    }

  sig64 = kvb_base64url_encode (sig.data, sig.size);
  gnutls_free (sig.data);

  return g_strconcat (signing_input, ".", sig64, NULL);
}
