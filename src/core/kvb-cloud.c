/* kvb-cloud.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-cloud"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "kvb-cloud.h"
#include "kvb-error.h"
#include "kvb-file-util.h"

/* A cloud profile: where to sign in, where Resource Manager is, and which host names are vaults.
 * Tokens only ever go to the hosts a profile names. */
struct _KvbCloud
{
  GObject parent_instance;

  char *id;
  char *display_name;
  char *authority_host;     /* "https://login.microsoftonline.com", no trailing slash */
  char *arm_endpoint;       /* "https://management.azure.com", no trailing slash */
  char *arm_scope;          /* "https://management.azure.com/.default" */
  char *keyvault_suffix;    /* "vault.azure.net" */
  char *keyvault_resource;  /* "https://vault.azure.net" */
  char *keyvault_scope;     /* "https://vault.azure.net/.default" */
  guint keyvault_port;      /* 0: the default HTTPS port */
  char *ca_file;            /* an extra trusted CA, for the sample cloud and custom profiles */
  char *profile_path;       /* the profile file it was read from, absolute; NULL for the others */
  gboolean sample;
};

G_DEFINE_FINAL_TYPE (KvbCloud, kvb_cloud, G_TYPE_OBJECT)

static void
kvb_cloud_finalize (GObject *object)
{
  KvbCloud *self = (KvbCloud *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->authority_host, g_free);
  g_clear_pointer (&self->arm_endpoint, g_free);
  g_clear_pointer (&self->arm_scope, g_free);
  g_clear_pointer (&self->keyvault_suffix, g_free);
  g_clear_pointer (&self->keyvault_resource, g_free);
  g_clear_pointer (&self->keyvault_scope, g_free);
  g_clear_pointer (&self->profile_path, g_free);
  g_clear_pointer (&self->ca_file, g_free);

  G_OBJECT_CLASS (kvb_cloud_parent_class)->finalize (object);
}

static void
kvb_cloud_class_init (KvbCloudClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_cloud_finalize;
}

static void
kvb_cloud_init (KvbCloud *self)
{
}

static char *
strip_trailing_slash (const char *s)
{
  char *ret = g_strdup (s);
  gsize len = strlen (ret);

  while (len > 0 && ret[len - 1] == '/')
    ret[--len] = '\0';

  return ret;
}

static KvbCloud *
cloud_new (const char *id,
           const char *display_name,
           const char *authority_host,
           const char *arm_endpoint,
           const char *arm_scope,
           const char *keyvault_suffix,
           const char *keyvault_resource)
{
  KvbCloud *self = g_object_new (KVB_TYPE_CLOUD, NULL);
  g_autofree char *arm = strip_trailing_slash (arm_endpoint);

  self->id = g_strdup (id);
  self->display_name = g_strdup (display_name);
  self->authority_host = strip_trailing_slash (authority_host);
  self->arm_endpoint = g_steal_pointer (&arm);
  self->arm_scope = arm_scope != NULL ? g_strdup (arm_scope)
                                      : g_strconcat (self->arm_endpoint, "/.default", NULL);
  self->keyvault_suffix = g_strdup (keyvault_suffix);
  self->keyvault_resource = keyvault_resource != NULL
                            ? strip_trailing_slash (keyvault_resource)
                            : g_strconcat ("https://", keyvault_suffix, NULL);
  self->keyvault_scope = g_strconcat (self->keyvault_resource, "/.default", NULL);

  return self;
}

KvbCloud *
kvb_cloud_new_public (void)
{
  return cloud_new ("public", _("Azure"),
                    "https://login.microsoftonline.com",
                    "https://management.azure.com",
                    "https://management.azure.com/.default",
                    "vault.azure.net", "https://vault.azure.net");
}

KvbCloud *
kvb_cloud_new_china (void)
{
  return cloud_new ("china", _("Azure China"),
                    "https://login.chinacloudapi.cn",
                    "https://management.chinacloudapi.cn",
                    "https://management.chinacloudapi.cn/.default",
                    "vault.azure.cn", "https://vault.azure.cn");
}

KvbCloud *
kvb_cloud_new_usgov (void)
{
  return cloud_new ("usgov", _("Azure US Government"),
                    "https://login.microsoftonline.us",
                    "https://management.usgovcloudapi.net",
                    "https://management.usgovcloudapi.net/.default",
                    "vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net");
}

/* The offline sample cloud is the local stand-in on loopback: one port plays Entra ID and
 * Resource Manager, and vaults are NAME.vault.localhost on the same port. */
KvbCloud *
kvb_cloud_new_sample (const char *emulator_url,
                      const char *ca_file)
{
  g_autoptr(GUri) uri = NULL;
  KvbCloud *self;

  g_return_val_if_fail (emulator_url != NULL, NULL);

  self = cloud_new ("sample", _("Sample cloud"),
                    emulator_url, emulator_url,
                    "https://management.azure.com/.default",
                    "vault.localhost", "https://vault.localhost");
  uri = g_uri_parse (emulator_url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL && g_uri_get_port (uri) > 0)
    self->keyvault_port = g_uri_get_port (uri);
  self->ca_file = g_strdup (ca_file);
  self->sample = TRUE;

  return self;
}

static const char *
member_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/**
 * kvb_cloud_new_from_file:
 *
 * Loads a custom profile:
 * |[
 * { "name": "Contoso Stack", "authorityHost": "https://login.contoso.example",
 *   "resourceManager": "https://management.contoso.example",
 *   "resourceManagerScope": "https://management.contoso.example/.default",   (optional)
 *   "keyVaultDnsSuffix": "vault.contoso.example",
 *   "keyVaultResource": "https://vault.contoso.example",                      (optional)
 *   "keyVaultPort": 8443, "caFile": "/path/to/ca.pem" }                       (optional)
 * ]|
 */
KvbCloud *
kvb_cloud_new_from_file (const char  *path,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *display = g_filename_display_name (path);
  JsonObject *obj;
  const char *name, *authority, *arm, *suffix, *ca;
  KvbCloud *self;
  JsonNode *port;
  gsize len = 0;
  const char *data;

  /* A named pipe or a device named as the profile must not hang the start. */
  contents = kvb_file_load_regular (path, KVB_FILE_PURPOSE_CLOUD_PROFILE, NULL, error);
  if (contents == NULL)
    return NULL;

  data = g_bytes_get_data (contents, &len);
  if (!json_parser_load_from_data (parser, len > 0 ? data : "", len, &local_error))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The cloud profile “%s” could not be read: %s"), display, local_error->message);
      return NULL;
    }

  /* White space alone parses, without a root. */
  if (json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The cloud profile “%s” is not a JSON object."), display);
      return NULL;
    }

  obj = json_node_get_object (json_parser_get_root (parser));
  name = member_string (obj, "name");
  authority = member_string (obj, "authorityHost");
  arm = member_string (obj, "resourceManager");
  suffix = member_string (obj, "keyVaultDnsSuffix");

  if (name == NULL || authority == NULL || arm == NULL || suffix == NULL ||
      !g_str_has_prefix (authority, "https://") || !g_str_has_prefix (arm, "https://"))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The cloud profile “%s” needs “name”, “authorityHost” and “resourceManager” "
                     "(both https:// addresses) and “keyVaultDnsSuffix”."), display);
      return NULL;
    }

  self = cloud_new (name, name, authority, arm,
                    member_string (obj, "resourceManagerScope"),
                    suffix[0] == '.' ? suffix + 1 : suffix,
                    member_string (obj, "keyVaultResource"));

  port = json_object_get_member (obj, "keyVaultPort");
  if (port != NULL && JSON_NODE_HOLDS_VALUE (port) &&
      json_node_get_value_type (port) == G_TYPE_INT64)
    self->keyvault_port = CLAMP (json_node_get_int (port), 0, 65535);

  ca = member_string (obj, "caFile");
  if (ca != NULL)
    self->ca_file = g_strdup (ca);
  self->profile_path = g_canonicalize_filename (path, NULL);

  return self;
}

/**
 * kvb_cloud_lookup:
 * @name_or_file: "public", "china", "usgov" (or the names Azure's own tools use for them), or the
 *   path of a custom profile file
 */
KvbCloud *
kvb_cloud_lookup (const char  *name_or_file,
                  GError     **error)
{
  g_return_val_if_fail (name_or_file != NULL, NULL);

  if (g_ascii_strcasecmp (name_or_file, "public") == 0 ||
      g_ascii_strcasecmp (name_or_file, "AzureCloud") == 0)
    return kvb_cloud_new_public ();

  if (g_ascii_strcasecmp (name_or_file, "china") == 0 ||
      g_ascii_strcasecmp (name_or_file, "AzureChinaCloud") == 0)
    return kvb_cloud_new_china ();

  if (g_ascii_strcasecmp (name_or_file, "usgov") == 0 ||
      g_ascii_strcasecmp (name_or_file, "AzureUSGovernment") == 0)
    return kvb_cloud_new_usgov ();

  /* Anything that exists is taken for a profile, so that a folder or a named pipe is refused
   * with what it is rather than as an unknown cloud. */
  if (g_file_test (name_or_file, G_FILE_TEST_EXISTS))
    return kvb_cloud_new_from_file (name_or_file, error);

  g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
               _("Unknown cloud “%s”: use public, china, usgov or the path of a cloud profile file."),
               name_or_file);
  return NULL;
}

const char *
kvb_cloud_get_id (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->id;
}

const char *
kvb_cloud_get_display_name (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->display_name;
}

const char *
kvb_cloud_get_authority_host (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->authority_host;
}

const char *
kvb_cloud_get_arm_endpoint (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->arm_endpoint;
}

const char *
kvb_cloud_get_arm_scope (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->arm_scope;
}

const char *
kvb_cloud_get_keyvault_suffix (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->keyvault_suffix;
}

const char *
kvb_cloud_get_keyvault_resource (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->keyvault_resource;
}

const char *
kvb_cloud_get_keyvault_scope (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->keyvault_scope;
}

guint
kvb_cloud_get_keyvault_port (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), 0);
  return self->keyvault_port;
}

const char *
kvb_cloud_get_ca_file (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->ca_file;
}

const char *
kvb_cloud_get_profile_path (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  return self->profile_path;
}

gboolean
kvb_cloud_is_sample (KvbCloud *self)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), FALSE);
  return self->sample;
}

/* A vault name is 3-24 characters of letters, digits and dashes, starting with a letter. */
static gboolean
is_vault_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 24 || !g_ascii_isalpha (name[0]))
    return FALSE;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;

  return name[len - 1] != '-' && strstr (name, "--") == NULL;
}

gboolean
kvb_cloud_is_vault_host (KvbCloud   *self,
                         const char *host)
{
  g_autofree char *dot_suffix = NULL;
  g_autofree char *lower = NULL;

  g_return_val_if_fail (KVB_IS_CLOUD (self), FALSE);

  if (host == NULL)
    return FALSE;

  lower = g_ascii_strdown (host, -1);
  dot_suffix = g_strconcat (".", self->keyvault_suffix, NULL);

  return g_str_has_suffix (lower, dot_suffix) && strlen (lower) > strlen (dot_suffix);
}

/**
 * kvb_cloud_dup_vault_url:
 * @name_or_url: a vault name ("contoso-kv") or its URL ("https://contoso-kv.vault.azure.net/")
 *
 * Returns: the vault URL with a trailing slash, or %NULL if the name is not a vault name or the
 *   URL is not a vault of this cloud.
 */
char *
kvb_cloud_dup_vault_url (KvbCloud    *self,
                         const char  *name_or_url,
                         GError     **error)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), NULL);
  g_return_val_if_fail (name_or_url != NULL, NULL);

  if (strstr (name_or_url, "://") != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (name_or_url, G_URI_FLAGS_NONE, NULL);
      g_autofree char *host = NULL;

      if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
          !kvb_cloud_is_vault_host (self, g_uri_get_host (uri)))
        {
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a vault address of %s: it must be https://NAME.%s/."),
                       name_or_url, self->display_name, self->keyvault_suffix);
          return NULL;
        }

      host = g_ascii_strdown (g_uri_get_host (uri), -1);
      if (g_uri_get_port (uri) > 0 && g_uri_get_port (uri) != 443)
        return g_strdup_printf ("https://%s:%d/", host, g_uri_get_port (uri));
      return g_strdup_printf ("https://%s/", host);
    }

  if (!is_vault_name (name_or_url))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a vault name: a name has 3 to 24 letters, digits and dashes and "
                     "starts with a letter."), name_or_url);
      return NULL;
    }

  {
    g_autofree char *lower = g_ascii_strdown (name_or_url, -1);

    if (self->keyvault_port != 0 && self->keyvault_port != 443)
      return g_strdup_printf ("https://%s.%s:%u/", lower, self->keyvault_suffix,
                              self->keyvault_port);
    return g_strdup_printf ("https://%s.%s/", lower, self->keyvault_suffix);
  }
}

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  return port > 0 ? port : 443;
}

/* Same scheme (https), host (case-insensitive) and port as @base. */
static gboolean
same_origin (GUri       *uri,
             const char *base)
{
  g_autoptr(GUri) b = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);

  return b != NULL && g_uri_get_host (uri) != NULL &&
         g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 &&
         g_strcmp0 (g_uri_get_scheme (b), "https") == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (b)) == 0 &&
         effective_port (uri) == effective_port (b);
}

gboolean
kvb_cloud_is_authority_uri (KvbCloud *self,
                            GUri     *uri)
{
  /* Key Vault names login.windows.net in its challenges for the public cloud; these are the
   * aliases Microsoft's libraries accept for the same authority. */
  static const char * const public_aliases[] = {
    "https://login.windows.net", "https://login.microsoft.com", "https://sts.windows.net", NULL
  };
  static const char * const china_aliases[] = {
    "https://login.partner.microsoftonline.cn", "https://login.chinacloudapi.cn", NULL
  };
  static const char * const usgov_aliases[] = {
    "https://login.usgovcloudapi.net", "https://login.microsoftonline.us", NULL
  };
  const char * const *aliases = NULL;

  g_return_val_if_fail (KVB_IS_CLOUD (self), FALSE);

  if (uri == NULL)
    return FALSE;

  if (same_origin (uri, self->authority_host))
    return TRUE;

  if (g_strcmp0 (self->id, "public") == 0)
    aliases = public_aliases;
  else if (g_strcmp0 (self->id, "china") == 0)
    aliases = china_aliases;
  else if (g_strcmp0 (self->id, "usgov") == 0)
    aliases = usgov_aliases;

  for (guint i = 0; aliases != NULL && aliases[i] != NULL; i++)
    if (same_origin (uri, aliases[i]))
      return TRUE;

  return FALSE;
}

gboolean
kvb_cloud_is_arm_uri (KvbCloud *self,
                      GUri     *uri)
{
  g_return_val_if_fail (KVB_IS_CLOUD (self), FALSE);

  return uri != NULL && same_origin (uri, self->arm_endpoint);
}
