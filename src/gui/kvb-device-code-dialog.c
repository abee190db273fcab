/* kvb-device-code-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-device-code-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-device-code-dialog.h"

/* Shows the user code and the verification address of a device-code sign-in, each with a Copy
 * button, while the window waits for the approval.  Its only response is "cancel"; the window
 * closes it when the flow ends either way. */
struct _KvbDeviceCodeDialog
{
  AdwMessageDialog parent_instance;

  char            *user_code;
  char            *verification_uri;
};

G_DEFINE_FINAL_TYPE (KvbDeviceCodeDialog, kvb_device_code_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
copy_clicked_cb (GtkButton  *button,
                 const char *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
  /* The tick says it worked without another dialog or toast. */
  gtk_button_set_icon_name (button, "object-select-symbolic");
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GtkWidget) button = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    return;

  /* The address and its Copy button are right above. */
  g_debug ("The browser could not be opened: %s", error->message);
  gtk_button_set_label (GTK_BUTTON (button), _("No Browser Could Be Opened"));
  gtk_widget_set_sensitive (button, FALSE);
}

static void
open_clicked_cb (GtkButton           *button,
                 KvbDeviceCodeDialog *self)
{
  gtk_show_uri_full (GTK_WINDOW (self), self->verification_uri, GDK_CURRENT_TIME, NULL, opened_cb,
                     g_object_ref (button));
}

static GtkWidget *
value_row (const char *title,
           const char *value,
           const char *copy_label,
           gboolean    is_code)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *caption = gtk_label_new (title);
  GtkWidget *label = gtk_label_new (value);
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  if (is_code)
    gtk_widget_add_css_class (label, "copy-value");
  gtk_box_append (GTK_BOX (labels), caption);
  gtk_box_append (GTK_BOX (labels), label);
  gtk_widget_set_hexpand (labels, TRUE);

  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (copy, copy_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, copy_label, -1);
  g_signal_connect_data (copy, "clicked", G_CALLBACK (copy_clicked_cb), g_strdup (value),
                         (GClosureNotify) G_CALLBACK (g_free), 0);

  gtk_box_append (GTK_BOX (box), labels);
  gtk_box_append (GTK_BOX (box), copy);
  return box;
}

GtkWidget *
kvb_device_code_dialog_new (GtkWindow  *parent,
                            const char *user_code,
                            const char *verification_uri)
{
  KvbDeviceCodeDialog *self;
  GtkWidget *box, *waiting, *spinner, *label, *open;

  g_return_val_if_fail (user_code != NULL, NULL);
  g_return_val_if_fail (verification_uri != NULL, NULL);

  self = g_object_new (KVB_TYPE_DEVICE_CODE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "title", _("Sign In with a Code"),
                       "heading", _("Sign In with a Code"),
                       "body", _("On this or any other device, open the address below, enter the code and sign in. This window goes on by itself once you have signed in."),
                       NULL);
  self->user_code = g_strdup (user_code);
  self->verification_uri = g_strdup (verification_uri);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_box_append (GTK_BOX (box), value_row (_("Code"), user_code, _("Copy Code"), TRUE));
  gtk_box_append (GTK_BOX (box), value_row (_("Address"), verification_uri, _("Copy Address"), FALSE));

  open = gtk_button_new_with_mnemonic (_("_Open in Browser"));
  gtk_widget_set_halign (open, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (open, "pill");
  g_signal_connect (open, "clicked", G_CALLBACK (open_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), open);

  waiting = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (waiting, GTK_ALIGN_CENTER);
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  label = gtk_label_new (_("Waiting for you to sign in…"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (waiting), spinner);
  gtk_box_append (GTK_BOX (waiting), label);
  gtk_box_append (GTK_BOX (box), waiting);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"));
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");

  return GTK_WIDGET (self);
}

static void
kvb_device_code_dialog_finalize (GObject *object)
{
  KvbDeviceCodeDialog *self = (KvbDeviceCodeDialog *)object;

  g_free (self->user_code);
  g_free (self->verification_uri);

  G_OBJECT_CLASS (kvb_device_code_dialog_parent_class)->finalize (object);
}

static void
kvb_device_code_dialog_class_init (KvbDeviceCodeDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_device_code_dialog_finalize;
}

static void
kvb_device_code_dialog_init (KvbDeviceCodeDialog *self)
{
}
