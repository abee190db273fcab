/* kvb-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-credential"

#include "config.h"

#include "kvb-credential.h"
#include "kvb-secret-string.h"

struct _KvbAccessToken
{
  gatomicrefcount ref_count;
  char *token;
  gint64 expires_on;   /* seconds since the epoch, wall clock */
};

G_DEFINE_BOXED_TYPE (KvbAccessToken, kvb_access_token, kvb_access_token_ref, kvb_access_token_unref)

KvbAccessToken *
kvb_access_token_new (const char *token,
                      gint64      expires_on)
{
  KvbAccessToken *self;

  g_return_val_if_fail (token != NULL, NULL);

  self = g_new0 (KvbAccessToken, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->token = g_strdup (token);
  self->expires_on = expires_on;

  return self;
}

KvbAccessToken *
kvb_access_token_ref (KvbAccessToken *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

void
kvb_access_token_unref (KvbAccessToken *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      /* The token grants access to the vaults: do not leave it in freed memory. */
      kvb_secret_string_clear (&self->token);
      g_free (self);
    }
}

const char *
kvb_access_token_get_token (KvbAccessToken *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->token;
}

gint64
kvb_access_token_get_expires_on (KvbAccessToken *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->expires_on;
}

gboolean
kvb_access_token_is_fresh (KvbAccessToken *self,
                           gint64          margin_seconds)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->expires_on - margin_seconds > g_get_real_time () / G_USEC_PER_SEC;
}

G_DEFINE_INTERFACE (KvbCredential, kvb_credential, G_TYPE_OBJECT)

static void
kvb_credential_default_init (KvbCredentialInterface *iface)
{
}

void
kvb_credential_get_token_async (KvbCredential       *self,
                                const char          *scope,
                                const char          *tenant,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (KVB_IS_CREDENTIAL (self));
  g_return_if_fail (scope != NULL);

  KVB_CREDENTIAL_GET_IFACE (self)->get_token_async (self, scope, tenant, cancellable,
                                                    callback, user_data);
}

KvbAccessToken *
kvb_credential_get_token_finish (KvbCredential  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (KVB_IS_CREDENTIAL (self), NULL);

  return KVB_CREDENTIAL_GET_IFACE (self)->get_token_finish (self, result, error);
}

void
kvb_credential_invalidate (KvbCredential *self,
                           const char    *scope,
                           const char    *tenant)
{
  KvbCredentialInterface *iface;

  g_return_if_fail (KVB_IS_CREDENTIAL (self));

  iface = KVB_CREDENTIAL_GET_IFACE (self);
  if (iface->invalidate != NULL)
    iface->invalidate (self, scope, tenant);
}
