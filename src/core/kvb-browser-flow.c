/* kvb-browser-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-browser-flow"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "kvb-browser-flow.h"
#include "kvb-entra-client.h"
#include "kvb-error.h"
#include "kvb-sign-in-private.h"
#include "kvb-secret-string.h"
#include "kvb-base64url.h"

#define DEFAULT_TIMEOUT_SECONDS 300

struct _KvbBrowserFlow
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  char *cloud_name;
  char *client_id;
  char *tenant;
  guint timeout_seconds;

  SoupServer *server;
  char *redirect_uri;
  char *authorize_url;
  char *verifier;
  char *state;
  char *code;               /* the authorization code, until redeemed */
  GError *error;            /* how the browser leg ended, if it failed */
  guint timeout_id;

  GTask *task;              /* _wait_async() */
  gulong cancelled_id;
  gboolean redeeming;
};

G_DEFINE_FINAL_TYPE (KvbBrowserFlow, kvb_browser_flow, G_TYPE_OBJECT)

static void
stop_listening (KvbBrowserFlow *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
}

static void
kvb_browser_flow_dispose (GObject *object)
{
  KvbBrowserFlow *self = (KvbBrowserFlow *)object;

  stop_listening (self);

  G_OBJECT_CLASS (kvb_browser_flow_parent_class)->dispose (object);
}

static void
kvb_browser_flow_finalize (GObject *object)
{
  KvbBrowserFlow *self = (KvbBrowserFlow *)object;

  g_assert (self->task == NULL);

  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_pointer (&self->cloud_name, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->redirect_uri, g_free);
  g_clear_pointer (&self->authorize_url, g_free);
  kvb_secret_string_clear (&self->verifier);
  kvb_secret_string_clear (&self->state);
  kvb_secret_string_clear (&self->code);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (kvb_browser_flow_parent_class)->finalize (object);
}

static void
kvb_browser_flow_class_init (KvbBrowserFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_browser_flow_dispose;
  object_class->finalize = kvb_browser_flow_finalize;
}

static void
kvb_browser_flow_init (KvbBrowserFlow *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

KvbBrowserFlow *
kvb_browser_flow_new (KvbPipeline *pipeline,
                      KvbCloud    *cloud,
                      const char  *cloud_name,
                      const char  *client_id,
                      const char  *tenant)
{
  KvbBrowserFlow *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (tenant != NULL, NULL);

  self = g_object_new (KVB_TYPE_BROWSER_FLOW, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->cloud_name = g_strdup (cloud_name != NULL ? cloud_name : kvb_cloud_get_id (cloud));
  self->client_id = g_strdup (client_id);
  self->tenant = g_strdup (tenant);

  return self;
}

void
kvb_browser_flow_set_timeout (KvbBrowserFlow *self,
                              guint           seconds)
{
  g_return_if_fail (KVB_IS_BROWSER_FLOW (self));
  self->timeout_seconds = seconds;
}

const char *
kvb_browser_flow_get_authorize_url (KvbBrowserFlow *self)
{
  g_return_val_if_fail (KVB_IS_BROWSER_FLOW (self), NULL);
  return self->authorize_url;
}

const char *
kvb_browser_flow_get_redirect_uri (KvbBrowserFlow *self)
{
  g_return_val_if_fail (KVB_IS_BROWSER_FLOW (self), NULL);
  return self->redirect_uri;
}

/* Completion */

static void
complete (KvbBrowserFlow       *self,
          KvbAccountCredential *credential,
          GError               *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_assert (task != NULL);

  if (self->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
      self->cancelled_id = 0;
    }

  if (credential != NULL)
    g_task_return_pointer (task, credential, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
redeem_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(KvbBrowserFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = NULL;
  KvbAccountCredential *credential;

  self->redeeming = FALSE;
  response = kvb_entra_client_request_token_finish (self->pipeline, result, &error);
  if (self->task == NULL)   /* cancelled meanwhile */
    return;

  if (response == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GError) e = g_steal_pointer (&error);
          error = g_error_new (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                               _("The sign-in could not be completed: %s"), e->message);
        }
      complete (self, NULL, g_steal_pointer (&error));
      return;
    }

  credential = kvb_sign_in_credential_from_response (self->pipeline, self->cloud, self->cloud_name,
                                                     self->client_id, self->tenant, response,
                                                     &error);
  complete (self, credential, g_steal_pointer (&error));
}

static void
redeem (KvbBrowserFlow *self)
{
  g_autoptr(GHashTable) form = kvb_sign_in_form_new ();

  if (self->redeeming || self->task == NULL)
    return;

  if (self->error != NULL)
    {
      complete (self, NULL, g_steal_pointer (&self->error));
      return;
    }
  if (self->code == NULL)
    return;

  g_hash_table_insert (form, g_strdup ("grant_type"), g_strdup ("authorization_code"));
  g_hash_table_insert (form, g_strdup ("client_id"), g_strdup (self->client_id));
  g_hash_table_insert (form, g_strdup ("code"), g_steal_pointer (&self->code));
  g_hash_table_insert (form, g_strdup ("redirect_uri"), g_strdup (self->redirect_uri));
  g_hash_table_insert (form, g_strdup ("code_verifier"), g_strdup (self->verifier));
  g_hash_table_insert (form, g_strdup ("scope"), kvb_sign_in_dup_user_scopes (self->cloud));

  g_debug ("Redeeming the authorization code");
  self->redeeming = TRUE;
  kvb_entra_client_request_token_async (self->pipeline, self->cloud, self->tenant, form,
                                        g_task_get_cancellable (self->task), redeem_cb,
                                        g_object_ref (self));
}

static void
fail (KvbBrowserFlow *self,
      GError         *error)
{
  stop_listening (self);
  kvb_secret_string_clear (&self->code);
  g_clear_error (&self->error);
  self->error = error;
  redeem (self);
}

/* The listener */

static gboolean
timeout_cb (gpointer user_data)
{
  KvbBrowserFlow *self = user_data;

  self->timeout_id = 0;
  g_debug ("No answer from the browser in %u s", self->timeout_seconds);
  fail (self, g_error_new (KVB_ERROR, KVB_ERROR_TIMEOUT,
                           _("The browser did not come back within %u minutes. Start the sign-in again."),
                           MAX (1, self->timeout_seconds / 60)));
  return G_SOURCE_REMOVE;
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *title,
         const char        *text)
{
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *x = g_markup_escape_text (text, -1);
  g_autofree char *page =
    g_strdup_printf ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>"
                     "<style>body{font-family:sans-serif;margin:4em auto;max-width:36em}</style>"
                     "</head><body><h1>%s</h1><p>%s</p></body></html>\n", t, t, x);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    page, strlen (page));
}

static gboolean
equal_constant_time (const char *a,
                     const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guchar diff = la != lb;

  for (gsize i = 0; i < la; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i < lb ? i : 0];

  return diff == 0;
}

static gboolean
is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (addr))
    return FALSE;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  return g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4 &&
         g_inet_address_get_is_loopback (inet);
}

static gboolean
stop_idle_cb (gpointer user_data)
{
  KvbBrowserFlow *self = user_data;

  /* After the page has gone out: nobody else gets an answer from this port. */
  stop_listening (self);
  redeem (self);
  return G_SOURCE_REMOVE;
}

static void
message_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, stop_idle_cb, g_object_ref (user_data), g_object_unref);
}

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  KvbBrowserFlow *self = user_data;
  const char *state, *code, *err, *desc;

  if (self->code != NULL || self->error != NULL || self->redeeming)
    {
      respond (msg, SOUP_STATUS_GONE, _("Sign-in already answered"),
               _("This sign-in has already been answered. You can close this tab."));
      return;
    }

  if (!is_loopback_peer (msg))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }

  if (g_strcmp0 (soup_server_message_get_method (msg), "GET") != 0 || g_strcmp0 (path, "/") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  state = query != NULL ? g_hash_table_lookup (query, "state") : NULL;
  if (state == NULL || !equal_constant_time (state, self->state))
    {
      /* Not our browser tab (or a forged request): refuse and keep waiting for the real one. */
      g_debug ("Refused a redirect with a wrong state");
      respond (msg, SOUP_STATUS_BAD_REQUEST, _("Sign-in not accepted"),
               _("This answer does not belong to the sign-in that Key Vault Backup started."));
      return;
    }

  code = g_hash_table_lookup (query, "code");
  err = g_hash_table_lookup (query, "error");
  desc = g_hash_table_lookup (query, "error_description");

  if (code != NULL && *code != '\0')
    {
      self->code = g_strdup (code);
      g_clear_handle_id (&self->timeout_id, g_source_remove);
      respond (msg, SOUP_STATUS_OK, _("Signed in"),
               _("You are signed in to Key Vault Backup. You can close this tab."));
    }
  else
    {
      g_debug ("The browser came back with error %s", err);
      self->error = g_error_new (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                                 _("The sign-in was not completed: %s"),
                                 desc != NULL ? desc : err != NULL ? err : _("no answer"));
      g_clear_handle_id (&self->timeout_id, g_source_remove);
      respond (msg, SOUP_STATUS_OK, _("Sign-in not completed"),
               _("The sign-in was not completed. Return to Key Vault Backup to try again."));
    }

  g_signal_connect_object (msg, "finished", G_CALLBACK (message_finished_cb), self, 0);
}

const char *
kvb_browser_flow_start (KvbBrowserFlow  *self,
                        GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GString) url = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *scopes = NULL;
  guchar digest[32];
  int port;

  g_return_val_if_fail (KVB_IS_BROWSER_FLOW (self), NULL);
  g_return_val_if_fail (self->server == NULL && self->authorize_url == NULL, NULL);

  self->server = soup_server_new ("server-header", "", NULL);
  /* Loopback IPv4 only, at a port the system picks: Entra ID ignores the port of a loopback
   * redirect, and does not support [::1]. */
  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &local_error))
    {
      g_clear_object (&self->server);
      g_set_error (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                   _("Could not wait for the browser on this computer: %s"), local_error->message);
      return NULL;
    }

  uris = soup_server_get_uris (self->server);
  port = uris != NULL ? g_uri_get_port (uris->data) : -1;
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  soup_server_add_handler (self->server, NULL, handler, self, NULL);

  self->redirect_uri = g_strdup_printf ("http://localhost:%d", port);
  self->verifier = kvb_sign_in_random_string (32);
  self->state = kvb_sign_in_random_string (16);
  gnutls_hash_fast (GNUTLS_DIG_SHA256, self->verifier, strlen (self->verifier), digest);
  challenge = kvb_base64url_encode (digest, sizeof digest);
  scopes = kvb_sign_in_dup_user_scopes (self->cloud);
  endpoint = kvb_sign_in_dup_endpoint (self->cloud, self->tenant, "authorize");

  url = g_string_new (endpoint);
  g_string_append (url, "?client_id=");
  g_string_append_uri_escaped (url, self->client_id, NULL, FALSE);
  g_string_append (url, "&response_type=code&redirect_uri=");
  g_string_append_uri_escaped (url, self->redirect_uri, NULL, FALSE);
  g_string_append (url, "&response_mode=query&scope=");
  g_string_append_uri_escaped (url, scopes, NULL, FALSE);
  g_string_append (url, "&state=");
  g_string_append (url, self->state);
  g_string_append (url, "&code_challenge=");
  g_string_append (url, challenge);
  g_string_append (url, "&code_challenge_method=S256&prompt=select_account");
  self->authorize_url = g_string_free (g_steal_pointer (&url), FALSE);

  if (self->timeout_seconds > 0)
    self->timeout_id = g_timeout_add_seconds (self->timeout_seconds, timeout_cb, self);

  g_debug ("Waiting for the browser on 127.0.0.1:%d", port);
  return self->authorize_url;
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  kvb_browser_flow_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  /* From the cancellable's thread; the flow lives on the main context. */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_idle_cb, g_object_ref (user_data), g_object_unref);
}

void
kvb_browser_flow_wait_async (KvbBrowserFlow      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (KVB_IS_BROWSER_FLOW (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, kvb_browser_flow_wait_async);
  /* Cancelling is answered with KVB_ERROR_SIGN_IN_CANCELLED, which the user can be shown. */
  g_task_set_check_cancellable (self->task, FALSE);

  if (self->authorize_url == NULL)
    {
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                                                 "kvb_browser_flow_start() was not called"));
      return;
    }

  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);

  redeem (self);
}

KvbAccountCredential *
kvb_browser_flow_wait_finish (KvbBrowserFlow  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_browser_flow_cancel (KvbBrowserFlow *self)
{
  g_return_if_fail (KVB_IS_BROWSER_FLOW (self));

  stop_listening (self);
  kvb_secret_string_clear (&self->code);
  if (self->task != NULL)
    {
      self->redeeming = FALSE;
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_CANCELLED,
                                                 _("The sign-in was cancelled.")));
    }
}
