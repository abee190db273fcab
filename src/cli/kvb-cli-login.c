/* kvb-cli-login.c: kvbackup login, logout and accounts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "kvb-account-store.h"
#include "kvb-azure-cli-credential.h"
#include "kvb-browser-flow.h"
#include "kvb-cli.h"
#include "kvb-device-code-flow.h"
#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-sign-in-settings.h"

/* What the sign-in commands share: the cloud and how it was named, and the accounts. */
typedef struct
{
  char *cloud_name;
  GSettings *settings;
  KvbAccountStore *store;
} Login;

static void
login_clear (Login *l)
{
  if (l->settings != NULL)
    g_settings_sync ();   /* the account list must be on disk before the process ends */
  g_clear_object (&l->store);
  g_clear_object (&l->settings);
  g_clear_pointer (&l->cloud_name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Login, login_clear)

/* The cloud and pipeline, like the other commands, but without a credential: signing in is
 * how one gets one. */
static gboolean
prepare (KvbCli  *cli,
         Login   *l,
         gboolean need_cloud,
         GError **error)
{
  const char *sample_url = g_getenv ("KVB_CLOUD_SAMPLE_URL");

  if (cli->cloud_name != NULL)
    l->cloud_name = g_strdup (cli->cloud_name);
  else if (sample_url != NULL && *sample_url != '\0')
    l->cloud_name = g_strdup ("sample");
  else
    l->cloud_name = g_strdup ("public");

  /* A custom profile is remembered by its absolute path, so that it is found from anywhere. */
  if (cli->cloud_name != NULL && g_file_test (cli->cloud_name, G_FILE_TEST_IS_REGULAR) &&
      !g_path_is_absolute (cli->cloud_name))
    {
      g_autofree char *cwd = g_get_current_dir ();
      g_free (l->cloud_name);
      l->cloud_name = g_build_filename (cwd, cli->cloud_name, NULL);
    }

  if (need_cloud && cli->cloud == NULL)
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

  if (cli->pipeline == NULL)
    cli->pipeline = kvb_pipeline_new ();
  if (cli->cloud != NULL && !kvb_pipeline_add_cloud (cli->pipeline, cli->cloud, error))
    return FALSE;

  l->settings = kvb_sign_in_settings_new ();
  if (l->settings == NULL)
    g_printerr (_("%s: the settings schema %s is not installed: the sign-in will not be "
                  "remembered.\n"), g_get_prgname (), APP_ID);
  l->store = kvb_account_store_new (cli->pipeline, l->settings, kvb_keyring_new ());
  if (cli->cloud != NULL && kvb_cloud_is_sample (cli->cloud))
    kvb_account_store_set_sample_cloud (l->store, cli->cloud);

  return TRUE;
}

static int
fail (const GError *error)
{
  kvb_cli_print_error ("%s", error->message);
  return kvb_cli_status_for_error (error);
}

/* Reads a client secret: from AZURE_CLIENT_SECRET, else one line of stdin (not echoed on a
 * terminal).  Never from the command line, where every user of the machine could read it. */
static char *
read_secret (void)
{
  const char *env = g_getenv ("AZURE_CLIENT_SECRET");
  char buf[4096];
  struct termios old, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  char *line;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  if (tty)
    {
      g_printerr ("%s", _("Client secret: "));
      tcgetattr (STDIN_FILENO, &old);
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  line = fgets (buf, sizeof buf, stdin);

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
      g_printerr ("\n");
    }

  if (line == NULL)
    return NULL;
  line = g_strdup (g_strchomp (buf));
  memset (buf, 0, sizeof buf);
  return line;
}

static KvbAccount *
add_account (KvbCli               *cli,
             Login                *l,
             KvbAccountCredential *credential,
             GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  KvbAccount *account;

  kvb_account_store_add_async (l->store, credential, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  account = kvb_account_store_add_finish (l->store, result, error);

  if (account != NULL && !kvb_account_store_get_keyring_available (l->store))
    g_printerr (_("%s: no keyring is available: this sign-in lasts only until kvbackup exits.\n"),
                g_get_prgname ());
  return account;
}

/* Proves that a credential works by getting a Resource Manager token with it. */
static gboolean
check_credential (KvbCli         *cli,
                  KvbCredential  *credential,
                  GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KvbAccessToken) token = NULL;

  kvb_credential_get_token_async (credential, kvb_cloud_get_arm_scope (cli->cloud), NULL,
                                  cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  token = kvb_credential_get_token_finish (credential, result, error);
  return token != NULL;
}

/* What the person must read to sign in: on stdout, or with --json on stderr (stdout then holds
 * only the document). */
static void G_GNUC_PRINTF (2, 3)
say (KvbCli     *cli,
     const char *format,
     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (cli->json)
    g_printerr ("%s", text);
  else
    {
      g_print ("%s", text);
      fflush (stdout);
    }
}

static const char * const account_kinds[] = { "user", "service-principal", "azure-cli" };

/* An account for --json: what `kvbackup accounts` shows, nothing secret. */
static JsonObject *
account_json (KvbAccount *a)
{
  JsonObject *obj = json_object_new ();
  const char *tenant = kvb_account_get_home_tenant (a) != NULL ? kvb_account_get_home_tenant (a)
                                                               : kvb_account_get_tenant (a);

  json_object_set_string_member (obj, "id", kvb_account_get_id (a));
  json_object_set_string_member (obj, "kind", account_kinds[kvb_account_get_kind (a)]);
  json_object_set_string_member (obj, "user", kvb_account_get_username (a));
  json_object_set_string_member (obj, "cloud", kvb_account_get_cloud (a));
  if (tenant != NULL)
    json_object_set_string_member (obj, "tenant", tenant);
  json_object_set_boolean_member (obj, "needsSignIn", kvb_account_get_needs_sign_in (a));
  return obj;
}

static void
set_account_document (KvbCli     *cli,
                      const char *command,
                      KvbAccount *account)
{
  g_autoptr(JsonObject) doc = json_object_new ();

  json_object_set_string_member (doc, "command", command);
  if (account != NULL)
    json_object_set_object_member (doc, "account", account_json (account));
  kvb_cli_set_document (cli, doc);
}

static KvbAccountCredential *
login_browser (KvbCli      *cli,
               Login       *l,
               const char  *client_id,
               const char  *tenant,
               gboolean     launch,
               GError     **error)
{
  g_autoptr(KvbBrowserFlow) flow = kvb_browser_flow_new (cli->pipeline, cli->cloud, l->cloud_name,
                                                         client_id, tenant);
  g_autoptr(GAsyncResult) result = NULL;
  const char *url = kvb_browser_flow_start (flow, error);

  if (url == NULL)
    return NULL;

  g_printerr ("%s\n", _("Open this address in a web browser to sign in:"));
  say (cli, "%s\n", url);

  if (launch)
    {
      g_autoptr(GError) launch_error = NULL;

      if (!g_app_info_launch_default_for_uri (url, NULL, &launch_error))
        g_debug ("No browser was opened: %s", launch_error->message);
    }

  g_printerr ("%s\n", _("Waiting for the browser…"));
  kvb_browser_flow_wait_async (flow, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  return kvb_browser_flow_wait_finish (flow, result, error);
}

static KvbAccountCredential *
login_device_code (KvbCli      *cli,
                   Login       *l,
                   const char  *client_id,
                   const char  *tenant,
                   GError     **error)
{
  g_autoptr(KvbDeviceCodeFlow) flow = kvb_device_code_flow_new (cli->pipeline, cli->cloud,
                                                                l->cloud_name, client_id, tenant);
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  kvb_device_code_flow_start_async (flow, cli->cancellable, kvb_cli_wait_cb, &started);
  kvb_cli_wait (cli, &started);
  if (!kvb_device_code_flow_start_finish (flow, started, error))
    return NULL;

  say (cli, "%s\n", kvb_device_code_flow_get_message (flow));
  /* Translators: a label, then the address to open */
  say (cli, "%s %s\n", _("Address:"), kvb_device_code_flow_get_verification_uri (flow));
  /* Translators: a label, then the code to type there */
  say (cli, "%s %s\n", _("Code:"), kvb_device_code_flow_get_user_code (flow));

  kvb_device_code_flow_wait_async (flow, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  return kvb_device_code_flow_wait_finish (flow, result, error);
}

static KvbAccountCredential *
login_azure_cli (KvbCli      *cli,
                 Login       *l,
                 GError     **error)
{
  g_autoptr(KvbAzureCliCredential) az = kvb_azure_cli_credential_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KvbAccount) shown = NULL;
  g_autoptr(KvbAccount) account = NULL;

  if (!kvb_azure_cli_credential_check_available (error))
    return NULL;
  if (!check_credential (cli, KVB_CREDENTIAL (az), error))
    return NULL;

  kvb_azure_cli_credential_show_account_async (az, l->cloud_name, cli->cancellable,
                                               kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  shown = kvb_azure_cli_credential_show_account_finish (az, result, error);
  if (shown == NULL)
    return NULL;

  account = kvb_account_new (KVB_ACCOUNT_KIND_AZURE_CLI, l->cloud_name,
                             kvb_cloud_get_authority_host (cli->cloud), "",
                             kvb_account_get_tenant (shown), kvb_account_get_username (shown));
  kvb_account_set_home_tenant (account, kvb_account_get_home_tenant (shown));
  return kvb_account_credential_new (cli->pipeline, cli->cloud, account,
                                     kvb_account_store_get_keyring (l->store), NULL);
}

static KvbAccountCredential *
login_service_principal (KvbCli      *cli,
                         Login       *l,
                         const char  *client_id,
                         const char  *tenant,
                         const char  *certificate,
                         GError     **error)
{
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;

  account = kvb_account_new (KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, l->cloud_name,
                             kvb_cloud_get_authority_host (cli->cloud), client_id, tenant,
                             client_id);
  credential = kvb_account_credential_new (cli->pipeline, cli->cloud, account, NULL, NULL);

  if (certificate != NULL)
    {
      g_autofree char *path = g_canonicalize_filename (certificate, NULL);
      kvb_account_set_certificate (account, path);
    }
  else
    {
      char *secret = read_secret ();

      if (secret == NULL || *secret == '\0')
        {
          g_free (secret);
          g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("No client secret: give it on standard input or in "
                                 "AZURE_CLIENT_SECRET, or use --certificate."));
          return NULL;
        }
      kvb_account_credential_set_client_secret (credential, secret);
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }

  if (!check_credential (cli, KVB_CREDENTIAL (credential), error))
    return NULL;

  return g_steal_pointer (&credential);
}

int
kvb_cli_login (KvbCli  *cli,
               int      argc,
               char   **argv)
{
  gboolean browser = FALSE, device_code = FALSE, azure_cli = FALSE, service_principal = FALSE;
  gboolean no_launch = FALSE;
  g_autofree char *tenant_opt = NULL, *client_id_opt = NULL, *certificate = NULL;
  const GOptionEntry entries[] = {
    { "browser", 0, 0, G_OPTION_ARG_NONE, &browser,
      N_("Sign in with the web browser (the default)"), NULL },
    { "device-code", 0, 0, G_OPTION_ARG_NONE, &device_code,
      N_("Sign in with a code entered on another device"), NULL },
    { "azure-cli", 0, 0, G_OPTION_ARG_NONE, &azure_cli,
      N_("Use the Azure CLI’s sign-in (az login)"), NULL },
    { "service-principal", 0, 0, G_OPTION_ARG_NONE, &service_principal,
      N_("Sign in as a service principal; the client secret is read from standard input or "
         "AZURE_CLIENT_SECRET"), NULL },
    { "tenant", 0, 0, G_OPTION_ARG_STRING, &tenant_opt,
      N_("The tenant: an ID, a domain or “organizations”"), N_("TENANT") },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id_opt,
      N_("The application (client) ID to sign in with"), N_("ID") },
    { "certificate", 0, 0, G_OPTION_ARG_FILENAME, &certificate,
      N_("With --service-principal: a PEM file with the certificate and its private key"),
      N_("FILE") },
    { "no-launch-browser", 0, 0, G_OPTION_ARG_NONE, &no_launch,
      N_("With --browser: only print the address, do not open a browser"), NULL },
    { NULL }
  };
  g_auto(Login) l = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(KvbAccount) account = NULL;
  g_autofree char *client_id = NULL, *tenant = NULL, *name = NULL;

  if (!kvb_cli_parse_options (cli, "login", _("Sign in and remember the sign-in in the keyring."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (argc > 1)
    return kvb_cli_usage_error ("login", _("Unexpected argument “%s”."), argv[1]);
  if (browser + device_code + azure_cli + service_principal > 1)
    return kvb_cli_usage_error ("login", _("Choose one way to sign in."));
  if (certificate != NULL && !service_principal)
    return kvb_cli_usage_error ("login", _("--certificate goes with --service-principal."));

  if (!prepare (cli, &l, TRUE, &error))
    return fail (error);

  client_id = kvb_sign_in_dup_client_id (l.settings, client_id_opt);
  tenant = kvb_sign_in_dup_tenant (l.settings, tenant_opt);

  if (service_principal)
    {
      /* A service principal has no default application nor a multi-tenant authority. */
      if (client_id_opt == NULL && g_getenv ("AZURE_CLIENT_ID") == NULL)
        return kvb_cli_usage_error ("login", _("--service-principal needs --client-id."));
      if (client_id_opt == NULL)
        {
          g_free (client_id);
          client_id = g_strdup (g_getenv ("AZURE_CLIENT_ID"));
        }
      if (tenant_opt == NULL && g_getenv ("AZURE_TENANT_ID") != NULL)
        {
          g_free (tenant);
          tenant = g_strdup (g_getenv ("AZURE_TENANT_ID"));
        }
      if (g_strcmp0 (tenant, "organizations") == 0 || g_strcmp0 (tenant, "common") == 0)
        return kvb_cli_usage_error ("login", _("--service-principal needs --tenant."));
      credential = login_service_principal (cli, &l, client_id, tenant, certificate, &error);
    }
  else if (azure_cli)
    credential = login_azure_cli (cli, &l, &error);
  else if (device_code)
    credential = login_device_code (cli, &l, client_id, tenant, &error);
  else
    credential = login_browser (cli, &l, client_id, tenant, !no_launch, &error);

  if (credential == NULL)
    return fail (error);

  account = add_account (cli, &l, credential, &error);
  if (account == NULL)
    return fail (error);

  name = kvb_account_dup_display_name (account);
  /* Translators: %s is an account, e.g. "user@contoso.com (public)" */
  g_printerr (_("Signed in: %s\n"), name);
  set_account_document (cli, "login", account);
  return KVB_CLI_EXIT_OK;
}

int
kvb_cli_logout (KvbCli  *cli,
                int      argc,
                char   **argv)
{
  g_auto(Login) l = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KvbAccount) account = NULL;
  g_autofree char *name = NULL;

  if (!kvb_cli_parse_options (cli, "logout", _("Sign out: forget an account and remove its "
                                                "secrets from the keyring."),
                              NULL, _("[ACCOUNT]"), &argc, &argv))
    return KVB_CLI_EXIT_USAGE;
  if (argc > 2)
    return kvb_cli_usage_error ("logout", _("Name one account."));

  if (!prepare (cli, &l, FALSE, &error))
    return fail (error);

  if (argc == 2)
    {
      KvbAccount *found = kvb_account_store_find (l.store, argv[1]);

      if (found == NULL)
        {
          kvb_cli_print_error (_("No account “%s” (or more than one): see “kvbackup accounts”."),
                               argv[1]);
          return KVB_CLI_EXIT_FAILED;
        }
      account = g_object_ref (found);
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (l.store)) == 1)
    account = g_list_model_get_item (G_LIST_MODEL (l.store), 0);
  else if (g_list_model_get_n_items (G_LIST_MODEL (l.store)) == 0)
    {
      kvb_cli_print_error ("%s", _("Nobody is signed in."));
      return KVB_CLI_EXIT_OK;
    }
  else
    return kvb_cli_usage_error ("logout", _("Several accounts are signed in: name one (see "
                                            "“kvbackup accounts”)."));

  kvb_account_store_sign_out_async (l.store, account, cli->cancellable, kvb_cli_wait_cb, &result);
  kvb_cli_wait (cli, &result);
  if (!kvb_account_store_sign_out_finish (l.store, result, &error))
    return fail (error);

  name = kvb_account_dup_display_name (account);
  /* Translators: %s is an account */
  g_printerr (_("Signed out: %s\n"), name);
  set_account_document (cli, "logout", account);
  return KVB_CLI_EXIT_OK;
}

int
kvb_cli_accounts (KvbCli  *cli,
                  int      argc,
                  char   **argv)
{
  g_auto(Login) l = { 0 };
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(GError) error = NULL;
  guint n;

  if (!kvb_cli_parse_options (cli, "accounts", _("List the accounts that are signed in."),
                              NULL, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;
  if (argc > 1)
    return kvb_cli_usage_error ("accounts", _("Unexpected argument “%s”."), argv[1]);

  if (!prepare (cli, &l, FALSE, &error))
    return fail (error);

  n = g_list_model_get_n_items (G_LIST_MODEL (l.store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbAccount) a = g_list_model_get_item (G_LIST_MODEL (l.store), i);

      json_array_add_object_element (array, account_json (a));
      /* One line per account, tab-separated for scripts: id, kind, user, cloud, tenant. */
      if (!cli->json)
        g_print ("%s\t%s\t%s\t%s\t%s\n", kvb_account_get_id (a),
                 account_kinds[kvb_account_get_kind (a)],
                 kvb_account_get_username (a), kvb_account_get_cloud (a),
                 kvb_account_get_home_tenant (a) != NULL ? kvb_account_get_home_tenant (a)
                                                         : kvb_account_get_tenant (a));
    }
  if (cli->json)
    {
      g_autoptr(JsonObject) doc = json_object_new ();

      json_object_set_string_member (doc, "command", "accounts");
      json_object_set_array_member (doc, "accounts", json_array_ref (array));
      kvb_cli_set_document (cli, doc);
    }
  if (n == 0)
    kvb_cli_print_error ("%s", _("Nobody is signed in: run “kvbackup login”."));

  return KVB_CLI_EXIT_OK;
}
