/* kvb-sign-in-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-sign-in-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-azure-cli-credential.h"
#include "kvb-browser-flow.h"
#include "kvb-cloud-row.h"
#include "kvb-device-code-flow.h"
#include "kvb-error.h"
#ifdef KVB_HAVE_SAMPLE_CLOUD
#include "kvb-sample-cloud.h"
#endif
#include "kvb-sign-in-page.h"
#include "kvb-sign-in-settings.h"

struct _KvbSignInPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  GtkWidget            *welcome_back_button;
  KvbCloudRow          *cloud_row;
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
  AdwActionRow         *azure_cli_row;

  /* Owned references */
  GSettings            *settings;
  KvbPipeline          *pipeline;
  KvbAccountStore      *store;
  GListModel           *sessions;      /* the accounts the window shows */
  GMenuModel           *menu_model;
  gboolean              disposed;
  gboolean              azure_cli_available;

  /* The sign-in flow that runs, if any */
  GCancellable         *flow_cancellable;
  KvbDeviceCodeFlow    *device_flow;
  KvbBrowserFlow       *browser_flow;
  char                 *browser_url;
  char                 *certificate_path;
  GtkFileChooserNative *certificate_chooser;
};

G_DEFINE_FINAL_TYPE (KvbSignInPage, kvb_sign_in_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSIONS,
  PROP_MENU_MODEL,
  N_PROPS
};

enum {
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sp_update (KvbSignInPage *self);

static void
toast (KvbSignInPage *self,
       const char    *message)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
}

static void
cloud_error_cb (KvbSignInPage *self,
                const char    *message)
{
  toast (self, message);
}

/* Browsers and file choosers open over the window the page is in. */
static GtkWindow *
parent_window (KvbSignInPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

void
kvb_sign_in_page_set_account_store (KvbSignInPage   *self,
                                    KvbPipeline     *pipeline,
                                    KvbAccountStore *store)
{
  g_return_if_fail (KVB_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (KVB_IS_PIPELINE (pipeline));
  g_return_if_fail (KVB_IS_ACCOUNT_STORE (store));

  g_set_object (&self->pipeline, pipeline);
  g_set_object (&self->store, store);
}

/* There is somewhere to go back to once an account is shown. */
static void
sessions_changed_cb (KvbSignInPage *self)
{
  gtk_widget_set_visible (self->welcome_back_button,
                          self->sessions != NULL && g_list_model_get_n_items (self->sessions) > 0);
}

void
kvb_sign_in_page_set_sessions (KvbSignInPage *self,
                               GListModel    *sessions)
{
  g_return_if_fail (KVB_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (sessions == NULL || G_IS_LIST_MODEL (sessions));

  if (self->sessions == sessions)
    return;
  if (self->sessions != NULL)
    g_signal_handlers_disconnect_by_data (self->sessions, self);
  g_set_object (&self->sessions, sessions);
  if (sessions != NULL)
    g_signal_connect_object (sessions, "items-changed", G_CALLBACK (sessions_changed_cb), self,
                             G_CONNECT_SWAPPED);
  sessions_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSIONS]);
}


static void
set_flow_running (KvbSignInPage *self,
                  gboolean       running)
{
  static const char * const actions[] = {
    "sign-in.browser", "sign-in.device-code", "sign-in.azure-cli",
    "sign-in.service-principal",
#ifdef KVB_HAVE_SAMPLE_CLOUD
    "sign-in.try-sample",
#endif
  };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], !running);
  if (!self->azure_cli_available)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.azure-cli", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.submit-service-principal", FALSE);
  if (!running)
    sp_update (self);
}

static gboolean
scroll_to_progress_cb (gpointer user_data)
{
  g_autoptr(KvbSignInPage) self = user_data;
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
scroll_to_progress (KvbSignInPage *self)
{
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, scroll_to_progress_cb, g_object_ref (self), NULL);
}

/* The device code is shown in the page rather than in a dialog of its own: windows that come and
 * go while an accessibility client walks the tree crash GTK 4.8 now and then. */
static void
close_device_dialog (KvbSignInPage *self)
{
  gtk_widget_set_visible (self->code_box, FALSE);
}

static void
flow_clear (KvbSignInPage *self)
{
  close_device_dialog (self);
  g_clear_object (&self->device_flow);
  g_clear_object (&self->browser_flow);
  g_clear_pointer (&self->browser_url, g_free);
  gtk_widget_set_visible (self->url_box, FALSE);
}

/* Starts a new flow: the previous one (if any) is stopped, the page says what is happening. */
static GCancellable *
flow_begin (KvbSignInPage *self,
            const char    *message)
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
flow_progress (KvbSignInPage *self,
               const char    *message)
{
  gtk_label_set_text (self->progress_label, message);
}

static void
flow_end (KvbSignInPage *self)
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
flow_fail (KvbSignInPage *self,
           const GError  *error)
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

/* The session is the window's from now on (the sample cloud's may be one it already shows). */
static void
emit_signed_in (KvbSignInPage     *self,
                KvbAccountSession *session)
{
  g_signal_emit (self, signals[SIGNED_IN], 0, session);
}

static void
account_added_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KvbSignInPage) self = user_data;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  account = kvb_account_store_add_finish (KVB_ACCOUNT_STORE (source), result, &error);
  if (self->disposed)
    return;   /* the page is gone */
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
  toast (self, message);
  emit_signed_in (self, session);
}

/* Every flow ends here: the store remembers the account (and its secret in the keyring). */
static void
flow_signed_in (KvbSignInPage        *self,
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
flow_setup (KvbSignInPage *self,
            FlowSetup     *setup)
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
  g_autoptr(KvbSignInPage) self = user_data;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  credential = kvb_browser_flow_wait_finish (KVB_BROWSER_FLOW (source), result, &error);
  if (self->disposed)
    return;   /* the page is gone */
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
  g_autoptr(KvbSignInPage) self = user_data;
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);
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
  gtk_show_uri_full (parent_window (self), url, GDK_CURRENT_TIME, cancellable, browser_opened_cb,
                     g_object_ref (self));

  kvb_browser_flow_wait_async (self->browser_flow, cancellable, browser_done_cb, g_object_ref (self));
}

static void
copy_sign_in_url_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  if (self->browser_url == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->browser_url);
  toast (self, _("Address copied"));
}

/* Device code */

static void
device_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KvbSignInPage) self = user_data;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  credential = kvb_device_code_flow_wait_finish (KVB_DEVICE_CODE_FLOW (source), result, &error);
  if (self->disposed)
    return;   /* the page is gone */
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
  g_autoptr(KvbSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  KvbDeviceCodeFlow *flow = KVB_DEVICE_CODE_FLOW (source);

  gboolean ok = kvb_device_code_flow_start_finish (flow, result, &error);

  if (self->disposed)
    return;   /* the page is gone */
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);
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
  KvbSignInPage *self;
  KvbCloud      *cloud;
} CliData;

static void
cli_account_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CliData *data = user_data;
  g_autoptr(KvbSignInPage) self = data->self;
  g_autoptr(KvbCloud) cloud = data->cloud;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(KvbAccountCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  g_free (data);
  account = kvb_azure_cli_credential_show_account_finish (KVB_AZURE_CLI_CREDENTIAL (source), result, &error);
  if (self->disposed)
    return;   /* the page is gone */
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);
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
  g_autoptr(KvbSignInPage) self = user_data;
  g_autoptr(KvbAccessToken) token = NULL;
  g_autoptr(GError) error = NULL;

  token = kvb_credential_get_token_finish (KVB_CREDENTIAL (source), result, &error);
  if (self->disposed)
    return;   /* the page is gone */
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
sp_update (KvbSignInPage *self)
{
  g_autofree char *tenant = entry_text (self->sp_tenant_row);
  g_autofree char *client_id = entry_text (self->sp_client_id_row);
  gboolean secret = *gtk_editable_get_text (GTK_EDITABLE (self->sp_secret_row)) != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->sp_secret_row), self->certificate_path == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.submit-service-principal",
                                 self->flow_cancellable == NULL && *tenant != '\0' && *client_id != '\0' &&
                                 (secret || self->certificate_path != NULL));
}

static void
submit_service_principal_cb (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  gtk_widget_set_visible (self->sp_group, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->sp_tenant_row));
}

static void
close_service_principal_cb (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->sp_secret_row), "");
  gtk_widget_set_visible (self->sp_group, FALSE);
}

static void
set_certificate (KvbSignInPage *self,
                 const char    *path)
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
certificate_response_cb (KvbSignInPage        *self,
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  if (self->certificate_chooser != NULL)
    return;
  self->certificate_chooser = gtk_file_chooser_native_new (_("Choose the Certificate of the Service Principal"),
                                                           parent_window (self), GTK_FILE_CHOOSER_ACTION_OPEN,
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
  set_certificate (KVB_SIGN_IN_PAGE (widget), NULL);
}

/* Device code: copy and open */

static void
copy_code_cb (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), gtk_label_get_text (self->code_label));
  toast (self, _("Code copied"));
}

static void
copy_code_address_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), gtk_label_get_text (self->code_uri_label));
  toast (self, _("Address copied"));
}

static void
code_address_opened_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(KvbSignInPage) self = user_data;
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  gtk_show_uri_full (parent_window (self), gtk_label_get_text (self->code_uri_label), GDK_CURRENT_TIME,
                     NULL, code_address_opened_cb, g_object_ref (self));
}

#ifdef KVB_HAVE_SAMPLE_CLOUD
/* Sample cloud */

static void
sample_started_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KvbSignInPage) self = user_data;
  KvbSampleCloud *sample = KVB_SAMPLE_CLOUD (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbAccountSession) session = NULL;

  gboolean ok = kvb_sample_cloud_start_finish (sample, result, &error);

  if (self->disposed)
    return;   /* the page is gone */
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
  emit_signed_in (self, session);
}

static void
try_sample_cb (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);
  g_autoptr(KvbSampleCloud) sample = NULL;
  GCancellable *cancellable;
  guint n = self->sessions != NULL ? g_list_model_get_n_items (self->sessions) : 0;

  /* One sample cloud is enough: the one running is shown again. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (self->sessions, i);

      if (kvb_account_session_is_sample (session))
        {
          emit_signed_in (self, session);
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
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (widget);

  if (self->device_flow != NULL)
    kvb_device_code_flow_cancel (self->device_flow);
  if (self->browser_flow != NULL)
    kvb_browser_flow_cancel (self->browser_flow);
  flow_end (self);
}

static void
kvb_sign_in_page_dispose (GObject *object)
{
  KvbSignInPage *self = (KvbSignInPage *)object;

  self->disposed = TRUE;
  if (self->flow_cancellable != NULL)
    g_cancellable_cancel (self->flow_cancellable);
  if (self->device_flow != NULL)
    kvb_device_code_flow_cancel (self->device_flow);
  if (self->browser_flow != NULL)
    kvb_browser_flow_cancel (self->browser_flow);
  if (self->code_box != NULL)
    flow_clear (self);
  if (self->certificate_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->certificate_chooser));
  g_clear_object (&self->certificate_chooser);
  g_clear_object (&self->flow_cancellable);
  if (self->sessions != NULL)
    g_signal_handlers_disconnect_by_data (self->sessions, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_SIGN_IN_PAGE);
  g_clear_object (&self->sessions);
  g_clear_object (&self->store);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->settings);
  g_clear_object (&self->menu_model);

  G_OBJECT_CLASS (kvb_sign_in_page_parent_class)->dispose (object);
}

static void
kvb_sign_in_page_finalize (GObject *object)
{
  KvbSignInPage *self = (KvbSignInPage *)object;

  g_free (self->certificate_path);

  G_OBJECT_CLASS (kvb_sign_in_page_parent_class)->finalize (object);
}

static void
kvb_sign_in_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSIONS:
      g_value_set_object (value, self->sessions);
      break;
    case PROP_MENU_MODEL:
      g_value_set_object (value, self->menu_model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_sign_in_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  KvbSignInPage *self = KVB_SIGN_IN_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSIONS:
      kvb_sign_in_page_set_sessions (self, g_value_get_object (value));
      break;
    case PROP_MENU_MODEL:
      if (g_set_object (&self->menu_model, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_sign_in_page_class_init (KvbSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_sign_in_page_dispose;
  object_class->finalize = kvb_sign_in_page_finalize;
  object_class->get_property = kvb_sign_in_page_get_property;
  object_class->set_property = kvb_sign_in_page_set_property;

  properties[PROP_SESSIONS] =
    g_param_spec_object ("sessions", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MENU_MODEL] =
    g_param_spec_object ("menu-model", NULL, NULL, G_TYPE_MENU_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, KVB_TYPE_ACCOUNT_SESSION);

  g_type_ensure (KVB_TYPE_CLOUD_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, welcome_back_button);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, cloud_row);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, progress_box);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, progress_icon);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, progress_spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, progress_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, url_box);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, url_label);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, code_box);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, code_label);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, code_uri_label);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, code_open_button);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_group);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_tenant_row);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_client_id_row);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_secret_row);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_certificate_row);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sp_certificate_clear);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, sample_button);
  gtk_widget_class_bind_template_child (widget_class, KvbSignInPage, azure_cli_row);
  gtk_widget_class_bind_template_callback (widget_class, cloud_error_cb);
  gtk_widget_class_bind_template_callback (widget_class, sp_update);

#ifdef KVB_HAVE_SAMPLE_CLOUD
  gtk_widget_class_install_action (widget_class, "sign-in.try-sample", NULL, try_sample_cb);
#endif
  gtk_widget_class_install_action (widget_class, "sign-in.browser", NULL, sign_in_browser_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.device-code", NULL, sign_in_device_code_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.azure-cli", NULL, sign_in_azure_cli_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.service-principal", NULL,
                                   sign_in_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.cancel", NULL, cancel_sign_in_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.submit-service-principal", NULL,
                                   submit_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.close-service-principal", NULL,
                                   close_service_principal_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.choose-certificate", NULL, choose_certificate_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.clear-certificate", NULL, clear_certificate_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.copy-code", NULL, copy_code_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.copy-code-address", NULL, copy_code_address_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.open-code-address", NULL, open_code_address_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.copy-url", NULL, copy_sign_in_url_cb);
}

static void
kvb_sign_in_page_init (KvbSignInPage *self)
{
  g_autoptr(GError) error = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Where az cannot run (the Flatpak), the row stays to say why and what to use instead. */
  self->azure_cli_available = kvb_azure_cli_credential_check_available (&error);
  if (!self->azure_cli_available)
    {
      adw_action_row_set_subtitle (self->azure_cli_row, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->azure_cli_row), FALSE);
    }

  self->settings = g_settings_new (APP_ID);
  set_flow_running (self, FALSE);
#ifndef KVB_HAVE_SAMPLE_CLOUD
  /* Built without the stand-in: offer nothing that cannot work. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (self->sample_button, ADW_TYPE_PREFERENCES_GROUP), FALSE);
#endif
}
