/* kvb-credential.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * KvbAccessToken:
 *
 * An access token held in memory only.  The token text is wiped when the last reference goes.
 */
typedef struct _KvbAccessToken KvbAccessToken;

#define KVB_TYPE_ACCESS_TOKEN (kvb_access_token_get_type ())

GType           kvb_access_token_get_type       (void) G_GNUC_CONST;
KvbAccessToken *kvb_access_token_new            (const char     *token,
                                                 gint64          expires_on);
KvbAccessToken *kvb_access_token_ref            (KvbAccessToken *self);
void            kvb_access_token_unref          (KvbAccessToken *self);
const char     *kvb_access_token_get_token      (KvbAccessToken *self);
gint64          kvb_access_token_get_expires_on (KvbAccessToken *self);
gboolean        kvb_access_token_is_fresh       (KvbAccessToken *self,
                                                 gint64          margin_seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvbAccessToken, kvb_access_token_unref)

#define KVB_TYPE_CREDENTIAL (kvb_credential_get_type ())

G_DECLARE_INTERFACE (KvbCredential, kvb_credential, KVB, CREDENTIAL, GObject)

/**
 * KvbCredentialInterface:
 * @get_token_async: obtain an access token for @scope (for example
 *   "https://vault.azure.net/.default") in @tenant (a tenant id, or %NULL for the credential's
 *   home tenant).  Implementations cache and refresh ahead of expiry.
 *
 * Every sign-in method (service principal, browser, device code, Azure CLI) implements this, so
 * that the HTTP pipeline never needs to know how a token was obtained.
 */
struct _KvbCredentialInterface
{
  GTypeInterface parent_iface;

  void            (*get_token_async)  (KvbCredential        *self,
                                       const char           *scope,
                                       const char           *tenant,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
  KvbAccessToken *(*get_token_finish) (KvbCredential        *self,
                                       GAsyncResult         *result,
                                       GError              **error);
  /* Forget cached access tokens (after a 401 that says the token was refused). */
  void            (*invalidate)       (KvbCredential        *self,
                                       const char           *scope,
                                       const char           *tenant);
};

void            kvb_credential_get_token_async  (KvbCredential        *self,
                                                 const char           *scope,
                                                 const char           *tenant,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
KvbAccessToken *kvb_credential_get_token_finish (KvbCredential        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void            kvb_credential_invalidate       (KvbCredential        *self,
                                                 const char           *scope,
                                                 const char           *tenant);

G_END_DECLS
