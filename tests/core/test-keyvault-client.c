/* test-keyvault-client.c: every Key Vault operation against the stand-in, addressed directly
 * (sample-cloud profile) and through its CONNECT proxy (public-cloud profile, real host names).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kvb-error.h"
#include "kvb-keyvault-client.h"
#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"
#include "kvb-test-server.h"
#include "kvb-test-sync.h"

typedef struct
{
  KvbTestEmulator *emu;
  KvbCloud *cloud;
  KvbPipeline *pipeline;
  KvbCredential *cred;
  gboolean proxied;
} Env;

static void
env_setup (Env           *env,
           gconstpointer  data)
{
  gboolean proxied = GPOINTER_TO_INT (data);

  env->emu = kvb_test_emulator_start_or_skip (NULL);
  if (env->emu == NULL)
    return;

  env->proxied = proxied;
  if (proxied)
    {
      /* The production profile with its real host names, through the stand-in's proxy, trusting
       * its CA the way one would with any TLS-inspecting proxy. */
      g_setenv ("https_proxy", env->emu->proxy, TRUE);
      g_setenv ("SSL_CERT_FILE", env->emu->ca, TRUE);
      g_unsetenv ("no_proxy");
      g_unsetenv ("NO_PROXY");
      env->cloud = kvb_cloud_new_public ();
    }
  else
    {
      g_unsetenv ("https_proxy");
      g_unsetenv ("HTTPS_PROXY");
      g_unsetenv ("all_proxy");
      g_unsetenv ("ALL_PROXY");
      env->cloud = kvb_test_emulator_new_cloud (env->emu);
    }

  env->pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (env->pipeline, 50);
  env->cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      env->pipeline, env->cloud, env->emu->tenant, env->emu->client_id, env->emu->client_secret));
}

static void
env_teardown (Env           *env,
              gconstpointer  data)
{
  g_clear_object (&env->cred);
  g_clear_object (&env->pipeline);
  g_clear_object (&env->cloud);
  g_clear_pointer (&env->emu, kvb_test_emulator_stop);
  g_unsetenv ("https_proxy");
  g_unsetenv ("SSL_CERT_FILE");
}

static KvbKeyVaultClient *
env_client (Env        *env,
            const char *vault)
{
  g_autoptr(GError) error = NULL;
  KvbKeyVaultClient *client;

  client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, vault, &error);
  g_assert_no_error (error);
  if (env->proxied)
    {
      g_autofree char *expected = g_strdup_printf ("https://%s.vault.azure.net/", vault);
      g_assert_cmpstr (kvb_keyvault_client_get_vault_url (client), ==, expected);
    }

  return client;
}

static void
put_secret (Env               *env,
            KvbKeyVaultClient *client,
            const char        *name,
            const char        *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("secrets/%s?api-version=7.6", name);
  g_autofree char *json = g_strdup_printf ("{\"value\":\"%s\"}", value);
  guint status;

  status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                         kvb_keyvault_client_get_vault_url (client), "PUT", path, json, NULL,
                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
}

static void
create_key (Env               *env,
            KvbKeyVaultClient *client,
            const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("keys/%s/create?api-version=7.6", name);
  guint status;

  status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                         kvb_keyvault_client_get_vault_url (client), "POST", path,
                         "{\"kty\":\"EC\",\"crv\":\"P-256\"}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
}

static gboolean
has_name (GPtrArray  *items,
          const char *name)
{
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (kvb_object_info_get_name (items->pdata[i]), name) == 0)
      return TRUE;
  return FALSE;
}

/* Several pages, all delivered, each ≤ 25, the end only at a null nextLink. */
static void
test_list_paging (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  guint n_pages = 0;

  if (env->emu == NULL)
    return;
  client = env_client (env, "contoso-paging-kv");

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *name = g_strdup_printf ("paged-%02u", i);
      put_secret (env, client, name, "v");
    }

  items = kvb_test_list (client, KVB_OBJECT_KIND_SECRET, FALSE, &n_pages, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_pages, >=, 3);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *name = g_strdup_printf ("paged-%02u", i);
      g_assert_true (has_name (items, name));
    }
  for (guint i = 0; i < items->len; i++)
    {
      g_assert_false (kvb_object_info_get_deleted (items->pdata[i]));
      g_assert_null (kvb_object_info_get_version (items->pdata[i]));
    }
}

static void
test_versions_and_properties (Env           *env,
                              gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (env->emu == NULL)
    return;
  client = env_client (env, "contoso-dev-kv");

  put_secret (env, client, "versioned", "one");
  put_secret (env, client, "versioned", "two");
  put_secret (env, client, "versioned", "three");

  versions = kvb_test_list_versions (client, KVB_OBJECT_KIND_SECRET, "versioned", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 3);
  for (guint i = 0; i < versions->len; i++)
    {
      g_assert_cmpstr (kvb_object_info_get_name (versions->pdata[i]), ==, "versioned");
      g_assert_nonnull (kvb_object_info_get_version (versions->pdata[i]));
    }

  info = kvb_test_get (client, KVB_OBJECT_KIND_SECRET, "versioned", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (info), ==, "versioned");
  g_assert_nonnull (kvb_object_info_get_version (info));
  g_assert_true (kvb_object_info_get_enabled (info));
  g_assert_cmpint (kvb_object_info_get_created (info), >, 1600000000);
}

/* Backup, delete, purge, wait, restore: the name comes back with its versions. */
static void
round_trip (Env           *env,
            KvbKeyVaultClient *client,
            KvbObjectKind  kind,
            const char    *name,
            const char    *header)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(KvbObjectInfo) deleted = NULL;
  g_autoptr(KvbObjectInfo) restored = NULL;
  g_autoptr(KvbObjectInfo) again = NULL;
  g_autoptr(GPtrArray) deleted_list = NULL;
  gsize size;
  const char *data;

  blob = kvb_test_backup (client, kind, name, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (blob, &size);
  g_assert_cmpuint (size, >, strlen (header) + 1);
  g_assert_cmpint (data[0], ==, (char)strlen (header));
  g_assert_true (memcmp (data + 1, header, strlen (header)) == 0);

  deleted = kvb_test_delete (client, kind, name, &error);
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (client, kind, name, KVB_USABLE_AFTER_DELETE, &error));
  g_assert_no_error (error);

  deleted_list = kvb_test_list (client, kind, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_name (deleted_list, name));
  for (guint i = 0; i < deleted_list->len; i++)
    if (g_strcmp0 (kvb_object_info_get_name (deleted_list->pdata[i]), name) == 0)
      {
        g_assert_true (kvb_object_info_get_deleted (deleted_list->pdata[i]));
        g_assert_nonnull (kvb_object_info_get_recovery_id (deleted_list->pdata[i]));
        g_assert_cmpint (kvb_object_info_get_deleted_date (deleted_list->pdata[i]), >, 0);
        g_assert_cmpint (kvb_object_info_get_scheduled_purge_date (deleted_list->pdata[i]), >,
                         kvb_object_info_get_deleted_date (deleted_list->pdata[i]));
      }

  /* Restoring onto the soft-deleted name: the user is told to recover or purge. */
  restored = kvb_test_restore (client, kind, blob, &error);
  g_assert_null (restored);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_DELETED);
  g_assert_cmpstr (kvb_error_get_service_code (error), ==, "ObjectIsDeletedButRecoverable");
  g_assert_nonnull (strstr (error->message, name));
  g_clear_error (&error);

  g_assert_true (kvb_test_purge (client, kind, name, &error));
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (client, kind, name, KVB_USABLE_AFTER_PURGE, &error));
  g_assert_no_error (error);

  /* The restore waits out the end of the purge by itself. */
  restored = kvb_test_restore (client, kind, blob, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (restored), ==, name);

  again = kvb_test_get (client, kind, name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (again), ==, name);

  /* A second restore of the same blob finds the name in use. */
  g_clear_object (&restored);
  restored = kvb_test_restore (client, kind, blob, &error);
  g_assert_null (restored);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  g_clear_error (&error);
}

static void
test_backup_restore (Env           *env,
                     gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;

  if (env->emu == NULL)
    return;
  client = env_client (env, "contoso-dev-kv");

  put_secret (env, client, "round-trip", "first");
  put_secret (env, client, "round-trip", "second");
  round_trip (env, client, KVB_OBJECT_KIND_SECRET, "round-trip",
              "AzureKeyVaultSecretBackupV1.microsoft.com");

  create_key (env, client, "round-trip-key");
  round_trip (env, client, KVB_OBJECT_KIND_KEY, "round-trip-key",
              "AzureKeyVaultKeyBackupV1.microsoft.com");
}

static void
test_recover (Env           *env,
              gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(KvbObjectInfo) deleted = NULL;
  g_autoptr(KvbObjectInfo) got_deleted = NULL;
  g_autoptr(KvbObjectInfo) recovered = NULL;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (env->emu == NULL)
    return;
  client = env_client (env, "contoso-dev-kv");

  put_secret (env, client, "to-recover", "x");
  deleted = kvb_test_delete (client, KVB_OBJECT_KIND_SECRET, "to-recover", &error);
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (client, KVB_OBJECT_KIND_SECRET, "to-recover",
                                       KVB_USABLE_AFTER_DELETE, &error));
  got_deleted = kvb_test_get_deleted (client, KVB_OBJECT_KIND_SECRET, "to-recover", &error);
  g_assert_no_error (error);
  g_assert_true (kvb_object_info_get_deleted (got_deleted));

  recovered = kvb_test_recover (client, KVB_OBJECT_KIND_SECRET, "to-recover", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_object_info_get_name (recovered), ==, "to-recover");
  g_assert_true (kvb_test_wait_usable (client, KVB_OBJECT_KIND_SECRET, "to-recover",
                                       KVB_USABLE_AFTER_RECOVER, &error));
  g_assert_no_error (error);
  info = kvb_test_get (client, KVB_OBJECT_KIND_SECRET, "to-recover", &error);
  g_assert_no_error (error);

  /* Nothing deleted by that name any more. */
  g_assert_null (kvb_test_recover (client, KVB_OBJECT_KIND_SECRET, "to-recover", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_NOT_FOUND);
}

static void
test_errors (Env           *env,
             gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) dev = NULL;
  g_autoptr(KvbKeyVaultClient) limited = NULL;
  g_autoptr(KvbKeyVaultClient) app = NULL;
  g_autoptr(KvbKeyVaultClient) prod = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) garbage = NULL;
  g_autoptr(GError) error = NULL;
  KvbObjectInfo *info;

  if (env->emu == NULL)
    return;
  dev = env_client (env, "contoso-dev-kv");
  limited = env_client (env, "contoso-dev-limited-kv");
  app = env_client (env, "contoso-app-kv");
  prod = env_client (env, "contoso-prod-kv");

  /* Not found. */
  g_assert_null (kvb_test_backup (dev, KVB_OBJECT_KIND_SECRET, "no-such-secret", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-secret"));
  g_clear_error (&error);

  /* RBAC: the identity lacks secrets/backup there; the role to ask for is named. */
  put_secret (env, limited, "limited", "x");
  g_assert_null (kvb_test_backup (limited, KVB_OBJECT_KIND_SECRET, "limited", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC);
  g_assert_nonnull (strstr (error->message, "Key Vault Secrets Officer"));
  g_clear_error (&error);

  /* Access policy: no keys/backup there; the permission to add is named. */
  create_key (env, app, "policy-key");
  g_assert_null (kvb_test_backup (app, KVB_OBJECT_KIND_KEY, "policy-key", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_POLICY);
  g_assert_nonnull (strstr (error->message, "Backup"));
  g_clear_error (&error);

  /* A blob that is not a Key Vault backup. */
  garbage = g_bytes_new_static ("\x29" "AzureKeyVaultSecretBackupV1.microsoft.com" "eyJub3QiOiJ2YWxpZCJ9.a.b.c.d",
                                70);
  g_assert_null (kvb_test_restore (dev, KVB_OBJECT_KIND_SECRET, garbage, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_MALFORMED_BLOB);
  g_clear_error (&error);

  /* A blob from another subscription. */
  put_secret (env, dev, "elsewhere", "x");
  blob = kvb_test_backup (dev, KVB_OBJECT_KIND_SECRET, "elsewhere", &error);
  g_assert_no_error (error);
  g_assert_null (kvb_test_restore (app, KVB_OBJECT_KIND_SECRET, blob, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE);
  g_assert_nonnull (strstr (error->message, "subscription"));
  g_clear_error (&error);

  /* Purge protection. */
  put_secret (env, prod, "protected", "x");
  info = kvb_test_delete (prod, KVB_OBJECT_KIND_SECRET, "protected", &error);
  g_assert_no_error (error);
  g_clear_object (&info);
  g_assert_true (kvb_test_wait_usable (prod, KVB_OBJECT_KIND_SECRET, "protected",
                                       KVB_USABLE_AFTER_DELETE, &error));
  g_assert_false (kvb_test_purge (prod, KVB_OBJECT_KIND_SECRET, "protected", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "purge protection"));
  g_clear_error (&error);

  /* More than 500 versions. */
  for (guint i = 0; i < 501; i++)
    put_secret (env, dev, "many-versions", "x");
  g_assert_null (kvb_test_backup (dev, KVB_OBJECT_KIND_SECRET, "many-versions", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_TOO_MANY_VERSIONS);
  g_clear_error (&error);

  /* A name that could escape the path is refused before any request. */
  g_assert_null (kvb_test_backup (dev, KVB_OBJECT_KIND_SECRET, "../keys/x", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
}

/* A certificate: its key and secret are listed as managed, refused on their own with a message
 * that names the certificate, and the certificate itself goes through backup and restore. */
static void
test_certificate (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GPtrArray) secrets = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbObjectInfo) cert = NULL;
  gboolean managed_seen = FALSE;
  guint status;

  if (env->emu == NULL)
    return;
  client = env_client (env, "contoso-dev-kv");

  status = kvb_test_raw (env->pipeline, env->cloud, env->cred,
                         kvb_keyvault_client_get_vault_url (client), "POST",
                         "certificates/web-cert/create?api-version=7.6",
                         "{\"policy\":{\"issuer\":{\"name\":\"Self\"},"
                         "\"x509_props\":{\"subject\":\"CN=web.contoso.example\"},"
                         "\"key_props\":{\"kty\":\"RSA\",\"key_size\":2048}}}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 202);

  /* Issuing takes a moment. */
  for (guint i = 0; i < 60 && cert == NULL; i++)
    {
      g_clear_error (&error);
      cert = kvb_test_get (client, KVB_OBJECT_KIND_CERTIFICATE, "web-cert", &error);
      if (cert == NULL)
        g_usleep (250 * 1000);
    }
  g_assert_no_error (error);

  secrets = kvb_test_list (client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < secrets->len; i++)
    if (g_strcmp0 (kvb_object_info_get_name (secrets->pdata[i]), "web-cert") == 0)
      managed_seen = kvb_object_info_get_managed (secrets->pdata[i]);
  g_assert_true (managed_seen);

  g_assert_null (kvb_test_backup (client, KVB_OBJECT_KIND_SECRET, "web-cert", &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "certificate “web-cert”"));
  g_clear_error (&error);

  round_trip (env, client, KVB_OBJECT_KIND_CERTIFICATE, "web-cert",
              "AzureKeyVaultKeyBackupV1.microsoft.com");
}

/* Every request carried our api-version, including the pages after the first. */
static void
test_api_version (Env           *env,
                  gconstpointer  data)
{
  g_autoptr(JsonNode) log = NULL;
  JsonArray *entries;
  guint n_keyvault = 0;

  if (env->emu == NULL)
    return;

  test_list_paging (env, data);

  log = kvb_test_emulator_control (env->emu, "GET", "/_emulator/requests", NULL, NULL);
  g_assert_nonnull (log);
  entries = json_node_get_array (log);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      const char *host = json_object_get_string_member (e, "host");
      JsonObject *query = json_object_get_object_member (e, "query");

      if (strstr (host, "vault.") == NULL)
        continue;
      n_keyvault++;
      g_assert_cmpstr (json_object_get_string_member (query, "api-version"), ==, "7.6");
    }
  g_assert_cmpuint (n_keyvault, >, 60);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint p = 0; p < 2; p++)
    {
      const char *prefix = p == 0 ? "/keyvault/direct" : "/keyvault/proxy";
      g_autofree char *paging = g_strconcat (prefix, "/list-paging", NULL);
      g_autofree char *versions = g_strconcat (prefix, "/versions-properties", NULL);
      g_autofree char *backup = g_strconcat (prefix, "/backup-restore", NULL);
      g_autofree char *recover = g_strconcat (prefix, "/recover", NULL);
      g_autofree char *errors = g_strconcat (prefix, "/errors", NULL);
      g_autofree char *api = g_strconcat (prefix, "/api-version", NULL);
      g_autofree char *certificate = g_strconcat (prefix, "/certificate", NULL);
      gconstpointer data = GINT_TO_POINTER (p);

      g_test_add (paging, Env, data, env_setup, test_list_paging, env_teardown);
      g_test_add (versions, Env, data, env_setup, test_versions_and_properties, env_teardown);
      g_test_add (backup, Env, data, env_setup, test_backup_restore, env_teardown);
      g_test_add (recover, Env, data, env_setup, test_recover, env_teardown);
      g_test_add (errors, Env, data, env_setup, test_errors, env_teardown);
      g_test_add (api, Env, data, env_setup, test_api_version, env_teardown);
      g_test_add (certificate, Env, data, env_setup, test_certificate, env_teardown);
    }

  return g_test_run ();
}
