/* kvb-sign-in-settings.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-sign-in"

#include "config.h"

#include "kvb-sign-in-settings.h"

static char *
dup_setting (GSettings  *settings,
             const char *override,
             const char *env,
             const char *key,
             const char *fallback)
{
  const char *value;
  g_autofree char *stored = NULL;

  if (override != NULL && *override != '\0')
    return g_strdup (override);

  /* Managed deployments set these for every user. */
  value = g_getenv (env);
  if (value != NULL && *value != '\0')
    return g_strdup (value);

  if (settings != NULL)
    {
      stored = g_settings_get_string (settings, key);
      if (stored != NULL && *stored != '\0')
        return g_steal_pointer (&stored);
    }

  return g_strdup (fallback);
}

char *
kvb_sign_in_dup_client_id (GSettings  *settings,
                           const char *override)
{
  return dup_setting (settings, override, "KVB_CLIENT_ID", "client-id", KVB_DEFAULT_CLIENT_ID);
}

char *
kvb_sign_in_dup_tenant (GSettings  *settings,
                        const char *override)
{
  return dup_setting (settings, override, "KVB_TENANT_ID", "tenant", KVB_DEFAULT_TENANT);
}

GSettings *
kvb_sign_in_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  /* g_settings_new() aborts on a missing schema; kvbackup run from a build tree has none. */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    return NULL;

  return g_settings_new_full (schema, NULL, NULL);
}
