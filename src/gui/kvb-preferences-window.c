/* kvb-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-cloud-row.h"
#include "kvb-preferences-window.h"

struct _KvbPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  KvbCloudRow          *cloud_row;
  AdwEntryRow          *client_id_row;
  AdwEntryRow          *tenant_row;

  /* Owned references */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (KvbPreferencesWindow, kvb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
toast (KvbPreferencesWindow *self,
       const char           *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
cloud_error_cb (KvbPreferencesWindow *self,
                const char           *message)
{
  toast (self, message);
}

static void
client_id_apply_cb (KvbPreferencesWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->client_id_row))));

  g_settings_set_string (self->settings, "client-id", text);
  toast (self, *text ? _("The new client ID is used from the next sign-in on.")
                     : _("The built-in client ID is used from the next sign-in on."));
}

static void
tenant_apply_cb (KvbPreferencesWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->tenant_row))));

  /* An empty tenant means the default: any work or school account. */
  if (*text == '\0')
    {
      g_settings_reset (self->settings, "tenant");
      g_free (text);
      text = g_settings_get_string (self->settings, "tenant");
      gtk_editable_set_text (GTK_EDITABLE (self->tenant_row), text);
    }
  else
    g_settings_set_string (self->settings, "tenant", text);

  toast (self, _("The tenant is used from the next sign-in on."));
}

static void
kvb_preferences_window_dispose (GObject *object)
{
  KvbPreferencesWindow *self = (KvbPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kvb_preferences_window_parent_class)->dispose (object);
}

static void
kvb_preferences_window_class_init (KvbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_preferences_window_dispose;

  g_type_ensure (KVB_TYPE_CLOUD_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_PATH "/ui/kvb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbPreferencesWindow, cloud_row);
  gtk_widget_class_bind_template_child (widget_class, KvbPreferencesWindow, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, KvbPreferencesWindow, tenant_row);
}

static void
kvb_preferences_window_init (KvbPreferencesWindow *self)
{
  g_autofree char *client_id = NULL;
  g_autofree char *tenant = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  client_id = g_settings_get_string (self->settings, "client-id");
  tenant = g_settings_get_string (self->settings, "tenant");
  gtk_editable_set_text (GTK_EDITABLE (self->client_id_row), client_id);
  gtk_editable_set_text (GTK_EDITABLE (self->tenant_row), tenant);

  g_signal_connect_swapped (self->client_id_row, "apply", G_CALLBACK (client_id_apply_cb), self);
  g_signal_connect_swapped (self->tenant_row, "apply", G_CALLBACK (tenant_apply_cb), self);
  g_signal_connect_swapped (self->cloud_row, "error", G_CALLBACK (cloud_error_cb), self);
}

GtkWidget *
kvb_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (KVB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
}
