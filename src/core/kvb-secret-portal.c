/* kvb-secret-portal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-keyring"

#include "config.h"

#include "kvb-secret-portal.h"

#define PORTAL_BUS_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_SECRET_INTERFACE "org.freedesktop.portal.Secret"
#define PORTAL_REQUEST_INTERFACE "org.freedesktop.portal.Request"

/* Long enough for a busy main loop, short enough that a main thread blocked in a D-Bus call of
 * its own (which this thread must deliver) loses little. */
#define HOLD_MAX_US (2 * G_TIME_SPAN_SECOND)

/* Everything below is touched by GDBus's worker thread (the filter) and the calling thread. */
G_LOCK_DEFINE_STATIC (guard);
static GDBusConnection *guard_bus;
static GMainContext *guard_context;
static GArray *call_serials;     /* guint32: RetrieveSecret calls not answered yet */
static GPtrArray *request_paths; /* char *: their requests, whose Response is to come */
static guint held;

typedef struct {
  GMutex   mutex;
  GCond    cond;
  gboolean reached;
  int      refs;
} Hold;

static void
hold_unref (Hold *hold)
{
  gboolean last;

  g_mutex_lock (&hold->mutex);
  last = --hold->refs == 0;
  g_mutex_unlock (&hold->mutex);
  if (last)
    {
      g_mutex_clear (&hold->mutex);
      g_cond_clear (&hold->cond);
      g_free (hold);
    }
}

static gboolean
hold_reached_cb (gpointer user_data)
{
  Hold *hold = user_data;

  g_mutex_lock (&hold->mutex);
  hold->reached = TRUE;
  g_cond_signal (&hold->cond);
  g_mutex_unlock (&hold->mutex);
  return G_SOURCE_REMOVE;
}

/* The reply to RetrieveSecret went through this thread before the Response, so its completion
 * is already queued on the caller's context at the default priority; an idle source of lower
 * priority runs after it, and after what that completion queued at the default priority.
 * Waits until it ran (or HOLD_MAX_US). */
static void
wait_for_context (GMainContext *context)
{
  Hold *hold = g_new0 (Hold, 1);
  g_autoptr(GSource) source = g_idle_source_new ();
  gint64 deadline = g_get_monotonic_time () + HOLD_MAX_US;

  g_mutex_init (&hold->mutex);
  g_cond_init (&hold->cond);
  hold->refs = 2;

  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (source, hold_reached_cb, hold, (GDestroyNotify) hold_unref);
  g_source_set_static_name (source, "[kvb] secret portal response held");
  g_source_attach (source, context);

  g_mutex_lock (&hold->mutex);
  while (!hold->reached)
    if (!g_cond_wait_until (&hold->cond, &hold->mutex, deadline))
      {
        g_debug ("Secret portal: the main context did not run within %d s; the Response goes on",
                 (int) (HOLD_MAX_US / G_TIME_SPAN_SECOND));
        break;
      }
  g_mutex_unlock (&hold->mutex);
  hold_unref (hold);
}

static gboolean
take_path (const char *path)
{
  for (guint i = 0; i < request_paths->len; i++)
    if (g_str_equal (g_ptr_array_index (request_paths, i), path))
      {
        g_ptr_array_remove_index_fast (request_paths, i);
        return TRUE;
      }
  return FALSE;
}

static GDBusMessage *
filter_cb (GDBusConnection *connection,
           GDBusMessage    *message,
           gboolean         incoming,
           gpointer         user_data)
{
  GDBusMessageType type = g_dbus_message_get_message_type (message);
  gboolean hold = FALSE;

  if (!incoming)
    {
      if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
          g_strcmp0 (g_dbus_message_get_interface (message), PORTAL_SECRET_INTERFACE) == 0 &&
          g_strcmp0 (g_dbus_message_get_member (message), "RetrieveSecret") == 0)
        {
          guint32 serial = g_dbus_message_get_serial (message);

          G_LOCK (guard);
          g_array_append_val (call_serials, serial);
          G_UNLOCK (guard);
        }
      return message;
    }

  G_LOCK (guard);
  if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN || type == G_DBUS_MESSAGE_TYPE_ERROR)
    {
      guint32 serial = g_dbus_message_get_reply_serial (message);

      for (guint i = 0; i < call_serials->len; i++)
        if (g_array_index (call_serials, guint32, i) == serial)
          {
            GVariant *body = g_dbus_message_get_body (message);

            g_array_remove_index_fast (call_serials, i);
            if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN && body != NULL &&
                g_variant_is_of_type (body, G_VARIANT_TYPE ("(o)")))
              {
                const char *path = NULL;

                g_variant_get (body, "(&o)", &path);
                g_ptr_array_add (request_paths, g_strdup (path));
              }
            break;
          }
    }
  else if (type == G_DBUS_MESSAGE_TYPE_SIGNAL &&
           g_strcmp0 (g_dbus_message_get_interface (message), PORTAL_REQUEST_INTERFACE) == 0 &&
           g_strcmp0 (g_dbus_message_get_member (message), "Response") == 0 &&
           g_dbus_message_get_path (message) != NULL)
    {
      hold = take_path (g_dbus_message_get_path (message));
      if (hold)
        held++;
    }
  G_UNLOCK (guard);

  if (hold)
    wait_for_context (guard_context);
  return message;
}

static void
ignore_response_cb (GDBusConnection *connection,
                    const char      *sender_name,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
}

void
kvb_secret_portal_guard (void)
{
  g_autoptr(GError) error = NULL;

  if (guard_bus != NULL)
    return;
  if (!g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) && g_getenv ("SNAP_NAME") == NULL)
    return;

  /* The same connection libsecret gets (the shared one), kept so that it stays the same.
   * libsecret itself connects with g_bus_get_sync() at this point. */
  guard_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (guard_bus == NULL)
    {
      g_debug ("Secret portal: no session bus: %s", error->message);
      return;
    }
  guard_context = g_main_context_ref_thread_default ();
  call_serials = g_array_new (FALSE, FALSE, sizeof (guint32));
  request_paths = g_ptr_array_new_with_free_func (g_free);
  g_dbus_connection_add_filter (guard_bus, filter_cb, NULL, NULL);

  /* GDBus matches a signal from a well-known name against that name's owner, which it asks the
   * bus for when the first subscription names it; a signal that comes before the answer is
   * dropped.  libsecret subscribes only after the reply; this subscription, kept for the life of
   * the process, has the owner known long before. */
  g_dbus_connection_signal_subscribe (guard_bus, PORTAL_BUS_NAME, PORTAL_REQUEST_INTERFACE,
                                      "Response", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE,
                                      ignore_response_cb, NULL, NULL);
}

guint
kvb_secret_portal_guard_held (void)
{
  guint n;

  G_LOCK (guard);
  n = held;
  G_UNLOCK (guard);
  return n;
}
