/* test-throttle.c: ten seconds of work at twice the vault's limit ends with no failed call and
 * no 429, because the pacer keeps every request under the limit; without the pacer the same
 * stand-in does throttle.
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

/* The stand-in's limit for this test: 200 requests per 10 s per vault (20/s on average). */
#define LIMIT_REQUESTS 200
#define LIMIT_SECONDS 10
#define RUN_SECONDS 10
#define RATE_PER_SECOND (2 * LIMIT_REQUESTS / LIMIT_SECONDS)

typedef struct
{
  KvbKeyVaultClient *client;
  GCancellable *cancellable;
  guint started;
  guint finished;
  guint failed;
  guint target;
  GError *first_error;
} Load;

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_list_finish (KVB_KEYVAULT_CLIENT (source), result, &error))
    {
      load->failed++;
      if (load->first_error == NULL)
        load->first_error = g_error_copy (error);
    }
  load->finished++;
}

static gboolean
tick_cb (gpointer user_data)
{
  Load *load = user_data;

  if (load->started >= load->target)
    return G_SOURCE_REMOVE;

  load->started++;
  kvb_keyvault_client_list_async (load->client, KVB_OBJECT_KIND_SECRET, FALSE, NULL, NULL,
                                  load->cancellable, list_cb, load);
  return G_SOURCE_CONTINUE;
}

static guint
count_status (KvbTestEmulator *emu,
              guint            status)
{
  g_autoptr(JsonNode) log = kvb_test_emulator_control (emu, "GET", "/_emulator/requests", NULL, NULL);
  JsonArray *entries = json_node_get_array (log);
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);

      if (strstr (json_object_get_string_member (e, "host"), "vault.") != NULL &&
          json_object_get_int_member (e, "status") == status)
        n++;
    }
  return n;
}

static KvbKeyVaultClient *
make_client (KvbTestEmulator *emu,
             KvbPipeline     *pipeline)
{
  g_autoptr(KvbCloud) cloud = kvb_test_emulator_new_cloud (emu);
  g_autoptr(KvbServicePrincipalCredential) cred = NULL;
  g_autoptr(GError) error = NULL;
  KvbKeyVaultClient *client;

  cred = kvb_service_principal_credential_new_with_secret (pipeline, cloud, emu->tenant,
                                                           emu->client_id, emu->client_secret);
  client = kvb_keyvault_client_new (pipeline, cloud, KVB_CREDENTIAL (cred), "contoso-dev-kv",
                                    &error);
  g_assert_no_error (error);
  return client;
}

static void
test_paced (void)
{
  const char *args[] = { "--throttle", G_STRINGIFY (LIMIT_REQUESTS) "/" G_STRINGIFY (LIMIT_SECONDS),
                         NULL };
  g_autoptr(KvbTestEmulator) emu = kvb_test_emulator_start_or_skip (args);
  g_autoptr(KvbPipeline) pipeline = NULL;
  Load load = { 0 };
  gint64 start;
  gboolean done = FALSE;

  if (emu == NULL)
    return;

  pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_vault_rate_limit (pipeline, LIMIT_REQUESTS, LIMIT_SECONDS);
  load.client = make_client (emu, pipeline);
  load.target = RATE_PER_SECOND * RUN_SECONDS;

  /* The work arrives at twice the limit for ten seconds; the pacer holds it back. */
  start = g_get_monotonic_time ();
  g_timeout_add (1000 / RATE_PER_SECOND, tick_cb, &load);
  while (load.finished < load.target)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 120 * G_USEC_PER_SEC);
    }
  done = TRUE;
  kvb_test_wait (&done, 1);

  g_test_message ("%u calls at %u/s against a limit of %u per %u s: %u failed, %u retries, "
                  "%u answers 429, finished after %.1f s",
                  load.target, RATE_PER_SECOND, LIMIT_REQUESTS, LIMIT_SECONDS, load.failed,
                  kvb_pipeline_get_n_retries (pipeline), count_status (emu, 429),
                  (g_get_monotonic_time () - start) / 1e6);
  if (load.first_error != NULL)
    g_error ("a call failed: %s", load.first_error->message);
  g_assert_cmpuint (load.failed, ==, 0);
  g_assert_cmpuint (count_status (emu, 429), ==, 0);
  g_assert_cmpuint (kvb_pipeline_get_n_retries (pipeline), ==, 0);
  g_clear_object (&load.client);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  KvbTestEmulator *emu;
  GCancellable *cancellable;
} Watch429;

static gboolean
watch_429_cb (gpointer user_data)
{
  Watch429 *watch = user_data;

  /* Both sources are removed by the test itself. */
  if (!g_cancellable_is_cancelled (watch->cancellable) && count_status (watch->emu, 429) > 0)
    g_cancellable_cancel (watch->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
test_unpaced_control (void)
{
  const char *args[] = { "--throttle", "20/10", NULL };
  g_autoptr(KvbTestEmulator) emu = kvb_test_emulator_start_or_skip (args);
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Load load = { 0 };
  Watch429 watch = { 0 };
  guint watch_id, limit_id;

  if (emu == NULL)
    return;

  /* The pacer left at the real service's limit: the stand-in's low limit does bite. */
  pipeline = kvb_pipeline_new ();
  load.client = make_client (emu, pipeline);
  load.cancellable = cancellable;
  load.target = 60;
  for (guint i = 0; i < load.target; i++)
    tick_cb (&load);
  /* Stopped once the stand-in has answered 429 (the retries would sit out its Retry-After),
   * or after a minute, however loaded the machine: the calls must get there first. */
  watch.emu = emu;
  watch.cancellable = cancellable;
  watch_id = g_timeout_add (200, watch_429_cb, &watch);
  limit_id = g_timeout_add (60000, cancel_cb, cancellable);
  while (load.finished < load.target)
    g_main_context_iteration (NULL, TRUE);
  g_clear_handle_id (&limit_id, g_source_remove);
  g_clear_handle_id (&watch_id, g_source_remove);

  g_assert_cmpuint (count_status (emu, 429), >, 0);
  g_clear_error (&load.first_error);
  g_clear_object (&load.client);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/throttle/paced-at-twice-the-limit", test_paced);
  g_test_add_func ("/throttle/unpaced-control", test_unpaced_control);

  return g_test_run ();
}
