/* kvb-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-account-session.h"
#include "kvb-account-store.h"
#include "kvb-azure-cli-credential.h"
#include "kvb-browser-flow.h"
#include "kvb-cloud-row.h"
#include "kvb-device-code-flow.h"
#include "kvb-error.h"
#include "kvb-keyring.h"
#include "kvb-pipeline.h"
#ifdef KVB_HAVE_SAMPLE_CLOUD
#include "kvb-sample-cloud.h"
#endif
#include "kvb-sidebar.h"
#include "kvb-sign-in-settings.h"
#include "kvb-vault-page.h"
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
  GtkStack             *progress_icon;
  GtkSpinner           *progress_spinner;
  GtkLabel             *progress_label;
  GtkWidget            *progress_cancel_button;
  GtkWidget            *url_box;
  GtkLabel             *url_label;
  GtkWidget            *code_box;
  GtkLabel             *code_label;
  GtkLabel             *code_uri_label;
  GtkWidget            *code_open_button;
  GtkWidget            *sp_group;
  AdwEntryRow          *sp_tenant_row;
  AdwEntryRow          *sp_client_id_row;
  AdwEntryRow          *sp_secret_row;
  AdwActionRow         *sp_certificate_row;
  GtkWidget            *sp_certificate_clear;
  GtkWidget            *sample_button;
  AdwLeaflet           *leaflet;
  KvbSidebar           *sidebar;
  KvbVaultPage         *vault_page;

  /* Owned references */
  GSettings            *settings;
  GCancellable         *cancellable;   /* cancelled when the window goes */
  KvbPipeline          *pipeline;
  KvbAccountStore      *store;
  gboolean              disposed;

  /* The sign-in flow that runs, if any */
  GCancellable         *flow_cancellable;
  KvbDeviceCodeFlow    *device_flow;
  KvbBrowserFlow       *browser_flow;
  char                 *browser_url;
  char                 *certificate_path;
  GtkFileChooserNative *certificate_chooser;
};

G_DEFINE_FINAL_TYPE (KvbWindow, kvb_window, ADW_TYPE_APPLICATION_WINDOW)

void
kvb_window_add_toast (KvbWindow  *self,
                      const char *message)
{
  g_return_if_fail (KVB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void sp_update (KvbWindow *self);

static void
sessions_changed_cb (KvbWindow *self)
{
  gboolean any = g_list_model_get_n_items (kvb_sidebar_get_sessions (self->sidebar)) > 0;

  gtk_widget_set_visible (self->welcome_back_button, any);
  if (!any)
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

static void
vault_selected_cb (KvbWindow         *self,
                   KvbVaultInfo      *vault,
                   KvbAccountSession *session)
{
  if (vault == NULL)
    {
      kvb_vault_page_set_vault (self->vault_page, NULL, NULL, NULL, NULL);
      return;
    }
  kvb_vault_page_set_vault (self->vault_page, vault, kvb_account_session_get_pipeline (session),
                            kvb_account_session_get_cloud (session),
                            kvb_account_session_get_credential (session));
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->vault_page));
}

/* Sign-in flows */

static void
set_flow_running (KvbWindow *self,
                  gboolean   running)
{
  static const char * const actions[] = {
    "win.sign-in-browser", "win.sign-in-device-code", "win.sign-in-azure-cli",
    "win.sign-in-service-principal",
#ifdef KVB_HAVE_SAMPLE_CLOUD
    "win.try-sample",
#endif
  };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-sign-in", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.submit-service-principal", FALSE);
  if (!running)
    sp_update (self);
}

static gboolean
scroll_to_progress_cb (gpointer user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  GtkWidget *scrolled;
  graphene_point_t point;

  if (self->disposed || !gtk_widget_get_visible (self->progress_box))
    return G_SOURCE_REMOVE;

  scrolled = gtk_widget_get_ancestor (self->progress_box, GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled != NULL &&
      gtk_widget_compute_point (self->progress_box, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled)),
                                &GRAPHENE_POINT_INIT (0, 0), &point))
    {
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
      double bottom = point.y + gtk_widget_get_height (self->progress_box) + 12;
      double page = gtk_adjustment_get_page_size (adj);

      /* Only as far as needed to show the whole card. */
      if (bottom > gtk_adjustment_get_value (adj) + page)
        gtk_adjustment_set_value (adj, bottom - page);
    }
  return G_SOURCE_REMOVE;
}

/* The progress card may sit below the fold of a small window: bring it into view once laid out. */
static void
scroll_to_progress (KvbWindow *self)
{
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, scroll_to_progress_cb, g_object_ref (self), NULL);
}

/* The device code is shown in the page rather than in a dialog of its own: windows that come and
 * go while an accessibility client walks the tree crash GTK 4.8 now and then. */
static void
close_device_dialog (KvbWindow *self)
{
  gtk_widget_set_visible (self->code_box, FALSE);
}

static void
flow_clear (KvbWindow *self)
{
  close_device_dialog (self);
  g_clear_object (&self->device_flow);
  g_clear_object (&self->browser_flow);
  g_clear_pointer (&self->browser_url, g_free);
  gtk_widget_set_visible (self->url_box, FALSE);
}

/* Starts a new flow: the previous one (if any) is stopped, the page says what is happening. */
static GCancellable *
flow_begin (KvbWindow  *self,
            const char *message)
{
  if (self->flow_cancellable != NULL)
    g_cancellable_cancel (self->flow_cancellable);
  g_clear_object (&self->flow_cancellable);
  flow_clear (self);

  self->flow_cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->progress_icon, "busy");
  gtk_spinner_start (self->progress_spinner);
  gtk_label_set_text (self->progress_label, message);
  gtk_widget_set_visible (self->progress_cancel_button, TRUE);
  gtk_widget_set_visible (self->progress_box, TRUE);
  set_flow_running (self, TRUE);
  gtk_widget_grab_focus (self->progress_cancel_button);
  scroll_to_progress (self);

  return self->flow_cancellable;
}

static void
flow_progress (KvbWindow  *self,
               const char *message)
{
  gtk_label_set_text (self->progress_label, message);
}

static void
flow_end (KvbWindow *self)
{
  flow_clear (self);
  g_clear_object (&self->flow_cancellable);
  gtk_spinner_stop (self->progress_spinner);
  gtk_widget_set_visible (self->progress_box, FALSE);
  set_flow_running (self, FALSE);
}

static gboolean
is_cancellation (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, KVB_ERROR, KVB_ERROR_SIGN_IN_CANCELLED);
}

/* The flow failed: the page keeps saying why until the next attempt.  A cancellation is the
 * user's own doing and says nothing. */
static void
flow_fail (KvbWindow    *self,
           const GError *error)
{
  if (is_cancellation (error))
    {
      flow_end (self);
      return;
    }

  g_debug ("Sign-in failed: %s", error->message);
  flow_clear (self);
  g_clear_object (&self->flow_cancellable);
  gtk_spinner_stop (self->progress_spinner);
  gtk_stack_set_visible_child_name (self->progress_icon, "error");
  gtk_label_set_text (self->progress_label, error->message);
  gtk_widget_set_visible (self->progress_cancel_button, FALSE);
  gtk_widget_set_visible (self->progress_box, TRUE);
  set_flow_running (self, FALSE);
  scroll_to_progress (self);
}

static void
show_vaults_page (KvbWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, "vaults");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
}

static void
account_added_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  account = kvb_account_store_add_finish (KVB_ACCOUNT_STORE (source), result, &error);
  if (self->disposed)
    return;   /* the window is gone */
  if (account == NULL)
    {
      if (self->flow_cancellable != NULL)
        flow_fail (self, error);
      return;
    }

  flow_end (self);
  session = kvb_account_session_new_for_account (self->store, self->pipeline, account);
  /* translators: %s is the account's user name */
  message = g_strdup_printf (_("Signed in as %s"), kvb_account_session_get_title (session));
  kvb_window_add_toast (self, message);
  kvb_sidebar_add_session (self->sidebar, session);
  show_vaults_page (self);
}

/* Every flow ends here: the store remembers the account (and its secret in the keyring). */
static void
flow_signed_in (KvbWindow            *self,
                KvbAccountCredential *credential)
{
  flow_progress (self, _("Signed in. Saving the sign-in…"));
  kvb_account_store_add_async (self->store, credential, self->flow_cancellable,
                               account_added_cb, g_object_ref (self));
}

typedef struct
{
  KvbCloud *cloud;
  char     *cloud_name;
  char     *client_id;
  char     *tenant;
} FlowSetup;

static void
flow_setup_clear (FlowSetup *setup)
{
  g_clear_object (&setup->cloud);
  g_clear_pointer (&setup->cloud_name, g_free);
  g_clear_pointer (&setup->client_id, g_free);
  g_clear_pointer (&setup->tenant, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FlowSetup, flow_setup_clear)

/* The cloud, client id and tenant to sign in with, from the page and the preferences. */
static gboolean
flow_setup (KvbWindow *self,
            FlowSetup *setup)
{
  g_autoptr(GError) error = NULL;

  setup->cloud = kvb_cloud_row_dup_cloud (self->cloud_row, &error);
  if (setup->cloud == NULL || !kvb_pipeline_add_cloud (self->pipeline, setup->cloud, &error))
    {
      flow_begin (self, "");
      flow_fail (self, error);
      return FALSE;
    }
  setup->cloud_name = g_settings_get_string (self->settings, "cloud");
  setup->client_id = kvb_sign_in_dup_client_id (self->settings, NULL);
  setup->tenant = kvb_sign_in_dup_tenant (self->settings, NULL);
  return TRUE;
}

/* Browser */

static void
browser_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  credential = kvb_browser_flow_wait_finish (KVB_BROWSER_FLOW (source), result, &error);
  if (self->disposed)
    return;   /* the window is gone */
  if ((gpointer) source != (gpointer) self->browser_flow)
    return;   /* a flow that was replaced */
  if (credential == NULL)
    flow_fail (self, error);
  else
    flow_signed_in (self, credential);
}

static void
browser_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    return;
  if (self->disposed || self->browser_flow == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* No browser: the flow goes on; the address is on the page to be opened elsewhere. */
  g_debug ("The browser could not be opened: %s", error->message);
  flow_progress (self, _("No browser could be opened. Open the address below in a browser, on this or another computer, and sign in there."));
}

static void
sign_in_browser_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  g_auto(FlowSetup) setup = { 0 };
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  const char *url;

  if (!flow_setup (self, &setup))
    return;

  cancellable = flow_begin (self, _("Waiting for the sign-in in your browser…"));
  self->browser_flow = kvb_browser_flow_new (self->pipeline, setup.cloud, setup.cloud_name,
                                             setup.client_id, setup.tenant);
  url = kvb_browser_flow_start (self->browser_flow, &error);
  if (url == NULL)
    {
      flow_fail (self, error);
      return;
    }

  /* The address is also shown, for a browser that did not open or another machine. */
  self->browser_url = g_strdup (url);
  gtk_label_set_text (self->url_label, url);
  gtk_widget_set_visible (self->url_box, TRUE);
  gtk_show_uri_full (GTK_WINDOW (self), url, GDK_CURRENT_TIME, cancellable, browser_opened_cb,
                     g_object_ref (self));

  kvb_browser_flow_wait_async (self->browser_flow, cancellable, browser_done_cb, g_object_ref (self));
}

static void
copy_sign_in_url_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  if (self->browser_url == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->browser_url);
  kvb_window_add_toast (self, _("Address copied"));
}

/* Device code */

static void
device_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  credential = kvb_device_code_flow_wait_finish (KVB_DEVICE_CODE_FLOW (source), result, &error);
  if (self->disposed)
    return;   /* the window is gone */
  if ((gpointer) source != (gpointer) self->device_flow)
    return;
  close_device_dialog (self);
  if (credential == NULL)
    flow_fail (self, error);
  else
    flow_signed_in (self, credential);
}

static void
device_started_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  KvbDeviceCodeFlow *flow = KVB_DEVICE_CODE_FLOW (source);

  gboolean ok = kvb_device_code_flow_start_finish (flow, result, &error);

  if (self->disposed)
    return;   /* the window is gone */
  if (!ok)
    {
      if ((gpointer) flow == (gpointer) self->device_flow)
        flow_fail (self, error);
      return;
    }
  if ((gpointer) flow != (gpointer) self->device_flow)
    return;

  flow_progress (self, _("Waiting for you to sign in with the code…"));
  gtk_label_set_text (self->code_label, kvb_device_code_flow_get_user_code (flow));
  gtk_label_set_text (self->code_uri_label, kvb_device_code_flow_get_verification_uri (flow));
  gtk_button_set_label (GTK_BUTTON (self->code_open_button), _("_Open in Browser"));
  gtk_widget_set_sensitive (self->code_open_button, TRUE);
  gtk_widget_set_visible (self->code_box, TRUE);
  /* Enter then opens the address. */
  gtk_widget_grab_focus (self->code_open_button);
  scroll_to_progress (self);

  kvb_device_code_flow_wait_async (flow, self->flow_cancellable, device_done_cb, g_object_ref (self));
}

static void
sign_in_device_code_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  g_auto(FlowSetup) setup = { 0 };
  GCancellable *cancellable;

  if (!flow_setup (self, &setup))
    return;

  cancellable = flow_begin (self, _("Asking for a sign-in code…"));
  self->device_flow = kvb_device_code_flow_new (self->pipeline, setup.cloud, setup.cloud_name,
                                                setup.client_id, setup.tenant);
  kvb_device_code_flow_start_async (self->device_flow, cancellable, device_started_cb, g_object_ref (self));
}

/* Azure CLI */

typedef struct
{
  KvbWindow *self;
  KvbCloud  *cloud;
} CliData;

static void
cli_account_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CliData *data = user_data;
  g_autoptr(KvbWindow) self = data->self;
  g_autoptr(KvbCloud) cloud = data->cloud;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  g_free (data);
  account = kvb_azure_cli_credential_show_account_finish (KVB_AZURE_CLI_CREDENTIAL (source), result, &error);
  if (self->disposed)
    return;   /* the window is gone */
  if (self->flow_cancellable == NULL)
    return;
  if (account == NULL)
    {
      flow_fail (self, error);
      return;
    }

  credential = kvb_account_credential_new (self->pipeline, cloud, account,
                                           kvb_account_store_get_keyring (self->store), NULL);
  flow_signed_in (self, credential);
}

static void
sign_in_azure_cli_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  g_auto(FlowSetup) setup = { 0 };
  g_autoptr(KvbAzureCliCredential) cli = NULL;
  GCancellable *cancellable;
  CliData *data;

  if (!flow_setup (self, &setup))
    return;

  cancellable = flow_begin (self, _("Asking the Azure CLI which account it is signed in to…"));
  cli = kvb_azure_cli_credential_new ();
  data = g_new0 (CliData, 1);
  data->self = g_object_ref (self);
  data->cloud = g_steal_pointer (&setup.cloud);
  kvb_azure_cli_credential_show_account_async (cli, setup.cloud_name, cancellable, cli_account_cb, data);
}

/* Service principal */

static void
sp_token_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(KvbAccessToken) token = NULL;
  g_autoptr(GError) error = NULL;

  token = kvb_credential_get_token_finish (KVB_CREDENTIAL (source), result, &error);
  if (self->disposed)
    return;   /* the window is gone */
  if (self->flow_cancellable == NULL)
    return;
  if (token == NULL)
    {
      flow_fail (self, error);
      return;
    }

  /* The secret goes to the keyring with the account. */
  gtk_widget_set_visible (self->sp_group, FALSE);
  flow_signed_in (self, KVB_ACCOUNT_CREDENTIAL (source));
}

static char *
entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

/* Sign In is offered once tenant, client id and a secret or certificate are there. */
static void
sp_update (KvbWindow *self)
{
  g_autofree char *tenant = entry_text (self->sp_tenant_row);
  g_autofree char *client_id = entry_text (self->sp_client_id_row);
  gboolean secret = *gtk_editable_get_text (GTK_EDITABLE (self->sp_secret_row)) != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->sp_secret_row), self->certificate_path == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.submit-service-principal",
                                 self->flow_cancellable == NULL && *tenant != '\0' && *client_id != '\0' &&
                                 (secret || self->certificate_path != NULL));
}

static void
submit_service_principal_cb (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  g_auto(FlowSetup) setup = { 0 };
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autofree char *tenant = entry_text (self->sp_tenant_row);
  g_autofree char *client_id = entry_text (self->sp_client_id_row);
  const char *secret = gtk_editable_get_text (GTK_EDITABLE (self->sp_secret_row));
  GCancellable *cancellable;

  if (!flow_setup (self, &setup))
    return;

  cancellable = flow_begin (self, _("Signing in as the service principal…"));
  account = kvb_account_new (KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL, setup.cloud_name,
                             kvb_cloud_get_authority_host (setup.cloud), client_id, tenant, client_id);
  if (self->certificate_path != NULL)
    kvb_account_set_certificate (account, self->certificate_path);
  credential = kvb_account_credential_new (self->pipeline, setup.cloud, account,
                                           kvb_account_store_get_keyring (self->store), NULL);
  if (self->certificate_path == NULL)
    kvb_account_credential_set_client_secret (credential, secret);

  /* The secret now lives in the credential (and the keyring once saved); the page forgets it. */
  gtk_editable_set_text (GTK_EDITABLE (self->sp_secret_row), "");

  /* A token for Resource Manager proves the secret or certificate before anything is saved. */
  kvb_credential_get_token_async (KVB_CREDENTIAL (credential), kvb_cloud_get_arm_scope (setup.cloud),
                                  NULL, cancellable, sp_token_cb, g_object_ref (self));
}

static void
sign_in_service_principal_cb (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_widget_set_visible (self->sp_group, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->sp_tenant_row));
}

static void
close_service_principal_cb (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->sp_secret_row), "");
  gtk_widget_set_visible (self->sp_group, FALSE);
}

static void
set_certificate (KvbWindow  *self,
                 const char *path)
{
  g_free (self->certificate_path);
  self->certificate_path = g_strdup (path);

  if (path != NULL)
    {
      g_autofree char *display = g_filename_display_name (path);
      adw_action_row_set_subtitle (self->sp_certificate_row, display);
      /* A certificate replaces the secret: nothing of it stays in the page. */
      gtk_editable_set_text (GTK_EDITABLE (self->sp_secret_row), "");
    }
  else
    adw_action_row_set_subtitle (self->sp_certificate_row, NULL);
  gtk_widget_set_visible (self->sp_certificate_clear, path != NULL);
  sp_update (self);
}

static void
certificate_response_cb (KvbWindow            *self,
                         int                   response,
                         GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->certificate_chooser);
  if (file != NULL && (path = g_file_get_path (file)) != NULL)
    set_certificate (self, path);
}

static void
choose_certificate_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  if (self->certificate_chooser != NULL)
    return;
  self->certificate_chooser = gtk_file_chooser_native_new (_("Choose the Certificate of the Service Principal"),
                                                           GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                                           _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->certificate_chooser), TRUE);
  g_signal_connect_object (self->certificate_chooser, "response", G_CALLBACK (certificate_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->certificate_chooser));
}

static void
clear_certificate_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  set_certificate (KVB_WINDOW (widget), NULL);
}

/* Device code: copy and open */

static void
copy_code_cb (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), gtk_label_get_text (self->code_label));
  kvb_window_add_toast (self, _("Code copied"));
}

static void
copy_code_address_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), gtk_label_get_text (self->code_uri_label));
  kvb_window_add_toast (self, _("Address copied"));
}

static void
code_address_opened_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) || self->disposed)
    return;

  /* The address and its Copy button are right above. */
  g_debug ("The browser could not be opened: %s", error->message);
  gtk_button_set_label (GTK_BUTTON (self->code_open_button), _("No Browser Could Be Opened"));
  gtk_widget_set_sensitive (self->code_open_button, FALSE);
}

static void
open_code_address_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_show_uri_full (GTK_WINDOW (self), gtk_label_get_text (self->code_uri_label), GDK_CURRENT_TIME,
                     NULL, code_address_opened_cb, g_object_ref (self));
}

#ifdef KVB_HAVE_SAMPLE_CLOUD
/* Sample cloud */

static void
sample_started_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  KvbSampleCloud *sample = KVB_SAMPLE_CLOUD (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccountSession) session = NULL;

  gboolean ok = kvb_sample_cloud_start_finish (sample, result, &error);

  if (self->disposed)
    return;   /* the window is gone */
  if (!ok)
    {
      if (self->flow_cancellable != NULL)
        flow_fail (self, error);
      return;
    }
  if (self->flow_cancellable == NULL || g_cancellable_is_cancelled (self->flow_cancellable))
    return;   /* cancelled: dropping the last reference stops the stand-in */

  session = kvb_account_session_new_for_sample (self->pipeline, G_OBJECT (sample),
                                                kvb_sample_cloud_get_cloud (sample),
                                                kvb_sample_cloud_get_credential (sample),
                                                kvb_sample_cloud_get_client_id (sample));
  flow_end (self);
  kvb_sidebar_add_session (self->sidebar, session);
  show_vaults_page (self);
}

static void
try_sample_cb (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);
  g_autoptr(KvbSampleCloud) sample = NULL;
  GCancellable *cancellable;

  GListModel *sessions = kvb_sidebar_get_sessions (self->sidebar);

  for (guint i = 0; i < g_list_model_get_n_items (sessions); i++)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (sessions, i);

      if (kvb_account_session_is_sample (session))
        {
          show_vaults_page (self);
          return;
        }
    }

  cancellable = flow_begin (self, _("Starting the sample cloud…"));
  sample = kvb_sample_cloud_new (self->pipeline);
  kvb_sample_cloud_start_async (sample, cancellable, sample_started_cb, g_object_ref (self));
}

#endif

static void
cancel_sign_in_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  if (self->device_flow != NULL)
    kvb_device_code_flow_cancel (self->device_flow);
  if (self->browser_flow != NULL)
    kvb_browser_flow_cancel (self->browser_flow);
  flow_end (self);
}

static void
reload_vaults_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  kvb_sidebar_reload (KVB_WINDOW (widget)->sidebar);
}

static void
add_account_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

/* Keyring */

static void
update_keyring_bar (KvbWindow *self)
{
  gtk_info_bar_set_revealed (self->keyring_bar, !kvb_account_store_get_keyring_available (self->store));
}

static void
keyring_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (kvb_keyring_check_finish (KVB_KEYRING (source), result, &error))
    return;
  if (self->disposed)
    return;   /* the window is gone */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_debug ("No keyring: %s", error->message);
  gtk_info_bar_set_revealed (self->keyring_bar, TRUE);
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

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
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
    kvb_vault_page_show_kind (self->vault_page, names[page - 1]);
}

static void
kvb_window_dispose (GObject *object)
{
  KvbWindow *self = (KvbWindow *)object;

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->flow_cancellable != NULL)
    g_cancellable_cancel (self->flow_cancellable);
  if (self->device_flow != NULL)
    kvb_device_code_flow_cancel (self->device_flow);
  if (self->browser_flow != NULL)
    kvb_browser_flow_cancel (self->browser_flow);
  flow_clear (self);
  if (self->certificate_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->certificate_chooser));
  g_clear_object (&self->certificate_chooser);
  g_clear_object (&self->flow_cancellable);
  /* The sidebar goes with the template: what it says on its way out is nobody's business. */
  if (self->sidebar != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sidebar, self);
      g_signal_handlers_disconnect_by_data (kvb_sidebar_get_sessions (self->sidebar), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kvb_window_parent_class)->dispose (object);
}

static void
kvb_window_finalize (GObject *object)
{
  KvbWindow *self = (KvbWindow *)object;

  g_free (self->certificate_path);

  G_OBJECT_CLASS (kvb_window_parent_class)->finalize (object);
}

static void
kvb_window_class_init (KvbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_window_dispose;
  object_class->finalize = kvb_window_finalize;
  window_class->close_request = kvb_window_close_request;

  g_type_ensure (KVB_TYPE_CLOUD_ROW);
  g_type_ensure (KVB_TYPE_SIDEBAR);
  g_type_ensure (KVB_TYPE_VAULT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, keyring_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, welcome_back_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, cloud_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, methods_group);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_box);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_icon);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, progress_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, url_box);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, url_label);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, code_box);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, code_label);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, code_uri_label);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, code_open_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_group);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_tenant_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_client_id_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_secret_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_certificate_row);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sp_certificate_clear);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sample_button);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, vault_page);
  gtk_widget_class_bind_template_child (widget_class, KvbWindow, sidebar);

  gtk_widget_class_install_action (widget_class, "win.show-vaults", NULL, show_vaults_cb);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_cb);
  gtk_widget_class_install_action (widget_class, "win.show-page", "i", show_page_cb);
  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_cb);
  gtk_widget_class_install_action (widget_class, "win.reload-vaults", NULL, reload_vaults_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.reload-vaults", NULL);
#ifdef KVB_HAVE_SAMPLE_CLOUD
  gtk_widget_class_install_action (widget_class, "win.try-sample", NULL, try_sample_cb);
#endif
  gtk_widget_class_install_action (widget_class, "win.sign-in-browser", NULL, sign_in_browser_cb);
  gtk_widget_class_install_action (widget_class, "win.sign-in-device-code", NULL, sign_in_device_code_cb);
  gtk_widget_class_install_action (widget_class, "win.sign-in-azure-cli", NULL, sign_in_azure_cli_cb);
  gtk_widget_class_install_action (widget_class, "win.sign-in-service-principal", NULL,
                                   sign_in_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "win.cancel-sign-in", NULL, cancel_sign_in_cb);
  gtk_widget_class_install_action (widget_class, "win.submit-service-principal", NULL, submit_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "win.close-service-principal", NULL, close_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "win.choose-certificate", NULL, choose_certificate_cb);
  gtk_widget_class_install_action (widget_class, "win.clear-certificate", NULL, clear_certificate_cb);
  gtk_widget_class_install_action (widget_class, "win.copy-code", NULL, copy_code_cb);
  gtk_widget_class_install_action (widget_class, "win.copy-code-address", NULL, copy_code_address_cb);
  gtk_widget_class_install_action (widget_class, "win.open-code-address", NULL, open_code_address_cb);
  gtk_widget_class_install_action (widget_class, "win.copy-sign-in-url", NULL, copy_sign_in_url_cb);

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

  self->pipeline = kvb_pipeline_new ();
  self->store = kvb_account_store_new (self->pipeline, self->settings, kvb_keyring_new ());
  g_signal_connect_object (self->store, "notify::keyring-available", G_CALLBACK (update_keyring_bar), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar, "vault-selected", G_CALLBACK (vault_selected_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kvb_sidebar_get_sessions (self->sidebar), "items-changed",
                           G_CALLBACK (sessions_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->cloud_row, "error", G_CALLBACK (kvb_window_add_toast), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sp_tenant_row, "changed", G_CALLBACK (sp_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sp_client_id_row, "changed", G_CALLBACK (sp_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sp_secret_row, "changed", G_CALLBACK (sp_update), self, G_CONNECT_SWAPPED);
  set_flow_running (self, FALSE);
#ifndef KVB_HAVE_SAMPLE_CLOUD
  /* Built without the stand-in: offer nothing that cannot work. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (self->sample_button, ADW_TYPE_PREFERENCES_GROUP), FALSE);
#endif

  /* Tell at once when sign-ins cannot outlive this session. */
  kvb_keyring_check_async (kvb_account_store_get_keyring (self->store), self->cancellable,
                           keyring_checked_cb, g_object_ref (self));

  kvb_sidebar_set_account_store (self->sidebar, self->pipeline, self->store);
  sessions_changed_cb (self);
  if (g_list_model_get_n_items (kvb_sidebar_get_sessions (self->sidebar)) > 0)
    gtk_stack_set_visible_child_name (self->main_stack, "vaults");
}

KvbWindow *
kvb_window_new (AdwApplication *application)
{
  return g_object_new (KVB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
