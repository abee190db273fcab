/* kvb-compare-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-keyvault-client.h"

G_BEGIN_DECLS

#define KVB_TYPE_COMPARE_DIALOG (kvb_compare_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KvbCompareDialog, kvb_compare_dialog, KVB, COMPARE_DIALOG, AdwWindow)

/* "Compare with Vault": the whole-vault backup in @folder against the vault of @client as it is
 * now (the core's KvbVaultCompare: listings only, nothing is downloaded).  Three lists: what the
 * vault has that the backup lacks, what the backup has that the vault lacks (deleted since and
 * recoverable, or purged), and what changed since.  A folder without a manifest says so. */
GtkWidget *kvb_compare_dialog_new (GtkWindow         *parent,
                                   KvbKeyVaultClient *client,
                                   GFile             *folder);

G_END_DECLS
