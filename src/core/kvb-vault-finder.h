/* kvb-vault-finder.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-arm-client.h"

G_BEGIN_DECLS

/* A subscription and its vaults; or, with @info %NULL, a tenant whose subscriptions could not be
 * listed while other tenants' could (@error says why). */
typedef struct
{
  KvbSubscriptionInfo *info;
  KvbTenantInfo       *tenant;   /* the tenant whose token lists it */
  GPtrArray           *vaults;   /* of KvbVaultInfo sorted by name; NULL if they could not be listed */
  GError              *error;    /* why they could not be listed (KVB_ERROR), for people */
} KvbFoundSubscription;

/* Lists, as Azure CLI does, the tenants of the account, the subscriptions seen with a token of
 * each tenant, and the vaults of each subscription.  The result is a GPtrArray of
 * KvbFoundSubscription sorted by name, skipped tenants last; a subscription whose vaults could not
 * be listed carries the reason instead of failing the whole list. */
void       kvb_vault_finder_list_async  (KvbArmClient         *client,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GPtrArray *kvb_vault_finder_list_finish (KvbArmClient         *client,
                                         GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
