/* kvb-vault-manifest-private.h: the manifest reader without the file, for the fuzz targets; not
 * for the window or kvbackup.
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

G_END_DECLS
