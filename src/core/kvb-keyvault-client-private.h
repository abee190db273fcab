/* kvb-keyvault-client-private.h: how the client reads Key Vault's answers, for the fuzz
 * targets; not for the window or kvbackup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-keyvault-client.h"

G_BEGIN_DECLS

/* A list page ({"value": [...], "nextLink": ...}): its objects (KvbObjectInfo), and in
 * @next_link the link to the next page as written (borrowed from @node; NULL on the last). */
GPtrArray *_kvb_keyvault_client_read_list_page (KvbKeyVaultClient  *self,
                                                KvbObjectKind       kind,
                                                JsonNode           *node,
                                                const char        **next_link,
                                                GError            **error);
/* The URL the next page is fetched from; fails when @next_link leaves the vault. */
char      *_kvb_keyvault_client_next_page_url  (KvbKeyVaultClient  *self,
                                                const char         *next_link,
                                                GError            **error);
/* The error of a failed call: @op is one of the client's operations (list, get, backup,
 * restore, recover, purge, delete, in that order); @body and @name are nullable. */
GError    *_kvb_keyvault_client_map_error      (KvbKeyVaultClient  *self,
                                                guint               status,
                                                JsonNode           *body,
                                                guint               op,
                                                KvbObjectKind       kind,
                                                const char         *name);

G_END_DECLS
