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
  gboolean              updating;
};

G_DEFINE_FINAL_TYPE (KvbCloudRow, kvb_cloud_row, ADW_TYPE_COMBO_ROW)

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

enum {
  CHOICE_PUBLIC,
  CHOICE_CHINA,
  CHOICE_USGOV,
  CHOICE_CUSTOM,
};

static const char * const choice_ids[] = { "public", "china", "usgov" };

static void
sync_from_settings (KvbCloudRow *self)
{
  g_autofree char *value = g_settings_get_string (self->settings, "cloud");
  guint choice = CHOICE_CUSTOM;

  for (guint i = 0; i < G_N_ELEMENTS (choice_ids); i++)
    if (g_ascii_strcasecmp (value, choice_ids[i]) == 0)
      choice = i;

  self->updating = TRUE;
  adw_combo_row_set_selected (ADW_COMBO_ROW (self), choice);
  self->updating = FALSE;
  self->shown = choice;

  if (choice == CHOICE_CUSTOM)
    {
      g_autofree char *display = g_filename_display_name (value);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self), display);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), NULL);
}

static void
settings_changed_cb (KvbCloudRow *self,
                     const char  *key)
{
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

  if (self->updating || choice == GTK_INVALID_LIST_POSITION)
    return;

  if (choice < G_N_ELEMENTS (choice_ids))
    {
      g_settings_set_string (self->settings, "cloud", choice_ids[choice]);
      return;
    }

  if (self->chooser != NULL)
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
  g_autoptr(GtkStringList) model = NULL;
  const char *names[] = {
    _("Azure"),
    _("Azure China"),
    _("Azure US Government"),
    _("Custom Profile File…"),
    NULL
  };

  model = gtk_string_list_new (names);
  adw_combo_row_set_model (ADW_COMBO_ROW (self), G_LIST_MODEL (model));

  self->settings = g_settings_new (APP_ID);
  sync_from_settings (self);

  g_signal_connect_object (self->settings, "changed::cloud", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::selected", G_CALLBACK (selected_changed_cb), NULL);
}
