/* test-keyring-portal.c: the keyring as it works inside a Flatpak or Snap sandbox (libsecret's
 * file backend with its key from the Secret portal), on a private bus whose
 * org.freedesktop.portal.Desktop is a small portal of this test's own, run on a thread of its
 * own.  The real portal is exercised by tests/flatpak/; this one can answer at the worst moment
 * every time: the request's Response right behind the reply, while the main loop is busy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>

#include "kvb-account.h"
#include "kvb-keyring.h"
#include "kvb-secret-portal.h"

#define SECRET "sp-secret-do-not-print-4f1d9a"
#define REQUEST_PATH "/org/freedesktop/portal/desktop/request/1_1/kvbtest"

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Secret'>"
  "    <method name='RetrieveSecret'>"
  "      <arg type='h' name='fd' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

typedef struct {
  GMutex        mutex;
  GCond         cond;
  char         *address;
  GMainContext *context;
  GMainLoop    *loop;
  gboolean      ready;
  gboolean      main_busy;
  guint         calls;
} Portal;

static Portal portal;

/* Kept to the end: the keyring holds the shared connection to this bus for the life of the
 * process, so g_test_dbus_down(), which waits for that connection to go, can't be used. */
static GTestDBus *bus;

/* Runs on the main thread: keeps its loop busy while the portal answers. */
static gboolean
busy_main_cb (gpointer user_data)
{
  g_mutex_lock (&portal.mutex);
  portal.main_busy = TRUE;
  g_cond_broadcast (&portal.cond);
  g_mutex_unlock (&portal.mutex);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  return G_SOURCE_REMOVE;
}

static void
portal_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (g_dbus_method_invocation_get_message (invocation));
  g_autoptr(GError) error = NULL;
  guchar key[64];
  int handle;
  int fd;

  g_variant_get (parameters, "(h@a{sv})", &handle, NULL);
  fd = fds != NULL ? g_unix_fd_list_get (fds, handle, &error) : -1;
  g_assert_cmpint (fd, >=, 0);

  /* The main loop is made busy first, so that the reply and the Response both reach the
   * application before it can act on the reply. */
  g_mutex_lock (&portal.mutex);
  portal.calls++;
  portal.main_busy = FALSE;
  g_mutex_unlock (&portal.mutex);
  g_main_context_invoke (g_main_context_default (), busy_main_cb, NULL);
  g_mutex_lock (&portal.mutex);
  while (!portal.main_busy)
    g_cond_wait (&portal.cond, &portal.mutex);
  g_mutex_unlock (&portal.mutex);

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guchar) (0x41 + i % 26);
  g_assert_cmpint (write (fd, key, sizeof key), ==, sizeof key);
  close (fd);

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", REQUEST_PATH));
  g_dbus_connection_emit_signal (connection, sender, REQUEST_PATH, "org.freedesktop.portal.Request",
                                 "Response", g_variant_new ("(u@a{sv})", 0,
                                                            g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                 &error);
  g_assert_no_error (error);
}

static GVariant *
portal_get_property_cb (GDBusConnection  *connection,
                        const char       *sender,
                        const char       *object_path,
                        const char       *interface_name,
                        const char       *property_name,
                        GError          **error,
                        gpointer          user_data)
{
  return g_variant_new_uint32 (1);
}

static const GDBusInterfaceVTable portal_vtable = {
  portal_method_cb, portal_get_property_cb, NULL, { NULL }
};

static gpointer
portal_thread (gpointer user_data)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (portal.context);
  bus = g_dbus_connection_new_for_address_sync (portal.address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (portal_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/freedesktop/portal/desktop", info->interfaces[0],
                                     &portal_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.portal.Desktop", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  g_mutex_lock (&portal.mutex);
  portal.ready = TRUE;
  g_cond_broadcast (&portal.cond);
  g_mutex_unlock (&portal.mutex);

  g_main_loop_run (portal.loop);
  g_dbus_connection_close_sync (bus, NULL, NULL);
  g_main_context_pop_thread_default (portal.context);
  return NULL;
}

static gboolean
quit_portal_cb (gpointer data)
{
  g_main_loop_quit (portal.loop);
  return G_SOURCE_REMOVE;
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

/* Long enough for a loaded machine; without the guard the calls never end. */
static gboolean
wait_all (GAsyncResult **results,
          guint          n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  for (;;)
    {
      guint done = 0;

      for (guint i = 0; i < n; i++)
        done += results[i] != NULL;
      if (done == n)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }
}

/* Three calls at once in a new process, with the Response right behind the reply while the
 * main loop is busy: all end, in order, with one portal request. */
static void
test_response_behind_reply (void)
{
  g_autoptr(KvbKeyring) keyring = kvb_keyring_new ();
  g_autoptr(KvbKeyring) other = kvb_keyring_new ();
  g_autoptr(KvbAccount) account = kvb_account_new (KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, "public",
                                                   "https://login.microsoftonline.com",
                                                   "5a0c6b1e-0000-4000-8000-00000000c11d",
                                                   "72f988bf-0000-4000-8000-0000000000aa",
                                                   "5a0c6b1e-0000-4000-8000-00000000c11d");
  GAsyncResult *results[3] = { NULL, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *file = g_strdup (g_getenv ("SECRET_FILE_TEST_PATH"));
  gsize length = 0;
  GStatBuf st;

  kvb_keyring_check_async (keyring, NULL, result_cb, &results[0]);
  kvb_keyring_store_async (keyring, account, KVB_SECRET_KIND_CLIENT_SECRET, SECRET, NULL,
                           result_cb, &results[1]);
  /* Another instance: it has no copy in memory of what the first stored. */
  kvb_keyring_lookup_async (other, account, KVB_SECRET_KIND_CLIENT_SECRET, NULL, result_cb,
                            &results[2]);

  if (!wait_all (results, G_N_ELEMENTS (results)))
    g_error ("the keyring calls did not end within 20 s (%s %s %s): the Secret portal's Response "
             "was lost", results[0] ? "check ended" : "check waits",
             results[1] ? "store ended" : "store waits", results[2] ? "lookup ended" : "lookup waits");

  g_assert_true (kvb_keyring_check_finish (keyring, results[0], &error));
  g_assert_no_error (error);
  g_assert_true (kvb_keyring_store_finish (keyring, results[1], &error));
  g_assert_no_error (error);
  found = kvb_keyring_lookup_finish (other, results[2], &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, SECRET);
  g_assert_true (kvb_keyring_get_available (keyring));

  /* One request: the calls waited for the first instead of each asking the portal. */
  g_assert_cmpuint (portal.calls, ==, 1);
  /* The Response came while the main loop was busy, and was held back for it. */
  g_assert_cmpuint (kvb_secret_portal_guard_held (), ==, 1);

  /* The secret is in the sandbox's keyring file, not in clear. */
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
  g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
  g_assert_null (g_strstr_len (contents, length, SECRET));

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_object (&results[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autoptr(GDBusConnection) session = NULL;
  GThread *thread;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* libsecret takes the portal's way in a Snap as in a Flatpak; "/.flatpak-info" can't be
   * made here. */
  dir = g_dir_make_tmp ("kvb-keyring-portal-XXXXXX", NULL);
  file = g_build_filename (dir, "keyrings", "default.keyring", NULL);
  g_setenv ("SNAP_NAME", "kvbtest", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", file, TRUE);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  g_mutex_init (&portal.mutex);
  g_cond_init (&portal.cond);
  portal.address = g_strdup (g_test_dbus_get_bus_address (bus));
  portal.context = g_main_context_new ();
  portal.loop = g_main_loop_new (portal.context, FALSE);
  thread = g_thread_new ("portal", portal_thread, NULL);
  g_mutex_lock (&portal.mutex);
  while (!portal.ready)
    g_cond_wait (&portal.cond, &portal.mutex);
  g_mutex_unlock (&portal.mutex);

  g_test_add_func ("/signin/keyring-portal/response-behind-reply", test_response_behind_reply);
  status = g_test_run ();

  /* Quit from inside the portal's loop: a quit that came before its run started would be lost. */
  g_main_context_invoke (portal.context, quit_portal_cb, NULL);
  g_thread_join (thread);
  g_main_loop_unref (portal.loop);
  g_main_context_unref (portal.context);
  g_free (portal.address);

  g_unlink (file);
  g_autofree char *keyrings = g_path_get_dirname (file);
  g_rmdir (keyrings);
  g_rmdir (dir);
  session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_dbus_connection_set_exit_on_close (session, FALSE);
  g_test_dbus_stop (bus);
  return status;
}
