/* kvb-cli.c: options, cloud, credential and the main loop that every command shares.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "kvb-arm-client.h"
#include "kvb-cli.h"
#include "kvb-error.h"
#include "kvb-default-credential.h"
#include "kvb-history.h"
#include "kvb-service-principal-credential.h"
#include "kvb-subscription-info.h"

/* --json: the messages that went to stderr, for the document's "errors". */
static GPtrArray *json_errors;

void
kvb_cli_collect_errors (void)
{
  if (json_errors == NULL)
    json_errors = g_ptr_array_new_with_free_func (g_free);
}

static void
keep_error (const char *message)
{
  if (json_errors != NULL)
    g_ptr_array_add (json_errors, g_strdup (message));
}

void
kvb_cli_print_error (const char *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s: %s\n", g_get_prgname (), message);
  keep_error (message);
}

void
kvb_cli_set_document (KvbCli     *cli,
                      JsonObject *doc)
{
  g_clear_pointer (&cli->doc, json_object_unref);
  cli->doc = json_object_ref (doc);
}

void
kvb_cli_print_document (KvbCli     *cli,
                        const char *command,
                        int         status)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *doc;

  if (!cli->json)
    return;

  if (cli->doc == NULL)
    {
      cli->doc = json_object_new ();
      if (command != NULL)
        json_object_set_string_member (cli->doc, "command", command);
    }
  doc = cli->doc;
  json_object_set_int_member (doc, "exitStatus", status);
  if (json_errors != NULL && json_errors->len > 0)
    {
      JsonArray *errors = json_array_new ();

      for (guint i = 0; i < json_errors->len; i++)
        json_array_add_string_element (errors, g_ptr_array_index (json_errors, i));
      json_object_set_array_member (doc, "errors", errors);
    }

  node = json_node_alloc ();
  json_node_init_object (node, doc);
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  g_clear_pointer (&json_errors, g_ptr_array_unref);
}

JsonObject *
kvb_cli_history_entry (KvbCli     *cli,
                       const char *operation,
                       const char *vault)
{
  JsonObject *entry = kvb_history_entry_new (operation, vault);

  if (cli->credential != NULL)
    {
      g_autofree char *identity = kvb_default_credential_dup_identity (cli->credential);

      json_object_set_string_member (entry, "account", identity);
    }
  if (cli->cloud != NULL)
    json_object_set_string_member (entry, "cloud", kvb_cloud_get_id (cli->cloud));
  return entry;
}

void
kvb_cli_history_append (KvbCli     *cli,
                        JsonObject *entry)
{
  g_autoptr(KvbHistory) history = kvb_history_new_default ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *finished = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (entry, "finished", finished);
  if (!kvb_history_append (history, entry, &error))
    /* Translators: the reason follows */
    g_printerr (_("%s: warning: %s\n"), g_get_prgname (), error->message);
}

const char *
kvb_cli_result_word (const GError *error,
                     guint         n_failed)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return KVB_HISTORY_CANCELLED;
  if (error != NULL)
    return KVB_HISTORY_FAILED;
  return n_failed > 0 ? KVB_HISTORY_PARTIAL : KVB_HISTORY_SUCCEEDED;
}

int
kvb_cli_usage_error (const char *command,
                     const char *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s %s: %s\n", g_get_prgname (), command, message);
  keep_error (message);
  /* Translators: %s %s is "kvbackup COMMAND" */
  g_printerr (_("Run “%s %s --help” to see the options.\n"), g_get_prgname (), command);

  return KVB_CLI_EXIT_USAGE;
}

gboolean
kvb_cli_parse_options (KvbCli               *cli,
                       const char           *command,
                       const char           *summary,
                       const GOptionEntry   *entries,
                       const char           *parameter_string,
                       int                  *argc,
                       char               ***argv)
{
  const GOptionEntry common_entries[] = {
    { "cloud", 0, 0, G_OPTION_ARG_STRING, &cli->cloud_name,
      N_("The cloud: public, china, usgov, or the path of a cloud profile file (default: public)"),
      N_("CLOUD") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
      N_("Print one JSON document on standard output and nothing else there (messages still go "
         "to standard error)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GArray) all = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  g_autoptr(GError) error = NULL;
  g_autofree char *parameters = NULL;

  /* The common options are listed with the command's own in --help. */
  for (guint i = 0; entries != NULL && entries[i].long_name != NULL; i++)
    g_array_append_val (all, entries[i]);
  g_array_append_val (all, common_entries[0]);
  g_array_append_val (all, common_entries[1]);

  /* GOption writes "Usage: PRGNAME [OPTION…] PARAMETERS"; with the command in the program
   * name it reads "kvbackup backup [OPTION…]". */
  parameters = g_strdup (parameter_string ? parameter_string : "");
  context = g_option_context_new (parameters);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context,
      _("Sign-in: a service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and "
        "AZURE_CLIENT_SECRET, else the account of “kvbackup login”, else the Azure CLI.\n"
        "Exit status: 0 when everything was done, 1 when an object (or the run) failed, 2 when "
        "nothing was tried: a wrong command line, a FILE that is not a file one can read, a file "
        "or folder that would be overwritten, or a refusal before anything was sent (another "
        "subscription or geography, names in use); 130 when interrupted (Ctrl+C), 143 when "
        "ended by SIGTERM.\n"
        "--json: one JSON document on standard output with \"exitStatus\" and the messages in "
        "\"errors\"."));
  g_option_context_add_main_entries (context, (const GOptionEntry *) all->data, GETTEXT_PACKAGE);

  {
    g_autofree char *prgname = g_strdup (g_get_prgname ());
    g_autofree char *with_command = g_strdup_printf ("%s %s", prgname, command);
    gboolean parsed;

    gboolean json = cli->json;

    g_set_prgname (with_command);
    parsed = g_option_context_parse (context, argc, argv, &error);
    g_set_prgname (prgname);

    if (!parsed)
      {
        /* GOption sets options back to FALSE on an error, not to what they were: --json was
         * seen by main() already and still holds. */
        cli->json = json;
        kvb_cli_usage_error (command, "%s", error->message);
        return FALSE;
      }
  }

  return TRUE;
}

gboolean
kvb_cli_parse_kind (const char    *command,
                    const char    *text,
                    gboolean       allow_all,
                    KvbObjectKind *kind,
                    gboolean      *all)
{
  if (all != NULL)
    *all = FALSE;

  if (allow_all && g_ascii_strcasecmp (text, "all") == 0)
    {
      *all = TRUE;
      return TRUE;
    }

  if (kvb_object_kind_from_string (text, kind))
    return TRUE;

  if (allow_all)
    kvb_cli_usage_error (command, _("Unknown kind “%s”: use secret, key, certificate or all."), text);
  else
    kvb_cli_usage_error (command, _("Unknown kind “%s”: use secret, key or certificate."), text);
  return FALSE;
}

/* The credential: the environment's service principal, else the stored sign-in, else the
 * Azure CLI (kvb-default-credential.h). */
static KvbCredential *
dup_credential (KvbCli  *cli,
                GError **error)
{
  return kvb_default_credential_new (cli->pipeline, cli->cloud, error);
}

gboolean
kvb_cli_prepare (KvbCli      *cli,
                 const char  *vault,
                 GError     **error)
{
  const char *sample_url = g_getenv ("KVB_CLOUD_SAMPLE_URL");

  if (cli->cloud == NULL)
    {
      if (cli->cloud_name != NULL)
        cli->cloud = kvb_cloud_lookup (cli->cloud_name, error);
      else if (sample_url != NULL && *sample_url != '\0')
        cli->cloud = kvb_cloud_new_sample (sample_url, g_getenv ("KVB_CLOUD_SAMPLE_CA"));
      else
        cli->cloud = kvb_cloud_new_public ();

      if (cli->cloud == NULL)
        return FALSE;
    }

  /* A wrong vault is a usage error, whatever else is missing. */
  if (vault != NULL)
    {
      g_autofree char *url = kvb_cloud_dup_vault_url (cli->cloud, vault, error);

      if (url == NULL)
        return FALSE;
    }

  if (cli->pipeline == NULL)
    {
      cli->pipeline = kvb_pipeline_new ();
      if (!kvb_pipeline_add_cloud (cli->pipeline, cli->cloud, error))
        return FALSE;
    }

  if (cli->credential == NULL)
    {
      cli->credential = dup_credential (cli, error);
      if (cli->credential == NULL)
        return FALSE;
    }

  return TRUE;
}

void
kvb_cli_wait_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

GAsyncResult *
kvb_cli_wait (KvbCli        *cli,
              GAsyncResult **result)
{
  /* The async core runs on this thread's main context; iterate it until the call is done. */
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

int
kvb_cli_status_for_error (const GError *error)
{
  /* Refused before anything was tried: a wrong argument, a file or folder that would be
   * overwritten, a vault of another subscription or geography. */
  if (g_error_matches (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT) ||
      g_error_matches (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS) ||
      g_error_matches (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE))
    return KVB_CLI_EXIT_USAGE;
  return KVB_CLI_EXIT_FAILED;
}

KvbVaultInfo *
kvb_cli_find_vault (KvbCli      *cli,
                    const char  *vault_name,
                    GError     **error)
{
  g_autoptr(KvbArmClient) arm = kvb_arm_client_new (cli->pipeline, cli->cloud, cli->credential);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) subscriptions = NULL;

  kvb_arm_client_list_subscriptions_async (arm, NULL, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  subscriptions = kvb_arm_client_list_subscriptions_finish (arm, result, error);
  g_clear_object (&result);
  if (subscriptions == NULL)
    return NULL;

  for (guint i = 0; i < subscriptions->len; i++)
    {
      KvbSubscriptionInfo *sub = g_ptr_array_index (subscriptions, i);
      g_autoptr(GPtrArray) vaults = NULL;
      g_autoptr(GError) local_error = NULL;

      kvb_arm_client_list_vaults_async (arm, kvb_subscription_info_get_tenant_id (sub),
                                        kvb_subscription_info_get_subscription_id (sub),
                                        cli->cancellable, kvb_cli_wait_cb, &result);
      kvb_cli_wait (cli, &result);
      vaults = kvb_arm_client_list_vaults_finish (arm, result, &local_error);
      g_clear_object (&result);
      if (vaults == NULL)
        {
          /* One subscription we may not read does not hide the vault in another. */
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          g_debug ("vaults of %s: %s", kvb_subscription_info_get_subscription_id (sub),
                   local_error->message);
          continue;
        }

      /* Vault names are unique in a cloud. */
      for (guint j = 0; j < vaults->len; j++)
        {
          KvbVaultInfo *info = g_ptr_array_index (vaults, j);

          if (g_ascii_strcasecmp (kvb_vault_info_get_name (info), vault_name) == 0)
            return g_object_ref (info);
        }
    }

  return NULL;
}
