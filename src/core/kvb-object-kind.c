/* kvb-object-kind.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-kind"

#include "config.h"

#include "kvb-object-kind.h"

static const char * const names[] = { "secret", "key", "certificate" };
static const char * const collections[] = { "secrets", "keys", "certificates" };

const char *
kvb_object_kind_to_string (KvbObjectKind kind)
{
  g_return_val_if_fail (kind < KVB_OBJECT_KIND_N_KINDS, NULL);

  return names[kind];
}

const char *
kvb_object_kind_get_collection (KvbObjectKind kind)
{
  g_return_val_if_fail (kind < KVB_OBJECT_KIND_N_KINDS, NULL);

  return collections[kind];
}

gboolean
kvb_object_kind_from_string (const char    *str,
                             KvbObjectKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (str, names[i]) == 0 || g_ascii_strcasecmp (str, collections[i]) == 0)
        {
          *kind = i;
          return TRUE;
        }
    }

  return FALSE;
}
