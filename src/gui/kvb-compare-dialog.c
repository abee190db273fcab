/* kvb-compare-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-compare-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-compare-dialog.h"
#include "kvb-object-kind.h"
#include "kvb-vault-compare.h"
#include "kvb-vault-manifest.h"

struct _KvbCompareDialog
{
  AdwWindow          parent_instance;

  /* Template widgets */
  AdwWindowTitle    *window_title;
  GtkStack          *stack;
  GtkSpinner        *checking_spinner;
  AdwStatusPage     *error_page;
  GtkLabel          *summary_label;
  GtkWidget         *only_in_vault_box;
  GtkListBox        *only_in_vault_list;
  GtkWidget         *only_in_backup_box;
  GtkListBox        *only_in_backup_list;
  GtkWidget         *changed_box;
  GtkListBox        *changed_list;

  /* Owned references */
  KvbKeyVaultClient *client;
  GFile             *folder;
  KvbVaultCompare   *compare;
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (KvbCompareDialog, kvb_compare_dialog, ADW_TYPE_WINDOW)

static const char *
kind_title (const char *kind_text)
{
  KvbObjectKind kind;

  if (!kvb_object_kind_from_string (kind_text, &kind))
    return kind_text;
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return _("Secret");
    case KVB_OBJECT_KIND_KEY: return _("Key");
    case KVB_OBJECT_KIND_CERTIFICATE:
    default: return _("Certificate");
    }
}

/* One row: the object's name, and its kind with what became of it. */
static void
add_rows (GtkListBox *list,
          GtkWidget  *box,
          JsonArray  *rows,
          gboolean    with_state,
          gboolean    with_dates)
{
  guint n = json_array_get_length (rows);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *kind = kind_title (json_object_get_string_member (row, "kind"));
      g_autofree char *subtitle = NULL;
      GtkWidget *action_row = adw_action_row_new ();

      if (with_state)
        {
          const char *state = json_object_get_string_member_with_default (row, "state", NULL);

          /* translators: the kind of object, then what became of it */
          subtitle = g_strdup_printf (_("%s, %s"), kind,
                                      g_strcmp0 (state, KVB_VAULT_COMPARE_DELETED) == 0
                                        ? _("deleted since: it can be recovered")
                                        : _("purged since, or never in this vault"));
        }
      else if (with_dates)
        {
          const char *was = json_object_get_string_member_with_default (row, "backupUpdated", NULL);
          const char *now = json_object_get_string_member_with_default (row, "vaultUpdated", NULL);

          /* translators: the kind, then two dates (ISO 8601): in the backup, in the vault now */
          subtitle = g_strdup_printf (_("%s, updated %s in the backup, %s in the vault"), kind,
                                      was != NULL ? was : _("(unknown)"),
                                      now != NULL ? now : _("(unknown)"));
        }
      else
        subtitle = g_strdup (kind);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (action_row),
                                     json_object_get_string_member (row, "name"));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (action_row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (action_row), subtitle);
      gtk_list_box_append (list, action_row);
    }
  gtk_widget_set_visible (box, n > 0);
}

static void
compare_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KvbCompareDialog) self = user_data;
  KvbVaultCompare *compare = KVB_VAULT_COMPARE (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *display = NULL;
  g_autofree char *summary = NULL;
  guint n;

  if (!kvb_vault_compare_run_finish (compare, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL)
        return;
      gtk_spinner_stop (self->checking_spinner);
      adw_status_page_set_title (self->error_page, _("The Vault Cannot Be Listed"));
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  if (self->client == NULL)
    return;

  gtk_spinner_stop (self->checking_spinner);
  display = g_file_get_parse_name (self->folder);
  n = kvb_vault_compare_get_n_differences (compare);
  if (n == 0)
    /* translators: the vault's name, then the folder */
    summary = g_strdup_printf (_("Vault “%s” matches the backup in “%s”."),
                               kvb_keyvault_client_get_vault_name (self->client), display);
  else
    summary = g_strdup_printf (ngettext ("Vault “%s” differs from the backup in “%s” in %u object.",
                                         "Vault “%s” differs from the backup in “%s” in %u objects.", n),
                               kvb_keyvault_client_get_vault_name (self->client), display, n);
  gtk_label_set_label (self->summary_label, summary);

  add_rows (self->only_in_vault_list, self->only_in_vault_box,
            kvb_vault_compare_get_only_in_vault (compare), FALSE, FALSE);
  add_rows (self->only_in_backup_list, self->only_in_backup_box,
            kvb_vault_compare_get_only_in_backup (compare), TRUE, FALSE);
  add_rows (self->changed_list, self->changed_box,
            kvb_vault_compare_get_changed (compare), FALSE, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "result");
}

static void
start (KvbCompareDialog *self)
{
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;

  /* Only manifest.json is read, and nothing is asked of the vault until it reads as one. */
  manifest = kvb_vault_manifest_load (self->folder, &error);
  if (manifest == NULL)
    {
      adw_status_page_set_title (self->error_page, _("This Folder Is Not a Vault Backup"));
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  gtk_spinner_start (self->checking_spinner);
  gtk_stack_set_visible_child_name (self->stack, "checking");
  self->compare = kvb_vault_compare_new (self->client, manifest);
  kvb_vault_compare_run_async (self->compare, self->cancellable, compare_cb, g_object_ref (self));
}

static gboolean
kvb_compare_dialog_close_request (GtkWindow *window)
{
  KvbCompareDialog *self = KVB_COMPARE_DIALOG (window);

  /* Listings only: stopping them costs nothing. */
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (kvb_compare_dialog_parent_class)->close_request (window);
}

static void
kvb_compare_dialog_dispose (GObject *object)
{
  KvbCompareDialog *self = KVB_COMPARE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_COMPARE_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->compare);
  g_clear_object (&self->folder);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kvb_compare_dialog_parent_class)->dispose (object);
}

static void
kvb_compare_dialog_class_init (KvbCompareDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_compare_dialog_dispose;
  window_class->close_request = kvb_compare_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-compare-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, checking_spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, only_in_vault_box);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, only_in_vault_list);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, only_in_backup_box);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, only_in_backup_list);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, changed_box);
  gtk_widget_class_bind_template_child (widget_class, KvbCompareDialog, changed_list);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kvb_compare_dialog_init (KvbCompareDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
kvb_compare_dialog_new (GtkWindow         *parent,
                        KvbKeyVaultClient *client,
                        GFile             *folder)
{
  KvbCompareDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = g_object_new (KVB_TYPE_COMPARE_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->folder = g_object_ref (folder);
  adw_window_title_set_subtitle (self->window_title, kvb_keyvault_client_get_vault_name (client));
  start (self);

  return GTK_WIDGET (self);
}
