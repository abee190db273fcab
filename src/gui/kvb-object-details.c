/* kvb-object-details.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-details"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-object-details.h"

struct _KvbObjectDetails
{
  AdwWindow parent_instance;

  /* Template widgets */
  AdwWindowTitle      *window_title;
  AdwActionRow        *enabled_row;
  AdwActionRow        *content_type_row;
  AdwActionRow        *thumbprint_row;
  AdwActionRow        *expires_row;
  AdwActionRow        *recovery_level_row;
  AdwActionRow        *deleted_row;
  AdwActionRow        *purge_row;
  AdwActionRow        *managed_row;
  AdwPreferencesGroup *tags_group;
  AdwPreferencesGroup *versions_group;
  GtkSpinner          *spinner;
  GtkListBox          *versions_box;
  GtkLabel            *versions_error;

  /* Owned references */
  KvbKeyVaultClient   *client;
  KvbObjectInfo       *info;
  GListStore          *versions;
  GCancellable        *cancellable;
  gboolean             loading;
};

G_DEFINE_FINAL_TYPE (KvbObjectDetails, kvb_object_details, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_date (gint64 seconds)
{
  g_autoptr(GDateTime) dt = NULL;

  if (seconds <= 0 || (dt = g_date_time_new_from_unix_local (seconds)) == NULL)
    return NULL;
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char **)a, *(const char **)b);
}

static const char *
kind_name (KvbObjectKind kind,
           gboolean      deleted)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return deleted ? _("Deleted secret") : _("Secret");
    case KVB_OBJECT_KIND_KEY: return deleted ? _("Deleted key") : _("Key");
    case KVB_OBJECT_KIND_CERTIFICATE: return deleted ? _("Deleted certificate") : _("Certificate");
    default: g_return_val_if_reached (NULL);
    }
}

/* A row shows only when it has something to say. */
static void
set_row (AdwActionRow *row,
         const char   *value)
{
  gtk_widget_set_visible (GTK_WIDGET (row), value != NULL && *value != '\0');
  adw_action_row_set_subtitle (row, value != NULL ? value : "");
}

static void
set_date_row (AdwActionRow *row,
              gint64        seconds)
{
  g_autofree char *text = format_date (seconds);

  set_row (row, text);
}

static void
set_loading (KvbObjectDetails *self,
             gboolean          loading)
{
  self->loading = loading;
  gtk_spinner_set_spinning (self->spinner, loading);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), loading);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static GtkWidget *
version_row_new (KvbObjectInfo *version)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *state = gtk_label_new (kvb_object_info_get_enabled (version) ? _("Enabled") : _("Disabled"));
  g_autofree char *created = format_date (kvb_object_info_get_created (version));
  g_autofree char *updated = format_date (kvb_object_info_get_updated (version));
  g_autofree char *dates = NULL;

  /* TRANSLATORS: the dates of one version of a secret, key or certificate */
  dates = g_strdup_printf (_("Created %s · Updated %s"), created ? created : "—", updated ? updated : "—");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kvb_object_info_get_version (version));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), dates);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  if (!kvb_object_info_get_enabled (version))
    gtk_widget_add_css_class (state, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), state);
  return row;
}

static int
newest_first (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  gint64 ca = kvb_object_info_get_created ((KvbObjectInfo *) a);
  gint64 cb = kvb_object_info_get_created ((KvbObjectInfo *) b);

  return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static void
version_page_cb (GPtrArray *objects,
                 gpointer   user_data)
{
  KvbObjectDetails *self = user_data;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  g_list_store_splice (self->versions, g_list_model_get_n_items (G_LIST_MODEL (self->versions)), 0,
                       objects->pdata, objects->len);
}

static void
list_versions_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KvbObjectDetails) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_list_versions_finish (KVB_KEYVAULT_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_label_set_label (self->versions_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->versions_error), TRUE);
    }
  else
    {
      g_list_store_sort (self->versions, newest_first, NULL);
    }
  set_loading (self, FALSE);
}

static void
get_properties_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KvbObjectDetails) self = user_data;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = kvb_keyvault_client_get_properties_finish (KVB_KEYVAULT_CLIENT (source), result, &error);
  if (info == NULL)
    {
      /* The versions say more; the recovery level stays unknown. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No properties of %s: %s", kvb_object_info_get_name (self->info), error->message);
      return;
    }
  set_row (self->recovery_level_row, kvb_object_info_get_recovery_level (info));
}

static void
show_info (KvbObjectDetails *self)
{
  KvbObjectInfo *info = self->info;
  gboolean deleted = kvb_object_info_get_deleted (info);
  KvbObjectKind kind = kvb_object_info_get_kind (info);
  GHashTable *tags = kvb_object_info_get_tags (info);
  g_autofree char *expires = format_date (kvb_object_info_get_expires (info));

  gtk_window_set_title (GTK_WINDOW (self), kvb_object_info_get_name (info));
  adw_window_title_set_title (self->window_title, kvb_object_info_get_name (info));
  adw_window_title_set_subtitle (self->window_title, kind_name (kind, deleted));

  set_row (self->enabled_row, kvb_object_info_get_enabled (info) ? _("Yes") : _("No"));
  set_row (self->content_type_row, kvb_object_info_get_content_type (info));
  set_row (self->thumbprint_row, kvb_object_info_get_thumbprint (info));
  /* TRANSLATORS: the expiry date of an object that does not expire */
  set_row (self->expires_row, expires != NULL ? expires : _("Never"));
  set_row (self->recovery_level_row, kvb_object_info_get_recovery_level (info));
  set_date_row (self->deleted_row, kvb_object_info_get_deleted_date (info));
  set_date_row (self->purge_row, kvb_object_info_get_scheduled_purge_date (info));

  gtk_widget_set_visible (GTK_WIDGET (self->managed_row),
                          kvb_object_info_get_managed (info) && kind != KVB_OBJECT_KIND_CERTIFICATE);
  if (kvb_object_info_get_managed (info))
    {
      g_autofree char *why =
        g_strdup_printf (_("It belongs to certificate “%s”. Back up the certificate: Key Vault "
                           "refuses to back up its key or secret alone."),
                         kvb_object_info_get_name (info));

      adw_action_row_set_subtitle (self->managed_row, why);
    }

  if (tags != NULL)
    {
      g_autofree const char **names = NULL;
      guint n;

      names = (const char **) g_hash_table_get_keys_as_array (tags, &n);
      qsort (names, n, sizeof (char *), compare_strings);
      for (guint i = 0; i < n; i++)
        {
          GtkWidget *row = adw_action_row_new ();

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), names[i]);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), g_hash_table_lookup (tags, names[i]));
          adw_preferences_group_add (self->tags_group, row);
        }
    }
  else
    {
      adw_preferences_group_set_description (self->tags_group, _("No tags."));
    }

  /* The versions of a deleted object cannot be listed until it is recovered. */
  gtk_widget_set_visible (GTK_WIDGET (self->versions_group), !deleted);
  if (!deleted && self->client != NULL)
    {
      set_loading (self, TRUE);
      kvb_keyvault_client_list_versions_async (self->client, kind, kvb_object_info_get_name (info),
                                               version_page_cb, self, self->cancellable,
                                               list_versions_cb, g_object_ref (self));
      /* Certificate lists leave the recovery level out. */
      if (kvb_object_info_get_recovery_level (info) == NULL)
        kvb_keyvault_client_get_properties_async (self->client, kind, kvb_object_info_get_name (info),
                                                  NULL, self->cancellable, get_properties_cb,
                                                  g_object_ref (self));
    }
}

static GtkWidget *
create_version_row (gpointer item,
                    gpointer user_data)
{
  return version_row_new (item);
}

static void
kvb_object_details_dispose (GObject *object)
{
  KvbObjectDetails *self = (KvbObjectDetails *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_OBJECT_DETAILS);

  G_OBJECT_CLASS (kvb_object_details_parent_class)->dispose (object);
}

static void
kvb_object_details_finalize (GObject *object)
{
  KvbObjectDetails *self = (KvbObjectDetails *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->info);
  g_clear_object (&self->versions);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kvb_object_details_parent_class)->finalize (object);
}

static void
kvb_object_details_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KvbObjectDetails *self = KVB_OBJECT_DETAILS (object);

  switch (prop_id)
    {
    case PROP_LOADING: g_value_set_boolean (value, self->loading); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_object_details_class_init (KvbObjectDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_object_details_dispose;
  object_class->finalize = kvb_object_details_finalize;
  object_class->get_property = kvb_object_details_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-object-details.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, window_title);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, enabled_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, content_type_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, thumbprint_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, expires_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, recovery_level_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, deleted_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, purge_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, managed_row);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, tags_group);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, versions_group);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, versions_box);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectDetails, versions_error);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kvb_object_details_init (KvbObjectDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->versions = g_list_store_new (KVB_TYPE_OBJECT_INFO);
  gtk_list_box_bind_model (self->versions_box, G_LIST_MODEL (self->versions),
                           create_version_row, NULL, NULL);
}

GtkWidget *
kvb_object_details_new (KvbKeyVaultClient *client,
                        KvbObjectInfo     *info)
{
  KvbObjectDetails *self;

  g_return_val_if_fail (client == NULL || KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (info), NULL);

  self = g_object_new (KVB_TYPE_OBJECT_DETAILS, NULL);
  self->client = client != NULL ? g_object_ref (client) : NULL;
  self->info = g_object_ref (info);
  show_info (self);

  return GTK_WIDGET (self);
}

KvbObjectInfo *
kvb_object_details_get_info (KvbObjectDetails *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_DETAILS (self), NULL);
  return self->info;
}

gboolean
kvb_object_details_get_loading (KvbObjectDetails *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_DETAILS (self), FALSE);
  return self->loading;
}

GListModel *
kvb_object_details_get_versions (KvbObjectDetails *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_DETAILS (self), NULL);
  return G_LIST_MODEL (self->versions);
}
