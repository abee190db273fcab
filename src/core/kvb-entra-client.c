/* kvb-entra-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-entra-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-entra-client.h"
#include "kvb-error.h"

typedef struct
{
  SoupMessage *msg;
  char *endpoint;
} PostData;

static void
post_data_free (PostData *d)
{
  g_clear_object (&d->msg);
  g_free (d->endpoint);
  g_free (d);
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
                           "client id, the tenant and the client secret or certificate (%s)."),
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

static void
post_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PostData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj = NULL;
  guint status;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (answer == NULL)
    {
      if (g_task_return_error_if_cancelled (task))
        return;

      g_debug ("Entra ID %s: %s", d->endpoint, error->message);
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
  if (g_bytes_get_size (answer) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                  g_bytes_get_size (answer), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    obj = json_node_get_object (json_parser_get_root (parser));

  if (status >= 200 && status < 300 && obj != NULL && object_string (obj, "error") == NULL)
    {
      g_debug ("Entra ID %s: %u", d->endpoint, status);
      g_task_return_pointer (task, json_object_ref (obj), (GDestroyNotify)json_object_unref);
      return;
    }

  if (obj == NULL && status >= 500)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                               _("The sign-in service has a problem (HTTP status %u). Try again "
                                 "later."), status);
      return;
    }

  g_task_return_error (task, map_entra_error (status, obj));
}

static void
wipe_string (gpointer data)
{
  char *s = data;

  memset (s, 0, strlen (s));
  g_free (s);
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
  g_autoptr(GBytes) body = NULL;
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
                               _("“%s” is not a valid tenant id or domain."),
                               tenant != NULL ? tenant : "");
      return;
    }

  url = g_strdup_printf ("%s/%s/oauth2/v2.0/%s", kvb_cloud_get_authority_host (cloud), tenant,
                         endpoint);

  d = g_new0 (PostData, 1);
  d->endpoint = g_strdup (endpoint);
  d->msg = soup_message_new ("POST", url);
  g_task_set_task_data (task, d, (GDestroyNotify)post_data_free);
  if (d->msg == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("The sign-in address of %s is not valid."),
                               kvb_cloud_get_display_name (cloud));
      return;
    }

  /* The form may hold a client secret or a refresh token: it is wiped when the body goes. */
  encoded = soup_form_encode_hash (form);
  len = strlen (encoded);
  body = g_bytes_new_with_free_func (encoded, len, wipe_string, encoded);
  encoded = NULL;
  soup_message_set_request_body_from_bytes (d->msg, "application/x-www-form-urlencoded", body);
  soup_message_headers_replace (soup_message_get_request_headers (d->msg), "Accept",
                                "application/json");
  soup_message_add_flags (d->msg, SOUP_MESSAGE_NO_REDIRECT);

  g_debug ("POST %s/%s/oauth2/v2.0/%s", kvb_cloud_get_authority_host (cloud), tenant, endpoint);

  soup_session_send_and_read_async (kvb_pipeline_get_session (pipeline), d->msg,
                                    G_PRIORITY_DEFAULT, cancellable, post_cb,
                                    g_steal_pointer (&task));
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

gint64
kvb_entra_token_response_get_expires_in (JsonObject *response)
{
  JsonNode *node;

  g_return_val_if_fail (response != NULL, 0);

  node = json_object_get_member (response, "expires_in");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  /* v1-like answers give a string. */
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_ascii_strtoll (json_node_get_string (node), NULL, 10);

  return json_node_get_int (node);
}
