/* kvb-emu-seal.h: the sealed payload of the stand-in's backup blobs.
 *
 * A blob is what Key Vault returns (decoded from base64url): one length byte, an ASCII header
 * ("AzureKeyVaultSecretBackupV1.microsoft.com" or "AzureKeyVaultKeyBackupV1.microsoft.com"), then
 * a compact-JWE-shaped ASCII payload that only the stand-in can open.  The payload is bound to a
 * subscription and a geography: the keys are derived from the state's master key and both.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KVB_EMU_SEAL_SECRET_HEADER "AzureKeyVaultSecretBackupV1.microsoft.com"
#define KVB_EMU_SEAL_KEY_HEADER    "AzureKeyVaultKeyBackupV1.microsoft.com"

typedef enum
{
  KVB_EMU_SEAL_OK,
  KVB_EMU_SEAL_MALFORMED,    /* not a blob, wrong header, corrupt, or tampered with */
  KVB_EMU_SEAL_WRONG_SCOPE,  /* a well-formed blob sealed for another subscription or geography */
} KvbEmuSealResult;

GBytes *kvb_emu_seal (GBytes     *master_key,
                      const char *subscription_id,
                      const char *geography,
                      const char *header,
                      GBytes     *plaintext);

KvbEmuSealResult kvb_emu_unseal (GBytes      *master_key,
                                 const char  *subscription_id,
                                 const char  *geography,
                                 const char  *header,
                                 GBytes      *blob,
                                 GBytes     **plaintext);

/* Unpadded base64url, as Key Vault's "value" fields. */
char *kvb_emu_seal_b64url_encode (const guint8 *data,
                                gsize         len);
/* Strict: only the base64url alphabet, optional '=' padding at the end; NULL on anything else. */
GBytes *kvb_emu_seal_b64url_decode (const char *text);

G_END_DECLS
