/* kvb-account-credential.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-account-credential"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "kvb-account-credential.h"
#include "kvb-azure-cli-credential.h"
#include "kvb-entra-client.h"
#include "kvb-error.h"
#include "kvb-json-util.h"
#include "kvb-service-principal-credential.h"
#include "kvb-sign-in-private.h"
#include "kvb-secret-string.h"
#include "kvb-base64url.h"

/* Refresh this long before an access token expires (MSAL and the Key Vault SDKs use 5 min). */
#define REFRESH_MARGIN_SECONDS 300

struct _KvbAccountCredential
{
  GObject parent_instance;

  KvbPipeline *pipeline;
  KvbCloud *cloud;
  KvbAccount *account;
  KvbKeyring *keyring;

  char *refresh_token;      /* users: the newest one; wiped when replaced */
  char *client_secret;      /* service principals: until handed to the delegate */
  KvbCredential *delegate;  /* service principals and the Azure CLI */

  GHashTable *tokens;       /* "scope\ntenant" → Cached */
  GQueue queue;             /* GTasks waiting for a refresh-token redemption */
  gboolean busy;            /* one redemption at a time: each one rotates the refresh token */
};

static void kvb_account_credential_iface_init (KvbCredentialInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbAccountCredential, kvb_account_credential, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KVB_TYPE_CREDENTIAL,
                                                      kvb_account_credential_iface_init))

typedef struct
{
  char *scope;
  char *tenant;
  char *refused;            /* a refresh token refused for this request, wiped */
} Request;

/* An access token and when to ask for a new one: 5 minutes before it expires, or half-way
 * through its life when that is shorter (the stand-in's tokens last a minute). */
typedef struct
{
  KvbAccessToken *token;
  gint64 refresh_at;        /* wall clock, seconds */
} Cached;

static void
cached_free (Cached *c)
{
  kvb_access_token_unref (c->token);
  g_free (c);
}

static KvbAccessToken *
lookup_fresh (GHashTable *tokens,
              const char *key)
{
  Cached *c = g_hash_table_lookup (tokens, key);

  if (c == NULL || g_get_real_time () / G_USEC_PER_SEC >= c->refresh_at)
    return NULL;
  return c->token;
}

static void
request_free (Request *r)
{
  g_free (r->scope);
  g_free (r->tenant);
  if (r->refused != NULL)
    {
      memset (r->refused, 0, strlen (r->refused));
      g_free (r->refused);
    }
  g_free (r);
}

static void
kvb_account_credential_finalize (GObject *object)
{
  KvbAccountCredential *self = (KvbAccountCredential *)object;

  g_assert (g_queue_is_empty (&self->queue));

  kvb_secret_string_clear (&self->refresh_token);
  kvb_secret_string_clear (&self->client_secret);
  g_clear_object (&self->delegate);
  g_clear_pointer (&self->tokens, g_hash_table_unref);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->cloud);
  g_clear_object (&self->account);
  g_clear_object (&self->keyring);

  G_OBJECT_CLASS (kvb_account_credential_parent_class)->finalize (object);
}

static void
kvb_account_credential_class_init (KvbAccountCredentialClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_account_credential_finalize;
}

static void
kvb_account_credential_init (KvbAccountCredential *self)
{
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) cached_free);
  g_queue_init (&self->queue);
}

KvbAccountCredential *
kvb_account_credential_new (KvbPipeline *pipeline,
                            KvbCloud    *cloud,
                            KvbAccount  *account,
                            KvbKeyring  *keyring,
                            const char  *refresh_token)
{
  KvbAccountCredential *self;

  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), NULL);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), NULL);
  g_return_val_if_fail (KVB_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (keyring == NULL || KVB_IS_KEYRING (keyring), NULL);

  self = g_object_new (KVB_TYPE_ACCOUNT_CREDENTIAL, NULL);
  self->pipeline = g_object_ref (pipeline);
  self->cloud = g_object_ref (cloud);
  self->account = g_object_ref (account);
  self->keyring = keyring != NULL ? g_object_ref (keyring) : kvb_keyring_new_in_memory ();
  self->refresh_token = g_strdup (refresh_token);

  return self;
}

KvbAccount *
kvb_account_credential_get_account (KvbAccountCredential *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self), NULL);
  return self->account;
}

KvbCloud *
kvb_account_credential_get_cloud (KvbAccountCredential *self)
{
  g_return_val_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self), NULL);
  return self->cloud;
}

void
kvb_account_credential_set_client_secret (KvbAccountCredential *self,
                                          const char           *secret)
{
  g_return_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self));

  kvb_secret_string_clear (&self->client_secret);
  self->client_secret = g_strdup (secret);
  g_clear_object (&self->delegate);
}

static char *
token_key (const char *scope,
           const char *tenant)
{
  return g_strconcat (scope, "\n", tenant, NULL);
}

void
kvb_account_credential_cache_token (KvbAccountCredential *self,
                                    const char           *scope,
                                    const char           *tenant,
                                    KvbAccessToken       *token)
{
  Cached *c = g_new0 (Cached, 1);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 lifetime = MAX (kvb_access_token_get_expires_on (token) - now, 0);

  c->token = kvb_access_token_ref (token);
  c->refresh_at = now + lifetime - MIN (REFRESH_MARGIN_SECONDS, lifetime / 2);
  g_hash_table_replace (self->tokens, token_key (scope, tenant), c);
}

void
kvb_account_credential_set_keyring (KvbAccountCredential *self,
                                    KvbKeyring           *keyring)
{
  g_return_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self));
  g_return_if_fail (KVB_IS_KEYRING (keyring));

  g_set_object (&self->keyring, keyring);
}

void
kvb_account_credential_forget (KvbAccountCredential *self)
{
  g_return_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self));

  g_hash_table_remove_all (self->tokens);
  kvb_secret_string_clear (&self->refresh_token);
  kvb_secret_string_clear (&self->client_secret);
  g_clear_object (&self->delegate);
}

/* The tenant a user's token is asked for: the one named (from a vault's challenge), else the
 * account's home tenant, else the one signed in to. */
static const char *
effective_tenant (KvbAccountCredential *self,
                  const char           *tenant)
{
  if (tenant != NULL && *tenant != '\0')
    return tenant;
  if (kvb_account_get_home_tenant (self->account) != NULL)
    return kvb_account_get_home_tenant (self->account);
  return kvb_account_get_tenant (self->account);
}

static GError *
sign_in_again_error (KvbAccountCredential *self)
{
  g_autofree char *name = kvb_account_dup_display_name (self->account);

  return g_error_new (KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                      _("The sign-in of %s is no longer valid: sign in again."), name);
}

/* Service principals and the Azure CLI: build the real credential on first use. */

static void
delegate_token_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  KvbAccessToken *token = kvb_credential_get_token_finish (KVB_CREDENTIAL (source), result, &error);

  if (token == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, token, (GDestroyNotify) kvb_access_token_unref);
}

static void
call_delegate (GTask *task)
{
  KvbAccountCredential *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);

  kvb_credential_get_token_async (self->delegate, r->scope, r->tenant,
                                  g_task_get_cancellable (task), delegate_token_cb, task);
}

static gboolean
make_delegate (KvbAccountCredential  *self,
               GError               **error)
{
  KvbAccount *a = self->account;

  if (self->delegate != NULL)
    return TRUE;

  if (kvb_account_get_kind (a) == KVB_ACCOUNT_KIND_AZURE_CLI)
    {
      self->delegate = KVB_CREDENTIAL (kvb_azure_cli_credential_new ());
      return TRUE;
    }

  if (kvb_account_get_certificate (a) != NULL)
    {
      KvbServicePrincipalCredential *sp =
        kvb_service_principal_credential_new_with_certificate (self->pipeline, self->cloud,
                                                               kvb_account_get_tenant (a),
                                                               kvb_account_get_client_id (a),
                                                               kvb_account_get_certificate (a),
                                                               error);
      if (sp == NULL)
        return FALSE;
      self->delegate = KVB_CREDENTIAL (sp);
      return TRUE;
    }

  g_assert (self->client_secret != NULL);
  self->delegate = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret
                                     (self->pipeline, self->cloud, kvb_account_get_tenant (a),
                                      kvb_account_get_client_id (a), self->client_secret));
  return TRUE;
}

static void
secret_lookup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAccountCredential *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *secret = kvb_keyring_lookup_finish (KVB_KEYRING (source), result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (secret == NULL)
    {
      g_autofree char *name = kvb_account_dup_display_name (self->account);
      kvb_account_set_needs_sign_in (self->account, TRUE);
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                               _("The client secret of %s is not in the keyring: sign in again."),
                               name);
      return;
    }

  kvb_account_credential_set_client_secret (self, secret);
  kvb_keyring_secret_free (secret);
  if (!make_delegate (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call_delegate (g_steal_pointer (&task));
}

/* Users: one refresh-token redemption at a time. */

static void process_queue (KvbAccountCredential *self);

static void
fail_queue (KvbAccountCredential *self,
            const GError         *error)
{
  GTask *task;

  /* Everyone waiting gets the same answer at once: no retry loop against a dead refresh token. */
  while ((task = g_queue_pop_head (&self->queue)) != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

typedef struct
{
  GTask *task;
  KvbAccessToken *token;
} StoreData;

static void
rotated_stored_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  StoreData *sd = user_data;
  g_autoptr(GTask) task = sd->task;
  KvbAccountCredential *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* Without a keyring the new refresh token lives in memory for this session: not an error
   * for the caller, who asked for an access token. */
  if (!kvb_keyring_store_finish (KVB_KEYRING (source), result, &error))
    g_debug ("The rotated refresh token was kept in memory only: %s", error->message);

  g_task_return_pointer (task, sd->token, (GDestroyNotify) kvb_access_token_unref);
  g_free (sd);

  self->busy = FALSE;
  process_queue (self);
}

static void redeem (GTask *task);
static void refused_cleared_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
give_up (GTask *task)
{
  KvbAccountCredential *self = g_task_get_source_object (task);

  /* The refresh token is dead: forget it everywhere and say so once. */
  kvb_secret_string_clear (&self->refresh_token);
  g_hash_table_remove_all (self->tokens);
  kvb_account_set_needs_sign_in (self->account, TRUE);
  kvb_keyring_clear_async (self->keyring, self->account, NULL, refused_cleared_cb, task);
}

static void
reread_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  KvbAccountCredential *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *stored = kvb_keyring_lookup_finish (KVB_KEYRING (source), result, &error);

  /* Another process (the window, another kvbackup) redeemed the same refresh token and stored
   * its successor: carry on with that one, once. */
  if (stored != NULL && g_strcmp0 (stored, r->refused) != 0)
    {
      g_debug ("A newer refresh token is in the keyring; trying it");
      kvb_secret_string_clear (&self->refresh_token);
      self->refresh_token = g_strdup (stored);
      kvb_keyring_secret_free (stored);
      redeem (task);
      return;
    }

  kvb_keyring_secret_free (stored);
  give_up (task);
}

static void
refused_cleared_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAccountCredential *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = sign_in_again_error (self);

  if (!kvb_keyring_clear_finish (KVB_KEYRING (source), result, &error))
    g_debug ("Could not remove the refused refresh token: %s", error->message);

  /* Answered only once the dead token is gone, so that no later process picks it up. */
  g_task_return_error (task, g_error_copy (again));
  self->busy = FALSE;
  fail_queue (self, again);
}

static void
redeem_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbAccountCredential *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(KvbAccessToken) token = NULL;
  const char *access, *rotated;
  gint64 expires_in;

  response = kvb_entra_client_request_token_finish (self->pipeline, result, &error);

  if (response == NULL)
    {
      if (g_error_matches (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED))
        {
          g_debug ("The refresh token was refused (%s)", kvb_entra_error_get_code (error));
          if (r->refused == NULL && self->refresh_token != NULL)
            {
              r->refused = g_strdup (self->refresh_token);
              kvb_keyring_forget_cached (self->keyring, self->account, KVB_SECRET_KIND_REFRESH_TOKEN);
              kvb_keyring_lookup_async (self->keyring, self->account, KVB_SECRET_KIND_REFRESH_TOKEN,
                                        NULL, reread_cb, g_steal_pointer (&task));
              return;
            }
          give_up (g_steal_pointer (&task));
          return;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      self->busy = FALSE;
      process_queue (self);
      return;
    }

  access = kvb_json_get_string (response, "access_token", NULL);
  if (access == NULL)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                               _("The sign-in service answered without an access token."));
      self->busy = FALSE;
      process_queue (self);
      return;
    }

  expires_in = kvb_entra_token_response_get_expires_in (response);
  if (expires_in <= 0)
    expires_in = 3600;
  /* Work from the time of receipt, not from server clocks. */
  token = kvb_access_token_new (access, g_get_real_time () / G_USEC_PER_SEC + expires_in);
  kvb_account_credential_cache_token (self, r->scope, r->tenant, token);

  rotated = kvb_json_get_string (response, "refresh_token", NULL);
  if (rotated != NULL && g_strcmp0 (rotated, self->refresh_token) != 0)
    {
      StoreData *sd = g_new0 (StoreData, 1);

      kvb_secret_string_clear (&self->refresh_token);
      self->refresh_token = g_strdup (rotated);
      sd->task = g_steal_pointer (&task);
      sd->token = g_steal_pointer (&token);
      /* The old one must not be the one that survives: finish only once the new one is kept. */
      kvb_keyring_store_async (self->keyring, self->account, KVB_SECRET_KIND_REFRESH_TOKEN,
                               self->refresh_token, NULL, rotated_stored_cb, sd);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&token), (GDestroyNotify) kvb_access_token_unref);
  self->busy = FALSE;
  process_queue (self);
}

static void
redeem (GTask *task)
{
  KvbAccountCredential *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GHashTable) form = kvb_sign_in_form_new ();

  g_hash_table_insert (form, g_strdup ("grant_type"), g_strdup ("refresh_token"));
  g_hash_table_insert (form, g_strdup ("client_id"), g_strdup (kvb_account_get_client_id (self->account)));
  g_hash_table_insert (form, g_strdup ("refresh_token"), g_strdup (self->refresh_token));
  /* One resource per request; offline_access keeps the refresh token rotating. */
  g_hash_table_insert (form, g_strdup ("scope"), g_strconcat (r->scope, " offline_access", NULL));

  g_debug ("Redeeming the refresh token of account %s for %s in tenant %s",
           kvb_account_get_id (self->account), r->scope, r->tenant);
  kvb_entra_client_request_token_async (self->pipeline, self->cloud, r->tenant, form,
                                        g_task_get_cancellable (task), redeem_cb, task);
}

static void
rt_lookup_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KvbAccountCredential *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *rt = kvb_keyring_lookup_finish (KVB_KEYRING (source), result, &error);

  if (rt == NULL)
    {
      g_autoptr(GError) again = error != NULL ? g_steal_pointer (&error) : sign_in_again_error (self);

      if (!g_error_matches (again, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE))
        kvb_account_set_needs_sign_in (self->account, TRUE);
      g_task_return_error (task, g_error_copy (again));
      g_object_unref (task);
      self->busy = FALSE;
      fail_queue (self, again);
      return;
    }

  /* A redemption done meanwhile may already have put a newer one here. */
  if (self->refresh_token == NULL)
    self->refresh_token = g_strdup (rt);
  kvb_keyring_secret_free (rt);
  redeem (task);
}

static void
process_queue (KvbAccountCredential *self)
{
  g_object_ref (self);

  while (!self->busy && !g_queue_is_empty (&self->queue))
    {
      GTask *task = g_queue_pop_head (&self->queue);
      Request *r = g_task_get_task_data (task);
      g_autofree char *key = token_key (r->scope, r->tenant);
      KvbAccessToken *cached = lookup_fresh (self->tokens, key);

      /* Someone ahead in the queue may have fetched exactly this one. */
      if (cached != NULL)
        {
          g_task_return_pointer (task, kvb_access_token_ref (cached),
                                 (GDestroyNotify) kvb_access_token_unref);
          g_object_unref (task);
          continue;
        }

      if (g_task_return_error_if_cancelled (task))
        {
          g_object_unref (task);
          continue;
        }

      self->busy = TRUE;
      if (self->refresh_token == NULL)
        kvb_keyring_lookup_async (self->keyring, self->account, KVB_SECRET_KIND_REFRESH_TOKEN,
                                  g_task_get_cancellable (task), rt_lookup_cb, task);
      else
        redeem (task);
    }

  g_object_unref (self);
}

static void
kvb_account_credential_get_token_async (KvbCredential       *credential,
                                        const char          *scope,
                                        const char          *tenant,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  KvbAccountCredential *self = KVB_ACCOUNT_CREDENTIAL (credential);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Request *r = g_new0 (Request, 1);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, kvb_account_credential_get_token_async);
  r->scope = g_strdup (scope);
  r->tenant = g_strdup (tenant);
  g_task_set_task_data (task, r, (GDestroyNotify) request_free);

  if (kvb_account_get_kind (self->account) != KVB_ACCOUNT_KIND_USER)
    {
      if (self->delegate == NULL && self->client_secret == NULL &&
          kvb_account_get_kind (self->account) == KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL &&
          kvb_account_get_certificate (self->account) == NULL)
        {
          kvb_keyring_lookup_async (self->keyring, self->account, KVB_SECRET_KIND_CLIENT_SECRET,
                                    cancellable, secret_lookup_cb, g_steal_pointer (&task));
          return;
        }
      if (!make_delegate (self, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      call_delegate (g_steal_pointer (&task));
      return;
    }

  g_free (r->tenant);
  r->tenant = g_strdup (effective_tenant (self, tenant));

  {
    g_autofree char *key = token_key (r->scope, r->tenant);
    KvbAccessToken *cached = lookup_fresh (self->tokens, key);

    if (cached != NULL)
      {
        g_task_return_pointer (task, kvb_access_token_ref (cached),
                               (GDestroyNotify) kvb_access_token_unref);
        return;
      }
  }

  if (kvb_account_get_needs_sign_in (self->account))
    {
      g_task_return_error (task, sign_in_again_error (self));
      return;
    }

  g_queue_push_tail (&self->queue, g_steal_pointer (&task));
  process_queue (self);
}

static KvbAccessToken *
kvb_account_credential_get_token_finish (KvbCredential  *credential,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credential), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kvb_account_credential_invalidate (KvbCredential *credential,
                                   const char    *scope,
                                   const char    *tenant)
{
  KvbAccountCredential *self = KVB_ACCOUNT_CREDENTIAL (credential);
  g_autofree char *key = NULL;

  if (self->delegate != NULL)
    {
      kvb_credential_invalidate (self->delegate, scope, tenant);
      return;
    }

  key = token_key (scope, effective_tenant (self, tenant));
  g_hash_table_remove (self->tokens, key);
}

static void
kvb_account_credential_iface_init (KvbCredentialInterface *iface)
{
  iface->get_token_async = kvb_account_credential_get_token_async;
  iface->get_token_finish = kvb_account_credential_get_token_finish;
  iface->invalidate = kvb_account_credential_invalidate;
}

/* save */

static void
save_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyring_store_finish (KVB_KEYRING (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
kvb_account_credential_save_async (KvbAccountCredential *self,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *secret = NULL;
  KvbSecretKind kind = KVB_SECRET_KIND_REFRESH_TOKEN;

  g_return_if_fail (KVB_IS_ACCOUNT_CREDENTIAL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_account_credential_save_async);

  switch (kvb_account_get_kind (self->account))
    {
    case KVB_ACCOUNT_KIND_USER:
      secret = self->refresh_token;
      break;
    case KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL:
      secret = self->client_secret;
      kind = KVB_SECRET_KIND_CLIENT_SECRET;
      break;
    case KVB_ACCOUNT_KIND_AZURE_CLI:
    default:
      break;
    }

  /* Nothing to keep: the Azure CLI keeps its own, a certificate stays in the user's file. */
  if (secret == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  kvb_keyring_store_async (self->keyring, self->account, kind, secret, cancellable, save_cb,
                           g_steal_pointer (&task));
}

gboolean
kvb_account_credential_save_finish (KvbAccountCredential  *self,
                                    GAsyncResult          *result,
                                    GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Helpers shared by the flows (kvb-sign-in-private.h). */

char *
kvb_sign_in_random_string (gsize n_bytes)
{
  g_autofree guchar *buf = g_malloc (n_bytes);
  char *ret;

  /* A CSPRNG: PKCE verifiers and state must not be guessable (GRand is not for this). */
  if (gnutls_rnd (GNUTLS_RND_KEY, buf, n_bytes) < 0)
    g_error ("No random numbers from GnuTLS");
  ret = kvb_base64url_encode (buf, n_bytes);
  memset (buf, 0, n_bytes);
  return ret;
}

GHashTable *
kvb_sign_in_form_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, kvb_secret_string_free);
}

char *
kvb_sign_in_dup_endpoint (KvbCloud   *cloud,
                          const char *tenant,
                          const char *endpoint)
{
  g_autofree char *escaped = g_uri_escape_string (tenant, NULL, FALSE);

  return g_strdup_printf ("%s/%s/oauth2/v2.0/%s", kvb_cloud_get_authority_host (cloud),
                          escaped, endpoint);
}

char *
kvb_sign_in_dup_user_scopes (KvbCloud *cloud)
{
  return g_strconcat (kvb_cloud_get_arm_scope (cloud), " offline_access openid profile", NULL);
}

JsonObject *
kvb_sign_in_parse_id_token (const char *id_token)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *b64 = NULL;
  g_autofree guchar *payload = NULL;
  gsize len = 0, n;

  if (id_token == NULL)
    return NULL;

  parts = g_strsplit (id_token, ".", 4);
  if (g_strv_length (parts) != 3)
    return NULL;

  /* base64url without padding → base64 */
  n = strlen (parts[1]);
  b64 = g_malloc0 (n + 4);
  for (gsize i = 0; i < n; i++)
    b64[i] = parts[1][i] == '-' ? '+' : parts[1][i] == '_' ? '/' : parts[1][i];
  while (n % 4 != 0)
    b64[n++] = '=';

  payload = g_base64_decode (b64, &len);
  parser = json_parser_new ();
  /* A payload of white space parses, without a root. */
  if (payload == NULL || !json_parser_load_from_data (parser, (const char *) payload, len, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

KvbAccountCredential *
kvb_sign_in_credential_from_response (KvbPipeline  *pipeline,
                                      KvbCloud     *cloud,
                                      const char   *cloud_name,
                                      const char   *client_id,
                                      const char   *tenant,
                                      JsonObject   *response,
                                      GError      **error)
{
  const char *access = kvb_json_get_string (response, "access_token", NULL);
  const char *refresh = kvb_json_get_string (response, "refresh_token", NULL);
  const char *username = NULL, *home = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccessToken) token = NULL;
  KvbAccountCredential *self;
  gint64 expires_in;

  if (access == NULL || refresh == NULL)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_SIGN_IN_FAILED,
                           _("The sign-in service gave no refresh token: the application "
                             "registration must allow the offline_access permission."));
      return NULL;
    }

  claims = kvb_sign_in_parse_id_token (kvb_json_get_string (response, "id_token", NULL));
  if (claims != NULL)
    {
      username = kvb_json_get_string (claims, "preferred_username", NULL);
      if (username == NULL)
        username = kvb_json_get_string (claims, "upn", NULL);
      if (username == NULL)
        username = kvb_json_get_string (claims, "oid", NULL);
      home = kvb_json_get_string (claims, "tid", NULL);
    }

  account = kvb_account_new (KVB_ACCOUNT_KIND_USER, cloud_name, kvb_cloud_get_authority_host (cloud),
                             client_id, tenant, username != NULL ? username : _("unknown user"));
  if (home != NULL)
    kvb_account_set_home_tenant (account, home);

  self = kvb_account_credential_new (pipeline, cloud, account, NULL, refresh);

  expires_in = kvb_entra_token_response_get_expires_in (response);
  if (expires_in <= 0)
    expires_in = 3600;
  token = kvb_access_token_new (access, g_get_real_time () / G_USEC_PER_SEC + expires_in);
  kvb_account_credential_cache_token (self, kvb_cloud_get_arm_scope (cloud),
                                      effective_tenant (self, NULL), token);

  return self;
}
