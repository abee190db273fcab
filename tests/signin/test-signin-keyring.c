/* test-signin-keyring.c: the keyring against a real Secret Service (gnome-keyring on a private
 * session bus, as the test harness provides).  Without a session bus the tests are skipped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>   /* for the schema's name only */

#include "kvb-account.h"
#include "kvb-account-store.h"
#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-pipeline.h"

#define SECRET "rt-0.AXYZ-very-secret-refresh-token-value"

static const SecretSchema schema = {
  "io.github.kvbackup.KeyVaultBackup.Credential", SECRET_SCHEMA_NONE,
  { { "cloud", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "authority", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "NULL", 0 } }
};

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* Skips (with the reason) unless a Secret Service answers on a session bus. */
static gboolean
have_secret_service (void)
{
  g_autoptr(KvbKeyring) keyring = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no D-Bus session bus: run under the test harness (dbus-run-session with gnome-keyring)");
      return FALSE;
    }

  keyring = kvb_keyring_new ();
  kvb_keyring_check_async (keyring, NULL, result_cb, &result);
  if (!kvb_keyring_check_finish (keyring, wait_for (&result), &error))
    {
      g_autofree char *why = g_strdup_printf ("no Secret Service on the session bus: %s", error->message);
      g_test_skip (why);
      return FALSE;
    }
  g_assert_true (kvb_keyring_get_available (keyring));
  return TRUE;
}

static KvbAccount *
test_account (const char *user)
{
  return kvb_account_new (KVB_ACCOUNT_KIND_USER, "public", "https://login.microsoftonline.com",
                          "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "organizations", user);
}

static char *
lookup (KvbKeyring    *keyring,
        KvbAccount    *account,
        KvbSecretKind  kind)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *s;

  kvb_keyring_lookup_async (keyring, account, kind, NULL, result_cb, &result);
  s = kvb_keyring_lookup_finish (keyring, wait_for (&result), &error);
  g_assert_no_error (error);
  return s;
}

/* Our items for @user as secret-tool shows them: a list of GHashTable ("label", "secret",
 * attribute names).  secret-tool runs in its own process: libsecret 0.20's item proxies are
 * not freed in the process that searched (a sanitizer build would report it). */
static GPtrArray *
search_items (const char *user)
{
  const char *argv[] = { "secret-tool", "search", "--all", "--unlock", "account", user, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_auto(GStrv) lines = NULL;
  g_autofree char *all = NULL;
  GHashTable *cur = NULL;
  GPtrArray *ours;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error))
    {
      g_test_skip ("secret-tool (libsecret-tools) is not installed");
      return NULL;
    }

  all = g_strconcat (out, "\n", err, NULL);
  lines = g_strsplit (all, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *eq = strstr (lines[i], " = ");

      if (g_str_has_prefix (lines[i], "[/"))
        {
          cur = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_ptr_array_add (items, cur);
        }
      else if (cur != NULL && eq != NULL)
        {
          g_autofree char *key = g_strndup (lines[i], eq - lines[i]);
          const char *name = g_str_has_prefix (key, "attribute.") ? key + strlen ("attribute.") : key;

          g_hash_table_insert (cur, g_strdup (g_str_equal (name, "xdg:schema") ? "schema" : name),
                               g_strdup (eq + 3));
        }
    }

  ours = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (g_hash_table_lookup (items->pdata[i], "schema"), schema.name) == 0)
      g_ptr_array_add (ours, g_hash_table_ref (items->pdata[i]));
  return ours;
}

static void
test_store_lookup_clear (void)
{
  g_autofree char *user = g_strdup_printf ("user-%u@contoso.example", g_random_int ());
  g_autoptr(KvbAccount) account = test_account (user);
  g_autoptr(KvbAccount) other = test_account ("someone-else@contoso.example");
  g_autoptr(KvbKeyring) keyring = NULL;
  g_autoptr(KvbKeyring) restarted = NULL;
  g_autoptr(KvbKeyring) after = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL, *none = NULL, *gone = NULL;
  GPtrArray *items;

  if (!have_secret_service ())
    return;

  keyring = kvb_keyring_new ();
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN, SECRET, NULL, result_cb, &result);
  g_assert_true (kvb_keyring_store_finish (keyring, wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* A new instance has nothing in memory: the secret comes from gnome-keyring. */
  restarted = kvb_keyring_new ();
  found = lookup (restarted, account, KVB_SECRET_KIND_REFRESH_TOKEN);
  g_assert_cmpstr (found, ==, SECRET);
  none = lookup (restarted, other, KVB_SECRET_KIND_REFRESH_TOKEN);
  g_assert_null (none);

  /* What the keyring shows (Passwords and Keys): a label and attributes, nothing secret. */
  items = search_items (user);
  if (items == NULL)
    return;
  g_assert_cmpuint (items->len, ==, 1);
  {
    GHashTable *item = items->pdata[0];
    g_autofree char *expected = g_strdup_printf ("Key Vault Backup: refresh token for %s", user);
    GHashTableIter it;
    gpointer k, v;

    g_assert_cmpstr (g_hash_table_lookup (item, "label"), ==, expected);
    g_assert_cmpstr (g_hash_table_lookup (item, "secret"), ==, SECRET);
    g_assert_cmpstr (g_hash_table_lookup (item, "kind"), ==, "refresh_token");
    g_assert_cmpstr (g_hash_table_lookup (item, "cloud"), ==, "public");
    g_assert_cmpstr (g_hash_table_lookup (item, "client-id"), ==, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
    g_assert_cmpstr (g_hash_table_lookup (item, "tenant"), ==, "organizations");
    g_hash_table_iter_init (&it, item);
    while (g_hash_table_iter_next (&it, &k, &v))
      if (!g_str_equal (k, "secret"))
        g_assert_null (strstr (v, SECRET));
  }
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Rotation replaces the item, it does not add one. */
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN, SECRET "-2", NULL, result_cb, &result);
  g_assert_true (kvb_keyring_store_finish (keyring, wait_for (&result), &error));
  g_clear_object (&result);
  items = search_items (user);
  g_assert_cmpuint (items->len, ==, 1);
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Sign out: every item of the account goes. */
  kvb_keyring_clear_async (keyring, account, NULL, result_cb, &result);
  g_assert_true (kvb_keyring_clear_finish (keyring, wait_for (&result), &error));
  g_assert_no_error (error);
  after = kvb_keyring_new ();
  gone = lookup (after, account, KVB_SECRET_KIND_REFRESH_TOKEN);
  g_assert_null (gone);
  items = search_items (user);
  g_assert_cmpuint (items->len, ==, 0);
  g_clear_pointer (&items, g_ptr_array_unref);
}

/* libsecret warns (e.g. "invalid authority string value") when the attributes it was given
 * have gone bad; any message of its own at all counts as a failure here. */
static void
count_libsecret_message (const char     *domain,
                         GLogLevelFlags  level,
                         const char     *message,
                         gpointer        user_data)
{
  guint *count = user_data;

  g_printerr ("# libsecret: %s\n", message);
  (*count)++;
}

/* Sign-out with the caller's reference dropped at once, as a window does when the account's
 * row goes away: the account must live, and its attributes stay valid, until the keyring has
 * answered. */
static void
test_sign_out_account_dropped (void)
{
  g_autofree char *user = g_strdup_printf ("dropped-%u@contoso.example", g_random_int ());
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbKeyring) keyring = NULL;
  g_autoptr(KvbKeyring) after = NULL;
  g_autoptr(KvbAccountStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *gone = NULL;
  g_autoptr(KvbAccount) probe = NULL;
  KvbAccount *account;
  GWeakRef weak;
  GPtrArray *items;
  guint messages = 0;
  guint handler;

  if (!have_secret_service ())
    return;

  handler = g_log_set_handler ("libsecret", G_LOG_LEVEL_MASK & ~(G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO),
                               count_libsecret_message, &messages);

  keyring = kvb_keyring_new ();
  account = test_account (user);
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN, SECRET, NULL, result_cb, &result);
  g_assert_true (kvb_keyring_store_finish (keyring, wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_CLIENT_SECRET, SECRET "-cs", NULL, result_cb, &result);
  g_assert_true (kvb_keyring_store_finish (keyring, wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  pipeline = kvb_pipeline_new ();
  store = kvb_account_store_new (pipeline, NULL, keyring);
  g_weak_ref_init (&weak, account);
  kvb_account_store_sign_out_async (store, account, NULL, result_cb, &result);
  g_object_unref (account);
  g_assert_true (kvb_account_store_sign_out_finish (store, wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Held for the operation only: gone once it has finished. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);

  g_log_remove_handler ("libsecret", handler);
  g_assert_cmpuint (messages, ==, 0);

  after = kvb_keyring_new ();
  probe = test_account (user);
  gone = lookup (after, probe, KVB_SECRET_KIND_REFRESH_TOKEN);
  g_assert_null (gone);
  items = search_items (user);
  if (items == NULL)
    return;
  g_assert_cmpuint (items->len, ==, 0);
  g_clear_pointer (&items, g_ptr_array_unref);
}

static void
test_unavailable (void)
{
  g_autoptr(KvbKeyring) keyring = NULL;
  g_autoptr(KvbAccount) account = test_account ("nobody@contoso.example");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *address = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

  /* A session without a Secret Service (here: a bus address nobody listens on). */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kvb-test-bus", TRUE);
  keyring = kvb_keyring_new ();
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN, SECRET, NULL, result_cb, &result);
  g_assert_false (kvb_keyring_store_finish (keyring, wait_for (&result), &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_KEYRING_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "this session only"));
  g_assert_false (kvb_keyring_get_available (keyring));

  /* …and the sign-in still works for this session. */
  found = lookup (keyring, account, KVB_SECRET_KIND_REFRESH_TOKEN);
  g_assert_cmpstr (found, ==, SECRET);
  (void) address;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signin/keyring/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/signin/keyring/sign-out-account-dropped", test_sign_out_account_dropped);
  g_test_add_func ("/signin/keyring/unavailable", test_unavailable);

  return g_test_run ();
}
