/* kvb-default-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-default-credential"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "kvb-account-credential.h"
#include "kvb-azure-cli-credential.h"
#include "kvb-error.h"
#include "kvb-file-util.h"
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

/* Whether the Azure CLI is there and has signed in at all: its profile lists what `az login`
 * found.  Only the profile (no token) is read; it is written with a UTF-8 BOM. */
static gboolean
azure_cli_signed_in (void)
{
  g_autofree char *az = g_find_program_in_path ("az");
  g_autofree char *path = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(JsonParser) parser = NULL;
  const char *dir = g_getenv ("AZURE_CONFIG_DIR");
  const char *text;
  JsonNode *root, *subs;
  gsize len = 0;

  if (az == NULL)
    return FALSE;

  path = dir != NULL && *dir != '\0' ? g_build_filename (dir, "azureProfile.json", NULL)
                                     : g_build_filename (g_get_home_dir (), ".azure", "azureProfile.json", NULL);
  /* Only a hint: anything but a readable regular file (a named pipe would hang) means no. */
  contents = kvb_file_load_regular (path, KVB_FILE_PURPOSE_OTHER, NULL, NULL);
  if (contents == NULL || g_bytes_get_size (contents) == 0)
    return FALSE;

  text = g_bytes_get_data (contents, &len);
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    {
      text += 3;
      len -= 3;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, len, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  /* White space alone parses, without a root. */
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  subs = json_object_get_member (json_node_get_object (root), "subscriptions");
  return subs != NULL && JSON_NODE_HOLDS_ARRAY (subs) && json_array_get_length (json_node_get_array (subs)) > 0;
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

  /* 3. The Azure CLI's own sign-in, if there is one: otherwise say at once how to sign in,
   * before any request goes out. */
  if (!azure_cli_signed_in ())
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                           _("Nobody is signed in. Sign in with “kvbackup login”, set "
                             "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
                             "AZURE_CLIENT_CERTIFICATE_PATH) for a service principal, or sign in "
                             "to the Azure CLI with “az login”."));
      return NULL;
    }
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

char *
kvb_default_credential_dup_identity (KvbCredential *credential)
{
  g_return_val_if_fail (KVB_IS_CREDENTIAL (credential), NULL);

  if (KVB_IS_SERVICE_PRINCIPAL_CREDENTIAL (credential))
    return g_strdup_printf ("service principal %s",
                            kvb_service_principal_credential_get_client_id (
                                KVB_SERVICE_PRINCIPAL_CREDENTIAL (credential)));
  if (KVB_IS_ACCOUNT_CREDENTIAL (credential))
    {
      KvbAccount *account = kvb_account_credential_get_account (KVB_ACCOUNT_CREDENTIAL (credential));
      const char *username = kvb_account_get_username (account);

      /* Untranslated: the history is read by scripts too, in any language. */
      switch (kvb_account_get_kind (account))
        {
        case KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL:
          return g_strdup_printf ("service principal %s", username);
        case KVB_ACCOUNT_KIND_AZURE_CLI:
          return *username != '\0' ? g_strdup_printf ("%s via Azure CLI", username)
                                    : g_strdup ("Azure CLI");
        case KVB_ACCOUNT_KIND_USER:
        default:
          return g_strdup (username);
        }
    }
  if (KVB_IS_AZURE_CLI_CREDENTIAL (credential))
    return g_strdup ("Azure CLI");
  return g_strdup (G_OBJECT_TYPE_NAME (credential));
}
