/* kvb-vault-compare.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-keyvault-client.h"
#include "kvb-vault-manifest.h"

G_BEGIN_DECLS

/* The "state" of an object that is in the backup and not in the vault. */
#define KVB_VAULT_COMPARE_DELETED "deleted"   /* soft-deleted since: it can be recovered */
#define KVB_VAULT_COMPARE_PURGED  "purged"    /* gone for good, or never in this vault */

#define KVB_TYPE_VAULT_COMPARE (kvb_vault_compare_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultCompare, kvb_vault_compare, KVB, VAULT_COMPARE, GObject)

/* A whole-vault backup (its manifest) against the vault of @client as it is now, from the vault's
 * listings only (live, then soft-deleted; no backup is downloaded): what the vault has that the
 * backup lacks, what the backup has that the vault lacks (deleted since and recoverable, or
 * purged), and what changed since (its "updated" differs).  Objects of the backup are those
 * recorded done or covered. */
KvbVaultCompare *kvb_vault_compare_new                (KvbKeyVaultClient    *client,
                                                       KvbVaultManifest     *manifest);

/* Fails when the vault cannot be listed (a missing permission, the network) or on cancellation.
 * Once per object. */
void             kvb_vault_compare_run_async          (KvbVaultCompare      *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean         kvb_vault_compare_run_finish         (KvbVaultCompare      *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* After a run; each row a JsonObject with "kind" and "name", in listing order.
 * Returns: (transfer none). */
JsonArray       *kvb_vault_compare_get_only_in_vault  (KvbVaultCompare      *self);
/* Rows also have "state": KVB_VAULT_COMPARE_DELETED or KVB_VAULT_COMPARE_PURGED, in manifest
 * order.  Returns: (transfer none). */
JsonArray       *kvb_vault_compare_get_only_in_backup (KvbVaultCompare      *self);
/* Rows also have "backupUpdated" and "vaultUpdated" (ISO 8601, either may be null).
 * Returns: (transfer none). */
JsonArray       *kvb_vault_compare_get_changed        (KvbVaultCompare      *self);
/* The number of rows of the three. */
guint            kvb_vault_compare_get_n_differences  (KvbVaultCompare      *self);

KvbVaultManifest *kvb_vault_compare_get_manifest      (KvbVaultCompare      *self);

G_END_DECLS
