/* kvb-entra-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-entra-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-entra-client.h"
#include "kvb-entra-client-private.h"
#include "kvb-error.h"
#include "kvb-pipeline-private.h"
#include "kvb-secret-string.h"

/* Token requests are repeated after a dropped connection, 429 or 5xx: client credentials,
 * refresh tokens (the old one stays valid until the new one is used) and device-code polls
 * are safe to send again.  They are retried for a bounded time rather than a number of times,
 * so that a flaky network does not end a sign-in in a few seconds. */
#define RETRY_BUDGET_MS (60 * 1000)
#define MAX_BACKOFF_DOUBLINGS 4

typedef struct
{
  SoupSession *session;
  SoupMessage *msg;
  GCancellable *attempt;    /* this try: cancelled with the task's, or by a restart loop */
  gulong cancelled_id;
  char *url;
  char *endpoint;
  GBytes *body;
  guint retries;
  gint64 first_try_us;
} PostData;

static void
post_data_free (PostData *d)
{
  g_clear_object (&d->session);
  g_clear_object (&d->msg);
  g_clear_object (&d->attempt);
  g_free (d->url);
  g_free (d->endpoint);
  g_clear_pointer (&d->body, g_bytes_unref);
  g_free (d);
}

static void post_send (GTask *task);

static gboolean
post_again_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    post_send (g_object_ref (task));
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

/* Returns TRUE when another attempt was scheduled. */
static gboolean
post_retry (GTask *task)
{
  PostData *d = g_task_get_task_data (task);
  guint delay;

  delay = (500u << MIN (d->retries, MAX_BACKOFF_DOUBLINGS)) + g_random_int_range (0, 250);
  if ((g_get_monotonic_time () - d->first_try_us) / 1000 + delay > RETRY_BUDGET_MS)
    return FALSE;

  d->retries++;
  g_debug ("Entra ID %s: retry %u in %u ms", d->endpoint, d->retries, delay);
  g_timeout_add (delay, post_again_cb, g_object_ref (task));

  return TRUE;
}

static const char *
object_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static GError *
map_entra_error (guint       status,
                 JsonObject *answer)
{
  const char *code = object_string (answer, "error");
  const char *description = object_string (answer, "error_description");
  g_autofree char *first_line = NULL;
  KvbError kvb_code;
  GError *error;

  /* The AADSTS description is the most useful thing to show, but only its first line: the
   * rest is trace and correlation ids. */
  if (description != NULL)
    {
      const char *nl = strpbrk (description, "\r\n");
      first_line = nl != NULL ? g_strndup (description, nl - description) : g_strdup (description);
    }

  g_debug ("Entra ID answered %u: %s", status, code != NULL ? code : "(no error code)");

  if (g_strcmp0 (code, "invalid_grant") == 0 || g_strcmp0 (code, "interaction_required") == 0 ||
      g_strcmp0 (code, "consent_required") == 0 || g_strcmp0 (code, "login_required") == 0)
    kvb_code = KVB_ERROR_SIGN_IN_REQUIRED;
  else
    kvb_code = KVB_ERROR_SIGN_IN_FAILED;

  if (g_strcmp0 (code, "authorization_pending") == 0)
    error = g_error_new (KVB_ERROR, kvb_code, _("Sign-in is not finished yet."));
  else if (g_strcmp0 (code, "slow_down") == 0)
    error = g_error_new (KVB_ERROR, kvb_code, _("Sign-in is not finished yet."));
  else if (g_strcmp0 (code, "authorization_declined") == 0 || g_strcmp0 (code, "access_denied") == 0)
    error = g_error_new (KVB_ERROR, kvb_code, _("Sign-in was declined."));
  else if (g_strcmp0 (code, "expired_token") == 0)
    error = g_error_new (KVB_ERROR, kvb_code,
                         _("The sign-in code has expired. Start the sign-in again."));
  else if (g_strcmp0 (code, "invalid_client") == 0 || g_strcmp0 (code, "unauthorized_client") == 0)
    error = g_error_new (KVB_ERROR, kvb_code,
                         _("Microsoft Entra ID refused the application’s credentials. Check the "
                           "client ID, the tenant and the client secret or certificate (%s)."),
                         first_line != NULL ? first_line : code);
  else if (kvb_code == KVB_ERROR_SIGN_IN_REQUIRED)
    error = g_error_new (KVB_ERROR, kvb_code,
                         _("Your sign-in is no longer valid. Sign in again (%s)."),
                         first_line != NULL ? first_line : code);
  else if (code != NULL)
    error = g_error_new (KVB_ERROR, kvb_code, _("Sign-in failed: %s"),
                         first_line != NULL ? first_line : code);
  else
    error = g_error_new (KVB_ERROR, kvb_code,
                         _("Sign-in failed: Microsoft Entra ID answered with HTTP status %u."),
                         status);

  kvb_error_set_service_code (error, code);

  return error;
}

JsonObject *
_kvb_entra_client_read_answer (guint    status,
                               GBytes  *answer,
                               GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj = NULL;

  /* json-glib reads a body of only white space as a document without a root. */
  if (g_bytes_get_size (answer) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                  g_bytes_get_size (answer), NULL) &&
      json_parser_get_root (parser) != NULL &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    obj = json_node_get_object (json_parser_get_root (parser));

  if (status >= 200 && status < 300 && obj != NULL && object_string (obj, "error") == NULL)
    return json_object_ref (obj);

  if (obj == NULL && status >= 500)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                   _("The sign-in service has a problem (HTTP status %u). Try again later."),
                   status);
      return NULL;
    }

  g_propagate_error (error, map_entra_error (status, obj));
  return NULL;
}

static void
post_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PostData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  JsonObject *obj;
  guint status;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (d->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), d->cancelled_id);
      d->cancelled_id = 0;
    }
  if (answer == NULL)
    {
      GError *restart_error;

      if (g_task_return_error_if_cancelled (task))
        return;

      g_debug ("Entra ID %s: %s", d->endpoint, error->message);
      restart_error = _kvb_pipeline_restart_error (g_task_get_source_object (task), d->msg);
      if (restart_error != NULL)
        {
          g_task_return_error (task, restart_error);
          return;
        }
      if (error->domain != G_TLS_ERROR &&
          !g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) &&
          post_retry (task))
        return;
      if (error->domain == G_TLS_ERROR)
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_NETWORK,
                                 _("A secure connection to the sign-in service could not be "
                                   "established: %s"), error->message);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_TIMEOUT,
                                 _("The sign-in service did not answer in time."));
      else
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_NETWORK,
                                 _("The sign-in service could not be reached: %s"),
                                 error->message);
      return;
    }

  status = soup_message_get_status (d->msg);
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
    {
      g_task_return_error (task, _kvb_pipeline_proxy_auth_error ());
      return;
    }
  if ((status == 429 || status >= 500) && post_retry (task))
    return;

  obj = _kvb_entra_client_read_answer (status, answer, &error);
  if (obj == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Entra ID %s: %u", d->endpoint, status);
  g_task_return_pointer (task, obj, (GDestroyNotify)json_object_unref);
}

static gboolean
is_tenant_safe (const char *tenant)
{
  if (tenant == NULL || *tenant == '\0')
    return FALSE;
  for (const char *p = tenant; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  return TRUE;
}

void
kvb_entra_client_post_form_async (KvbPipeline         *pipeline,
                                  KvbCloud            *cloud,
                                  const char          *tenant,
                                  const char          *endpoint,
                                  GHashTable          *form,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  g_autofree char *encoded = NULL;
  PostData *d;
  gsize len;

  g_return_if_fail (KVB_IS_PIPELINE (pipeline));
  g_return_if_fail (KVB_IS_CLOUD (cloud));
  g_return_if_fail (endpoint != NULL && form != NULL);

  task = g_task_new (pipeline, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_entra_client_post_form_async);

  if (!is_tenant_safe (tenant))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid tenant ID or domain."),
                               tenant != NULL ? tenant : "");
      return;
    }

  url = g_strdup_printf ("%s/%s/oauth2/v2.0/%s", kvb_cloud_get_authority_host (cloud), tenant,
                         endpoint);

  d = g_new0 (PostData, 1);
  d->endpoint = g_strdup (endpoint);
  d->url = g_steal_pointer (&url);
  d->session = g_object_ref (kvb_pipeline_get_session (pipeline));
  g_task_set_task_data (task, d, (GDestroyNotify)post_data_free);

  {
    g_autoptr(GUri) uri = g_uri_parse (d->url, G_URI_FLAGS_NONE, NULL);

    if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      {
        g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                                 _("The sign-in address of %s is not valid."),
                                 kvb_cloud_get_display_name (cloud));
        return;
      }
  }

  /* The form may hold a client secret or a refresh token: it is wiped when the body goes. */
  encoded = soup_form_encode_hash (form);
  len = strlen (encoded);
  d->body = g_bytes_new_with_free_func (encoded, len, kvb_secret_string_free, encoded);
  encoded = NULL;

  g_debug ("POST %s/%s/oauth2/v2.0/%s", kvb_cloud_get_authority_host (cloud), tenant, endpoint);

  d->first_try_us = g_get_monotonic_time ();
  post_send (g_steal_pointer (&task));
}

static void
attempt_cancel_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (user_data);
}

static void
post_send (GTask *task)
{
  PostData *d = g_task_get_task_data (task);

  g_clear_object (&d->msg);
  d->msg = soup_message_new ("POST", d->url);
  soup_message_set_request_body_from_bytes (d->msg, "application/x-www-form-urlencoded", d->body);
  soup_message_headers_replace (soup_message_get_request_headers (d->msg), "Accept",
                                "application/json");
  soup_message_add_flags (d->msg, SOUP_MESSAGE_NO_REDIRECT);

  g_clear_object (&d->attempt);
  d->attempt = g_cancellable_new ();
  _kvb_pipeline_watch_restarts (d->msg, d->attempt);
  if (g_task_get_cancellable (task) != NULL)
    d->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task),
                                             G_CALLBACK (attempt_cancel_cb),
                                             g_object_ref (d->attempt), g_object_unref);

  soup_session_send_and_read_async (d->session, d->msg, G_PRIORITY_DEFAULT, d->attempt,
                                    post_cb, task);
}

JsonObject *
kvb_entra_client_post_form_finish (KvbPipeline   *pipeline,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, pipeline), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_entra_client_request_token_async (KvbPipeline         *pipeline,
                                      KvbCloud            *cloud,
                                      const char          *tenant,
                                      GHashTable          *form,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  kvb_entra_client_post_form_async (pipeline, cloud, tenant, "token", form, cancellable,
                                    callback, user_data);
}

JsonObject *
kvb_entra_client_request_token_finish (KvbPipeline   *pipeline,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  JsonObject *obj = kvb_entra_client_post_form_finish (pipeline, result, error);

  if (obj != NULL && object_string (obj, "access_token") == NULL)
    {
      json_object_unref (obj);
      g_set_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                   _("The sign-in service answered without an access token."));
      return NULL;
    }

  return obj;
}

const char *
kvb_entra_error_get_code (const GError *error)
{
  return kvb_error_get_service_code (error);
}

#define MAX_EXPIRES_IN (24 * 3600)

gint64
kvb_entra_token_response_get_expires_in (JsonObject *response)
{
  JsonNode *node;
  gint64 seconds;

  g_return_val_if_fail (response != NULL, 0);

  node = json_object_get_member (response, "expires_in");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  /* v1-like answers give a string. */
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    seconds = g_ascii_strtoll (json_node_get_string (node), NULL, 10);
  /* json-glib would cast a double to gint64 however large it is. */
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    seconds = json_node_get_int (node);
  else
    return 0;

  /* Callers add it to the time of day: a lifetime beyond what Entra ever gives (a day) would
   * overflow there, and is not believed anyway. */
  return seconds > 0 ? MIN (seconds, MAX_EXPIRES_IN) : 0;
}
