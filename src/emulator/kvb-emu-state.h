/* kvb-emu-state.h: the stand-in's in-memory world (tenants, subscriptions, identities, vaults).
 *
 * Plain structs: the whole stand-in runs on its one thread, so there are no locks.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *id;
  char *domain;
} KvbEmuTenant;

typedef struct
{
  char *id;
  char *tenant_id;
  char *display_name;
  GHashTable *providers;  /* "Microsoft.KeyVault" -> "Registered" | "NotRegistered" | "Registering" */
} KvbEmuSubscription;

typedef struct
{
  char *object_id;
  char *tenant_id;
  char *kind;             /* "user" | "service-principal" */
  char *name;             /* upn or display name */
  char *client_id;
  char *client_secret;    /* may be NULL */
  char *certificate_pem;  /* registered certificate for client assertions, may be NULL */
} KvbEmuIdentity;

typedef struct _KvbEmuVault
{
  char *name, *subscription_id, *resource_group, *location, *tenant_id;
  gboolean soft_delete;
  int retention_days;
  gboolean purge_protection;
  gboolean rbac;             /* TRUE: Azure RBAC; FALSE: access policies */
  GHashTable *permissions;   /* object id -> GStrv of grants: "secrets/get", "secrets/list", "secrets/set",
                                "secrets/delete", "secrets/backup", "secrets/restore", "secrets/recover",
                                "secrets/purge", same for "keys/..." and "certificates/...", or "*" */
  gpointer data;             /* the data plane's store */
  GDestroyNotify data_free;
} KvbEmuVault;

typedef struct _KvbEmuState KvbEmuState;   /* tenants, subscriptions, identities, vaults by name, options */

KvbEmuState *kvb_emu_state_new (void);
void kvb_emu_state_free (KvbEmuState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvbEmuState, kvb_emu_state_free)

/* Loads a seed document (tenants, subscriptions, identities, public_clients, vaults); NULL path: the
 * built-in sample. Each vault entry's object arrays are handed to the data plane. */
gboolean kvb_emu_state_load (KvbEmuState *state, const char *seed_path, GError **error);

gboolean kvb_emu_vault_allows (KvbEmuVault *vault, const char *object_id, const char *permission);

/* lookups (NULL when absent) */
KvbEmuVault *kvb_emu_state_get_vault (KvbEmuState *state, const char *name);
GList *kvb_emu_state_get_vaults (KvbEmuState *state);                 /* sorted by name; free the list only */
KvbEmuTenant *kvb_emu_state_get_tenant (KvbEmuState *state, const char *id_or_domain);
GPtrArray *kvb_emu_state_get_tenants (KvbEmuState *state);            /* transfer none */
KvbEmuSubscription *kvb_emu_state_get_subscription (KvbEmuState *state, const char *id);
GPtrArray *kvb_emu_state_get_subscriptions (KvbEmuState *state);      /* transfer none */
/* Whether @object_id may read @sub in Resource Manager (the seed's optional "readers") */
gboolean kvb_emu_state_subscription_allows (KvbEmuState *state, KvbEmuSubscription *sub, const char *object_id);
KvbEmuIdentity *kvb_emu_state_get_identity (KvbEmuState *state, const char *object_id);
KvbEmuIdentity *kvb_emu_state_find_client (KvbEmuState *state, const char *client_id);
KvbEmuIdentity *kvb_emu_state_find_user (KvbEmuState *state, const char *upn);
GPtrArray *kvb_emu_state_get_identities (KvbEmuState *state);         /* transfer none */
gboolean kvb_emu_state_is_public_client (KvbEmuState *state, const char *client_id);
const char * const *kvb_emu_state_get_public_clients (KvbEmuState *state);
const char *kvb_emu_state_get_default_tenant (KvbEmuState *state);   /* the first tenant's id */
const char *kvb_emu_state_get_sample_service_principal (KvbEmuState *state); /* object id, or NULL */
const char *kvb_emu_state_get_sample_user (KvbEmuState *state);       /* object id, or NULL */

/* timing knobs the data plane reads */
guint kvb_emu_state_get_delete_delay_ms (KvbEmuState *state);  /* being deleted -> deleted; default 1500 */
guint kvb_emu_state_get_recover_delay_ms (KvbEmuState *state); /* recovered but not yet readable; default 1500 */
guint kvb_emu_state_get_purge_delay_ms (KvbEmuState *state);   /* name unusable after purge; default 1500 */
void kvb_emu_state_set_delays_ms (KvbEmuState *state, guint delete_ms, guint recover_ms, guint purge_ms);

/* 32 bytes, FIXED in the sample/seed so that a backup made in one run restores in another */
GBytes *kvb_emu_state_get_master_key (KvbEmuState *state);

/* The seed object of a vault (for the data plane's objects), transfer none */
JsonObject *kvb_emu_state_get_vault_seed (KvbEmuState *state, const char *name);
/* object id of the identity whose seed says "certificate": "generate", or NULL */
const char *kvb_emu_state_get_generated_certificate_identity (KvbEmuState *state);
guint kvb_emu_state_get_device_code_interval (KvbEmuState *state);  /* seconds */
guint kvb_emu_state_get_device_code_lifetime (KvbEmuState *state);  /* seconds */

/* Geography of an Azure location ("westeurope" -> "europe"), for backup binding. */
const char *kvb_emu_location_geography (const char *location);

G_END_DECLS
