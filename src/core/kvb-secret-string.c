/* kvb-secret-string.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-secret-string"

#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>

#include "kvb-secret-string.h"

/* Usable as a GDestroyNotify; accepts NULL. */
void
kvb_secret_string_free (gpointer s)
{
  if (s != NULL)
    {
      /* gnutls_memset, unlike memset, is not dropped as a dead store before the free. */
      gnutls_memset (s, 0, strlen (s));
      g_free (s);
    }
}

void
kvb_secret_string_clear (char **s)
{
  kvb_secret_string_free (g_steal_pointer (s));
}
