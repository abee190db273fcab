/* kvb-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-keyring"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-secret-portal.h"
#include "kvb-sign-in-private.h"

/* Only non-secret attributes: the Secret Service may keep attributes unencrypted. */
static const SecretSchema kvb_keyring_schema = {
  "io.github.kvbackup.KeyVaultBackup.Credential", SECRET_SCHEMA_NONE,
  {
    { "cloud", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "authority", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "NULL", 0 },
  }
};

struct _KvbKeyring
{
  GObject parent_instance;

  gboolean in_memory;
  gboolean available;
  /* "ACCOUNT-ID/KIND" → secret: what this session stored, so that sign-in keeps working
   * without a Secret Service. */
  GHashTable *memory;
};

G_DEFINE_FINAL_TYPE (KvbKeyring, kvb_keyring, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
kvb_keyring_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
kvb_keyring_finalize (GObject *object)
{
  KvbKeyring *self = (KvbKeyring *)object;

  g_clear_pointer (&self->memory, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_keyring_parent_class)->finalize (object);
}

static void
kvb_keyring_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KvbKeyring *self = KVB_KEYRING (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_keyring_class_init (KvbKeyringClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_keyring_finalize;
  object_class->get_property = kvb_keyring_get_property;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_keyring_init (KvbKeyring *self)
{
  self->available = TRUE;
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) kvb_keyring_secret_free);
}

KvbKeyring *
kvb_keyring_new (void)
{
  return g_object_new (KVB_TYPE_KEYRING, NULL);
}

KvbKeyring *
kvb_keyring_new_in_memory (void)
{
  KvbKeyring *self = g_object_new (KVB_TYPE_KEYRING, NULL);

  self->in_memory = TRUE;
  return self;
}

gboolean
kvb_keyring_get_available (KvbKeyring *self)
{
  g_return_val_if_fail (KVB_IS_KEYRING (self), FALSE);
  return self->available;
}

static const char *
kind_name (KvbSecretKind kind)
{
  return kind == KVB_SECRET_KIND_CLIENT_SECRET ? "client_secret" : "refresh_token";
}

static char *
memory_key (KvbAccount    *account,
            KvbSecretKind  kind)
{
  return g_strdup_printf ("%s/%s", kvb_account_get_id (account), kind_name (kind));
}

/* The values are copies: libsecret keeps a reference to the table until its call finishes,
 * and the account may be gone by then. */
static GHashTable *
attributes_for (KvbAccount *account,
                const char *kind)
{
  GHashTable *attrs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attrs, (char *) "cloud", g_strdup (kvb_account_get_cloud (account)));
  g_hash_table_insert (attrs, (char *) "authority", g_strdup (kvb_account_get_authority (account)));
  g_hash_table_insert (attrs, (char *) "client-id", g_strdup (kvb_account_get_client_id (account)));
  g_hash_table_insert (attrs, (char *) "tenant", g_strdup (kvb_account_get_tenant (account)));
  g_hash_table_insert (attrs, (char *) "account", g_strdup (kvb_account_get_username (account)));
  if (kind != NULL)
    g_hash_table_insert (attrs, (char *) "kind", g_strdup (kind));

  return attrs;
}

static void
set_available (KvbKeyring *self,
               gboolean    available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* Everything but a cancellation means "no usable Secret Service" to the user; the details
 * (which never contain the secret) go to the debug log. */
static GError *
unavailable_error (KvbKeyring *self,
                   GError     *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  g_debug ("Secret Service: %s", error->message);
  set_available (self, FALSE);
  return g_error_new_literal (KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE,
                              _("No keyring is available: sign-in will last for this session only."));
}

/* One libsecret call at a time, for the whole process.  Until libsecret has a backend, each call
 * makes one of its own: in the Flatpak sandbox that is one Secret portal request per call, and
 * a second call meanwhile checks the portal with a blocking D-Bus call.  In order, the first call
 * makes the backend and the others use it. */

typedef enum {
  OP_CHECK,
  OP_STORE,
  OP_LOOKUP,
  OP_CLEAR,
} OpKind;

typedef struct {
  OpKind      kind;
  GHashTable *attrs;
  char       *label;
  char       *secret;
  char       *memory_key;
} Op;

static void
op_free (Op *op)
{
  g_clear_pointer (&op->attrs, g_hash_table_unref);
  g_free (op->label);
  kvb_keyring_secret_free (op->secret);
  g_free (op->memory_key);
  g_free (op);
}

/* GTasks waiting for their turn; only touched on the thread that uses the keyring (the main
 * thread), whose context runs libsecret's callbacks. */
static GQueue queue = G_QUEUE_INIT;
static gboolean running;

static void start_op (GTask *task);

static void
next_op (void)
{
  GTask *task = g_queue_pop_head (&queue);

  running = task != NULL;
  if (task != NULL)
    start_op (task);
}

static void
enqueue_op (GTask *task,
            Op    *op)
{
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  kvb_secret_portal_guard ();
  g_queue_push_tail (&queue, task);
  if (!running)
    next_op ();
}

/* Called by each callback once its task has returned. */
static void
op_finished (GTask *task)
{
  g_object_unref (task);
  next_op ();
}

static void
op_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  GTask *task = user_data;
  KvbKeyring *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *secret = NULL;
  gboolean ok = TRUE;

  switch (op->kind)
    {
    case OP_CHECK:
    case OP_LOOKUP:
      secret = secret_password_lookup_finish (result, &error);
      ok = error == NULL;
      break;
    case OP_STORE:
      ok = secret_password_store_finish (result, &error);
      break;
    case OP_CLEAR:
      /* FALSE without an error means there was nothing to remove. */
      ok = secret_password_clear_finish (result, &error) || error == NULL;
      break;
    }

  if (!ok)
    g_task_return_error (task, unavailable_error (self, error));
  else if (op->kind == OP_LOOKUP)
    {
      set_available (self, TRUE);
      if (secret != NULL)
        {
          /* Keep a copy so that the next call of this session does not ask the service again. */
          g_hash_table_replace (self->memory, g_strdup (op->memory_key), g_strdup (secret));
          g_task_return_pointer (task, g_strdup (secret), (GDestroyNotify) kvb_keyring_secret_free);
        }
      else
        g_task_return_pointer (task, NULL, NULL);
    }
  else
    {
      if (op->kind == OP_CHECK)
        g_debug ("The keyring answers");
      if (op->kind != OP_CLEAR)
        set_available (self, TRUE);
      g_task_return_boolean (task, TRUE);
    }

  secret_password_free (secret);
  op_finished (task);
}

static void
start_op (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  switch (op->kind)
    {
    case OP_CHECK:
    case OP_LOOKUP:
      secret_password_lookupv (&kvb_keyring_schema, op->attrs, cancellable, op_cb, task);
      break;
    case OP_STORE:
      secret_password_storev (&kvb_keyring_schema, op->attrs, SECRET_COLLECTION_DEFAULT,
                              op->label, op->secret, cancellable, op_cb, task);
      break;
    case OP_CLEAR:
      secret_password_clearv (&kvb_keyring_schema, op->attrs, cancellable, op_cb, task);
      break;
    }
}

/* check */

void
kvb_keyring_check_async (KvbKeyring          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (KVB_IS_KEYRING (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_check_async);

  if (self->in_memory)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE,
                               _("No keyring is used: sign-in will last for this session only."));
      return;
    }

  /* A look-up of an item that never exists proves that the keyring answers, not only that a
   * name could be activated, and goes where the other calls go: in the Flatpak sandbox
   * libsecret keeps the secrets in a file under the application's data folder, with a key from
   * the Secret portal, and the Secret Service name itself is out of reach. */
  op = g_new0 (Op, 1);
  op->kind = OP_CHECK;
  op->attrs = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (op->attrs, (char *) "kind", (char *) "availability-check");
  enqueue_op (g_steal_pointer (&task), op);
}

gboolean
kvb_keyring_check_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* store */

void
kvb_keyring_store_async (KvbKeyring          *self,
                         KvbAccount          *account,
                         KvbSecretKind        kind,
                         const char          *secret,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));
  g_return_if_fail (secret != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_store_async);

  g_hash_table_replace (self->memory, memory_key (account, kind), g_strdup (secret));

  if (self->in_memory)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = OP_STORE;
  op->secret = g_strdup (secret);
  if (kind == KVB_SECRET_KIND_CLIENT_SECRET)
    /* Translators: the label of a keyring item, shown in Passwords and Keys; %s is an account. */
    op->label = g_strdup_printf (_("Key Vault Backup: client secret for %s"),
                                 kvb_account_get_username (account));
  else
    /* Translators: the label of a keyring item, shown in Passwords and Keys; %s is an account. */
    op->label = g_strdup_printf (_("Key Vault Backup: refresh token for %s"),
                                 kvb_account_get_username (account));
  op->attrs = attributes_for (account, kind_name (kind));
  g_debug ("Storing the %s of account %s", kind_name (kind), kvb_account_get_id (account));
  enqueue_op (g_steal_pointer (&task), op);
}

gboolean
kvb_keyring_store_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* lookup */

void
kvb_keyring_lookup_async (KvbKeyring          *self,
                          KvbAccount          *account,
                          KvbSecretKind        kind,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  const char *found;
  Op *op;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_lookup_async);
  key = memory_key (account, kind);

  found = g_hash_table_lookup (self->memory, key);
  if (found != NULL || self->in_memory)
    {
      g_task_return_pointer (task, g_strdup (found), (GDestroyNotify) kvb_keyring_secret_free);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = OP_LOOKUP;
  op->memory_key = g_steal_pointer (&key);
  op->attrs = attributes_for (account, kind_name (kind));
  enqueue_op (g_steal_pointer (&task), op);
}

char *
kvb_keyring_lookup_finish (KvbKeyring    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* clear */

void
kvb_keyring_clear_async (KvbKeyring          *self,
                         KvbAccount          *account,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (KVB_IS_KEYRING (self));
  g_return_if_fail (KVB_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_keyring_clear_async);

  for (KvbSecretKind k = KVB_SECRET_KIND_REFRESH_TOKEN; k <= KVB_SECRET_KIND_CLIENT_SECRET; k++)
    {
      g_autofree char *k_key = memory_key (account, k);
      g_hash_table_remove (self->memory, k_key);
    }

  if (self->in_memory)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Without "kind": every item of the account goes. */
  op = g_new0 (Op, 1);
  op->kind = OP_CLEAR;
  op->attrs = attributes_for (account, NULL);
  enqueue_op (g_steal_pointer (&task), op);
}

gboolean
kvb_keyring_clear_finish (KvbKeyring    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kvb_keyring_forget_cached (KvbKeyring    *self,
                           KvbAccount    *account,
                           KvbSecretKind  kind)
{
  g_autofree char *key = NULL;

  g_return_if_fail (KVB_IS_KEYRING (self));

  if (self->in_memory || !self->available)
    return;
  key = memory_key (account, kind);
  g_hash_table_remove (self->memory, key);
}
