/* kvb-account-credential.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account.h"
#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-keyring.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_ACCOUNT_CREDENTIAL (kvb_account_credential_get_type ())

G_DECLARE_FINAL_TYPE (KvbAccountCredential, kvb_account_credential, KVB, ACCOUNT_CREDENTIAL, GObject)

/*
 * The credential of one account (a KvbCredential).
 *
 * For a user it redeems the refresh token once per tenant and resource, keeps access tokens in
 * memory only, refreshes them ahead of expiry and stores every rotated refresh token in @keyring.
 * When Entra ID answers invalid_grant or interaction_required it drops the stored refresh token,
 * marks the account "needs-sign-in" and fails with KVB_ERROR_SIGN_IN_REQUIRED — once, without
 * retrying.
 *
 * For a service principal it reads the client secret from @keyring (or uses the account's
 * certificate file); for the Azure CLI it runs `az`.
 *
 * @refresh_token may be NULL: it is then looked up in @keyring on first use.
 */
KvbAccountCredential *kvb_account_credential_new         (KvbPipeline          *pipeline,
                                                          KvbCloud             *cloud,
                                                          KvbAccount           *account,
                                                          KvbKeyring           *keyring,
                                                          const char           *refresh_token);
KvbAccount           *kvb_account_credential_get_account (KvbAccountCredential *self);
KvbCloud             *kvb_account_credential_get_cloud   (KvbAccountCredential *self);

/* A service principal's secret, held until the account is added to a store (never logged). */
void                  kvb_account_credential_set_client_secret (KvbAccountCredential *self,
                                                                const char           *secret);

/* Stores the current secret (refresh token or client secret) in the keyring; used by the
 * account store when an account is added.  Fails with KVB_ERROR_KEYRING_UNAVAILABLE when
 * there is no Secret Service (the secret stays in memory). */
void                  kvb_account_credential_save_async  (KvbAccountCredential *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean              kvb_account_credential_save_finish (KvbAccountCredential *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

/* Forgets every token in memory (sign out). */
void                  kvb_account_credential_forget      (KvbAccountCredential *self);

G_END_DECLS
