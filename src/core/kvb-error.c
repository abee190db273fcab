/* kvb-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-error"

#include "config.h"

#include "kvb-error.h"

/* An extended error domain: every KVB_ERROR carries the service's own code as well, so that
 * callers such as the device-code poller can tell "authorization_pending" from "expired_token"
 * without parsing messages. */
typedef struct
{
  char *service_code;
} KvbErrorPrivate;

static void
kvb_error_private_init (KvbErrorPrivate *priv)
{
  priv->service_code = NULL;
}

static void
kvb_error_private_copy (const KvbErrorPrivate *src,
                        KvbErrorPrivate       *dest)
{
  dest->service_code = g_strdup (src->service_code);
}

static void
kvb_error_private_clear (KvbErrorPrivate *priv)
{
  g_clear_pointer (&priv->service_code, g_free);
}

G_DEFINE_EXTENDED_ERROR (KvbError, kvb_error)

const char *
kvb_error_get_service_code (const GError *error)
{
  KvbErrorPrivate *priv;

  if (error == NULL || error->domain != KVB_ERROR)
    return NULL;

  priv = kvb_error_get_private (error);

  return priv != NULL ? priv->service_code : NULL;
}

void
kvb_error_set_service_code (GError     *error,
                            const char *service_code)
{
  KvbErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == KVB_ERROR);

  priv = kvb_error_get_private (error);
  g_free (priv->service_code);
  priv->service_code = g_strdup (service_code);
}

GError *
kvb_error_new_with_service_code (KvbError    code,
                                 const char *service_code,
                                 const char *format,
                                 ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (KVB_ERROR, code, format, args);
  va_end (args);

  kvb_error_set_service_code (error, service_code);

  return error;
}
