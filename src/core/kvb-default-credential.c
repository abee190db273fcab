/* kvb-default-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-default-credential"

#include "config.h"

#include "kvb-azure-cli-credential.h"
#include "kvb-default-credential.h"
#include "kvb-service-principal-credential.h"
#include "kvb-sign-in-settings.h"

/* An account belongs to @cloud when it signs in at the same authority (a custom profile's
 * name and path may both have been used to name it). */
static gboolean
account_in_cloud (KvbAccount *account,
                  KvbCloud   *cloud,
                  const char *cloud_name)
{
  if (cloud_name != NULL && g_strcmp0 (kvb_account_get_cloud (account), cloud_name) == 0)
    return TRUE;
  return g_strcmp0 (kvb_account_get_authority (account), kvb_cloud_get_authority_host (cloud)) == 0;
}

KvbCredential *
kvb_default_credential_new_full (KvbPipeline      *pipeline,
                                 KvbCloud         *cloud,
                                 const char       *cloud_name,
                                 KvbAccountStore  *store,
                                 GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  KvbServicePrincipalCredential *sp;
  KvbAccount *chosen = NULL;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);

  /* 1. The environment's service principal: what scheduled jobs set. */
  sp = kvb_service_principal_credential_new_from_environment (pipeline, cloud, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (sp != NULL)
    {
      g_debug ("Using the service principal from the environment");
      return KVB_CREDENTIAL (sp);
    }

  /* 2. The stored sign-in for this cloud (one that still works first). */
  if (store != NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(KvbAccount) a = g_list_model_get_item (G_LIST_MODEL (store), i);

          if (!account_in_cloud (a, cloud, cloud_name))
            continue;
          if (chosen == NULL || (kvb_account_get_needs_sign_in (chosen) &&
                                 !kvb_account_get_needs_sign_in (a)))
            chosen = a;
        }
    }
  if (chosen != NULL)
    {
      KvbCredential *credential = kvb_account_store_get_credential (store, chosen, error);

      g_debug ("Using the stored sign-in of account %s", kvb_account_get_id (chosen));
      return credential != NULL ? g_object_ref (credential) : NULL;
    }

  /* 3. The Azure CLI's own sign-in. */
  g_debug ("Using the Azure CLI");
  return KVB_CREDENTIAL (kvb_azure_cli_credential_new ());
}

KvbCredential *
kvb_default_credential_new (KvbPipeline  *pipeline,
                            KvbCloud     *cloud,
                            GError      **error)
{
  g_autoptr(GSettings) settings = kvb_sign_in_settings_new ();
  g_autoptr(KvbKeyring) keyring = NULL;
  g_autoptr(KvbAccountStore) store = NULL;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);

  if (settings != NULL)
    {
      keyring = kvb_keyring_new ();
      store = kvb_account_store_new (pipeline, settings, keyring);
    }

  return kvb_default_credential_new_full (pipeline, cloud,
                                          kvb_cloud_is_sample (cloud) ? "sample" : NULL,
                                          store, error);
}
