/* kvb-cloud-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-cloud-row"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-cloud-row.h"

/* A combo row with the four kinds of cloud, kept in step with the GSettings "cloud" key: "public",
 * "china", "usgov", or the path of a custom profile file.  Choosing "Custom Profile File…" opens a
 * file chooser; a profile that cannot be read is refused before it is saved, and the row goes
 * back to what it showed before. */
struct _KvbCloudRow
{
  AdwComboRow           parent_instance;

  GSettings            *settings;
  GtkFileChooserNative *chooser;
  guint                 shown;       /* the index the row showed before a pick started */
  guint                 chooser_index;  /* "Custom Profile File…": the last item */
  guint                 sync_id;        /* a deferred sync, see settings_changed_cb() */
  gboolean              updating;
  gboolean              selecting;
};

G_DEFINE_FINAL_TYPE (KvbCloudRow, kvb_cloud_row, ADW_TYPE_COMBO_ROW)

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

/* The items: the three clouds, then the custom profile in use (if any), then the item that opens
 * the file chooser. */
enum {
  CHOICE_PUBLIC,
  CHOICE_CHINA,
  CHOICE_USGOV,
  CHOICE_CUSTOM,
};

static const char * const choice_ids[] = { "public", "china", "usgov" };

static gboolean
same_items (GListModel *a,
            GListModel *b)
{
  guint n = a ? g_list_model_get_n_items (a) : 0;

  if (a == NULL || !GTK_IS_STRING_LIST (a) || n != g_list_model_get_n_items (b))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (a), i),
                   gtk_string_list_get_string (GTK_STRING_LIST (b), i)) != 0)
      return FALSE;
  return TRUE;
}

static void
sync_from_settings (KvbCloudRow *self)
{
  g_autofree char *value = g_settings_get_string (self->settings, "cloud");
  g_autoptr(GtkStringList) model = NULL;
  g_autofree char *display = NULL;
  guint choice = CHOICE_CUSTOM;

  for (guint i = 0; i < G_N_ELEMENTS (choice_ids); i++)
    if (g_ascii_strcasecmp (value, choice_ids[i]) == 0)
      choice = i;

  model = gtk_string_list_new ((const char *[]) { _("Azure"), _("Azure China"), _("Azure US Government"), NULL });
  if (choice == CHOICE_CUSTOM)
    {
      g_autofree char *base = NULL;

      display = g_filename_display_name (value);
      base = g_path_get_basename (display);
      gtk_string_list_append (model, base);
    }
  gtk_string_list_append (model, _("Custom Profile File…"));
  self->chooser_index = g_list_model_get_n_items (G_LIST_MODEL (model)) - 1;

  self->updating = TRUE;
  if (!same_items (adw_combo_row_get_model (ADW_COMBO_ROW (self)), G_LIST_MODEL (model)))
    adw_combo_row_set_model (ADW_COMBO_ROW (self), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (self), choice);
  self->updating = FALSE;
  self->shown = choice;

  /* The whole path of a custom profile, so that two files of the same name can be told apart. */
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), display);
}

static gboolean
deferred_sync_cb (gpointer user_data)
{
  KvbCloudRow *self = user_data;

  self->sync_id = 0;
  sync_from_settings (self);
  return G_SOURCE_REMOVE;
}

static void
settings_changed_cb (KvbCloudRow *self,
                     const char  *key)
{
  /* A change the row itself made while its selection is being set: replacing the model now
   * would pull it from under the selection, so the items follow a moment later. */
  if (self->selecting)
    {
      if (self->sync_id == 0)
        self->sync_id = g_idle_add (deferred_sync_cb, self);
      return;
    }
  sync_from_settings (self);
}

static void
chooser_response_cb (KvbCloudRow          *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file == NULL || (path = g_file_get_path (file)) == NULL)
    {
      sync_from_settings (self);
      return;
    }

  /* Refuse a file that is not a profile now, not at the next sign-in. */
  cloud = kvb_cloud_new_from_file (path, &error);
  if (cloud == NULL)
    {
      sync_from_settings (self);
      g_signal_emit (self, signals [SIGNAL_ERROR], 0, error->message);
      return;
    }

  g_settings_set_string (self->settings, "cloud", path);
  /* Setting the same path again does not emit ::changed: show it anyway. */
  sync_from_settings (self);
}

static void
selected_changed_cb (KvbCloudRow *self)
{
  guint choice = adw_combo_row_get_selected (ADW_COMBO_ROW (self));
  GtkRoot *root;

  /* Only a change the user made: the row also notifies when it settles on what it shows. */
  if (self->updating || choice == GTK_INVALID_LIST_POSITION || choice == self->shown)
    return;

  if (choice < G_N_ELEMENTS (choice_ids))
    {
      self->selecting = TRUE;
      g_settings_set_string (self->settings, "cloud", choice_ids[choice]);
      self->selecting = FALSE;
      self->shown = choice;
      return;
    }

  if (choice != self->chooser_index || self->chooser != NULL)
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  self->chooser = gtk_file_chooser_native_new (_("Open a Cloud Profile"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/**
 * kvb_cloud_row_dup_cloud:
 *
 * The cloud the row shows, as a profile ready for sign-in.
 */
KvbCloud *
kvb_cloud_row_dup_cloud (KvbCloudRow  *self,
                         GError      **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (KVB_IS_CLOUD_ROW (self), NULL);

  value = g_settings_get_string (self->settings, "cloud");
  return kvb_cloud_lookup (value, error);
}

static void
kvb_cloud_row_dispose (GObject *object)
{
  KvbCloudRow *self = (KvbCloudRow *)object;

  g_clear_handle_id (&self->sync_id, g_source_remove);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kvb_cloud_row_parent_class)->dispose (object);
}

static void
kvb_cloud_row_class_init (KvbCloudRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_cloud_row_dispose;

  /**
   * KvbCloudRow::error:
   * @message: a sentence for people
   *
   * A chosen profile file was refused; the row already shows the previous choice again.
   */
  signals [SIGNAL_ERROR] =
    g_signal_new ("error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
kvb_cloud_row_init (KvbCloudRow *self)
{
  self->settings = g_settings_new (APP_ID);
  sync_from_settings (self);

  g_signal_connect_object (self->settings, "changed::cloud", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::selected", G_CALLBACK (selected_changed_cb), NULL);
}
