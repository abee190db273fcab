/* kvb-account-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-account-session"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-account-session.h"
#include "kvb-arm-client.h"
#include "kvb-vault-finder.h"

struct _KvbAccountSession
{
  GObject        parent_instance;

  KvbPipeline   *pipeline;
  KvbAccount    *account;        /* NULL for the sample cloud */
  GObject       *sample;         /* the sample cloud (KvbSampleCloud), NULL otherwise */
  KvbCloud      *cloud;
  KvbCredential *credential;
  char          *title;
  char          *subtitle;
  GPtrArray     *subscriptions;  /* of KvbFoundSubscription; NULL while loading or failed */
  char          *error;
  GCancellable  *cancellable;    /* the listing under way */
  gboolean       stopped;
};

G_DEFINE_FINAL_TYPE (KvbAccountSession, kvb_account_session, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
describe_cloud (const char *cloud_name)
{
  if (cloud_name == NULL || g_ascii_strcasecmp (cloud_name, "public") == 0)
    return g_strdup (_("Azure"));
  if (g_ascii_strcasecmp (cloud_name, "china") == 0)
    return g_strdup (_("Azure China"));
  if (g_ascii_strcasecmp (cloud_name, "usgov") == 0)
    return g_strdup (_("Azure US Government"));
  if (g_ascii_strcasecmp (cloud_name, "sample") == 0)
    return g_strdup (_("Sample cloud"));
  {
    g_autofree char *base = g_path_get_basename (cloud_name);
    g_autofree char *display = g_filename_display_name (base);
    /* translators: %s is the file name of a custom cloud profile */
    return g_strdup_printf (_("Custom cloud (%s)"), display);
  }
}

KvbAccountSession *
kvb_account_session_new_for_account (KvbAccountStore *store,
                                     KvbPipeline     *pipeline,
                                     KvbAccount      *account)
{
  KvbAccountSession *self;
  g_autoptr(GError) error = NULL;
  KvbCredential *credential = NULL;

  g_return_val_if_fail (KVB_IS_ACCOUNT_STORE (store), NULL);
  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_ACCOUNT (account), NULL);

  self = g_object_new (KVB_TYPE_ACCOUNT_SESSION, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->account = g_object_ref (account);
  self->title = g_strdup (*kvb_account_get_username (account) != '\0'
                          ? kvb_account_get_username (account) : kvb_account_get_client_id (account));
  self->subtitle = describe_cloud (kvb_account_get_cloud (account));

  self->cloud = kvb_account_store_dup_cloud (store, account, &error);
  if (self->cloud != NULL)
    credential = kvb_account_store_get_credential (store, account, &error);
  if (credential == NULL)
    {
      self->error = g_strdup (error->message);
      return self;
    }
  kvb_pipeline_add_cloud (pipeline, self->cloud, NULL);
  self->credential = g_object_ref (credential);
  return self;
}

KvbAccountSession *
kvb_account_session_new_for_sample (KvbPipeline   *pipeline,
                                    GObject       *sample,
                                    KvbCloud      *cloud,
                                    KvbCredential *credential,
                                    const char    *client_id)
{
  KvbAccountSession *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (G_IS_OBJECT (sample), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (KVB_IS_CREDENTIAL (credential), NULL);

  self = g_object_new (KVB_TYPE_ACCOUNT_SESSION, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->sample = g_object_ref (sample);
  self->cloud = g_object_ref (cloud);
  self->credential = g_object_ref (credential);
  self->title = g_strdup (_("Sample cloud"));
  /* translators: %s is the client id of the sample's service principal */
  self->subtitle = g_strdup_printf (_("Service principal %s"), client_id);
  return self;
}

KvbAccount *
kvb_account_session_get_account (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->account;
}

gboolean
kvb_account_session_is_sample (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), FALSE);
  return self->sample != NULL;
}

KvbPipeline *
kvb_account_session_get_pipeline (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->pipeline;
}

KvbCloud *
kvb_account_session_get_cloud (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->cloud;
}

KvbCredential *
kvb_account_session_get_credential (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->credential;
}

const char *
kvb_account_session_get_title (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->title;
}

const char *
kvb_account_session_get_subtitle (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->subtitle;
}

GPtrArray *
kvb_account_session_get_subscriptions (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->subscriptions;
}

const char *
kvb_account_session_get_error (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), NULL);
  return self->error;
}

gboolean
kvb_account_session_needs_sign_in (KvbAccountSession *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (self), FALSE);
  return self->credential == NULL ||
         (self->account != NULL && kvb_account_get_needs_sign_in (self->account));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(KvbAccountSession) self = user_data;
  g_autoptr(GPtrArray) subscriptions = NULL;
  g_autoptr(GError) error = NULL;

  subscriptions = kvb_vault_finder_list_finish (KVB_ARM_CLIENT (source), result, &error);
  if (self->stopped || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (subscriptions == NULL)
    {
      g_debug ("Listing the vaults of %s failed: %s", self->title, error->message);
      self->error = g_strdup (error->message);
    }
  else
    self->subscriptions = g_steal_pointer (&subscriptions);

  g_signal_emit (self, signals[CHANGED], 0);
}

void
kvb_account_session_load (KvbAccountSession *self)
{
  g_autoptr(KvbArmClient) client = NULL;

  g_return_if_fail (KVB_IS_ACCOUNT_SESSION (self));

  if (self->credential == NULL || self->stopped)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->subscriptions, g_ptr_array_unref);
  g_clear_pointer (&self->error, g_free);

  client = kvb_arm_client_new (self->pipeline, self->cloud, self->credential);
  kvb_vault_finder_list_async (client, self->cancellable, loaded_cb, g_object_ref (self));
}

void
kvb_account_session_stop (KvbAccountSession *self)
{
  g_return_if_fail (KVB_IS_ACCOUNT_SESSION (self));

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
}

static void
kvb_account_session_dispose (GObject *object)
{
  KvbAccountSession *self = (KvbAccountSession *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->sample);
  g_clear_object (&self->cloud);
  g_clear_object (&self->credential);
  g_clear_object (&self->pipeline);
  g_clear_pointer (&self->subscriptions, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_account_session_parent_class)->dispose (object);
}

static void
kvb_account_session_finalize (GObject *object)
{
  KvbAccountSession *self = (KvbAccountSession *)object;

  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->error);

  G_OBJECT_CLASS (kvb_account_session_parent_class)->finalize (object);
}

static void
kvb_account_session_class_init (KvbAccountSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_account_session_dispose;
  object_class->finalize = kvb_account_session_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kvb_account_session_init (KvbAccountSession *self)
{
}
