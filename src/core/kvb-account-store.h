/* kvb-account-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account.h"
#include "kvb-account-credential.h"
#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-keyring.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_ACCOUNT_STORE (kvb_account_store_get_type ())

G_DECLARE_FINAL_TYPE (KvbAccountStore, kvb_account_store, KVB, ACCOUNT_STORE, GObject)

/*
 * The accounts the application knows: a GListModel of KvbAccount (several at once, different
 * tenants or clouds).  The non-secret list is remembered in the "accounts" key of @settings
 * (schema io.github.kvbackup.KeyVaultBackup); secrets go to @keyring.  @settings may be NULL
 * (nothing remembered, e.g. the sample cloud).
 *
 * Property "keyring-available" (boolean, notify): FALSE when sign-ins last for this session only.
 */
KvbAccountStore *kvb_account_store_new                (KvbPipeline      *pipeline,
                                                       GSettings        *settings,
                                                       KvbKeyring       *keyring);
KvbKeyring      *kvb_account_store_get_keyring        (KvbAccountStore  *self);
gboolean         kvb_account_store_get_keyring_available (KvbAccountStore *self);

/* Adds the result of a sign-in flow (replacing an account with the same identity), remembers it
 * in GSettings and stores its secret in the keyring.  Succeeds even when the keyring is not
 * available: "keyring-available" then turns FALSE.  Returns the account (transfer full). */
void             kvb_account_store_add_async          (KvbAccountStore      *self,
                                                       KvbAccountCredential *credential,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
KvbAccount      *kvb_account_store_add_finish         (KvbAccountStore      *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Removes the account, its keyring items and its tokens in memory. */
void             kvb_account_store_sign_out_async     (KvbAccountStore      *self,
                                                       KvbAccount           *account,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean         kvb_account_store_sign_out_finish    (KvbAccountStore      *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* The credential of @account (one per account, created on first use; transfer none).  Returns
 * NULL and sets @error when the account's cloud cannot be resolved. */
KvbCredential   *kvb_account_store_get_credential     (KvbAccountStore      *self,
                                                       KvbAccount           *account,
                                                       GError              **error);

/* The account named @name: its id, its user name, or "user@cloud"; NULL if none or ambiguous. */
KvbAccount      *kvb_account_store_find               (KvbAccountStore      *self,
                                                       const char           *name);

/* The cloud of @account: "public", "china", "usgov", a profile path, or "sample" (resolved from
 * KVB_CLOUD_SAMPLE_URL / KVB_CLOUD_SAMPLE_CA, or the cloud given with _set_sample_cloud()). */
KvbCloud        *kvb_account_store_dup_cloud          (KvbAccountStore      *self,
                                                       KvbAccount           *account,
                                                       GError              **error);
void             kvb_account_store_set_sample_cloud   (KvbAccountStore      *self,
                                                       KvbCloud             *cloud);

G_END_DECLS
