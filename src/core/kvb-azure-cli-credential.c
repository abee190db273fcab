/* kvb-azure-cli-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-azure-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "kvb-azure-cli-credential.h"
#include "kvb-error.h"
#include "kvb-json-util.h"

#define DEFAULT_TIMEOUT_SECONDS 30
/* `az` hands out tokens valid for at least five more minutes; ask again a bit before the end. */
#define REFRESH_MARGIN_SECONDS 120

struct _KvbAzureCliCredential
{
  GObject parent_instance;

  guint timeout_seconds;
  GHashTable *tokens;   /* "scope\ntenant" → KvbAccessToken */
};

static void kvb_azure_cli_credential_iface_init (KvbCredentialInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbAzureCliCredential, kvb_azure_cli_credential, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KVB_TYPE_CREDENTIAL,
                                                      kvb_azure_cli_credential_iface_init))

static void
kvb_azure_cli_credential_finalize (GObject *object)
{
  KvbAzureCliCredential *self = (KvbAzureCliCredential *)object;

  g_clear_pointer (&self->tokens, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_azure_cli_credential_parent_class)->finalize (object);
}

static void
kvb_azure_cli_credential_class_init (KvbAzureCliCredentialClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_azure_cli_credential_finalize;
}

static void
kvb_azure_cli_credential_init (KvbAzureCliCredential *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) kvb_access_token_unref);
}

KvbAzureCliCredential *
kvb_azure_cli_credential_new (void)
{
  return g_object_new (KVB_TYPE_AZURE_CLI_CREDENTIAL, NULL);
}

void
kvb_azure_cli_credential_set_timeout (KvbAzureCliCredential *self,
                                      guint                  seconds)
{
  g_return_if_fail (KVB_IS_AZURE_CLI_CREDENTIAL (self));
  self->timeout_seconds = MAX (seconds, 1);
}

/* Running az */

/* The variables of the Azure SDKs' environment credential that carry a secret. */
static const char * const secret_variables[] = {
  "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
};

typedef struct
{
  GSubprocess *proc;
  guint timeout_id;
  gboolean timed_out;
  char *key;              /* token cache key */
  GCancellable *cancellable;
} Run;

static void
run_free (Run *run)
{
  g_clear_handle_id (&run->timeout_id, g_source_remove);
  g_clear_object (&run->proc);
  g_clear_object (&run->cancellable);
  g_free (run->key);
  g_free (run);
}

static gboolean
run_timeout_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timeout_id = 0;
  run->timed_out = TRUE;
  g_subprocess_force_exit (run->proc);
  return G_SOURCE_REMOVE;
}

static gboolean
allowed (const char *s,
         const char *extra)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

static GError *
not_installed_error (void)
{
  return g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                              _("The Azure CLI (az) is not installed or not on PATH. Install it, "
                                "run “az login”, or choose another way to sign in."));
}

/* Flatpak writes this file at the root of every sandbox it sets up. */
#define FLATPAK_INFO "/.flatpak-info"

gboolean
kvb_azure_cli_credential_check_available (GError **error)
{
  /* The sandbox sees the runtime's /usr, not the host's: even an `az` found on PATH there
   * would not be the one the user signed in with. */
  if (g_file_test (FLATPAK_INFO, G_FILE_TEST_EXISTS))
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                           _("The Azure CLI sign-in is not available in the Flatpak: the "
                             "sandboxed application cannot run this computer’s “az”. Sign in "
                             "with the web browser or with a code instead."));
      return FALSE;
    }
  return TRUE;
}

/* Starts az with @argv (no shell, stdin from /dev/null, cwd "/"). */
static gboolean
start_az (KvbAzureCliCredential  *self,
          GTask                  *task,
          const char * const     *args,
          GAsyncReadyCallback     callback,
          GError                **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *az = g_find_program_in_path ("az");
  Run *run = g_task_get_task_data (task);

  if (!kvb_azure_cli_credential_check_available (error))
    return FALSE;
  if (az == NULL)
    {
      *error = not_installed_error ();
      return FALSE;
    }

  g_ptr_array_add (argv, az);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  /* No STDIN flag: GIO connects stdin to /dev/null, so az can never wait on a prompt. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_setenv (launcher, "AZURE_CORE_NO_COLOR", "true", TRUE);
  g_subprocess_launcher_setenv (launcher, "AZURE_CORE_ONLY_SHOW_ERRORS", "true", TRUE);
  /* az keeps its own sign-in and reads none of these; a scheduled job's environment may hold
   * them for this program, and they are not for az, its extensions or whatever they start. */
  for (guint i = 0; i < G_N_ELEMENTS (secret_variables); i++)
    g_subprocess_launcher_unsetenv (launcher, secret_variables[i]);

  run->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (run->proc == NULL)
    return FALSE;

  run->timeout_id = g_timeout_add_seconds (self->timeout_seconds, run_timeout_cb, run);
  g_subprocess_communicate_utf8_async (run->proc, NULL, g_task_get_cancellable (task), callback, task);
  return TRUE;
}

/* Turns a finished az into its parsed JSON output, or a message for the user. */
static JsonNode *
finish_az (KvbAzureCliCredential  *self,
           GTask                  *task,
           GAsyncResult           *result,
           GError                **error)
{
  Run *run = g_task_get_task_data (task);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *node;

  if (!g_subprocess_communicate_utf8_finish (run->proc, result, &out, &err, &local_error))
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_subprocess_force_exit (run->proc);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_handle_id (&run->timeout_id, g_source_remove);

  if (run->timed_out)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_TIMEOUT,
                   _("The Azure CLI did not answer within %u seconds."), self->timeout_seconds);
      return NULL;
    }

  if (!g_subprocess_get_successful (run->proc))
    {
      g_autofree char *first = NULL;
      const char *nl;

      /* stderr carries az's own explanation, never a token; only its first line is kept. */
      g_debug ("az failed (exit %d)", g_subprocess_get_if_exited (run->proc)
                                        ? g_subprocess_get_exit_status (run->proc) : -1);
      if (err != NULL && (strstr (err, "az login") != NULL || strstr (err, "az account set") != NULL ||
                          strstr (err, "not logged in") != NULL))
        {
          g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                               _("The Azure CLI is not signed in: run “az login” and try again."));
          return NULL;
        }
      if (g_subprocess_get_if_exited (run->proc) && g_subprocess_get_exit_status (run->proc) == 127)
        {
          *error = not_installed_error ();
          return NULL;
        }

      g_strstrip (err);
      nl = strchr (err, '\n');
      first = nl != NULL ? g_strndup (err, MIN (nl - err, 250)) : g_strndup (err, 250);
      g_set_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                   _("The Azure CLI could not give a token: %s"), first);
      return NULL;
    }

  parser = json_parser_new ();
  if (out == NULL || !json_parser_load_from_data (parser, out, -1, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                           _("The Azure CLI gave an answer that could not be read."));
      if (out != NULL)
        memset (out, 0, strlen (out));
      return NULL;
    }

  node = json_node_copy (json_parser_get_root (parser));
  /* The output holds an access token: wipe it from the buffer. */
  memset (out, 0, strlen (out));
  return node;
}

/* expires_on is POSIX time (az ≥ 2.54); expiresOn a naive local time "2024-04-05 21:34:38.000000". */
static gint64
parse_expiry (JsonObject *obj)
{
  JsonNode *node = json_object_get_member (obj, "expires_on");
  const char *s;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      gint64 v = 0;

      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          if (g_ascii_string_to_signed (json_node_get_string (node), 10, 0, G_MAXINT64, &v, NULL))
            return v;
        }
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        return json_node_get_int (node);
    }

  s = kvb_json_get_string (obj, "expiresOn", NULL);
  if (s != NULL)
    {
      int y, mo, d, h, mi;
      double sec;

      if (sscanf (s, "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) == 6)
        {
          g_autoptr(GDateTime) dt = g_date_time_new_local (y, mo, d, h, mi, sec);

          if (dt != NULL)
            return g_date_time_to_unix (dt);
        }
    }

  return 0;
}

static void
token_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAzureCliCredential *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = finish_az (self, task, result, &error);
  JsonObject *obj;
  const char *access;
  gint64 expires_on;
  KvbAccessToken *token;

  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = json_node_get_object (node);
  access = kvb_json_get_string (obj, "accessToken", NULL);
  expires_on = parse_expiry (obj);
  if (access == NULL || expires_on == 0)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                               _("The Azure CLI gave an answer without a token or its expiry."));
      return;
    }

  token = kvb_access_token_new (access, expires_on);
  memset ((char *) access, 0, strlen (access));
  g_hash_table_replace (self->tokens, g_strdup (run->key), kvb_access_token_ref (token));
  g_debug ("Token from the Azure CLI, valid until %" G_GINT64_FORMAT, expires_on);
  g_task_return_pointer (task, token, (GDestroyNotify) kvb_access_token_unref);
}

static void
kvb_azure_cli_credential_get_token_async (KvbCredential       *credential,
                                          const char          *scope,
                                          const char          *tenant,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  KvbAzureCliCredential *self = KVB_AZURE_CLI_CREDENTIAL (credential);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);
  const char *args[9];
  KvbAccessToken *cached;
  guint n = 0;

  g_task_set_source_tag (task, kvb_azure_cli_credential_get_token_async);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  run->key = g_strconcat (scope, "\n", tenant, NULL);

  cached = g_hash_table_lookup (self->tokens, run->key);
  if (cached != NULL && kvb_access_token_is_fresh (cached, REFRESH_MARGIN_SECONDS))
    {
      g_task_return_pointer (task, kvb_access_token_ref (cached), (GDestroyNotify) kvb_access_token_unref);
      return;
    }

  /* Only plain characters go on az's command line. */
  if (!allowed (scope, ".-:/_") || (tenant != NULL && !allowed (tenant, ".-")))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("The scope or tenant cannot be passed to the Azure CLI."));
      return;
    }

  args[n++] = "account";
  args[n++] = "get-access-token";
  args[n++] = "--output";
  args[n++] = "json";
  args[n++] = "--scope";
  args[n++] = scope;
  if (tenant != NULL)
    {
      args[n++] = "--tenant";
      args[n++] = tenant;
    }
  args[n] = NULL;

  if (!start_az (self, task, args, token_cb, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  (void) g_steal_pointer (&task);
}

static KvbAccessToken *
kvb_azure_cli_credential_get_token_finish (KvbCredential  *credential,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credential), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kvb_azure_cli_credential_invalidate (KvbCredential *credential,
                                     const char    *scope,
                                     const char    *tenant)
{
  KvbAzureCliCredential *self = KVB_AZURE_CLI_CREDENTIAL (credential);
  g_autofree char *key = g_strconcat (scope, "\n", tenant, NULL);

  g_hash_table_remove (self->tokens, key);
}

static void
kvb_azure_cli_credential_iface_init (KvbCredentialInterface *iface)
{
  iface->get_token_async = kvb_azure_cli_credential_get_token_async;
  iface->get_token_finish = kvb_azure_cli_credential_get_token_finish;
  iface->invalidate = kvb_azure_cli_credential_invalidate;
}

/* az account show */

static void
show_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAzureCliCredential *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = finish_az (self, task, result, &error);
  JsonObject *obj, *user = NULL;
  const char *username = NULL, *tenant;
  KvbAccount *account;

  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = json_node_get_object (node);
  if (json_object_has_member (obj, "user") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "user")))
    user = json_object_get_object_member (obj, "user");
  if (user != NULL)
    username = kvb_json_get_string (user, "name", NULL);
  tenant = kvb_json_get_string (obj, "tenantId", NULL);

  /* run->key holds the cloud name here. */
  account = kvb_account_new (KVB_ACCOUNT_KIND_AZURE_CLI, run->key, NULL, NULL, tenant, username);
  kvb_account_set_home_tenant (account, tenant);
  g_task_return_pointer (task, account, g_object_unref);
}

void
kvb_azure_cli_credential_show_account_async (KvbAzureCliCredential *self,
                                             const char            *cloud_name,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  static const char * const args[] = { "account", "show", "--output", "json", NULL };
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  g_return_if_fail (KVB_IS_AZURE_CLI_CREDENTIAL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_azure_cli_credential_show_account_async);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  run->key = g_strdup (cloud_name != NULL ? cloud_name : "public");

  if (!start_az (self, task, args, show_cb, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  (void) g_steal_pointer (&task);
}

KvbAccount *
kvb_azure_cli_credential_show_account_finish (KvbAzureCliCredential  *self,
                                              GAsyncResult           *result,
                                              GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
