/* kvb-keyvault-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-keyvault-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-json-util.h"
#include "kvb-keyvault-client.h"
#include "kvb-keyvault-client-private.h"
#include "kvb-task-util.h"
#include "kvb-base64url.h"

/* How long a restore keeps trying while the name is still being purged or recovered. */
#define NAME_BUSY_RETRY_SECONDS 180

typedef enum
{
  OP_LIST,
  OP_GET,
  OP_BACKUP,
  OP_RESTORE,
  OP_RECOVER,
  OP_PURGE,
  OP_DELETE,
  N_OPS
} Op;

struct _KvbKeyVaultClient
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  KvbCredential *credential;
  char *vault_url;      /* https://NAME.SUFFIX[:PORT]/ */
  char *vault_name;
  GUri *vault_uri;
};

G_DEFINE_FINAL_TYPE (KvbKeyVaultClient, kvb_keyvault_client, G_TYPE_OBJECT)

static void
kvb_keyvault_client_finalize (GObject *object)
{
  KvbKeyVaultClient *self = (KvbKeyVaultClient *)object;

  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_object (&self->credential);
  g_clear_pointer (&self->vault_url, g_free);
  g_clear_pointer (&self->vault_name, g_free);
  g_clear_pointer (&self->vault_uri, g_uri_unref);

  G_OBJECT_CLASS (kvb_keyvault_client_parent_class)->finalize (object);
}

static void
kvb_keyvault_client_class_init (KvbKeyVaultClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_keyvault_client_finalize;
}

static void
kvb_keyvault_client_init (KvbKeyVaultClient *self)
{
}

KvbKeyVaultClient *
kvb_keyvault_client_new (KvbPipeline    *pipeline,
                         KvbCloud       *cloud,
                         KvbCredential  *credential,
                         const char     *vault,
                         GError        **error)
{
  g_autoptr(KvbKeyVaultClient) self = NULL;
  g_autofree char *url = NULL;
  const char *host;
  const char *dot;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (credential == NULL || KVB_IS_CREDENTIAL (credential), NULL);
  g_return_val_if_fail (vault != NULL, NULL);

  url = kvb_cloud_dup_vault_url (cloud, vault, error);
  if (url == NULL)
    return NULL;

  if (!kvb_pipeline_add_cloud (pipeline, cloud, error))
    return NULL;

  self = g_object_new (KVB_TYPE_KEYVAULT_CLIENT, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->credential = credential != NULL ? g_object_ref (credential) : NULL;
  self->vault_url = g_steal_pointer (&url);
  self->vault_uri = g_uri_parse (self->vault_url, G_URI_FLAGS_NONE, NULL);
  host = g_uri_get_host (self->vault_uri);
  dot = strchr (host, '.');
  self->vault_name = dot != NULL ? g_strndup (host, dot - host) : g_strdup (host);

  return g_steal_pointer (&self);
}

const char *
kvb_keyvault_client_get_vault_url (KvbKeyVaultClient *self)
{
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (self), NULL);
  return self->vault_url;
}

const char *
kvb_keyvault_client_get_vault_name (KvbKeyVaultClient *self)
{
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (self), NULL);
  return self->vault_name;
}

/* ---- errors ---- */

static const char *
kind_noun (KvbObjectKind kind)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return _("secret");
    case KVB_OBJECT_KIND_KEY: return _("key");
    case KVB_OBJECT_KIND_CERTIFICATE: return _("certificate");
    default: return "";
    }
}

/* What the user tried, for "you are not allowed to …". */
static const char *
op_phrase (Op            op,
           KvbObjectKind kind)
{
  static const char * const phrases[N_OPS][KVB_OBJECT_KIND_N_KINDS] = {
    [OP_LIST] = { N_("list secrets"), N_("list keys"), N_("list certificates") },
    [OP_GET] = { N_("read secrets"), N_("read keys"), N_("read certificates") },
    [OP_BACKUP] = { N_("back up secrets"), N_("back up keys"), N_("back up certificates") },
    [OP_RESTORE] = { N_("restore secrets"), N_("restore keys"), N_("restore certificates") },
    [OP_RECOVER] = { N_("recover deleted secrets"), N_("recover deleted keys"),
                     N_("recover deleted certificates") },
    [OP_PURGE] = { N_("purge deleted secrets"), N_("purge deleted keys"),
                   N_("purge deleted certificates") },
    [OP_DELETE] = { N_("delete secrets"), N_("delete keys"), N_("delete certificates") },
  };

  return _(phrases[op][kind]);
}

/* The access-policy permission as the Azure portal names it, in the portal's language: the
 * translations must be the portal's own words, so that the user finds the box to tick. */
static const char *
op_permission (Op op)
{
  switch (op)
    {
    case OP_LIST: return C_("access-policy permission", "List");
    case OP_GET: return C_("access-policy permission", "Get");
    case OP_BACKUP: return C_("access-policy permission", "Backup");
    case OP_RESTORE: return C_("access-policy permission", "Restore");
    case OP_RECOVER: return C_("access-policy permission", "Recover");
    case OP_PURGE: return C_("access-policy permission", "Purge");
    case OP_DELETE: return C_("access-policy permission", "Delete");
    case N_OPS:
    default:
      g_return_val_if_reached ("");
    }
}

/* The built-in role that grants the operation on this kind of object. */
static const char *
op_role (Op            op,
         KvbObjectKind kind)
{
  static const char * const officers[KVB_OBJECT_KIND_N_KINDS] = {
    "Key Vault Secrets Officer", "Key Vault Crypto Officer", "Key Vault Certificates Officer"
  };

  if (op == OP_LIST)
    return "Key Vault Reader";
  if (op == OP_GET && kind == KVB_OBJECT_KIND_SECRET)
    return "Key Vault Secrets User";
  return officers[kind];
}

static const char *
error_string (JsonObject *obj,
              const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Finds "Secret NAME is currently…" / "restoring the secret 'NAME'" in a Key Vault message. */
static char *
name_from_message (const char *message)
{
  static const char * const patterns[] = {
    "^(?:Secret|Key|Certificate) (\\S+) is currently",
    "restoring the \\w+ '([^']+)'",
  };

  for (guint i = 0; message != NULL && i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(GRegex) re = g_regex_new (patterns[i], 0, 0, NULL);
      g_autoptr(GMatchInfo) match = NULL;

      if (re != NULL && g_regex_match (re, message, 0, &match))
        return g_match_info_fetch (match, 1);
    }

  return NULL;
}

/* Maps a Key Vault answer that is not a success to a KvbError with a message that says what to
 * do: by HTTP status first, then error.code, then error.innererror.code. */
static GError *
map_error (KvbKeyVaultClient *self,
           guint              status,
           JsonNode          *body,
           Op                 op,
           KvbObjectKind      kind,
           const char        *name)
{
  JsonObject *error_obj = NULL;
  JsonObject *inner_obj = NULL;
  const char *code = NULL, *inner = NULL, *message = NULL;
  const char *vault = self->vault_name;
  g_autofree char *found_name = NULL;
  GError *error;

  if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    {
      JsonNode *n = json_object_get_member (json_node_get_object (body), "error");

      if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
        {
          error_obj = json_node_get_object (n);
          code = error_string (error_obj, "code");
          message = error_string (error_obj, "message");
          n = json_object_get_member (error_obj, "innererror");
          if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
            {
              inner_obj = json_node_get_object (n);
              inner = error_string (inner_obj, "code");
            }
        }
    }

  g_debug ("Vault %s answered %u: %s / %s: %s", vault, status, code ? code : "-",
           inner ? inner : "-", message ? message : "-");

  if (name == NULL)
    name = found_name = name_from_message (message);
  if (name == NULL)
    name = "?";

  if (status == 401)
    error = g_error_new (KVB_ERROR, KVB_ERROR_UNAUTHORIZED,
                         _("Vault “%s” did not accept your sign-in. Sign in again, or sign in to "
                           "the tenant the vault belongs to."), vault);
  else if (status == 429)
    error = g_error_new (KVB_ERROR, KVB_ERROR_THROTTLED,
                         _("Vault “%s” is throttling requests (too many in a short time) and still "
                           "refused after several retries. Wait a minute and try again, with fewer "
                           "jobs at the same time."), vault);
  else if (status == 403 && g_strcmp0 (inner, "ForbiddenByFirewall") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_FORBIDDEN_FIREWALL,
                         _("The firewall of vault “%s” does not let this computer in: public "
                           "access is disabled or your network address is not allowed. Ask an "
                           "owner of the vault to allow your address, or use a network that has "
                           "access."), vault);
  else if (status == 403 && g_strcmp0 (inner, "ForbiddenByRbac") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC,
                         _("You are not allowed to %s in vault “%s”: a role assignment is missing. "
                           "Ask an owner of the vault to give you the role “%s” (or “Key Vault "
                           "Administrator”)."),
                         op_phrase (op, kind), vault, op_role (op, kind));
  else if (status == 403 && g_strcmp0 (inner, "ForbiddenByPolicy") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_FORBIDDEN_POLICY,
                         _("You are not allowed to %s in vault “%s”: its access policy lacks the "
                           "%s permission “%s”. Ask an owner of the vault to add it."),
                         op_phrase (op, kind), vault, kind_noun (kind), op_permission (op));
  else if (status == 403 && message != NULL && strstr (message, "associated with a certificate"))
    error = g_error_new (KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                         _("The %s “%s” belongs to the certificate of the same name and cannot be "
                           "handled on its own. Use the certificate “%s” instead."),
                         kind_noun (kind), name, name);
  else if (status == 403 && message != NULL && strstr (message, "purge protection"))
    error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                         _("Vault “%s” has purge protection: deleted objects cannot be purged; Key "
                           "Vault removes them when the retention period ends. Recover the %s "
                           "“%s” instead, or restore into another vault."),
                         vault, kind_noun (kind), name);
  else if (status == 403)
    error = g_error_new (KVB_ERROR,
                         message != NULL && strstr (message, "not authorized")
                         ? KVB_ERROR_FORBIDDEN_RBAC : KVB_ERROR_FORBIDDEN_POLICY,
                         _("You are not allowed to %s in vault “%s”. Ask an owner of the vault for "
                           "the role “%s” or the access-policy permission “%s”."),
                         op_phrase (op, kind), vault, op_role (op, kind), op_permission (op));
  else if (status == 404 && (op == OP_RECOVER || op == OP_PURGE))
    error = g_error_new (KVB_ERROR, KVB_ERROR_NOT_FOUND,
                         _("There is no deleted %s named “%s” in vault “%s”. It may have been "
                           "purged already, or its deletion is not complete yet."),
                         kind_noun (kind), name, vault);
  else if (status == 404)
    error = g_error_new (KVB_ERROR, KVB_ERROR_NOT_FOUND,
                         _("There is no %s named “%s” in vault “%s”. If it was deleted recently, "
                           "it can be recovered from the deleted objects."),
                         kind_noun (kind), name, vault);
  else if (status == 409 && g_strcmp0 (inner, "ObjectIsDeletedButRecoverable") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_CONFLICT_DELETED,
                         _("The name “%s” in vault “%s” belongs to a deleted %s that can still be "
                           "recovered. Recover it, or purge it for good, and then try again."),
                         name, vault, kind_noun (kind));
  else if (status == 409 && (g_strcmp0 (inner, "ObjectIsBeingDeleted") == 0 ||
                             g_strcmp0 (inner, "ObjectIsBeingRecovered") == 0))
    error = g_error_new (KVB_ERROR, KVB_ERROR_CONFLICT_BEING_DELETED,
                         _("The name “%s” in vault “%s” is still being deleted, purged or "
                           "recovered. Wait a minute and try again."), name, vault);
  else if (status == 409 && op == OP_RESTORE)
    error = g_error_new (KVB_ERROR, KVB_ERROR_CONFLICT_LIVE,
                         _("A %s named “%s” already exists in vault “%s”, and a restore never "
                           "overwrites. Delete and purge it first, or restore into another vault."),
                         kind_noun (kind), name, vault);
  else if (status == 409)
    error = g_error_new (KVB_ERROR, KVB_ERROR_CONFLICT_LIVE,
                         _("The %s “%s” in vault “%s” is in a state that does not allow this: %s"),
                         kind_noun (kind), name, vault, message != NULL ? message : "");
  else if (status == 400 && g_strcmp0 (code, "Malformed backup blob") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_MALFORMED_BLOB,
                         _("Key Vault cannot read this backup: the file is damaged or is not a Key "
                           "Vault backup of a %s."), kind_noun (kind));
  else if (status == 400 && message != NULL && strstr (message, "Cannot decrypt backup blob"))
    error = g_error_new (KVB_ERROR, KVB_ERROR_WRONG_SCOPE,
                         _("This backup cannot be restored into vault “%s”: a backup only restores "
                           "into a vault of the same Azure subscription and the same geography as "
                           "the vault it was taken from."), vault);
  else if (status == 400 && message != NULL && strstr (message, "more than 500 versions"))
    error = g_error_new (KVB_ERROR, KVB_ERROR_TOO_MANY_VERSIONS,
                         _("The %s “%s” has more than 500 versions, and Key Vault cannot back up an "
                           "object with so many. Copy its current value into a new object and back "
                           "that up instead."), kind_noun (kind), name);
  else if (status >= 500)
    error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                         _("Vault “%s” has a problem (HTTP status %u). Try again later."),
                         vault, status);
  else
    error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                         _("Vault “%s” refused the request (HTTP status %u): %s"), vault, status,
                         message != NULL ? message : _("no details given"));

  kvb_error_set_service_code (error, inner != NULL ? inner : code);

  return error;
}

/* ---- helpers ---- */

static gboolean
check_name (const char  *name,
            GError     **error)
{
  gboolean ok = name != NULL && *name != '\0' && strlen (name) <= 127;

  for (const char *p = name; ok && *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      ok = FALSE;

  if (!ok)
    g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                 _("“%s” is not a valid object name: names have 1 to 127 letters, digits and "
                   "dashes."), name != NULL ? name : "");

  return ok;
}

/* e.g. ("secrets", "db-password", "backup") -> https://v.vault.azure.net/secrets/db-password/backup?api-version=7.6 */
static char *
build_url (KvbKeyVaultClient *self,
           const char        *collection,
           const char        *name,
           const char        *tail,
           const char        *extra_query)
{
  GString *url = g_string_new (self->vault_url);

  g_string_append (url, collection);
  if (name != NULL)
    g_string_append_printf (url, "/%s", name);
  if (tail != NULL)
    g_string_append_printf (url, "/%s", tail);
  g_string_append (url, "?api-version=" KVB_KEYVAULT_API_VERSION);
  if (extra_query != NULL)
    g_string_append_printf (url, "&%s", extra_query);

  return g_string_free (url, FALSE);
}

static char *
deleted_collection (KvbObjectKind kind)
{
  return g_strconcat ("deleted", kvb_object_kind_get_collection (kind), NULL);
}

static GBytes *
json_body (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);

  return g_bytes_new_take (text, len);
}

/* What a vault holds under a name, as seen before a restore is sent. */
typedef enum
{
  NAME_STATE_UNKNOWN,    /* not asked (no name given) or the vault did not say */
  NAME_STATE_FREE,       /* neither a live nor a deleted object */
} NameState;

/* What one look-up of a name answered. */
typedef enum
{
  NAME_CHECK_UNKNOWN,    /* the vault did not say (permission, no soft delete, …) */
  NAME_CHECK_FREE,       /* not found */
  NAME_CHECK_TAKEN,
} NameCheck;

typedef struct
{
  KvbObjectKind kind;
  char *name;
  Op op;
  KvbObjectPageFunc page_func;
  gpointer page_data;
  KvbUsableAfter after;
  gint64 deadline;       /* monotonic µs */
  guint delay_ms;
  GBytes *request_body;
  gboolean ambiguous;
  NameState before;      /* restore: what the vault had under the name before the blob went */
  guint checks_pending;  /* restore: the look-ups of the name not answered yet */
  NameCheck live_check;
  NameCheck deleted_check;
} Call;

static void
call_free (Call *call)
{
  g_free (call->name);
  g_clear_pointer (&call->request_body, g_bytes_unref);
  g_free (call);
}

static GTask *
call_new (KvbKeyVaultClient   *self,
          gpointer             source_tag,
          Op                   op,
          KvbObjectKind        kind,
          const char          *name,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->op = op;
  call->kind = kind;
  call->name = g_strdup (name);
  g_task_set_task_data (task, call, (GDestroyNotify)call_free);

  return task;
}

static void
send (KvbKeyVaultClient   *self,
      GTask               *task,
      const char          *method,
      const char          *url,
      GBytes              *body,
      KvbRequestFlags      flags,
      guint                timeout,
      GAsyncReadyCallback  callback)
{
  kvb_pipeline_send_async (self->pipeline, self->cloud, self->credential, method, url, body,
                           flags | KVB_REQUEST_KEYVAULT, timeout, g_task_get_cancellable (task),
                           callback, task);
}

/* Finishes a pipeline call: returns the body of a 2xx answer (maybe NULL), or sets @error to
 * the transport error or the mapped Key Vault error. */
static JsonNode *
finish (KvbKeyVaultClient  *self,
        GTask              *task,
        GAsyncResult       *result,
        guint              *status_out,
        gboolean           *ok,
        GError            **error)
{
  Call *call = g_task_get_task_data (task);
  JsonNode *node;
  gboolean ambiguous = FALSE;
  guint status = 0;

  node = kvb_pipeline_send_finish (self->pipeline, result, &status, &ambiguous, error);
  call->ambiguous = call->ambiguous || ambiguous;
  if (status_out != NULL)
    *status_out = status;
  *ok = FALSE;

  if (status == 0)
    return NULL;

  if (status >= 200 && status < 300)
    {
      *ok = TRUE;
      return node;
    }

  g_propagate_error (error, map_error (self, status, node, call->op, call->kind, call->name));
  return node;
}

static JsonObject *
node_object (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* ---- list ---- */

/* The next page's URL, with our api-version whatever the service wrote into it, and only if it
 * stays on this vault: a token must never follow a link elsewhere. */
static char *
next_page_url (KvbKeyVaultClient  *self,
               const char         *next_link,
               GError            **error)
{
  g_autoptr(GUri) uri = g_uri_parse (next_link, G_URI_FLAGS_ENCODED, NULL);
  g_auto(GStrv) params = NULL;
  g_autoptr(GString) query = g_string_new (NULL);
  g_autoptr(GUri) rebuilt = NULL;
  int port, vault_port;

  if (uri != NULL)
    {
      port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 443;
      vault_port = g_uri_get_port (self->vault_uri) > 0 ? g_uri_get_port (self->vault_uri) : 443;
    }

  /* "https:/path" parses, without a host. */
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL ||
      g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (self->vault_uri)) != 0 ||
      port != vault_port)
    {
      g_debug ("nextLink leaves the vault: %s", next_link);
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Vault “%s” sent a link to the next page that points elsewhere; the list "
                     "was stopped."), self->vault_name);
      return NULL;
    }

  if (g_uri_get_query (uri) != NULL)
    params = g_strsplit (g_uri_get_query (uri), "&", -1);
  for (guint i = 0; params != NULL && params[i] != NULL; i++)
    {
      if (*params[i] == '\0' || g_str_has_prefix (params[i], "api-version="))
        continue;
      g_string_append_printf (query, "%s&", params[i]);
    }
  g_string_append (query, "api-version=" KVB_KEYVAULT_API_VERSION);

  rebuilt = g_uri_build (G_URI_FLAGS_ENCODED, "https", NULL, g_uri_get_host (self->vault_uri),
                         g_uri_get_port (self->vault_uri), g_uri_get_path (uri), query->str,
                         NULL);

  return g_uri_to_string (rebuilt);
}

/* One page of a list: the objects it names (an item without a valid id is skipped) and the
 * next page's link as the vault wrote it (NULL on the last page; borrowed from @node). */
GPtrArray *
_kvb_keyvault_client_read_list_page (KvbKeyVaultClient  *self,
                                     KvbObjectKind       kind,
                                     JsonNode           *node,
                                     const char        **next_link,
                                     GError            **error)
{
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  JsonObject *obj;
  JsonNode *value, *link;
  JsonArray *items;

  *next_link = NULL;

  obj = node_object (node);
  value = obj != NULL ? json_object_get_member (obj, "value") : NULL;
  if (value == NULL || !JSON_NODE_HOLDS_ARRAY (value))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Vault “%s” answered the list with something that is not a list."),
                   self->vault_name);
      return NULL;
    }

  items = json_node_get_array (value);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);
      g_autoptr(GError) item_error = NULL;
      KvbObjectInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      info = kvb_object_info_new_from_json (kind, json_node_get_object (item), &item_error);
      if (info == NULL)
        {
          g_debug ("Skipping a list item: %s", item_error->message);
          continue;
        }
      g_ptr_array_add (page, info);
    }

  /* The end is a null, absent or empty nextLink, never a short page. */
  link = json_object_get_member (obj, "nextLink");
  if (link != NULL && json_node_get_value_type (link) == G_TYPE_STRING &&
      *json_node_get_string (link) != '\0')
    *next_link = json_node_get_string (link);

  return g_steal_pointer (&page);
}

char *
_kvb_keyvault_client_next_page_url (KvbKeyVaultClient  *self,
                                    const char         *next_link,
                                    GError            **error)
{
  return next_page_url (self, next_link, error);
}

GError *
_kvb_keyvault_client_map_error (KvbKeyVaultClient *self,
                                guint              status,
                                JsonNode          *body,
                                guint              op,
                                KvbObjectKind      kind,
                                const char        *name)
{
  return map_error (self, status, body, MIN (op, N_OPS - 1), kind, name);
}

static void chain_page_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static GTask *page_task_new (KvbKeyVaultClient *self, KvbObjectKind kind, const char *name,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
static void list_one_page_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* A whole list: its first page at @url, then each next page, each handed to the page function. */
static void
list_chain_start (KvbKeyVaultClient *self,
                  GTask             *task,
                  const char        *url)
{
  Call *call = g_task_get_task_data (task);
  GTask *page = page_task_new (self, call->kind, call->name, g_task_get_cancellable (task),
                               chain_page_cb, task);

  send (self, page, "GET", url, NULL, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT, list_one_page_cb);
}

static void
chain_page_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *next_link = NULL;

  page = kvb_keyvault_client_list_page_finish (self, result, &next_link, &error);
  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  g_debug ("Vault %s: a page of %u %s", self->vault_name, page->len,
           kvb_object_kind_get_collection (call->kind));
  if (call->page_func != NULL)
    call->page_func (page, call->page_data);

  if (next_link == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  kvb_keyvault_client_list_page_async (self, call->kind, FALSE, next_link,
                                       g_task_get_cancellable (task), chain_page_cb, task);
}

void
kvb_keyvault_client_list_async (KvbKeyVaultClient   *self,
                                KvbObjectKind        kind,
                                gboolean             deleted,
                                KvbObjectPageFunc    page_func,
                                gpointer             page_data,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  Call *call;
  g_autofree char *url = NULL;
  g_autofree char *collection = NULL;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);

  task = call_new (self, kvb_keyvault_client_list_async, OP_LIST, kind, NULL, cancellable,
                   callback, user_data);
  call = g_task_get_task_data (task);
  call->page_func = page_func;
  call->page_data = page_data;

  collection = deleted ? deleted_collection (kind) : g_strdup (kvb_object_kind_get_collection (kind));
  url = build_url (self, collection, NULL, NULL, "maxresults=25");
  list_chain_start (self, task, url);
}

gboolean
kvb_keyvault_client_list_finish (KvbKeyVaultClient  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GPtrArray *objects;
  char *next_link;
} ListPage;

static void
list_page_free (ListPage *page)
{
  g_clear_pointer (&page->objects, g_ptr_array_unref);
  g_free (page->next_link);
  g_free (page);
}

/* One page of a list, for kvb_keyvault_client_list_page_finish(); @name is that of the object
 * whose versions are listed, for the messages of errors. */
static GTask *
page_task_new (KvbKeyVaultClient   *self,
               KvbObjectKind        kind,
               const char          *name,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  return call_new (self, kvb_keyvault_client_list_page_async, OP_LIST, kind, name, cancellable,
                   callback, user_data);
}

static void
list_one_page_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  ListPage *page;
  const char *link = NULL;
  gboolean ok;

  node = finish (self, task, result, NULL, &ok, &error);
  page = g_new0 (ListPage, 1);
  if (ok)
    page->objects = _kvb_keyvault_client_read_list_page (self, call->kind, node, &link, &error);
  if (page->objects == NULL)
    {
      list_page_free (page);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  page->next_link = g_strdup (link);
  g_task_return_pointer (task, page, (GDestroyNotify) list_page_free);
}

void
kvb_keyvault_client_list_page_async (KvbKeyVaultClient   *self,
                                     KvbObjectKind        kind,
                                     gboolean             deleted,
                                     const char          *next_link,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;
  g_autofree char *url = NULL;
  GError *error = NULL;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);

  task = page_task_new (self, kind, NULL, cancellable, callback, user_data);
  if (next_link == NULL)
    {
      g_autofree char *collection = deleted ? deleted_collection (kind)
                                            : g_strdup (kvb_object_kind_get_collection (kind));

      url = build_url (self, collection, NULL, NULL, "maxresults=25");
    }
  else if ((url = next_page_url (self, next_link, &error)) == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send (self, task, "GET", url, NULL, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT,
        list_one_page_cb);
}

GPtrArray *
kvb_keyvault_client_list_page_finish (KvbKeyVaultClient  *self,
                                      GAsyncResult       *result,
                                      char              **next_link,
                                      GError            **error)
{
  ListPage *page;
  GPtrArray *objects;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (next_link != NULL, NULL);

  *next_link = NULL;
  page = g_task_propagate_pointer (G_TASK (result), error);
  if (page == NULL)
    return NULL;
  objects = g_steal_pointer (&page->objects);
  *next_link = g_steal_pointer (&page->next_link);
  list_page_free (page);
  return objects;
}

void
kvb_keyvault_client_list_versions_async (KvbKeyVaultClient   *self,
                                         KvbObjectKind        kind,
                                         const char          *name,
                                         KvbObjectPageFunc    page_func,
                                         gpointer             page_data,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;
  Call *call;
  GError *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);

  task = call_new (self, kvb_keyvault_client_list_versions_async, OP_LIST, kind, name,
                   cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->page_func = page_func;
  call->page_data = page_data;

  if (!check_name (name, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  url = build_url (self, kvb_object_kind_get_collection (kind), name, "versions", "maxresults=25");
  list_chain_start (self, task, url);
}

gboolean
kvb_keyvault_client_list_versions_finish (KvbKeyVaultClient  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- calls that answer one object ---- */

static void
deleted_after_drop_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  KvbObjectInfo *info;

  info = kvb_keyvault_client_get_deleted_finish (self, result, &error);
  if (info != NULL)
    {
      g_task_return_pointer (task, info, g_object_unref);
      return;
    }

  /* Not shown as deleted (yet, or purged, or no soft delete): it is gone all the same. */
  g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_OUTCOME_UNKNOWN,
                           _("The connection to vault “%s” broke while the %s “%s” was being "
                             "deleted, and now it is not there. It was probably deleted; check "
                             "the deleted objects of the vault."),
                           self->vault_name, kind_noun (call->kind), call->name);
}

/* How long a recovery that an interrupted attempt may have started gets to show its object. */
#define RECOVERED_AFTER_DROP_SECONDS 120

static void object_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
recovered_after_drop_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_wait_until_usable_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_OUTCOME_UNKNOWN,
                                 _("The connection to vault “%s” broke while the deleted %s “%s” "
                                   "was being recovered, and now it is neither deleted nor in "
                                   "the vault. It may still be recovering, or it was purged; "
                                   "look at the vault again in a few minutes."),
                                 self->vault_name, kind_noun (call->kind), call->name);
      return;
    }

  /* It answers: its properties are the answer of the recovery. */
  call->ambiguous = FALSE;
  {
    g_autofree char *url = build_url (self, kvb_object_kind_get_collection (call->kind),
                                      call->name, NULL, NULL);
    send (self, g_steal_pointer (&task), "GET", url, NULL, KVB_REQUEST_RETRY_SAFE,
          KVB_TIMEOUT_SHORT, object_cb);
  }
}

static void
object_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  KvbObjectInfo *info;
  guint status = 0;
  gboolean ok;

  node = finish (self, task, result, &status, &ok, &error);
  if (!ok && status == 404 && call->op == OP_DELETE && call->ambiguous && call->name != NULL)
    {
      /* The connection broke after the vault deleted it, and libsoup's own re-send found it
       * gone: the deleted object, if the vault shows it, is the answer. */
      g_debug ("Delete of %s: gone after an interrupted attempt; asking for the deleted object",
               call->name);
      kvb_keyvault_client_get_deleted_async (self, call->kind, call->name,
                                             g_task_get_cancellable (task), deleted_after_drop_cb,
                                             g_object_ref (task));
      return;
    }
  if (!ok && (status == 404 || status == 409) && call->ambiguous && call->name != NULL &&
      g_task_get_source_tag (task) == kvb_keyvault_client_recover_async)
    {
      /* An earlier try may have started the recovery before its answer was lost; the re-send
       * then finds no deleted object (or one being recovered).  The live object, once it
       * answers, is the proof. */
      g_debug ("Recovery of %s: not deleted any more after an interrupted attempt; waiting for "
               "the live object", call->name);
      kvb_keyvault_client_wait_until_usable_async (self, call->kind, call->name,
                                                   KVB_USABLE_AFTER_RECOVER,
                                                   RECOVERED_AFTER_DROP_SECONDS,
                                                   g_task_get_cancellable (task),
                                                   recovered_after_drop_cb, g_object_ref (task));
      return;
    }
  if (!ok)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = node_object (node);
  if (obj != NULL && json_object_has_member (obj, "value") &&
      json_node_get_value_type (json_object_get_member (obj, "value")) == G_TYPE_STRING)
    {
      /* A secret's value: never kept, wiped before it is freed. */
      char *value = (char *)json_node_get_string (json_object_get_member (obj, "value"));

      memset (value, 0, strlen (value));
      json_object_remove_member (obj, "value");
    }

  info = obj != NULL ? kvb_object_info_new_from_json (call->kind, obj, &error) : NULL;
  if (info == NULL)
    {
      if (error == NULL)
        error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                             _("Vault “%s” answered without the object."), self->vault_name);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, info, g_object_unref);
}

static KvbObjectInfo *
object_finish (KvbKeyVaultClient  *self,
               GAsyncResult       *result,
               GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The start of a call on one object: its name (and a version, for a get) checked, then
 * @method on COLLECTION/NAME[/@suffix] of the live objects, or of the deleted ones with
 * @deleted; @done reads the answer. */
typedef struct
{
  gpointer source_tag;
  Op op;
  gboolean deleted;
  const char *method;
  const char *suffix;       /* a version, or "backup", "recover"; may be NULL */
  gboolean suffix_is_name;  /* checked as a name: a version */
  KvbRequestFlags flags;
  guint timeout;
  GAsyncReadyCallback done;
} ObjectCall;

static void
object_call (KvbKeyVaultClient   *self,
             const ObjectCall    *how,
             KvbObjectKind        kind,
             const char          *name,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  g_autofree char *collection = NULL;
  GError *error = NULL;

  task = call_new (self, how->source_tag, how->op, kind, name, cancellable, callback, user_data);
  if (!check_name (name, &error) ||
      (how->suffix_is_name && how->suffix != NULL && !check_name (how->suffix, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  collection = how->deleted ? deleted_collection (kind)
                            : g_strdup (kvb_object_kind_get_collection (kind));
  url = build_url (self, collection, name, how->suffix, NULL);
  send (self, g_steal_pointer (&task), how->method, url, NULL, how->flags, how->timeout,
        how->done);
}

void
kvb_keyvault_client_get_properties_async (KvbKeyVaultClient   *self,
                                          KvbObjectKind        kind,
                                          const char          *name,
                                          const char          *version,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  ObjectCall how = { kvb_keyvault_client_get_properties_async, OP_GET, FALSE, "GET", version,
                     TRUE, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT, object_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

KvbObjectInfo *
kvb_keyvault_client_get_properties_finish (KvbKeyVaultClient  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  return object_finish (self, result, error);
}

void
kvb_keyvault_client_get_deleted_async (KvbKeyVaultClient   *self,
                                       KvbObjectKind        kind,
                                       const char          *name,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  /* Mapped as a recover: a 404 here means "no such deleted object". */
  static const ObjectCall how = { kvb_keyvault_client_get_deleted_async, OP_RECOVER, TRUE, "GET",
                                  NULL, FALSE, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT,
                                  object_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

KvbObjectInfo *
kvb_keyvault_client_get_deleted_finish (KvbKeyVaultClient  *self,
                                        GAsyncResult       *result,
                                        GError            **error)
{
  return object_finish (self, result, error);
}

/* Not idempotent: a second recover answers 404 (or 409 while the first one runs).  Re-sent
 * after drops and 5xx all the same, and such an answer is then decided in object_cb() by
 * whether the live object appears. */
void
kvb_keyvault_client_recover_async (KvbKeyVaultClient   *self,
                                   KvbObjectKind        kind,
                                   const char          *name,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  static const ObjectCall how = { kvb_keyvault_client_recover_async, OP_RECOVER, TRUE, "POST",
                                  "recover", FALSE, KVB_REQUEST_RETRY_AMBIGUOUS,
                                  KVB_TIMEOUT_SHORT, object_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

KvbObjectInfo *
kvb_keyvault_client_recover_finish (KvbKeyVaultClient  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  return object_finish (self, result, error);
}

/* Like recover, re-sent after drops and 5xx; a 404 after that is decided in object_cb() by
 * the deleted object the vault shows. */
void
kvb_keyvault_client_delete_async (KvbKeyVaultClient   *self,
                                  KvbObjectKind        kind,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  static const ObjectCall how = { kvb_keyvault_client_delete_async, OP_DELETE, FALSE, "DELETE",
                                  NULL, FALSE, KVB_REQUEST_RETRY_AMBIGUOUS, KVB_TIMEOUT_SHORT,
                                  object_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

KvbObjectInfo *
kvb_keyvault_client_delete_finish (KvbKeyVaultClient  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  return object_finish (self, result, error);
}

/* ---- purge ---- */

static void
purge_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;
  gboolean ok;

  node = finish (self, task, result, &status, &ok, &error);

  /* An earlier attempt that was cut off may have purged it already: the goal is reached. */
  if (!ok && status == 404 && call->ambiguous)
    {
      g_debug ("Purge of %s: gone after an interrupted attempt", call->name);
      ok = TRUE;
      g_clear_error (&error);
    }

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* A purge is safe to repeat: the name ends up absent either way (a 404 after an interrupted
 * attempt counts as done). */
void
kvb_keyvault_client_purge_async (KvbKeyVaultClient   *self,
                                 KvbObjectKind        kind,
                                 const char          *name,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  static const ObjectCall how = { kvb_keyvault_client_purge_async, OP_PURGE, TRUE, "DELETE",
                                  NULL, FALSE, KVB_REQUEST_RETRY_AMBIGUOUS, KVB_TIMEOUT_SHORT,
                                  purge_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

gboolean
kvb_keyvault_client_purge_finish (KvbKeyVaultClient  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- backup ---- */

static void
backup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) blob = NULL;
  JsonObject *obj;
  JsonNode *value;
  gboolean ok;

  node = finish (self, task, result, NULL, &ok, &error);
  if (!ok)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = node_object (node);
  value = obj != NULL ? json_object_get_member (obj, "value") : NULL;
  if (value == NULL || json_node_get_value_type (value) != G_TYPE_STRING)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                               _("Vault “%s” answered the backup without a backup blob."),
                               self->vault_name);
      return;
    }

  blob = kvb_base64url_decode (json_node_get_string (value), strlen (json_node_get_string (value)));
  if (blob == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                               _("Vault “%s” answered the backup with an empty or unreadable blob."),
                               self->vault_name);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&blob), (GDestroyNotify)g_bytes_unref);
}

/* A backup changes nothing in the vault: safe to repeat.  It takes long for objects with many
 * versions, hence the long timeout. */
void
kvb_keyvault_client_backup_async (KvbKeyVaultClient   *self,
                                  KvbObjectKind        kind,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  static const ObjectCall how = { kvb_keyvault_client_backup_async, OP_BACKUP, FALSE, "POST",
                                  "backup", FALSE, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_LONG,
                                  backup_cb };

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);

  object_call (self, &how, kind, name, cancellable, callback, user_data);
}

GBytes *
kvb_keyvault_client_backup_finish (KvbKeyVaultClient  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- restore ---- */

static void restore_send (GTask *task);

static void
restore_existing_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  KvbObjectInfo *info;

  info = kvb_keyvault_client_get_properties_finish (self, result, &error);
  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Restore of %s: the interrupted attempt had restored it", call->name);
  g_task_return_pointer (task, info, g_object_unref);
}

static gboolean
restore_again_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    restore_send (g_object_ref (task));
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
restore_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  KvbObjectInfo *info;
  guint status = 0;
  gboolean ok;

  node = finish (self, task, result, &status, &ok, &error);

  if (!ok && g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_BEING_DELETED) &&
      g_get_monotonic_time () < call->deadline)
    {
      /* The name is still being purged (or recovered): nothing was restored, try again. */
      call->delay_ms = MIN (MAX (call->delay_ms * 2, 500), 8000);
      g_debug ("Restore: the name is busy, again in %u ms", call->delay_ms);
      kvb_task_call_later (g_steal_pointer (&task), call->delay_ms, restore_again_cb);
      return;
    }

  if (!ok && call->ambiguous && g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE))
    {
      /* The connection dropped (or the service failed) after the blob was sent, and the retry
       * found the name taken.  That the first attempt restored it is a fact only when the
       * vault was asked before and had nothing under that name: then report the object that
       * is there.  Anything else is a guess, and a restore is never reported on a guess. */
      JsonObject *error_obj = kvb_json_get_object (node_object (node), "error");
      g_autofree char *name = name_from_message (error_obj != NULL
                                                 ? error_string (error_obj, "message") : NULL);

      if (call->before == NAME_STATE_FREE && name != NULL && call->name != NULL &&
          g_strcmp0 (name, call->name) == 0)
        {
          GCancellable *cancellable = g_task_get_cancellable (task);

          kvb_keyvault_client_get_properties_async (self, call->kind, name, NULL, cancellable,
                                                    restore_existing_cb, g_steal_pointer (&task));
          return;
        }

      if (name != NULL)
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_OUTCOME_UNKNOWN,
                                 _("The connection to vault “%s” broke during the restore, and "
                                   "when it was tried again the vault already had a %s named "
                                   "“%s”. Whether this restore put it there or it was there "
                                   "before cannot be told. Check its versions in the vault."),
                                 self->vault_name, kind_noun (call->kind), name);
      else
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_OUTCOME_UNKNOWN,
                                 _("The connection to vault “%s” broke during the restore, and "
                                   "when it was tried again the name was already in use. Whether "
                                   "this restore put the object there cannot be told. Check the "
                                   "vault."),
                                 self->vault_name);
      return;
    }

  if (!ok)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  info = node_object (node) != NULL
         ? kvb_object_info_new_from_json (call->kind, node_object (node), &error) : NULL;
  if (info == NULL)
    {
      if (error == NULL)
        error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                             _("Vault “%s” answered the restore without the object."),
                             self->vault_name);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, info, g_object_unref);
}

static void
restore_send (GTask *task)
{
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autofree char *url = NULL;

  url = build_url (self, kvb_object_kind_get_collection (call->kind), "restore", NULL, NULL);
  /* Not idempotent: a second restore of the same blob answers 409.  Retried after drops and
   * 5xx all the same, and the 409 that may follow is sorted out in restore_cb(). */
  send (self, task, "POST", url, call->request_body, KVB_REQUEST_RETRY_AMBIGUOUS,
        KVB_TIMEOUT_LONG, restore_cb);
}

/* Both look-ups answered: a name in use stops the restore before the blob goes; only "no live
 * and no deleted object" is a fact to decide a broken connection by.  Takes @task. */
static void
restore_names_checked (GTask *task)
{
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (call->live_check == NAME_CHECK_TAKEN)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE,
                               _("A %s named “%s” already exists in vault “%s”, and a restore "
                                 "never overwrites. Delete and purge it first, or restore into "
                                 "another vault. Nothing was restored."),
                               kind_noun (call->kind), call->name, self->vault_name);
      g_object_unref (task);
      return;
    }

  /* A refusal to look at the live objects leaves the state unknown, whatever the deleted ones
   * say, and the restore goes on all the same. */
  if (call->live_check == NAME_CHECK_FREE && call->deleted_check == NAME_CHECK_TAKEN)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_CONFLICT_DELETED,
                               _("The name “%s” in vault “%s” belongs to a deleted %s that can "
                                 "still be recovered. Recover it, or purge it for good, and then "
                                 "try again. Nothing was restored."),
                               call->name, self->vault_name, kind_noun (call->kind));
      g_object_unref (task);
      return;
    }

  if (call->live_check == NAME_CHECK_FREE && call->deleted_check == NAME_CHECK_FREE)
    call->before = NAME_STATE_FREE;

  restore_send (task);
}

static NameCheck
name_check_of (KvbObjectInfo *info,
               const GError  *error)
{
  if (info != NULL)
    return NAME_CHECK_TAKEN;
  if (g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND))
    return NAME_CHECK_FREE;
  return NAME_CHECK_UNKNOWN;
}

/* One of the two look-ups of the name is answered; the restore goes on once both are. */
static void
restore_check_answered (GTask         *task,
                        NameCheck     *check,
                        const char    *which,
                        KvbObjectInfo *info,
                        const GError  *error)
{
  Call *call = g_task_get_task_data (task);

  *check = name_check_of (info, error);
  if (*check == NAME_CHECK_UNKNOWN)
    g_debug ("Restore of %s: %s objects not known (%s)", call->name, which, error->message);

  if (--call->checks_pending > 0)
    {
      g_object_unref (task);
      return;
    }
  restore_names_checked (task);
}

static void
restore_deleted_checked_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GTask *task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;

  info = kvb_keyvault_client_get_deleted_finish (self, result, &error);
  restore_check_answered (task, &call->deleted_check, "deleted", info, error);
}

static void
restore_live_checked_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;

  info = kvb_keyvault_client_get_properties_finish (self, result, &error);
  restore_check_answered (task, &call->live_check, "live", info, error);
}

void
kvb_keyvault_client_restore_async (KvbKeyVaultClient   *self,
                                   KvbObjectKind        kind,
                                   GBytes              *blob,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  kvb_keyvault_client_restore_named_async (self, kind, blob, NULL, cancellable, callback,
                                           user_data);
}

void
kvb_keyvault_client_restore_named_async (KvbKeyVaultClient   *self,
                                         KvbObjectKind        kind,
                                         GBytes              *blob,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;
  Call *call;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *value = NULL;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);
  g_return_if_fail (blob != NULL);

  task = call_new (self, kvb_keyvault_client_restore_async, OP_RESTORE, kind,
                   name != NULL && check_name (name, NULL) ? name : NULL, cancellable,
                   callback, user_data);
  call = g_task_get_task_data (task);
  call->deadline = g_get_monotonic_time () + NAME_BUSY_RETRY_SECONDS * G_USEC_PER_SEC;

  if (g_bytes_get_size (blob) == 0)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_BAD_FILE,
                               _("The backup is empty."));
      g_object_unref (task);
      return;
    }

  value = kvb_base64url_encode (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "value");
  json_builder_add_string_value (builder, value);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  call->request_body = json_body (root);

  /* With a name, look first: a name in use is reported without sending the blob, and what the
   * vault had decides the result if the connection breaks during the restore.  The live and
   * the deleted objects are asked at once: one round trip, not two. */
  if (call->name != NULL)
    {
      call->checks_pending = 2;
      kvb_keyvault_client_get_properties_async (self, kind, call->name, NULL, cancellable,
                                                restore_live_checked_cb, g_object_ref (task));
      kvb_keyvault_client_get_deleted_async (self, kind, call->name, cancellable,
                                             restore_deleted_checked_cb, task);
      return;
    }

  restore_send (task);
}

KvbObjectInfo *
kvb_keyvault_client_restore_finish (KvbKeyVaultClient  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  return object_finish (self, result, error);
}

/* ---- waiting until a name is usable ---- */

static void wait_poll (GTask *task);

static gboolean
wait_again_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    wait_poll (g_object_ref (task));
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
wait_schedule (GTask *task)
{
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (g_get_monotonic_time () >= call->deadline)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_TIMEOUT,
                               _("The %s “%s” in vault “%s” did not become usable in time. Key "
                                 "Vault finishes deletions and recoveries in the background; try "
                                 "again in a few minutes."),
                               kind_noun (call->kind), call->name, self->vault_name);
      g_object_unref (task);
      return;
    }

  call->delay_ms = MIN (MAX (call->delay_ms * 2, 250), 8000);
  kvb_task_call_later (task, call->delay_ms, wait_again_cb);
}

static void
wait_poll_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;
  gboolean ok, done;

  node = finish (self, task, result, &status, &ok, &error);
  if (status == 0 || (!ok && status != 404 && status != 409))
    {
      /* Permission, network, throttling beyond the retries: waiting will not help. */
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  switch (call->after)
    {
    case KVB_USABLE_AFTER_PURGE:
      done = status == 404;   /* no longer listed as deleted */
      break;
    case KVB_USABLE_AFTER_RECOVER:
    case KVB_USABLE_AFTER_DELETE:
    default:
      done = ok;
      break;
    }

  if (done)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  wait_schedule (task);
}

static void
wait_poll (GTask *task)
{
  KvbKeyVaultClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  g_autofree char *deleted = deleted_collection (call->kind);

  if (call->after == KVB_USABLE_AFTER_RECOVER)
    url = build_url (self, kvb_object_kind_get_collection (call->kind), call->name, NULL, NULL);
  else
    url = build_url (self, deleted, call->name, NULL, NULL);

  send (self, task, "GET", url, NULL, KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT, wait_poll_cb);
}

void
kvb_keyvault_client_wait_until_usable_async (KvbKeyVaultClient   *self,
                                             KvbObjectKind        kind,
                                             const char          *name,
                                             KvbUsableAfter       after,
                                             guint                timeout_seconds,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  GTask *task;
  Call *call;
  GError *error = NULL;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (self));

  task = call_new (self, kvb_keyvault_client_wait_until_usable_async, OP_GET, kind, name,
                   cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->after = after;
  call->deadline = g_get_monotonic_time () +
                   (gint64)(timeout_seconds > 0 ? timeout_seconds : 300) * G_USEC_PER_SEC;

  if (!check_name (name, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  wait_poll (task);
}

gboolean
kvb_keyvault_client_wait_until_usable_finish (KvbKeyVaultClient  *self,
                                              GAsyncResult       *result,
                                              GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
