/* kvb-service-principal-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-service-principal-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-service-principal-dialog.h"

/* Asks for what a service-principal sign-in needs: tenant, application (client) id, and either
 * the client secret or a certificate file (PEM with its private key).  "sign-in" is offered only
 * once that is complete; the window then runs the sign-in and shows its progress in the page. */
struct _KvbServicePrincipalDialog
{
  AdwMessageDialog      parent_instance;

  AdwEntryRow          *tenant_row;
  AdwEntryRow          *client_id_row;
  AdwEntryRow          *secret_row;
  AdwActionRow         *certificate_row;
  GtkWidget            *certificate_clear;
  GtkFileChooserNative *chooser;
  char                 *certificate;
};

G_DEFINE_FINAL_TYPE (KvbServicePrincipalDialog, kvb_service_principal_dialog, ADW_TYPE_MESSAGE_DIALOG)

static char *
stripped (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
update_response (KvbServicePrincipalDialog *self)
{
  g_autofree char *tenant = stripped (self->tenant_row);
  g_autofree char *client_id = stripped (self->client_id_row);
  gboolean secret = *gtk_editable_get_text (GTK_EDITABLE (self->secret_row)) != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->secret_row), self->certificate == NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "sign-in",
                                           *tenant != '\0' && *client_id != '\0' &&
                                           (secret || self->certificate != NULL));
}

static void
set_certificate (KvbServicePrincipalDialog *self,
                 const char                *path)
{
  g_free (self->certificate);
  self->certificate = g_strdup (path);

  if (path != NULL)
    {
      g_autofree char *display = g_filename_display_name (path);
      adw_action_row_set_subtitle (self->certificate_row, display);
      /* A certificate replaces the secret: nothing of it stays in the page. */
      gtk_editable_set_text (GTK_EDITABLE (self->secret_row), "");
    }
  else
    adw_action_row_set_subtitle (self->certificate_row, NULL);
  gtk_widget_set_visible (self->certificate_clear, path != NULL);
  update_response (self);
}

static void
chooser_response_cb (KvbServicePrincipalDialog *self,
                     int                        response,
                     GtkFileChooserNative      *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL && (path = g_file_get_path (file)) != NULL)
    set_certificate (self, path);
}

static void
choose_clicked_cb (KvbServicePrincipalDialog *self)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose the Certificate of the Service Principal"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clear_clicked_cb (KvbServicePrincipalDialog *self)
{
  set_certificate (self, NULL);
}

static AdwEntryRow *
add_entry (GtkListBox *list,
           GType       type,
           const char *title,
           const char *text)
{
  GtkWidget *row = g_object_new (type, "title", title, "use-markup", FALSE, NULL);

  if (text != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_list_box_append (list, row);
  return ADW_ENTRY_ROW (row);
}

GtkWidget *
kvb_service_principal_dialog_new (GtkWindow  *parent,
                                  const char *tenant,
                                  const char *client_id)
{
  KvbServicePrincipalDialog *self;
  GtkWidget *list, *choose;

  self = g_object_new (KVB_TYPE_SERVICE_PRINCIPAL_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "title", _("Sign In as Service Principal"),
                       "heading", _("Sign In as Service Principal"),
                       "body", _("An application identity signs in with its client secret or with a certificate. The secret is kept in your keyring; of a certificate, only where its file is."),
                       NULL);

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Service principal"), -1);

  self->tenant_row = add_entry (GTK_LIST_BOX (list), ADW_TYPE_ENTRY_ROW, _("Tenant ID or domain"), tenant);
  self->client_id_row = add_entry (GTK_LIST_BOX (list), ADW_TYPE_ENTRY_ROW, _("Application (client) ID"),
                                   client_id);
  self->secret_row = add_entry (GTK_LIST_BOX (list), ADW_TYPE_PASSWORD_ENTRY_ROW, _("Client secret"), NULL);

  self->certificate_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->certificate_row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->certificate_row),
                                 _("Or a certificate file (PEM with its private key)"));
  self->certificate_clear = gtk_button_new_from_icon_name ("edit-clear-symbolic");
  gtk_widget_set_valign (self->certificate_clear, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->certificate_clear, "flat");
  gtk_widget_set_tooltip_text (self->certificate_clear, _("Use the Client Secret Instead"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->certificate_clear), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Use the Client Secret Instead"), -1);
  gtk_widget_set_visible (self->certificate_clear, FALSE);
  g_signal_connect_swapped (self->certificate_clear, "clicked", G_CALLBACK (clear_clicked_cb), self);
  adw_action_row_add_suffix (self->certificate_row, self->certificate_clear);
  choose = gtk_button_new_with_mnemonic (_("_Choose…"));
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (choose, "clicked", G_CALLBACK (choose_clicked_cb), self);
  adw_action_row_add_suffix (self->certificate_row, choose);
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->certificate_row));

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "sign-in", _("_Sign In"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "sign-in", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "sign-in");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");

  g_signal_connect_swapped (self->tenant_row, "changed", G_CALLBACK (update_response), self);
  g_signal_connect_swapped (self->client_id_row, "changed", G_CALLBACK (update_response), self);
  g_signal_connect_swapped (self->secret_row, "changed", G_CALLBACK (update_response), self);
  update_response (self);

  return GTK_WIDGET (self);
}

char *
kvb_service_principal_dialog_dup_tenant (KvbServicePrincipalDialog *self)
{
  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_DIALOG (self), NULL);
  return stripped (self->tenant_row);
}

char *
kvb_service_principal_dialog_dup_client_id (KvbServicePrincipalDialog *self)
{
  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_DIALOG (self), NULL);
  return stripped (self->client_id_row);
}

const char *
kvb_service_principal_dialog_get_secret (KvbServicePrincipalDialog *self)
{
  const char *text;

  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_DIALOG (self), NULL);

  text = gtk_editable_get_text (GTK_EDITABLE (self->secret_row));
  return self->certificate == NULL && *text != '\0' ? text : NULL;
}

const char *
kvb_service_principal_dialog_get_certificate (KvbServicePrincipalDialog *self)
{
  g_return_val_if_fail (KVB_IS_SERVICE_PRINCIPAL_DIALOG (self), NULL);
  return self->certificate;
}

static void
kvb_service_principal_dialog_dispose (GObject *object)
{
  KvbServicePrincipalDialog *self = (KvbServicePrincipalDialog *)object;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  /* The secret leaves the page with the dialog. */
  if (self->secret_row != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->secret_row), "");
  self->secret_row = NULL;

  G_OBJECT_CLASS (kvb_service_principal_dialog_parent_class)->dispose (object);
}

static void
kvb_service_principal_dialog_finalize (GObject *object)
{
  KvbServicePrincipalDialog *self = (KvbServicePrincipalDialog *)object;

  g_free (self->certificate);

  G_OBJECT_CLASS (kvb_service_principal_dialog_parent_class)->finalize (object);
}

static void
kvb_service_principal_dialog_class_init (KvbServicePrincipalDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_service_principal_dialog_dispose;
  object_class->finalize = kvb_service_principal_dialog_finalize;
}

static void
kvb_service_principal_dialog_init (KvbServicePrincipalDialog *self)
{
}
