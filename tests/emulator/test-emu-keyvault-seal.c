/* test-emu-keyvault-seal.c: the sealed payload of backup blobs, without a server. */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <string.h>

#include "kvb-emu-seal.h"

static GBytes *
master_key (guint8 fill)
{
  guint8 k[32];

  memset (k, fill, sizeof k);
  return g_bytes_new (k, sizeof k);
}

static void
test_round_trip (void)
{
  g_autoptr(GBytes) mk = master_key (7);
  g_autoptr(GBytes) plain = g_bytes_new_static ("{\"kind\":\"secret\",\"name\":\"x\"}", 29);
  g_autoptr(GBytes) blob = kvb_emu_seal (mk, "sub-a", "europe", KVB_EMU_SEAL_SECRET_HEADER, plain);
  g_autoptr(GBytes) out = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (blob, &len);
  g_auto(GStrv) parts = NULL;
  g_autofree char *jwe = NULL;

  /* The real envelope: length byte, header, then an ASCII compact JWE with five parts. */
  g_assert_cmpuint (data[0], ==, 41);
  g_assert_true (memcmp (data + 1, "AzureKeyVaultSecretBackupV1.microsoft.com", 41) == 0);
  jwe = g_strndup ((const char *) data + 42, len - 42);
  parts = g_strsplit (jwe, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 5);
  g_assert_cmpuint (strlen (parts[1]), ==, 342);  /* 256 bytes, like an RSA-2048 wrap */
  g_assert_cmpuint (strlen (parts[2]), ==, 22);   /* 16-byte IV */
  g_assert_cmpuint (strlen (parts[4]), ==, 43);   /* 32-byte tag, A256CBC-HS512 */
  g_assert_true (g_str_has_prefix (parts[0], "eyJ"));

  g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "Europe", KVB_EMU_SEAL_SECRET_HEADER, blob, &out), ==, KVB_EMU_SEAL_OK);
  g_assert_true (g_bytes_equal (out, plain));
}

static void
test_refusals (void)
{
  g_autoptr(GBytes) mk = master_key (7);
  g_autoptr(GBytes) other_mk = master_key (9);
  g_autoptr(GBytes) plain = g_bytes_new_static ("payload", 7);
  g_autoptr(GBytes) blob = kvb_emu_seal (mk, "sub-a", "europe", KVB_EMU_SEAL_KEY_HEADER, plain);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(GBytes) truncated = NULL;
  guint8 *copy;
  gsize len;

  g_assert_cmpint (kvb_emu_unseal (mk, "sub-b", "europe", KVB_EMU_SEAL_KEY_HEADER, blob, &out), ==,
                   KVB_EMU_SEAL_WRONG_SCOPE);
  g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "us", KVB_EMU_SEAL_KEY_HEADER, blob, &out), ==,
                   KVB_EMU_SEAL_WRONG_SCOPE);
  g_assert_cmpint (kvb_emu_unseal (other_mk, "sub-a", "europe", KVB_EMU_SEAL_KEY_HEADER, blob, &out), ==,
                   KVB_EMU_SEAL_WRONG_SCOPE);
  g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "europe", KVB_EMU_SEAL_SECRET_HEADER, blob, &out), ==,
                   KVB_EMU_SEAL_MALFORMED);
  g_assert_null (out);

  /* One flipped character in the ciphertext part is caught by the tag. */
  g_bytes_get_data (blob, &len);
  copy = g_memdup2 (g_bytes_get_data (blob, NULL), len);
  copy[len - 60] = copy[len - 60] == 'A' ? 'B' : 'A';
  tampered = g_bytes_new_take (copy, len);
  g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "europe", KVB_EMU_SEAL_KEY_HEADER, tampered, &out), ==,
                   KVB_EMU_SEAL_MALFORMED);
  g_clear_pointer (&tampered, g_bytes_unref);

  /* So is one flipped character anywhere in the encrypted-key part, filler included. */
  {
    const char *text = g_bytes_get_data (blob, NULL);
    const char *ek_start = memchr (text, '.', len);
    const char *ek_end;

    g_assert_nonnull (ek_start);
    ek_start++;
    ek_end = memchr (ek_start, '.', len - (ek_start - text));
    g_assert_nonnull (ek_end);
    for (const char *p = ek_start + 3; p < ek_end - 1; p += 29)
      {
        copy = g_memdup2 (text, len);
        copy[p - text] = copy[p - text] == 'A' ? 'B' : 'A';
        tampered = g_bytes_new_take (copy, len);
        g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "europe", KVB_EMU_SEAL_KEY_HEADER, tampered, &out),
                         ==, KVB_EMU_SEAL_MALFORMED);
        g_clear_pointer (&tampered, g_bytes_unref);
      }
  }

  for (gsize cut = 0; cut < len; cut += 97)
    {
      truncated = g_bytes_new_from_bytes (blob, 0, cut);
      g_assert_cmpint (kvb_emu_unseal (mk, "sub-a", "europe", KVB_EMU_SEAL_KEY_HEADER, truncated, &out), ==,
                       KVB_EMU_SEAL_MALFORMED);
      g_clear_pointer (&truncated, g_bytes_unref);
    }
}

static void
test_base64url (void)
{
  const guint8 data[] = { 0xfb, 0xff, 0x3e, 0x00, 0x41 };
  g_autofree char *text = kvb_emu_seal_b64url_encode (data, sizeof data);
  g_autoptr(GBytes) back = kvb_emu_seal_b64url_decode (text);
  g_autoptr(GBytes) padded = NULL;

  g_assert_cmpstr (text, ==, "-_8-AEE");
  g_assert_nonnull (back);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), data, sizeof data);
  padded = kvb_emu_seal_b64url_decode ("-_8-AEE=");
  g_assert_nonnull (padded);
  g_assert_null (kvb_emu_seal_b64url_decode ("-_8+AEE"));   /* standard alphabet is not base64url */
  g_assert_null (kvb_emu_seal_b64url_decode ("ab cd"));
  g_assert_null (kvb_emu_seal_b64url_decode ("abcde"));     /* impossible length */
  g_assert_null (kvb_emu_seal_b64url_decode ("ab=c"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/emulator/keyvault/seal/round-trip", test_round_trip);
  g_test_add_func ("/emulator/keyvault/seal/refusals", test_refusals);
  g_test_add_func ("/emulator/keyvault/seal/base64url", test_base64url);
  return g_test_run ();
}
