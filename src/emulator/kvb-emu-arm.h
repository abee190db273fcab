/* kvb-emu-arm.h: Resource Manager (tenants, subscriptions, Key Vault listing, provider registration). */
#pragma once

#include <libsoup/soup.h>
#include "kvb-emu-state.h"
#include "kvb-emu-entra.h"

G_BEGIN_DECLS

typedef struct _KvbEmuArm KvbEmuArm;

KvbEmuArm *kvb_emu_arm_new (KvbEmuState *state);
void kvb_emu_arm_free (KvbEmuArm *arm);

/* Whether @path belongs to Resource Manager (/subscriptions, /tenants, /providers, /metadata). */
gboolean kvb_emu_arm_owns_path (const char *path);
/* Paths that need no token (/metadata/endpoints). */
gboolean kvb_emu_arm_is_anonymous (const char *path);

/* @base_url: "https://<host as the client wrote it>"; @vault_suffix: what follows "<vault>." in a
 * vaultUri ("vault.localhost:PORT" or "vault.azure.net"); @caller NULL only for anonymous paths. */
void kvb_emu_arm_handle (KvbEmuArm *arm, SoupServerMessage *msg, const char *method, const char *path,
                         GHashTable *query, const char *base_url, const char *vault_suffix,
                         const KvbEmuCaller *caller);

/* The 401 of Resource Manager: @why is "missing", "expired" or another reason. */
void kvb_emu_arm_reply_unauthorized (SoupServerMessage *msg, const char *base_url, const char *why);

G_END_DECLS
