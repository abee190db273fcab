/* kvb-vault-manifest-private.h: the manifest reader without the file, for the fuzz targets, and
 * the compact entries of the vault backup; not for the window or kvbackup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-vault-manifest.h"

G_BEGIN_DECLS

/* Reads the contents of a manifest.json; @file only names it in messages. */
KvbVaultManifest *_kvb_vault_manifest_new_from_bytes (GBytes  *bytes,
                                                      GFile   *file,
                                                      GError **error);

/* With @compact, only the entries asked for last keep their JsonObject; the others are held as
 * their text and read back when asked for, so that a large vault's manifest takes a tenth of
 * the memory.  A pointer from kvb_vault_manifest_lookup() and the like then stays valid only
 * until some hundred other entries were asked for: look an entry up again in each callback. */
void              _kvb_vault_manifest_set_compact    (KvbVaultManifest *self,
                                                      gboolean          compact);

G_END_DECLS
