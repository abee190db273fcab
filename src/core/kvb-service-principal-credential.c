/* kvb-service-principal-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-service-principal-credential"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-client-assertion.h"
#include "kvb-entra-client.h"
#include "kvb-error.h"
#include "kvb-json-util.h"
#include "kvb-service-principal-credential.h"
#include "kvb-secret-string.h"

/* Refresh an access token when less than this is left, or half its lifetime if that is less
 * (the stand-in hands out tokens of a minute to exercise refresh). */
#define REFRESH_MARGIN_SECONDS 300

typedef struct
{
  KvbAccessToken *token;
  gint64 refresh_at;     /* wall clock, seconds */
  GPtrArray *waiters;    /* GTask, while a request is under way */
} CacheEntry;

static void
cache_entry_free (CacheEntry *e)
{
  g_clear_pointer (&e->token, kvb_access_token_unref);
  g_clear_pointer (&e->waiters, g_ptr_array_unref);
  g_free (e);
}

struct _KvbServicePrincipalCredential
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  char *tenant;
  char *client_id;
  char *secret;
  KvbClientAssertion *assertion;   /* a certificate instead of a secret */
  char *last_assertion;            /* the JWT of the request under way */

  GHashTable *cache;     /* "scope\ntenant" -> CacheEntry */
};

static void kvb_service_principal_credential_iface_init (KvbCredentialInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbServicePrincipalCredential, kvb_service_principal_credential,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KVB_TYPE_CREDENTIAL,
                                                      kvb_service_principal_credential_iface_init))

static void
kvb_service_principal_credential_finalize (GObject *object)
{
  KvbServicePrincipalCredential *self = (KvbServicePrincipalCredential *)object;

  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->secret, kvb_secret_string_free);
  g_clear_object (&self->assertion);
  g_clear_pointer (&self->last_assertion, kvb_secret_string_free);
  g_clear_pointer (&self->cache, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_service_principal_credential_parent_class)->finalize (object);
}

static void
kvb_service_principal_credential_class_init (KvbServicePrincipalCredentialClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_service_principal_credential_finalize;
}

static void
kvb_service_principal_credential_init (KvbServicePrincipalCredential *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)cache_entry_free);
}

static char *
cache_key (const char *scope,
           const char *tenant)
{
  return g_strconcat (scope, "\n", tenant, NULL);
}

typedef struct
{
  KvbServicePrincipalCredential *self;
  char *key;
} TokenRequest;

static void
token_request_free (TokenRequest *tr)
{
  g_clear_object (&tr->self);
  g_free (tr->key);
  g_free (tr);
}

static void
token_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  TokenRequest *tr = user_data;
  KvbServicePrincipalCredential *self = tr->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GPtrArray) waiters = NULL;
  CacheEntry *e = g_hash_table_lookup (self->cache, tr->key);

  answer = kvb_entra_client_request_token_finish (KVB_PIPELINE (source), result, &error);
  if (answer != NULL && kvb_json_get_string (answer, "access_token", NULL) == NULL)
    {
      g_clear_pointer (&answer, json_object_unref);
      g_set_error_literal (&error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                           _("Microsoft Entra ID answered without an access token."));
    }

  if (e == NULL)
    {
      token_request_free (tr);
      return;
    }
  waiters = g_steal_pointer (&e->waiters);

  if (answer != NULL)
    {
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      gint64 lifetime = kvb_entra_token_response_get_expires_in (answer);

      if (lifetime <= 0)
        lifetime = 3600;
      g_clear_pointer (&e->token, kvb_access_token_unref);
      e->token = kvb_access_token_new (kvb_json_get_string (answer, "access_token", NULL),
                                       now + lifetime);
      e->refresh_at = now + lifetime - MIN (REFRESH_MARGIN_SECONDS, lifetime / 2);
      g_debug ("Service principal token obtained, valid for %" G_GINT64_FORMAT " s", lifetime);

      /* The answer holds the token text too: wipe it before json-glib frees it. */
      {
        JsonNode *node = json_object_get_member (answer, "access_token");
        char *text = (char *)json_node_get_string (node);

        if (text != NULL)
          memset (text, 0, strlen (text));
      }
    }

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = waiters->pdata[i];

      if (answer != NULL)
        g_task_return_pointer (task, kvb_access_token_ref (e->token),
                               (GDestroyNotify)kvb_access_token_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }

  token_request_free (tr);
}

/* Adds the client's proof of identity to the token request. */
static void
add_client_auth (KvbServicePrincipalCredential *self,
                 GHashTable                    *form,
                 const char                    *tenant)
{
  if (self->assertion != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (tenant, NULL, FALSE);
      g_autofree char *aud = g_strdup_printf ("%s/%s/oauth2/v2.0/token",
                                              kvb_cloud_get_authority_host (self->cloud), escaped);
      g_autoptr(GError) error = NULL;

      /* A fresh, short-lived assertion for each request; the form only borrows it. */
      g_clear_pointer (&self->last_assertion, kvb_secret_string_free);
      self->last_assertion = kvb_client_assertion_create (self->assertion, self->client_id, aud,
                                                          &error);
      if (self->last_assertion == NULL)
        {
          g_debug ("%s", error->message);
          return;
        }
      g_hash_table_insert (form, (char *)"client_assertion_type",
                           (char *)"urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      g_hash_table_insert (form, (char *)"client_assertion", self->last_assertion);
      return;
    }

  g_hash_table_insert (form, (char *)"client_secret", self->secret);
}

static void
kvb_service_principal_credential_get_token_async (KvbCredential       *credential,
                                                  const char          *scope,
                                                  const char          *tenant,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  KvbServicePrincipalCredential *self = KVB_SERVICE_PRINCIPAL_CREDENTIAL (credential);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *key = NULL;
  TokenRequest *tr;
  CacheEntry *e;

  g_task_set_source_tag (task, kvb_service_principal_credential_get_token_async);

  if (tenant == NULL || *tenant == '\0')
    tenant = self->tenant;
  key = cache_key (scope, tenant);

  e = g_hash_table_lookup (self->cache, key);
  if (e == NULL)
    {
      e = g_new0 (CacheEntry, 1);
      g_hash_table_insert (self->cache, g_strdup (key), e);
    }

  if (e->token != NULL && g_get_real_time () / G_USEC_PER_SEC < e->refresh_at)
    {
      g_task_return_pointer (task, kvb_access_token_ref (e->token),
                             (GDestroyNotify)kvb_access_token_unref);
      return;
    }

  /* One request per (scope, tenant) at a time: a bulk job asks for the same token dozens of
   * times at once. */
  if (e->waiters != NULL)
    {
      g_ptr_array_add (e->waiters, g_steal_pointer (&task));
      return;
    }
  e->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (e->waiters, g_steal_pointer (&task));

  form = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (form, (char *)"grant_type", (char *)"client_credentials");
  g_hash_table_insert (form, (char *)"client_id", self->client_id);
  g_hash_table_insert (form, (char *)"scope", (char *)scope);
  add_client_auth (self, form, tenant);

  tr = g_new0 (TokenRequest, 1);
  tr->self = g_object_ref (self);
  tr->key = g_steal_pointer (&key);

  /* Not tied to one caller's cancellable: other callers may wait for the same token. */
  kvb_entra_client_request_token_async (self->pipeline, self->cloud, tenant, form, NULL,
                                        token_cb, tr);
}

static KvbAccessToken *
kvb_service_principal_credential_get_token_finish (KvbCredential  *credential,
                                                   GAsyncResult   *result,
                                                   GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kvb_service_principal_credential_invalidate (KvbCredential *credential,
                                             const char    *scope,
                                             const char    *tenant)
{
  KvbServicePrincipalCredential *self = KVB_SERVICE_PRINCIPAL_CREDENTIAL (credential);
  g_autofree char *key = NULL;
  CacheEntry *e;

  if (scope == NULL)
    {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, self->cache);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&e))
        g_clear_pointer (&e->token, kvb_access_token_unref);
      return;
    }

  key = cache_key (scope, tenant != NULL && *tenant ? tenant : self->tenant);
  e = g_hash_table_lookup (self->cache, key);
  if (e != NULL)
    g_clear_pointer (&e->token, kvb_access_token_unref);
}

static void
kvb_service_principal_credential_iface_init (KvbCredentialInterface *iface)
{
  iface->get_token_async = kvb_service_principal_credential_get_token_async;
  iface->get_token_finish = kvb_service_principal_credential_get_token_finish;
  iface->invalidate = kvb_service_principal_credential_invalidate;
}

KvbServicePrincipalCredential *
kvb_service_principal_credential_new_with_secret (KvbPipeline *pipeline,
                                                  KvbCloud    *cloud,
                                                  const char  *tenant,
                                                  const char  *client_id,
                                                  const char  *secret)
{
  KvbServicePrincipalCredential *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (tenant != NULL && client_id != NULL && secret != NULL, NULL);

  self = g_object_new (KVB_TYPE_SERVICE_PRINCIPAL_CREDENTIAL, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->tenant = g_strdup (tenant);
  self->client_id = g_strdup (client_id);
  self->secret = g_strdup (secret);

  return self;
}

KvbServicePrincipalCredential *
kvb_service_principal_credential_new_from_environment (KvbPipeline  *pipeline,
                                                       KvbCloud     *cloud,
                                                       GError      **error)
{
  const char *tenant = g_getenv ("AZURE_TENANT_ID");
  const char *client_id = g_getenv ("AZURE_CLIENT_ID");
  const char *secret = g_getenv ("AZURE_CLIENT_SECRET");

  if (tenant != NULL && *tenant == '\0')
    tenant = NULL;
  if (client_id != NULL && *client_id == '\0')
    client_id = NULL;
  if (secret != NULL && *secret == '\0')
    secret = NULL;

  if (tenant == NULL && client_id == NULL && secret == NULL)
    return NULL;

  /* A certificate instead of a secret. */
  if (secret == NULL && tenant != NULL && client_id != NULL &&
      g_getenv ("AZURE_CLIENT_CERTIFICATE_PATH") != NULL &&
      *g_getenv ("AZURE_CLIENT_CERTIFICATE_PATH") != '\0')
    return kvb_service_principal_credential_new_with_certificate (pipeline, cloud, tenant, client_id,
                                                                  g_getenv ("AZURE_CLIENT_CERTIFICATE_PATH"),
                                                                  error);

  if (tenant == NULL || client_id == NULL || secret == NULL)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("A service principal from the environment needs AZURE_TENANT_ID, "
                     "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; %s is not set."),
                   tenant == NULL ? "AZURE_TENANT_ID"
                   : client_id == NULL ? "AZURE_CLIENT_ID" : "AZURE_CLIENT_SECRET");
      return NULL;
    }

  return kvb_service_principal_credential_new_with_secret (pipeline, cloud, tenant, client_id,
                                                           secret);
}

KvbServicePrincipalCredential *
kvb_service_principal_credential_new_with_certificate (KvbPipeline  *pipeline,
                                                       KvbCloud     *cloud,
                                                       const char   *tenant,
                                                       const char   *client_id,
                                                       const char   *pem_path,
                                                       GError      **error)
{
  g_autoptr(KvbClientAssertion) assertion = NULL;
  KvbServicePrincipalCredential *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (tenant != NULL && client_id != NULL && pem_path != NULL, NULL);

  assertion = kvb_client_assertion_new_from_file (pem_path, error);
  if (assertion == NULL)
    return NULL;

  self = g_object_new (KVB_TYPE_SERVICE_PRINCIPAL_CREDENTIAL, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->tenant = g_strdup (tenant);
  self->client_id = g_strdup (client_id);
  self->assertion = g_steal_pointer (&assertion);

  return self;
}

const char *
kvb_service_principal_credential_get_tenant (KvbServicePrincipalCredential *self)
{
  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_CREDENTIAL (self), NULL);
  return self->tenant;
}

const char *
kvb_service_principal_credential_get_client_id (KvbServicePrincipalCredential *self)
{
  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_CREDENTIAL (self), NULL);
  return self->client_id;
}
