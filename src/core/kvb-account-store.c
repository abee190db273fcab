/* kvb-account-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-account-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-account-store.h"
#include "kvb-error.h"
#include "kvb-sign-in-private.h"

struct _KvbAccountStore
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  GSettings *settings;
  KvbKeyring *keyring;
  KvbCloud *sample_cloud;

  GPtrArray *accounts;        /* KvbAccount */
  GHashTable *credentials;    /* account id → KvbAccountCredential */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbAccountStore, kvb_account_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_KEYRING_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kvb_account_store_finalize (GObject *object)
{
  KvbAccountStore *self = (KvbAccountStore *)object;

  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->credentials, g_hash_table_unref);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->settings);
  g_clear_object (&self->keyring);
  g_clear_object (&self->sample_cloud);

  G_OBJECT_CLASS (kvb_account_store_parent_class)->finalize (object);
}

static void
kvb_account_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  KvbAccountStore *self = KVB_ACCOUNT_STORE (object);

  switch (prop_id)
    {
    case PROP_KEYRING_AVAILABLE:
      g_value_set_boolean (value, kvb_account_store_get_keyring_available (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_account_store_class_init (KvbAccountStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_account_store_finalize;
  object_class->get_property = kvb_account_store_get_property;

  properties[PROP_KEYRING_AVAILABLE] =
    g_param_spec_boolean ("keyring-available", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_account_store_init (KvbAccountStore *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  self->credentials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

static GType
get_item_type (GListModel *model)
{
  return KVB_TYPE_ACCOUNT;
}

static guint
get_n_items (GListModel *model)
{
  return KVB_ACCOUNT_STORE (model)->accounts->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  KvbAccountStore *self = KVB_ACCOUNT_STORE (model);

  if (position >= self->accounts->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->accounts, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
keyring_available_cb (KvbKeyring      *keyring,
                      GParamSpec      *pspec,
                      KvbAccountStore *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_AVAILABLE]);
}

static void
load (KvbAccountStore *self)
{
  g_autoptr(GVariant) list = NULL;
  GVariantIter iter;
  GVariant *dict;

  if (self->settings == NULL)
    return;

  list = g_settings_get_value (self->settings, "accounts");
  g_variant_iter_init (&iter, list);
  while ((dict = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GError) error = NULL;
      KvbAccount *account = kvb_account_new_from_variant (dict, &error);

      if (account != NULL)
        g_ptr_array_add (self->accounts, account);
      else
        g_debug ("Skipping a remembered account: %s", error->message);
      g_variant_unref (dict);
    }
}

static void
save (KvbAccountStore *self)
{
  GVariantBuilder b;

  if (self->settings == NULL)
    return;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{ss}"));
  for (guint i = 0; i < self->accounts->len; i++)
    g_variant_builder_add_value (&b, kvb_account_to_variant (g_ptr_array_index (self->accounts, i)));
  g_settings_set_value (self->settings, "accounts", g_variant_builder_end (&b));
}

KvbAccountStore *
kvb_account_store_new (KvbPipeline *pipeline,
                       GSettings   *settings,
                       KvbKeyring  *keyring)
{
  KvbAccountStore *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (keyring == NULL || KVB_IS_KEYRING (keyring), NULL);

  self = g_object_new (KVB_TYPE_ACCOUNT_STORE, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  self->keyring = keyring != NULL ? g_object_ref (keyring) : kvb_keyring_new_in_memory ();
  g_signal_connect_object (self->keyring, "notify::available",
                           G_CALLBACK (keyring_available_cb), self, 0);
  load (self);

  return self;
}

KvbKeyring *
kvb_account_store_get_keyring (KvbAccountStore *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (self), NULL);
  return self->keyring;
}

gboolean
kvb_account_store_get_keyring_available (KvbAccountStore *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (self), FALSE);
  return kvb_keyring_get_available (self->keyring);
}

void
kvb_account_store_set_sample_cloud (KvbAccountStore *self,
                                    KvbCloud        *cloud)
{
  g_return_if_fail (KVB_IS_ACCOUNT_STORE (self));
  g_set_object (&self->sample_cloud, cloud);
}

KvbCloud *
kvb_account_store_dup_cloud (KvbAccountStore  *self,
                             KvbAccount       *account,
                             GError          **error)
{
  const char *name;

  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (KVB_IS_ACCOUNT (account), NULL);

  name = kvb_account_get_cloud (account);
  if (g_strcmp0 (name, "sample") == 0)
    {
      const char *url = g_getenv ("KVB_CLOUD_SAMPLE_URL");

      if (self->sample_cloud != NULL)
        return g_object_ref (self->sample_cloud);
      if (url != NULL && *url != '\0')
        return kvb_cloud_new_sample (url, g_getenv ("KVB_CLOUD_SAMPLE_CA"));
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                           _("The sample cloud is not running."));
      return NULL;
    }

  return kvb_cloud_lookup (name, error);
}

static gint
find_index (KvbAccountStore *self,
            KvbAccount      *account)
{
  for (guint i = 0; i < self->accounts->len; i++)
    if (kvb_account_equal (g_ptr_array_index (self->accounts, i), account))
      return i;
  return -1;
}

KvbAccount *
kvb_account_store_find (KvbAccountStore *self,
                        const char      *name)
{
  KvbAccount *found = NULL;

  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      KvbAccount *a = g_ptr_array_index (self->accounts, i);
      g_autofree char *at_cloud = g_strdup_printf ("%s@%s", kvb_account_get_username (a),
                                                   kvb_account_get_cloud (a));

      if (g_str_equal (kvb_account_get_id (a), name) || g_str_equal (at_cloud, name))
        return a;
      if (g_str_equal (kvb_account_get_username (a), name))
        {
          if (found != NULL)
            return NULL;   /* the same user in two clouds or tenants: ambiguous */
          found = a;
        }
    }

  return found;
}

KvbCredential *
kvb_account_store_get_credential (KvbAccountStore  *self,
                                  KvbAccount       *account,
                                  GError          **error)
{
  KvbAccountCredential *credential;
  g_autoptr(KvbCloud) cloud = NULL;

  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (KVB_IS_ACCOUNT (account), NULL);

  credential = g_hash_table_lookup (self->credentials, kvb_account_get_id (account));
  if (credential != NULL)
    return KVB_CREDENTIAL (credential);

  cloud = kvb_account_store_dup_cloud (self, account, error);
  if (cloud == NULL)
    return NULL;
  if (!kvb_pipeline_add_cloud (self->pipeline, cloud, error))
    return NULL;

  credential = kvb_account_credential_new (self->pipeline, cloud, account, self->keyring, NULL);
  g_hash_table_insert (self->credentials, g_strdup (kvb_account_get_id (account)), credential);
  return KVB_CREDENTIAL (credential);
}

/* add */

static void
add_saved_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAccountStore *self = g_task_get_source_object (task);
  KvbAccountCredential *credential = KVB_ACCOUNT_CREDENTIAL (source);
  KvbAccount *account = kvb_account_credential_get_account (credential);
  g_autoptr(GError) error = NULL;
  gint pos;

  if (!kvb_account_credential_save_finish (credential, result, &error))
    {
      /* No keyring: the sign-in still works, for this session ("keyring-available" says so). */
      if (!g_error_matches (error, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_debug ("%s", error->message);
    }

  kvb_account_set_needs_sign_in (account, FALSE);
  pos = find_index (self, account);
  if (pos >= 0)
    {
      KvbAccount *old = g_ptr_array_index (self->accounts, pos);

      g_ptr_array_index (self->accounts, pos) = g_object_ref (account);
      g_object_unref (old);
      g_hash_table_replace (self->credentials, g_strdup (kvb_account_get_id (account)),
                            g_object_ref (credential));
      save (self);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 1);
    }
  else
    {
      g_ptr_array_add (self->accounts, g_object_ref (account));
      g_hash_table_replace (self->credentials, g_strdup (kvb_account_get_id (account)),
                            g_object_ref (credential));
      save (self);
      g_list_model_items_changed (G_LIST_MODEL (self), self->accounts->len - 1, 0, 1);
    }

  g_debug ("Added account %s", kvb_account_get_id (account));
  g_task_return_pointer (task, g_object_ref (account), g_object_unref);
}

void
kvb_account_store_add_async (KvbAccountStore      *self,
                             KvbAccountCredential *credential,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data)
{
  GTask *task;

  g_return_if_fail (KVB_IS_ACCOUNT_STORE (self));
  g_return_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (credential));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_account_store_add_async);

  kvb_account_credential_set_keyring (credential, self->keyring);
  kvb_account_credential_save_async (credential, cancellable, add_saved_cb, task);
}

KvbAccount *
kvb_account_store_add_finish (KvbAccountStore  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* sign out */

static void
cleared_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* Without a keyring there was nothing stored outside this process. */
  if (!kvb_keyring_clear_finish (KVB_KEYRING (source), result, &error) &&
      !g_error_matches (error, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
kvb_account_store_sign_out_async (KvbAccountStore     *self,
                                  KvbAccount          *account,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(KvbAccount) keep = NULL;
  KvbAccountCredential *credential;
  GTask *task;
  gint pos;

  g_return_if_fail (KVB_IS_ACCOUNT_STORE (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));

  keep = g_object_ref (account);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_account_store_sign_out_async);
  /* The caller may drop its account at once; it must outlive the keyring call. */
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  credential = g_hash_table_lookup (self->credentials, kvb_account_get_id (account));
  if (credential != NULL)
    kvb_account_credential_forget (credential);
  g_hash_table_remove (self->credentials, kvb_account_get_id (account));

  pos = find_index (self, account);
  if (pos >= 0)
    {
      g_ptr_array_remove_index (self->accounts, pos);
      save (self);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
    }

  g_debug ("Signing out account %s", kvb_account_get_id (account));
  kvb_keyring_clear_async (self->keyring, account, cancellable, cleared_cb, task);
}

gboolean
kvb_account_store_sign_out_finish (KvbAccountStore  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
