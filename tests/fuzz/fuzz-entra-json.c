/* fuzz-entra-json.c: the answers of Microsoft Entra ID: token responses (with their ID token),
 * device-code responses and error bodies.  The input is the body, read as the answer of a few
 * statuses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kvb-cloud.h"
#include "kvb-device-code-flow.h"
#include "kvb-entra-client-private.h"
#include "kvb-fuzz.h"
#include "kvb-sign-in-private.h"

static KvbPipeline *pipeline;
static KvbCloud *cloud;

static const guint statuses[] = { 200, 400, 401, 500 };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  pipeline = kvb_pipeline_new ();
  cloud = kvb_cloud_new_public ();
  return 0;
}

static void
read_success (JsonObject *response)
{
  g_autoptr(KvbDeviceCodeFlow) flow = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  kvb_entra_token_response_get_expires_in (response);

  credential = kvb_sign_in_credential_from_response (pipeline, cloud, "public", "client",
                                                     "organizations", response, &error);
  g_assert_true ((credential != NULL) != (error != NULL));
  g_clear_error (&error);

  flow = kvb_device_code_flow_new (pipeline, cloud, NULL, "client", "organizations");
  if (_kvb_device_code_flow_read_start (flow, response, &error))
    {
      g_assert_nonnull (kvb_device_code_flow_get_user_code (flow));
      g_assert_nonnull (kvb_device_code_flow_get_message (flow));
      g_assert_cmpuint (kvb_device_code_flow_get_interval (flow), >=, 1);
      g_assert_cmpuint (kvb_device_code_flow_get_interval (flow), <=, 60);
    }
  else
    g_assert_nonnull (error);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) answer = g_bytes_new (data, size);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) response = _kvb_entra_client_read_answer (statuses[i], answer, &error);

      g_assert_true ((response != NULL) != (error != NULL));
      if (response != NULL)
        {
          g_assert_cmpuint (statuses[i], ==, 200);
          read_success (response);
        }
      else
        kvb_entra_error_get_code (error);
    }

  return 0;
}
