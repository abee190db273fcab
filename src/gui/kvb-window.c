/* kvb-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-cloud-row.h"
#include "kvb-window.h"

struct _KvbWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkInfoBar           *keyring_bar;
  GtkStack             *main_stack;
  GtkWidget            *welcome_back_button;
  KvbCloudRow          *cloud_row;
  AdwPreferencesGroup  *methods_group;
  GtkWidget            *progress_box;
  GtkSpinner           *progress_spinner;
  GtkLabel             *progress_label;
  GtkWidget            *progress_cancel_button;
  GtkWidget            *sample_button;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *content;
  GtkMenuButton        *accounts_button;
  GtkListBox           *accounts_list;
  GtkStack             *sidebar_stack;
  AdwStatusPage        *sidebar_status;
  GtkListBox           *sidebar_list;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  AdwStatusPage        *secrets_status;
  AdwStatusPage        *keys_status;
  AdwStatusPage        *certificates_status;
  AdwStatusPage        *deleted_status;

  /* Owned references */
  GSettings            *settings;
  GCancellable         *cancellable;   /* cancelled when the window goes */
};

G_DEFINE_FINAL_TYPE (KvbWindow, kvb_window, ADW_TYPE_APPLICATION_WINDOW)

void
kvb_window_add_toast (KvbWindow  *self,
                      const char *message)
{
  g_return_if_fail (KVB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

/* The four object pages say honestly what they will show, and that they do not show it yet. */
static void
show_vault (KvbWindow  *self,
            const char *vault_name)
{
  struct {
    AdwStatusPage *page;
    const char    *description;
  } pages[] = {
    { self->secrets_status, N_("Listing and backing up the secrets of a vault comes in a later version.") },
    { self->keys_status, N_("Listing and backing up the keys of a vault comes in a later version.") },
    { self->certificates_status, N_("Listing and backing up the certificates of a vault comes in a later version.") },
    { self->deleted_status, N_("Listing, recovering and purging deleted objects comes in a later version.") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      if (vault_name == NULL)
        {
          adw_status_page_set_title (pages[i].page, _("No Vault Selected"));
          adw_status_page_set_description (pages[i].page, _("Choose a vault in the sidebar."));
        }
      else
        {
          adw_status_page_set_title (pages[i].page, vault_name);
          adw_status_page_set_description (pages[i].page, _(pages[i].description));
        }
    }

  adw_view_switcher_title_set_subtitle (self->switcher_title, vault_name);
}

static void
save_window_state (KvbWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
  g_settings_apply (self->settings);
}

static gboolean
kvb_window_close_request (GtkWindow *window)
{
  save_window_state (KVB_WINDOW (window));

  return GTK_WINDOW_CLASS (kvb_window_parent_class)->close_request (window);
}

static void
show_vaults_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "vaults");
}

static void
show_sidebar_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
show_page_cb (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  static const char * const names[] = { "secrets", "keys", "certificates", "deleted" };
  int page = g_variant_get_int32 (parameter);

  if (page >= 1 && page <= (int) G_N_ELEMENTS (names) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "vaults") == 0)
    adw_view_stack_set_visible_child_name (self->view_stack, names[page - 1]);
}

static void
kvb_window_dispose (GObject *object)
{
  KvbWindow *self = (KvbWindow *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kvb_window_parent_class)->dispose (object);
}

static void
kvb_window_class_init (KvbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_window_dispose;
  window_class->close_request = kvb_window_close_request;

  g_type_ensure (KVB_TYPE_CLOUD_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, keyring_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, welcome_back_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, cloud_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, methods_group);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_box);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sample_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, content);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, accounts_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar_status);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, secrets_status);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, keys_status);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, certificates_status);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, deleted_status);

  gtk_widget_class_install_action (widget_class, "win.show-vaults", NULL, show_vaults_cb);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_cb);
  gtk_widget_class_install_action (widget_class, "win.show-page", "i", show_page_cb);

  for (int i = 1; i <= 4; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_ALT_MASK,
                                         "win.show-page", "i", i);
}

static void
kvb_window_init (KvbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  show_vault (self, NULL);
}

KvbWindow *
kvb_window_new (AdwApplication *application)
{
  return g_object_new (KVB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
