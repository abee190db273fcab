/* kvb-device-code-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-device-code-flow"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-device-code-flow.h"
#include "kvb-entra-client.h"
#include "kvb-error.h"
#include "kvb-json-util.h"
#include "kvb-sign-in-private.h"
#include "kvb-secret-string.h"

struct _KvbDeviceCodeFlow
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  char *cloud_name;
  char *client_id;
  char *tenant;

  char *device_code;        /* never shown, never logged */
  char *user_code;
  char *verification_uri;
  char *message;
  gint64 expires_on;        /* wall clock, for display */
  gint64 deadline;          /* monotonic, for the decision */
  guint interval;

  GTask *task;              /* _wait_async() */
  GCancellable *poll_cancellable;
  guint poll_id;
};

G_DEFINE_FINAL_TYPE (KvbDeviceCodeFlow, kvb_device_code_flow, G_TYPE_OBJECT)

static void
kvb_device_code_flow_finalize (GObject *object)
{
  KvbDeviceCodeFlow *self = (KvbDeviceCodeFlow *)object;

  g_assert (self->task == NULL);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->poll_cancellable);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_pointer (&self->cloud_name, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->tenant, g_free);
  kvb_secret_string_clear (&self->device_code);
  g_clear_pointer (&self->user_code, g_free);
  g_clear_pointer (&self->verification_uri, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (kvb_device_code_flow_parent_class)->finalize (object);
}

static void
kvb_device_code_flow_class_init (KvbDeviceCodeFlowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_device_code_flow_finalize;
}

static void
kvb_device_code_flow_init (KvbDeviceCodeFlow *self)
{
  self->interval = 5;
}

KvbDeviceCodeFlow *
kvb_device_code_flow_new (KvbPipeline *pipeline,
                          KvbCloud    *cloud,
                          const char  *cloud_name,
                          const char  *client_id,
                          const char  *tenant)
{
  KvbDeviceCodeFlow *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (tenant != NULL, NULL);

  self = g_object_new (KVB_TYPE_DEVICE_CODE_FLOW, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->cloud_name = g_strdup (cloud_name != NULL ? cloud_name : kvb_cloud_get_id (cloud));
  self->client_id = g_strdup (client_id);
  self->tenant = g_strdup (tenant);

  return self;
}

const char *
kvb_device_code_flow_get_user_code (KvbDeviceCodeFlow *self)
{
  g_return_val_if_fail (KVB_IS_DEVICE_CODE_FLOW (self), NULL);
  return self->user_code;
}

const char *
kvb_device_code_flow_get_verification_uri (KvbDeviceCodeFlow *self)
{
  g_return_val_if_fail (KVB_IS_DEVICE_CODE_FLOW (self), NULL);
  return self->verification_uri;
}

const char *
kvb_device_code_flow_get_message (KvbDeviceCodeFlow *self)
{
  g_return_val_if_fail (KVB_IS_DEVICE_CODE_FLOW (self), NULL);
  return self->message;
}

gint64
kvb_device_code_flow_get_expires_on (KvbDeviceCodeFlow *self)
{
  g_return_val_if_fail (KVB_IS_DEVICE_CODE_FLOW (self), 0);
  return self->expires_on;
}

guint
kvb_device_code_flow_get_interval (KvbDeviceCodeFlow *self)
{
  g_return_val_if_fail (KVB_IS_DEVICE_CODE_FLOW (self), 0);
  return self->interval;
}

/* "Some IdP returns string" (MSAL): numbers may come as numeric strings. */
static gint64
member_int (JsonObject *obj,
            const char *name,
            gint64      fallback)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      gint64 v;
      if (g_ascii_string_to_signed (json_node_get_string (node), 10, 0, G_MAXINT32, &v, NULL))
        return v;
      return fallback;
    }
  /* json-glib would cast a double to gint64 however large it is. */
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

/* start */

gboolean
_kvb_device_code_flow_read_start (KvbDeviceCodeFlow  *self,
                                  JsonObject         *response,
                                  GError            **error)
{
  const char *device_code, *user_code, *uri, *message;
  gint64 expires_in;

  device_code = kvb_json_get_string (response, "device_code", NULL);
  user_code = kvb_json_get_string (response, "user_code", NULL);
  uri = kvb_json_get_string (response, "verification_uri", NULL);
  if (uri == NULL)   /* the v1 endpoint's name for it */
    uri = kvb_json_get_string (response, "verification_url", NULL);
  message = kvb_json_get_string (response, "message", NULL);

  if (device_code == NULL || user_code == NULL || uri == NULL)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                           _("The sign-in service gave no device code."));
      return FALSE;
    }

  self->device_code = g_strdup (device_code);
  self->user_code = g_strdup (user_code);
  self->verification_uri = g_strdup (uri);
  self->message = message != NULL
                  ? g_strdup (message)
                  /* Translators: the first %s is an address, the second a short code. */
                  : g_strdup_printf (_("To sign in, open %s and enter the code %s."), uri, user_code);
  self->interval = (guint) CLAMP (member_int (response, "interval", 5), 1, 60);
  expires_in = CLAMP (member_int (response, "expires_in", 900), 1, 3600);
  self->expires_on = g_get_real_time () / G_USEC_PER_SEC + expires_in;
  self->deadline = g_get_monotonic_time () + expires_in * G_USEC_PER_SEC;

  g_debug ("Device code issued; polling every %u s for %" G_GINT64_FORMAT " s",
           self->interval, expires_in);
  return TRUE;
}

static void
start_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbDeviceCodeFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = kvb_entra_client_post_form_finish (self->pipeline, result, &error);

  if (response == NULL || !_kvb_device_code_flow_read_start (self, response, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
kvb_device_code_flow_start_async (KvbDeviceCodeFlow   *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GHashTable) form = kvb_sign_in_form_new ();
  GTask *task;

  g_return_if_fail (KVB_IS_DEVICE_CODE_FLOW (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_device_code_flow_start_async);

  g_hash_table_insert (form, g_strdup ("client_id"), g_strdup (self->client_id));
  g_hash_table_insert (form, g_strdup ("scope"), kvb_sign_in_dup_user_scopes (self->cloud));
  kvb_entra_client_post_form_async (self->pipeline, self->cloud, self->tenant, "devicecode", form,
                                    cancellable, start_cb, task);
}

gboolean
kvb_device_code_flow_start_finish (KvbDeviceCodeFlow  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* wait */

static void schedule_poll (KvbDeviceCodeFlow *self);

static void
complete (KvbDeviceCodeFlow    *self,
          KvbAccountCredential *credential,
          GError               *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->poll_cancellable);
  if (task == NULL)
    {
      g_clear_object (&credential);
      g_clear_error (&error);
      return;
    }

  kvb_secret_string_clear (&self->device_code);
  if (credential != NULL)
    g_task_return_pointer (task, credential, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
poll_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(KvbDeviceCodeFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = kvb_entra_client_request_token_finish (self->pipeline, result, &error);
  const char *code;
  KvbAccountCredential *credential;

  if (self->task == NULL)
    return;

  if (response != NULL)
    {
      credential = kvb_sign_in_credential_from_response (self->pipeline, self->cloud,
                                                         self->cloud_name, self->client_id,
                                                         self->tenant, response, &error);
      complete (self, credential, g_steal_pointer (&error));
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* kvb_device_code_flow_cancel() has answered already */

  code = kvb_entra_error_get_code (error);
  if (g_strcmp0 (code, "authorization_pending") == 0)
    {
      schedule_poll (self);
      return;
    }
  if (g_strcmp0 (code, "slow_down") == 0)
    {
      /* RFC 8628 §3.5: five seconds more for every later request. */
      self->interval += 5;
      g_debug ("slow_down: polling every %u s now", self->interval);
      schedule_poll (self);
      return;
    }
  if (g_strcmp0 (code, "authorization_declined") == 0)
    {
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                                                 _("The sign-in was declined.")));
      return;
    }
  if (g_strcmp0 (code, "expired_token") == 0 || g_strcmp0 (code, "code_expired") == 0)
    {
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                                                 _("The code has expired. Start the sign-in again to get a new code.")));
      return;
    }

  /* Anything else (bad_verification_code, invalid_client, network…) ends the flow. */
  complete (self, NULL, g_steal_pointer (&error));
}

static gboolean
poll_timeout_cb (gpointer user_data)
{
  KvbDeviceCodeFlow *self = user_data;
  g_autoptr(GHashTable) form = kvb_sign_in_form_new ();

  self->poll_id = 0;

  /* The code's lifetime is over: ask no more (the service would say expired_token). */
  if (g_get_monotonic_time () >= self->deadline)
    {
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                                                 _("The code has expired. Start the sign-in again to get a new code.")));
      return G_SOURCE_REMOVE;
    }

  g_hash_table_insert (form, g_strdup ("grant_type"),
                       g_strdup ("urn:ietf:params:oauth:grant-type:device_code"));
  g_hash_table_insert (form, g_strdup ("client_id"), g_strdup (self->client_id));
  g_hash_table_insert (form, g_strdup ("device_code"), g_strdup (self->device_code));
  kvb_entra_client_request_token_async (self->pipeline, self->cloud, self->tenant, form,
                                        self->poll_cancellable, poll_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (KvbDeviceCodeFlow *self)
{
  /* Not g_timeout_add_seconds(): it rounds to a whole second and may fire up to a quarter of a
   * second early, and RFC 8628 asks for at least @interval between polls (a poll that comes
   * early earns another slow_down). */
  self->poll_id = g_timeout_add (self->interval * 1000, poll_timeout_cb, self);
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  KvbDeviceCodeFlow *self = user_data;

  if (self->task != NULL)
    kvb_device_code_flow_cancel (self);
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
kvb_device_code_flow_wait_async (KvbDeviceCodeFlow   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KVB_IS_DEVICE_CODE_FLOW (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, kvb_device_code_flow_wait_async);
  /* Cancelling is answered with KVB_ERROR_SIGN_IN_CANCELLED, which the user can be shown. */
  g_task_set_check_cancellable (self->task, FALSE);

  if (self->device_code == NULL)
    {
      complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                                                 "kvb_device_code_flow_start_async() did not succeed"));
      return;
    }

  self->poll_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (cancelled_cb), self, 0);
  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    {
      kvb_device_code_flow_cancel (self);
      return;
    }

  schedule_poll (self);
}

KvbAccountCredential *
kvb_device_code_flow_wait_finish (KvbDeviceCodeFlow  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_device_code_flow_cancel (KvbDeviceCodeFlow *self)
{
  g_return_if_fail (KVB_IS_DEVICE_CODE_FLOW (self));

  if (self->poll_cancellable != NULL)
    g_cancellable_cancel (self->poll_cancellable);
  complete (self, NULL, g_error_new_literal (KVB_ERROR, KVB_ERROR_SIGN_IN_CANCELLED,
                                             _("The sign-in was cancelled.")));
}
