/* kvb-vault-finder.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-finder"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kvb-error.h"
#include "kvb-vault-finder.h"

/* Resource Manager listing for the sidebar: subscriptions, then the vaults of each.  The sidebar
 * only needs names and places, so this stays a thin reader of the two list calls on top of the
 * core's pipeline (which does the auth, retries and pacing). */

#define SUBSCRIPTIONS_API "2022-12-01"
#define VAULTS_API        "2023-07-01"
#define MAX_PAGES         200

struct _KvbVaultFinder
{
  GObject        parent_instance;

  KvbPipeline   *pipeline;
  KvbCloud      *cloud;
  KvbCredential *credential;
};

G_DEFINE_FINAL_TYPE (KvbVaultFinder, kvb_vault_finder, G_TYPE_OBJECT)

typedef struct
{
  GPtrArray *subscriptions;   /* of KvbFoundSubscription */
  guint      current;         /* the subscription whose vaults are being listed */
  guint      pages;
} ListData;

static void
found_vault_free (KvbFoundVault *vault)
{
  g_free (vault->name);
  g_free (vault->location);
  g_free (vault->resource_group);
  g_free (vault->vault_uri);
  g_free (vault);
}

static void
found_subscription_free (KvbFoundSubscription *sub)
{
  g_free (sub->id);
  g_free (sub->name);
  g_free (sub->error);
  g_clear_pointer (&sub->vaults, g_ptr_array_unref);
  g_free (sub);
}

static void
list_data_free (ListData *data)
{
  g_clear_pointer (&data->subscriptions, g_ptr_array_unref);
  g_free (data);
}

KvbVaultFinder *
kvb_vault_finder_new (KvbPipeline   *pipeline,
                      KvbCloud      *cloud,
                      KvbCredential *credential)
{
  KvbVaultFinder *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (KVB_IS_CREDENTIAL (credential), NULL);

  self = g_object_new (KVB_TYPE_VAULT_FINDER, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->credential = g_object_ref (credential);
  return self;
}

static char *
arm_url (KvbVaultFinder *self,
         const char     *path_and_query)
{
  const char *base = kvb_cloud_get_arm_endpoint (self->cloud);
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (int) len, base, path_and_query);
}

static const char *
string_member (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* What a failed list call means for the person looking at the sidebar. */
static char *
describe_failure (guint     status,
                  JsonNode *body)
{
  JsonObject *error = object_member (body && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL,
                                     "error");
  const char *code = string_member (error, "code");

  g_debug ("Resource Manager answered %u (%s): %s", status, code ? code : "no code",
           string_member (error, "message") ? string_member (error, "message") : "no message");

  if (g_strcmp0 (code, "MissingSubscriptionRegistration") == 0)
    return g_strdup (_("The Microsoft.KeyVault resource provider is not registered in this subscription."));
  if (status == 401)
    return g_strdup (_("The sign-in was refused: sign in again."));
  if (status == 403)
    return g_strdup (_("This account may not list the vaults of this subscription: it needs the Reader role or another role with Microsoft.KeyVault/vaults/read."));
  if (status == 404)
    return g_strdup (_("This subscription was not found: it may have been deleted or moved to another tenant."));
  if (status == 429)
    return g_strdup (_("Resource Manager is busy: try again in a minute."));
  return g_strdup_printf (_("Resource Manager could not list the vaults (HTTP status %u)."), status);
}

static int
compare_subscriptions (gconstpointer a,
                       gconstpointer b)
{
  const KvbFoundSubscription *x = *(KvbFoundSubscription * const *) a;
  const KvbFoundSubscription *y = *(KvbFoundSubscription * const *) b;

  return g_utf8_collate (x->name, y->name);
}

static int
compare_vaults (gconstpointer a,
                gconstpointer b)
{
  const KvbFoundVault *x = *(KvbFoundVault * const *) a;
  const KvbFoundVault *y = *(KvbFoundVault * const *) b;

  return g_strcmp0 (x->name, y->name);
}

static char *
resource_group_of (const char *id)
{
  g_auto(GStrv) parts = id ? g_strsplit (id, "/", -1) : NULL;

  for (guint i = 0; parts != NULL && parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_ascii_strcasecmp (parts[i], "resourceGroups") == 0)
      return g_strdup (parts[i + 1]);
  return NULL;
}

static void send_get (KvbVaultFinder *self, GTask *task, const char *url);
static void list_next_subscription (GTask *task);

static void
page_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbVaultFinder *self = g_task_get_source_object (task);
  ListData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  gboolean listing_vaults = data->subscriptions != NULL;
  KvbFoundSubscription *sub = NULL;
  JsonObject *root;
  JsonNode *value;
  const char *next;
  guint status = 0;

  body = kvb_pipeline_send_finish (KVB_PIPELINE (source), result, &status, NULL, &error);
  if (body == NULL && error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (listing_vaults)
    sub = g_ptr_array_index (data->subscriptions, data->current);

  if (status < 200 || status >= 300 || body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    {
      g_autofree char *why = describe_failure (status, body);

      if (!listing_vaults)
        {
          g_task_return_new_error (task, KVB_ERROR, status == 401 ? KVB_ERROR_UNAUTHORIZED : KVB_ERROR_FAILED,
                                   "%s", why);
          return;
        }
      sub->error = g_steal_pointer (&why);
      data->current++;
      list_next_subscription (g_steal_pointer (&task));
      return;
    }

  root = json_node_get_object (body);
  value = json_object_get_member (root, "value");
  if (value != NULL && JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *items = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          if (item == NULL)
            continue;

          if (!listing_vaults)
            {
              const char *id = string_member (item, "subscriptionId");
              const char *name = string_member (item, "displayName");
              KvbFoundSubscription *found;

              if (id == NULL)
                continue;
              found = g_new0 (KvbFoundSubscription, 1);
              found->id = g_strdup (id);
              found->name = g_strdup (name ? name : id);
              found->vaults = g_ptr_array_new_with_free_func ((GDestroyNotify) found_vault_free);
              g_ptr_array_add (g_object_get_data (G_OBJECT (task), "pending"), found);
            }
          else
            {
              const char *name = string_member (item, "name");
              KvbFoundVault *vault;

              if (name == NULL)
                continue;
              vault = g_new0 (KvbFoundVault, 1);
              vault->name = g_strdup (name);
              vault->location = g_strdup (string_member (item, "location"));
              vault->resource_group = resource_group_of (string_member (item, "id"));
              vault->vault_uri = g_strdup (string_member (object_member (item, "properties"), "vaultUri"));
              g_ptr_array_add (sub->vaults, vault);
            }
        }
    }

  next = string_member (root, "nextLink");
  if (next != NULL && *next != '\0' && ++data->pages < MAX_PAGES)
    {
      send_get (self, g_steal_pointer (&task), next);
      return;
    }

  data->pages = 0;
  if (!listing_vaults)
    {
      data->subscriptions = g_ptr_array_ref (g_object_get_data (G_OBJECT (task), "pending"));
      g_ptr_array_sort (data->subscriptions, compare_subscriptions);
      data->current = 0;
    }
  else
    {
      g_ptr_array_sort (sub->vaults, compare_vaults);
      data->current++;
    }

  list_next_subscription (g_steal_pointer (&task));
}

static void
send_get (KvbVaultFinder *self,
          GTask          *task,
          const char     *url)
{
  kvb_pipeline_send_async (self->pipeline, self->cloud, self->credential, "GET", url, NULL,
                           KVB_REQUEST_ARM | KVB_REQUEST_RETRY_SAFE, 0,
                           g_task_get_cancellable (task), page_cb, task);
}

static void
list_next_subscription (GTask *task)
{
  KvbVaultFinder *self = g_task_get_source_object (task);
  ListData *data = g_task_get_task_data (task);
  KvbFoundSubscription *sub;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;

  if (data->current >= data->subscriptions->len)
    {
      g_task_return_pointer (task, g_ptr_array_ref (data->subscriptions),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }

  sub = g_ptr_array_index (data->subscriptions, data->current);
  escaped = g_uri_escape_string (sub->id, NULL, FALSE);
  path = g_strdup_printf ("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=" VAULTS_API,
                          escaped);
  url = arm_url (self, path);
  send_get (self, task, url);
}

void
kvb_vault_finder_list_async (KvbVaultFinder      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  g_autofree char *url = NULL;

  g_return_if_fail (KVB_IS_VAULT_FINDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_vault_finder_list_async);
  g_task_set_task_data (task, g_new0 (ListData, 1), (GDestroyNotify) list_data_free);
  g_object_set_data_full (G_OBJECT (task), "pending",
                          g_ptr_array_new_with_free_func ((GDestroyNotify) found_subscription_free),
                          (GDestroyNotify) g_ptr_array_unref);

  url = arm_url (self, "/subscriptions?api-version=" SUBSCRIPTIONS_API);
  send_get (self, task, url);
}

GPtrArray *
kvb_vault_finder_list_finish (KvbVaultFinder  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kvb_vault_finder_dispose (GObject *object)
{
  KvbVaultFinder *self = (KvbVaultFinder *)object;

  g_clear_object (&self->credential);
  g_clear_object (&self->cloud);
  g_clear_object (&self->pipeline);

  G_OBJECT_CLASS (kvb_vault_finder_parent_class)->dispose (object);
}

static void
kvb_vault_finder_class_init (KvbVaultFinderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kvb_vault_finder_dispose;
}

static void
kvb_vault_finder_init (KvbVaultFinder *self)
{
}
