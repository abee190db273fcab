/* kvb-emu-entra.h: Entra ID (OpenID configuration, device code, authorization code with PKCE, refresh
 * tokens, client credentials) and the check of the access tokens it issues. */
#pragma once

#include <libsoup/soup.h>
#include "kvb-emu-state.h"

G_BEGIN_DECLS

typedef struct _KvbEmuEntra KvbEmuEntra;

typedef enum {
  KVB_EMU_AUDIENCE_KEYVAULT,
  KVB_EMU_AUDIENCE_ARM,
} KvbEmuAudience;

/* Who called, from a checked access token. */
typedef struct {
  char *oid;
  char *tid;
  char *appid;
  char *upn;   /* NULL for service principals */
  char *aud;
} KvbEmuCaller;

void kvb_emu_caller_clear (KvbEmuCaller *caller);

KvbEmuEntra *kvb_emu_entra_new (KvbEmuState *state);
void kvb_emu_entra_free (KvbEmuEntra *entra);
void kvb_emu_entra_set_token_lifetime (KvbEmuEntra *entra, guint seconds);

/* Handles an Entra ID path; FALSE when @path is not one. @base_url is "https://<host as the client
 * wrote it>". */
gboolean kvb_emu_entra_handle (KvbEmuEntra *entra, SoupServerMessage *msg, const char *method,
                               const char *path, GHashTable *query, GBytes *body, const char *base_url);

/* Checks "Bearer <jwt>": signature, expiry, audience class and (when @tenant_id is set) tenant.
 * On failure returns FALSE and a short reason in @why. */
gboolean kvb_emu_entra_check_token (KvbEmuEntra *entra, const char *authorization, KvbEmuAudience audience,
                                    const char *tenant_id, KvbEmuCaller *caller, char **why);

/* Test control */
gboolean kvb_emu_entra_decide_device_code (KvbEmuEntra *entra, const char *user_code, gboolean approve,
                                           const char *upn);
gboolean kvb_emu_entra_expire_device_code (KvbEmuEntra *entra, const char *user_code);
guint kvb_emu_entra_revoke_refresh_tokens (KvbEmuEntra *entra, const char *upn);

/* An access token for tests and tools: the identity with @object_id, for @resource. */
char *kvb_emu_entra_mint_token (KvbEmuEntra *entra, const char *object_id, const char *resource);

G_END_DECLS
