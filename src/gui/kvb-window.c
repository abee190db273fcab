/* kvb-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-window"

#include "config.h"

#include <glib/gi18n.h>

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
#include "kvb-sign-in-settings.h"
#include "kvb-vault-finder.h"
#include "kvb-window.h"

/* One signed-in account as the window shows it: the sample cloud, or an account of the store. */
typedef struct
{
  KvbWindow      *window;         /* unowned; NULL once the session was removed */
  KvbAccount     *account;        /* NULL for the sample cloud */
  GObject        *sample;         /* the sample cloud (KvbSampleCloud), NULL otherwise */
  KvbCloud       *cloud;
  KvbCredential  *credential;
  char           *title;
  char           *subtitle;
  GPtrArray      *subscriptions;  /* of KvbFoundSubscription; NULL while loading or failed */
  char           *error;          /* why nothing could be listed, for people */
  GCancellable   *cancellable;
} Session;

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
  KvbPipeline          *pipeline;
  KvbAccountStore      *store;
  GPtrArray            *sessions;      /* of Session, in the order they were added */

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

/* Sessions */

static Session *
session_new (KvbWindow *self)
{
  Session *session = g_rc_box_new0 (Session);

  session->window = self;
  session->cancellable = g_cancellable_new ();
  return session;
}

static void
session_clear (Session *session)
{
  g_clear_object (&session->account);
  g_clear_object (&session->sample);
  g_clear_object (&session->cloud);
  g_clear_object (&session->credential);
  g_clear_pointer (&session->title, g_free);
  g_clear_pointer (&session->subtitle, g_free);
  g_clear_pointer (&session->subscriptions, g_ptr_array_unref);
  g_clear_pointer (&session->error, g_free);
  g_clear_object (&session->cancellable);
}

static Session *
session_ref (Session *session)
{
  return g_rc_box_acquire (session);
}

static void
session_unref (Session *session)
{
  g_rc_box_release_full (session, (GDestroyNotify) session_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_unref)

/* The session leaves the window: its work stops, and late answers find session->window NULL. */
static void
session_detach (Session *session)
{
  g_cancellable_cancel (session->cancellable);
  session->window = NULL;
  session_unref (session);
}

static void rebuild_sidebar (KvbWindow *self);
static void rebuild_accounts (KvbWindow *self);
static void sign_out_clicked_cb (GtkButton *button, KvbWindow *self);
static void sp_update (KvbWindow *self);
static void session_retry_clicked_cb (GtkButton *button, KvbWindow *self);

static char *
describe_cloud (const char *cloud_name)
{
  if (cloud_name == NULL || g_ascii_strcasecmp (cloud_name, "public") == 0)
    return g_strdup (_("Azure"));
  if (g_ascii_strcasecmp (cloud_name, "china") == 0)
    return g_strdup (_("Azure China"));
  if (g_ascii_strcasecmp (cloud_name, "usgov") == 0)
    return g_strdup (_("Azure US Government"));
  if (g_ascii_strcasecmp (cloud_name, "sample") == 0)
    return g_strdup (_("Sample cloud"));
  {
    g_autofree char *base = g_path_get_basename (cloud_name);
    g_autofree char *display = g_filename_display_name (base);
    /* translators: %s is the file name of a custom cloud profile */
    return g_strdup_printf (_("Custom cloud (%s)"), display);
  }
}

static void
session_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Session) session = user_data;
  g_autoptr(GPtrArray) subscriptions = NULL;
  g_autoptr(GError) error = NULL;

  subscriptions = kvb_vault_finder_list_finish (KVB_ARM_CLIENT (source), result, &error);
  if (session->window == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (subscriptions == NULL)
    {
      g_debug ("Listing the vaults of %s failed: %s", session->title, error->message);
      session->error = g_strdup (error->message);
    }
  else
    session->subscriptions = g_steal_pointer (&subscriptions);

  rebuild_sidebar (session->window);
}

static void
session_load (Session *session)
{
  g_autoptr(KvbArmClient) client = NULL;

  g_clear_pointer (&session->subscriptions, g_ptr_array_unref);
  g_clear_pointer (&session->error, g_free);

  client = kvb_arm_client_new (session->window->pipeline, session->cloud, session->credential);
  kvb_vault_finder_list_async (client, session->cancellable, session_loaded_cb, session_ref (session));
}

static void
sessions_changed (KvbWindow *self)
{
  gboolean any = self->sessions->len > 0;

  gtk_widget_set_visible (self->welcome_back_button, any);
  if (!any)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
      show_vault (self, NULL);
    }
  rebuild_sidebar (self);
  rebuild_accounts (self);
}

static Session *
find_store_session (KvbWindow  *self,
                    KvbAccount *account)
{
  for (guint i = 0; i < self->sessions->len; i++)
    {
      Session *session = g_ptr_array_index (self->sessions, i);

      if (session->account != NULL &&
          g_strcmp0 (kvb_account_get_id (session->account), kvb_account_get_id (account)) == 0)
        return session;
    }
  return NULL;
}

/* Keeps one session per account of the store: new accounts get one (and start listing their
 * vaults), accounts that left the store lose theirs.  The sample cloud is not in the store. */
static void
sync_store_sessions (KvbWindow *self)
{
  GListModel *model = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (model);

  for (guint i = self->sessions->len; i > 0; i--)
    {
      Session *session = g_ptr_array_index (self->sessions, i - 1);
      gboolean found = FALSE;

      if (session->account == NULL)
        continue;
      for (guint j = 0; j < n && !found; j++)
        {
          g_autoptr(KvbAccount) account = g_list_model_get_item (model, j);
          found = g_strcmp0 (kvb_account_get_id (account), kvb_account_get_id (session->account)) == 0;
        }
      if (!found)
        g_ptr_array_remove_index (self->sessions, i - 1);
    }

  for (guint j = 0; j < n; j++)
    {
      g_autoptr(KvbAccount) account = g_list_model_get_item (model, j);
      g_autoptr(GError) error = NULL;
      KvbCredential *credential;
      Session *session;

      if (find_store_session (self, account) != NULL)
        continue;

      session = session_new (self);
      session->account = g_object_ref (account);
      session->title = g_strdup (*kvb_account_get_username (account) != '\0'
                                 ? kvb_account_get_username (account) : kvb_account_get_client_id (account));
      session->subtitle = describe_cloud (kvb_account_get_cloud (account));
      g_ptr_array_add (self->sessions, session);

      session->cloud = kvb_account_store_dup_cloud (self->store, account, &error);
      credential = session->cloud ? kvb_account_store_get_credential (self->store, account, &error) : NULL;
      if (credential == NULL)
        {
          session->error = g_strdup (error->message);
          continue;
        }
      kvb_pipeline_add_cloud (self->pipeline, session->cloud, NULL);
      session->credential = g_object_ref (credential);
      session_load (session);
    }

  sessions_changed (self);
}

static void
store_items_changed_cb (KvbWindow *self)
{
  sync_store_sessions (self);
}

/* Sidebar */

static GtkWidget *
sidebar_label (const char *text,
               const char *css_class,
               gboolean    wrap)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (wrap)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
    }
  else
    {
      /* The sidebar is narrow: a long account or vault name stays readable on hover. */
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      if (text != NULL && *text != '\0')
        gtk_widget_set_tooltip_text (label, text);
    }
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* A row that only says something: not selectable, not activatable. */
static void
append_note (GtkListBox *list,
             GtkWidget  *child)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_append (list, row);
}

/* A tenant of the account that would not list its subscriptions (another sign-in policy, say),
 * while the others did. */
static GtkWidget *
skipped_tenant_note (KvbFoundSubscription *sub)
{
  GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  const char *name = kvb_tenant_info_get_display_name (sub->tenant);
  g_autofree char *heading = NULL;

  if (name == NULL)
    name = kvb_tenant_info_get_default_domain (sub->tenant);
  if (name == NULL)
    name = kvb_tenant_info_get_tenant_id (sub->tenant);
  /* translators: %s is the name of an Azure tenant (directory) */
  heading = g_strdup_printf (_("Tenant %s"), name);
  gtk_box_append (GTK_BOX (note), sidebar_label (heading, "sidebar-heading", FALSE));
  gtk_box_append (GTK_BOX (note), sidebar_label (sub->error->message, "dim-label", TRUE));
  return note;
}

/* Why a subscription's vaults are missing, and what to do about it. */
static GtkWidget *
subscription_error_note (KvbFoundSubscription *sub)
{
  GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  g_autofree char *command = NULL;
  GtkWidget *label;

  if (!g_error_matches (sub->error, KVB_ERROR, KVB_ERROR_PROVIDER_NOT_REGISTERED))
    {
      gtk_box_append (GTK_BOX (note), sidebar_label (sub->error->message, "dim-label", TRUE));
      return note;
    }

  /* The core's message names the subscription by id, which the heading above already does by
   * name; here the room goes to how to register, a one-time step outside this application. */
  gtk_box_append (GTK_BOX (note),
                  sidebar_label (_("The resource provider Microsoft.KeyVault is not registered in "
                                   "this subscription. Someone with the role “Contributor” can "
                                   "register it; then reload the vaults."),
                                 "dim-label", TRUE));
  label = sidebar_label (_("In the Azure portal: the subscription, Resource providers, "
                           "Microsoft.KeyVault, Register. Or with Azure CLI:"),
                         "dim-label", TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (note), label);

  command = g_strdup_printf ("az provider register --namespace Microsoft.KeyVault --subscription %s",
                             kvb_subscription_info_get_subscription_id (sub->info));
  label = sidebar_label (command, "monospace", TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (note), label);

  return note;
}

static void
rebuild_sidebar (KvbWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list))) != NULL)
    gtk_list_box_remove (self->sidebar_list, child);
  show_vault (self, NULL);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      Session *session = g_ptr_array_index (self->sessions, i);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

      gtk_widget_set_margin_top (box, i == 0 ? 6 : 18);
      gtk_box_append (GTK_BOX (box), sidebar_label (session->title, "heading", FALSE));
      gtk_box_append (GTK_BOX (box), sidebar_label (session->subtitle, "dim-label", FALSE));
      gtk_widget_add_css_class (gtk_widget_get_last_child (box), "caption");
      append_note (self->sidebar_list, box);

      if (session->error != NULL)
        {
          GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
          GtkWidget *button;

          gtk_box_append (GTK_BOX (note), sidebar_label (session->error, "error", TRUE));
          /* A refused sign-in needs the person; anything else may pass. */
          if (session->credential == NULL ||
              (session->account != NULL && kvb_account_get_needs_sign_in (session->account)))
            button = gtk_button_new_with_mnemonic (_("Sign In _Again"));
          else
            button = gtk_button_new_with_mnemonic (_("_Try Again"));
          gtk_widget_set_halign (button, GTK_ALIGN_START);
          g_object_set_data (G_OBJECT (button), "session", session);
          g_signal_connect (button, "clicked", G_CALLBACK (session_retry_clicked_cb), self);
          gtk_box_append (GTK_BOX (note), button);
          append_note (self->sidebar_list, note);
          continue;
        }

      if (session->subscriptions == NULL)
        {
          GtkWidget *busy = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
          GtkWidget *spinner = gtk_spinner_new ();

          gtk_spinner_start (GTK_SPINNER (spinner));
          gtk_box_append (GTK_BOX (busy), spinner);
          gtk_box_append (GTK_BOX (busy), sidebar_label (_("Loading subscriptions and vaults…"), "dim-label", TRUE));
          append_note (self->sidebar_list, busy);
          continue;
        }

      if (session->subscriptions->len == 0)
        append_note (self->sidebar_list,
                     sidebar_label (_("This account sees no subscriptions."), "dim-label", TRUE));

      for (guint j = 0; j < session->subscriptions->len; j++)
        {
          KvbFoundSubscription *sub = g_ptr_array_index (session->subscriptions, j);
          const char *sub_name;

          if (sub->info == NULL)
            {
              append_note (self->sidebar_list, skipped_tenant_note (sub));
              continue;
            }

          sub_name = kvb_subscription_info_get_display_name (sub->info);
          if (sub_name == NULL)
            sub_name = kvb_subscription_info_get_subscription_id (sub->info);
          append_note (self->sidebar_list, sidebar_label (sub_name, "sidebar-heading", FALSE));

          if (sub->error != NULL)
            append_note (self->sidebar_list, subscription_error_note (sub));
          else if (sub->vaults->len == 0)
            append_note (self->sidebar_list, sidebar_label (_("No vaults"), "dim-label", TRUE));

          for (guint k = 0; sub->error == NULL && k < sub->vaults->len; k++)
            {
              KvbVaultInfo *vault = g_ptr_array_index (sub->vaults, k);
              const char *location = kvb_vault_info_get_location (vault);
              GtkWidget *row = gtk_list_box_row_new ();
              GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
              GtkWidget *place;

              gtk_box_append (GTK_BOX (vbox), sidebar_label (kvb_vault_info_get_name (vault), NULL, FALSE));
              place = sidebar_label (location ? location : "", "caption", FALSE);
              gtk_widget_add_css_class (place, "dim-label");
              gtk_box_append (GTK_BOX (vbox), place);
              gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), vbox);
              g_object_set_data_full (G_OBJECT (row), "vault-name",
                                      g_strdup (kvb_vault_info_get_name (vault)), g_free);
              gtk_list_box_append (self->sidebar_list, row);
            }
        }
    }

  gtk_stack_set_visible_child_name (self->sidebar_stack, "list");
}

static void
session_retry_clicked_cb (GtkButton *button,
                          KvbWindow *self)
{
  Session *session = g_object_get_data (G_OBJECT (button), "session");

  /* Without a credential (its cloud profile could not be read) only a new sign-in helps. */
  if (session->credential == NULL ||
      (session->account != NULL && kvb_account_get_needs_sign_in (session->account)))
    {
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
      return;
    }
  session_load (session);
  rebuild_sidebar (self);
}

static void
sidebar_row_selected_cb (KvbWindow     *self,
                         GtkListBoxRow *row)
{
  const char *name = row ? g_object_get_data (G_OBJECT (row), "vault-name") : NULL;

  show_vault (self, name);
  if (name != NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->content);
}

/* Accounts menu */

static void
rebuild_accounts (KvbWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list))) != NULL)
    gtk_list_box_remove (self->accounts_list, child);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      Session *session = g_ptr_array_index (self->sessions, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_with_label (_("Sign Out"));
      g_autofree char *label = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), session->title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), session->subtitle);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      /* translators: %s is an account's user name */
      label = g_strdup_printf (_("Sign out of %s"), session->title);
      gtk_widget_set_tooltip_text (button, label);
      g_object_set_data (G_OBJECT (button), "session", session);
      g_signal_connect (button, "clicked", G_CALLBACK (sign_out_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      gtk_list_box_append (self->accounts_list, row);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->accounts_button), self->sessions->len > 0);
}

/* The account is held until the sign-out is over: the store drops it from its list (and the
 * window its session) while the keyring items are still being removed. */
typedef struct
{
  KvbWindow  *self;
  KvbAccount *account;
} SignOutData;

static void
signed_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SignOutData *data = user_data;
  g_autoptr(KvbWindow) self = data->self;
  g_autoptr(KvbAccount) account = data->account;
  g_autoptr(GError) error = NULL;

  g_free (data);

  if (!kvb_account_store_sign_out_finish (KVB_ACCOUNT_STORE (source), result, &error))
    {
      if (self->sessions != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        kvb_window_add_toast (self, error->message);
      return;
    }
  if (self->sessions == NULL)
    return;   /* the window is gone */
  sync_store_sessions (self);
}

static void
sign_out (KvbWindow *self,
          Session   *session)
{
  g_autofree char *message = NULL;

  if (session->account != NULL)
    {
      SignOutData *data = g_new0 (SignOutData, 1);

      data->self = g_object_ref (self);
      data->account = g_object_ref (session->account);
      kvb_account_store_sign_out_async (self->store, data->account, self->cancellable,
                                        signed_out_cb, data);
      return;
    }

  /* The sample cloud: stopping it is all there is to it. */
  /* translators: %s is an account name */
  message = g_strdup_printf (_("Signed out of %s"), session->title);
  g_ptr_array_remove (self->sessions, session);
  sessions_changed (self);
  kvb_window_add_toast (self, message);
}

/* What signing out takes away, in the words of the confirmation. */
static const char *
sign_out_consequence (Session *session)
{
  if (session->account == NULL)
    return _("The sample cloud stops, and nothing of it is kept.");

  switch (kvb_account_get_kind (session->account))
    {
    case KVB_ACCOUNT_KIND_USER:
      return _("Its refresh token is removed from the keyring.");
    case KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL:
      if (kvb_account_get_certificate (session->account) != NULL)
        return _("The location of its certificate file is forgotten; the file itself stays where it is.");
      return _("Its client secret is removed from the keyring.");
    case KVB_ACCOUNT_KIND_AZURE_CLI:
      return _("The Azure CLI stays signed in; only this application forgets the account.");
    }
  g_return_val_if_reached (NULL);
}

static void
sign_out_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      Session          *session)
{
  /* The session may have left the window while the question was open. */
  if (g_strcmp0 (response, "sign-out") == 0 && session->window != NULL)
    sign_out (session->window, session);
}

static void
session_unref_closure (gpointer  data,
                       GClosure *closure)
{
  session_unref (data);
}

/* The dialog is destroyed when it closes, never kept hidden: see shortcuts_activated() in
 * kvb-application.c for the crash a hidden window causes under a screen reader. */
static void
sign_out_clicked_cb (GtkButton *button,
                     KvbWindow *self)
{
  Session *session = g_object_get_data (G_OBJECT (button), "session");
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  gtk_popover_popdown (gtk_menu_button_get_popover (self->accounts_button));

  /* translators: %s is an account name */
  heading = g_strdup_printf (_("Sign out of %s?"), session->title);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, sign_out_consequence (session));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (sign_out_response_cb), session_ref (session),
                         session_unref_closure, 0);
  gtk_window_present (GTK_WINDOW (dialog));
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

  if (self->sessions == NULL || !gtk_widget_get_visible (self->progress_box))
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

/* The device code is shown in the page.  It moved here from a dialog when dialogs seemed to crash
 * GTK 4.8 under an accessibility client; the cause was a window kept hidden (see
 * shortcuts_activated() in kvb-application.c), so a dialog would do again. */
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
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
account_added_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KvbWindow) self = user_data;
  g_autoptr(KvbAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  Session *session;

  account = kvb_account_store_add_finish (KVB_ACCOUNT_STORE (source), result, &error);
  if (self->sessions == NULL)
    return;   /* the window is gone */
  if (account == NULL)
    {
      if (self->flow_cancellable != NULL)
        flow_fail (self, error);
      return;
    }

  flow_end (self);
  sync_store_sessions (self);
  session = find_store_session (self, account);
  /* Signed in again to an account the window already shows: it starts afresh. */
  if (session != NULL && session->account != account)
    {
      g_autoptr(GError) cred_error = NULL;
      KvbCredential *credential;

      g_set_object (&session->account, account);
      g_clear_object (&session->credential);
      g_clear_pointer (&session->error, g_free);
      credential = kvb_account_store_get_credential (self->store, account, &cred_error);
      if (credential != NULL)
        {
          session->credential = g_object_ref (credential);
          g_cancellable_cancel (session->cancellable);
          g_clear_object (&session->cancellable);
          session->cancellable = g_cancellable_new ();
          session_load (session);
        }
      else
        session->error = g_strdup (cred_error->message);
      rebuild_sidebar (self);
    }
  /* translators: %s is the account's user name */
  message = g_strdup_printf (_("Signed in as %s"), session ? session->title : kvb_account_get_username (account));
  kvb_window_add_toast (self, message);
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
  if (self->sessions == NULL)
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
  if (self->sessions == NULL || self->browser_flow == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
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
  if (self->sessions == NULL)
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

  if (self->sessions == NULL)
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
  if (self->sessions == NULL)
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
  if (self->sessions == NULL)
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

  if (gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) || self->sessions == NULL)
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
  Session *session;

  gboolean ok = kvb_sample_cloud_start_finish (sample, result, &error);

  if (self->sessions == NULL)
    return;   /* the window is gone */
  if (!ok)
    {
      if (self->flow_cancellable != NULL)
        flow_fail (self, error);
      return;
    }
  if (self->flow_cancellable == NULL || g_cancellable_is_cancelled (self->flow_cancellable))
    return;   /* cancelled: dropping the last reference stops the stand-in */

  session = session_new (self);
  session->sample = g_object_ref (G_OBJECT (sample));
  session->cloud = g_object_ref (kvb_sample_cloud_get_cloud (sample));
  session->credential = g_object_ref (kvb_sample_cloud_get_credential (sample));
  session->title = g_strdup (_("Sample cloud"));
  /* translators: %s is the client id of the sample's service principal */
  session->subtitle = g_strdup_printf (_("Service principal %s"), kvb_sample_cloud_get_client_id (sample));
  g_ptr_array_add (self->sessions, session);

  flow_end (self);
  session_load (session);
  sessions_changed (self);
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

  for (guint i = 0; i < self->sessions->len; i++)
    if (((Session *) g_ptr_array_index (self->sessions, i))->sample != NULL)
      {
        show_vaults_page (self);
        return;
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
  KvbWindow *self = KVB_WINDOW (widget);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      Session *session = g_ptr_array_index (self->sessions, i);

      if (session->credential == NULL)
        continue;
      /* A listing still under way gives way to the new one. */
      g_cancellable_cancel (session->cancellable);
      g_clear_object (&session->cancellable);
      session->cancellable = g_cancellable_new ();
      session_load (session);
    }
  rebuild_sidebar (self);
}

static void
add_account_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbWindow *self = KVB_WINDOW (widget);

  gtk_popover_popdown (gtk_menu_button_get_popover (self->accounts_button));
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
  if (self->sessions == NULL)
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
  g_clear_pointer (&self->sessions, g_ptr_array_unref);

  /* The template's widgets still emit signals as they go (the sidebar list deselects its row while
   * its rows are removed), and by then the pages they would update are gone. */
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->sidebar_list != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sidebar_list, self);
      g_signal_handlers_disconnect_by_data (self->cloud_row, self);
      g_signal_handlers_disconnect_by_data (self->sp_tenant_row, self);
      g_signal_handlers_disconnect_by_data (self->sp_client_id_row, self);
      g_signal_handlers_disconnect_by_data (self->sp_secret_row, self);
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

  self->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) session_detach);
  self->pipeline = kvb_pipeline_new ();
  self->store = kvb_account_store_new (self->pipeline, self->settings, kvb_keyring_new ());
  g_signal_connect_object (self->store, "items-changed", G_CALLBACK (store_items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "notify::keyring-available", G_CALLBACK (update_keyring_bar), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar_list, "row-selected", G_CALLBACK (sidebar_row_selected_cb), self,
                           G_CONNECT_SWAPPED);
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

  sync_store_sessions (self);
  show_vault (self, NULL);
  if (self->sessions->len > 0)
    gtk_stack_set_visible_child_name (self->main_stack, "vaults");
}

KvbWindow *
kvb_window_new (AdwApplication *application)
{
  return g_object_new (KVB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
