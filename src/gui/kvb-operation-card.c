/* kvb-operation-card.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-operation-card"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-job-status.h"
#include "kvb-object-kind.h"
#include "kvb-operation-card.h"

struct _KvbOperationCard
{
  AdwBin parent_instance;

  GtkLabel *title_label;
  GtkProgressBar *progress_bar;
  GtkListView *list_view;
  GtkWidget *list_window;
  GtkLabel *detail_label;
  GtkLabel *summary_label;
  GtkButton *cancel_button;
  GtkButton *retry_button;
  GtkButton *dismiss_button;

  KvbOperation operation;
  GListModel *items;
  GPtrArray *watched;          /* the items whose "status" we follow, for the progress */
  GCancellable *cancellable;
  char *summary;
  gboolean running;
};

G_DEFINE_FINAL_TYPE (KvbOperationCard, kvb_operation_card, ADW_TYPE_BIN)

enum {
  SIGNAL_RETRY,
  SIGNAL_DISMISSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  guint n_pending;
  guint n_running;
  guint n_done;
  guint n_skipped;
  guint n_failed;
} Counts;

static KvbJobStatus
item_status (GObject *item)
{
  KvbJobStatus status = KVB_JOB_STATUS_PENDING;

  g_object_get (item, "status", &status, NULL);
  return status;
}

static Counts
count_items (KvbOperationCard *self)
{
  Counts counts = { 0, };
  guint n = self->items != NULL ? g_list_model_get_n_items (self->items) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (self->items, i);

      switch (item_status (item))
        {
        case KVB_JOB_STATUS_PENDING: counts.n_pending++; break;
        case KVB_JOB_STATUS_RUNNING: counts.n_running++; break;
        case KVB_JOB_STATUS_DONE: counts.n_done++; break;
        case KVB_JOB_STATUS_SKIPPED: counts.n_skipped++; break;
        case KVB_JOB_STATUS_FAILED: counts.n_failed++; break;
        default: break;
        }
    }

  return counts;
}

char *
kvb_operation_format_summary (KvbOperation operation,
                              guint        n_done,
                              guint        n_skipped,
                              guint        n_failed,
                              guint        n_not_started,
                              gboolean     cancelled)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *list = NULL;

  /* Parts that are zero are left out, except the first, so that a summary never is empty. */
  if (n_done > 0 || (n_skipped == 0 && n_failed == 0 && n_not_started == 0))
    {
      if (operation == KVB_OPERATION_RESTORE)
        g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u restored", "%u restored", n_done),
                                                 n_done));
      else if (operation == KVB_OPERATION_VAULT_BACKUP)
        g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u backed up", "%u backed up", n_done),
                                                 n_done));
      else
        g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u saved", "%u saved", n_done),
                                                 n_done));
    }
  if (n_skipped > 0 && operation == KVB_OPERATION_VAULT_BACKUP)
    /* A certificate's key and secret are backed up only with it: not skipped, but covered. */
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u covered by their certificate",
                                                       "%u covered by their certificate", n_skipped),
                                             n_skipped));
  else if (n_skipped > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u skipped", "%u skipped", n_skipped),
                                             n_skipped));
  if (n_failed > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u failed", "%u failed", n_failed),
                                             n_failed));
  if (n_not_started > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u not started", "%u not started",
                                                       n_not_started), n_not_started));
  g_ptr_array_add (parts, NULL);

  /* translators: the separator of the parts of a summary such as "10 saved, 1 skipped" */
  list = g_strjoinv (_(", "), (char **) parts->pdata);
  if (cancelled)
    /* translators: %s is a summary such as "3 saved, 9 not started" */
    return g_strdup_printf (_("Cancelled: %s"), list);
  return g_steal_pointer (&list);
}

static void
update_progress (KvbOperationCard *self)
{
  Counts counts = count_items (self);
  guint total = counts.n_pending + counts.n_running + counts.n_done + counts.n_skipped +
                counts.n_failed;
  guint finished = counts.n_done + counts.n_skipped + counts.n_failed;
  g_autofree char *text = NULL;

  /* translators: progress of an operation, e.g. "3 of 12" */
  text = g_strdup_printf (_("%u of %u"), finished, total);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) finished / total : 0.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
item_status_cb (KvbOperationCard *self)
{
  update_progress (self);
}

static void
unwatch_items (KvbOperationCard *self)
{
  if (self->watched == NULL)
    return;
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->watched, i), item_status_cb,
                                          self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
watch_items (KvbOperationCard *self)
{
  guint n = g_list_model_get_n_items (self->items);

  unwatch_items (self);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (self->items, i);

      g_signal_connect_swapped (item, "notify::status", G_CALLBACK (item_status_cb), self);
      g_ptr_array_add (self->watched, g_steal_pointer (&item));
    }
}

static void
items_changed_cb (KvbOperationCard *self)
{
  watch_items (self);
  update_progress (self);
}

/* ---- rows ---- */

/* The widgets of one row, kept on the row's box. */
typedef struct
{
  GtkImage *icon;
  GtkLabel *name;
  GtkLabel *kind;
  GtkLabel *message;
} Row;

static const char *
kind_text (guint kind)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return _("Secret");
    case KVB_OBJECT_KIND_KEY: return _("Key");
    case KVB_OBJECT_KIND_CERTIFICATE: return _("Certificate");
    default: return "";
    }
}

static void
status_look (KvbJobStatus  status,
             const char  **icon_name,
             const char  **text,
             const char  **css)
{
  *css = NULL;
  switch (status)
    {
    case KVB_JOB_STATUS_RUNNING:
      *icon_name = "emblem-synchronizing-symbolic";
      *text = _("In progress");
      break;
    case KVB_JOB_STATUS_DONE:
      *icon_name = "emblem-ok-symbolic";
      *text = _("Done");
      *css = "success";
      break;
    case KVB_JOB_STATUS_SKIPPED:
      *icon_name = "action-unavailable-symbolic";
      *text = _("Skipped");
      *css = "warning";
      break;
    case KVB_JOB_STATUS_FAILED:
      *icon_name = "dialog-error-symbolic";
      *text = _("Failed");
      *css = "error";
      break;
    case KVB_JOB_STATUS_PENDING:
    default:
      *icon_name = "content-loading-symbolic";
      *text = _("Waiting");
      break;
    }
}

static void
row_update (GObject    *item,
            GParamSpec *pspec,
            Row        *row)
{
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;
  KvbJobStatus status = KVB_JOB_STATUS_PENDING;
  guint kind = 0;
  const char *icon_name, *text, *css;

  g_object_get (item, "name", &name, "kind", &kind, "status", &status, "message", &message, NULL);
  status_look (status, &icon_name, &text, &css);

  gtk_image_set_from_icon_name (row->icon, icon_name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->icon), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->icon), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
  gtk_widget_remove_css_class (GTK_WIDGET (row->icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (row->icon), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (row->icon), "error");
  if (css != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (row->icon), css);

  /* A restore entry of a file that names no object has no name yet. */
  gtk_label_set_label (row->name, name != NULL ? name : "");
  gtk_label_set_label (row->kind, kind_text (kind));
  gtk_label_set_label (row->message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (row->message), message != NULL && *message != '\0');
}

static void
row_setup_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  Row *row = g_new0 (Row, 1);

  row->icon = GTK_IMAGE (gtk_image_new ());
  gtk_widget_set_valign (GTK_WIDGET (row->icon), GTK_ALIGN_START);
  row->name = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->name, 0);
  gtk_label_set_ellipsize (row->name, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (GTK_WIDGET (row->name), "heading");
  row->kind = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (row->kind), "dim-label");
  row->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->message, 0);
  gtk_label_set_wrap (row->message, TRUE);
  gtk_label_set_wrap_mode (row->message, PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (row->message), "caption");

  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->name));
  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->kind));
  gtk_box_append (GTK_BOX (text), line);
  gtk_box_append (GTK_BOX (text), GTK_WIDGET (row->message));
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->icon));
  gtk_box_append (GTK_BOX (box), text);

  g_object_set_data_full (G_OBJECT (box), "kvb-row", row, g_free);
  gtk_list_item_set_child (list_item, box);
  gtk_list_item_set_activatable (list_item, FALSE);
}

static void
row_bind_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  GObject *item = gtk_list_item_get_item (list_item);
  Row *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (list_item)), "kvb-row");

  row_update (item, NULL, row);
  g_signal_connect (item, "notify::status", G_CALLBACK (row_update), row);
  g_signal_connect (item, "notify::message", G_CALLBACK (row_update), row);
  g_signal_connect (item, "notify::name", G_CALLBACK (row_update), row);
}

static void
row_unbind_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  GObject *item = gtk_list_item_get_item (list_item);
  Row *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (list_item)), "kvb-row");

  g_signal_handlers_disconnect_by_func (item, row_update, row);
}

/* ---- buttons ---- */

static void
cancel_clicked_cb (KvbOperationCard *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* The job stops at its next step; the summary comes with kvb_operation_card_finish(). */
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), FALSE);
}

static void
retry_clicked_cb (KvbOperationCard *self)
{
  g_signal_emit (self, signals[SIGNAL_RETRY], 0);
}

static void
dismiss_clicked_cb (KvbOperationCard *self)
{
  g_signal_emit (self, signals[SIGNAL_DISMISSED], 0);
}

/* ---- the object ---- */

static void
clear_items (KvbOperationCard *self)
{
  unwatch_items (self);
  if (self->items != NULL)
    g_signal_handlers_disconnect_by_func (self->items, items_changed_cb, self);
  g_clear_object (&self->items);
}

static void
kvb_operation_card_dispose (GObject *object)
{
  KvbOperationCard *self = (KvbOperationCard *)object;

  /* The rows unbind (and let go of the items) before the items go. */
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  clear_items (self);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_OPERATION_CARD);

  G_OBJECT_CLASS (kvb_operation_card_parent_class)->dispose (object);
}

static void
kvb_operation_card_finalize (GObject *object)
{
  KvbOperationCard *self = (KvbOperationCard *)object;

  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->summary, g_free);

  G_OBJECT_CLASS (kvb_operation_card_parent_class)->finalize (object);
}

static void
kvb_operation_card_class_init (KvbOperationCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_operation_card_dispose;
  object_class->finalize = kvb_operation_card_finalize;

  signals[SIGNAL_RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_DISMISSED] =
    g_signal_new ("dismissed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/kvbackup/KeyVaultBackup/ui/kvb-operation-card.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, list_view);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, list_window);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, detail_label);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, summary_label);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, retry_button);
  gtk_widget_class_bind_template_child (widget_class, KvbOperationCard, dismiss_button);
  gtk_widget_class_bind_template_callback (widget_class, row_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_unbind_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, dismiss_clicked_cb);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kvb_operation_card_init (KvbOperationCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
}

GtkWidget *
kvb_operation_card_new (void)
{
  return g_object_new (KVB_TYPE_OPERATION_CARD, NULL);
}

void
kvb_operation_card_set_job (KvbOperationCard *self,
                            KvbOperation      operation,
                            const char       *title,
                            GListModel       *items,
                            GCancellable     *cancellable)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  g_return_if_fail (KVB_IS_OPERATION_CARD (self));
  g_return_if_fail (title != NULL);
  g_return_if_fail (G_IS_LIST_MODEL (items));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtk_list_view_set_model (self->list_view, NULL);
  clear_items (self);
  g_set_object (&self->cancellable, cancellable);
  g_clear_pointer (&self->summary, g_free);

  self->operation = operation;
  self->items = g_object_ref (items);
  self->running = TRUE;
  g_signal_connect_swapped (items, "items-changed", G_CALLBACK (items_changed_cb), self);
  watch_items (self);

  selection = gtk_no_selection_new (g_object_ref (items));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  gtk_widget_set_visible (self->list_window, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), FALSE);
  gtk_label_set_label (self->title_label, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), cancellable != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->dismiss_button), FALSE);
  update_progress (self);
}

static gboolean
item_failed (gpointer item,
             gpointer user_data)
{
  return item_status (item) == KVB_JOB_STATUS_FAILED;
}

void
kvb_operation_card_finish_with_note (KvbOperationCard *self,
                                     const GError     *error,
                                     const char       *note,
                                     gboolean          offer_retry)
{
  Counts counts;

  g_return_if_fail (KVB_IS_OPERATION_CARD (self));
  g_return_if_fail (self->items != NULL);

  counts = count_items (self);
  self->running = FALSE;
  g_clear_pointer (&self->summary, g_free);

  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->summary = kvb_operation_format_summary (self->operation, counts.n_done, counts.n_skipped,
                                                  counts.n_failed,
                                                  counts.n_pending + counts.n_running,
                                                  error != NULL);
  else
    /* The core's sentence (the folder could not be made…); never an HTTP body. */
    self->summary = g_strdup (error->message);
  if (note != NULL && *note != '\0')
    {
      /* translators: a summary, then a sentence about it, e.g. "3 saved. The folder is whole." */
      char *with_note = g_strdup_printf (_("%s. %s"), self->summary, note);

      g_free (self->summary);
      self->summary = with_note;
    }

  /* Hundreds of objects done are no news: what is left to read is what failed, and why. */
  if (self->operation == KVB_OPERATION_VAULT_BACKUP)
    {
      g_autoptr(GtkFilterListModel) failed =
        gtk_filter_list_model_new (g_object_ref (self->items),
                                   GTK_FILTER (gtk_custom_filter_new (item_failed, NULL, NULL)));
      g_autoptr(GtkNoSelection) selection = gtk_no_selection_new (G_LIST_MODEL (g_steal_pointer (&failed)));

      gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
      gtk_widget_set_visible (self->list_window, counts.n_failed > 0);
    }

  update_progress (self);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), FALSE);
  gtk_label_set_label (self->summary_label, self->summary);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), offer_retry);
  gtk_widget_set_visible (GTK_WIDGET (self->dismiss_button), TRUE);
}

void
kvb_operation_card_finish (KvbOperationCard *self,
                           const GError     *error)
{
  g_return_if_fail (KVB_IS_OPERATION_CARD (self));
  g_return_if_fail (self->items != NULL);

  kvb_operation_card_finish_with_note (self, error, NULL, count_items (self).n_failed > 0);
}

void
kvb_operation_card_set_detail (KvbOperationCard *self,
                               const char       *detail)
{
  g_return_if_fail (KVB_IS_OPERATION_CARD (self));

  gtk_label_set_label (self->detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL && self->running);
}

void
kvb_operation_card_set_retry_label (KvbOperationCard *self,
                                    const char       *label)
{
  g_return_if_fail (KVB_IS_OPERATION_CARD (self));
  gtk_button_set_label (self->retry_button, label);
}

gboolean
kvb_operation_card_get_running (KvbOperationCard *self)
{
  g_return_val_if_fail (KVB_IS_OPERATION_CARD (self), FALSE);
  return self->running;
}

const char *
kvb_operation_card_get_summary (KvbOperationCard *self)
{
  g_return_val_if_fail (KVB_IS_OPERATION_CARD (self), NULL);
  return self->summary;
}

GListModel *
kvb_operation_card_get_items (KvbOperationCard *self)
{
  g_return_val_if_fail (KVB_IS_OPERATION_CARD (self), NULL);
  return self->items;
}
