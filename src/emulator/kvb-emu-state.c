#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-state.h"

#include <gio/gio.h>
#include <string.h>

struct _KvbEmuState
{
  GPtrArray *tenants;         /* KvbEmuTenant */
  GPtrArray *subscriptions;   /* KvbEmuSubscription */
  GPtrArray *identities;      /* KvbEmuIdentity */
  GHashTable *vaults;         /* name (lower case) -> KvbEmuVault */
  GHashTable *vault_seeds;    /* name (lower case) -> JsonObject */
  GHashTable *sub_readers;    /* subscription id -> GStrv of object ids; absent: the whole tenant */
  GPtrArray *public_clients;  /* char *, NULL-terminated */
  char *generated_cert_identity;
  char *sample_sp;
  char *sample_user;
  GBytes *master_key;
  guint delete_delay_ms, recover_delay_ms, purge_delay_ms;
  guint device_code_interval, device_code_lifetime;
};

#define AZURE_CLI_CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

static void
tenant_free (gpointer p)
{
  KvbEmuTenant *t = p;
  g_free (t->id);
  g_free (t->domain);
  g_free (t);
}

static void
subscription_free (gpointer p)
{
  KvbEmuSubscription *s = p;
  g_free (s->id);
  g_free (s->tenant_id);
  g_free (s->display_name);
  g_clear_pointer (&s->providers, g_hash_table_unref);
  g_free (s);
}

static void
identity_free (gpointer p)
{
  KvbEmuIdentity *i = p;
  g_free (i->object_id);
  g_free (i->tenant_id);
  g_free (i->kind);
  g_free (i->name);
  g_free (i->client_id);
  g_free (i->client_secret);
  g_free (i->certificate_pem);
  g_free (i);
}

static void
vault_free (gpointer p)
{
  KvbEmuVault *v = p;
  if (v->data_free != NULL && v->data != NULL)
    v->data_free (v->data);
  g_free (v->name);
  g_free (v->subscription_id);
  g_free (v->resource_group);
  g_free (v->location);
  g_free (v->tenant_id);
  g_clear_pointer (&v->permissions, g_hash_table_unref);
  g_free (v);
}

KvbEmuState *
kvb_emu_state_new (void)
{
  KvbEmuState *s = g_new0 (KvbEmuState, 1);

  s->tenants = g_ptr_array_new_with_free_func (tenant_free);
  s->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
  s->identities = g_ptr_array_new_with_free_func (identity_free);
  s->vaults = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, vault_free);
  s->vault_seeds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_object_unref);
  s->sub_readers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  s->public_clients = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (s->public_clients, NULL);
  s->delete_delay_ms = s->recover_delay_ms = s->purge_delay_ms = 1500;
  s->device_code_interval = 5;
  s->device_code_lifetime = 900;
  return s;
}

void
kvb_emu_state_free (KvbEmuState *s)
{
  if (s == NULL)
    return;
  g_hash_table_unref (s->vaults);
  g_hash_table_unref (s->vault_seeds);
  g_hash_table_unref (s->sub_readers);
  g_ptr_array_unref (s->tenants);
  g_ptr_array_unref (s->subscriptions);
  g_ptr_array_unref (s->identities);
  g_ptr_array_unref (s->public_clients);
  g_free (s->generated_cert_identity);
  g_free (s->sample_sp);
  g_free (s->sample_user);
  g_clear_pointer (&s->master_key, g_bytes_unref);
  g_free (s);
}

static const char *
get_str (JsonObject *o, const char *member, const char *fallback)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (n);
}

static gboolean
get_bool (JsonObject *o, const char *member, gboolean fallback)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (n);
}

static gint64
get_int (JsonObject *o, const char *member, gint64 fallback)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (n);
}

static JsonArray *
get_array (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return NULL;
  return json_node_get_array (n);
}

static gboolean
seed_error (GError **error, const char *what, const char *detail)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Seed file: %s: %s", what, detail);
  return FALSE;
}

static gboolean
load_document (KvbEmuState *s, JsonObject *root, GError **error)
{
  JsonArray *arr;
  JsonNode *opt_node;
  const char *mk;

  opt_node = json_object_get_member (root, "options");
  if (opt_node != NULL && JSON_NODE_HOLDS_OBJECT (opt_node))
    {
      JsonObject *o = json_node_get_object (opt_node);
      s->delete_delay_ms = get_int (o, "delete_delay_ms", s->delete_delay_ms);
      s->recover_delay_ms = get_int (o, "recover_delay_ms", s->recover_delay_ms);
      s->purge_delay_ms = get_int (o, "purge_delay_ms", s->purge_delay_ms);
      s->device_code_interval = MAX (1, get_int (o, "device_code_interval", s->device_code_interval));
      s->device_code_lifetime = MAX (1, get_int (o, "device_code_lifetime", s->device_code_lifetime));
    }

  arr = get_array (root, "tenants");
  if (arr == NULL || json_array_get_length (arr) == 0)
    return seed_error (error, "tenants", "at least one tenant is needed");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      KvbEmuTenant *t;
      if (o == NULL || get_str (o, "id", NULL) == NULL)
        return seed_error (error, "tenants", "every tenant needs an \"id\"");
      t = g_new0 (KvbEmuTenant, 1);
      t->id = g_ascii_strdown (get_str (o, "id", NULL), -1);
      t->domain = g_strdup (get_str (o, "domain", t->id));
      g_ptr_array_add (s->tenants, t);
    }

  arr = get_array (root, "subscriptions");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      KvbEmuSubscription *sub;
      JsonNode *prov;
      if (o == NULL || get_str (o, "id", NULL) == NULL)
        return seed_error (error, "subscriptions", "every subscription needs an \"id\"");
      sub = g_new0 (KvbEmuSubscription, 1);
      sub->id = g_ascii_strdown (get_str (o, "id", NULL), -1);
      sub->tenant_id = g_ascii_strdown (get_str (o, "tenant", kvb_emu_state_get_default_tenant (s)), -1);
      sub->display_name = g_strdup (get_str (o, "display_name", sub->id));
      sub->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (sub->providers, g_strdup ("Microsoft.KeyVault"), g_strdup ("Registered"));
      prov = json_object_get_member (o, "providers");
      if (prov != NULL && JSON_NODE_HOLDS_OBJECT (prov))
        {
          JsonObjectIter it;
          const char *name;
          JsonNode *value;
          json_object_iter_init (&it, json_node_get_object (prov));
          while (json_object_iter_next (&it, &name, &value))
            if (json_node_get_value_type (value) == G_TYPE_STRING)
              g_hash_table_insert (sub->providers, g_strdup (name), g_strdup (json_node_get_string (value)));
        }
      if (get_array (o, "readers") != NULL)
        {
          JsonArray *ra = get_array (o, "readers");
          g_autoptr(GStrvBuilder) sb = g_strv_builder_new ();
          for (guint k = 0; k < json_array_get_length (ra); k++)
            if (json_array_get_string_element (ra, k) != NULL)
              {
                g_autofree char *low = g_ascii_strdown (json_array_get_string_element (ra, k), -1);
                g_strv_builder_add (sb, low);
              }
          g_hash_table_insert (s->sub_readers, g_strdup (sub->id), g_strv_builder_end (sb));
        }
      if (kvb_emu_state_get_tenant (s, sub->tenant_id) == NULL)
        {
          g_autofree char *d = g_strdup_printf ("subscription %s names an unknown tenant", sub->id);
          subscription_free (sub);
          return seed_error (error, "subscriptions", d);
        }
      g_ptr_array_add (s->subscriptions, sub);
    }

  arr = get_array (root, "identities");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      KvbEmuIdentity *id;
      const char *cert;
      if (o == NULL || get_str (o, "object_id", NULL) == NULL)
        return seed_error (error, "identities", "every identity needs an \"object_id\"");
      id = g_new0 (KvbEmuIdentity, 1);
      id->object_id = g_ascii_strdown (get_str (o, "object_id", NULL), -1);
      id->tenant_id = g_ascii_strdown (get_str (o, "tenant", kvb_emu_state_get_default_tenant (s)), -1);
      id->kind = g_strdup (get_str (o, "kind", "service-principal"));
      id->name = g_strdup (get_str (o, "name", id->object_id));
      id->client_id = g_strdup (get_str (o, "client_id", NULL));
      id->client_secret = g_strdup (get_str (o, "client_secret", NULL));
      cert = get_str (o, "certificate", NULL);
      if (g_strcmp0 (cert, "generate") == 0)
        {
          /* The stand-in makes one at start and writes it (with its key) to the state folder. */
          if (s->generated_cert_identity == NULL)
            s->generated_cert_identity = g_strdup (id->object_id);
        }
      else
        id->certificate_pem = g_strdup (cert);
      if (strcmp (id->kind, "user") != 0 && strcmp (id->kind, "service-principal") != 0)
        {
          identity_free (id);
          return seed_error (error, "identities", "\"kind\" must be \"user\" or \"service-principal\"");
        }
      if (strcmp (id->kind, "service-principal") == 0 && id->client_id == NULL)
        {
          identity_free (id);
          return seed_error (error, "identities", "a service principal needs a \"client_id\"");
        }
      if (strcmp (id->kind, "user") == 0 && (s->sample_user == NULL || get_bool (o, "sample", FALSE)))
        {
          g_free (s->sample_user);
          s->sample_user = g_strdup (id->object_id);
        }
      if (strcmp (id->kind, "service-principal") == 0 && (s->sample_sp == NULL || get_bool (o, "sample", FALSE)))
        {
          g_free (s->sample_sp);
          s->sample_sp = g_strdup (id->object_id);
        }
      g_ptr_array_add (s->identities, id);
    }

  /* Azure CLI's public client is always known; the seed may add more. */
  g_ptr_array_remove_index (s->public_clients, s->public_clients->len - 1);
  g_ptr_array_add (s->public_clients, g_strdup (AZURE_CLI_CLIENT_ID));
  arr = get_array (root, "public_clients");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      const char *c = json_array_get_string_element (arr, i);
      if (c != NULL && !kvb_emu_state_is_public_client (s, c))
        g_ptr_array_add (s->public_clients, g_strdup (c));
    }
  g_ptr_array_add (s->public_clients, NULL);

  arr = get_array (root, "vaults");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      KvbEmuVault *v;
      KvbEmuSubscription *sub;
      const char *model;
      JsonNode *perms;
      if (o == NULL || get_str (o, "name", NULL) == NULL || get_str (o, "subscription", NULL) == NULL)
        return seed_error (error, "vaults", "every vault needs a \"name\" and a \"subscription\"");
      sub = kvb_emu_state_get_subscription (s, get_str (o, "subscription", NULL));
      if (sub == NULL)
        return seed_error (error, "vaults", "a vault names an unknown subscription");
      v = g_new0 (KvbEmuVault, 1);
      v->name = g_ascii_strdown (get_str (o, "name", NULL), -1);
      v->subscription_id = g_strdup (sub->id);
      v->resource_group = g_strdup (get_str (o, "resource_group", "rg-keyvaults"));
      v->location = g_strdup (get_str (o, "location", "westeurope"));
      v->tenant_id = g_ascii_strdown (get_str (o, "tenant", sub->tenant_id), -1);
      v->soft_delete = get_bool (o, "soft_delete", TRUE);
      v->retention_days = get_int (o, "retention_days", v->soft_delete ? 90 : 0);
      v->purge_protection = get_bool (o, "purge_protection", FALSE);
      model = get_str (o, "permission_model", "rbac");
      v->rbac = g_strcmp0 (model, "access-policies") != 0;
      v->permissions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
      perms = json_object_get_member (o, "permissions");
      if (perms != NULL && JSON_NODE_HOLDS_OBJECT (perms))
        {
          JsonObjectIter it;
          const char *who;
          JsonNode *grants;
          json_object_iter_init (&it, json_node_get_object (perms));
          while (json_object_iter_next (&it, &who, &grants))
            {
              g_autoptr(GStrvBuilder) sb = g_strv_builder_new ();
              if (!JSON_NODE_HOLDS_ARRAY (grants))
                continue;
              for (guint k = 0; k < json_array_get_length (json_node_get_array (grants)); k++)
                {
                  const char *g = json_array_get_string_element (json_node_get_array (grants), k);
                  if (g != NULL)
                    g_strv_builder_add (sb, g);
                }
              g_hash_table_insert (v->permissions, g_ascii_strdown (who, -1), g_strv_builder_end (sb));
            }
        }
      if (g_hash_table_contains (s->vaults, v->name))
        {
          vault_free (v);
          return seed_error (error, "vaults", "two vaults have the same name");
        }
      g_hash_table_insert (s->vault_seeds, g_strdup (v->name), json_object_ref (o));
      g_hash_table_insert (s->vaults, g_strdup (v->name), v);
    }

  mk = get_str (root, "master_key", NULL);
  if (mk != NULL)
    {
      gsize len = 0;
      g_autofree guint8 *raw = g_base64_decode (mk, &len);
      if (len != 32)
        return seed_error (error, "master_key", "must be 32 bytes in base64");
      s->master_key = g_bytes_new (raw, len);
    }
  else
    {
      /* Deterministic, so backups survive a restart even without a key in the seed. */
      g_autoptr(GChecksum) ck = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 digest[32];
      gsize dlen = sizeof digest;
      g_checksum_update (ck, (const guchar *) "kvb-emulator master key:", -1);
      g_checksum_update (ck, (const guchar *) kvb_emu_state_get_default_tenant (s), -1);
      g_checksum_get_digest (ck, digest, &dlen);
      s->master_key = g_bytes_new (digest, dlen);
    }
  return TRUE;
}

gboolean
kvb_emu_state_load (KvbEmuState *s, const char *seed_path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (seed_path != NULL)
    {
      if (!json_parser_load_from_file (parser, seed_path, error))
        return FALSE;
    }
  else
    {
      g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/kvbackup/KeyVaultBackup/emulator/sample-seed.json",
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (bytes == NULL)
        return FALSE;
      if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error))
        return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return seed_error (error, "document", "the top level must be an object");
  return load_document (s, json_node_get_object (root), error);
}

gboolean
kvb_emu_vault_allows (KvbEmuVault *vault, const char *object_id, const char *permission)
{
  GStrv grants;
  g_autofree char *oid = NULL;
  const char *slash;

  if (vault == NULL || object_id == NULL)
    return FALSE;
  oid = g_ascii_strdown (object_id, -1);
  grants = g_hash_table_lookup (vault->permissions, oid);
  if (grants == NULL)
    return FALSE;
  slash = strchr (permission, '/');
  for (guint i = 0; grants[i] != NULL; i++)
    {
      if (strcmp (grants[i], "*") == 0 || g_ascii_strcasecmp (grants[i], permission) == 0)
        return TRUE;
      /* "<kind>/" followed by a star grants every permission of that kind */
      if (slash != NULL && g_str_has_suffix (grants[i], "/*")
          && strlen (grants[i]) == (gsize) (slash - permission) + 2
          && g_ascii_strncasecmp (grants[i], permission, slash - permission) == 0)
        return TRUE;
    }
  return FALSE;
}

KvbEmuVault *
kvb_emu_state_get_vault (KvbEmuState *s, const char *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (s->vaults, key);
}

static int
vault_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const KvbEmuVault *) a)->name, ((const KvbEmuVault *) b)->name);
}

GList *
kvb_emu_state_get_vaults (KvbEmuState *s)
{
  return g_list_sort (g_hash_table_get_values (s->vaults), vault_cmp);
}

JsonObject *
kvb_emu_state_get_vault_seed (KvbEmuState *s, const char *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (s->vault_seeds, key);
}

KvbEmuTenant *
kvb_emu_state_get_tenant (KvbEmuState *s, const char *id_or_domain)
{
  for (guint i = 0; id_or_domain != NULL && i < s->tenants->len; i++)
    {
      KvbEmuTenant *t = g_ptr_array_index (s->tenants, i);
      if (g_ascii_strcasecmp (t->id, id_or_domain) == 0 || g_ascii_strcasecmp (t->domain, id_or_domain) == 0)
        return t;
    }
  return NULL;
}

GPtrArray *
kvb_emu_state_get_tenants (KvbEmuState *s)
{
  return s->tenants;
}

KvbEmuSubscription *
kvb_emu_state_get_subscription (KvbEmuState *s, const char *id)
{
  for (guint i = 0; id != NULL && i < s->subscriptions->len; i++)
    {
      KvbEmuSubscription *sub = g_ptr_array_index (s->subscriptions, i);
      if (g_ascii_strcasecmp (sub->id, id) == 0)
        return sub;
    }
  return NULL;
}

gboolean
kvb_emu_state_subscription_allows (KvbEmuState *s, KvbEmuSubscription *sub, const char *object_id)
{
  GStrv readers = g_hash_table_lookup (s->sub_readers, sub->id);
  g_autofree char *oid = object_id ? g_ascii_strdown (object_id, -1) : NULL;
  if (readers == NULL)
    return TRUE;
  return oid != NULL && g_strv_contains ((const char * const *) readers, oid);
}

GPtrArray *
kvb_emu_state_get_subscriptions (KvbEmuState *s)
{
  return s->subscriptions;
}

KvbEmuIdentity *
kvb_emu_state_get_identity (KvbEmuState *s, const char *object_id)
{
  for (guint i = 0; object_id != NULL && i < s->identities->len; i++)
    {
      KvbEmuIdentity *id = g_ptr_array_index (s->identities, i);
      if (g_ascii_strcasecmp (id->object_id, object_id) == 0)
        return id;
    }
  return NULL;
}

KvbEmuIdentity *
kvb_emu_state_find_client (KvbEmuState *s, const char *client_id)
{
  for (guint i = 0; client_id != NULL && i < s->identities->len; i++)
    {
      KvbEmuIdentity *id = g_ptr_array_index (s->identities, i);
      if (id->client_id != NULL && g_ascii_strcasecmp (id->client_id, client_id) == 0)
        return id;
    }
  return NULL;
}

KvbEmuIdentity *
kvb_emu_state_find_user (KvbEmuState *s, const char *upn)
{
  for (guint i = 0; upn != NULL && i < s->identities->len; i++)
    {
      KvbEmuIdentity *id = g_ptr_array_index (s->identities, i);
      if (strcmp (id->kind, "user") == 0 && g_ascii_strcasecmp (id->name, upn) == 0)
        return id;
    }
  return NULL;
}

GPtrArray *
kvb_emu_state_get_identities (KvbEmuState *s)
{
  return s->identities;
}

gboolean
kvb_emu_state_is_public_client (KvbEmuState *s, const char *client_id)
{
  for (guint i = 0; client_id != NULL && i < s->public_clients->len; i++)
    {
      const char *c = g_ptr_array_index (s->public_clients, i);
      if (c != NULL && g_ascii_strcasecmp (c, client_id) == 0)
        return TRUE;
    }
  return FALSE;
}

const char * const *
kvb_emu_state_get_public_clients (KvbEmuState *s)
{
  return (const char * const *) s->public_clients->pdata;
}

const char *
kvb_emu_state_get_default_tenant (KvbEmuState *s)
{
  if (s->tenants->len == 0)
    return NULL;
  return ((KvbEmuTenant *) g_ptr_array_index (s->tenants, 0))->id;
}

const char *
kvb_emu_state_get_sample_service_principal (KvbEmuState *s)
{
  return s->sample_sp;
}

const char *
kvb_emu_state_get_sample_user (KvbEmuState *s)
{
  return s->sample_user;
}

const char *
kvb_emu_state_get_generated_certificate_identity (KvbEmuState *s)
{
  return s->generated_cert_identity;
}

guint
kvb_emu_state_get_delete_delay_ms (KvbEmuState *s)
{
  return s->delete_delay_ms;
}

guint
kvb_emu_state_get_recover_delay_ms (KvbEmuState *s)
{
  return s->recover_delay_ms;
}

guint
kvb_emu_state_get_purge_delay_ms (KvbEmuState *s)
{
  return s->purge_delay_ms;
}

void
kvb_emu_state_set_delays_ms (KvbEmuState *s, guint delete_ms, guint recover_ms, guint purge_ms)
{
  s->delete_delay_ms = delete_ms;
  s->recover_delay_ms = recover_ms;
  s->purge_delay_ms = purge_ms;
}

guint
kvb_emu_state_get_device_code_interval (KvbEmuState *s)
{
  return s->device_code_interval;
}

guint
kvb_emu_state_get_device_code_lifetime (KvbEmuState *s)
{
  return s->device_code_lifetime;
}

GBytes *
kvb_emu_state_get_master_key (KvbEmuState *s)
{
  return s->master_key;
}

const char *
kvb_emu_location_geography (const char *location)
{
  static const struct { const char *prefix; const char *geo; } table[] = {
    /* order matters: longer prefixes first */
    { "usgov", "usgov" }, { "usdod", "usdod" }, { "chinaeast", "china" }, { "chinanorth", "china" },
    { "northeurope", "europe" }, { "westeurope", "europe" },
    { "uksouth", "uk" }, { "ukwest", "uk" },
    { "francecentral", "france" }, { "francesouth", "france" },
    { "germany", "germany" }, { "switzerland", "switzerland" }, { "norway", "norway" },
    { "sweden", "sweden" }, { "poland", "poland" }, { "italy", "italy" }, { "spain", "spain" },
    { "japan", "japan" }, { "korea", "korea" }, { "australia", "australia" },
    { "southeastasia", "asiapacific" }, { "eastasia", "asiapacific" },
    { "centralindia", "india" }, { "southindia", "india" }, { "westindia", "india" },
    { "canada", "canada" }, { "brazil", "brazil" }, { "southafrica", "africa" },
    { "uae", "uae" }, { "qatar", "qatar" }, { "israel", "israel" }, { "mexico", "mexico" },
    { "eastus", "us" }, { "westus", "us" }, { "centralus", "us" }, { "northcentralus", "us" },
    { "southcentralus", "us" }, { "westcentralus", "us" },
  };
  g_autofree char *l = NULL;

  if (location == NULL)
    return "unknown";
  l = g_ascii_strdown (location, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_has_prefix (l, table[i].prefix))
      return table[i].geo;
  return "unknown";
}
