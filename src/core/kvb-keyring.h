/* kvb-keyring.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account.h"

G_BEGIN_DECLS

/**
 * KvbSecretKind:
 * @KVB_SECRET_KIND_REFRESH_TOKEN: a user's refresh token
 * @KVB_SECRET_KIND_CLIENT_SECRET: a service principal's client secret
 */
typedef enum
{
  KVB_SECRET_KIND_REFRESH_TOKEN,
  KVB_SECRET_KIND_CLIENT_SECRET,
} KvbSecretKind;

#define KVB_TYPE_KEYRING (kvb_keyring_get_type ())

G_DECLARE_FINAL_TYPE (KvbKeyring, kvb_keyring, KVB, KEYRING, GObject)

/*
 * The desktop keyring (libsecret, schema "io.github.kvbackup.KeyVaultBackup.Credential"), with a
 * copy in memory of everything stored during this session.  When no Secret Service answers, the
 * calls fail with KVB_ERROR_KEYRING_UNAVAILABLE ("sign-in will last for this session only") and
 * the memory copy keeps everything working until the application quits.
 *
 * kvb_keyring_new_in_memory() never touches the Secret Service (the sample cloud, tests).
 *
 * Property "available" (boolean, notify): FALSE once a call found no Secret Service.
 */
KvbKeyring *kvb_keyring_new             (void);
KvbKeyring *kvb_keyring_new_in_memory   (void);
gboolean    kvb_keyring_get_available   (KvbKeyring          *self);

/* Asks the keyring (the Secret Service, or in the Flatpak the Secret portal) whether it answers;
 * fails with KVB_ERROR_KEYRING_UNAVAILABLE. */
void        kvb_keyring_check_async     (KvbKeyring          *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    kvb_keyring_check_finish    (KvbKeyring          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Stores (or replaces) the secret of @account.  On KVB_ERROR_KEYRING_UNAVAILABLE the secret is
 * still kept in memory for this session. */
void        kvb_keyring_store_async     (KvbKeyring          *self,
                                         KvbAccount          *account,
                                         KvbSecretKind        kind,
                                         const char          *secret,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    kvb_keyring_store_finish    (KvbKeyring          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Returns the secret (free it with kvb_keyring_secret_free(), which wipes it) or NULL with no
 * error when there is none. */
void        kvb_keyring_lookup_async    (KvbKeyring          *self,
                                         KvbAccount          *account,
                                         KvbSecretKind        kind,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
char       *kvb_keyring_lookup_finish   (KvbKeyring          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Removes every item of @account (memory and keyring). */
void        kvb_keyring_clear_async     (KvbKeyring          *self,
                                         KvbAccount          *account,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    kvb_keyring_clear_finish    (KvbKeyring          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

void        kvb_keyring_secret_free     (char                *secret);

G_END_DECLS
