/* kvb-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-keyring"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-sign-in-private.h"

/* Only non-secret attributes: the Secret Service may keep attributes unencrypted. */
static const SecretSchema kvb_keyring_schema = {
  "io.github.kvbackup.KeyVaultBackup.Credential", SECRET_SCHEMA_NONE,
  {
    { "cloud", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "authority", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "NULL", 0 },
  }
};

struct _KvbKeyring
{
  GObject parent_instance;

  gboolean in_memory;
  gboolean available;
  /* "ACCOUNT-ID/KIND" → secret: what this session stored, so that sign-in keeps working
   * without a Secret Service. */
  GHashTable *memory;
};

G_DEFINE_FINAL_TYPE (KvbKeyring, kvb_keyring, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
kvb_keyring_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
kvb_keyring_finalize (GObject *object)
{
  KvbKeyring *self = (KvbKeyring *)object;

  g_clear_pointer (&self->memory, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_keyring_parent_class)->finalize (object);
}

static void
kvb_keyring_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KvbKeyring *self = KVB_KEYRING (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_keyring_class_init (KvbKeyringClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_keyring_finalize;
  object_class->get_property = kvb_keyring_get_property;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_keyring_init (KvbKeyring *self)
{
  self->available = TRUE;
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) kvb_keyring_secret_free);
}

KvbKeyring *
kvb_keyring_new (void)
{
  return g_object_new (KVB_TYPE_KEYRING, NULL);
}

KvbKeyring *
kvb_keyring_new_in_memory (void)
{
  KvbKeyring *self = g_object_new (KVB_TYPE_KEYRING, NULL);

  self->in_memory = TRUE;
  return self;
}

gboolean
kvb_keyring_get_available (KvbKeyring *self)
{
  g_return_val_if_fail (KVB_IS_KEYRING (self), FALSE);
  return self->available;
}

static const char *
kind_name (KvbSecretKind kind)
{
  return kind == KVB_SECRET_KIND_CLIENT_SECRET ? "client_secret" : "refresh_token";
}

static char *
memory_key (KvbAccount    *account,
            KvbSecretKind  kind)
{
  return g_strdup_printf ("%s/%s", kvb_account_get_id (account), kind_name (kind));
}

/* The values are copies: libsecret keeps a reference to the table until its call finishes,
 * and the account may be gone by then. */
static GHashTable *
attributes_for (KvbAccount *account,
                const char *kind)
{
  GHashTable *attrs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attrs, (char *) "cloud", g_strdup (kvb_account_get_cloud (account)));
  g_hash_table_insert (attrs, (char *) "authority", g_strdup (kvb_account_get_authority (account)));
  g_hash_table_insert (attrs, (char *) "client-id", g_strdup (kvb_account_get_client_id (account)));
  g_hash_table_insert (attrs, (char *) "tenant", g_strdup (kvb_account_get_tenant (account)));
  g_hash_table_insert (attrs, (char *) "account", g_strdup (kvb_account_get_username (account)));
  if (kind != NULL)
    g_hash_table_insert (attrs, (char *) "kind", g_strdup (kind));

  return attrs;
}

static void
set_available (KvbKeyring *self,
               gboolean    available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* Everything but a cancellation means "no usable Secret Service" to the user; the details
 * (which never contain the secret) go to the debug log. */
static GError *
unavailable_error (KvbKeyring *self,
                   GError     *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  g_debug ("Secret Service: %s", error->message);
  set_available (self, FALSE);
  return g_error_new_literal (KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE,
                              _("No keyring is available: sign-in will last for this session only."));
}

/* check */

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyring *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  secret_password_free (secret);
  if (error != NULL)
    {
      g_task_return_error (task, unavailable_error (self, error));
      return;
    }

  set_available (self, TRUE);
  g_task_return_boolean (task, TRUE);
}

void
kvb_keyring_check_async (KvbKeyring          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;

  g_return_if_fail (KVB_IS_KEYRING (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_check_async);

  if (self->in_memory)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE,
                               _("No keyring is used: sign-in will last for this session only."));
      return;
    }

  /* A look-up of an item that never exists proves that the keyring answers, not only that a
   * name could be activated, and goes where the other calls go: in the Flatpak sandbox
   * libsecret keeps the secrets in a file under the application's data folder, with a key from
   * the Secret portal, and the Secret Service name itself is out of reach. */
  attrs = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (attrs, (char *) "kind", (char *) "availability-check");
  secret_password_lookupv (&kvb_keyring_schema, attrs, cancellable, check_cb, g_steal_pointer (&task));
}

gboolean
kvb_keyring_check_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* store */

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyring *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, unavailable_error (self, error));
      return;
    }

  set_available (self, TRUE);
  g_task_return_boolean (task, TRUE);
}

void
kvb_keyring_store_async (KvbKeyring          *self,
                         KvbAccount          *account,
                         KvbSecretKind        kind,
                         const char          *secret,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));
  g_return_if_fail (secret != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_store_async);

  g_hash_table_replace (self->memory, memory_key (account, kind), g_strdup (secret));

  if (self->in_memory)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (kind == KVB_SECRET_KIND_CLIENT_SECRET)
    /* Translators: the label of a keyring item, shown in Passwords and Keys; %s is an account. */
    label = g_strdup_printf (_("Key Vault Backup: client secret for %s"),
                             kvb_account_get_username (account));
  else
    /* Translators: the label of a keyring item, shown in Passwords and Keys; %s is an account. */
    label = g_strdup_printf (_("Key Vault Backup: refresh token for %s"),
                             kvb_account_get_username (account));

  attrs = attributes_for (account, kind_name (kind));
  g_debug ("Storing the %s of account %s", kind_name (kind), kvb_account_get_id (account));
  secret_password_storev (&kvb_keyring_schema, attrs, SECRET_COLLECTION_DEFAULT, label, secret,
                          cancellable, store_cb, g_steal_pointer (&task));
}

gboolean
kvb_keyring_store_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* lookup */

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyring *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, unavailable_error (self, error));
      return;
    }

  set_available (self, TRUE);
  if (secret != NULL)
    {
      /* Keep a copy so that the next call of this session does not ask the service again. */
      g_hash_table_replace (self->memory, g_strdup (g_task_get_task_data (task)), g_strdup (secret));
      g_task_return_pointer (task, g_strdup (secret), (GDestroyNotify) kvb_keyring_secret_free);
      secret_password_free (secret);
    }
  else
    g_task_return_pointer (task, NULL, NULL);
}

void
kvb_keyring_lookup_async (KvbKeyring          *self,
                          KvbAccount          *account,
                          KvbSecretKind        kind,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;
  char *key;
  const char *found;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_lookup_async);
  key = memory_key (account, kind);
  g_task_set_task_data (task, key, g_free);

  found = g_hash_table_lookup (self->memory, key);
  if (found != NULL || self->in_memory)
    {
      g_task_return_pointer (task, g_strdup (found), (GDestroyNotify) kvb_keyring_secret_free);
      return;
    }

  attrs = attributes_for (account, kind_name (kind));
  secret_password_lookupv (&kvb_keyring_schema, attrs, cancellable, lookup_cb, g_steal_pointer (&task));
}

char *
kvb_keyring_lookup_finish (KvbKeyring    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* clear */

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbKeyring *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* FALSE without an error means there was nothing to remove. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      g_task_return_error (task, unavailable_error (self, error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
kvb_keyring_clear_async (KvbKeyring          *self,
                         KvbAccount          *account,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_clear_async);

  for (KvbSecretKind k = KVB_SECRET_KIND_REFRESH_TOKEN; k <= KVB_SECRET_KIND_CLIENT_SECRET; k++)
    {
      g_autofree char *key = memory_key (account, k);
      g_hash_table_remove (self->memory, key);
    }

  if (self->in_memory)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Without "kind": every item of the account goes. */
  attrs = attributes_for (account, NULL);
  secret_password_clearv (&kvb_keyring_schema, attrs, cancellable, clear_cb, g_steal_pointer (&task));
}

gboolean
kvb_keyring_clear_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kvb_keyring_forget_cached (KvbKeyring    *self,
                           KvbAccount    *account,
                           KvbSecretKind  kind)
{
  g_autofree char *key = NULL;

  g_return_if_fail (KVB_IS_KEYRING (self));

  if (self->in_memory || !self->available)
    return;
  key = memory_key (account, kind);
  g_hash_table_remove (self->memory, key);
}
