/* kvb-account.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-account"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-account.h"
#include "kvb-error.h"

struct _KvbAccount
{
  GObject parent_instance;

  KvbAccountKind kind;
  char *id;
  char *cloud;
  char *authority;
  char *client_id;
  char *tenant;
  char *username;
  char *home_tenant;
  char *certificate;
  gboolean needs_sign_in;
};

G_DEFINE_FINAL_TYPE (KvbAccount, kvb_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_CLOUD,
  PROP_AUTHORITY,
  PROP_CLIENT_ID,
  PROP_TENANT,
  PROP_USERNAME,
  PROP_HOME_TENANT,
  PROP_CERTIFICATE,
  PROP_NEEDS_SIGN_IN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const kind_names[] = { "user", "service-principal", "azure-cli" };

GType
kvb_account_kind_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { KVB_ACCOUNT_KIND_USER, "KVB_ACCOUNT_KIND_USER", "user" },
        { KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, "KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL", "service-principal" },
        { KVB_ACCOUNT_KIND_AZURE_CLI, "KVB_ACCOUNT_KIND_AZURE_CLI", "azure-cli" },
        { 0, NULL, NULL }
      };
      GType t = g_enum_register_static ("KvbAccountKind", values);
      g_once_init_leave (&type_id, t);
    }

  return type_id;
}

static void
kvb_account_finalize (GObject *object)
{
  KvbAccount *self = (KvbAccount *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->cloud, g_free);
  g_clear_pointer (&self->authority, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->home_tenant, g_free);
  g_clear_pointer (&self->certificate, g_free);

  G_OBJECT_CLASS (kvb_account_parent_class)->finalize (object);
}

static void
kvb_account_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KvbAccount *self = KVB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_KIND: g_value_set_enum (value, self->kind); break;
    case PROP_CLOUD: g_value_set_string (value, self->cloud); break;
    case PROP_AUTHORITY: g_value_set_string (value, self->authority); break;
    case PROP_CLIENT_ID: g_value_set_string (value, self->client_id); break;
    case PROP_TENANT: g_value_set_string (value, self->tenant); break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_HOME_TENANT: g_value_set_string (value, self->home_tenant); break;
    case PROP_CERTIFICATE: g_value_set_string (value, self->certificate); break;
    case PROP_NEEDS_SIGN_IN: g_value_set_boolean (value, self->needs_sign_in); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_account_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KvbAccount *self = KVB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_HOME_TENANT: kvb_account_set_home_tenant (self, g_value_get_string (value)); break;
    case PROP_CERTIFICATE: kvb_account_set_certificate (self, g_value_get_string (value)); break;
    case PROP_NEEDS_SIGN_IN: kvb_account_set_needs_sign_in (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_account_class_init (KvbAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kvb_account_finalize;
  object_class->get_property = kvb_account_get_property;
  object_class->set_property = kvb_account_set_property;

  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, KVB_TYPE_ACCOUNT_KIND,
                                             KVB_ACCOUNT_KIND_USER, ro);
  properties[PROP_CLOUD] = g_param_spec_string ("cloud", NULL, NULL, NULL, ro);
  properties[PROP_AUTHORITY] = g_param_spec_string ("authority", NULL, NULL, NULL, ro);
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", NULL, NULL, NULL, ro);
  properties[PROP_TENANT] = g_param_spec_string ("tenant", NULL, NULL, NULL, ro);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, ro);
  properties[PROP_HOME_TENANT] = g_param_spec_string ("home-tenant", NULL, NULL, NULL, rw);
  properties[PROP_CERTIFICATE] = g_param_spec_string ("certificate", NULL, NULL, NULL, rw);
  properties[PROP_NEEDS_SIGN_IN] = g_param_spec_boolean ("needs-sign-in", NULL, NULL, FALSE, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_account_init (KvbAccount *self)
{
}

static char *
make_id (KvbAccount *self)
{
  g_autofree char *joined = g_strjoin ("\n", kind_names[self->kind], self->cloud, self->authority,
                                       self->client_id, self->tenant, self->username, NULL);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, joined, -1);

  /* Short, stable and free of anything a shell or a settings path would mind. */
  return g_strndup (sum, 16);
}

KvbAccount *
kvb_account_new (KvbAccountKind  kind,
                 const char     *cloud,
                 const char     *authority,
                 const char     *client_id,
                 const char     *tenant,
                 const char     *username)
{
  KvbAccount *self;

  g_return_val_if_fail (kind <= KVB_ACCOUNT_KIND_AZURE_CLI, NULL);
  g_return_val_if_fail (cloud != NULL, NULL);

  self = g_object_new (KVB_TYPE_ACCOUNT, NULL);
  self->kind = kind;
  self->cloud = g_strdup (cloud);
  self->authority = g_strdup (authority != NULL ? authority : "");
  self->client_id = g_strdup (client_id != NULL ? client_id : "");
  self->tenant = g_strdup (tenant != NULL ? tenant : "");
  self->username = g_strdup (username != NULL ? username : "");
  self->id = make_id (self);

  return self;
}

KvbAccount *
kvb_account_new_from_variant (GVariant  *dict,
                              GError   **error)
{
  const char *kind = NULL, *cloud = NULL, *authority = NULL, *client_id = NULL, *tenant = NULL;
  const char *username = NULL, *home = NULL, *cert = NULL;
  KvbAccount *self;
  guint k;

  g_return_val_if_fail (dict != NULL, NULL);

  if (!g_variant_is_of_type (dict, G_VARIANT_TYPE ("a{ss}")))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT, _("A remembered account is not readable."));
      return NULL;
    }

  g_variant_lookup (dict, "kind", "&s", &kind);
  g_variant_lookup (dict, "cloud", "&s", &cloud);
  g_variant_lookup (dict, "authority", "&s", &authority);
  g_variant_lookup (dict, "client-id", "&s", &client_id);
  g_variant_lookup (dict, "tenant", "&s", &tenant);
  g_variant_lookup (dict, "username", "&s", &username);
  g_variant_lookup (dict, "home-tenant", "&s", &home);
  g_variant_lookup (dict, "certificate", "&s", &cert);

  for (k = 0; k < G_N_ELEMENTS (kind_names); k++)
    if (g_strcmp0 (kind, kind_names[k]) == 0)
      break;

  if (k == G_N_ELEMENTS (kind_names) || cloud == NULL || username == NULL)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT, _("A remembered account is not readable."));
      return NULL;
    }

  self = kvb_account_new (k, cloud, authority, client_id, tenant, username);
  if (home != NULL && *home != '\0')
    self->home_tenant = g_strdup (home);
  if (cert != NULL && *cert != '\0')
    self->certificate = g_strdup (cert);

  return self;
}

GVariant *
kvb_account_to_variant (KvbAccount *self)
{
  GVariantBuilder b;

  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&b, "{ss}", "kind", kind_names[self->kind]);
  g_variant_builder_add (&b, "{ss}", "cloud", self->cloud);
  g_variant_builder_add (&b, "{ss}", "authority", self->authority);
  g_variant_builder_add (&b, "{ss}", "client-id", self->client_id);
  g_variant_builder_add (&b, "{ss}", "tenant", self->tenant);
  g_variant_builder_add (&b, "{ss}", "username", self->username);
  if (self->home_tenant != NULL)
    g_variant_builder_add (&b, "{ss}", "home-tenant", self->home_tenant);
  if (self->certificate != NULL)
    g_variant_builder_add (&b, "{ss}", "certificate", self->certificate);

  return g_variant_builder_end (&b);
}

KvbAccountKind
kvb_account_get_kind (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), 0);
  return self->kind;
}

const char *
kvb_account_get_id (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->id;
}

const char *
kvb_account_get_cloud (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->cloud;
}

const char *
kvb_account_get_authority (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->authority;
}

const char *
kvb_account_get_client_id (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->client_id;
}

const char *
kvb_account_get_tenant (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->tenant;
}

const char *
kvb_account_get_username (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->username;
}

const char *
kvb_account_get_home_tenant (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->home_tenant;
}

void
kvb_account_set_home_tenant (KvbAccount *self,
                             const char *home_tenant)
{
  g_return_if_fail (KVB_IS_ACCOUNT (self));

  if (g_strcmp0 (self->home_tenant, home_tenant) == 0)
    return;
  g_free (self->home_tenant);
  self->home_tenant = g_strdup (home_tenant);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOME_TENANT]);
}

const char *
kvb_account_get_certificate (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);
  return self->certificate;
}

void
kvb_account_set_certificate (KvbAccount *self,
                             const char *path)
{
  g_return_if_fail (KVB_IS_ACCOUNT (self));

  if (g_strcmp0 (self->certificate, path) == 0)
    return;
  g_free (self->certificate);
  self->certificate = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
}

gboolean
kvb_account_get_needs_sign_in (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), FALSE);
  return self->needs_sign_in;
}

void
kvb_account_set_needs_sign_in (KvbAccount *self,
                               gboolean    needs_sign_in)
{
  g_return_if_fail (KVB_IS_ACCOUNT (self));

  needs_sign_in = !!needs_sign_in;
  if (self->needs_sign_in == needs_sign_in)
    return;
  self->needs_sign_in = needs_sign_in;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_SIGN_IN]);
}

/* "user@contoso.com (public)": what the account menu and kvbackup accounts show. */
char *
kvb_account_dup_display_name (KvbAccount *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (self), NULL);

  switch (self->kind)
    {
    case KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL:
      /* Translators: the first %s is a service principal's client id, the second a cloud. */
      return g_strdup_printf (_("Service principal %s (%s)"), self->username, self->cloud);
    case KVB_ACCOUNT_KIND_AZURE_CLI:
      /* Translators: the first %s is a user name, the second a cloud. */
      return g_strdup_printf (_("%s via Azure CLI (%s)"),
                              *self->username != '\0' ? self->username : _("Azure CLI user"),
                              self->cloud);
    case KVB_ACCOUNT_KIND_USER:
    default:
      return g_strdup_printf ("%s (%s)", self->username, self->cloud);
    }
}

gboolean
kvb_account_equal (KvbAccount *a,
                   KvbAccount *b)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT (a), FALSE);
  g_return_val_if_fail (KVB_IS_ACCOUNT (b), FALSE);

  return g_str_equal (a->id, b->id);
}
