/* kvb-history-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-history-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-history-dialog.h"
#include "kvb-history-item.h"

struct _KvbHistoryDialog
{
  AdwWindow          parent_instance;

  /* Template widgets */
  AdwToastOverlay   *toast_overlay;
  AdwWindowTitle    *window_title;
  GtkStack          *stack;
  GtkSpinner        *spinner;
  AdwStatusPage     *error_page;
  GtkLabel          *last_backup_label;
  GtkListBox        *list_box;

  /* Owned references */
  KvbHistory        *history;
  char              *vault;
  GListStore        *items;        /* of KvbHistoryItem, newest first */
  GDateTime         *now;          /* when the entries were read: "3 days ago" is from then */
  GCancellable      *cancellable;
  GCancellable      *read_cancellable;  /* the reading under way; a newer one replaces it */
  GFileMonitor      *monitor;           /* the history file: lines written while the dialog is open */
  guint              reread_source;
};

/* A run writes its line with one write(), but a burst of runs ending together (several vaults,
 * or kvbackup from cron) should cost one reading, not one each. */
#define REREAD_DELAY_MS 250

G_DEFINE_FINAL_TYPE (KvbHistoryDialog, kvb_history_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
toast_text (KvbHistoryDialog *self,
            const char       *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 10);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
folder_launched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KvbHistoryDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->stack != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The folder could not be opened: %s"), error->message);

      toast_text (self, text);
    }
}

static void
open_folder_clicked_cb (GtkButton        *button,
                        KvbHistoryDialog *self)
{
  GFile *folder = g_object_get_data (G_OBJECT (button), "folder");
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autofree char *uri = g_file_get_uri (folder);

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), self->cancellable,
                                           folder_launched_cb, g_object_ref (self));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  KvbHistoryDialog *self = user_data;
  KvbHistoryItem *entry = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *result = gtk_label_new (kvb_history_item_get_result (entry));
  const char *result_class = kvb_history_item_get_result_class (entry);
  g_autofree char *details = kvb_history_item_dup_details (entry, self->now);
  g_autoptr(GFile) folder = kvb_history_item_dup_folder (entry);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kvb_history_item_get_title (entry));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), details);
  gtk_widget_set_valign (result, GTK_ALIGN_CENTER);
  if (result_class != NULL)
    gtk_widget_add_css_class (result, result_class);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), result);

  if (folder != NULL)
    {
      GtkWidget *button = gtk_button_new_from_icon_name ("folder-open-symbolic");
      g_autofree char *where = g_file_get_parse_name (folder);
      /* translators: the folder of an operation in the history */
      g_autofree char *tip = g_strdup_printf (_("Open the folder “%s”"), where);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, tip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Open Folder"),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tip,
                                      -1);
      g_object_set_data_full (G_OBJECT (button), "folder", g_steal_pointer (&folder), g_object_unref);
      g_signal_connect (button, "clicked", G_CALLBACK (open_folder_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
    }

  return row;
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(KvbHistoryDialog) self = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autofree char *last_text = NULL;

  entries = kvb_history_read_finish (KVB_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->stack == NULL)
    return;

  gtk_spinner_stop (self->spinner);
  if (entries == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  if (entries->len == 0)
    {
      g_list_store_remove_all (self->items);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  g_clear_pointer (&self->now, g_date_time_unref);
  self->now = g_date_time_new_now_utc ();
  last = kvb_history_find_last_backup (entries, self->vault);
  last_text = kvb_history_format_last_backup (last, self->now);
  gtk_label_set_text (self->last_backup_label, last_text);

  {
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < entries->len; i++)
      g_ptr_array_add (items, kvb_history_item_new (g_ptr_array_index (entries, i)));
    /* A reading after a change replaces the rows all at once. */
    g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                         items->pdata, items->len);
  }
  gtk_stack_set_visible_child_name (self->stack, "list");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEMS]);
}

static void
read_history (KvbHistoryDialog *self)
{
  /* Only the newest reading counts. */
  g_cancellable_cancel (self->read_cancellable);
  g_clear_object (&self->read_cancellable);
  self->read_cancellable = g_cancellable_new ();
  kvb_history_read_async (self->history, self->vault, 0, self->read_cancellable, read_cb,
                          g_object_ref (self));
}

static gboolean
reread_cb (gpointer user_data)
{
  KvbHistoryDialog *self = user_data;

  self->reread_source = 0;
  read_history (self);
  return G_SOURCE_REMOVE;
}

/* A line written while the dialog is open, by this window or by another process (kvbackup run
 * from a timer): a file monitor sees both, where a signal of this process would see only the
 * first. */
static void
history_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other,
                    GFileMonitorEvent  event,
                    KvbHistoryDialog  *self)
{
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED || self->stack == NULL)
    return;
  g_clear_handle_id (&self->reread_source, g_source_remove);
  self->reread_source = g_timeout_add (REREAD_DELAY_MS, reread_cb, self);
}

GListModel *
kvb_history_dialog_get_items (KvbHistoryDialog *self)
{
  g_return_val_if_fail (KVB_IS_HISTORY_DIALOG (self), NULL);
  return G_LIST_MODEL (self->items);
}

static void
kvb_history_dialog_dispose (GObject *object)
{
  KvbHistoryDialog *self = (KvbHistoryDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->read_cancellable);
  g_clear_handle_id (&self->reread_source, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_HISTORY_DIALOG);
  g_clear_object (&self->history);
  g_clear_object (&self->items);

  G_OBJECT_CLASS (kvb_history_dialog_parent_class)->dispose (object);
}

static void
kvb_history_dialog_finalize (GObject *object)
{
  KvbHistoryDialog *self = (KvbHistoryDialog *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->read_cancellable);
  g_clear_pointer (&self->now, g_date_time_unref);
  g_free (self->vault);

  G_OBJECT_CLASS (kvb_history_dialog_parent_class)->finalize (object);
}

static void
kvb_history_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KvbHistoryDialog *self = KVB_HISTORY_DIALOG (object);

  switch (prop_id)
    {
    case PROP_ITEMS:
      g_value_set_object (value, self->items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_history_dialog_class_init (KvbHistoryDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_history_dialog_dispose;
  object_class->finalize = kvb_history_dialog_finalize;
  object_class->get_property = kvb_history_dialog_get_property;

  properties[PROP_ITEMS] =
    g_param_spec_object ("items", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-history-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, last_backup_label);
  gtk_widget_class_bind_template_child (widget_class, KvbHistoryDialog, list_box);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kvb_history_dialog_init (KvbHistoryDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->items = g_list_store_new (KVB_TYPE_HISTORY_ITEM);
  self->now = g_date_time_new_now_utc ();
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->items), create_row, self, NULL);
}

GtkWidget *
kvb_history_dialog_new (GtkWindow  *parent,
                        KvbHistory *history,
                        const char *vault)
{
  KvbHistoryDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KVB_IS_HISTORY (history), NULL);
  g_return_val_if_fail (vault != NULL, NULL);

  self = g_object_new (KVB_TYPE_HISTORY_DIALOG, "transient-for", parent, NULL);
  self->history = g_object_ref (history);
  self->vault = g_strdup (vault);
  adw_window_title_set_subtitle (self->window_title, vault);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  gtk_spinner_start (self->spinner);
  {
    g_autoptr(GError) error = NULL;

    self->monitor = g_file_monitor_file (kvb_history_get_file (history), G_FILE_MONITOR_NONE,
                                         NULL, &error);
    if (self->monitor != NULL)
      g_signal_connect (self->monitor, "changed", G_CALLBACK (history_changed_cb), self);
    else
      g_debug ("The history is not watched: %s", error->message);   /* read once, as before */
  }
  read_history (self);
  return GTK_WIDGET (self);
}
