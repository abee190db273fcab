/* kvb-emu-keyvault-store.c: versions, objects and the per-vault store, and the seed reader. */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <string.h>

#include "kvb-emu-keyvault-private.h"

KvbVersion *
_kvb_version_new (void)
{
  KvbVersion *v = g_new0 (KvbVersion, 1);

  v->enabled = TRUE;
  return v;
}

void
_kvb_version_free (KvbVersion *v)
{
  if (v == NULL)
    return;
  g_free (v->id);
  g_clear_pointer (&v->tags, json_object_unref);
  g_free (v->content_type);
  if (v->value)
    memset (v->value, 0, strlen (v->value));
  g_free (v->value);
  g_clear_pointer (&v->jwk, json_object_unref);
  g_free (v->cer);
  g_free (v->x5t);
  g_clear_pointer (&v->policy, json_object_unref);
  g_free (v->pfx_cer);
  if (v->pfx_key)
    memset (v->pfx_key, 0, strlen (v->pfx_key));
  g_free (v->pfx_key);
  g_free (v);
}

static JsonObject *
copy_object (JsonObject *o)
{
  JsonNode *n = json_node_alloc ();
  JsonNode *copy;
  JsonObject *result;

  json_node_init_object (n, o);
  copy = json_node_copy (n);
  result = json_object_ref (json_node_get_object (copy));
  json_node_unref (copy);
  json_node_unref (n);
  return result;
}

static void
set_str (JsonObject *o, const char *member, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (o, member, value);
}

JsonObject *
_kvb_version_to_json (KvbVersion *v)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "id", v->id);
  json_object_set_boolean_member (o, "enabled", v->enabled);
  if (v->nbf)
    json_object_set_int_member (o, "nbf", v->nbf);
  if (v->exp)
    json_object_set_int_member (o, "exp", v->exp);
  json_object_set_int_member (o, "created", v->created);
  json_object_set_int_member (o, "updated", v->updated);
  if (v->tags)
    json_object_set_object_member (o, "tags", copy_object (v->tags));
  set_str (o, "contentType", v->content_type);
  set_str (o, "value", _kvb_version_value (v));
  if (v->jwk)
    json_object_set_object_member (o, "jwk", copy_object (v->jwk));
  set_str (o, "cer", v->cer);
  set_str (o, "x5t", v->x5t);
  if (v->policy)
    json_object_set_object_member (o, "policy", copy_object (v->policy));
  return o;
}

static char *
dup_str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static JsonObject *
dup_obj (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return copy_object (json_node_get_object (n));
}

KvbVersion *
_kvb_version_from_json (JsonObject *o)
{
  KvbVersion *v = _kvb_version_new ();

  v->id = dup_str (o, "id");
  if (v->id == NULL)
    v->id = _kvb_new_version_id ();
  v->enabled = json_object_get_boolean_member_with_default (o, "enabled", TRUE);
  v->nbf = json_object_get_int_member_with_default (o, "nbf", 0);
  v->exp = json_object_get_int_member_with_default (o, "exp", 0);
  v->created = json_object_get_int_member_with_default (o, "created", g_get_real_time () / G_USEC_PER_SEC);
  v->updated = json_object_get_int_member_with_default (o, "updated", v->created);
  v->tags = dup_obj (o, "tags");
  v->content_type = dup_str (o, "contentType");
  v->value = dup_str (o, "value");
  v->jwk = dup_obj (o, "jwk");
  v->cer = dup_str (o, "cer");
  v->x5t = dup_str (o, "x5t");
  v->policy = dup_obj (o, "policy");
  return v;
}

KvbObject *
_kvb_object_new (KvbKind kind, const char *name)
{
  KvbObject *obj = g_new0 (KvbObject, 1);

  obj->kind = kind;
  obj->name = g_strdup (name);
  obj->versions = g_ptr_array_new_with_free_func ((GDestroyNotify) _kvb_version_free);
  return obj;
}

void
_kvb_object_free (KvbObject *obj)
{
  if (obj == NULL)
    return;
  g_free (obj->name);
  g_ptr_array_unref (obj->versions);
  g_clear_pointer (&obj->operation, json_object_unref);
  g_free (obj);
}

static void
pending_free (KvbPending *p)
{
  g_free (p->name);
  g_clear_pointer (&p->operation, json_object_unref);
  for (int i = 0; i < KVB_N_KINDS; i++)
    _kvb_version_free (p->versions[i]);
  g_free (p);
}

static void
store_free (KvbStore *st)
{
  for (int i = 0; i < KVB_N_KINDS; i++)
    {
      g_clear_pointer (&st->sorted[i], g_ptr_array_unref);
      g_hash_table_unref (st->objects[i]);
      g_hash_table_unref (st->purging[i]);
    }
  g_hash_table_unref (st->pending);
  g_free (st);
}

KvbStore *
_kvb_store_get (KvbEmuVault *vault)
{
  KvbStore *st;

  if (vault->data != NULL)
    return vault->data;
  st = g_new0 (KvbStore, 1);
  for (int i = 0; i < KVB_N_KINDS; i++)
    {
      st->objects[i] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) _kvb_object_free);
      st->purging[i] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  st->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) pending_free);
  vault->data = st;
  vault->data_free = (GDestroyNotify) store_free;
  return st;
}

/* Objects enter and leave only through these two, which drop the sorted index. */
void
_kvb_store_put (KvbStore *st, KvbKind kind, KvbObject *obj)
{
  g_clear_pointer (&st->sorted[kind], g_ptr_array_unref);
  g_hash_table_replace (st->objects[kind], g_ascii_strdown (obj->name, -1), obj);
}

void
_kvb_store_remove (KvbStore *st, KvbKind kind, const char *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  g_clear_pointer (&st->sorted[kind], g_ptr_array_unref);
  g_hash_table_remove (st->objects[kind], key);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  const KvbObject *x = *(KvbObject **) a, *y = *(KvbObject **) b;

  return g_ascii_strcasecmp (x->name, y->name);
}

GPtrArray *
_kvb_store_sorted (KvbStore *st, KvbKind kind)
{
  if (st->sorted[kind] == NULL)
    {
      GHashTableIter it;
      gpointer obj;

      st->sorted[kind] = g_ptr_array_sized_new (g_hash_table_size (st->objects[kind]));
      g_hash_table_iter_init (&it, st->objects[kind]);
      while (g_hash_table_iter_next (&it, NULL, &obj))
        g_ptr_array_add (st->sorted[kind], obj);
      g_ptr_array_sort (st->sorted[kind], compare_names);
    }
  return st->sorted[kind];
}

/* ---- seed ---------------------------------------------------------------------------------- */

static gboolean
seed_error (GError **error, const char *vault, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "seed: vault \"%s\": %s", vault, what);
  return FALSE;
}

static gboolean
valid_name (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  if (len == 0 || len > 127)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '-')
      return FALSE;
  return TRUE;
}

static void
apply_common (KvbVersion *v, JsonObject *o, gint64 created)
{
  JsonObject *tags;

  v->created = v->updated = json_object_get_int_member_with_default (o, "created", created);
  v->enabled = json_object_get_boolean_member_with_default (o, "enabled", TRUE);
  v->nbf = json_object_get_int_member_with_default (o, "nbf", 0);
  v->exp = json_object_get_int_member_with_default (o, "exp", 0);
  tags = dup_obj (o, "tags");
  if (tags)
    {
      g_clear_pointer (&v->tags, json_object_unref);
      v->tags = tags;
    }
}

static void
insert_object (KvbStore *st, KvbObject *obj)
{
  _kvb_store_put (st, obj->kind, obj);
}

/* One seed entry: {"name", "versions": [ {...}, ... ] or a count, "deleted", "count"} */
static gboolean
seed_entry (KvbEmuVault *vault, KvbStore *st, KvbKind kind, JsonObject *e, const char *name,
            GError **error)
{
  JsonNode *vn = json_object_get_member (e, "versions");
  g_autoptr(JsonArray) versions = NULL;
  gint64 base = g_get_real_time () / G_USEC_PER_SEC - 30 * 86400;
  gboolean deleted = json_object_get_boolean_member_with_default (e, "deleted", FALSE);
  KvbObject *objs[KVB_N_KINDS] = { NULL, };

  if (!valid_name (name))
    return seed_error (error, vault->name, "an object name is not valid ([0-9a-zA-Z-], at most 127)");
  if (vn != NULL && JSON_NODE_HOLDS_ARRAY (vn))
    versions = json_array_ref (json_node_get_array (vn));
  else
    {
      gint64 n = vn ? json_node_get_int (vn) : 1;

      versions = json_array_new ();
      for (gint64 i = 0; i < CLAMP (n, 1, 600); i++)
        json_array_add_object_element (versions, json_object_new ());
    }

  if (kind == KVB_KIND_CERT)
    for (int k = 0; k < KVB_N_KINDS; k++)
      objs[k] = _kvb_object_new (k, name);
  else
    objs[kind] = _kvb_object_new (kind, name);

  for (guint i = 0; i < json_array_get_length (versions); i++)
    {
      JsonObject *vo = json_array_get_object_element (versions, i);
      gint64 created = base + i * 3600;
      g_autoptr(GError) local = NULL;

      if (vo == NULL)
        {
          for (int k = 0; k < KVB_N_KINDS; k++)
            _kvb_object_free (objs[k]);
          return seed_error (error, vault->name, "a version must be an object");
        }
      if (kind == KVB_KIND_SECRET)
        {
          KvbVersion *v = _kvb_version_new ();
          const char *value = json_object_get_string_member_with_default (vo, "value", NULL);

          v->id = _kvb_new_version_id ();
          v->value = value ? g_strdup (value)
                           : g_strdup_printf ("%s-value-%u", name, i + 1);
          v->content_type = g_strdup (json_object_get_string_member_with_default (
                              vo, "contentType", json_object_get_string_member_with_default (e, "contentType", NULL)));
          apply_common (v, e, created);
          apply_common (v, vo, created);
          g_ptr_array_add (objs[kind]->versions, v);
        }
      else if (kind == KVB_KIND_KEY)
        {
          KvbVersion *v = _kvb_version_new ();
          const char *kty = json_object_get_string_member_with_default (e, "kty", "EC");

          if (!_kvb_make_key (kty, (int) json_object_get_int_member_with_default (e, "key_size", 2048),
                              json_object_get_string_member_with_default (e, "crv", NULL), NULL, TRUE, v, NULL, &local))
            {
              _kvb_version_free (v);
              _kvb_object_free (objs[kind]);
              return seed_error (error, vault->name, local->message);
            }
          v->id = _kvb_new_version_id ();
          apply_common (v, e, created);
          apply_common (v, vo, created);
          g_ptr_array_add (objs[kind]->versions, v);
        }
      else
        {
          KvbCertMaterial m = { 0 };
          JsonObject *policy = json_object_new ();
          JsonObject *kp = json_object_new (), *sp = json_object_new (), *xp = json_object_new ();
          JsonObject *iss = json_object_new ();
          const char *subject = json_object_get_string_member_with_default (e, "subject", NULL);
          g_autofree char *default_subject = g_strdup_printf ("CN=%s", name);

          json_object_set_boolean_member (kp, "exportable", TRUE);
          json_object_set_string_member (kp, "kty", json_object_get_string_member_with_default (e, "kty", "RSA"));
          if (g_str_has_prefix (json_object_get_string_member (kp, "kty"), "RSA"))
            json_object_set_int_member (kp, "key_size", json_object_get_int_member_with_default (e, "key_size", 2048));
          else
            json_object_set_string_member (kp, "crv", json_object_get_string_member_with_default (e, "crv", "P-256"));
          json_object_set_boolean_member (kp, "reuse_key", FALSE);
          json_object_set_string_member (sp, "contentType",
                                         json_object_get_string_member_with_default (e, "contentType", "application/x-pkcs12"));
          json_object_set_string_member (xp, "subject", subject ? subject : default_subject);
          json_object_set_array_member (xp, "ekus", json_array_new ());
          json_object_set_int_member (xp, "validity_months", json_object_get_int_member_with_default (e, "validity_months", 12));
          json_object_set_string_member (iss, "name", "Self");
          json_object_set_object_member (policy, "key_props", kp);
          json_object_set_object_member (policy, "secret_props", sp);
          json_object_set_object_member (policy, "x509_props", xp);
          json_object_set_object_member (policy, "issuer", iss);
          {
            JsonObject *full = _kvb_normalize_policy (policy);

            json_object_unref (policy);
            policy = full;
          }
          if (!_kvb_make_certificate (policy, TRUE, &m, &local))
            {
              json_object_unref (policy);
              for (int k = 0; k < KVB_N_KINDS; k++)
                _kvb_object_free (objs[k]);
              return seed_error (error, vault->name, local->message);
            }
          m.cert->policy = policy;
          apply_common (m.cert, e, created);
          apply_common (m.cert, vo, created);
          m.key->created = m.key->updated = m.secret->created = m.secret->updated = m.cert->created;
          g_ptr_array_add (objs[KVB_KIND_CERT]->versions, m.cert);
          g_ptr_array_add (objs[KVB_KIND_KEY]->versions, m.key);
          g_ptr_array_add (objs[KVB_KIND_SECRET]->versions, m.secret);
          g_free (m.csr);
        }
    }

  for (int k = 0; k < KVB_N_KINDS; k++)
    {
      if (objs[k] == NULL)
        continue;
      objs[k]->managed = kind == KVB_KIND_CERT && k != KVB_KIND_CERT;
      if (deleted && vault->soft_delete)
        {
          objs[k]->deleted = TRUE;
          objs[k]->deleted_date = base + 29 * 86400;
        }
      if (deleted && !vault->soft_delete)
        _kvb_object_free (objs[k]);
      else
        insert_object (st, objs[k]);
    }
  return TRUE;
}

gboolean
kvb_emu_keyvault_seed (KvbEmuVault *vault,
                       JsonObject  *vault_seed,
                       GError     **error)
{
  static const char *arrays[KVB_N_KINDS] = { "secrets", "keys", "certificates" };
  KvbStore *st = _kvb_store_get (vault);

  for (int kind = 0; kind < KVB_N_KINDS; kind++)
    {
      JsonNode *an = vault_seed ? json_object_get_member (vault_seed, arrays[kind]) : NULL;
      JsonArray *arr;

      if (an == NULL)
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (an))
        return seed_error (error, vault->name, "\"secrets\", \"keys\" and \"certificates\" must be arrays");
      arr = json_node_get_array (an);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          JsonObject *e = json_array_get_object_element (arr, i);
          const char *name = e ? json_object_get_string_member_with_default (e, "name", NULL) : NULL;
          gint64 count;

          if (name == NULL)
            return seed_error (error, vault->name, "every object needs a \"name\"");
          /* "count": N makes N objects name-01 … name-N, to fill a vault for paging. */
          count = json_object_get_int_member_with_default (e, "count", 0);
          if (count > 0)
            {
              for (gint64 c = 1; c <= MIN (count, 5000); c++)
                {
                  g_autofree char *numbered = g_strdup_printf ("%s-%02" G_GINT64_FORMAT, name, c);

                  if (!seed_entry (vault, st, kind, e, numbered, error))
                    return FALSE;
                }
            }
          else if (!seed_entry (vault, st, kind, e, name, error))
            return FALSE;
        }
    }
  return TRUE;
}
