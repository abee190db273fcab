/* kvb-pipeline.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-pipeline"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-pipeline.h"
#include "kvb-pipeline-private.h"
#include "kvb-task-util.h"
#include "kvb-tls-database.h"

/* Retries of one request stop when the next one would start later than this after the first
 * try: a bad minute of a flaky network is survived, a vault that is down is reported. */
#define DEFAULT_RETRY_BUDGET_MS (180 * 1000)
/* The back-off doubles from the base up to 32 times the base (32 s by default). */
#define MAX_BACKOFF_DOUBLINGS 5
/* Nobody listening is rarely a blip: a wrong port or a stopped service.  It gets a shorter
 * budget (still long enough for a service that restarts). */
#define REFUSED_RETRY_BUDGET_MS (30 * 1000)

/* What a vault's 401 challenge told us, once checked. */
typedef struct
{
  char *scope;
  char *tenant;
} Challenge;

static void
challenge_free (Challenge *c)
{
  g_free (c->scope);
  g_free (c->tenant);
  g_free (c);
}

/* A per-vault pacer in the GCRA form of a token bucket: requests are spread at @interval with
 * a burst allowance of @tau.  Every request to the vault takes a slot, the challenge requests
 * and retries included, so that all concurrent work together stays under the service limit.
 * Waiting requests queue and the slot is decided when a request really leaves, not booked
 * ahead: a main loop that stalls for a second then lets out one burst's worth, not every
 * request whose booked time passed during the stall. */
typedef struct
{
  KvbPipeline *pipeline;
  gint64 tat;          /* theoretical arrival time, monotonic µs */
  GQueue waiting;      /* of Waiter, first come first served */
  GSource *timer;      /* wakes the queue when the head's slot comes */
} Pacer;

typedef struct
{
  GTask *task;
  GSource *cancel_source;  /* wakes the queue when the task is cancelled while it waits */
} Waiter;

static void
waiter_free (Waiter *w)
{
  if (w->cancel_source != NULL)
    {
      g_source_destroy (w->cancel_source);
      g_source_unref (w->cancel_source);
    }
  g_clear_object (&w->task);
  g_free (w);
}

static void
pacer_free (Pacer *p)
{
  if (p->timer != NULL)
    {
      g_source_destroy (p->timer);
      g_source_unref (p->timer);
    }
  g_queue_clear_full (&p->waiting, (GDestroyNotify)waiter_free);
  g_free (p);
}

struct _KvbPipeline
{
  GObject parent_instance;

  SoupSession *session;
  KvbTlsDatabase *tls_database;

  GHashTable *challenges;   /* "host:port" -> Challenge */
  GHashTable *pacers;       /* "host:port" -> Pacer */
  gint64 pacer_interval_us;
  gint64 pacer_tau_us;

  guint retry_base_ms;
  guint retry_budget_ms;
  guint n_requests;
  guint n_retries;
  guint n_throttled;
  gboolean proxy_credentials;   /* the environment's proxy address holds a user and password */
};

G_DEFINE_FINAL_TYPE (KvbPipeline, kvb_pipeline, G_TYPE_OBJECT)

static void
kvb_pipeline_finalize (GObject *object)
{
  KvbPipeline *self = (KvbPipeline *)object;

  g_clear_object (&self->session);
  g_clear_object (&self->tls_database);
  g_clear_pointer (&self->challenges, g_hash_table_unref);
  g_clear_pointer (&self->pacers, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_pipeline_parent_class)->finalize (object);
}

static void
kvb_pipeline_class_init (KvbPipelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_pipeline_finalize;
}

static void
kvb_pipeline_init (KvbPipeline *self)
{
  self->challenges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)challenge_free);
  self->pacers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)pacer_free);
  self->retry_base_ms = 1000;
  self->retry_budget_ms = DEFAULT_RETRY_BUDGET_MS;
  kvb_pipeline_set_vault_rate_limit (self, KVB_VAULT_RATE_LIMIT_REQUESTS,
                                     KVB_VAULT_RATE_LIMIT_SECONDS);
}

static const char *
getenv_either (const char *lower,
               const char *upper)
{
  const char *v = g_getenv (lower);

  if (v == NULL || *v == '\0')
    v = g_getenv (upper);
  return (v != NULL && *v != '\0') ? v : NULL;
}

/* GLib 2.74's default resolver follows the desktop's settings and may ignore https_proxy; the
 * environment wins when it names a proxy, as it does for az and curl. */
static GProxyResolver *
create_proxy_resolver (gboolean *credentials)
{
  const char *proxy = getenv_either ("https_proxy", "HTTPS_PROXY");
  const char *no_proxy = getenv_either ("no_proxy", "NO_PROXY");
  g_auto(GStrv) ignore = NULL;

  if (proxy == NULL)
    proxy = getenv_either ("all_proxy", "ALL_PROXY");
  if (proxy == NULL)
    return g_object_ref (g_proxy_resolver_get_default ());

  if (no_proxy != NULL)
    {
      ignore = g_strsplit (no_proxy, ",", -1);
      for (guint i = 0; ignore[i] != NULL; i++)
        g_strstrip (ignore[i]);
    }

  g_debug ("Using the proxy named by the environment");
  {
    g_autoptr(GUri) uri = g_uri_parse (proxy, G_URI_FLAGS_NONE, NULL);

    *credentials = uri != NULL && g_uri_get_user (uri) != NULL;
  }

  return g_simple_proxy_resolver_new (proxy, ignore);
}

static void
ensure_tls_database (KvbPipeline *self)
{
  const char *ssl_cert_file = g_getenv ("SSL_CERT_FILE");

  if (self->tls_database != NULL)
    return;

  self->tls_database = kvb_tls_database_new ();
  if (ssl_cert_file != NULL && *ssl_cert_file != '\0')
    {
      g_autoptr(GError) error = NULL;

      if (!kvb_tls_database_add_file (self->tls_database, ssl_cert_file, &error))
        g_warning ("SSL_CERT_FILE: %s", error->message);
    }
}

/* Made at the first request: reading the system's trusted certificates and the proxy settings
 * takes some 50 ms, which a window that opens on its welcome page need not spend before its
 * first frame. */
static void
ensure_session (KvbPipeline *self)
{
  g_autoptr(GProxyResolver) resolver = NULL;
  g_autofree char *user_agent = NULL;

  if (self->session != NULL)
    return;

  ensure_tls_database (self);
  resolver = create_proxy_resolver (&self->proxy_credentials);
  user_agent = g_strconcat ("KeyVaultBackup/", PACKAGE_VERSION, NULL);

  /* Keep-alive is libsoup's default; a bulk job runs a few dozen calls at once per vault.  At
   * the pacer's 380 requests/s and a 40 ms round trip some 16 requests are out at any time, so
   * a vault gets twice that many connections: a slow answer must not hold back the rest. */
  self->session = g_object_new (SOUP_TYPE_SESSION,
                                "max-conns", 96,
                                "max-conns-per-host", 32,
                                "user-agent", user_agent,
                                "tls-database", self->tls_database,
                                "proxy-resolver", resolver,
                                "idle-timeout", 60,
                                "timeout", 0,
                                NULL);
}

KvbPipeline *
kvb_pipeline_new (void)
{
  return g_object_new (KVB_TYPE_PIPELINE, NULL);
}

SoupSession *
kvb_pipeline_get_session (KvbPipeline *self)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), NULL);

  ensure_session (self);
  return self->session;
}

/* libsoup sends a message again by itself: after a kept-alive connection closed under it, and
 * after a proxy's 407 when the proxy address names a user and password.  When the proxy
 * refuses them, libsoup 3.2 tries again at once and without end, over a new connection each
 * time (a thousand times a second, enough to lock the account at the proxy). */
#define MAX_RESTARTS 8

typedef struct
{
  guint n;
  gboolean gave_up;
  GCancellable *attempt;
} Restarts;

static void
restarts_free (Restarts *x)
{
  g_clear_object (&x->attempt);
  g_free (x);
}

static gboolean
cancel_attempt_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
restart_counted_cb (SoupMessage *msg,
                    gpointer     user_data)
{
  Restarts *x = user_data;
  g_autoptr(GSource) source = NULL;

  if (x->gave_up || ++x->n <= MAX_RESTARTS)
    return;

  g_debug ("%s %s: restarted %u times, given up", soup_message_get_method (msg),
           g_uri_get_path (soup_message_get_uri (msg)), x->n);
  x->gave_up = TRUE;
  /* Not from within libsoup's own emission: from the main context, a moment later.  Before
   * anything else there: the restarts run on that context's I/O, which a proxy on the same
   * host keeps ready, and an idle of the default priority waited behind a dozen more of them. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, cancel_attempt_cb, g_object_ref (x->attempt), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
}

void
_kvb_pipeline_watch_restarts (SoupMessage  *msg,
                              GCancellable *attempt)
{
  Restarts *x = g_new0 (Restarts, 1);

  x->attempt = g_object_ref (attempt);
  g_object_set_data_full (G_OBJECT (msg), "kvb-restarts", x, (GDestroyNotify) restarts_free);
  g_signal_connect (msg, "restarted", G_CALLBACK (restart_counted_cb), x);
}

GError *
_kvb_pipeline_proxy_auth_error (void)
{
  return g_error_new_literal (KVB_ERROR, KVB_ERROR_NETWORK,
                              _("The proxy asks for a user name and password: give them in its "
                                "address, as in https_proxy=http://USER:PASSWORD@HOST:PORT."));
}

GError *
_kvb_pipeline_restart_error (KvbPipeline *self,
                             SoupMessage *msg)
{
  Restarts *x = g_object_get_data (G_OBJECT (msg), "kvb-restarts");

  if (x == NULL || !x->gave_up)
    return NULL;
  if (self->proxy_credentials)
    return g_error_new_literal (KVB_ERROR, KVB_ERROR_NETWORK,
                                _("The proxy refused the user name and password given in its "
                                  "address (https_proxy). Check them, then try again."));
  return g_error_new (KVB_ERROR, KVB_ERROR_NETWORK,
                      _("The request to %s was started over too many times. Check your network "
                        "connection, then try again."), g_uri_get_host (soup_message_get_uri (msg)));
}

gboolean
kvb_pipeline_add_ca_file (KvbPipeline  *self,
                          const char   *path,
                          GError      **error)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), FALSE);

  ensure_tls_database (self);
  return kvb_tls_database_add_file (self->tls_database, path, error);
}

gboolean
kvb_pipeline_add_cloud (KvbPipeline  *self,
                        KvbCloud     *cloud,
                        GError      **error)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), FALSE);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), FALSE);

  if (kvb_cloud_get_ca_file (cloud) == NULL)
    return TRUE;

  return kvb_pipeline_add_ca_file (self, kvb_cloud_get_ca_file (cloud), error);
}

void
kvb_pipeline_set_vault_rate_limit (KvbPipeline *self,
                                   guint        requests,
                                   guint        seconds)
{
  double allowed;

  g_return_if_fail (KVB_IS_PIPELINE (self));
  g_return_if_fail (requests > 0 && seconds > 0);

  /* Headroom: 95 % of the limit in steady state and a burst of 2.5 %, so that no window of
   * @seconds ever sees more than 97.5 % of @requests from us: about 100 requests of margin at
   * Key Vault's 4,000 per 10 s for the spread of the round trips (a window at the service
   * counts arrivals, ours counts departures).  A 429 all the same is retried after its
   * Retry-After, and the whole-vault jobs halve their concurrency. */
  allowed = MAX (1.0, requests * 0.95);
  self->pacer_interval_us = (gint64)(seconds * (double)G_USEC_PER_SEC / allowed);
  self->pacer_tau_us = (gint64)(MAX (0.0, requests * 0.025 - 1.0) * self->pacer_interval_us);
}

void
kvb_pipeline_set_retry_base_ms (KvbPipeline *self,
                                guint        base_ms)
{
  g_return_if_fail (KVB_IS_PIPELINE (self));

  self->retry_base_ms = MAX (1, base_ms);
}

void
kvb_pipeline_set_retry_budget_ms (KvbPipeline *self,
                                  guint        budget_ms)
{
  g_return_if_fail (KVB_IS_PIPELINE (self));

  self->retry_budget_ms = budget_ms;
}

guint
kvb_pipeline_get_n_requests (KvbPipeline *self)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), 0);
  return self->n_requests;
}

guint
kvb_pipeline_get_n_retries (KvbPipeline *self)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), 0);
  return self->n_retries;
}

guint
kvb_pipeline_get_n_throttled (KvbPipeline *self)
{
  g_return_val_if_fail (KVB_IS_PIPELINE (self), 0);
  return self->n_throttled;
}


/* ---- the WWW-Authenticate challenge ---- */

/* Parses `Bearer authorization="…", resource="…"` (also scope=, authorization_uri=, unquoted
 * values) into a table of lower-case names. */
static GHashTable *
parse_challenge_header (const char *header)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *p = header;

  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, "Bearer", 6) != 0)
    return params;
  p += 6;

  while (*p)
    {
      const char *name_start;
      g_autofree char *name = NULL;
      GString *value;

      while (*p == ',' || g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;

      name_start = p;
      while (*p && *p != '=' && *p != ',' && !g_ascii_isspace (*p))
        p++;
      name = g_ascii_strdown (name_start, p - name_start);
      while (g_ascii_isspace (*p))
        p++;
      if (*p != '=')
        continue;
      p++;
      while (g_ascii_isspace (*p))
        p++;

      value = g_string_new (NULL);
      if (*p == '"')
        {
          p++;
          while (*p && *p != '"')
            {
              if (*p == '\\' && p[1])
                p++;
              g_string_append_c (value, *p++);
            }
          if (*p == '"')
            p++;
        }
      else
        {
          while (*p && *p != ',' && !g_ascii_isspace (*p))
            g_string_append_c (value, *p++);
        }

      g_hash_table_replace (params, g_steal_pointer (&name), g_string_free (value, FALSE));
    }

  return params;
}

/* Checks a vault's challenge as the Azure SDKs do, and more strictly: the resource (or scope)
 * must be https://HOST with the vault host ending in "." + HOST, the authority must be the
 * cloud's, and only the tenant is taken from it.  A challenge that fails gets no token. */
static Challenge *
check_challenge (KvbCloud    *cloud,
                 GUri        *vault_uri,
                 const char  *header,
                 GError     **error)
{
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GUri) resource_uri = NULL;
  g_autoptr(GUri) authority_uri = NULL;
  g_autofree char *dot_host = NULL;
  g_autofree char *vault_host = NULL;
  g_auto(GStrv) segments = NULL;
  const char *resource, *scope, *authority;
  const char *tenant = NULL;
  Challenge *c;

  if (header == NULL)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                   _("The vault at %s asked for sign-in without saying how (no challenge). "
                     "No credentials were sent."), g_uri_get_host (vault_uri));
      return NULL;
    }

  params = parse_challenge_header (header);
  scope = g_hash_table_lookup (params, "scope");
  resource = g_hash_table_lookup (params, "resource");
  authority = g_hash_table_lookup (params, "authorization");
  if (authority == NULL)
    authority = g_hash_table_lookup (params, "authorization_uri");

  if (scope != NULL && *scope != '\0')
    resource_uri = g_uri_parse (scope, G_URI_FLAGS_NONE, NULL);
  else if (resource != NULL)
    resource_uri = g_uri_parse (resource, G_URI_FLAGS_NONE, NULL);

  vault_host = g_ascii_strdown (g_uri_get_host (vault_uri), -1);

  /* Nothing but https://HOST[/] (or HOST/.default for a scope): the token's scope is rebuilt
   * from the host alone, so that nothing else the vault wrote (user info, a port, a path, a
   * space that would add a scope of another service) reaches the authority. */
  if (resource_uri == NULL || g_strcmp0 (g_uri_get_scheme (resource_uri), "https") != 0 ||
      g_uri_get_host (resource_uri) == NULL || *g_uri_get_host (resource_uri) == '\0' ||
      g_uri_get_userinfo (resource_uri) != NULL ||
      (g_uri_get_port (resource_uri) != -1 && g_uri_get_port (resource_uri) != 443) ||
      g_uri_get_query (resource_uri) != NULL || g_uri_get_fragment (resource_uri) != NULL ||
      (*g_uri_get_path (resource_uri) != '\0' && strcmp (g_uri_get_path (resource_uri), "/") != 0 &&
       strcmp (g_uri_get_path (resource_uri), "/.default") != 0))
    {
      g_debug ("Challenge of %s has no usable resource or scope", vault_host);
      g_set_error (error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                   _("The vault at %s asked for a token without naming a valid resource. "
                     "No credentials were sent."), vault_host);
      return NULL;
    }

  dot_host = g_strconcat (".", g_uri_get_host (resource_uri), NULL);
  {
    g_autofree char *lower_dot_host = g_ascii_strdown (dot_host, -1);

    g_autofree char *resource_host = g_ascii_strdown (g_uri_get_host (resource_uri), -1);
    const char *suffix = kvb_cloud_get_keyvault_suffix (cloud);
    g_autofree char *dot_suffix = g_strconcat (".", suffix, NULL);

    /* Stricter than the SDKs: the resource must also be the cloud's vault domain (or under it),
     * so that a parent domain such as "azure.net" is not accepted either. */
    if (!g_str_has_suffix (vault_host, lower_dot_host) ||
        !kvb_cloud_is_vault_host (cloud, vault_host) ||
        (g_ascii_strcasecmp (resource_host, suffix) != 0 &&
         !g_str_has_suffix (resource_host, dot_suffix)))
      {
        g_debug ("Challenge of %s names the resource host %s", vault_host,
                 g_uri_get_host (resource_uri));
        g_set_error (error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                     _("The vault at %s asked for a token for another service (%s). This can "
                       "mean that the vault address is wrong or that someone tries to obtain "
                       "your credentials. No credentials were sent."),
                     vault_host, g_uri_get_host (resource_uri));
        return NULL;
      }
  }

  if (authority != NULL)
    authority_uri = g_uri_parse (authority, G_URI_FLAGS_NONE, NULL);

  if (authority_uri == NULL || !kvb_cloud_is_authority_uri (cloud, authority_uri))
    {
      g_debug ("Challenge of %s names the authority %s", vault_host,
               authority != NULL ? authority : "(none)");
      g_set_error (error, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                   _("The vault at %s sent sign-in to an authority that is not the one of %s. "
                     "No credentials were sent."),
                   vault_host, kvb_cloud_get_display_name (cloud));
      return NULL;
    }

  segments = g_strsplit (g_uri_get_path (authority_uri), "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    if (*segments[i] != '\0')
      {
        tenant = segments[i];
        break;
      }

  if (tenant != NULL)
    {
      for (const char *t = tenant; *t; t++)
        if (!g_ascii_isalnum (*t) && *t != '-' && *t != '.' && *t != '_')
          {
            tenant = NULL;
            break;
          }
    }

  c = g_new0 (Challenge, 1);
  {
    g_autofree char *resource_host = g_ascii_strdown (g_uri_get_host (resource_uri), -1);

    c->scope = g_strconcat ("https://", resource_host, "/.default", NULL);
  }
  c->tenant = g_strdup (tenant);

  g_debug ("Challenge of %s accepted: scope %s, tenant %s", vault_host, c->scope,
           c->tenant != NULL ? c->tenant : "(home)");

  return c;
}

gboolean
_kvb_pipeline_check_challenge (KvbCloud    *cloud,
                               GUri        *vault_uri,
                               const char  *header,
                               char       **scope,
                               char       **tenant,
                               GError     **error)
{
  Challenge *c = check_challenge (cloud, vault_uri, header, error);

  if (c == NULL)
    return FALSE;
  *scope = g_steal_pointer (&c->scope);
  *tenant = g_steal_pointer (&c->tenant);
  challenge_free (c);
  return TRUE;
}

/* ---- sending ---- */

typedef struct
{
  KvbCloud *cloud;
  KvbCredential *credential;
  char *method;
  GUri *uri;
  char *url;
  char *origin;           /* "host:port": the key of the pacer and the challenge cache */
  char *tenant;           /* Resource Manager calls: the tenant of the token */
  GBytes *body;
  KvbRequestFlags flags;
  guint timeout_seconds;

  SoupMessage *msg;
  GCancellable *attempt_cancellable;
  gulong cancelled_id;
  GSource *timeout_source;
  gboolean timed_out;

  KvbAccessToken *token;
  gboolean probing;        /* this attempt is the body-less request that elicits the challenge */
  gboolean rechallenged;   /* a 401 after a token already led to one more try */
  guint retries;
  gint64 first_try_us;     /* monotonic: the retry budget counts from here */
  gboolean refused;        /* the last attempt found nobody listening */
  gboolean ambiguous;
  guint status;
} Request;

static void
request_free (Request *r)
{
  g_clear_object (&r->cloud);
  g_clear_object (&r->credential);
  g_clear_pointer (&r->method, g_free);
  g_clear_pointer (&r->uri, g_uri_unref);
  g_clear_pointer (&r->url, g_free);
  g_clear_pointer (&r->origin, g_free);
  g_clear_pointer (&r->tenant, g_free);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_object (&r->msg);
  g_clear_object (&r->attempt_cancellable);
  if (r->timeout_source != NULL)
    {
      g_source_destroy (r->timeout_source);
      g_clear_pointer (&r->timeout_source, g_source_unref);
    }
  g_clear_pointer (&r->token, kvb_access_token_unref);
  g_free (r);
}

static void start_attempt (GTask *task);
static void send_message (GTask *task);

static gboolean
is_retry_allowed (Request *r)
{
  return (r->flags & (KVB_REQUEST_RETRY_SAFE | KVB_REQUEST_RETRY_AMBIGUOUS)) != 0;
}

static gboolean
retry_later_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    start_attempt (task);
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

/* Waits @delay_ms (the service's Retry-After) or the back-off for this retry, then tries again.
 * Returns FALSE when the retry budget of the request is spent: the next try would start more
 * than the budget after the first one. */
static gboolean
schedule_retry (GTask *task,
                gint64 delay_ms)
{
  KvbPipeline *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  gint64 elapsed_ms;
  guint budget_ms;

  if (delay_ms < 0)
    {
      /* 1, 2, 4 … 32 × base, each plus up to a quarter of jitter, so that concurrent
       * requests that failed together do not come back together. */
      delay_ms = (gint64)self->retry_base_ms << MIN (r->retries, MAX_BACKOFF_DOUBLINGS);
      delay_ms += g_random_int_range (0, (gint32)MAX (1, delay_ms / 4));
    }
  else
    delay_ms += g_random_int_range (0, 100);

  elapsed_ms = (g_get_monotonic_time () - r->first_try_us) / 1000;
  budget_ms = r->refused ? MIN (self->retry_budget_ms, REFUSED_RETRY_BUDGET_MS)
                         : self->retry_budget_ms;
  if (elapsed_ms + delay_ms > budget_ms)
    {
      g_debug ("%s %s: no retry after %u (%" G_GINT64_FORMAT " ms spent, budget %u ms)",
               r->method, g_uri_get_path (r->uri), r->retries, elapsed_ms, budget_ms);
      return FALSE;
    }

  r->retries++;
  self->n_retries++;
  g_debug ("%s %s: retry %u in %" G_GINT64_FORMAT " ms", r->method, g_uri_get_path (r->uri),
           r->retries, delay_ms);
  kvb_task_call_later (g_object_ref (task), (guint)delay_ms, retry_later_cb);
  return TRUE;
}

static gint64
retry_after_ms (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  char *end = NULL;
  gint64 seconds;

  if (value == NULL)
    return -1;

  seconds = g_ascii_strtoll (value, &end, 10);
  if (end != value && *end == '\0' && seconds >= 0)
    return MIN (seconds, 300) * 1000;

  date = soup_date_time_new_from_http_string (value);
  if (date != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      GTimeSpan span = g_date_time_difference (date, now);

      return CLAMP (span / 1000, 0, 300 * 1000);
    }

  return -1;
}

/* A TLS connection that ended before or during its handshake (the server went away, a
 * proxy cut it) is a broken connection like any other; every other TLS error is about whom we
 * talk to (an untrusted or wrong certificate, a protocol we refuse) and is never retried. */
static gboolean
is_tls_broken_connection (const GError *error)
{
  return g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
         g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF);
}

static GError *
transport_error (Request *r,
                 GError  *error)
{
  const char *host = g_uri_get_host (r->uri);

  if (r->timed_out)
    return g_error_new (KVB_ERROR, KVB_ERROR_TIMEOUT,
                        _("%s did not answer within %u seconds. Check your network, or try "
                          "again later."), host, r->timeout_seconds);

  if (error->domain == G_TLS_ERROR && !is_tls_broken_connection (error))
    return g_error_new (KVB_ERROR, KVB_ERROR_NETWORK,
                        _("A secure connection to %s could not be established: its certificate "
                          "is not trusted or does not match (%s)."), host, error->message);

  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
    return g_error_new (KVB_ERROR, KVB_ERROR_NETWORK,
                        _("The address %s could not be found. Check the name and your network "
                          "connection."), host);

  if (r->retries > 0)
    {
      guint seconds = (guint)((g_get_monotonic_time () - r->first_try_us) / G_USEC_PER_SEC);

      return g_error_new (KVB_ERROR, KVB_ERROR_NETWORK,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The connection to %s kept failing for %u second, over %u "
                                       "attempts (last: %s). Check your network connection, then "
                                       "try again.",
                                       "The connection to %s kept failing for %u seconds, over %u "
                                       "attempts (last: %s). Check your network connection, then "
                                       "try again.", seconds),
                          host, seconds, r->retries + 1, error->message);
    }

  return g_error_new (KVB_ERROR, KVB_ERROR_NETWORK,
                      _("The connection to %s failed: %s. Check your network connection."),
                      host, error->message);
}

static void
finish_attempt (Request *r)
{
  if (r->timeout_source != NULL)
    {
      g_source_destroy (r->timeout_source);
      g_clear_pointer (&r->timeout_source, g_source_unref);
    }
}

static void
token_for_send_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *r = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&r->token, kvb_access_token_unref);
  r->token = kvb_credential_get_token_finish (KVB_CREDENTIAL (source), result, &error);
  if (r->token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_message (task);
}

/* Gets a token for the cached challenge (Key Vault) or the Resource Manager scope, then sends. */
static void
authorize_and_send (GTask *task)
{
  KvbPipeline *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  const char *scope, *tenant;

  if (r->flags & KVB_REQUEST_KEYVAULT)
    {
      Challenge *c = g_hash_table_lookup (self->challenges, r->origin);

      if (c == NULL)
        {
          r->probing = TRUE;
          send_message (task);
          return;
        }
      scope = c->scope;
      tenant = c->tenant;
    }
  else if (r->flags & KVB_REQUEST_ARM)
    {
      scope = kvb_cloud_get_arm_scope (r->cloud);
      tenant = r->tenant;
    }
  else
    {
      send_message (task);
      return;
    }

  if (r->credential == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                               _("Sign in first."));
      return;
    }

  r->probing = FALSE;
  kvb_credential_get_token_async (r->credential, scope, tenant, g_task_get_cancellable (task),
                                  token_for_send_cb, g_object_ref (task));
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbPipeline *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = NULL;
  SoupMessageHeaders *headers;
  guint status;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  finish_attempt (r);
  if (!r->probing && g_object_get_data (G_OBJECT (r->msg), "kvb-restarted") != NULL)
    r->ambiguous = TRUE;
  if (r->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), r->cancelled_id);
      r->cancelled_id = 0;
    }

  if (answer == NULL)
    {
      GError *restart_error;

      if (g_task_return_error_if_cancelled (task))
        return;

      g_debug ("%s %s: %s", r->method, g_uri_get_path (r->uri), error->message);

      /* Sending it yet again would only run the same loop. */
      restart_error = _kvb_pipeline_restart_error (self, r->msg);
      if (restart_error != NULL)
        {
          g_task_return_error (task, restart_error);
          return;
        }

      /* A dropped connection: the service may or may not have acted on the request. */
      if (!r->timed_out && (error->domain != G_TLS_ERROR || is_tls_broken_connection (error)) &&
          is_retry_allowed (r) &&
          !g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
        {
          if (!r->probing && (r->flags & KVB_REQUEST_RETRY_AMBIGUOUS))
            r->ambiguous = TRUE;
          /* A server that never completes a handshake may not speak TLS at all (a wrong
           * port): like nobody listening, it gets the shorter budget. */
          r->refused = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
                       g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS);
          if (schedule_retry (task, -1))
            return;
        }

      g_task_return_error (task, transport_error (r, error));
      return;
    }

  status = soup_message_get_status (r->msg);
  headers = soup_message_get_response_headers (r->msg);
  r->status = status;
  g_debug ("%s %s%s: %u (request id %s, %" G_GSIZE_FORMAT " bytes)", r->method,
           g_uri_get_path (r->uri), r->probing ? " (challenge)" : "", status,
           soup_message_headers_get_one (headers, "x-ms-request-id") ?: "-",
           g_bytes_get_size (answer));

  /* The proxy wants a user name and password and none was given (with one given, a refusal
   * ends in the restart loop above). */
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
    {
      g_task_return_error (task, _kvb_pipeline_proxy_auth_error ());
      return;
    }

  if (status == 401 && (r->flags & KVB_REQUEST_KEYVAULT) && (r->probing || !r->rechallenged))
    {
      g_autoptr(GError) challenge_error = NULL;
      Challenge *c;

      c = check_challenge (r->cloud, r->uri,
                           soup_message_headers_get_one (headers, "WWW-Authenticate"),
                           &challenge_error);
      if (c == NULL)
        {
          g_hash_table_remove (self->challenges, r->origin);
          g_task_return_error (task, g_steal_pointer (&challenge_error));
          return;
        }

      if (!r->probing)
        {
          /* The token was refused: maybe it expired early, maybe the vault moved tenant. */
          Challenge *old = g_hash_table_lookup (self->challenges, r->origin);

          r->rechallenged = TRUE;
          if (old != NULL && r->credential != NULL)
            kvb_credential_invalidate (r->credential, old->scope, old->tenant);
        }

      g_hash_table_replace (self->challenges, g_strdup (r->origin), c);
      start_attempt (task);
      return;
    }

  if (status == 401 && (r->flags & KVB_REQUEST_ARM) && !r->rechallenged && r->credential != NULL)
    {
      r->rechallenged = TRUE;
      kvb_credential_invalidate (r->credential, kvb_cloud_get_arm_scope (r->cloud), r->tenant);
      start_attempt (task);
      return;
    }

  /* 429 means the request was not processed: always safe to send again.  5xx may have been. */
  if (status == 429)
    self->n_throttled++;
  if (status == 429 && schedule_retry (task, retry_after_ms (r->msg)))
    return;

  if ((status >= 500 && status != 501 && status != 505) || status == 408)
    {
      if (is_retry_allowed (r))
        {
          if (r->flags & KVB_REQUEST_RETRY_AMBIGUOUS)
            r->ambiguous = TRUE;
          if (schedule_retry (task, status == 503 ? retry_after_ms (r->msg) : -1))
            return;
        }
    }

  if (g_bytes_get_size (answer) == 0)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  parser = json_parser_new ();
  /* White space alone parses, without a root: no body either. */
  if (!json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), NULL) ||
      json_parser_get_root (parser) == NULL)
    {
      g_debug ("%s %s: the answer is not JSON", r->method, g_uri_get_path (r->uri));
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  g_task_return_pointer (task, json_node_copy (json_parser_get_root (parser)),
                         (GDestroyNotify)json_node_unref);
}

static gboolean
attempt_timeout_cb (gpointer user_data)
{
  Request *r = user_data;

  r->timed_out = TRUE;
  g_cancellable_cancel (r->attempt_cancellable);
  g_clear_pointer (&r->timeout_source, g_source_unref);

  return G_SOURCE_REMOVE;
}

static void
task_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GCancellable *attempt_cancellable = user_data;

  g_cancellable_cancel (attempt_cancellable);
}

/* libsoup re-sends an idempotent request (GET, PUT, DELETE) by itself when the kept-alive
 * connection it went out on turns out to be closed by the server ("restarted").  libsoup 3.2 up
 * to at least 3.6 has a race there: the first try's completion is deferred to an idle, and when
 * the re-sent message has meanwhile been given another idle kept-alive connection and is already
 * running, that late completion finishes the queue item under it; the re-send's own completion
 * then reads a NULL message I/O object (soup_client_message_io_get_response_stream() from
 * run_until_read_done()) and the process crashes.  Sending the re-send over a new connection
 * keeps it from running before the late completion has looked at it, and the late completion
 * then leaves it alone.  Only the re-send pays for a new connection; every other request keeps
 * using kept-alive ones.
 *
 * The re-send also goes with the body stream already read: give it the body again. */
static void
message_restarted_cb (SoupMessage *msg,
                      gpointer     user_data)
{
  GBytes *body = user_data;

  g_debug ("%s %s: restarted by libsoup", soup_message_get_method (msg),
           g_uri_get_path (soup_message_get_uri (msg)));
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  /* The closed connection may have carried the request out first (a DELETE that purged, then
   * lost its answer): the caller must know that the answer it gets may be the second one's. */
  g_object_set_data (G_OBJECT (msg), "kvb-restarted", GINT_TO_POINTER (TRUE));
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
}

static void
send_message (GTask *task)
{
  KvbPipeline *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&r->msg);
  r->msg = soup_message_new_from_uri (r->method, r->uri);
  /* A redirect must never carry the token elsewhere: 3xx is returned as it is. */
  soup_message_add_flags (r->msg, SOUP_MESSAGE_NO_REDIRECT);
  /* libsoup sends every POST over a connection of its own, closing an idle kept-alive one when
   * the host is at max-conns-per-host: a backup or a restore then cost a new TCP and TLS
   * handshake (and a check of the certificate chain) per object.  A request that we retry
   * after a drop may go over a kept-alive connection: if the server closed it meanwhile, the
   * failure is retried like any other drop, and a restore's outcome is then decided from what
   * the vault shows (libsoup itself never re-sends a POST).  Requests that are not retried
   * keep libsoup's default, so that a stale connection never fails them. */
  if (is_retry_allowed (r))
    soup_message_add_flags (r->msg, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (r->msg);
  soup_message_headers_replace (headers, "Accept", "application/json");

  if (r->token != NULL && !r->probing)
    {
      g_autofree char *value = g_strconcat ("Bearer ", kvb_access_token_get_token (r->token), NULL);

      soup_message_headers_replace (headers, "Authorization", value);
      memset (value, 0, strlen (value));
    }

  /* The challenge request goes without body, as the service expects before sign-in. */
  if (r->body != NULL && !r->probing)
    {
      soup_message_set_request_body_from_bytes (r->msg, "application/json", r->body);
      g_signal_connect_data (r->msg, "restarted", G_CALLBACK (message_restarted_cb),
                             g_bytes_ref (r->body), (GClosureNotify)(void (*) (void))g_bytes_unref,
                             0);
    }
  else
    {
      /* Every message, with or without a body: the crash of a re-send is not about the body. */
      g_signal_connect (r->msg, "restarted", G_CALLBACK (message_restarted_cb), NULL);
      if (g_strcmp0 (r->method, "POST") == 0 || g_strcmp0 (r->method, "PUT") == 0)
        soup_message_headers_set_content_length (headers, 0);
    }

  g_clear_object (&r->attempt_cancellable);
  r->attempt_cancellable = g_cancellable_new ();
  _kvb_pipeline_watch_restarts (r->msg, r->attempt_cancellable);
  r->timed_out = FALSE;
  if (g_task_get_cancellable (task) != NULL)
    r->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task),
                                             G_CALLBACK (task_cancelled_cb),
                                             g_object_ref (r->attempt_cancellable),
                                             g_object_unref);
  r->timeout_source = g_timeout_source_new_seconds (r->timeout_seconds);
  g_source_set_callback (r->timeout_source, attempt_timeout_cb, r, NULL);
  g_source_attach (r->timeout_source, g_main_context_get_thread_default ());

  self->n_requests++;
  ensure_session (self);
  soup_session_send_and_read_async (self->session, r->msg, G_PRIORITY_DEFAULT,
                                    r->attempt_cancellable, send_cb, g_object_ref (task));
}

static void pacer_pump (Pacer *p);

static gboolean
pacer_wake_cb (gpointer user_data)
{
  Pacer *p = user_data;

  g_clear_pointer (&p->timer, g_source_unref);
  pacer_pump (p);
  return G_SOURCE_REMOVE;
}

static gboolean
pacer_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  /* The pump returns the cancelled request and destroys this source. */
  pacer_pump (user_data);
  return G_SOURCE_REMOVE;
}

/* Returns cancelled requests at once, lets out those whose slot has come, and sets a timer
 * for the next one.  The slot is taken at the moment of leaving. */
static void
pacer_pump (Pacer *p)
{
  KvbPipeline *self = p->pipeline;
  g_autoptr(GPtrArray) ready = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 wait_us = -1;

  for (GList *l = p->waiting.head; l != NULL;)
    {
      GList *next = l->next;
      Waiter *w = l->data;

      if (g_task_return_error_if_cancelled (w->task))
        {
          g_queue_delete_link (&p->waiting, l);
          waiter_free (w);
        }
      l = next;
    }

  while (!g_queue_is_empty (&p->waiting))
    {
      gint64 now = g_get_monotonic_time ();
      gint64 tat = MAX (p->tat, now);
      Waiter *w;

      if (tat - self->pacer_tau_us > now)
        {
          wait_us = tat - self->pacer_tau_us - now;
          break;
        }
      p->tat = tat + self->pacer_interval_us;
      w = g_queue_pop_head (&p->waiting);
      g_ptr_array_add (ready, g_steal_pointer (&w->task));
      waiter_free (w);
    }

  if (wait_us >= 0 && p->timer == NULL)
    {
      p->timer = g_timeout_source_new ((guint)((wait_us + 999) / 1000));
      g_source_set_callback (p->timer, pacer_wake_cb, p, NULL);
      g_source_attach (p->timer, g_main_context_get_thread_default ());
    }

  /* Sent after the queue is consistent: a send may fail at once and start another attempt. */
  for (guint i = 0; i < ready->len; i++)
    authorize_and_send (g_ptr_array_index (ready, i));
}

static void
start_attempt (GTask *task)
{
  KvbPipeline *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Pacer *p;
  Waiter *w;

  if (!(r->flags & KVB_REQUEST_KEYVAULT))
    {
      authorize_and_send (task);
      return;
    }

  p = g_hash_table_lookup (self->pacers, r->origin);
  if (p == NULL)
    {
      p = g_new0 (Pacer, 1);
      p->pipeline = self;
      g_hash_table_insert (self->pacers, g_strdup (r->origin), p);
    }

  w = g_new0 (Waiter, 1);
  w->task = g_object_ref (task);
  if (cancellable != NULL)
    {
      w->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (w->cancel_source, (GSourceFunc)(void (*)(void))pacer_cancelled_cb,
                             p, NULL);
      g_source_attach (w->cancel_source, g_main_context_get_thread_default ());
    }
  g_queue_push_tail (&p->waiting, w);

  /* With a timer set the head is waiting for its slot; this one queues behind it. */
  if (p->timer == NULL)
    pacer_pump (p);
}

void
kvb_pipeline_send_with_tenant_async (KvbPipeline         *self,
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
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Request *r;

  g_return_if_fail (KVB_IS_PIPELINE (self));
  g_return_if_fail (KVB_IS_CLOUD (cloud));
  g_return_if_fail (credential == NULL || KVB_IS_CREDENTIAL (credential));
  g_return_if_fail (method != NULL && url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_pipeline_send_async);

  r = g_new0 (Request, 1);
  r->cloud = g_object_ref (cloud);
  r->credential = credential != NULL ? g_object_ref (credential) : NULL;
  r->tenant = g_strdup (tenant);
  r->method = g_strdup (method);
  r->url = g_strdup (url);
  r->body = body != NULL ? g_bytes_ref (body) : NULL;
  r->flags = flags;
  r->timeout_seconds = timeout_seconds > 0 ? timeout_seconds : KVB_TIMEOUT_SHORT;
  r->first_try_us = g_get_monotonic_time ();
  g_task_set_task_data (task, r, (GDestroyNotify)request_free);

  r->uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);
  if (r->uri == NULL || g_uri_get_host (r->uri) == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid address."), url);
      return;
    }
  r->origin = g_strdup_printf ("%s:%d", g_uri_get_host (r->uri),
                               g_uri_get_port (r->uri) > 0 ? g_uri_get_port (r->uri) : 443);

  /* Tokens only ever go to the hosts of the active cloud, over TLS. */
  if ((flags & KVB_REQUEST_KEYVAULT) &&
      (g_strcmp0 (g_uri_get_scheme (r->uri), "https") != 0 ||
       !kvb_cloud_is_vault_host (cloud, g_uri_get_host (r->uri))))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                               _("%s is not a vault of %s. No credentials were sent."),
                               g_uri_get_host (r->uri), kvb_cloud_get_display_name (cloud));
      return;
    }

  if ((flags & KVB_REQUEST_ARM) && !kvb_cloud_is_arm_uri (cloud, r->uri))
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_CHALLENGE_REJECTED,
                               _("%s is not the Resource Manager of %s. No credentials were sent."),
                               g_uri_get_host (r->uri), kvb_cloud_get_display_name (cloud));
      return;
    }

  start_attempt (task);
}

void
kvb_pipeline_send_async (KvbPipeline         *self,
                         KvbCloud            *cloud,
                         KvbCredential       *credential,
                         const char          *method,
                         const char          *url,
                         GBytes              *body,
                         KvbRequestFlags      flags,
                         guint                timeout_seconds,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  kvb_pipeline_send_with_tenant_async (self, cloud, credential, NULL, method, url, body, flags,
                                       timeout_seconds, cancellable, callback, user_data);
}

JsonNode *
kvb_pipeline_send_finish (KvbPipeline   *self,
                          GAsyncResult  *result,
                          guint         *status,
                          gboolean      *ambiguous,
                          GError       **error)
{
  Request *r;
  g_autoptr(GError) local_error = NULL;
  JsonNode *node;

  g_return_val_if_fail (KVB_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  r = g_task_get_task_data (G_TASK (result));
  node = g_task_propagate_pointer (G_TASK (result), &local_error);

  if (status != NULL)
    *status = local_error == NULL ? r->status : 0;
  if (ambiguous != NULL)
    *ambiguous = r->ambiguous;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return node;
}
