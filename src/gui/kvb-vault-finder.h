/* kvb-vault-finder.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *location;
  char *resource_group;
  char *vault_uri;
} KvbFoundVault;

typedef struct
{
  char      *id;
  char      *name;
  char      *error;    /* why its vaults could not be listed, for people; NULL if they were */
  GPtrArray *vaults;   /* of KvbFoundVault, sorted by name */
} KvbFoundSubscription;

#define KVB_TYPE_VAULT_FINDER (kvb_vault_finder_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultFinder, kvb_vault_finder, KVB, VAULT_FINDER, GObject)

KvbVaultFinder *kvb_vault_finder_new         (KvbPipeline          *pipeline,
                                              KvbCloud             *cloud,
                                              KvbCredential        *credential);
/* Lists the subscriptions the credential can see and the vaults of each (following nextLink).
 * The result is a GPtrArray of KvbFoundSubscription sorted by name; a subscription whose vaults
 * could not be listed carries the reason instead of failing the whole list. */
void            kvb_vault_finder_list_async  (KvbVaultFinder       *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GPtrArray      *kvb_vault_finder_list_finish (KvbVaultFinder       *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
