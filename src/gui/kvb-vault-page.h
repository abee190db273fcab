/* kvb-vault-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-keyvault-client.h"
#include "kvb-pipeline.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

#define KVB_TYPE_VAULT_PAGE (kvb_vault_page_get_type ())

G_DECLARE_FINAL_TYPE (KvbVaultPage, kvb_vault_page, KVB, VAULT_PAGE, AdwBin)

/* Shows @vault (or, with %NULL, that none is chosen); @pipeline, @cloud and @credential are what
 * talks to it, as the sidebar's session for its account has them. */
void               kvb_vault_page_set_vault       (KvbVaultPage  *self,
                                                   KvbVaultInfo  *vault,
                                                   KvbPipeline   *pipeline,
                                                   KvbCloud      *cloud,
                                                   KvbCredential *credential);
KvbVaultInfo      *kvb_vault_page_get_vault       (KvbVaultPage  *self);
KvbKeyVaultClient *kvb_vault_page_get_client      (KvbVaultPage  *self);
/* Starts the Restore Backup flow for @files (a GListModel of GFile) into the vault shown: the
 * confirmation that lists each file, then the restore.  What a drop and the open dialog do. */
void               kvb_vault_page_restore_files   (KvbVaultPage  *self,
                                                   GListModel    *files);
/* "secrets", "keys", "certificates" or "deleted". */
void               kvb_vault_page_show_kind       (KvbVaultPage  *self,
                                                   const char    *name);

G_END_DECLS
