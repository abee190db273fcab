/* kvb-object-kind.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The three kinds of Key Vault object that can be backed up one at a time. */
typedef enum
{
  KVB_OBJECT_KIND_SECRET,
  KVB_OBJECT_KIND_KEY,
  KVB_OBJECT_KIND_CERTIFICATE,
} KvbObjectKind;

#define KVB_OBJECT_KIND_N_KINDS 3

/* "secret", "key", "certificate": the words of file names, the command line and manifests. */
const char *kvb_object_kind_to_string   (KvbObjectKind  kind);
gboolean    kvb_object_kind_from_string (const char    *str,
                                         KvbObjectKind *kind);
/* "secrets", "keys", "certificates": the collection segment of Key Vault paths. */
const char *kvb_object_kind_get_collection (KvbObjectKind kind);

G_END_DECLS
