/* kvb-cli-vaults.c: kvbackup vaults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-arm-client.h"
#include "kvb-cli.h"
#include "kvb-cli-table.h"
#include "kvb-vault-finder.h"

static JsonObject *
vault_to_json (KvbVaultInfo *info)
{
  JsonObject *obj = json_object_new ();
  const char *fields[][2] = {
    { "name", kvb_vault_info_get_name (info) },
    { "vaultUri", kvb_vault_info_get_vault_uri (info) },
    { "location", kvb_vault_info_get_location (info) },
    { "resourceGroup", kvb_vault_info_get_resource_group (info) },
    { "id", kvb_vault_info_get_id (info) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      if (fields[i][1] != NULL)
        json_object_set_string_member (obj, fields[i][0], fields[i][1]);
      else
        json_object_set_null_member (obj, fields[i][0]);
    }
  json_object_set_boolean_member (obj, "softDelete", kvb_vault_info_get_soft_delete (info));
  json_object_set_boolean_member (obj, "purgeProtection", kvb_vault_info_get_purge_protection (info));
  json_object_set_boolean_member (obj, "rbac", kvb_vault_info_get_rbac (info));
  return obj;
}

static void
print_row (const char *name,
           const char *location,
           const char *group)
{
  g_autoptr(GString) line = g_string_new ("  ");

  kvb_cli_append_padded (line, name, 26);
  g_string_append_c (line, ' ');
  kvb_cli_append_padded (line, location, 18);
  g_string_append_c (line, ' ');
  g_string_append (line, group);
  g_print ("%s\n", line->str);
}

/* What the window's sidebar shows, from the same walk (kvb_vault_finder_list_async): every
 * tenant of the sign-in, each subscription once, its vaults.  A tenant or subscription that
 * cannot be read is said on stderr and does not hide the others. */
int
kvb_cli_vaults (KvbCli  *cli,
                int      argc,
                char   **argv)
{
  const GOptionEntry entries[] = {
    { NULL }
  };
  g_autoptr(KvbArmClient) arm = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) subs_json = json_array_new ();
  guint n_subscriptions = 0, n_vaults = 0, n_unreadable = 0;

  if (!kvb_cli_parse_options (cli, "vaults",
                              _("List the subscriptions the sign-in can see and their key vaults, "
                                "with location and resource group (from Resource Manager)."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;
  if (argc > 1)
    return kvb_cli_usage_error ("vaults", _("Unexpected argument “%s”."), argv[1]);

  if (!kvb_cli_prepare (cli, NULL, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  arm = kvb_arm_client_new (cli->pipeline, cli->cloud, cli->credential);
  kvb_vault_finder_list_async (arm, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  found = kvb_vault_finder_list_finish (arm, result, &error);
  if (found == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_cli_print_error (_("Interrupted."));
      else
        kvb_cli_print_error (_("The subscriptions of the sign-in could not be listed: %s"),
                             error->message);
      return KVB_CLI_EXIT_FAILED;
    }

  for (guint i = 0; i < found->len; i++)
    {
      KvbFoundSubscription *sub = g_ptr_array_index (found, i);
      const char *tenant = kvb_tenant_info_get_tenant_id (sub->tenant);
      const char *id;
      const char *display_name;
      JsonObject *sub_json;
      JsonArray *vaults_json;

      if (sub->info == NULL)
        {
          /* Translators: a tenant id, then the reason */
          kvb_cli_print_error (_("The subscriptions of tenant %s could not be listed: %s"),
                               tenant, sub->error->message);
          n_unreadable++;
          continue;
        }

      id = kvb_subscription_info_get_subscription_id (sub->info);
      display_name = kvb_subscription_info_get_display_name (sub->info);
      n_subscriptions++;
      sub_json = json_object_new ();
      json_object_set_string_member (sub_json, "subscription", id);
      if (display_name != NULL)
        json_object_set_string_member (sub_json, "displayName", display_name);
      else
        json_object_set_null_member (sub_json, "displayName");
      json_object_set_string_member (sub_json, "tenant", tenant);
      vaults_json = json_array_new ();

      if (!cli->json)
        /* Translators: a subscription's name, then its id */
        g_print (_("Subscription %s (%s)\n"), display_name ? display_name : id, id);

      if (sub->vaults == NULL)
        {
          /* Translators: a subscription id, then the reason */
          kvb_cli_print_error (_("The vaults of subscription %s could not be listed: %s"), id,
                               sub->error->message);
          json_object_set_string_member (sub_json, "error", sub->error->message);
          n_unreadable++;
        }
      else
        {
          for (guint v = 0; v < sub->vaults->len; v++)
            {
              KvbVaultInfo *info = g_ptr_array_index (sub->vaults, v);

              json_array_add_object_element (vaults_json, vault_to_json (info));
              if (!cli->json)
                print_row (kvb_vault_info_get_name (info),
                           kvb_vault_info_get_location (info) ? kvb_vault_info_get_location (info) : "",
                           kvb_vault_info_get_resource_group (info) ? kvb_vault_info_get_resource_group (info) : "");
            }
          n_vaults += sub->vaults->len;
          if (sub->vaults->len == 0 && !cli->json)
            g_print ("  %s\n", _("(no key vaults)"));
        }
      json_object_set_array_member (sub_json, "vaults", vaults_json);
      json_array_add_object_element (subs_json, sub_json);
    }

  if (cli->json)
    {
      g_autoptr(JsonObject) doc = json_object_new ();

      json_object_set_string_member (doc, "command", "vaults");
      json_object_set_string_member (doc, "cloud", kvb_cloud_get_id (cli->cloud));
      json_object_set_array_member (doc, "subscriptions", json_array_ref (subs_json));
      kvb_cli_set_document (cli, doc);
    }
  else if (n_subscriptions == 0 && n_unreadable == 0)
    g_printerr ("%s\n", _("The sign-in sees no subscription."));
  else
    /* Translators: counts */
    g_printerr (_("%u vaults in %u subscriptions.\n"), n_vaults, n_subscriptions);

  return n_unreadable > 0 ? KVB_CLI_EXIT_FAILED : KVB_CLI_EXIT_OK;
}
