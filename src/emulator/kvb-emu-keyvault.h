/* kvb-emu-keyvault.h: the stand-in's Key Vault data plane (secrets, keys, certificates). */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "kvb-emu-state.h"

G_BEGIN_DECLS

typedef struct
{
  SoupServerMessage *msg;
  const char *method;
  const char *path;            /* without the host, e.g. "/secrets/x/backup" */
  GHashTable *query;           /* decoded query parameters, may be NULL */
  GBytes *body;                /* may be NULL */
  const char *base_url;        /* "https://<vault host as the client wrote it>" for id/kid/nextLink */
  KvbEmuState *state;
  KvbEmuVault *vault;
  const char *caller_object_id; /* the token has been checked already */
} KvbEmuRequest;

/* Sets status, headers and body (the api-version is checked here). */
void kvb_emu_keyvault_handle (KvbEmuRequest *req);

/* Reads the "secrets", "keys" and "certificates" arrays of a vault in the seed file. */
gboolean kvb_emu_keyvault_seed (KvbEmuVault *vault,
                                JsonObject  *vault_seed,
                                GError     **error);

G_END_DECLS
