/* kvb-emu-keyvault.c: the Key Vault data plane — routing, errors, paging, soft delete, backup
 * and restore, for secrets, keys and certificates.
 *
 * Shapes, codes and messages follow the recordings of the real service (tests/data/recordings) and
 * keyvault-api.md; where those are silent the choice is documented in README.md.  Time-based
 * states (being deleted, being recovered, being purged, pending certificates) are computed from
 * timestamps on each request, so no timers run.
 */
#define G_LOG_DOMAIN "kvb-emulator"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kvb-emu-keyvault-private.h"
#include "kvb-emu-reply.h"
#include "kvb-emu-seal.h"

#define MAX_BODY (32 * 1024 * 1024)   /* the same as the server's limit, see kvb-emulator.c */
#define MAX_SECRET_VALUE (25 * 1024)
#define MAX_BACKUP_VERSIONS 500
#define MAX_PAGE 25
#define CERT_RETRY_AFTER "10"

static const char *supported_versions[] = {
  "2016-10-01", "7.0", "7.1", "7.2", "7.3-preview", "7.3", "7.4-preview.1", "7.4", "7.5-preview.1",
  "7.5", "7.6-preview.1", "7.6-preview.2", "7.6", "2025-06-01-preview", "2025-07-01",
  "2026-01-01-preview", "2026-03-01-preview", "2026-04-01", NULL
};
#define LATEST_VERSION "2026-04-01"

static const char *collection[KVB_N_KINDS] = { "secrets", "keys", "certificates" };
static const char *deleted_collection[KVB_N_KINDS] = { "deletedsecrets", "deletedkeys", "deletedcertificates" };
static const char *noun[KVB_N_KINDS] = { "secret", "key", "certificate" };
static const char *Noun[KVB_N_KINDS] = { "Secret", "Key", "Certificate" };
static const char *not_found_code[KVB_N_KINDS] = { "SecretNotFound", "KeyNotFound", "CertificateNotFound" };

typedef enum
{
  ST_ABSENT,
  ST_LIVE,
  ST_RECOVERING,
  ST_BEING_DELETED,
  ST_DELETED,
  ST_PURGING,
} KvbState;

typedef struct
{
  KvbEmuRequest *req;
  KvbStore *store;
  gint64 now;        /* monotonic µs */
  gint64 unix_now;   /* seconds */
  const char *api_version;
  char *base;        /* base URL with an explicit port, as the service writes it */
} Ctx;

/* ---- replies ------------------------------------------------------------------------------- */

static void
reply (Ctx *c, guint status, JsonObject *o)
{
  JsonNode *n = json_node_alloc ();

  json_node_init_object (n, o);
  json_object_unref (o);
  kvb_emu_reply_json (c->req->msg, status, n);
}

static void
error_reply (Ctx *c, guint status, const char *code, const char *inner, const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static void
error_reply (Ctx *c, guint status, const char *code, const char *inner, const char *fmt, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, fmt);
  message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  kvb_emu_reply_error (c->req->msg, status, code, message, inner);
}

static void
bad_parameter (Ctx *c, const char *message)
{
  error_reply (c, 400, "BadParameter", NULL, "%s", message);
}

static void
not_found (Ctx *c, KvbKind kind, const char *name_or_id)
{
  error_reply (c, 404, not_found_code[kind], NULL,
               "A %s with (name/id) %s was not found in this key vault. If you recently deleted this %s you "
               "may be able to recover it using the correct recovery command. For help resolving this issue, "
               "please see https://go.microsoft.com/fwlink/?linkid=2125182",
               noun[kind], name_or_id, noun[kind]);
}

static void
deleted_not_found (Ctx *c, KvbKind kind, const char *name)
{
  error_reply (c, 404, not_found_code[kind], NULL, "Deleted %s not found: %s", Noun[kind], name);
}

static void
malformed_blob (Ctx *c)
{
  error_reply (c, 400, "Malformed backup blob", NULL, "Backup blob is corrupt.");
}

/* ---- store state --------------------------------------------------------------------------- */

/* The state of an object that is in the store (so neither absent nor purging). */
static KvbState
object_state_of (Ctx *c, KvbObject *obj)
{
  if (obj->deleted)
    return c->now < obj->deleted_visible_at ? ST_BEING_DELETED : ST_DELETED;
  return c->now < obj->readable_at ? ST_RECOVERING : ST_LIVE;
}

static KvbState
object_state (Ctx *c, KvbKind kind, const char *name, KvbObject **out)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  KvbObject *obj = g_hash_table_lookup (c->store->objects[kind], key);
  gint64 *until;

  if (out)
    *out = obj;
  if (obj != NULL)
    return object_state_of (c, obj);
  until = g_hash_table_lookup (c->store->purging[kind], key);
  if (until != NULL)
    {
      if (c->now < *until)
        return ST_PURGING;
      g_hash_table_remove (c->store->purging[kind], key);
    }
  return ST_ABSENT;
}

/* The 409 for a name that cannot be (re)used now; FALSE if it was sent. */
static gboolean
check_name_free (Ctx *c, KvbKind kind, const char *name, gboolean live_is_conflict)
{
  KvbObject *obj;

  switch (object_state (c, kind, name, &obj))
    {
    case ST_ABSENT:
      return TRUE;
    case ST_LIVE:
      if (!live_is_conflict)
        return TRUE;
      error_reply (c, 409, "Conflict", NULL,
                   "There was a conflict restoring the %s '%s'. A %s with the same name already exists in "
                   "this key vault; restore does not overwrite it. Delete and purge it first, or restore "
                   "into another vault.", noun[kind], obj->name, noun[kind]);
      return FALSE;
    case ST_DELETED:
      error_reply (c, 409, "Conflict", "ObjectIsDeletedButRecoverable",
                   "%s %s is currently in a deleted but recoverable state, and its name cannot be reused; in "
                   "this state, the %s can only be recovered or purged.", Noun[kind], obj->name, noun[kind]);
      return FALSE;
    case ST_BEING_DELETED:
    case ST_PURGING:
      error_reply (c, 409, "Conflict", "ObjectIsBeingDeleted",
                   "%s %s is currently being deleted and cannot be re-created; retry later.", Noun[kind],
                   obj ? obj->name : name);
      return FALSE;
    case ST_RECOVERING:
      error_reply (c, 409, "Conflict", "ObjectIsBeingRecovered",
                   "%s %s is currently being recovered and cannot be re-created; retry later.", Noun[kind],
                   obj->name);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
}

static void
settle_pending (Ctx *c)
{
  GHashTableIter it;
  KvbPending *p;

  g_hash_table_iter_init (&it, c->store->pending);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &p))
    {
      if (c->now < p->due)
        continue;
      for (int k = 0; k < KVB_N_KINDS; k++)
        {
          KvbObject *obj = NULL;
          KvbState s = object_state (c, k, p->name, &obj);

          if (s == ST_ABSENT)
            {
              obj = _kvb_object_new (k, p->name);
              obj->managed = k != KVB_KIND_CERT;
              _kvb_store_put (c->store, k, obj);
            }
          else if (s != ST_LIVE && s != ST_RECOVERING)
            continue;   /* deleted meanwhile: the new version is dropped, as a cancelled request */
          g_ptr_array_add (obj->versions, g_steal_pointer (&p->versions[k]));
          if (k == KVB_KIND_CERT)
            {
              json_object_set_string_member (p->operation, "status", "completed");
              json_object_remove_member (p->operation, "status_details");
              g_clear_pointer (&obj->operation, json_object_unref);
              obj->operation = json_object_ref (p->operation);
            }
        }
      g_hash_table_iter_remove (&it);
    }
}

/* ---- JSON shapes --------------------------------------------------------------------------- */

static char *
object_url (Ctx *c, const char *coll, const char *name, const char *version)
{
  if (version)
    return g_strdup_printf ("%s/%s/%s/%s", c->base, coll, name, version);
  return g_strdup_printf ("%s/%s/%s", c->base, coll, name);
}

static const char *
recovery_level (KvbEmuVault *v)
{
  if (!v->soft_delete)
    return "Purgeable";
  if (v->retention_days < 90)
    return v->purge_protection ? "CustomizedRecoverable" : "CustomizedRecoverable+Purgeable";
  return v->purge_protection ? "Recoverable" : "Recoverable+Purgeable";
}

static JsonObject *
attributes_json (Ctx *c, KvbVersion *v, gboolean with_recovery)
{
  JsonObject *a = json_object_new ();

  json_object_set_boolean_member (a, "enabled", v->enabled);
  if (v->nbf)
    json_object_set_int_member (a, "nbf", v->nbf);
  if (v->exp)
    json_object_set_int_member (a, "exp", v->exp);
  json_object_set_int_member (a, "created", v->created);
  json_object_set_int_member (a, "updated", v->updated);
  if (with_recovery)
    {
      json_object_set_string_member (a, "recoveryLevel", recovery_level (c->req->vault));
      json_object_set_int_member (a, "recoverableDays", c->req->vault->soft_delete ? c->req->vault->retention_days : 0);
    }
  return a;
}

static JsonObject *
copy_json_object (JsonObject *o)
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
add_tags (JsonObject *o, KvbVersion *v, gboolean always)
{
  if (v->tags)
    json_object_set_object_member (o, "tags", copy_json_object (v->tags));
  else if (always)
    json_object_set_object_member (o, "tags", json_object_new ());
}

static JsonObject *
key_json (Ctx *c, KvbObject *obj, KvbVersion *v)
{
  JsonObject *k = json_object_new ();
  g_autofree char *kid = object_url (c, "keys", obj->name, v->id);
  g_autoptr(GList) members = NULL;

  json_object_set_string_member (k, "kid", kid);
  members = json_object_get_members (v->jwk);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (k, l->data, json_node_copy (json_object_get_member (v->jwk, l->data)));
  return k;
}

static JsonObject *
policy_json (Ctx *c, KvbObject *obj, KvbVersion *v)
{
  JsonObject *p = json_object_new ();
  g_autofree char *id = g_strdup_printf ("%s/certificates/%s/policy", c->base, obj->name);
  g_autoptr(GList) members = NULL;
  JsonObject *attrs;

  json_object_set_string_member (p, "id", id);
  if (v->policy)
    {
      members = json_object_get_members (v->policy);
      for (GList *l = members; l; l = l->next)
        if (strcmp (l->data, "attributes") != 0)
          json_object_set_member (p, l->data, json_node_copy (json_object_get_member (v->policy, l->data)));
    }
  attrs = json_object_new ();
  json_object_set_boolean_member (attrs, "enabled", TRUE);
  json_object_set_int_member (attrs, "created", v->created);
  json_object_set_int_member (attrs, "updated", v->updated);
  json_object_set_object_member (p, "attributes", attrs);
  return p;
}

typedef enum
{
  SHAPE_BUNDLE,          /* get, set, create, update */
  SHAPE_BUNDLE_NO_VALUE, /* delete, recover, update: a secret's value is left out */
  SHAPE_RESTORED,        /* restore: no value, no pending operation (as recorded) */
  SHAPE_ITEM,            /* lists */
  SHAPE_VERSION_ITEM,    /* list versions */
} Shape;

static JsonObject *
object_json (Ctx *c, KvbObject *obj, KvbVersion *v, Shape shape)
{
  JsonObject *o = json_object_new ();
  gboolean item = shape == SHAPE_ITEM || shape == SHAPE_VERSION_ITEM;
  const char *ver = shape == SHAPE_ITEM ? NULL : v->id;

  switch (obj->kind)
    {
    case KVB_KIND_SECRET:
      {
        g_autofree char *id = object_url (c, "secrets", obj->name, ver);

        if (shape == SHAPE_BUNDLE && _kvb_version_value (v))
          json_object_set_string_member (o, "value", _kvb_version_value (v));
        if (v->content_type)
          json_object_set_string_member (o, "contentType", v->content_type);
        json_object_set_string_member (o, "id", id);
        if (obj->managed)
          {
            json_object_set_boolean_member (o, "managed", TRUE);
            if (!item)
              {
                g_autofree char *kid = object_url (c, "keys", obj->name, v->id);

                json_object_set_string_member (o, "kid", kid);
              }
          }
        json_object_set_object_member (o, "attributes", attributes_json (c, v, TRUE));
        add_tags (o, v, obj->managed);
      }
      break;
    case KVB_KIND_KEY:
      if (item)
        {
          g_autofree char *kid = object_url (c, "keys", obj->name, ver);

          json_object_set_string_member (o, "kid", kid);
        }
      else
        json_object_set_object_member (o, "key", key_json (c, obj, v));
      json_object_set_object_member (o, "attributes", attributes_json (c, v, TRUE));
      add_tags (o, v, FALSE);
      if (obj->managed)
        json_object_set_boolean_member (o, "managed", TRUE);
      break;
    case KVB_KIND_CERT:
      {
        g_autofree char *id = object_url (c, "certificates", obj->name, ver);

        json_object_set_string_member (o, "id", id);
        if (!item)
          {
            g_autofree char *kid = object_url (c, "keys", obj->name, v->id);
            g_autofree char *sid = object_url (c, "secrets", obj->name, v->id);

            json_object_set_string_member (o, "kid", kid);
            json_object_set_string_member (o, "sid", sid);
          }
        json_object_set_string_member (o, "x5t", v->x5t);
        if (!item)
          json_object_set_string_member (o, "cer", v->cer);
        /* Observed: certificate list items carry no recoveryLevel, bundles do. */
        json_object_set_object_member (o, "attributes", attributes_json (c, v, !item));
        add_tags (o, v, TRUE);
        if (item)
          json_object_set_string_member (o, "subject", "");
        else
          json_object_set_object_member (o, "policy", policy_json (c, obj, v));
        if (!item && shape != SHAPE_RESTORED && obj->operation)
          {
            JsonObject *pending = json_object_new ();
            g_autofree char *pid = g_strdup_printf ("%s/certificates/%s/pending", c->base, obj->name);

            json_object_set_string_member (pending, "id", pid);
            json_object_set_object_member (o, "pending", pending);
          }
      }
      break;
    default:
      g_assert_not_reached ();
    }
  return o;
}

/* The deleted-object fields go first, as the service writes them. */
static JsonObject *
deleted_json (Ctx *c, KvbObject *obj, JsonObject *inner)
{
  JsonObject *o = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (inner);

  if (c->req->vault->soft_delete)
    {
      g_autofree char *rid = object_url (c, deleted_collection[obj->kind], obj->name, NULL);

      json_object_set_string_member (o, "recoveryId", rid);
      json_object_set_int_member (o, "deletedDate", obj->deleted_date);
      json_object_set_int_member (o, "scheduledPurgeDate",
                                  obj->deleted_date + (gint64) c->req->vault->retention_days * 86400);
    }
  for (GList *l = members; l; l = l->next)
    json_object_set_member (o, l->data, json_node_copy (json_object_get_member (inner, l->data)));
  json_object_unref (inner);
  return o;
}

static KvbVersion *
latest (KvbObject *obj)
{
  return obj->versions->len ? g_ptr_array_index (obj->versions, obj->versions->len - 1) : NULL;
}

/* ---- permissions --------------------------------------------------------------------------- */

static const char *
rbac_action (KvbKind kind, const char *op)
{
  static const struct { KvbKind kind; const char *op; const char *action; } table[] = {
    { KVB_KIND_SECRET, "get", "Microsoft.KeyVault/vaults/secrets/getSecret/action" },
    { KVB_KIND_SECRET, "list", "Microsoft.KeyVault/vaults/secrets/readMetadata/action" },
    { KVB_KIND_SECRET, "set", "Microsoft.KeyVault/vaults/secrets/setSecret/action" },
    { KVB_KIND_SECRET, "delete", "Microsoft.KeyVault/vaults/secrets/delete" },
    { KVB_KIND_SECRET, "purge", "Microsoft.KeyVault/vaults/deletedSecrets/delete" },
    { KVB_KIND_SECRET, "recover", "Microsoft.KeyVault/vaults/deletedSecrets/recover/action" },
    { KVB_KIND_KEY, "get", "Microsoft.KeyVault/vaults/keys/read" },
    { KVB_KIND_KEY, "list", "Microsoft.KeyVault/vaults/keys/read" },
    { KVB_KIND_KEY, "create", "Microsoft.KeyVault/vaults/keys/create/action" },
    { KVB_KIND_KEY, "import", "Microsoft.KeyVault/vaults/keys/import/action" },
    { KVB_KIND_KEY, "update", "Microsoft.KeyVault/vaults/keys/write" },
    { KVB_KIND_KEY, "delete", "Microsoft.KeyVault/vaults/keys/delete" },
    { KVB_KIND_KEY, "purge", "Microsoft.KeyVault/vaults/deletedKeys/delete" },
    { KVB_KIND_KEY, "recover", "Microsoft.KeyVault/vaults/deletedKeys/recover/action" },
    { KVB_KIND_CERT, "get", "Microsoft.KeyVault/vaults/certificates/read" },
    { KVB_KIND_CERT, "list", "Microsoft.KeyVault/vaults/certificates/read" },
    { KVB_KIND_CERT, "create", "Microsoft.KeyVault/vaults/certificates/create/action" },
    { KVB_KIND_CERT, "import", "Microsoft.KeyVault/vaults/certificates/import/action" },
    { KVB_KIND_CERT, "update", "Microsoft.KeyVault/vaults/certificates/write" },
    { KVB_KIND_CERT, "delete", "Microsoft.KeyVault/vaults/certificates/delete" },
    { KVB_KIND_CERT, "purge", "Microsoft.KeyVault/vaults/deletedCertificates/delete" },
    { KVB_KIND_CERT, "recover", "Microsoft.KeyVault/vaults/deletedCertificates/recover/action" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].kind == kind && strcmp (table[i].op, op) == 0)
      return table[i].action;
  return NULL;   /* backup, restore: built below */
}

/* Sends the 403 and returns FALSE when the caller lacks "<kind>/<op>". */
static gboolean
allowed (Ctx *c, KvbKind kind, const char *op)
{
  KvbEmuVault *v = c->req->vault;
  g_autofree char *perm = g_strdup_printf ("%s/%s", collection[kind], op);
  KvbEmuIdentity *who;
  g_autofree char *caller = NULL;

  if (kvb_emu_vault_allows (v, c->req->caller_object_id, perm))
    return TRUE;
  who = c->req->caller_object_id ? kvb_emu_state_get_identity (c->req->state, c->req->caller_object_id) : NULL;
  if (who && who->client_id && g_strcmp0 (who->kind, "service-principal") == 0)
    caller = g_strdup_printf ("appid=%s;oid=%s;iss=https://sts.windows.net/%s/", who->client_id,
                              who->object_id, who->tenant_id);
  else if (who)
    caller = g_strdup_printf ("upn=%s;oid=%s;iss=https://sts.windows.net/%s/", who->name, who->object_id,
                              who->tenant_id);
  else
    caller = g_strdup_printf ("oid=%s", c->req->caller_object_id ? c->req->caller_object_id : "");
  if (v->rbac)
    {
      const char *action = rbac_action (kind, op);
      g_autofree char *built = action ? NULL
                                      : g_strdup_printf ("Microsoft.KeyVault/vaults/%s/%s/action", collection[kind], op);

      error_reply (c, 403, "Forbidden", "ForbiddenByRbac",
                   "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny "
                   "assignments or role definitions were changed recently, please observe propagation time.\r\n"
                   "Caller: %s\r\nAction: '%s'\r\nResource: '/subscriptions/%s/resourcegroups/%s/providers/"
                   "microsoft.keyvault/vaults/%s'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\n"
                   "DecisionReason: null \r\nVault: %s;location=%s\r\n",
                   caller, action ? action : built, v->subscription_id, v->resource_group, v->name, v->name,
                   v->location);
    }
  else
    error_reply (c, 403, "Forbidden", "ForbiddenByPolicy",
                 "The user, group or application '%s' does not have %s %s permission on key vault '%s;location=%s'. "
                 "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                 caller, collection[kind], op, v->name, v->location);
  return FALSE;
}

/* ---- request helpers ----------------------------------------------------------------------- */

static const char *
query (Ctx *c, const char *name)
{
  return c->req->query ? g_hash_table_lookup (c->req->query, name) : NULL;
}

/* The body as a JSON object; sends the error and returns NULL otherwise. */
static JsonObject *
body_object (Ctx *c)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = c->req->body ? g_bytes_get_size (c->req->body) : 0;
  JsonNode *root;

  if (len == 0)
    {
      bad_parameter (c, "The request body is missing; a JSON object was expected.");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (c->req->body, NULL), len, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      bad_parameter (c, "The request body is not a valid JSON object.");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static const char *
member_string (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n) : NULL;
}

static JsonObject *
member_object (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* Applies "attributes" and "tags" (and "contentType") of a request body to @v; FALSE and a 400 on
 * wrong types. */
static gboolean
apply_body_attributes (Ctx *c, JsonObject *body, KvbVersion *v, gboolean content_type)
{
  JsonNode *n;
  JsonObject *attrs;

  n = json_object_get_member (body, "attributes");
  if (n && !JSON_NODE_HOLDS_NULL (n))
    {
      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          bad_parameter (c, "The property 'attributes' must be an object.");
          return FALSE;
        }
      attrs = json_node_get_object (n);
      if (json_object_has_member (attrs, "enabled"))
        v->enabled = json_object_get_boolean_member_with_default (attrs, "enabled", TRUE);
      if (json_object_has_member (attrs, "nbf"))
        v->nbf = json_object_get_int_member_with_default (attrs, "nbf", 0);
      if (json_object_has_member (attrs, "exp"))
        v->exp = json_object_get_int_member_with_default (attrs, "exp", 0);
    }
  n = json_object_get_member (body, "tags");
  if (n && !JSON_NODE_HOLDS_NULL (n))
    {
      JsonObjectIter it;
      const char *k;
      JsonNode *tv;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          bad_parameter (c, "The property 'tags' must be an object of strings.");
          return FALSE;
        }
      json_object_iter_init (&it, json_node_get_object (n));
      while (json_object_iter_next (&it, &k, &tv))
        if (json_node_get_value_type (tv) != G_TYPE_STRING)
          {
            bad_parameter (c, "The property 'tags' must be an object of strings.");
            return FALSE;
          }
      g_clear_pointer (&v->tags, json_object_unref);
      v->tags = copy_json_object (json_node_get_object (n));
    }
  if (content_type && member_string (body, "contentType"))
    {
      g_free (v->content_type);
      v->content_type = g_strdup (member_string (body, "contentType"));
    }
  return TRUE;
}

static KvbObject *
live_object (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;

  if (object_state (c, kind, name, &obj) != ST_LIVE)
    {
      not_found (c, kind, name);
      return NULL;
    }
  return obj;
}

static KvbObject *
ensure_object (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;

  if (object_state (c, kind, name, &obj) == ST_ABSENT)
    {
      obj = _kvb_object_new (kind, name);
      _kvb_store_put (c->store, kind, obj);
    }
  return obj;
}

/* ---- paging -------------------------------------------------------------------------------- */

static int
compare_versions (gconstpointer a, gconstpointer b)
{
  const KvbVersion *x = *(KvbVersion **) a, *y = *(KvbVersion **) b;

  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* Parses maxresults and $skiptoken: the token is base64url of "kvb1:<marker>", the sort key of
 * the first item of the page.  Sends a 400 and returns FALSE on bad values. */
static gboolean
page_params (Ctx *c, guint *limit, char **marker, gboolean *explicit_limit)
{
  const char *max = query (c, "maxresults");
  const char *token = query (c, "$skiptoken");

  *limit = MAX_PAGE;
  *marker = NULL;
  *explicit_limit = FALSE;
  if (max != NULL)
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (max, &end, 10);

      if (*max == '\0' || *end != '\0' || n < 1 || n > MAX_PAGE)
        {
          bad_parameter (c, "The value of the parameter 'maxresults' is out of range: it must be between 1 and 25.");
          return FALSE;
        }
      *limit = (guint) n;
      *explicit_limit = TRUE;
    }
  if (token != NULL)
    {
      g_autoptr(GBytes) raw = kvb_emu_seal_b64url_decode (token);
      gsize len = raw ? g_bytes_get_size (raw) : 0;
      const char *data = raw ? g_bytes_get_data (raw, NULL) : NULL;

      if (len < 5 || memcmp (data, "kvb1:", 5) != 0)
        {
          bad_parameter (c, "The skip token is not valid.");
          return FALSE;
        }
      *marker = g_strndup (data + 5, len - 5);
    }
  return TRUE;
}

typedef const char *(*SortKeyFunc) (gpointer item);

static const char *
object_sort_key (gpointer item)
{
  return ((KvbObject *) item)->name;
}

static const char *
version_sort_key (gpointer item)
{
  return ((KvbVersion *) item)->id;
}

typedef JsonObject *(*ItemFunc) (Ctx *c, gpointer item, gpointer data);

static void
reply_page (Ctx *c, GPtrArray *items, SortKeyFunc key, gboolean by_name, ItemFunc make, gpointer data)
{
  guint limit, start = 0;
  g_autofree char *marker = NULL;
  gboolean explicit_limit;
  JsonObject *o;
  JsonArray *value;
  guint end;

  if (!page_params (c, &limit, &marker, &explicit_limit))
    return;
  if (marker)
    {
      for (start = 0; start < items->len; start++)
        {
          const char *k = key (g_ptr_array_index (items, start));

          if (by_name ? g_ascii_strcasecmp (k, marker) >= 0 : strcmp (k, marker) == 0)
            break;
        }
    }
  /* The real service's pages are often short; a long list without maxresults starts short so
   * that clients cannot infer the end from the item count. */
  if (!explicit_limit && marker == NULL && items->len > MAX_PAGE)
    limit = 17;
  end = MIN (items->len, start + limit);
  value = json_array_new ();
  for (guint i = start; i < end; i++)
    json_array_add_object_element (value, make (c, g_ptr_array_index (items, i), data));
  o = json_object_new ();
  json_object_set_array_member (o, "value", value);
  if (end < items->len)
    {
      g_autofree char *raw = g_strdup_printf ("kvb1:%s", key (g_ptr_array_index (items, end)));
      g_autofree char *token = kvb_emu_seal_b64url_encode ((const guint8 *) raw, strlen (raw));
      g_autoptr(GString) link = g_string_new (c->base);

      g_string_append_printf (link, "%s?api-version=%s&$skiptoken=%s", c->req->path, c->api_version, token);
      if (explicit_limit)
        g_string_append_printf (link, "&maxresults=%u", limit);
      json_object_set_string_member (o, "nextLink", link->str);
    }
  else
    json_object_set_null_member (o, "nextLink");
  reply (c, 200, o);
}

static JsonObject *
make_item (Ctx *c, gpointer item, gpointer data)
{
  KvbObject *obj = item;

  return object_json (c, obj, latest (obj), SHAPE_ITEM);
}

static JsonObject *
make_deleted_item (Ctx *c, gpointer item, gpointer data)
{
  KvbObject *obj = item;
  JsonObject *inner = object_json (c, obj, latest (obj), SHAPE_ITEM);

  if (obj->kind == KVB_KIND_CERT)
    {
      /* Deleted certificate items carry the recovery attributes and no subject. */
      json_object_set_object_member (inner, "attributes", attributes_json (c, latest (obj), TRUE));
      json_object_remove_member (inner, "subject");
    }
  return deleted_json (c, obj, inner);
}

static JsonObject *
make_version_item (Ctx *c, gpointer item, gpointer data)
{
  return object_json (c, data, item, SHAPE_VERSION_ITEM);
}

static void
op_list (Ctx *c, KvbKind kind, gboolean deleted)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  KvbObject *obj;
  GPtrArray *sorted;
  guint limit, lo, hi;
  g_autofree char *marker = NULL;
  gboolean explicit_limit;

  if (!allowed (c, kind, "list") || !page_params (c, &limit, &marker, &explicit_limit))
    return;

  /* Only the objects of this page and the next one's first are looked at, from the marker on
   * in the store's name order: a page costs the same at the start and the end of a long list. */
  sorted = _kvb_store_sorted (c->store, kind);
  lo = 0;
  hi = sorted->len;
  while (marker != NULL && lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      obj = g_ptr_array_index (sorted, mid);
      if (g_ascii_strcasecmp (obj->name, marker) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (guint i = lo; i < sorted->len && items->len <= MAX (limit, MAX_PAGE); i++)
    {
      KvbState s;

      obj = g_ptr_array_index (sorted, i);
      s = object_state_of (c, obj);
      if ((deleted ? s == ST_DELETED : s == ST_LIVE) && obj->versions->len > 0)
        g_ptr_array_add (items, obj);
    }
  reply_page (c, items, object_sort_key, TRUE, deleted ? make_deleted_item : make_item, NULL);
}

static void
op_list_versions (Ctx *c, KvbKind kind, const char *name)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  KvbObject *obj;

  if (!allowed (c, kind, "list") || !(obj = live_object (c, kind, name)))
    return;
  for (guint i = 0; i < obj->versions->len; i++)
    g_ptr_array_add (items, g_ptr_array_index (obj->versions, i));
  g_ptr_array_sort (items, compare_versions);
  reply_page (c, items, version_sort_key, FALSE, make_version_item, obj);
}

/* ---- get, set, create, import, update ------------------------------------------------------ */

static KvbVersion *
find_version (KvbObject *obj, const char *version)
{
  if (version == NULL || *version == '\0')
    return latest (obj);
  for (guint i = 0; i < obj->versions->len; i++)
    {
      KvbVersion *v = g_ptr_array_index (obj->versions, i);

      if (g_ascii_strcasecmp (v->id, version) == 0)
        return v;
    }
  return NULL;
}

static void
op_get (Ctx *c, KvbKind kind, const char *name, const char *version)
{
  KvbObject *obj;
  KvbVersion *v;

  if (!allowed (c, kind, "get"))
    return;
  if (object_state (c, kind, name, &obj) != ST_LIVE || !(v = find_version (obj, version)))
    {
      g_autofree char *id = version && *version ? g_strdup_printf ("%s/%s", name, version) : g_strdup (name);

      not_found (c, kind, id);
      return;
    }
  if (kind == KVB_KIND_SECRET && !v->enabled)
    {
      error_reply (c, 403, "Forbidden", "SecretDisabled", "Operation get is not allowed on a disabled secret.");
      return;
    }
  reply (c, 200, object_json (c, obj, v, SHAPE_BUNDLE));
}

static gboolean
check_managed_free (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;

  if (object_state (c, kind, name, &obj) == ST_LIVE && obj->managed)
    {
      error_reply (c, 403, "Forbidden", kind == KVB_KIND_SECRET ? "SecretManagedByKeyVault" : NULL,
                   "Operation \"%s\" is not allowed on this %s, since it is associated with a certificate. "
                   "Perform the operation on the corresponding certificate.",
                   kind == KVB_KIND_SECRET ? "set" : "create", noun[kind]);
      return FALSE;
    }
  return TRUE;
}

static void
op_set_secret (Ctx *c, const char *name)
{
  g_autoptr(JsonObject) body = NULL;
  const char *value;
  KvbVersion *v;
  KvbObject *obj;

  if (!allowed (c, KVB_KIND_SECRET, "set") || !(body = body_object (c)))
    return;
  value = member_string (body, "value");
  if (value == NULL)
    {
      bad_parameter (c, "The property 'value' is required and must be a string.");
      return;
    }
  if (strlen (value) > MAX_SECRET_VALUE)
    {
      bad_parameter (c, "The secret value is too large: the maximum size of a secret is 25 KB.");
      return;
    }
  if (!check_managed_free (c, KVB_KIND_SECRET, name) || !check_name_free (c, KVB_KIND_SECRET, name, FALSE))
    return;
  v = _kvb_version_new ();
  v->id = _kvb_new_version_id ();
  v->value = g_strdup (value);
  v->created = v->updated = c->unix_now;
  if (!apply_body_attributes (c, body, v, TRUE))
    {
      _kvb_version_free (v);
      return;
    }
  obj = ensure_object (c, KVB_KIND_SECRET, name);
  g_ptr_array_add (obj->versions, v);
  reply (c, 200, object_json (c, obj, v, SHAPE_BUNDLE));
}

static void
op_create_key (Ctx *c, const char *name, gboolean import)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  KvbVersion *v;
  KvbObject *obj;

  if (!allowed (c, KVB_KIND_KEY, import ? "import" : "create") || !(body = body_object (c)))
    return;
  if (!check_managed_free (c, KVB_KIND_KEY, name) || !check_name_free (c, KVB_KIND_KEY, name, FALSE))
    return;
  v = _kvb_version_new ();
  if (import)
    {
      JsonObject *jwk = member_object (body, "key");
      static const char *public_members[] = { "kty", "key_ops", "n", "e", "crv", "x", "y", NULL };

      if (jwk == NULL || member_string (jwk, "kty") == NULL)
        {
          _kvb_version_free (v);
          bad_parameter (c, "The property 'key' is required and must be a JSON Web Key with 'kty'.");
          return;
        }
      /* Only the public members are kept: nothing private is ever returned. */
      v->jwk = json_object_new ();
      for (const char **m = public_members; *m; m++)
        if (json_object_has_member (jwk, *m))
          json_object_set_member (v->jwk, *m, json_node_copy (json_object_get_member (jwk, *m)));
    }
  else
    {
      const char *kty = member_string (body, "kty");
      JsonNode *ops = json_object_get_member (body, "key_ops");

      if (kty == NULL || !(g_str_equal (kty, "RSA") || g_str_equal (kty, "RSA-HSM") || g_str_equal (kty, "EC")
                           || g_str_equal (kty, "EC-HSM")))
        {
          _kvb_version_free (v);
          bad_parameter (c, "The property 'kty' is required: RSA, RSA-HSM, EC or EC-HSM.");
          return;
        }
      if (!_kvb_make_key (kty, (int) json_object_get_int_member_with_default (body, "key_size", 2048),
                          member_string (body, "crv"), ops && JSON_NODE_HOLDS_ARRAY (ops) ? json_node_get_array (ops) : NULL,
                          FALSE, v, NULL, &error))
        {
          _kvb_version_free (v);
          bad_parameter (c, "The key parameters are not valid (key_size 2048, 3072 or 4096; crv P-256, P-384 or P-521).");
          return;
        }
    }
  v->id = _kvb_new_version_id ();
  v->created = v->updated = c->unix_now;
  if (!apply_body_attributes (c, body, v, FALSE))
    {
      _kvb_version_free (v);
      return;
    }
  obj = ensure_object (c, KVB_KIND_KEY, name);
  g_ptr_array_add (obj->versions, v);
  reply (c, 200, object_json (c, obj, v, SHAPE_BUNDLE));
}

static JsonObject *
operation_json (Ctx *c, const char *name, JsonObject *op)
{
  JsonObject *o = json_object_new ();
  g_autofree char *id = g_strdup_printf ("%s/certificates/%s/pending", c->base, name);
  g_autoptr(GList) members = json_object_get_members (op);

  json_object_set_string_member (o, "id", id);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (o, l->data, json_node_copy (json_object_get_member (op, l->data)));
  if (g_strcmp0 (json_object_get_string_member_with_default (op, "status", ""), "completed") == 0)
    {
      g_autofree char *target = g_strdup_printf ("%s/certificates/%s", c->base, name);

      json_object_set_string_member (o, "target", target);
    }
  return o;
}

static gboolean
certificate_names_free (Ctx *c, const char *name, gboolean live_is_conflict)
{
  if (!check_name_free (c, KVB_KIND_CERT, name, live_is_conflict))
    return FALSE;
  /* A certificate's key and secret share its name. */
  for (int k = KVB_KIND_SECRET; k <= KVB_KIND_KEY; k++)
    {
      KvbObject *obj;
      KvbState s = object_state (c, k, name, &obj);

      if (s == ST_LIVE && !obj->managed)
        {
          error_reply (c, 409, "Conflict", NULL,
                       "There is already a %s with the name '%s' in this key vault that is not associated with a "
                       "certificate; a certificate cannot use that name.", noun[k], name);
          return FALSE;
        }
      if (!check_name_free (c, k, name, live_is_conflict))
        return FALSE;
    }
  return TRUE;
}

static void
store_material (Ctx *c, const char *name, KvbCertMaterial *m)
{
  KvbVersion *parts[KVB_N_KINDS] = { m->secret, m->key, m->cert };

  for (int k = 0; k < KVB_N_KINDS; k++)
    {
      KvbObject *obj = ensure_object (c, k, name);

      obj->managed = k != KVB_KIND_CERT;
      g_ptr_array_add (obj->versions, parts[k]);
    }
}

static void
op_create_certificate (Ctx *c, const char *name)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *location = NULL;
  KvbCertMaterial m = { 0 };
  JsonObject *policy, *op, *issuer;
  KvbPending *p;
  g_autofree char *key = g_ascii_strdown (name, -1);
  SoupMessageHeaders *headers;

  if (!allowed (c, KVB_KIND_CERT, "create") || !(body = body_object (c)))
    return;
  if (!certificate_names_free (c, name, FALSE))
    return;
  if (g_hash_table_contains (c->store->pending, key))
    {
      error_reply (c, 409, "Conflict", NULL, "There is already a pending operation on certificate %s.", name);
      return;
    }
  if (member_object (body, "policy") == NULL)
    {
      bad_parameter (c, "The property 'policy' is required.");
      return;
    }
  policy = _kvb_normalize_policy (member_object (body, "policy"));
  if (!_kvb_make_certificate (policy, FALSE, &m, &error))
    {
      json_object_unref (policy);
      bad_parameter (c, "The certificate policy is not valid (subject, key type or size).");
      return;
    }
  m.cert->policy = policy;
  if (!apply_body_attributes (c, body, m.cert, FALSE))
    {
      _kvb_version_free (m.cert), _kvb_version_free (m.key), _kvb_version_free (m.secret);
      g_free (m.csr);
      return;
    }

  request_id = _kvb_new_version_id ();
  op = json_object_new ();
  issuer = json_object_new ();
  json_object_set_string_member (issuer, "name",
                                 member_object (policy, "issuer") && member_string (member_object (policy, "issuer"), "name")
                                 ? member_string (member_object (policy, "issuer"), "name") : "Self");
  json_object_set_object_member (op, "issuer", issuer);
  json_object_set_string_member (op, "csr", m.csr);
  json_object_set_boolean_member (op, "cancellation_requested", FALSE);
  json_object_set_string_member (op, "status", "inProgress");
  json_object_set_string_member (op, "status_details",
                                 "Pending certificate created. Certificate request is in progress. This may take "
                                 "some time based on the issuer provider. Please check again later.");
  json_object_set_string_member (op, "request_id", request_id);
  g_free (m.csr);

  p = g_new0 (KvbPending, 1);
  p->name = g_strdup (name);
  p->operation = op;
  p->due = c->now + (gint64) kvb_emu_state_get_delete_delay_ms (c->req->state) * 1000;
  p->versions[KVB_KIND_SECRET] = m.secret;
  p->versions[KVB_KIND_KEY] = m.key;
  p->versions[KVB_KIND_CERT] = m.cert;
  g_hash_table_replace (c->store->pending, g_strdup (key), p);

  reply (c, 202, operation_json (c, name, op));
  headers = soup_server_message_get_response_headers (c->req->msg);
  location = g_strdup_printf ("%s/certificates/%s/pending?api-version=%s", c->base, name, c->api_version);
  soup_message_headers_replace (headers, "Location", location);
  soup_message_headers_replace (headers, "Retry-After", CERT_RETRY_AFTER);
}

static void
op_pending (Ctx *c, const char *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  KvbPending *p;
  KvbObject *obj;

  if (!allowed (c, KVB_KIND_CERT, "get"))
    return;
  p = g_hash_table_lookup (c->store->pending, key);
  if (p != NULL)
    {
      reply (c, 200, operation_json (c, p->name, p->operation));
      soup_message_headers_replace (soup_server_message_get_response_headers (c->req->msg), "Retry-After",
                                    CERT_RETRY_AFTER);
      return;
    }
  if (object_state (c, KVB_KIND_CERT, name, &obj) == ST_LIVE && obj->operation)
    {
      reply (c, 200, operation_json (c, obj->name, obj->operation));
      return;
    }
  error_reply (c, 404, "PendingCertificateNotFound", NULL, "Pending certificate not found: %s", name);
}

static void
op_import_certificate (Ctx *c, const char *name)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  KvbCertMaterial m = { 0 };
  const char *value;
  JsonObject *policy;
  KvbObject *obj;

  if (!allowed (c, KVB_KIND_CERT, "import") || !(body = body_object (c)))
    return;
  value = member_string (body, "value");
  if (value == NULL)
    {
      bad_parameter (c, "The property 'value' is required: the certificate as base64 PKCS#12 or PEM.");
      return;
    }
  if (!certificate_names_free (c, name, FALSE))
    return;
  policy = member_object (body, "policy");
  if (!_kvb_import_certificate (value, member_string (body, "pwd"), policy, &m, &error))
    {
      bad_parameter (c, "The specified PEM X.509 certificate content is in an unexpected format. Please check if "
                        "certificate is in valid PEM format, or the PKCS#12 content or its password is not valid.");
      return;
    }
  m.cert->policy = _kvb_normalize_policy (policy);
  if (policy == NULL)
    {
      JsonObject *sp = json_object_get_object_member (m.cert->policy, "secret_props");

      json_object_set_string_member (sp, "contentType", m.secret->content_type);
      json_object_set_string_member (json_object_get_object_member (m.cert->policy, "issuer"), "name", "Unknown");
    }
  if (!apply_body_attributes (c, body, m.cert, FALSE))
    {
      _kvb_version_free (m.cert), _kvb_version_free (m.key), _kvb_version_free (m.secret);
      return;
    }
  store_material (c, name, &m);
  {
    g_autofree char *key = g_ascii_strdown (name, -1);

    obj = g_hash_table_lookup (c->store->objects[KVB_KIND_CERT], key);
  }
  reply (c, 200, object_json (c, obj, latest (obj), SHAPE_BUNDLE));
}

static void
op_policy (Ctx *c, const char *name)
{
  KvbObject *obj;

  if (!allowed (c, KVB_KIND_CERT, "get") || !(obj = live_object (c, KVB_KIND_CERT, name)))
    return;
  reply (c, 200, policy_json (c, obj, latest (obj)));
}

static void
op_update (Ctx *c, KvbKind kind, const char *name, const char *version)
{
  g_autoptr(JsonObject) body = NULL;
  KvbObject *obj;
  KvbVersion *v;

  if (!allowed (c, kind, kind == KVB_KIND_SECRET ? "set" : "update") || !(body = body_object (c)))
    return;
  if (object_state (c, kind, name, &obj) != ST_LIVE || !(v = find_version (obj, version)))
    {
      g_autofree char *id = version && *version ? g_strdup_printf ("%s/%s", name, version) : g_strdup (name);

      not_found (c, kind, id);
      return;
    }
  if (!apply_body_attributes (c, body, v, kind == KVB_KIND_SECRET))
    return;
  v->updated = c->unix_now;
  reply (c, 200, object_json (c, obj, v, SHAPE_BUNDLE_NO_VALUE));
}

/* ---- delete, recover, purge ---------------------------------------------------------------- */

/* The kinds an operation on @kind touches: a certificate brings its key and secret along. */
static int
family (KvbKind kind, KvbKind out[KVB_N_KINDS])
{
  if (kind != KVB_KIND_CERT)
    {
      out[0] = kind;
      return 1;
    }
  out[0] = KVB_KIND_CERT, out[1] = KVB_KIND_KEY, out[2] = KVB_KIND_SECRET;
  return 3;
}

static void
op_delete (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;
  KvbKind kinds[KVB_N_KINDS];
  JsonObject *o;
  int n;

  if (!allowed (c, kind, "delete") || !(obj = live_object (c, kind, name)))
    return;
  if (obj->managed)
    {
      error_reply (c, 403, "Forbidden", kind == KVB_KIND_SECRET ? "SecretManagedByKeyVault" : NULL,
                   "Operation \"delete\" is not allowed on this %s, since it is associated with a certificate. "
                   "Perform the operation on the corresponding certificate.", noun[kind]);
      return;
    }
  n = family (kind, kinds);
  for (int i = 0; i < n; i++)
    {
      KvbObject *member;

      if (object_state (c, kinds[i], name, &member) != ST_LIVE)
        continue;
      member->deleted = TRUE;
      member->deleted_date = c->unix_now;
      member->deleted_visible_at = c->now + (gint64) kvb_emu_state_get_delete_delay_ms (c->req->state) * 1000;
    }
  o = deleted_json (c, obj, object_json (c, obj, latest (obj), SHAPE_BUNDLE_NO_VALUE));
  if (!c->req->vault->soft_delete)
    {
      /* Without soft delete the delete is final. */
      for (int i = 0; i < n; i++)
        _kvb_store_remove (c->store, kinds[i], name);
    }
  reply (c, 200, o);
}

static KvbObject *
deleted_object (Ctx *c, KvbKind kind, const char *name, gboolean live_style_404)
{
  KvbObject *obj;

  if (!c->req->vault->soft_delete || object_state (c, kind, name, &obj) != ST_DELETED)
    {
      if (live_style_404)
        not_found (c, kind, name);
      else
        deleted_not_found (c, kind, name);
      return NULL;
    }
  return obj;
}

static void
op_get_deleted (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;

  if (!allowed (c, kind, "get") || !(obj = deleted_object (c, kind, name, FALSE)))
    return;
  reply (c, 200, deleted_json (c, obj, object_json (c, obj, latest (obj), SHAPE_BUNDLE_NO_VALUE)));
}

static void
op_recover (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;
  KvbKind kinds[KVB_N_KINDS];
  int n;

  if (!allowed (c, kind, "recover") || !(obj = deleted_object (c, kind, name, TRUE)))
    return;
  n = family (kind, kinds);
  for (int i = 0; i < n; i++)
    {
      KvbObject *member;

      if (object_state (c, kinds[i], name, &member) != ST_DELETED)
        continue;
      member->deleted = FALSE;
      member->readable_at = c->now + (gint64) kvb_emu_state_get_recover_delay_ms (c->req->state) * 1000;
    }
  reply (c, 200, object_json (c, obj, latest (obj), SHAPE_BUNDLE_NO_VALUE));
}

/* libsoup 3.2 drops Content-Length from a 204 while writing it, then takes the bodiless answer
 * for one that ends at EOF and closes the connection, which races with a client reusing it.
 * Azure keeps the connection open; saying "no body" once the headers are out does too. */
static void
keep_alive_after_204 (SoupServerMessage *msg, gpointer user_data)
{
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg), SOUP_ENCODING_NONE);
}

static void
op_purge (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;
  KvbKind kinds[KVB_N_KINDS];
  int n;

  if (!allowed (c, kind, "purge") || !(obj = deleted_object (c, kind, name, FALSE)))
    return;
  if (c->req->vault->purge_protection)
    {
      error_reply (c, 403, "Forbidden", NULL,
                   "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key "
                   "Vault service will automatically purge it after the retention period has passed.");
      return;
    }
  if (obj->managed)
    {
      error_reply (c, 403, "Forbidden", NULL,
                   "Operation \"purge\" is not allowed on this %s, since it is associated with a certificate. "
                   "Perform the operation on the corresponding certificate.", noun[kind]);
      return;
    }
  n = family (kind, kinds);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *key = g_ascii_strdown (name, -1);
      gint64 *until = g_new (gint64, 1);

      *until = c->now + (gint64) kvb_emu_state_get_purge_delay_ms (c->req->state) * 1000;
      _kvb_store_remove (c->store, kinds[i], name);
      g_hash_table_replace (c->store->purging[kinds[i]], g_strdup (key), until);
    }
  kvb_emu_reply_json (c->req->msg, 204, NULL);
  g_signal_connect (c->req->msg, "wrote-headers", G_CALLBACK (keep_alive_after_204), NULL);
}

/* ---- backup and restore -------------------------------------------------------------------- */

static JsonArray *
versions_json (KvbObject *obj)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; i < obj->versions->len; i++)
    json_array_add_object_element (a, _kvb_version_to_json (g_ptr_array_index (obj->versions, i)));
  return a;
}

static void
op_backup (Ctx *c, KvbKind kind, const char *name)
{
  KvbObject *obj;
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(JsonGenerator) gen = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autofree char *value = NULL;
  char *text;
  gsize len;
  JsonObject *o;

  if (!allowed (c, kind, "backup") || !(obj = live_object (c, kind, name)))
    return;
  if (obj->managed)
    {
      error_reply (c, 403, "Forbidden", kind == KVB_KIND_SECRET ? "SecretManagedByKeyVault" : NULL,
                   "Operation \"backup\" is not allowed on this %s, since it is associated with a certificate. "
                   "Perform the operation on the corresponding certificate.", kind == KVB_KIND_KEY ? "Key" : noun[kind]);
      return;
    }
  if (obj->versions->len > MAX_BACKUP_VERSIONS)
    {
      error_reply (c, 400, "BadParameter", NULL,
                   "The %s %s has %u versions. Key Vault does not support the backup of more than 500 versions of "
                   "a key, secret, or certificate object.", noun[kind], obj->name, obj->versions->len);
      return;
    }

  payload = json_object_new ();
  json_object_set_string_member (payload, "kind", noun[kind]);
  json_object_set_string_member (payload, "name", obj->name);
  json_object_set_array_member (payload, "versions", versions_json (obj));
  if (kind == KVB_KIND_CERT)
    {
      KvbObject *k, *s;

      object_state (c, KVB_KIND_KEY, name, &k);
      object_state (c, KVB_KIND_SECRET, name, &s);
      if (k)
        json_object_set_array_member (payload, "key_versions", versions_json (k));
      if (s)
        json_object_set_array_member (payload, "secret_versions", versions_json (s));
      if (obj->operation)
        json_object_set_object_member (payload, "operation", copy_json_object (obj->operation));
    }
  root = json_node_alloc ();
  json_node_init_object (root, payload);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  plain = g_bytes_new_take (text, len);
  blob = kvb_emu_seal (kvb_emu_state_get_master_key (c->req->state), c->req->vault->subscription_id,
                       kvb_emu_location_geography (c->req->vault->location),
                       kind == KVB_KIND_SECRET ? KVB_EMU_SEAL_SECRET_HEADER : KVB_EMU_SEAL_KEY_HEADER, plain);
  memset (text, 0, len);
  value = kvb_emu_seal_b64url_encode (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
  o = json_object_new ();
  json_object_set_string_member (o, "value", value);
  reply (c, 200, o);
}

static GPtrArray *
versions_from_json (JsonObject *payload, const char *member)
{
  JsonNode *n = json_object_get_member (payload, member);
  GPtrArray *out;

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) _kvb_version_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (n)); i++)
    {
      JsonObject *vo = json_array_get_object_element (json_node_get_array (n), i);

      if (vo == NULL)
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      g_ptr_array_add (out, _kvb_version_from_json (vo));
    }
  return out;
}

static void
restore_with (Ctx *c, KvbKind kind, GPtrArray *sets[KVB_N_KINDS])
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *payload;
  JsonNode *root;
  const char *value, *name, *blob_kind;
  KvbObject *obj;
  KvbKind kinds[KVB_N_KINDS];
  int n;

  if (!allowed (c, kind, "restore") || !(body = body_object (c)))
    return;
  value = member_string (body, "value");
  if (value == NULL)
    {
      bad_parameter (c, "The property 'value' is required: the backup blob as base64url.");
      return;
    }
  blob = kvb_emu_seal_b64url_decode (value);
  if (blob == NULL)
    {
      malformed_blob (c);
      return;
    }
  switch (kvb_emu_unseal (kvb_emu_state_get_master_key (c->req->state), c->req->vault->subscription_id,
                          kvb_emu_location_geography (c->req->vault->location),
                          kind == KVB_KIND_SECRET ? KVB_EMU_SEAL_SECRET_HEADER : KVB_EMU_SEAL_KEY_HEADER,
                          blob, &plain))
    {
    case KVB_EMU_SEAL_OK:
      break;
    case KVB_EMU_SEAL_WRONG_SCOPE:
      error_reply (c, 400, "BadParameter", NULL,
                   "Cannot decrypt backup blob. A backup can only be restored into a key vault in the same Azure "
                   "subscription and the same Azure geography as the key vault it was taken from.");
      return;
    case KVB_EMU_SEAL_MALFORMED:
    default:
      malformed_blob (c);
      return;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), NULL)
      || !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    {
      malformed_blob (c);
      return;
    }
  payload = json_node_get_object (root);
  blob_kind = member_string (payload, "kind");
  name = member_string (payload, "name");
  /* A key blob sent to /certificates/restore (or the reverse) is refused like a corrupt one. */
  if (g_strcmp0 (blob_kind, noun[kind]) != 0 || name == NULL)
    {
      malformed_blob (c);
      return;
    }
  sets[kind] = versions_from_json (payload, "versions");
  if (kind == KVB_KIND_CERT)
    {
      sets[KVB_KIND_KEY] = versions_from_json (payload, "key_versions");
      sets[KVB_KIND_SECRET] = versions_from_json (payload, "secret_versions");
    }
  n = family (kind, kinds);
  for (int i = 0; i < n; i++)
    if (sets[kinds[i]] == NULL || sets[kinds[i]]->len == 0)
      {
        malformed_blob (c);
        return;
      }
  if (kind == KVB_KIND_CERT ? !certificate_names_free (c, name, TRUE) : !check_name_free (c, kind, name, TRUE))
    return;

  for (int i = 0; i < n; i++)
    {
      KvbObject *member = _kvb_object_new (kinds[i], name);

      member->managed = kind == KVB_KIND_CERT && kinds[i] != KVB_KIND_CERT;
      while (sets[kinds[i]]->len > 0)
        g_ptr_array_add (member->versions, g_ptr_array_steal_index (sets[kinds[i]], 0));
      if (kinds[i] == KVB_KIND_CERT && json_object_has_member (payload, "operation"))
        member->operation = copy_json_object (member_object (payload, "operation"));
      _kvb_store_put (c->store, kinds[i], member);
    }
  object_state (c, kind, name, &obj);
  reply (c, 200, object_json (c, obj, latest (obj), SHAPE_RESTORED));
}

static void
op_restore (Ctx *c, KvbKind kind)
{
  GPtrArray *sets[KVB_N_KINDS] = { NULL, };

  restore_with (c, kind, sets);
  for (int k = 0; k < KVB_N_KINDS; k++)
    g_clear_pointer (&sets[k], g_ptr_array_unref);
}

/* ---- routing ------------------------------------------------------------------------------- */

static gboolean
valid_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 127)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '-')
      return FALSE;
  return TRUE;
}

static void
method_not_allowed (Ctx *c, const char *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (c->req->msg), "Allow", allow);
  error_reply (c, 405, "MethodNotAllowed", NULL, "The requested resource does not support http method '%s'.",
               c->req->method);
}

static gboolean
is (Ctx *c, const char *method)
{
  return strcmp (c->req->method, method) == 0;
}

static int
kind_of (const char *segment, gboolean *deleted)
{
  for (int k = 0; k < KVB_N_KINDS; k++)
    {
      if (g_ascii_strcasecmp (segment, collection[k]) == 0)
        {
          *deleted = FALSE;
          return k;
        }
      if (g_ascii_strcasecmp (segment, deleted_collection[k]) == 0)
        {
          *deleted = TRUE;
          return k;
        }
    }
  return -1;
}

static char *
explicit_port_base (const char *base_url)
{
  const char *host = strstr (base_url, "://");
  const char *end;

  host = host ? host + 3 : base_url;
  end = host + strlen (host);
  while (end > host && end[-1] == '/')
    end--;
  /* The service writes nextLink and ids with the default port spelled out (":443"). */
  if (memchr (host, ':', end - host) == NULL && g_str_has_prefix (base_url, "https://"))
    return g_strdup_printf ("%.*s:443", (int) (end - base_url), base_url);
  return g_strndup (base_url, end - base_url);
}

static void
route (Ctx *c, char **seg, guint n)
{
  gboolean deleted = FALSE;
  int kind = n >= 1 ? kind_of (seg[0], &deleted) : -1;
  const char *name = n >= 2 ? seg[1] : NULL;

  if (kind < 0)
    {
      error_reply (c, 404, "NotFound", NULL, "The requested resource '%s' was not found on this key vault.",
                   c->req->path);
      return;
    }
  if (n == 1)
    {
      if (is (c, "GET"))
        op_list (c, kind, deleted);
      else
        method_not_allowed (c, "GET");
      return;
    }
  if (!deleted && n == 2 && g_ascii_strcasecmp (name, "restore") == 0 && is (c, "POST"))
    {
      op_restore (c, kind);
      return;
    }
  if (!valid_name (name))
    {
      error_reply (c, 400, "BadParameter", NULL, "The request URI contains an invalid name: %s", name);
      return;
    }
  if (deleted)
    {
      if (n == 2 && is (c, "GET"))
        op_get_deleted (c, kind, name);
      else if (n == 2 && is (c, "DELETE"))
        op_purge (c, kind, name);
      else if (n == 3 && g_ascii_strcasecmp (seg[2], "recover") == 0 && is (c, "POST"))
        op_recover (c, kind, name);
      else if (n == 2)
        method_not_allowed (c, "GET, DELETE");
      else if (n == 3 && g_ascii_strcasecmp (seg[2], "recover") == 0)
        method_not_allowed (c, "POST");
      else
        error_reply (c, 404, "NotFound", NULL, "The requested resource '%s' was not found on this key vault.",
                     c->req->path);
      return;
    }
  if (n == 2)
    {
      if (is (c, "GET"))
        op_get (c, kind, name, NULL);
      else if (is (c, "DELETE"))
        op_delete (c, kind, name);
      else if (is (c, "PATCH"))
        op_update (c, kind, name, NULL);
      else if (is (c, "PUT") && kind == KVB_KIND_SECRET)
        op_set_secret (c, name);
      else if (is (c, "PUT") && kind == KVB_KIND_KEY)
        op_create_key (c, name, TRUE);
      else
        method_not_allowed (c, kind == KVB_KIND_CERT ? "GET, PATCH, DELETE" : "GET, PUT, PATCH, DELETE");
      return;
    }
  if (n == 3)
    {
      const char *what = seg[2];
      gboolean post = is (c, "POST");

      if (g_ascii_strcasecmp (what, "backup") == 0 && post)
        op_backup (c, kind, name);
      else if (g_ascii_strcasecmp (what, "versions") == 0 && is (c, "GET"))
        op_list_versions (c, kind, name);
      else if (kind == KVB_KIND_KEY && g_ascii_strcasecmp (what, "create") == 0 && post)
        op_create_key (c, name, FALSE);
      else if (kind == KVB_KIND_CERT && g_ascii_strcasecmp (what, "create") == 0 && post)
        op_create_certificate (c, name);
      else if (kind == KVB_KIND_CERT && g_ascii_strcasecmp (what, "import") == 0 && post)
        op_import_certificate (c, name);
      else if (kind == KVB_KIND_CERT && g_ascii_strcasecmp (what, "pending") == 0 && is (c, "GET"))
        op_pending (c, name);
      else if (kind == KVB_KIND_CERT && g_ascii_strcasecmp (what, "policy") == 0 && is (c, "GET"))
        op_policy (c, name);
      else if (is (c, "GET"))
        op_get (c, kind, name, what);
      else if (is (c, "PATCH"))
        op_update (c, kind, name, what);
      else if (g_ascii_strcasecmp (what, "backup") == 0 || g_ascii_strcasecmp (what, "create") == 0
               || g_ascii_strcasecmp (what, "import") == 0)
        method_not_allowed (c, "POST");
      else
        method_not_allowed (c, "GET, PATCH");
      return;
    }
  error_reply (c, 404, "NotFound", NULL, "The requested resource '%s' was not found on this key vault.",
               c->req->path);
}

void
kvb_emu_keyvault_handle (KvbEmuRequest *req)
{
  Ctx c = { 0 };
  g_auto(GStrv) seg = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  const char *path = req->path ? req->path : "/";
  const char *version;

  c.req = req;
  c.store = _kvb_store_get (req->vault);
  c.now = g_get_monotonic_time ();
  c.unix_now = g_get_real_time () / G_USEC_PER_SEC;
  c.base = explicit_port_base (req->base_url ? req->base_url : "https://localhost");

  version = req->query ? g_hash_table_lookup (req->query, "api-version") : NULL;
  if (version == NULL || *version == '\0')
    {
      bad_parameter (&c, "The api-version query parameter (?api-version=) is required for all requests.");
      goto out;
    }
  if (!g_strv_contains (supported_versions, version))
    {
      error_reply (&c, 400, "BadParameter", NULL,
                   "The specified version (%s) is not recognized. Consider using the latest supported version (%s).",
                   version, LATEST_VERSION);
      goto out;
    }
  c.api_version = version;
  if (req->body && g_bytes_get_size (req->body) > MAX_BODY)
    {
      error_reply (&c, 413, "RequestEntityTooLarge", NULL,
                   "The request body is too large: at most %d bytes are accepted.", MAX_BODY);
      goto out;
    }
  settle_pending (&c);

  /* "/secrets/x/" asks for the latest version, like "/secrets/x". */
  seg = g_strsplit (path[0] == '/' ? path + 1 : path, "/", -1);
  parts = g_ptr_array_new ();
  for (guint i = 0; seg[i]; i++)
    if (*seg[i] != '\0' || seg[i + 1] != NULL)
      g_ptr_array_add (parts, seg[i]);
  for (guint i = 0; i < parts->len; i++)
    if (*(char *) g_ptr_array_index (parts, i) == '\0')
      {
        error_reply (&c, 404, "NotFound", NULL, "The requested resource '%s' was not found on this key vault.", path);
        goto out;
      }
  route (&c, (char **) parts->pdata, parts->len);

out:
  g_free (c.base);
}
