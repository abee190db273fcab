/* kvb-sample-cloud.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-sample-cloud"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kvb-emulator.h"
#include "kvb-error.h"
#include "kvb-sample-cloud.h"
#include "kvb-service-principal-credential.h"

/* The offline sample cloud: the local stand-in of Azure, started in this process with its
 * built-in sample, and the sample's service principal signed in to it.  Nothing is written to the
 * keyring or to GSettings; the stand-in's files live in a private temporary folder that goes
 * away when this object does. */
struct _KvbSampleCloud
{
  GObject        parent_instance;

  KvbPipeline   *pipeline;
  KvbEmulator   *emulator;
  KvbCloud      *cloud;
  KvbCredential *credential;
  char          *client_id;
  char          *tenant;
};

G_DEFINE_FINAL_TYPE (KvbSampleCloud, kvb_sample_cloud, G_TYPE_OBJECT)

KvbSampleCloud *
kvb_sample_cloud_new (KvbPipeline *pipeline)
{
  KvbSampleCloud *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);

  self = g_object_new (KVB_TYPE_SAMPLE_CLOUD, NULL);
  self->pipeline = g_object_ref (pipeline);
  return self;
}

/* The stand-in generates its CA and certificates when it starts: that takes a moment, so it
 * happens away from the window's thread. */
static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  KvbEmulator *emulator = task_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_emulator_start (emulator, &error))
    {
      g_debug ("The sample cloud did not start: %s", error->message);
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FAILED,
                               _("The sample cloud could not be started: %s"), error->message);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
kvb_sample_cloud_start_async (KvbSampleCloud      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KVB_IS_SAMPLE_CLOUD (self));
  g_return_if_fail (self->emulator == NULL);

  self->emulator = kvb_emulator_new ();
  kvb_emulator_set_seed_file (self->emulator, NULL);
  kvb_emulator_set_port (self->emulator, 0);
  kvb_emulator_set_proxy_enabled (self->emulator, FALSE);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_sample_cloud_start_async);
  g_task_set_task_data (task, g_object_ref (self->emulator), g_object_unref);
  g_task_run_in_thread (task, start_thread);
}

static const char *
member (JsonObject *obj,
        const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
kvb_sample_cloud_start_finish (KvbSampleCloud  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *info = NULL;
  JsonObject *obj;
  const char *tenant, *client_id, *secret;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  /* The stand-in's start-up line names the sample's service principal. */
  info = kvb_emulator_dup_info_json (self->emulator);
  parser = json_parser_new ();
  if (info == NULL || !json_parser_load_from_data (parser, info, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto bad_info;

  obj = json_node_get_object (json_parser_get_root (parser));
  tenant = member (obj, "tenant");
  client_id = member (obj, "client_id");
  secret = member (obj, "client_secret");
  if (tenant == NULL || client_id == NULL || secret == NULL)
    goto bad_info;

  self->cloud = kvb_cloud_new_sample (kvb_emulator_get_url (self->emulator),
                                      kvb_emulator_get_ca_file (self->emulator));
  if (!kvb_pipeline_add_cloud (self->pipeline, self->cloud, error))
    return FALSE;

  self->tenant = g_strdup (tenant);
  self->client_id = g_strdup (client_id);
  self->credential = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (self->pipeline,
                                                                                      self->cloud,
                                                                                      tenant,
                                                                                      client_id,
                                                                                      secret));
  return TRUE;

bad_info:
  g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
               _("The sample cloud started but did not name its sample identity."));
  return FALSE;
}

KvbCloud *
kvb_sample_cloud_get_cloud (KvbSampleCloud *self)
{
  g_return_val_if_fail (KVB_IS_SAMPLE_CLOUD (self), NULL);
  return self->cloud;
}

KvbCredential *
kvb_sample_cloud_get_credential (KvbSampleCloud *self)
{
  g_return_val_if_fail (KVB_IS_SAMPLE_CLOUD (self), NULL);
  return self->credential;
}

const char *
kvb_sample_cloud_get_client_id (KvbSampleCloud *self)
{
  g_return_val_if_fail (KVB_IS_SAMPLE_CLOUD (self), NULL);
  return self->client_id;
}

const char *
kvb_sample_cloud_get_tenant (KvbSampleCloud *self)
{
  g_return_val_if_fail (KVB_IS_SAMPLE_CLOUD (self), NULL);
  return self->tenant;
}

static void
kvb_sample_cloud_dispose (GObject *object)
{
  KvbSampleCloud *self = (KvbSampleCloud *)object;

  g_clear_object (&self->credential);
  g_clear_object (&self->cloud);
  if (self->emulator != NULL)
    kvb_emulator_stop (self->emulator);
  g_clear_object (&self->emulator);
  g_clear_object (&self->pipeline);

  G_OBJECT_CLASS (kvb_sample_cloud_parent_class)->dispose (object);
}

static void
kvb_sample_cloud_finalize (GObject *object)
{
  KvbSampleCloud *self = (KvbSampleCloud *)object;

  g_free (self->client_id);
  g_free (self->tenant);

  G_OBJECT_CLASS (kvb_sample_cloud_parent_class)->finalize (object);
}

static void
kvb_sample_cloud_class_init (KvbSampleCloudClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_sample_cloud_dispose;
  object_class->finalize = kvb_sample_cloud_finalize;
}

static void
kvb_sample_cloud_init (KvbSampleCloud *self)
{
}
