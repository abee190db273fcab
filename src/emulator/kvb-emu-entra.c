#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-entra.h"
#include "kvb-emu-reply.h"
#include "kvb-emu-tls.h"

#include <string.h>

#define DEVICE_CODE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define JWT_BEARER_ASSERTION "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CODE_LIFETIME_S 600

typedef enum { DC_PENDING, DC_APPROVED, DC_DECLINED, DC_REDEEMED } DeviceCodeStatus;

typedef struct {
  char *device_code, *user_code, *client_id, *scope, *tenant_id, *user_oid;
  gint64 expires_us, last_poll_us;
  DeviceCodeStatus status;
} DeviceCode;

typedef struct {
  char *code, *client_id, *redirect_uri, *challenge, *method, *scope, *tenant_id, *user_oid;
  gint64 expires_us;
  gboolean used;
} AuthCode;

typedef struct {
  char *client_id, *user_oid, *tenant_id;
  gboolean revoked, redeemed;
} RefreshToken;

struct _KvbEmuEntra
{
  KvbEmuState *state;
  guint8 key[32];                /* HS256 key of this run */
  guint token_lifetime;
  GHashTable *device_codes;      /* device_code -> DeviceCode */
  GHashTable *auth_codes;        /* code -> AuthCode */
  GHashTable *refresh_tokens;    /* token -> RefreshToken */
};

static void
device_code_free (gpointer p)
{
  DeviceCode *d = p;
  g_free (d->device_code);
  g_free (d->user_code);
  g_free (d->client_id);
  g_free (d->scope);
  g_free (d->tenant_id);
  g_free (d->user_oid);
  g_free (d);
}

static void
auth_code_free (gpointer p)
{
  AuthCode *a = p;
  g_free (a->code);
  g_free (a->client_id);
  g_free (a->redirect_uri);
  g_free (a->challenge);
  g_free (a->method);
  g_free (a->scope);
  g_free (a->tenant_id);
  g_free (a->user_oid);
  g_free (a);
}

static void
refresh_token_free (gpointer p)
{
  RefreshToken *r = p;
  g_free (r->client_id);
  g_free (r->user_oid);
  g_free (r->tenant_id);
  g_free (r);
}

void
kvb_emu_caller_clear (KvbEmuCaller *c)
{
  g_clear_pointer (&c->oid, g_free);
  g_clear_pointer (&c->tid, g_free);
  g_clear_pointer (&c->appid, g_free);
  g_clear_pointer (&c->upn, g_free);
  g_clear_pointer (&c->aud, g_free);
}

KvbEmuEntra *
kvb_emu_entra_new (KvbEmuState *state)
{
  KvbEmuEntra *e = g_new0 (KvbEmuEntra, 1);

  e->state = state;
  for (gsize i = 0; i < sizeof e->key; i++)
    e->key[i] = g_random_int_range (0, 256);
  e->token_lifetime = 3600;
  e->device_codes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, device_code_free);
  e->auth_codes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, auth_code_free);
  e->refresh_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, refresh_token_free);
  return e;
}

void
kvb_emu_entra_free (KvbEmuEntra *e)
{
  if (e == NULL)
    return;
  g_hash_table_unref (e->device_codes);
  g_hash_table_unref (e->auth_codes);
  g_hash_table_unref (e->refresh_tokens);
  memset (e->key, 0, sizeof e->key);
  g_free (e);
}

void
kvb_emu_entra_set_token_lifetime (KvbEmuEntra *e, guint seconds)
{
  e->token_lifetime = MAX (seconds, 1);
}

/* ---- small helpers ---- */

static char *
random_token (gsize bytes)
{
  g_autofree guint8 *raw = g_malloc (bytes);
  for (gsize i = 0; i < bytes; i++)
    raw[i] = g_random_int_range (0, 256);
  return kvb_emu_base64url_encode (raw, bytes);
}

static gboolean
const_time_equal (const char *a, const char *b)
{
  gsize la, lb;
  guint8 diff = 0;
  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return FALSE;
  for (gsize i = 0; i < la; i++)
    diff |= (guint8) (a[i] ^ b[i]);
  return diff == 0;
}

static const char *const kv_hosts[] = { "vault.azure.net", "vault.localhost", "vault.azure.cn",
                                        "vault.usgovcloudapi.net", NULL };
static const char *const arm_hosts[] = { "management.azure.com", "management.core.windows.net",
                                         "management.chinacloudapi.cn", "management.core.chinacloudapi.cn",
                                         "management.usgovcloudapi.net", "management.core.usgovcloudapi.net",
                                         NULL };

/* "https://vault.azure.net" -> "vault.azure.net" (drops scheme and one trailing slash) */
static char *
audience_host (const char *aud)
{
  const char *p = aud;
  gsize n;
  if (g_str_has_prefix (p, "https://"))
    p += 8;
  n = strlen (p);
  while (n > 0 && p[n - 1] == '/')
    n--;
  return g_ascii_strdown (p, n);
}

static gboolean
audience_is (const char *aud, KvbEmuAudience kind)
{
  g_autofree char *host = audience_host (aud);
  const char *const *list = kind == KVB_EMU_AUDIENCE_KEYVAULT ? kv_hosts : arm_hosts;
  return g_strv_contains (list, host);
}

static gboolean
is_oidc_scope (const char *s)
{
  return strcmp (s, "openid") == 0 || strcmp (s, "profile") == 0 || strcmp (s, "offline_access") == 0
         || strcmp (s, "email") == 0;
}

/* The resource of the first non-OIDC scope: "https://vault.azure.net/.default" -> "https://vault.azure.net",
 * "https://management.core.windows.net//.default" -> "https://management.core.windows.net/". */
static char *
scope_resource (const char *scope, gboolean *is_default)
{
  g_auto(GStrv) parts = NULL;

  if (is_default)
    *is_default = FALSE;
  if (scope == NULL)
    return NULL;
  parts = g_strsplit_set (scope, " +", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *s = parts[i];
      const char *slash;
      if (*s == '\0' || is_oidc_scope (s))
        continue;
      if (g_str_has_suffix (s, "/.default"))
        {
          if (is_default)
            *is_default = TRUE;
          return g_strndup (s, strlen (s) - strlen ("/.default"));
        }
      slash = strrchr (s, '/');
      if (slash != NULL && slash > s + 8)
        return g_strndup (s, slash - s);
      return g_strdup (s);
    }
  return NULL;
}

static gboolean
scope_has (const char *scope, const char *what)
{
  g_auto(GStrv) parts = NULL;
  if (scope == NULL)
    return FALSE;
  parts = g_strsplit_set (scope, " +", -1);
  return g_strv_contains ((const char *const *) parts, what);
}

static gboolean
resource_known (const char *resource)
{
  return audience_is (resource, KVB_EMU_AUDIENCE_KEYVAULT) || audience_is (resource, KVB_EMU_AUDIENCE_ARM);
}

/* ---- JWT ---- */

static char *
json_object_to_b64 (JsonObject *o)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;
  gsize len;

  json_node_set_object (node, o);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);
  return kvb_emu_base64url_encode ((const guint8 *) text, len);
}

static char *
hs256 (KvbEmuEntra *e, const char *data)
{
  g_autoptr(GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, e->key, sizeof e->key);
  guint8 mac[32];
  gsize len = sizeof mac;

  g_hmac_update (h, (const guchar *) data, -1);
  g_hmac_get_digest (h, mac, &len);
  return kvb_emu_base64url_encode (mac, len);
}

static char *
sign_jwt (KvbEmuEntra *e, JsonObject *claims)
{
  g_autoptr(JsonObject) header = json_object_new ();
  g_autofree char *h = NULL, *p = NULL, *input = NULL, *sig = NULL;

  json_object_set_string_member (header, "typ", "JWT");
  json_object_set_string_member (header, "alg", "HS256");
  json_object_set_string_member (header, "kid", "kvb-emulator");
  h = json_object_to_b64 (header);
  p = json_object_to_b64 (claims);
  input = g_strconcat (h, ".", p, NULL);
  sig = hs256 (e, input);
  return g_strconcat (input, ".", sig, NULL);
}

/* Splits a compact JWT; returns the parsed header and payload objects. */
static gboolean
split_jwt (const char *jwt, JsonObject **header, JsonObject **payload, char **signing_input,
           guint8 **sig, gsize *sig_len)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", -1);
  JsonObject *objs[2] = { NULL, NULL };

  if (g_strv_length (parts) != 3)
    return FALSE;
  for (int i = 0; i < 2; i++)
    {
      gsize len = 0;
      g_autofree guint8 *raw = kvb_emu_base64url_decode (parts[i], &len);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;
      if (raw == NULL || !json_parser_load_from_data (parser, (const char *) raw, len, NULL))
        goto fail;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        goto fail;
      objs[i] = json_object_ref (json_node_get_object (root));
    }
  if (sig != NULL)
    {
      *sig = kvb_emu_base64url_decode (parts[2], sig_len);
      if (*sig == NULL)
        goto fail;
    }
  if (signing_input != NULL)
    *signing_input = g_strconcat (parts[0], ".", parts[1], NULL);
  *header = objs[0];
  *payload = objs[1];
  return TRUE;
fail:
  g_clear_pointer (&objs[0], json_object_unref);
  g_clear_pointer (&objs[1], json_object_unref);
  return FALSE;
}

static const char *
obj_str (JsonObject *o, const char *m)
{
  JsonNode *n = json_object_get_member (o, m);
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
obj_int (JsonObject *o, const char *m, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, m);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    *out = json_node_get_int (n);
  else if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    *out = (gint64) json_node_get_double (n);
  else
    return FALSE;
  return TRUE;
}

char *
kvb_emu_entra_mint_token (KvbEmuEntra *e, const char *object_id, const char *resource)
{
  KvbEmuIdentity *id = kvb_emu_state_get_identity (e->state, object_id);
  g_autoptr(JsonObject) c = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *iss = NULL, *uti = NULL;

  if (id == NULL || resource == NULL)
    return NULL;
  iss = g_strdup_printf ("https://sts.windows.net/%s/", id->tenant_id);
  uti = random_token (16);
  json_object_set_string_member (c, "aud", resource);
  json_object_set_string_member (c, "iss", iss);
  json_object_set_int_member (c, "iat", now);
  json_object_set_int_member (c, "nbf", now - 5 * 60);
  json_object_set_int_member (c, "exp", now + e->token_lifetime);
  json_object_set_string_member (c, "tid", id->tenant_id);
  json_object_set_string_member (c, "oid", id->object_id);
  json_object_set_string_member (c, "sub", id->object_id);
  json_object_set_string_member (c, "uti", uti);
  json_object_set_string_member (c, "ver", "1.0");
  if (strcmp (id->kind, "user") == 0)
    {
      json_object_set_string_member (c, "appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
      json_object_set_string_member (c, "upn", id->name);
      json_object_set_string_member (c, "unique_name", id->name);
      json_object_set_string_member (c, "scp", "user_impersonation");
      json_object_set_string_member (c, "idtyp", "user");
    }
  else
    {
      json_object_set_string_member (c, "appid", id->client_id);
      json_object_set_string_member (c, "idtyp", "app");
    }
  return sign_jwt (e, c);
}

static char *
mint_for (KvbEmuEntra *e, KvbEmuIdentity *id, const char *client_id, const char *resource)
{
  g_autoptr(JsonObject) c = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *iss = g_strdup_printf ("https://sts.windows.net/%s/", id->tenant_id);
  g_autofree char *uti = random_token (16);

  json_object_set_string_member (c, "aud", resource);
  json_object_set_string_member (c, "iss", iss);
  json_object_set_int_member (c, "iat", now);
  json_object_set_int_member (c, "nbf", now - 5 * 60);
  json_object_set_int_member (c, "exp", now + e->token_lifetime);
  json_object_set_string_member (c, "tid", id->tenant_id);
  json_object_set_string_member (c, "oid", id->object_id);
  json_object_set_string_member (c, "sub", id->object_id);
  json_object_set_string_member (c, "appid", client_id);
  json_object_set_string_member (c, "uti", uti);
  json_object_set_string_member (c, "ver", "1.0");
  if (strcmp (id->kind, "user") == 0)
    {
      json_object_set_string_member (c, "upn", id->name);
      json_object_set_string_member (c, "unique_name", id->name);
      json_object_set_string_member (c, "name", id->name);
      json_object_set_string_member (c, "scp", "user_impersonation");
      json_object_set_string_member (c, "idtyp", "user");
    }
  else
    json_object_set_string_member (c, "idtyp", "app");
  return sign_jwt (e, c);
}

static char *
mint_id_token (KvbEmuEntra *e, KvbEmuIdentity *id, const char *client_id, const char *base_url)
{
  g_autoptr(JsonObject) c = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *iss = g_strdup_printf ("%s/%s/v2.0", base_url, id->tenant_id);

  json_object_set_string_member (c, "aud", client_id);
  json_object_set_string_member (c, "iss", iss);
  json_object_set_int_member (c, "iat", now);
  json_object_set_int_member (c, "nbf", now);
  json_object_set_int_member (c, "exp", now + 3600);
  json_object_set_string_member (c, "name", id->name);
  json_object_set_string_member (c, "oid", id->object_id);
  json_object_set_string_member (c, "preferred_username", id->name);
  json_object_set_string_member (c, "sub", id->object_id);
  json_object_set_string_member (c, "tid", id->tenant_id);
  json_object_set_string_member (c, "ver", "2.0");
  return sign_jwt (e, c);
}

gboolean
kvb_emu_entra_check_token (KvbEmuEntra *e, const char *authorization, KvbEmuAudience audience,
                           const char *tenant_id, KvbEmuCaller *caller, char **why)
{
  g_autoptr(JsonObject) header = NULL, payload = NULL;
  g_autofree char *input = NULL, *expect = NULL;
  g_auto(GStrv) parts = NULL;
  const char *token, *aud, *tid, *oid;
  gint64 exp = 0, nbf = 0, now = g_get_real_time () / G_USEC_PER_SEC;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      *why = g_strdup ("missing");
      return FALSE;
    }
  token = authorization + 7;
  while (*token == ' ')
    token++;
  if (!split_jwt (token, &header, &payload, &input, NULL, NULL))
    {
      *why = g_strdup ("malformed");
      return FALSE;
    }
  parts = g_strsplit (token, ".", 3);
  expect = hs256 (e, input);
  if (g_strcmp0 (obj_str (header, "alg"), "HS256") != 0 || !const_time_equal (expect, parts[2]))
    {
      *why = g_strdup ("signature");
      return FALSE;
    }
  if (!obj_int (payload, "exp", &exp) || exp <= now)
    {
      *why = g_strdup ("expired");
      return FALSE;
    }
  if (obj_int (payload, "nbf", &nbf) && nbf > now + 300)
    {
      *why = g_strdup ("not yet valid");
      return FALSE;
    }
  aud = obj_str (payload, "aud");
  if (aud == NULL || !audience_is (aud, audience))
    {
      *why = g_strdup ("audience");
      return FALSE;
    }
  tid = obj_str (payload, "tid");
  oid = obj_str (payload, "oid");
  if (tid == NULL || oid == NULL)
    {
      *why = g_strdup ("claims");
      return FALSE;
    }
  if (tenant_id != NULL && g_ascii_strcasecmp (tid, tenant_id) != 0)
    {
      *why = g_strdup ("tenant");
      return FALSE;
    }
  caller->oid = g_strdup (oid);
  caller->tid = g_strdup (tid);
  caller->appid = g_strdup (obj_str (payload, "appid"));
  caller->upn = g_strdup (obj_str (payload, "upn"));
  caller->aud = g_strdup (aud);
  return TRUE;
}

/* ---- replies ---- */

static void
reply_tokens (KvbEmuEntra *e, SoupServerMessage *msg, KvbEmuIdentity *id, const char *client_id,
              const char *resource, const char *scope, gboolean with_refresh, GHashTable *form,
              const char *base_url)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *at = mint_for (e, id, client_id, resource);
  gboolean user = strcmp (id->kind, "user") == 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token_type");
  json_builder_add_string_value (b, "Bearer");
  if (scope != NULL)
    {
      g_auto(GStrv) parts = g_strsplit_set (scope, " +", -1);
      g_autoptr(GString) s = g_string_new (NULL);
      for (guint i = 0; parts[i] != NULL; i++)
        if (*parts[i] && !is_oidc_scope (parts[i]))
          g_string_append_printf (s, "%s%s", s->len ? " " : "", parts[i]);
      if (s->len > 0)
        {
          json_builder_set_member_name (b, "scope");
          json_builder_add_string_value (b, s->str);
        }
    }
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, e->token_lifetime);
  json_builder_set_member_name (b, "ext_expires_in");
  json_builder_add_int_value (b, e->token_lifetime);
  json_builder_set_member_name (b, "access_token");
  json_builder_add_string_value (b, at);
  if (user && with_refresh)
    {
      g_autofree char *rt_str = random_token (96);
      RefreshToken *rt = g_new0 (RefreshToken, 1);
      rt->client_id = g_strdup (client_id);
      rt->user_oid = g_strdup (id->object_id);
      rt->tenant_id = g_strdup (id->tenant_id);
      g_hash_table_insert (e->refresh_tokens, g_strdup (rt_str), rt);
      json_builder_set_member_name (b, "refresh_token");
      json_builder_add_string_value (b, rt_str);
    }
  if (user && scope_has (scope, "openid"))
    {
      g_autofree char *idt = mint_id_token (e, id, client_id, base_url);
      json_builder_set_member_name (b, "id_token");
      json_builder_add_string_value (b, idt);
    }
  if (user && g_strcmp0 (g_hash_table_lookup (form, "client_info"), "1") == 0)
    {
      g_autofree char *ci_json = g_strdup_printf ("{\"uid\":\"%s\",\"utid\":\"%s\"}", id->object_id, id->tenant_id);
      g_autofree char *ci = kvb_emu_base64url_encode ((const guint8 *) ci_json, strlen (ci_json));
      json_builder_set_member_name (b, "client_info");
      json_builder_add_string_value (b, ci);
    }
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store, no-cache");
}

/* ---- tenant of the authority path ---- */

/* Returns the tenant id for the path segment, "" for common/organizations (decided by the identity),
 * NULL for an unknown tenant. */
static const char *
resolve_tenant (KvbEmuEntra *e, const char *segment)
{
  KvbEmuTenant *t;

  if (g_ascii_strcasecmp (segment, "common") == 0 || g_ascii_strcasecmp (segment, "organizations") == 0)
    return "";
  if (g_ascii_strcasecmp (segment, "adfs") == 0)
    return kvb_emu_state_get_default_tenant (e->state);
  t = kvb_emu_state_get_tenant (e->state, segment);
  return t ? t->id : NULL;
}

static void
reply_unknown_tenant (SoupServerMessage *msg, const char *segment)
{
  g_autofree char *d = g_strdup_printf ("Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                                        "and are signing into the correct cloud.", segment);
  kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 90002, d);
}

/* ---- discovery ---- */

static void
reply_openid_configuration (SoupServerMessage *msg, const char *base_url, const char *tenant_segment,
                            const char *tenant_id, gboolean v2)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *root = g_strdup_printf ("%s/%s", base_url, tenant_segment);
  const char *ver = v2 ? "/v2.0" : "";
  g_autofree char *issuer = NULL;
  g_autofree char *s = NULL;

  if (g_ascii_strcasecmp (tenant_segment, "adfs") == 0)
    issuer = g_strdup_printf ("%s/adfs", base_url);
  else
    issuer = g_strdup_printf ("%s/%s%s", base_url, *tenant_id ? tenant_id : "{tenantid}", ver);

#define MEMBER_STR(name, value) G_STMT_START { json_builder_set_member_name (b, name); json_builder_add_string_value (b, value); } G_STMT_END
  json_builder_begin_object (b);
  s = g_strdup_printf ("%s/oauth2%s/token", root, ver);
  MEMBER_STR ("token_endpoint", s);
  g_clear_pointer (&s, g_free);
  json_builder_set_member_name (b, "token_endpoint_auth_methods_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "client_secret_post");
  json_builder_add_string_value (b, "private_key_jwt");
  json_builder_add_string_value (b, "client_secret_basic");
  json_builder_end_array (b);
  s = g_strdup_printf ("%s/discovery%s/keys", root, ver);
  MEMBER_STR ("jwks_uri", s);
  g_clear_pointer (&s, g_free);
  json_builder_set_member_name (b, "response_modes_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "query");
  json_builder_add_string_value (b, "fragment");
  json_builder_add_string_value (b, "form_post");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "subject_types_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "pairwise");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "id_token_signing_alg_values_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "RS256");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "response_types_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "code");
  json_builder_add_string_value (b, "id_token");
  json_builder_add_string_value (b, "code id_token");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "scopes_supported");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "openid");
  json_builder_add_string_value (b, "profile");
  json_builder_add_string_value (b, "email");
  json_builder_add_string_value (b, "offline_access");
  json_builder_end_array (b);
  MEMBER_STR ("issuer", issuer);
  s = g_strdup_printf ("%s/oauth2%s/authorize", root, ver);
  MEMBER_STR ("authorization_endpoint", s);
  g_clear_pointer (&s, g_free);
  s = g_strdup_printf ("%s/oauth2%s/devicecode", root, ver);
  MEMBER_STR ("device_authorization_endpoint", s);
  g_clear_pointer (&s, g_free);
  json_builder_set_member_name (b, "http_logout_supported");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "frontchannel_logout_supported");
  json_builder_add_boolean_value (b, TRUE);
  s = g_strdup_printf ("%s/oauth2%s/logout", root, ver);
  MEMBER_STR ("end_session_endpoint", s);
  g_clear_pointer (&s, g_free);
  json_builder_set_member_name (b, "claims_supported");
  json_builder_begin_array (b);
  for (const char *const *c = (const char *const[]) { "sub", "iss", "aud", "exp", "iat", "name", "oid", "tid",
                                                      "preferred_username", "nonce", NULL }; *c; c++)
    json_builder_add_string_value (b, *c);
  json_builder_end_array (b);
  MEMBER_STR ("tenant_region_scope", "EU");
  {
    g_autofree char *host = g_strdup (base_url + strlen ("https://"));
    MEMBER_STR ("cloud_instance_name", host);
  }
  MEMBER_STR ("cloud_graph_host_name", "graph.windows.net");
  MEMBER_STR ("msgraph_host", "graph.microsoft.com");
  /* The rest of what the recorded real document carries; clients ignore them, but a client
   * that checks the shape must see the same members. */
  json_builder_set_member_name (b, "request_uri_parameter_supported");
  json_builder_add_boolean_value (b, FALSE);
  MEMBER_STR ("userinfo_endpoint", "https://graph.microsoft.com/oidc/userinfo");
  s = g_strdup_printf ("%s/kerberos", root);
  MEMBER_STR ("kerberos_endpoint", s);
  g_clear_pointer (&s, g_free);
  MEMBER_STR ("rbac_url", "https://pas.windows.net");
  json_builder_end_object (b);
#undef MEMBER_STR
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
reply_instance_discovery (SoupServerMessage *msg, GHashTable *query, const char *base_url)
{
  const char *authz = query ? g_hash_table_lookup (query, "authorization_endpoint") : NULL;
  g_autofree char *tenant = g_strdup ("common");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *tde = NULL;
  const char *host = base_url + strlen ("https://");

  if (authz != NULL)
    {
      g_autoptr(GUri) u = g_uri_parse (authz, G_URI_FLAGS_NONE, NULL);
      if (u != NULL)
        {
          g_auto(GStrv) segs = g_strsplit (g_uri_get_path (u), "/", -1);
          if (segs[0] != NULL && segs[1] != NULL && *segs[1])
            {
              g_free (tenant);
              tenant = g_strdup (segs[1]);
            }
        }
    }
  tde = g_strdup_printf ("%s/%s/v2.0/.well-known/openid-configuration", base_url, tenant);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tenant_discovery_endpoint");
  json_builder_add_string_value (b, tde);
  json_builder_set_member_name (b, "api-version");
  json_builder_add_string_value (b, "1.1");
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "preferred_network");
  json_builder_add_string_value (b, host);
  json_builder_set_member_name (b, "preferred_cache");
  json_builder_add_string_value (b, host);
  json_builder_set_member_name (b, "aliases");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, host);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

/* ---- device code ---- */

static char *
new_user_code (void)
{
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  char code[10];
  for (int i = 0; i < 9; i++)
    code[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  code[9] = '\0';
  return g_strdup (code);
}

static DeviceCode *
find_user_code (KvbEmuEntra *e, const char *user_code)
{
  GHashTableIter it;
  gpointer v;
  if (user_code == NULL)
    return NULL;
  g_hash_table_iter_init (&it, e->device_codes);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (g_ascii_strcasecmp (((DeviceCode *) v)->user_code, user_code) == 0)
      return v;
  return NULL;
}

static void
handle_devicecode (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *tenant_id,
                   const char *base_url)
{
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *scope = g_hash_table_lookup (form, "scope");
  const char *resource = g_hash_table_lookup (form, "resource");
  DeviceCode *d;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *uri = g_strdup_printf ("%s/devicelogin", base_url);
  g_autofree char *message = NULL;
  guint lifetime = kvb_emu_state_get_device_code_lifetime (e->state);

  if (client_id == NULL)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 900144,
                                 "The request body must contain the following parameter: 'client_id'.");
      return;
    }
  if (!kvb_emu_state_is_public_client (e->state, client_id))
    {
      g_autofree char *desc = g_strdup_printf ("Application with identifier '%s' was not found in the directory "
                                               "'%s'. This can happen if the application has not been installed "
                                               "by the administrator of the tenant.", client_id,
                                               *tenant_id ? tenant_id : "common");
      kvb_emu_reply_oauth_error (msg, 400, "unauthorized_client", 700016, desc);
      return;
    }
  if (scope == NULL && resource == NULL)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 900144,
                                 "The request body must contain the following parameter: 'scope'.");
      return;
    }
  d = g_new0 (DeviceCode, 1);
  d->device_code = random_token (48);
  d->user_code = new_user_code ();
  d->client_id = g_strdup (client_id);
  d->scope = g_strdup (scope ? scope : resource);
  d->tenant_id = g_strdup (tenant_id);
  d->expires_us = g_get_monotonic_time () + (gint64) lifetime * G_USEC_PER_SEC;
  d->status = DC_PENDING;
  g_hash_table_insert (e->device_codes, d->device_code, d);

  message = g_strdup_printf ("To sign in, use a web browser to open the page %s and enter the code %s to "
                             "authenticate.", uri, d->user_code);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user_code");
  json_builder_add_string_value (b, d->user_code);
  json_builder_set_member_name (b, "device_code");
  json_builder_add_string_value (b, d->device_code);
  json_builder_set_member_name (b, "verification_uri");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, lifetime);
  json_builder_set_member_name (b, "interval");
  json_builder_add_int_value (b, kvb_emu_state_get_device_code_interval (e->state));
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

gboolean
kvb_emu_entra_decide_device_code (KvbEmuEntra *e, const char *user_code, gboolean approve, const char *upn)
{
  DeviceCode *d = find_user_code (e, user_code);
  KvbEmuIdentity *user = NULL;

  if (d == NULL || d->status != DC_PENDING || g_get_monotonic_time () > d->expires_us)
    return FALSE;
  if (approve)
    {
      user = upn ? kvb_emu_state_find_user (e->state, upn)
                 : kvb_emu_state_get_identity (e->state, kvb_emu_state_get_sample_user (e->state));
      if (user == NULL)
        return FALSE;
      if (*d->tenant_id && g_ascii_strcasecmp (user->tenant_id, d->tenant_id) != 0)
        return FALSE;
      g_free (d->user_oid);
      d->user_oid = g_strdup (user->object_id);
      d->status = DC_APPROVED;
    }
  else
    d->status = DC_DECLINED;
  return TRUE;
}

gboolean
kvb_emu_entra_expire_device_code (KvbEmuEntra *e, const char *user_code)
{
  DeviceCode *d = find_user_code (e, user_code);
  if (d == NULL)
    return FALSE;
  d->expires_us = g_get_monotonic_time () - 1;
  return TRUE;
}

static void
grant_device_code (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *base_url)
{
  const char *code = g_hash_table_lookup (form, "device_code");
  const char *client_id = g_hash_table_lookup (form, "client_id");
  DeviceCode *d;
  gint64 now = g_get_monotonic_time ();
  gint64 interval_us;
  KvbEmuIdentity *user;
  g_autofree char *resource = NULL;

  if (code == NULL)
    code = g_hash_table_lookup (form, "code");   /* the v1 endpoint's name for it */
  d = code ? g_hash_table_lookup (e->device_codes, code) : NULL;
  if (d == NULL || g_strcmp0 (d->client_id, client_id) != 0 || d->status == DC_REDEEMED)
    {
      kvb_emu_reply_oauth_error (msg, 400, "bad_verification_code", 70000,
                                 "The provided value for the input parameter 'device_code' is not valid.");
      return;
    }
  if (now > d->expires_us)
    {
      kvb_emu_reply_oauth_error (msg, 400, "expired_token", 70019,
                                 "Verification code expired.");
      return;
    }
  /* RFC 8628 §3.5: polling faster than the interval earns slow_down (a little slack for timers). */
  interval_us = (gint64) kvb_emu_state_get_device_code_interval (e->state) * G_USEC_PER_SEC;
  if (d->last_poll_us != 0 && now - d->last_poll_us < interval_us * 8 / 10)
    {
      d->last_poll_us = now;
      kvb_emu_reply_oauth_error (msg, 400, "slow_down", 0,
                                 "The client is polling too fast. Wait at least the interval between polls.");
      return;
    }
  d->last_poll_us = now;
  if (d->status == DC_DECLINED)
    {
      kvb_emu_reply_oauth_error (msg, 400, "authorization_declined", 70000,
                                 "The user declined the authorization request.");
      return;
    }
  if (d->status == DC_PENDING)
    {
      kvb_emu_reply_oauth_error (msg, 400, "authorization_pending", 70016,
                                 "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
      return;
    }
  user = kvb_emu_state_get_identity (e->state, d->user_oid);
  resource = scope_resource (d->scope, NULL);
  if (resource == NULL)
    resource = g_strdup ("https://management.core.windows.net/");
  d->status = DC_REDEEMED;
  reply_tokens (e, msg, user, d->client_id, resource, d->scope, scope_has (d->scope, "offline_access"),
                form, base_url);
}

/* ---- authorization code ---- */

static gboolean
loopback_redirect (const char *uri)
{
  g_autoptr(GUri) u = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host;
  if (u == NULL || g_strcmp0 (g_uri_get_scheme (u), "http") != 0)
    return FALSE;
  host = g_uri_get_host (u);
  return g_strcmp0 (host, "localhost") == 0 || g_strcmp0 (host, "127.0.0.1") == 0
         || g_strcmp0 (host, "::1") == 0 || g_strcmp0 (host, "[::1]") == 0;
}

static char *
append_query (const char *uri, const char *first_key, ...)
{
  GString *s = g_string_new (uri);
  va_list ap;
  const char *k;
  gboolean has_q = strchr (uri, '?') != NULL;

  va_start (ap, first_key);
  for (k = first_key; k != NULL; k = va_arg (ap, const char *))
    {
      const char *v = va_arg (ap, const char *);
      g_autofree char *ev = NULL;
      if (v == NULL)
        continue;
      ev = g_uri_escape_string (v, NULL, FALSE);
      g_string_append_printf (s, "%c%s=%s", has_q ? '&' : '?', k, ev);
      has_q = TRUE;
    }
  va_end (ap);
  return g_string_free (s, FALSE);
}

static void
html_error (SoupServerMessage *msg, guint status, guint aadsts, const char *text)
{
  g_autofree char *esc = g_markup_escape_text (text, -1);
  g_autofree char *page = g_strdup_printf ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign in</title>"
                                           "</head><body><h1>Sorry, but we're having trouble signing you in.</h1>"
                                           "<p>AADSTS%u: %s</p></body></html>", aadsts, esc);
  kvb_emu_reply_text (msg, status, "text/html; charset=utf-8", page);
}

static void
handle_authorize (KvbEmuEntra *e, SoupServerMessage *msg, const char *method, GHashTable *params,
                  const char *tenant_id)
{
  const char *client_id = g_hash_table_lookup (params, "client_id");
  const char *redirect_uri = g_hash_table_lookup (params, "redirect_uri");
  const char *response_type = g_hash_table_lookup (params, "response_type");
  const char *state = g_hash_table_lookup (params, "state");
  const char *scope = g_hash_table_lookup (params, "scope");
  const char *challenge = g_hash_table_lookup (params, "code_challenge");
  const char *method_c = g_hash_table_lookup (params, "code_challenge_method");
  const char *login_hint = g_hash_table_lookup (params, "login_hint");
  const char *decision = g_hash_table_lookup (params, "decision");
  KvbEmuIdentity *user;
  g_autofree char *location = NULL;

  if (client_id == NULL || !kvb_emu_state_is_public_client (e->state, client_id))
    {
      html_error (msg, 400, 700016, "Application was not found in the directory.");
      return;
    }
  if (!loopback_redirect (redirect_uri))
    {
      html_error (msg, 400, 50011, "The redirect URI specified in the request does not match the redirect URIs "
                                   "configured for the application.");
      return;
    }
  if (g_strcmp0 (response_type, "code") != 0)
    {
      location = append_query (redirect_uri, "error", "unsupported_response_type", "error_description",
                               "AADSTS70005: response_type is not supported.", "state", state, NULL);
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
      return;
    }
  if (challenge != NULL && method_c != NULL && strcmp (method_c, "S256") != 0 && strcmp (method_c, "plain") != 0)
    {
      location = append_query (redirect_uri, "error", "invalid_request", "error_description",
                               "AADSTS501491: Invalid code_challenge_method.", "state", state, NULL);
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
      return;
    }
  user = login_hint ? kvb_emu_state_find_user (e->state, login_hint) : NULL;
  if (user == NULL)
    user = kvb_emu_state_get_identity (e->state, kvb_emu_state_get_sample_user (e->state));
  if (user == NULL || (*tenant_id && g_ascii_strcasecmp (user->tenant_id, tenant_id) != 0))
    {
      html_error (msg, 400, 50020, "The user account does not exist in this tenant.");
      return;
    }

  if (strcmp (method, "GET") == 0 || decision == NULL)
    {
      /* The approval page: a form that posts every parameter back to the same path. */
      GString *page = g_string_new (NULL);
      GHashTableIter it;
      gpointer k, v;
      g_autofree char *eu = g_markup_escape_text (user->name, -1);
      g_autofree char *es = g_markup_escape_text (scope ? scope : "", -1);
      g_autofree char *ec = g_markup_escape_text (client_id, -1);

      g_string_append_printf (page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign in to the local "
                              "Azure stand-in</title></head><body><h1>Permissions requested</h1>"
                              "<p>Application <code>%s</code> asks to sign in as <b id=\"user\">%s</b> for "
                              "<code>%s</code>.</p><form method=\"post\">", ec, eu, es);
      g_hash_table_iter_init (&it, params);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          g_autofree char *ek = NULL, *ev = NULL;
          if (strcmp (k, "decision") == 0)
            continue;
          ek = g_markup_escape_text (k, -1);
          ev = g_markup_escape_text (v, -1);
          g_string_append_printf (page, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", ek, ev);
        }
      g_string_append (page, "<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button> "
                             "<button type=\"submit\" name=\"decision\" value=\"decline\" id=\"decline\">Decline</button>"
                             "</form></body></html>");
      kvb_emu_reply_text (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", page->str);
      g_string_free (page, TRUE);
      return;
    }

  if (strcmp (decision, "approve") == 0)
    {
      AuthCode *a = g_new0 (AuthCode, 1);
      a->code = random_token (64);
      a->client_id = g_strdup (client_id);
      a->redirect_uri = g_strdup (redirect_uri);
      a->challenge = g_strdup (challenge);
      a->method = g_strdup (challenge ? (method_c ? method_c : "plain") : NULL);
      a->scope = g_strdup (scope);
      a->tenant_id = g_strdup (user->tenant_id);
      a->user_oid = g_strdup (user->object_id);
      a->expires_us = g_get_monotonic_time () + CODE_LIFETIME_S * G_USEC_PER_SEC;
      g_hash_table_insert (e->auth_codes, a->code, a);
      location = append_query (redirect_uri, "code", a->code, "state", state, "session_state", "emulator", NULL);
    }
  else
    location = append_query (redirect_uri, "error", "access_denied", "error_description",
                             "AADSTS65004: User declined to consent to access the app.", "state", state, NULL);
  soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
}

static void
grant_authorization_code (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *base_url)
{
  const char *code = g_hash_table_lookup (form, "code");
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *redirect_uri = g_hash_table_lookup (form, "redirect_uri");
  const char *verifier = g_hash_table_lookup (form, "code_verifier");
  const char *scope = g_hash_table_lookup (form, "scope");
  AuthCode *a = code ? g_hash_table_lookup (e->auth_codes, code) : NULL;
  KvbEmuIdentity *user;
  g_autofree char *resource = NULL;
  const char *eff_scope;

  if (a == NULL)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 9002313,
                                 "Invalid request. Request is malformed or invalid. The provided value for the "
                                 "'code' parameter is not valid.");
      return;
    }
  if (a->used)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 54005,
                                 "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                                 "code or use an existing refresh token.");
      return;
    }
  if (g_get_monotonic_time () > a->expires_us)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 70008,
                                 "The provided authorization code or refresh token has expired due to inactivity.");
      return;
    }
  if (g_strcmp0 (a->client_id, client_id) != 0)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 700005,
                                 "Provided Authorization Code is intended to use against other tenant or client.");
      return;
    }
  if (g_strcmp0 (a->redirect_uri, redirect_uri) != 0)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 50148,
                                 "The redirect_uri does not match the one of the authorization request.");
      return;
    }
  if (a->challenge != NULL)
    {
      gboolean ok = FALSE;
      if (verifier != NULL && strcmp (a->method, "S256") == 0)
        {
          guint8 digest[32];
          gsize len = sizeof digest;
          g_autoptr(GChecksum) ck = g_checksum_new (G_CHECKSUM_SHA256);
          g_autofree char *enc = NULL;
          g_checksum_update (ck, (const guchar *) verifier, -1);
          g_checksum_get_digest (ck, digest, &len);
          enc = kvb_emu_base64url_encode (digest, len);
          ok = strcmp (enc, a->challenge) == 0;
        }
      else if (verifier != NULL)
        ok = strcmp (verifier, a->challenge) == 0;
      if (!ok)
        {
          kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 501481,
                                     "The Code_Verifier does not match the code_challenge supplied in the "
                                     "authorization request.");
          return;
        }
    }
  a->used = TRUE;
  user = kvb_emu_state_get_identity (e->state, a->user_oid);
  eff_scope = scope ? scope : a->scope;
  resource = scope_resource (eff_scope, NULL);
  if (resource == NULL)
    resource = g_strdup ("https://management.core.windows.net/");
  if (!resource_known (resource))
    {
      g_autofree char *d = g_strdup_printf ("The resource principal named %s was not found in the tenant.", resource);
      kvb_emu_reply_oauth_error (msg, 400, "invalid_resource", 500011, d);
      return;
    }
  reply_tokens (e, msg, user, client_id, resource, eff_scope,
                scope_has (a->scope, "offline_access") || scope_has (scope, "offline_access"), form, base_url);
}

/* ---- refresh token ---- */

static void
grant_refresh_token (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *tenant_id,
                     const char *base_url)
{
  const char *token = g_hash_table_lookup (form, "refresh_token");
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *scope = g_hash_table_lookup (form, "scope");
  const char *resource_param = g_hash_table_lookup (form, "resource");
  RefreshToken *rt = token ? g_hash_table_lookup (e->refresh_tokens, token) : NULL;
  KvbEmuIdentity *user;
  g_autofree char *resource = NULL;

  if (rt == NULL || rt->redeemed)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 9002313,
                                 "Invalid request. Request is malformed or invalid. The refresh token is not valid "
                                 "or was already used.");
      return;
    }
  if (rt->revoked)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 50173,
                                 "The provided grant has expired due to it being revoked, a fresh auth token is "
                                 "needed. The user might have changed or reset their password.");
      return;
    }
  if (g_strcmp0 (rt->client_id, client_id) != 0)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 700003,
                                 "The refresh token was issued to a different client.");
      return;
    }
  if (*tenant_id && g_ascii_strcasecmp (tenant_id, rt->tenant_id) != 0)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_grant", 50020,
                                 "The user account does not exist in this tenant.");
      return;
    }
  resource = scope ? scope_resource (scope, NULL) : g_strdup (resource_param);
  if (resource == NULL)
    resource = g_strdup ("https://management.core.windows.net/");
  if (!resource_known (resource))
    {
      g_autofree char *d = g_strdup_printf ("The resource principal named %s was not found in the tenant.", resource);
      kvb_emu_reply_oauth_error (msg, 400, "invalid_resource", 500011, d);
      return;
    }
  user = kvb_emu_state_get_identity (e->state, rt->user_oid);
  /* Rotation: the old token stops working once the new one is issued. */
  rt->redeemed = TRUE;
  reply_tokens (e, msg, user, client_id, resource, scope, TRUE, form, base_url);
}

guint
kvb_emu_entra_revoke_refresh_tokens (KvbEmuEntra *e, const char *upn)
{
  GHashTableIter it;
  gpointer v;
  guint n = 0;
  KvbEmuIdentity *user = upn ? kvb_emu_state_find_user (e->state, upn) : NULL;

  if (upn != NULL && user == NULL)
    return 0;
  g_hash_table_iter_init (&it, e->refresh_tokens);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RefreshToken *rt = v;
      if (rt->revoked || rt->redeemed)
        continue;
      if (user == NULL || g_ascii_strcasecmp (rt->user_oid, user->object_id) == 0)
        {
          rt->revoked = TRUE;
          n++;
        }
    }
  return n;
}

/* ---- client credentials ---- */

/* Clients write thumbprints with or without padding (MSAL for Python pads): compare the bytes. */
static gboolean
same_thumbprint (const char *given, const char *expected)
{
  gsize la = 0, lb = 0;
  g_autofree guint8 *a = given ? kvb_emu_base64url_decode (given, &la) : NULL;
  g_autofree guint8 *b = expected ? kvb_emu_base64url_decode (expected, &lb) : NULL;
  return a != NULL && b != NULL && la == lb && memcmp (a, b, la) == 0;
}

static gboolean
check_assertion (KvbEmuEntra *e, KvbEmuIdentity *sp, const char *assertion, const char *token_url,
                 guint *aadsts, const char **why)
{
  g_autoptr(JsonObject) header = NULL, payload = NULL;
  g_autofree char *input = NULL, *x5t = NULL, *x5t256 = NULL;
  g_autofree guint8 *sig = NULL;
  gsize sig_len = 0;
  const char *alg, *h_x5t, *h_x5t256, *aud;
  gint64 exp = 0, nbf = 0, now = g_get_real_time () / G_USEC_PER_SEC;

  if (!split_jwt (assertion, &header, &payload, &input, &sig, &sig_len))
    {
      *aadsts = 50027;
      *why = "JWT token is invalid or malformed.";
      return FALSE;
    }
  if (sp->certificate_pem == NULL)
    {
      *aadsts = 700027;
      *why = "Client assertion contains an invalid signature. [Reason - The key was not found.]";
      return FALSE;
    }
  alg = obj_str (header, "alg");
  h_x5t = obj_str (header, "x5t");
  h_x5t256 = obj_str (header, "x5t#S256");
  x5t = kvb_emu_tls_thumbprint (sp->certificate_pem, FALSE);
  x5t256 = kvb_emu_tls_thumbprint (sp->certificate_pem, TRUE);
  if (!((h_x5t256 != NULL && same_thumbprint (h_x5t256, x5t256))
        || (h_x5t256 == NULL && h_x5t != NULL && same_thumbprint (h_x5t, x5t))))
    {
      *aadsts = 700027;
      *why = "Client assertion contains an invalid signature. [Reason - The key was not found.]";
      return FALSE;
    }
  if (!kvb_emu_tls_verify_signature (sp->certificate_pem, alg, input, strlen (input), sig, sig_len))
    {
      *aadsts = 700027;
      *why = "Client assertion failed signature validation.";
      return FALSE;
    }
  if (g_strcmp0 (obj_str (payload, "iss"), sp->client_id) != 0 || g_strcmp0 (obj_str (payload, "sub"), sp->client_id) != 0)
    {
      *aadsts = 700021;
      *why = "Client assertion application identifier doesn't match 'client_id' parameter.";
      return FALSE;
    }
  aud = obj_str (payload, "aud");
  if (aud == NULL || g_ascii_strcasecmp (aud, token_url) != 0)
    {
      *aadsts = 700212;
      *why = "No matching federated identity record found for presented assertion audience.";
      return FALSE;
    }
  if (!obj_int (payload, "exp", &exp) || exp + 300 < now || (obj_int (payload, "nbf", &nbf) && nbf > now + 300))
    {
      *aadsts = 700024;
      *why = "Client assertion is not within its valid time range.";
      return FALSE;
    }
  return TRUE;
}

static void
grant_client_credentials (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *tenant_segment,
                          const char *tenant_id, const char *token_url, const char *base_url)
{
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *secret = g_hash_table_lookup (form, "client_secret");
  const char *assertion = g_hash_table_lookup (form, "client_assertion");
  const char *assertion_type = g_hash_table_lookup (form, "client_assertion_type");
  const char *scope = g_hash_table_lookup (form, "scope");
  const char *resource_param = g_hash_table_lookup (form, "resource");
  KvbEmuIdentity *sp;
  g_autofree char *resource = NULL;
  gboolean is_default = FALSE;

  if (client_id == NULL)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 900144,
                                 "The request body must contain the following parameter: 'client_id'.");
      return;
    }
  if (*tenant_id == '\0')
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 90133,
                                 "Client credential flows need a tenant: use a tenant ID or domain in the authority, "
                                 "not 'common' or 'organizations'.");
      return;
    }
  sp = kvb_emu_state_find_client (e->state, client_id);
  if (sp == NULL || strcmp (sp->kind, "service-principal") != 0 || g_ascii_strcasecmp (sp->tenant_id, tenant_id) != 0)
    {
      g_autofree char *d = g_strdup_printf ("Application with identifier '%s' was not found in the directory '%s'. "
                                            "This can happen if the application has not been installed by the "
                                            "administrator of the tenant or consented to by any user in the tenant. "
                                            "You may have sent your authentication request to the wrong tenant.",
                                            client_id, tenant_segment);
      kvb_emu_reply_oauth_error (msg, 400, "unauthorized_client", 700016, d);
      return;
    }
  if (secret != NULL)
    {
      if (sp->client_secret == NULL || !const_time_equal (secret, sp->client_secret))
        {
          g_autofree char *d = g_strdup_printf ("Invalid client secret provided. Ensure the secret being sent in the "
                                                "request is the client secret value, not the client secret ID, for "
                                                "a secret added to app '%s'.", client_id);
          kvb_emu_reply_oauth_error (msg, 401, "invalid_client", 7000215, d);
          return;
        }
    }
  else if (assertion != NULL)
    {
      guint code = 0;
      const char *why = NULL;
      if (g_strcmp0 (assertion_type, JWT_BEARER_ASSERTION) != 0)
        {
          kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 700024,
                                     "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
          return;
        }
      if (!check_assertion (e, sp, assertion, token_url, &code, &why))
        {
          kvb_emu_reply_oauth_error (msg, 401, "invalid_client", code, why);
          return;
        }
    }
  else
    {
      kvb_emu_reply_oauth_error (msg, 401, "invalid_client", 7000218,
                                 "The request body must contain the following parameter: 'client_assertion' or "
                                 "'client_secret'.");
      return;
    }

  if (scope != NULL)
    {
      resource = scope_resource (scope, &is_default);
      if (resource == NULL || !is_default)
        {
          g_autofree char *d = g_strdup_printf ("The provided value for scope %s is not valid. Client credential flows "
                                                "must have a scope value with /.default suffixed to the resource "
                                                "identifier (application ID URI).", scope);
          kvb_emu_reply_oauth_error (msg, 400, "invalid_scope", 1002012, d);
          return;
        }
    }
  else if (resource_param != NULL)
    resource = g_strdup (resource_param);
  else
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 900144,
                                 "The request body must contain the following parameter: 'scope'.");
      return;
    }
  if (!resource_known (resource))
    {
      g_autofree char *d = g_strdup_printf ("The resource principal named %s was not found in the tenant named %s.",
                                            resource, tenant_segment);
      kvb_emu_reply_oauth_error (msg, 400, "invalid_resource", 500011, d);
      return;
    }
  reply_tokens (e, msg, sp, client_id, resource, NULL, FALSE, form, base_url);
}

/* ---- the token endpoint ---- */

static void
handle_token (KvbEmuEntra *e, SoupServerMessage *msg, GHashTable *form, const char *tenant_segment,
              const char *tenant_id, const char *token_url, const char *base_url)
{
  const char *grant = g_hash_table_lookup (form, "grant_type");
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");

  /* client_secret_basic */
  if (auth != NULL && g_ascii_strncasecmp (auth, "Basic ", 6) == 0)
    {
      gsize len = 0;
      g_autofree guint8 *raw = g_base64_decode (auth + 6, &len);
      g_autofree char *pair = raw ? g_strndup ((const char *) raw, len) : NULL;
      char *colon = pair ? strchr (pair, ':') : NULL;
      if (colon != NULL)
        {
          *colon = '\0';
          g_hash_table_replace (form, g_strdup ("client_id"), g_uri_unescape_string (pair, NULL));
          g_hash_table_replace (form, g_strdup ("client_secret"), g_uri_unescape_string (colon + 1, NULL));
        }
    }

  if (grant == NULL)
    {
      kvb_emu_reply_oauth_error (msg, 400, "invalid_request", 900144,
                                 "The request body must contain the following parameter: 'grant_type'.");
      return;
    }
  if (strcmp (grant, "client_credentials") == 0)
    grant_client_credentials (e, msg, form, tenant_segment, tenant_id, token_url, base_url);
  else if (strcmp (grant, DEVICE_CODE_GRANT) == 0 || strcmp (grant, "device_code") == 0)
    grant_device_code (e, msg, form, base_url);
  else if (strcmp (grant, "authorization_code") == 0)
    grant_authorization_code (e, msg, form, base_url);
  else if (strcmp (grant, "refresh_token") == 0)
    grant_refresh_token (e, msg, form, tenant_id, base_url);
  else
    {
      g_autofree char *d = g_strdup_printf ("The provided value for the input parameter 'grant_type' is not valid. "
                                            "Expected values are the following: 'authorization_code', "
                                            "'client_credentials', 'refresh_token', '%s'.", DEVICE_CODE_GRANT);
      kvb_emu_reply_oauth_error (msg, 400, "unsupported_grant_type", 70003, d);
    }
}

static GHashTable *
decode_form (GBytes *body)
{
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autofree char *text = data ? g_strndup (data, len) : g_strdup ("");
  return soup_form_decode (text);
}

/* ---- the device login page (for people using the sample cloud) ---- */

static void
handle_devicelogin (KvbEmuEntra *e, SoupServerMessage *msg, const char *method, GBytes *body)
{
  const char *result = NULL;

  if (strcmp (method, "POST") == 0)
    {
      g_autoptr(GHashTable) form = decode_form (body);
      const char *code = g_hash_table_lookup (form, "user_code");
      gboolean approve = g_strcmp0 (g_hash_table_lookup (form, "decision"), "decline") != 0;
      if (kvb_emu_entra_decide_device_code (e, code, approve, NULL))
        result = approve ? "You have signed in. You may now close this window." : "The sign-in was declined.";
      else
        result = "That code is not valid or has expired. Check the code and try again.";
    }
  {
    g_autofree char *eres = result ? g_markup_escape_text (result, -1) : g_strdup ("");
    g_autofree char *page = g_strdup_printf (
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Enter code</title></head><body>"
      "<h1>Enter code</h1><p id=\"result\">%s</p><form method=\"post\">"
      "<input name=\"user_code\" autocomplete=\"off\" autofocus> "
      "<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> "
      "<button type=\"submit\" name=\"decision\" value=\"decline\">Decline</button></form></body></html>", eres);
    kvb_emu_reply_text (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", page);
  }
}

gboolean
kvb_emu_entra_handle (KvbEmuEntra *e, SoupServerMessage *msg, const char *method, const char *path,
                      GHashTable *query, GBytes *body, const char *base_url)
{
  g_auto(GStrv) segs = g_strsplit (path + 1, "/", -1);
  guint n = g_strv_length (segs);
  const char *tenant_id;
  const char *endpoint = NULL;
  gboolean v2 = FALSE;

  if (n == 0)
    return FALSE;
  if (n == 3 && strcmp (segs[0], "common") == 0 && strcmp (segs[1], "discovery") == 0
      && strcmp (segs[2], "instance") == 0)
    {
      reply_instance_discovery (msg, query, base_url);
      return TRUE;
    }
  if (n == 1 && strcmp (segs[0], "devicelogin") == 0)
    {
      handle_devicelogin (e, msg, method, body);
      return TRUE;
    }

  /* /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/.well-known/openid-configuration */
  if ((n == 4 && strcmp (segs[1], "v2.0") == 0 && strcmp (segs[2], ".well-known") == 0
       && strcmp (segs[3], "openid-configuration") == 0)
      || (n == 3 && strcmp (segs[1], ".well-known") == 0 && strcmp (segs[2], "openid-configuration") == 0))
    {
      tenant_id = resolve_tenant (e, segs[0]);
      if (tenant_id == NULL)
        reply_unknown_tenant (msg, segs[0]);
      else
        reply_openid_configuration (msg, base_url, segs[0], tenant_id,
                                    n == 4 && g_ascii_strcasecmp (segs[0], "adfs") != 0);
      return TRUE;
    }
  /* /{tenant}/discovery[/v2.0]/keys */
  if ((n == 3 || n == 4) && strcmp (segs[1], "discovery") == 0 && strcmp (segs[n - 1], "keys") == 0)
    {
      kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_from_string ("{\"keys\":[]}", NULL));
      return TRUE;
    }
  /* /{tenant}/oauth2/v2.0/{endpoint} and /{tenant}/oauth2/{endpoint} (v1, AD FS) */
  if (n == 4 && strcmp (segs[1], "oauth2") == 0 && strcmp (segs[2], "v2.0") == 0)
    {
      endpoint = segs[3];
      v2 = TRUE;
    }
  else if (n == 3 && strcmp (segs[1], "oauth2") == 0)
    endpoint = segs[2];
  if (endpoint == NULL)
    return FALSE;
  (void) v2;

  tenant_id = resolve_tenant (e, segs[0]);
  if (strcmp (endpoint, "authorize") == 0)
    {
      g_autoptr(GHashTable) params = NULL;
      if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0)
        {
          kvb_emu_reply_oauth_error (msg, 405, "invalid_request", 900561,
                                     "The endpoint only accepts GET and POST requests.");
          return TRUE;
        }
      if (tenant_id == NULL)
        {
          html_error (msg, 400, 90002, "Tenant not found.");
          return TRUE;
        }
      if (strcmp (method, "POST") == 0)
        params = decode_form (body);
      else
        params = query ? g_hash_table_ref (query) : g_hash_table_new (g_str_hash, g_str_equal);
      handle_authorize (e, msg, method, params, tenant_id);
      return TRUE;
    }
  if (strcmp (endpoint, "token") == 0 || strcmp (endpoint, "devicecode") == 0)
    {
      g_autoptr(GHashTable) form = NULL;
      g_autofree char *token_url = NULL;
      if (strcmp (method, "POST") != 0)
        {
          kvb_emu_reply_oauth_error (msg, 405, "invalid_request", 900561,
                                     "The endpoint only accepts POST, OPTIONS requests. Received a GET request.");
          return TRUE;
        }
      if (tenant_id == NULL)
        {
          reply_unknown_tenant (msg, segs[0]);
          return TRUE;
        }
      /* soup_form_decode's table owns its strings; copy into one we can modify. */
      {
        g_autoptr(GHashTable) raw = decode_form (body);
        GHashTableIter it;
        gpointer k, v;
        form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
        g_hash_table_iter_init (&it, raw);
        while (g_hash_table_iter_next (&it, &k, &v))
          g_hash_table_insert (form, g_strdup (k), g_strdup (v));
      }
      if (strcmp (endpoint, "devicecode") == 0)
        handle_devicecode (e, msg, form, tenant_id, base_url);
      else
        {
          token_url = g_strdup_printf ("%s%s", base_url, path);
          handle_token (e, msg, form, segs[0], tenant_id, token_url, base_url);
        }
      return TRUE;
    }
  return FALSE;
}
