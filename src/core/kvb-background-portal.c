/* kvb-background-portal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-background-portal"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-background-portal.h"
#include "kvb-error.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define REQUEST_INTERFACE "org.freedesktop.portal.Request"

typedef struct
{
  GDBusConnection *bus;
  char *request_path;    /* where the Response comes from */
  guint response_id;     /* its subscription */
  gulong cancelled_id;
  gboolean allowed;
  gboolean autostart;
} Request;

static void
request_free (Request *request)
{
  if (request->response_id != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
  g_clear_object (&request->bus);
  g_free (request->request_path);
  g_free (request);
}

static void
unsubscribe (Request *request)
{
  if (request->response_id != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
  request->response_id = 0;
}

/* The one way a task ends, whichever comes first: the Response, an error or the cancellable. */
static void
finish (GTask  *task,
        GError *error)
{
  Request *request = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_task_get_completed (task) || g_object_get_data (G_OBJECT (task), "kvb-done") != NULL)
    {
      g_clear_error (&error);
      return;
    }
  g_object_set_data (G_OBJECT (task), "kvb-done", GINT_TO_POINTER (1));
  unsubscribe (request);
  if (cancellable != NULL && request->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, request->cancelled_id);
  request->cancelled_id = 0;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
response_cb (GDBusConnection *bus,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GVariant) results = NULL;
  guint32 response;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  /* 0: done; 1: the user (or the permission on record) said no; 2: it ended some other way. */
  if (!g_variant_lookup (results, "background", "b", &request->allowed))
    request->allowed = response == 0;
  if (!g_variant_lookup (results, "autostart", "b", &request->autostart))
    request->autostart = FALSE;
  g_debug ("The Background portal answered %u: background %d, autostart %d", response,
           request->allowed, request->autostart);
  if (response == 2)
    finish (task, g_error_new_literal (KVB_ERROR, KVB_ERROR_FAILED,
                                       _("The desktop did not answer whether Key Vault Backup may "
                                         "run in the background.")));
  else
    finish (task, NULL);
}

static void
called_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      g_debug ("RequestBackground failed: %s", error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish (task, g_steal_pointer (&error));
      else if (remote != NULL && (strcmp (remote, "org.freedesktop.DBus.Error.UnknownMethod") == 0 ||
                                  strcmp (remote, "org.freedesktop.DBus.Error.UnknownInterface") == 0 ||
                                  strcmp (remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0))
        finish (task, g_error_new_literal (KVB_ERROR, KVB_ERROR_FAILED,
                                           _("This desktop has no Background portal, which starts "
                                             "an application with the session.")));
      else
        finish (task, g_error_new (KVB_ERROR, KVB_ERROR_FAILED,
                                   _("The desktop could not be asked to let Key Vault Backup run "
                                     "in the background: %s"), error->message));
    }
  /* The handle is the path the Response was subscribed at (the portal names it after our
   * handle_token): nothing more to do until it comes. */
}

static void
cancelled_cb (GCancellable *cancellable,
              GTask        *task)
{
  Request *request = g_task_get_task_data (task);

  /* Tell the portal, which may be showing the user a question for nothing. */
  g_dbus_connection_call (request->bus, PORTAL_NAME, request->request_path, REQUEST_INTERFACE,
                          "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
}

static gboolean
cancelled_idle_cb (gpointer user_data)
{
  GTask *task = user_data;

  finish (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
  return G_SOURCE_REMOVE;
}

static void
cancelled_in_context_cb (GCancellable *cancellable,
                         GTask        *task)
{
  cancelled_cb (cancellable, task);
  /* A cancellable may fire on any thread: end the task in its own context. */
  g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT, cancelled_idle_cb,
                              g_object_ref (task), g_object_unref);
}

void
kvb_background_portal_request_async (const char          *parent_window,
                                     const char          *reason,
                                     gboolean             autostart,
                                     const char * const  *commandline,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *token = NULL;
  GVariantBuilder options;
  Request *request;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_background_portal_request_async);
  request = g_new0 (Request, 1);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  request->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &error);
  if (request->bus == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The request's path is known before the call (from our unique name and the token), so the
   * Response is listened for before it can come: one that came first would be lost. */
  token = g_strdup_printf ("kvb%u", g_random_int ());
  sender = g_strdup (g_dbus_connection_get_unique_name (request->bus) + 1);
  g_strdelimit (sender, ".", '_');
  request->request_path = g_strconcat (PORTAL_PATH "/request/", sender, "/", token, NULL);
  request->response_id =
    g_dbus_connection_signal_subscribe (request->bus, NULL, REQUEST_INTERFACE, "Response",
                                        request->request_path, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                        response_cb, g_object_ref (task), g_object_unref);
  if (cancellable != NULL)
    request->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_in_context_cb),
                                                   task, NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  if (reason != NULL)
    g_variant_builder_add (&options, "{sv}", "reason", g_variant_new_string (reason));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (autostart));
  if (commandline != NULL)
    g_variant_builder_add (&options, "{sv}", "commandline", g_variant_new_strv (commandline, -1));
  g_variant_builder_add (&options, "{sv}", "dbus-activatable", g_variant_new_boolean (FALSE));

  /* No time limit: the desktop may ask the user, who answers when they answer. */
  g_dbus_connection_call (request->bus, PORTAL_NAME, PORTAL_PATH,
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", parent_window != NULL ? parent_window : "",
                                         &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT, cancellable,
                          called_cb, g_object_ref (task));
}

gboolean
kvb_background_portal_request_finish (GAsyncResult  *result,
                                      gboolean      *allowed,
                                      gboolean      *autostart_enabled,
                                      GError       **error)
{
  Request *request;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  request = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (allowed != NULL)
    *allowed = request->allowed;
  if (autostart_enabled != NULL)
    *autostart_enabled = request->autostart;
  return TRUE;
}
