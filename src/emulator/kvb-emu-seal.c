/* kvb-emu-seal.c: seal and open the payload of backup blobs.
 *
 * The payload has the shape of the real one (a compact JWE: protected header, a 256-byte
 * "encrypted key", a 16-byte IV, an AES-CBC ciphertext and a 32-byte tag, as A256CBC-HS512 has),
 * so that a client's "does this look like a Key Vault backup" checks see what they would see
 * with Azure.  Only the key handling differs: the content key is wrapped with AES-256-GCM under a
 * key derived from the master key, the subscription and the geography, and the "kid" names that
 * scope, so that a blob from elsewhere can be told apart from a corrupt one.
 */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <json-glib/json-glib.h>

#include "kvb-emu-seal.h"

#define WRAPPED_KEY_LEN 256
#define CEK_LEN 64
#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16
#define IV_LEN 16
#define TAG_LEN 32

char *
kvb_emu_seal_b64url_encode (const guint8 *data,
                          gsize         len)
{
  char *text = g_base64_encode (data, len);
  char *out = text;

  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *out++ = '-';
      else if (*p == '/')
        *out++ = '_';
      else if (*p != '=')
        *out++ = *p;
    }
  *out = '\0';
  return text;
}

GBytes *
kvb_emu_seal_b64url_decode (const char *text)
{
  g_autoptr(GString) std = NULL;
  gsize len, padding = 0;
  guchar *data;
  gsize data_len = 0;

  if (text == NULL)
    return NULL;
  len = strlen (text);
  while (len > 0 && text[len - 1] == '=' && padding < 2)
    {
      len--;
      padding++;
    }
  if (len % 4 == 1)
    return NULL;
  std = g_string_sized_new (len + 3);
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c))
        g_string_append_c (std, c);
      else if (c == '-')
        g_string_append_c (std, '+');
      else if (c == '_')
        g_string_append_c (std, '/');
      else
        return NULL;
    }
  if (padding > 0 && (len + padding) % 4 != 0)
    return NULL;
  while (std->len % 4 != 0)
    g_string_append_c (std, '=');
  data = g_base64_decode (std->str, &data_len);
  return g_bytes_new_take (data, data_len);
}

static void
derive (GBytes     *master_key,
        const char *label,
        const char *subscription_id,
        const char *geography,
        guint8      out[32])
{
  g_autofree char *geo = g_ascii_strdown (geography ? geography : "", -1);
  g_autofree char *sub = g_ascii_strdown (subscription_id ? subscription_id : "", -1);
  g_autoptr(GString) info = g_string_new (label);
  gsize key_len;
  const guint8 *key = g_bytes_get_data (master_key, &key_len);

  g_string_append_c (info, '\n');
  g_string_append (info, sub);
  g_string_append_c (info, '\n');
  g_string_append (info, geo);
  gnutls_hmac_fast (GNUTLS_MAC_SHA256, key, key_len, info->str, info->len, out);
}

static char *
scope_kid (GBytes     *master_key,
           const char *subscription_id,
           const char *geography)
{
  guint8 d[32];

  derive (master_key, "kvb-emulator backup kid", subscription_id, geography, d);
  d[6] = (d[6] & 0x0f) | 0x40;
  d[8] = (d[8] & 0x3f) | 0x80;
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9],
                          d[10], d[11], d[12], d[13], d[14], d[15]);
}

static void
cbc_hmac_tag (const guint8 *mac_key,
              const char   *aad,
              const guint8 *iv,
              const guint8 *ct,
              gsize         ct_len,
              guint8        tag[TAG_LEN])
{
  gnutls_hmac_hd_t h;
  guint8 digest[64];
  guint64 al = GUINT64_TO_BE ((guint64) strlen (aad) * 8);

  gnutls_hmac_init (&h, GNUTLS_MAC_SHA512, mac_key, 32);
  gnutls_hmac (h, aad, strlen (aad));
  gnutls_hmac (h, iv, IV_LEN);
  gnutls_hmac (h, ct, ct_len);
  gnutls_hmac (h, &al, sizeof al);
  gnutls_hmac_deinit (h, digest);
  memcpy (tag, digest, TAG_LEN);
}

#define WRAP_USED_LEN (GCM_NONCE_LEN + CEK_LEN + GCM_TAG_LEN)

/* Additional data of the key wrap: the protected header and the filler that pads the wrapped
 * key to the size of an RSA-2048 wrap. */
static GByteArray *
wrap_aad (const char   *prot,
          const guint8 *wrapped)
{
  GByteArray *aad = g_byte_array_new ();

  g_byte_array_append (aad, (const guint8 *) prot, strlen (prot));
  g_byte_array_append (aad, wrapped + WRAP_USED_LEN, WRAPPED_KEY_LEN - WRAP_USED_LEN);
  return aad;
}

GBytes *
kvb_emu_seal (GBytes     *master_key,
              const char *subscription_id,
              const char *geography,
              const char *header,
              GBytes     *plaintext)
{
  g_autofree char *kid = scope_kid (master_key, subscription_id, geography);
  g_autofree char *prot_json = NULL;
  g_autofree char *prot = NULL;
  g_autofree char *ek_text = NULL, *iv_text = NULL, *ct_text = NULL, *tag_text = NULL;
  g_autofree guint8 *padded = NULL;
  g_autofree guint8 *ct = NULL;
  guint8 kek[32], cek[CEK_LEN], wrapped[WRAPPED_KEY_LEN], iv[IV_LEN], tag[TAG_LEN];
  gnutls_aead_cipher_hd_t aead;
  gnutls_cipher_hd_t cbc;
  gnutls_datum_t d;
  gsize pt_len, padded_len, wrapped_len;
  const guint8 *pt = g_bytes_get_data (plaintext, &pt_len);
  GByteArray *out;
  guint8 hlen = (guint8) strlen (header);

  prot_json = g_strdup_printf ("{\"kid\":\"%s\",\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256CBC-HS512\"}", kid);
  prot = kvb_emu_seal_b64url_encode ((const guint8 *) prot_json, strlen (prot_json));

  /* The content key, wrapped under the scope's key, in a 256-byte field like an RSA-2048 wrap. */
  derive (master_key, "kvb-emulator backup kek", subscription_id, geography, kek);
  gnutls_rnd (GNUTLS_RND_KEY, cek, sizeof cek);
  gnutls_rnd (GNUTLS_RND_NONCE, wrapped, sizeof wrapped);
  d.data = kek;
  d.size = sizeof kek;
  gnutls_aead_cipher_init (&aead, GNUTLS_CIPHER_AES_256_GCM, &d);
  wrapped_len = CEK_LEN + GCM_TAG_LEN;
  {
    /* The filler after the wrapped key is authenticated too: Azure refuses a blob whose
     * encrypted key was altered anywhere, and so must we. */
    g_autoptr(GByteArray) aad = wrap_aad (prot, wrapped);

    gnutls_aead_cipher_encrypt (aead, wrapped, GCM_NONCE_LEN, aad->data, aad->len, GCM_TAG_LEN,
                                cek, CEK_LEN, wrapped + GCM_NONCE_LEN, &wrapped_len);
  }
  gnutls_aead_cipher_deinit (aead);

  /* A256CBC-HS512 (RFC 7518 5.2.5): MAC key first, then the encryption key. */
  padded_len = (pt_len / 16 + 1) * 16;
  padded = g_malloc (padded_len);
  memcpy (padded, pt, pt_len);
  memset (padded + pt_len, (int) (padded_len - pt_len), padded_len - pt_len);
  ct = g_malloc (padded_len);
  gnutls_rnd (GNUTLS_RND_NONCE, iv, sizeof iv);
  {
    gnutls_datum_t k = { cek + 32, 32 }, v = { iv, IV_LEN };

    gnutls_cipher_init (&cbc, GNUTLS_CIPHER_AES_256_CBC, &k, &v);
    gnutls_cipher_encrypt2 (cbc, padded, padded_len, ct, padded_len);
    gnutls_cipher_deinit (cbc);
  }
  cbc_hmac_tag (cek, prot, iv, ct, padded_len, tag);

  ek_text = kvb_emu_seal_b64url_encode (wrapped, sizeof wrapped);
  iv_text = kvb_emu_seal_b64url_encode (iv, sizeof iv);
  ct_text = kvb_emu_seal_b64url_encode (ct, padded_len);
  tag_text = kvb_emu_seal_b64url_encode (tag, sizeof tag);

  out = g_byte_array_new ();
  g_byte_array_append (out, &hlen, 1);
  g_byte_array_append (out, (const guint8 *) header, hlen);
  for (int i = 0; i < 5; i++)
    {
      const char *part = (const char *[]) { prot, ek_text, iv_text, ct_text, tag_text }[i];

      if (i > 0)
        g_byte_array_append (out, (const guint8 *) ".", 1);
      g_byte_array_append (out, (const guint8 *) part, strlen (part));
    }
  gnutls_memset (cek, 0, sizeof cek);
  gnutls_memset (kek, 0, sizeof kek);
  return g_byte_array_free_to_bytes (out);
}

KvbEmuSealResult
kvb_emu_unseal (GBytes      *master_key,
                const char  *subscription_id,
                const char  *geography,
                const char  *header,
                GBytes      *blob,
                GBytes     **plaintext)
{
  gsize len, hlen = strlen (header);
  const guint8 *data = g_bytes_get_data (blob, &len);
  g_autofree char *jwe = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) prot = NULL, ek = NULL, iv = NULL, ct = NULL, tag = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *kid = NULL;
  g_autofree guint8 *pt = NULL;
  const char *blob_kid;
  JsonNode *root;
  guint8 kek[32], cek[CEK_LEN], expect_tag[TAG_LEN];
  gsize cek_len = CEK_LEN, ct_len, pt_len, pad;
  gnutls_aead_cipher_hd_t aead;
  gnutls_cipher_hd_t cbc;
  gnutls_datum_t d;
  int rc;

  *plaintext = NULL;
  if (data == NULL || len < 1 + hlen || data[0] != hlen || memcmp (data + 1, header, hlen) != 0)
    return KVB_EMU_SEAL_MALFORMED;
  jwe = g_strndup ((const char *) data + 1 + hlen, len - 1 - hlen);
  if (strlen (jwe) != len - 1 - hlen)
    return KVB_EMU_SEAL_MALFORMED;
  parts = g_strsplit (jwe, ".", -1);
  if (g_strv_length (parts) != 5)
    return KVB_EMU_SEAL_MALFORMED;
  prot = kvb_emu_seal_b64url_decode (parts[0]);
  ek = kvb_emu_seal_b64url_decode (parts[1]);
  iv = kvb_emu_seal_b64url_decode (parts[2]);
  ct = kvb_emu_seal_b64url_decode (parts[3]);
  tag = kvb_emu_seal_b64url_decode (parts[4]);
  if (!prot || !ek || !iv || !ct || !tag
      || g_bytes_get_size (ek) != WRAPPED_KEY_LEN || g_bytes_get_size (iv) != IV_LEN
      || g_bytes_get_size (tag) != TAG_LEN || g_bytes_get_size (ct) == 0
      || g_bytes_get_size (ct) % 16 != 0)
    return KVB_EMU_SEAL_MALFORMED;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (prot, NULL), g_bytes_get_size (prot), NULL))
    return KVB_EMU_SEAL_MALFORMED;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return KVB_EMU_SEAL_MALFORMED;
  blob_kid = json_object_get_string_member_with_default (json_node_get_object (root), "kid", NULL);
  if (blob_kid == NULL || strlen (blob_kid) != 36)
    return KVB_EMU_SEAL_MALFORMED;
  kid = scope_kid (master_key, subscription_id, geography);
  if (g_ascii_strcasecmp (kid, blob_kid) != 0)
    return KVB_EMU_SEAL_WRONG_SCOPE;

  derive (master_key, "kvb-emulator backup kek", subscription_id, geography, kek);
  d.data = kek;
  d.size = sizeof kek;
  gnutls_aead_cipher_init (&aead, GNUTLS_CIPHER_AES_256_GCM, &d);
  {
    g_autoptr(GByteArray) aad = wrap_aad (parts[0], g_bytes_get_data (ek, NULL));

    rc = gnutls_aead_cipher_decrypt (aead, g_bytes_get_data (ek, NULL), GCM_NONCE_LEN,
                                     aad->data, aad->len, GCM_TAG_LEN,
                                     (const guint8 *) g_bytes_get_data (ek, NULL) + GCM_NONCE_LEN,
                                     CEK_LEN + GCM_TAG_LEN, cek, &cek_len);
  }
  gnutls_aead_cipher_deinit (aead);
  gnutls_memset (kek, 0, sizeof kek);
  if (rc < 0 || cek_len != CEK_LEN)
    return KVB_EMU_SEAL_MALFORMED;

  ct_len = g_bytes_get_size (ct);
  cbc_hmac_tag (cek, parts[0], g_bytes_get_data (iv, NULL), g_bytes_get_data (ct, NULL), ct_len, expect_tag);
  if (gnutls_memcmp (expect_tag, g_bytes_get_data (tag, NULL), TAG_LEN) != 0)
    {
      gnutls_memset (cek, 0, sizeof cek);
      return KVB_EMU_SEAL_MALFORMED;
    }
  pt = g_malloc (ct_len);
  {
    gnutls_datum_t k = { cek + 32, 32 }, v = { (guint8 *) g_bytes_get_data (iv, NULL), IV_LEN };

    gnutls_cipher_init (&cbc, GNUTLS_CIPHER_AES_256_CBC, &k, &v);
    rc = gnutls_cipher_decrypt2 (cbc, g_bytes_get_data (ct, NULL), ct_len, pt, ct_len);
    gnutls_cipher_deinit (cbc);
  }
  gnutls_memset (cek, 0, sizeof cek);
  if (rc < 0)
    return KVB_EMU_SEAL_MALFORMED;
  pad = pt[ct_len - 1];
  if (pad < 1 || pad > 16)
    return KVB_EMU_SEAL_MALFORMED;
  for (gsize i = ct_len - pad; i < ct_len; i++)
    if (pt[i] != pad)
      return KVB_EMU_SEAL_MALFORMED;
  pt_len = ct_len - pad;
  *plaintext = g_bytes_new_take (g_steal_pointer (&pt), pt_len);
  return KVB_EMU_SEAL_OK;
}
