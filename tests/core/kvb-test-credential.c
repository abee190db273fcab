/* kvb-test-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-test-credential"

#include "config.h"

#include "kvb-test-credential.h"

struct _KvbTestCredential
{
  GObject parent_instance;

  char *token;
  guint n_calls;
  guint n_invalidations;
  char *last_scope;
  char *last_tenant;
};

static void kvb_test_credential_iface_init (KvbCredentialInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbTestCredential, kvb_test_credential, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KVB_TYPE_CREDENTIAL,
                                                      kvb_test_credential_iface_init))

static void
kvb_test_credential_finalize (GObject *object)
{
  KvbTestCredential *self = (KvbTestCredential *)object;

  g_free (self->token);
  g_free (self->last_scope);
  g_free (self->last_tenant);

  G_OBJECT_CLASS (kvb_test_credential_parent_class)->finalize (object);
}

static void
kvb_test_credential_class_init (KvbTestCredentialClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_test_credential_finalize;
}

static void
kvb_test_credential_init (KvbTestCredential *self)
{
}

static void
get_token_async (KvbCredential       *credential,
                 const char          *scope,
                 const char          *tenant,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  KvbTestCredential *self = KVB_TEST_CREDENTIAL (credential);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  self->n_calls++;
  g_free (self->last_scope);
  self->last_scope = g_strdup (scope);
  g_free (self->last_tenant);
  self->last_tenant = g_strdup (tenant);

  g_task_return_pointer (task,
                         kvb_access_token_new (self->token, g_get_real_time () / G_USEC_PER_SEC + 3600),
                         (GDestroyNotify)kvb_access_token_unref);
}

static KvbAccessToken *
get_token_finish (KvbCredential  *credential,
                  GAsyncResult   *result,
                  GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
invalidate (KvbCredential *credential,
            const char    *scope,
            const char    *tenant)
{
  KVB_TEST_CREDENTIAL (credential)->n_invalidations++;
}

static void
kvb_test_credential_iface_init (KvbCredentialInterface *iface)
{
  iface->get_token_async = get_token_async;
  iface->get_token_finish = get_token_finish;
  iface->invalidate = invalidate;
}

KvbTestCredential *
kvb_test_credential_new (const char *token)
{
  KvbTestCredential *self = g_object_new (KVB_TYPE_TEST_CREDENTIAL, NULL);

  self->token = g_strdup (token);
  return self;
}

guint
kvb_test_credential_get_n_calls (KvbTestCredential *self)
{
  return self->n_calls;
}

guint
kvb_test_credential_get_n_invalidations (KvbTestCredential *self)
{
  return self->n_invalidations;
}

const char *
kvb_test_credential_get_last_scope (KvbTestCredential *self)
{
  return self->last_scope;
}

const char *
kvb_test_credential_get_last_tenant (KvbTestCredential *self)
{
  return self->last_tenant;
}
