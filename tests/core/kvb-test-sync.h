/* kvb-test-sync.h: blocking wrappers around the asynchronous Key Vault client, for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-keyvault-client.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

/* Returns every object listed; @n_pages counts the pages delivered. */
GPtrArray     *kvb_test_list          (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       gboolean           deleted,
                                       guint             *n_pages,
                                       GError           **error);
GPtrArray     *kvb_test_list_versions (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
KvbObjectInfo *kvb_test_get           (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
KvbObjectInfo *kvb_test_get_deleted   (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
GBytes        *kvb_test_backup        (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
KvbObjectInfo *kvb_test_restore       (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       GBytes            *blob,
                                       GError           **error);
KvbObjectInfo *kvb_test_restore_named (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       GBytes            *blob,
                                       const char        *name,
                                       GError           **error);
KvbObjectInfo *kvb_test_delete        (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
KvbObjectInfo *kvb_test_recover       (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
gboolean       kvb_test_purge         (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       GError           **error);
gboolean       kvb_test_wait_usable   (KvbKeyVaultClient *client,
                                       KvbObjectKind      kind,
                                       const char        *name,
                                       KvbUsableAfter     after,
                                       GError           **error);
/* A raw call through the pipeline (to create objects): @path_query is relative to the vault
 * URL, e.g. "secrets/x?api-version=7.6".  Returns the status (0 on a transport error). */
guint          kvb_test_raw           (KvbPipeline       *pipeline,
                                       KvbCloud          *cloud,
                                       KvbCredential     *credential,
                                       const char        *vault_url,
                                       const char        *method,
                                       const char        *path_query,
                                       const char        *json,
                                       JsonNode         **answer,
                                       GError           **error);

G_END_DECLS
