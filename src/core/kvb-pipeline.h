/* kvb-pipeline.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"

G_BEGIN_DECLS

/**
 * KvbRequestFlags:
 * @KVB_REQUEST_KEYVAULT: a Key Vault data-plane call: the URL must be a vault of the cloud, auth
 *   goes through the vault's 401 challenge, and the call is paced per vault.
 * @KVB_REQUEST_ARM: a Resource Manager call: bearer token for the cloud's Resource Manager scope;
 *   the URL must be under the cloud's Resource Manager endpoint.
 * @KVB_REQUEST_RETRY_SAFE: sending the request twice does no harm (GET, list, backup, purge, …),
 *   so it is re-sent after 429, 5xx and dropped connections.  Without it only 429 (which the
 *   service answers before doing anything) is retried.
 * @KVB_REQUEST_RETRY_AMBIGUOUS: not idempotent, but the caller can tell afterwards whether an
 *   earlier attempt went through (restore): retried like a safe request, and
 *   kvb_pipeline_send_finish() reports that an earlier attempt may have been carried out.
 */
typedef enum
{
  KVB_REQUEST_NONE            = 0,
  KVB_REQUEST_KEYVAULT        = 1 << 0,
  KVB_REQUEST_ARM             = 1 << 1,
  KVB_REQUEST_RETRY_SAFE      = 1 << 2,
  KVB_REQUEST_RETRY_AMBIGUOUS = 1 << 3,
} KvbRequestFlags;

/* Timeouts for one attempt of a call, in seconds.  A backup of an object with hundreds of
 * versions takes minutes on the real service. */
#define KVB_TIMEOUT_SHORT   60
#define KVB_TIMEOUT_LONG   600

/* The real per-vault limit: 4,000 requests per 10 seconds. */
#define KVB_VAULT_RATE_LIMIT_REQUESTS 4000
#define KVB_VAULT_RATE_LIMIT_SECONDS    10

#define KVB_TYPE_PIPELINE (kvb_pipeline_get_type ())

G_DECLARE_FINAL_TYPE (KvbPipeline, kvb_pipeline, KVB, PIPELINE, GObject)

/* One per process: the window and kvbackup each create one and share it with every client. */
KvbPipeline *kvb_pipeline_new                (void);

/* The one SoupSession (for Entra ID calls and the like).  It trusts the system's CAs, the file
 * named by SSL_CERT_FILE and every CA added with kvb_pipeline_add_ca_file(). */
SoupSession *kvb_pipeline_get_session        (KvbPipeline         *self);

/* Trust an extra CA bundle (a cloud profile's CA file).  Adding the same file twice is harmless. */
gboolean     kvb_pipeline_add_ca_file        (KvbPipeline         *self,
                                              const char          *path,
                                              GError             **error);
/* Adds the CA file of @cloud, if it has one. */
gboolean     kvb_pipeline_add_cloud          (KvbPipeline         *self,
                                              KvbCloud            *cloud,
                                              GError             **error);

/* The per-vault limit the pacer keeps under (with headroom).  Default: the real service limit. */
void         kvb_pipeline_set_vault_rate_limit (KvbPipeline       *self,
                                                guint              requests,
                                                guint              seconds);

/* Retry schedule: the first back-off in milliseconds (default 1000; then doubled up to 32 times
 * the base, each with up to a quarter of jitter; a Retry-After of the service wins). */
void         kvb_pipeline_set_retry_base_ms  (KvbPipeline         *self,
                                              guint                base_ms);
/* How long one request keeps being retried, counted from its first try (default 180 s): no
 * retry starts later than that. */
void         kvb_pipeline_set_retry_budget_ms (KvbPipeline        *self,
                                              guint                budget_ms);

/**
 * kvb_pipeline_send_async:
 * @url: absolute URL (the api-version is the caller's business)
 * @body: (nullable): JSON request body
 * @timeout_seconds: per attempt; 0 for %KVB_TIMEOUT_SHORT
 *
 * Sends one Key Vault or Resource Manager request with auth, pacing and retries.  Transport
 * failures (network, TLS, timeout, challenge refused, token not obtained) are errors; any HTTP
 * answer, including 4xx and a 429 or 5xx left after the retries, is a result for the caller to
 * map (see kvb_pipeline_send_finish()).
 */
void         kvb_pipeline_send_async         (KvbPipeline         *self,
                                              KvbCloud            *cloud,
                                              KvbCredential       *credential,
                                              const char          *method,
                                              const char          *url,
                                              GBytes              *body,
                                              KvbRequestFlags      flags,
                                              guint                timeout_seconds,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* The same for a Resource Manager call with a token of @tenant (%NULL: the credential's home
 * tenant); finish with kvb_pipeline_send_finish(). */
void         kvb_pipeline_send_with_tenant_async (KvbPipeline     *self,
                                              KvbCloud            *cloud,
                                              KvbCredential       *credential,
                                              const char          *tenant,
                                              const char          *method,
                                              const char          *url,
                                              GBytes              *body,
                                              KvbRequestFlags      flags,
                                              guint                timeout_seconds,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/**
 * kvb_pipeline_send_finish:
 * @status: (out): the HTTP status of the last answer
 * @ambiguous: (out) (optional): set when an earlier attempt may have been carried out by the
 *   service: with %KVB_REQUEST_RETRY_AMBIGUOUS a dropped connection or 5xx before our retry, and
 *   for any request libsoup's own re-send of it after a kept-alive connection was found closed
 *
 * Returns: (transfer full) (nullable): the parsed JSON body of the answer, %NULL when it had
 *   none or it was not JSON (no error in that case).
 */
JsonNode    *kvb_pipeline_send_finish        (KvbPipeline         *self,
                                              GAsyncResult        *result,
                                              guint               *status,
                                              gboolean            *ambiguous,
                                              GError             **error);

/* Counters for tests and the debug log. */
guint        kvb_pipeline_get_n_requests     (KvbPipeline         *self);
guint        kvb_pipeline_get_n_retries      (KvbPipeline         *self);
/* 429 answers received (each waited out and sent again while the retry budget lasts): what a
 * long job shows as "throttled". */
guint        kvb_pipeline_get_n_throttled    (KvbPipeline         *self);

G_END_DECLS
