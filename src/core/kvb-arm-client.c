/* kvb-arm-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-arm-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-arm-client.h"
#include "kvb-arm-json.h"
#include "kvb-error.h"

struct _KvbArmClient
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  KvbCredential *credential;
};

G_DEFINE_FINAL_TYPE (KvbArmClient, kvb_arm_client, G_TYPE_OBJECT)

static void
kvb_arm_client_finalize (GObject *object)
{
  KvbArmClient *self = (KvbArmClient *)object;

  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_object (&self->credential);

  G_OBJECT_CLASS (kvb_arm_client_parent_class)->finalize (object);
}

static void
kvb_arm_client_class_init (KvbArmClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_arm_client_finalize;
}

static void
kvb_arm_client_init (KvbArmClient *self)
{
}

KvbArmClient *
kvb_arm_client_new (KvbPipeline   *pipeline,
                    KvbCloud      *cloud,
                    KvbCredential *credential)
{
  KvbArmClient *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (KVB_IS_CREDENTIAL (credential), NULL);

  self = g_object_new (KVB_TYPE_ARM_CLIENT, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->credential = g_object_ref (credential);
  kvb_pipeline_add_cloud (pipeline, cloud, NULL);

  return self;
}

static GError *
map_error (guint       status,
           JsonNode   *body,
           const char *subscription)
{
  JsonObject *error_obj = NULL;
  const char *code = NULL, *message = NULL;
  GError *error;

  if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    error_obj = kvb_arm_json_object (json_node_get_object (body), "error");
  code = kvb_arm_json_string (error_obj, "code");
  message = kvb_arm_json_string (error_obj, "message");

  g_debug ("Resource Manager answered %u: %s: %s", status, code ? code : "-", message ? message : "-");

  if (status == 401)
    error = g_error_new (KVB_ERROR, KVB_ERROR_UNAUTHORIZED,
                         _("Azure Resource Manager did not accept your sign-in. Sign in again, or "
                           "sign in to the tenant of the subscription."));
  else if (status == 403)
    error = g_error_new (KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC,
                         _("You are not allowed to see this in subscription “%s”: ask an owner of "
                           "the subscription for the role “Reader”."),
                         subscription != NULL ? subscription : "?");
  else if (g_strcmp0 (code, "MissingSubscriptionRegistration") == 0)
    error = g_error_new (KVB_ERROR, KVB_ERROR_PROVIDER_NOT_REGISTERED,
                         _("The resource provider Microsoft.KeyVault is not registered in "
                           "subscription “%s”. Register it (this needs the role “Contributor”) "
                           "and try again."), subscription != NULL ? subscription : "?");
  else if (status == 404)
    error = g_error_new (KVB_ERROR, KVB_ERROR_NOT_FOUND,
                         _("Subscription “%s” was not found, or you cannot see it with this "
                           "sign-in."), subscription != NULL ? subscription : "?");
  else if (status == 429)
    error = g_error_new (KVB_ERROR, KVB_ERROR_THROTTLED,
                         _("Azure Resource Manager is throttling requests. Wait a minute and try "
                           "again."));
  else
    error = g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                         _("Azure Resource Manager refused the request (HTTP status %u): %s"),
                         status, message != NULL ? message : _("no details given"));

  kvb_error_set_service_code (error, code);

  return error;
}

typedef struct
{
  char *tenant;
  char *subscription;
  GPtrArray *items;
  GObject *(*parse) (JsonObject *item);
  gboolean single;      /* one object answered, not a list */
} ArmCall;

static void
arm_call_free (ArmCall *call)
{
  g_free (call->tenant);
  g_free (call->subscription);
  g_clear_pointer (&call->items, g_ptr_array_unref);
  g_free (call);
}

static void
arm_send (KvbArmClient        *self,
          GTask               *task,
          const char          *method,
          const char          *url,
          GAsyncReadyCallback  callback)
{
  ArmCall *call = g_task_get_task_data (task);
  /* Reading is safe to repeat; so is a provider registration. */
  kvb_pipeline_send_with_tenant_async (self->pipeline, self->cloud, self->credential, call->tenant,
                                       method, url, NULL,
                                       KVB_REQUEST_ARM | KVB_REQUEST_RETRY_SAFE, KVB_TIMEOUT_SHORT,
                                       g_task_get_cancellable (task), callback, task);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  KvbArmClient *self = g_task_get_source_object (task);
  ArmCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  JsonNode *value;
  const char *next;
  guint status = 0;

  node = kvb_pipeline_send_finish (self->pipeline, result, &status, NULL, &error);
  if (status == 0 || status < 200 || status >= 300)
    {
      g_task_return_error (task, error != NULL ? g_steal_pointer (&error)
                                               : map_error (status, node, call->subscription));
      g_object_unref (task);
      return;
    }

  obj = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  value = obj != NULL ? json_object_get_member (obj, "value") : NULL;
  if (value == NULL || !JSON_NODE_HOLDS_ARRAY (value))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                               _("Azure Resource Manager answered with something that is not a "
                                 "list."));
      g_object_unref (task);
      return;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (value), i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        g_ptr_array_add (call->items, call->parse (json_node_get_object (item)));
    }

  /* nextLink is followed as given (it carries its api-version); the pipeline checks that it
   * stays on the cloud's Resource Manager. */
  next = kvb_arm_json_string (obj, "nextLink");
  if (next != NULL && *next != '\0')
    {
      arm_send (self, task, "GET", next, list_cb);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&call->items), (GDestroyNotify)g_ptr_array_unref);
  g_object_unref (task);
}

static void
start_list (KvbArmClient        *self,
            gpointer             source_tag,
            const char          *tenant,
            const char          *subscription,
            const char          *path_query,
            GObject           *(*parse) (JsonObject *),
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ArmCall *call = g_new0 (ArmCall, 1);
  g_autofree char *url = NULL;

  g_task_set_source_tag (task, source_tag);
  call->tenant = g_strdup (tenant);
  call->subscription = g_strdup (subscription);
  call->items = g_ptr_array_new_with_free_func (g_object_unref);
  call->parse = parse;
  g_task_set_task_data (task, call, (GDestroyNotify)arm_call_free);

  url = g_strconcat (kvb_cloud_get_arm_endpoint (self->cloud), path_query, NULL);
  arm_send (self, task, "GET", url, list_cb);
}

static gboolean
is_subscription_id (const char *subscription_id)
{
  gboolean ok = subscription_id != NULL && *subscription_id != '\0';

  for (const char *p = subscription_id; ok && *p; p++)
    if (!g_ascii_isxdigit (*p) && *p != '-')
      ok = FALSE;

  return ok;
}

void
kvb_arm_client_list_tenants_async (KvbArmClient        *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (KVB_IS_ARM_CLIENT (self));

  start_list (self, kvb_arm_client_list_tenants_async, NULL, NULL,
              "/tenants?api-version=" KVB_ARM_API_VERSION_RESOURCES,
              (GObject *(*) (JsonObject *))kvb_tenant_info_new_from_json,
              cancellable, callback, user_data);
}

GPtrArray *
kvb_arm_client_list_tenants_finish (KvbArmClient  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_arm_client_list_subscriptions_async (KvbArmClient        *self,
                                         const char          *tenant,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (KVB_IS_ARM_CLIENT (self));

  start_list (self, kvb_arm_client_list_subscriptions_async, tenant, NULL,
              "/subscriptions?api-version=" KVB_ARM_API_VERSION_RESOURCES,
              (GObject *(*) (JsonObject *))kvb_subscription_info_new_from_json,
              cancellable, callback, user_data);
}

GPtrArray *
kvb_arm_client_list_subscriptions_finish (KvbArmClient  *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_arm_client_list_vaults_async (KvbArmClient        *self,
                                  const char          *tenant,
                                  const char          *subscription_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (KVB_IS_ARM_CLIENT (self));

  if (!is_subscription_id (subscription_id))
    {
      g_task_report_new_error (self, callback, user_data, kvb_arm_client_list_vaults_async,
                               KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a subscription ID."),
                               subscription_id != NULL ? subscription_id : "");
      return;
    }

  path = g_strdup_printf ("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version="
                          KVB_ARM_API_VERSION_KEYVAULT, subscription_id);
  start_list (self, kvb_arm_client_list_vaults_async, tenant, subscription_id, path,
              (GObject *(*) (JsonObject *))kvb_vault_info_new_from_json,
              cancellable, callback, user_data);
}

GPtrArray *
kvb_arm_client_list_vaults_finish (KvbArmClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
provider_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbArmClient *self = g_task_get_source_object (task);
  ArmCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *state;
  guint status = 0;

  node = kvb_pipeline_send_finish (self->pipeline, result, &status, NULL, &error);
  if (status == 0 || status < 200 || status >= 300)
    {
      g_task_return_error (task, error != NULL ? g_steal_pointer (&error)
                                               : map_error (status, node, call->subscription));
      return;
    }

  state = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
          ? kvb_arm_json_string (json_node_get_object (node), "registrationState") : NULL;
  if (state == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                               _("Azure Resource Manager did not say whether Microsoft.KeyVault "
                                 "is registered."));
      return;
    }

  g_task_return_pointer (task, g_strdup (state), g_free);
}

static void
provider_call (KvbArmClient        *self,
               gpointer             source_tag,
               const char          *tenant,
               const char          *subscription_id,
               gboolean             do_register,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ArmCall *call = g_new0 (ArmCall, 1);
  g_autofree char *url = NULL;

  g_task_set_source_tag (task, source_tag);
  call->tenant = g_strdup (tenant);
  call->subscription = g_strdup (subscription_id);
  g_task_set_task_data (task, call, (GDestroyNotify)arm_call_free);

  if (!is_subscription_id (subscription_id))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a subscription ID."),
                               subscription_id != NULL ? subscription_id : "");
      g_object_unref (task);
      return;
    }

  url = g_strdup_printf ("%s/subscriptions/%s/providers/Microsoft.KeyVault%s?api-version="
                         KVB_ARM_API_VERSION_PROVIDERS, kvb_cloud_get_arm_endpoint (self->cloud),
                         subscription_id, do_register ? "/register" : "");
  arm_send (self, task, do_register ? "POST" : "GET", url, provider_cb);
}

void
kvb_arm_client_get_provider_state_async (KvbArmClient        *self,
                                         const char          *tenant,
                                         const char          *subscription_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (KVB_IS_ARM_CLIENT (self));
  provider_call (self, kvb_arm_client_get_provider_state_async, tenant, subscription_id, FALSE,
                 cancellable, callback, user_data);
}

char *
kvb_arm_client_get_provider_state_finish (KvbArmClient  *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kvb_arm_client_register_provider_async (KvbArmClient        *self,
                                        const char          *tenant,
                                        const char          *subscription_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (KVB_IS_ARM_CLIENT (self));
  provider_call (self, kvb_arm_client_register_provider_async, tenant, subscription_id, TRUE,
                 cancellable, callback, user_data);
}

char *
kvb_arm_client_register_provider_finish (KvbArmClient  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
