#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emu-arm.h"
#include "kvb-emu-reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small on purpose, so that the sample's vault listing shows paging. */
#define VAULT_PAGE_SIZE 2
#define REGISTRATION_DELAY_US (2 * G_USEC_PER_SEC)

struct _KvbEmuArm
{
  KvbEmuState *state;
  GHashTable *registering;   /* subscription id -> gint64* monotonic deadline */
};

KvbEmuArm *
kvb_emu_arm_new (KvbEmuState *state)
{
  KvbEmuArm *a = g_new0 (KvbEmuArm, 1);
  a->state = state;
  a->registering = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return a;
}

void
kvb_emu_arm_free (KvbEmuArm *a)
{
  if (a == NULL)
    return;
  g_hash_table_unref (a->registering);
  g_free (a);
}

gboolean
kvb_emu_arm_owns_path (const char *path)
{
  static const char *const prefixes[] = { "/subscriptions", "/tenants", "/providers", "/metadata" };
  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      gsize n = strlen (prefixes[i]);
      if (g_ascii_strncasecmp (path, prefixes[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
        return TRUE;
    }
  return FALSE;
}

gboolean
kvb_emu_arm_is_anonymous (const char *path)
{
  return g_ascii_strcasecmp (path, "/metadata/endpoints") == 0;
}

void
kvb_emu_arm_reply_unauthorized (SoupServerMessage *msg, const char *base_url, const char *why)
{
  const char *code = "InvalidAuthenticationToken";
  const char *message = "The access token is invalid.";
  g_autofree char *challenge = NULL;

  if (g_strcmp0 (why, "missing") == 0)
    {
      code = "AuthenticationFailed";
      message = "Authentication failed. The 'Authorization' header is missing.";
    }
  else if (g_strcmp0 (why, "expired") == 0)
    {
      code = "ExpiredAuthenticationToken";
      message = "The access token expiry UTC time is earlier than current UTC time.";
    }
  else if (g_strcmp0 (why, "audience") == 0)
    {
      code = "InvalidAuthenticationTokenAudience";
      message = "The access token has been obtained for wrong audience or resource. It should exactly match "
                "with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'.";
    }
  challenge = g_strdup_printf ("Bearer authorization_uri=\"%s/common\", error=\"invalid_token\", "
                               "error_description=\"%s\"",
                               g_str_has_suffix (base_url, "management.azure.com") ? "https://login.microsoftonline.com"
                                                                                   : base_url, message);
  kvb_emu_reply_error (msg, 401, code, message, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", challenge);
}

static gboolean
api_version_ok (const char *v)
{
  /* Resource Manager versions are dates, optionally "-preview"; accept the range Azure's clients send. */
  int y, m, d;
  char rest[16] = "";
  if (v == NULL || strlen (v) > 24)
    return FALSE;
  if (sscanf (v, "%4d-%2d-%2d%15s", &y, &m, &d, rest) < 3)
    return FALSE;
  if (strlen (v) < 10 || v[4] != '-' || v[7] != '-')
    return FALSE;
  if (*rest && strcmp (rest, "-preview") != 0 && strcmp (rest, "-beta") != 0)
    return FALSE;
  return y >= 2014 && y <= 2026 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static const char *
provider_state (KvbEmuArm *a, KvbEmuSubscription *sub)
{
  const char *st = g_hash_table_lookup (sub->providers, "Microsoft.KeyVault");
  gint64 *deadline = g_hash_table_lookup (a->registering, sub->id);

  if (g_strcmp0 (st, "Registering") == 0 && deadline != NULL && g_get_monotonic_time () >= *deadline)
    {
      g_hash_table_insert (sub->providers, g_strdup ("Microsoft.KeyVault"), g_strdup ("Registered"));
      g_hash_table_remove (a->registering, sub->id);
      st = "Registered";
    }
  return st ? st : "NotRegistered";
}

static void
add_subscription (JsonBuilder *b, KvbEmuSubscription *sub)
{
  g_autofree char *id = g_strdup_printf ("/subscriptions/%s", sub->id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "authorizationSource");
  json_builder_add_string_value (b, "RoleBased");
  json_builder_set_member_name (b, "managedByTenants");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "subscriptionId");
  json_builder_add_string_value (b, sub->id);
  json_builder_set_member_name (b, "tenantId");
  json_builder_add_string_value (b, sub->tenant_id);
  json_builder_set_member_name (b, "displayName");
  json_builder_add_string_value (b, sub->display_name);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, "Enabled");
  json_builder_set_member_name (b, "subscriptionPolicies");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "locationPlacementId");
  json_builder_add_string_value (b, "Public_2014-09-01");
  json_builder_set_member_name (b, "quotaId");
  json_builder_add_string_value (b, "PayAsYouGo_2014-09-01");
  json_builder_set_member_name (b, "spendingLimit");
  json_builder_add_string_value (b, "Off");
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_permission_list (JsonBuilder *b, const char *kind, GStrv grants)
{
  json_builder_set_member_name (b, kind);
  json_builder_begin_array (b);
  for (guint i = 0; grants[i] != NULL; i++)
    {
      gsize n = strlen (kind);
      if (strcmp (grants[i], "*") == 0
          || (g_str_has_prefix (grants[i], kind) && strcmp (grants[i] + n, "/*") == 0))
        json_builder_add_string_value (b, "all");
      else if (g_str_has_prefix (grants[i], kind) && grants[i][n] == '/')
        json_builder_add_string_value (b, grants[i] + n + 1);
    }
  json_builder_end_array (b);
}

static void
add_vault (JsonBuilder *b, KvbEmuVault *v, const char *vault_suffix)
{
  g_autofree char *id = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s",
                                         v->subscription_id, v->resource_group, v->name);
  g_autofree char *uri = g_strdup_printf ("https://%s.%s/", v->name, vault_suffix);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, v->name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "Microsoft.KeyVault/vaults");
  json_builder_set_member_name (b, "location");
  json_builder_add_string_value (b, v->location);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "sku");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, "A");
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "standard");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "tenantId");
  json_builder_add_string_value (b, v->tenant_id);
  json_builder_set_member_name (b, "accessPolicies");
  json_builder_begin_array (b);
  if (!v->rbac)
    {
      GHashTableIter it;
      gpointer who, grants;
      g_autoptr(GList) keys = NULL;
      g_hash_table_iter_init (&it, v->permissions);
      keys = g_list_sort (g_hash_table_get_keys (v->permissions), (GCompareFunc) strcmp);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          who = l->data;
          grants = g_hash_table_lookup (v->permissions, who);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "tenantId");
          json_builder_add_string_value (b, v->tenant_id);
          json_builder_set_member_name (b, "objectId");
          json_builder_add_string_value (b, who);
          json_builder_set_member_name (b, "permissions");
          json_builder_begin_object (b);
          add_permission_list (b, "keys", grants);
          add_permission_list (b, "secrets", grants);
          add_permission_list (b, "certificates", grants);
          json_builder_end_object (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "enabledForDeployment");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "enabledForDiskEncryption");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "enabledForTemplateDeployment");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "enableSoftDelete");
  json_builder_add_boolean_value (b, v->soft_delete);
  if (v->soft_delete)
    {
      json_builder_set_member_name (b, "softDeleteRetentionInDays");
      json_builder_add_int_value (b, v->retention_days);
    }
  json_builder_set_member_name (b, "enableRbacAuthorization");
  json_builder_add_boolean_value (b, v->rbac);
  /* Resource Manager omits enablePurgeProtection unless it was turned on (it cannot be turned off). */
  if (v->purge_protection)
    {
      json_builder_set_member_name (b, "enablePurgeProtection");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_set_member_name (b, "vaultUri");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "provisioningState");
  json_builder_add_string_value (b, "Succeeded");
  json_builder_set_member_name (b, "publicNetworkAccess");
  json_builder_add_string_value (b, "Enabled");
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_provider (JsonBuilder *b, KvbEmuArm *a, KvbEmuSubscription *sub)
{
  g_autofree char *id = g_strdup_printf ("/subscriptions/%s/providers/Microsoft.KeyVault", sub->id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "namespace");
  json_builder_add_string_value (b, "Microsoft.KeyVault");
  json_builder_set_member_name (b, "registrationState");
  json_builder_add_string_value (b, provider_state (a, sub));
  json_builder_set_member_name (b, "registrationPolicy");
  json_builder_add_string_value (b, "RegistrationRequired");
  json_builder_set_member_name (b, "resourceTypes");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resourceType");
  json_builder_add_string_value (b, "vaults");
  json_builder_set_member_name (b, "locations");
  json_builder_begin_array (b);
  for (const char *const *l = (const char *const[]) { "North Europe", "West Europe", "East US", "West US 2",
                                                      "Japan East", NULL }; *l; l++)
    json_builder_add_string_value (b, *l);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "apiVersions");
  json_builder_begin_array (b);
  for (const char *const *l = (const char *const[]) { "2025-05-01", "2024-11-01", "2023-07-01", "2022-07-01",
                                                      "2021-10-01", "2019-09-01", NULL }; *l; l++)
    json_builder_add_string_value (b, *l);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
reply_not_found (SoupServerMessage *msg, const char *path)
{
  g_autofree char *m = g_strdup_printf ("No HTTP resource was found that matches the request URI "
                                        "'https://management.azure.com%s'.", path);
  kvb_emu_reply_error (msg, 404, "InvalidResourceType", m, NULL);
}

static void
reply_subscription_not_found (SoupServerMessage *msg, const char *id)
{
  g_autofree char *m = g_strdup_printf ("The subscription '%s' could not be found.", id);
  kvb_emu_reply_error (msg, 404, "SubscriptionNotFound", m, NULL);
}

static void
reply_method_not_allowed (SoupServerMessage *msg, const char *method)
{
  g_autofree char *m = g_strdup_printf ("The requested resource does not support http method '%s'.", method);
  kvb_emu_reply_error (msg, 405, "MethodNotAllowed", m, NULL);
}

/* Finds the subscription and checks that the caller may see it; replies and returns NULL otherwise. */
static KvbEmuSubscription *
caller_subscription (KvbEmuArm *a, SoupServerMessage *msg, const char *id, const KvbEmuCaller *caller,
                     const char *action)
{
  KvbEmuSubscription *sub = kvb_emu_state_get_subscription (a->state, id);

  if (sub == NULL)
    {
      reply_subscription_not_found (msg, id);
      return NULL;
    }
  if (g_ascii_strcasecmp (sub->tenant_id, caller->tid) != 0)
    {
      g_autofree char *m = g_strdup_printf ("The access token is from the wrong issuer 'https://sts.windows.net/%s/'. "
                                            "It must match the tenant 'https://sts.windows.net/%s/' associated with "
                                            "this subscription. Please use the authority (URL) "
                                            "'https://login.windows.net/%s' to get the token. Note, if the "
                                            "subscription is transferred to another tenant there is no impact to "
                                            "the services, but information about new tenant could take time to "
                                            "propagate (up to an hour). If you just transferred your subscription "
                                            "and see this error message, please try back later.",
                                            caller->tid, sub->tenant_id, sub->tenant_id);
      kvb_emu_reply_error (msg, 401, "InvalidAuthenticationTokenTenant", m, NULL);
      return NULL;
    }
  if (!kvb_emu_state_subscription_allows (a->state, sub, caller->oid))
    {
      g_autofree char *m = g_strdup_printf ("The client '%s' with object id '%s' does not have authorization to "
                                            "perform action '%s' over scope '/subscriptions/%s' or the scope is "
                                            "invalid. If access was recently granted, please refresh your "
                                            "credentials.", caller->upn ? caller->upn : caller->appid ? caller->appid : caller->oid,
                                            caller->oid, action, sub->id);
      kvb_emu_reply_error (msg, 403, "AuthorizationFailed", m, NULL);
      return NULL;
    }
  return sub;
}

static gboolean
provider_registered (KvbEmuArm *a, SoupServerMessage *msg, KvbEmuSubscription *sub)
{
  if (strcmp (provider_state (a, sub), "Registered") == 0)
    return TRUE;
  kvb_emu_reply_error (msg, 409, "MissingSubscriptionRegistration",
                       "The subscription is not registered to use namespace 'Microsoft.KeyVault'. See "
                       "https://aka.ms/rps-not-found for how to register subscriptions.", NULL);
  return FALSE;
}

static void
list_vaults (KvbEmuArm *a, SoupServerMessage *msg, const char *path, GHashTable *query, const char *base_url,
             const char *vault_suffix, KvbEmuSubscription *sub, const char *resource_group)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  GList *all = kvb_emu_state_get_vaults (a->state);
  const char *top_s = g_hash_table_lookup (query, "$top");
  const char *skip_s = g_hash_table_lookup (query, "$skiptoken");
  guint top = VAULT_PAGE_SIZE, offset = 0;

  for (GList *l = all; l != NULL; l = l->next)
    {
      KvbEmuVault *v = l->data;
      if (g_ascii_strcasecmp (v->subscription_id, sub->id) == 0
          && (resource_group == NULL || g_ascii_strcasecmp (v->resource_group, resource_group) == 0))
        g_ptr_array_add (matching, v);
    }
  g_list_free (all);

  if (top_s != NULL)
    {
      char *end = NULL;
      gint64 t = g_ascii_strtoll (top_s, &end, 10);
      if (end == top_s || *end != '\0' || t < 1 || t > 1000)
        {
          kvb_emu_reply_error (msg, 400, "InvalidTopValue", "The value of $top must be between 1 and 1000.", NULL);
          return;
        }
      top = t;
    }
  if (skip_s != NULL)
    {
      gsize len = 0;
      g_autofree guint8 *raw = kvb_emu_base64url_decode (skip_s, &len);
      g_autofree char *text = raw ? g_strndup ((const char *) raw, len) : NULL;
      if (text == NULL || !g_str_has_prefix (text, "vaults:"))
        {
          kvb_emu_reply_error (msg, 400, "InvalidSkipToken", "The skip token is not valid.", NULL);
          return;
        }
      offset = (guint) g_ascii_strtoull (text + 7, NULL, 10);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = offset; i < matching->len && i < offset + top; i++)
    add_vault (b, g_ptr_array_index (matching, i), vault_suffix);
  json_builder_end_array (b);
  if (offset + top < matching->len)
    {
      g_autofree char *mark = g_strdup_printf ("vaults:%u", offset + top);
      g_autofree char *tok = kvb_emu_base64url_encode ((const guint8 *) mark, strlen (mark));
      g_autofree char *next = NULL;
      g_autofree char *ver = g_uri_escape_string (g_hash_table_lookup (query, "api-version"), NULL, FALSE);
      if (top_s != NULL)
        next = g_strdup_printf ("%s%s?api-version=%s&$top=%u&$skiptoken=%s", base_url, path, ver, top, tok);
      else
        next = g_strdup_printf ("%s%s?api-version=%s&$skiptoken=%s", base_url, path, ver, tok);
      json_builder_set_member_name (b, "nextLink");
      json_builder_add_string_value (b, next);
    }
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
reply_metadata (SoupServerMessage *msg, const char *base_url)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *login = g_strdup_printf ("%s/adfs", base_url);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "galleryEndpoint");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "graphEndpoint");
  json_builder_add_string_value (b, "https://graph.windows.net/");
  json_builder_set_member_name (b, "portalEndpoint");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "authentication");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "loginEndpoint");
  json_builder_add_string_value (b, login);
  json_builder_set_member_name (b, "audiences");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "https://management.core.windows.net/");
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
}

void
kvb_emu_arm_handle (KvbEmuArm *a, SoupServerMessage *msg, const char *method, const char *path,
                    GHashTable *query, const char *base_url, const char *vault_suffix, const KvbEmuCaller *caller)
{
  g_autofree char *trimmed = g_strdup (path);
  g_auto(GStrv) segs = NULL;
  guint n;
  const char *api_version = query ? g_hash_table_lookup (query, "api-version") : NULL;
  g_autoptr(GHashTable) empty = NULL;
  gboolean get = strcmp (method, "GET") == 0;

  if (query == NULL)
    query = empty = g_hash_table_new (g_str_hash, g_str_equal);
  /* one trailing slash is tolerated, as Resource Manager does */
  if (strlen (trimmed) > 1 && g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  segs = g_strsplit (trimmed + 1, "/", -1);
  n = g_strv_length (segs);

  if (api_version == NULL)
    {
      kvb_emu_reply_error (msg, 400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.", NULL);
      return;
    }
  if (!api_version_ok (api_version))
    {
      g_autofree char *m = g_strdup_printf ("The api-version '%s' is invalid. The supported versions are "
                                            "'2025-05-01,2024-11-01,2023-07-01,2022-12-01,2022-09-01,2022-07-01,"
                                            "2021-04-01,2021-01-01,2020-01-01,2019-11-01,2019-09-01,2016-06-01,"
                                            "2015-01-01'.", api_version);
      kvb_emu_reply_error (msg, 400, "InvalidApiVersionParameter", m, NULL);
      return;
    }

  if (n == 2 && g_ascii_strcasecmp (segs[0], "metadata") == 0 && g_ascii_strcasecmp (segs[1], "endpoints") == 0)
    {
      if (!get)
        reply_method_not_allowed (msg, method);
      else
        reply_metadata (msg, base_url);
      return;
    }
  g_return_if_fail (caller != NULL);

  if (n == 1 && g_ascii_strcasecmp (segs[0], "tenants") == 0)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      KvbEmuTenant *t = kvb_emu_state_get_tenant (a->state, caller->tid);
      if (!get)
        {
          reply_method_not_allowed (msg, method);
          return;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "value");
      json_builder_begin_array (b);
      if (t != NULL)
        {
          g_autofree char *id = g_strdup_printf ("/tenants/%s", t->id);
          g_autofree char *display = g_strdup (t->domain);
          char *dot = strchr (display, '.');
          if (dot)
            *dot = '\0';
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, id);
          json_builder_set_member_name (b, "tenantId");
          json_builder_add_string_value (b, t->id);
          json_builder_set_member_name (b, "countryCode");
          json_builder_add_string_value (b, "US");
          json_builder_set_member_name (b, "displayName");
          json_builder_add_string_value (b, display);
          json_builder_set_member_name (b, "domains");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, t->domain);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "tenantCategory");
          json_builder_add_string_value (b, "Home");
          json_builder_set_member_name (b, "defaultDomain");
          json_builder_add_string_value (b, t->domain);
          json_builder_set_member_name (b, "tenantType");
          json_builder_add_string_value (b, "AAD");
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
      return;
    }

  if (n >= 1 && g_ascii_strcasecmp (segs[0], "subscriptions") == 0)
    {
      KvbEmuSubscription *sub;

      if (n == 1)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          GPtrArray *subs = kvb_emu_state_get_subscriptions (a->state);
          guint count = 0;
          if (!get)
            {
              reply_method_not_allowed (msg, method);
              return;
            }
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "value");
          json_builder_begin_array (b);
          for (guint i = 0; i < subs->len; i++)
            {
              KvbEmuSubscription *s = g_ptr_array_index (subs, i);
              if (g_ascii_strcasecmp (s->tenant_id, caller->tid) == 0
                  && kvb_emu_state_subscription_allows (a->state, s, caller->oid))
                {
                  add_subscription (b, s);
                  count++;
                }
            }
          json_builder_end_array (b);
          json_builder_set_member_name (b, "count");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "type");
          json_builder_add_string_value (b, "Total");
          json_builder_set_member_name (b, "value");
          json_builder_add_int_value (b, count);
          json_builder_end_object (b);
          json_builder_end_object (b);
          kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
          return;
        }

      if (n == 2)
        {
          if (!get)
            {
              reply_method_not_allowed (msg, method);
              return;
            }
          sub = caller_subscription (a, msg, segs[1], caller, "Microsoft.Resources/subscriptions/read");
          if (sub != NULL)
            {
              g_autoptr(JsonBuilder) b = json_builder_new ();
              add_subscription (b, sub);
              kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
            }
          return;
        }

      /* /subscriptions/{id}/providers/Microsoft.KeyVault[/register|/vaults] */
      if (n >= 4 && g_ascii_strcasecmp (segs[2], "providers") == 0
          && g_ascii_strcasecmp (segs[3], "Microsoft.KeyVault") == 0)
        {
          if (n == 4 || (n == 5 && g_ascii_strcasecmp (segs[4], "register") == 0))
            {
              gboolean reg = n == 5;
              g_autoptr(JsonBuilder) b = json_builder_new ();
              if ((reg && strcmp (method, "POST") != 0) || (!reg && !get))
                {
                  reply_method_not_allowed (msg, method);
                  return;
                }
              sub = caller_subscription (a, msg, segs[1], caller,
                                         reg ? "Microsoft.KeyVault/register/action"
                                             : "Microsoft.Resources/subscriptions/providers/read");
              if (sub == NULL)
                return;
              if (reg && strcmp (provider_state (a, sub), "Registered") != 0)
                {
                  gint64 *deadline = g_new (gint64, 1);
                  *deadline = g_get_monotonic_time () + REGISTRATION_DELAY_US;
                  g_hash_table_insert (sub->providers, g_strdup ("Microsoft.KeyVault"), g_strdup ("Registering"));
                  g_hash_table_insert (a->registering, g_strdup (sub->id), deadline);
                }
              add_provider (b, a, sub);
              kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
              return;
            }
          if (n == 5 && g_ascii_strcasecmp (segs[4], "vaults") == 0)
            {
              if (!get)
                {
                  reply_method_not_allowed (msg, method);
                  return;
                }
              sub = caller_subscription (a, msg, segs[1], caller, "Microsoft.KeyVault/vaults/read");
              if (sub != NULL && provider_registered (a, msg, sub))
                list_vaults (a, msg, trimmed, query, base_url, vault_suffix, sub, NULL);
              return;
            }
        }

      /* /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults[/{name}] */
      if ((n == 7 || n == 8) && g_ascii_strcasecmp (segs[2], "resourceGroups") == 0
          && g_ascii_strcasecmp (segs[4], "providers") == 0
          && g_ascii_strcasecmp (segs[5], "Microsoft.KeyVault") == 0
          && g_ascii_strcasecmp (segs[6], "vaults") == 0)
        {
          if (!get)
            {
              reply_method_not_allowed (msg, method);
              return;
            }
          sub = caller_subscription (a, msg, segs[1], caller, "Microsoft.KeyVault/vaults/read");
          if (sub == NULL || !provider_registered (a, msg, sub))
            return;
          if (n == 7)
            list_vaults (a, msg, trimmed, query, base_url, vault_suffix, sub, segs[3]);
          else
            {
              KvbEmuVault *v = kvb_emu_state_get_vault (a->state, segs[7]);
              if (v == NULL || g_ascii_strcasecmp (v->subscription_id, sub->id) != 0
                  || g_ascii_strcasecmp (v->resource_group, segs[3]) != 0)
                {
                  g_autofree char *m = g_strdup_printf ("The Resource 'Microsoft.KeyVault/vaults/%s' under resource "
                                                        "group '%s' was not found. For more details please go to "
                                                        "https://aka.ms/ARMResourceNotFoundFix", segs[7], segs[3]);
                  kvb_emu_reply_error (msg, 404, "ResourceNotFound", m, NULL);
                }
              else
                {
                  g_autoptr(JsonBuilder) b = json_builder_new ();
                  add_vault (b, v, vault_suffix);
                  kvb_emu_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (b));
                }
            }
          return;
        }
    }
  reply_not_found (msg, path);
}
