/* kvb-object-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-list"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-error.h"
#include "kvb-filter-list-model.h"
#include "kvb-recycling-selection.h"
#include "kvb-row-slot.h"
#include "kvb-object-details.h"
#include "kvb-object-list.h"

struct _KvbObjectList
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget           *box;
  GtkSearchBar        *search_bar;
  GtkSearchEntry      *search_entry;
  GtkLabel            *error_label;
  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *type_column;
  GtkColumnViewColumn *updated_column;
  GtkColumnViewColumn *deleted_column;
  GtkColumnViewColumn *purge_column;
  GtkColumnViewColumn *tags_column;
  GtkStringSorter     *type_sorter;
  AdwStatusPage       *status_page;
  GtkSpinner          *spinner;
  GtkMultiSelection   *selection;
  GtkSortListModel    *sort_model;
  KvbFilterListModel  *filter_model;
  GMenuModel          *row_menu;

  /* Owned references */
  KvbObjectListing    *listing;
  GtkCustomFilter     *filter;
  GtkWidget           *row_popover;
  char                *query;      /* case-folded filter text, NULL for none */
  gboolean             query_is_ascii;
};

G_DEFINE_FINAL_TYPE (KvbObjectList, kvb_object_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LISTING,
  PROP_FILTER_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The list item a cell widget shows, so that a right click can find its row. */
#define ITEM_KEY "kvb-list-item"

static char *
format_date (gint64 seconds)
{
  /* g_time_zone_new_local() looks at /etc/localtime each time: a system call per date cell,
   * hundreds per keystroke.  The zone of the session is read once. */
  static GTimeZone *local_zone;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (g_once_init_enter (&local_zone))
    g_once_init_leave (&local_zone, g_time_zone_new_local ());
  if (seconds <= 0 || (utc = g_date_time_new_from_unix_utc (seconds)) == NULL ||
      (dt = g_date_time_to_timezone (utc, local_zone)) == NULL)
    return NULL;
  /* Unambiguous in every locale, and sorts as text the way it sorts as a date. */
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char **)a, *(const char **)b);
}

/* "env=prod, team=payments", by tag name. */
static char *
tags_summary (KvbObjectInfo *info)
{
  GHashTable *tags = kvb_object_info_get_tags (info);
  g_autofree const char **names = NULL;
  g_autoptr(GString) text = NULL;
  guint n;

  if (tags == NULL)
    return NULL;
  names = (const char **) g_hash_table_get_keys_as_array (tags, &n);
  qsort (names, n, sizeof (char *), compare_strings);
  text = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%s=%s", i > 0 ? ", " : "", names[i],
                            (const char *) g_hash_table_lookup (tags, names[i]));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
kind_title (KvbObjectKind kind,
            gboolean      deleted)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return deleted ? _("Deleted secrets") : _("Secrets");
    case KVB_OBJECT_KIND_KEY: return deleted ? _("Deleted keys") : _("Keys");
    case KVB_OBJECT_KIND_CERTIFICATE: return deleted ? _("Deleted certificates") : _("Certificates");
    default: g_return_val_if_reached (NULL);
    }
}

static const char *
empty_title (KvbObjectKind kind,
             gboolean      deleted)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET: return deleted ? _("No Deleted Secrets") : _("No Secrets");
    case KVB_OBJECT_KIND_KEY: return deleted ? _("No Deleted Keys") : _("No Keys");
    case KVB_OBJECT_KIND_CERTIFICATE: return deleted ? _("No Deleted Certificates") : _("No Certificates");
    default: g_return_val_if_reached (NULL);
    }
}

static const char *
error_title (KvbObjectKind kind,
             gboolean      deleted)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      return deleted ? _("Cannot List Deleted Secrets") : _("Cannot List Secrets");
    case KVB_OBJECT_KIND_KEY:
      return deleted ? _("Cannot List Deleted Keys") : _("Cannot List Keys");
    case KVB_OBJECT_KIND_CERTIFICATE:
      return deleted ? _("Cannot List Deleted Certificates") : _("Cannot List Certificates");
    default: g_return_val_if_reached (NULL);
    }
}

static gboolean
is_forbidden (const GError *error)
{
  return g_error_matches (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC) ||
         g_error_matches (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_POLICY) ||
         g_error_matches (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_FIREWALL);
}

/* The list, or a status page for loading, nothing, no match or an error with nothing listed. */
static void
update_state (KvbObjectList *self)
{
  const GError *error = self->listing ? kvb_object_listing_get_error (self->listing) : NULL;
  gboolean loading = self->listing != NULL && kvb_object_listing_get_loading (self->listing);
  guint n_listed = self->listing ? g_list_model_get_n_items (G_LIST_MODEL (self->listing)) : 0;
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  KvbObjectKind kind = self->listing ? kvb_object_listing_get_kind (self->listing) : 0;
  gboolean deleted = self->listing ? kvb_object_listing_get_deleted (self->listing) : FALSE;

  /* A failure after some pages keeps what arrived and says why the rest is missing. */
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL && n_listed > 0);
  if (error != NULL)
    gtk_label_set_label (self->error_label, error->message);

  if (self->listing == NULL)
    {
      gtk_spinner_stop (self->spinner);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
      adw_status_page_set_icon_name (self->status_page, NULL);
      adw_status_page_set_title (self->status_page, "");
      adw_status_page_set_description (self->status_page, NULL);
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }

  if (n_listed == 0 && error != NULL)
    {
      gtk_spinner_stop (self->spinner);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
      adw_status_page_set_icon_name (self->status_page, is_forbidden (error)
                                     ? "action-unavailable-symbolic" : "dialog-error-symbolic");
      adw_status_page_set_title (self->status_page, error_title (kind, deleted));
      adw_status_page_set_description (self->status_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "status");
    }
  else if (n_listed == 0 && loading)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
      gtk_spinner_start (self->spinner);
      adw_status_page_set_icon_name (self->status_page, NULL);
      adw_status_page_set_title (self->status_page, _("Loading…"));
      adw_status_page_set_description (self->status_page, NULL);
      gtk_stack_set_visible_child_name (self->stack, "status");
    }
  else if (n_listed == 0)
    {
      gtk_spinner_stop (self->spinner);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
      adw_status_page_set_icon_name (self->status_page, "folder-symbolic");
      adw_status_page_set_title (self->status_page, empty_title (kind, deleted));
      adw_status_page_set_description (self->status_page, NULL);
      gtk_stack_set_visible_child_name (self->stack, "status");
    }
  else if (n_shown == 0 && self->query != NULL)
    {
      g_autofree char *description =
        g_strdup_printf (_("Nothing here matches “%s”."),
                         gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));

      gtk_spinner_stop (self->spinner);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
      adw_status_page_set_icon_name (self->status_page, "system-search-symbolic");
      adw_status_page_set_title (self->status_page, _("No Matches"));
      adw_status_page_set_description (self->status_page, description);
      gtk_stack_set_visible_child_name (self->stack, "status");
    }
  else
    {
      gtk_spinner_stop (self->spinner);
      gtk_stack_set_visible_child_name (self->stack, "list");
    }
}

/* Key Vault names are ASCII, so the name is matched without allocating: this runs for every
 * object at every keystroke. */
static gboolean
ascii_contains (const char *haystack,
                const char *needle)
{
  char first = g_ascii_tolower (needle[0]);

  if (first == '\0')
    return TRUE;
  /* The first character is compared inline; the rest only where it matched. */
  for (const char *p = haystack; *p != '\0'; p++)
    if (g_ascii_tolower (*p) == first)
      {
        const char *h = p + 1, *n = needle + 1;

        while (*n != '\0' && g_ascii_tolower (*h) == g_ascii_tolower (*n))
          h++, n++;
        if (*n == '\0')
          return TRUE;
      }
  return FALSE;
}

static gboolean
is_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

/* Tags may be any text.  Most are ASCII, and an ASCII query in ASCII text needs no case-folded
 * copy: half the objects of a large vault have tags, so this saves two allocations per tag and
 * object at every keystroke. */
static gboolean
contains_folded (const char *text,
                 const char *query,
                 gboolean    query_is_ascii)
{
  g_autofree char *folded = NULL;

  if (query_is_ascii && is_ascii (text))
    return ascii_contains (text, query);
  folded = g_utf8_casefold (text, -1);
  return strstr (folded, query) != NULL;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  KvbObjectList *self = user_data;
  KvbObjectInfo *info = item;
  GHashTable *tags;
  GHashTableIter iter;
  gpointer key, value;

  if (self->query == NULL)
    return TRUE;
  if (ascii_contains (kvb_object_info_get_name (info), self->query))
    return TRUE;

  tags = kvb_object_info_get_tags (info);
  if (tags == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, tags);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (contains_folded (key, self->query, self->query_is_ascii) ||
        contains_folded (value, self->query, self->query_is_ascii))
      return TRUE;
  return FALSE;
}

static void
apply_filter_text (KvbObjectList *self,
                   const char    *text)
{
  g_autofree char *old = g_steal_pointer (&self->query);
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  if (text != NULL && *text != '\0')
    self->query = g_utf8_casefold (text, -1);
  self->query_is_ascii = self->query != NULL && is_ascii (self->query);

  if (g_strcmp0 (old, self->query) == 0)
    return;
  /* Typing on narrows what is shown; the filter model then looks only at what it showed. */
  if (old == NULL || (self->query != NULL && strstr (self->query, old) != NULL))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (self->query == NULL || strstr (old, self->query) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  gtk_filter_changed (GTK_FILTER (self->filter), change);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_TEXT]);
  update_state (self);
}

static void
search_changed_cb (KvbObjectList  *self,
                   GtkSearchEntry *entry)
{
  apply_filter_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* Cells */

static void
cell_set_item (GtkWidget   *widget,
               GtkListItem *item)
{
  g_object_set_data (G_OBJECT (widget), ITEM_KEY, item);
}

/* The view's items are row slots (see kvb-recycling-selection.c); a cell shows the slot's item. */
static KvbObjectInfo *
cell_info (GtkListItem *item)
{
  return kvb_row_slot_get_item (gtk_list_item_get_item (item));
}

#define FOLLOWED_KEY "kvb-followed-factory"

static void
slot_item_changed_cb (KvbRowSlot  *slot,
                      GParamSpec  *pspec,
                      GtkListItem *item)
{
  GtkListItemFactory *factory = g_object_get_data (G_OBJECT (item), FOLLOWED_KEY);

  if (factory != NULL && kvb_row_slot_get_item (slot) != NULL)
    g_signal_emit_by_name (factory, "bind", item);
}

/* When a keystroke hands a row's slot another item, the row stays and its cells bind again. */
static void
follow_slot (GtkSignalListItemFactory *factory,
             GtkListItem              *item)
{
  if (factory == NULL || g_object_get_data (G_OBJECT (item), FOLLOWED_KEY) != NULL)
    return;
  g_object_set_data (G_OBJECT (item), FOLLOWED_KEY, factory);
  g_signal_connect (gtk_list_item_get_item (item), "notify::item",
                    G_CALLBACK (slot_item_changed_cb), item);
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  cell_set_item (gtk_list_item_get_child (item), NULL);
  if (g_object_steal_data (G_OBJECT (item), FOLLOWED_KEY) != NULL)
    g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), slot_item_changed_cb, item);
}

/* Cells are GtkInscription, not GtkLabel: it is made for list cells, measures by a character
 * count instead of laying out its text, and costs far less to create.  GTK 4.8 keeps about
 * two hundred rows alive and makes them anew when a keystroke in the filter changes what is
 * shown, so the cost of a cell is paid some 1,400 times per keystroke. */
static GtkWidget *
new_cell_label_sized (guint nat_chars)
{
  GtkWidget *label = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (label), 0);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (label), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (label), nat_chars);
  return label;
}

static GtkWidget *
new_cell_label (void)
{
  return new_cell_label_sized (14);
}

static void
label_setup_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  gtk_list_item_set_child (item, new_cell_label ());
}

/* Tooltips are made when asked for, not when a row is bound: in GTK 4.8 setting a tooltip on a
 * shown widget queries the pointer from the display server, one round trip per row, and a
 * keystroke in the filter binds a couple of hundred rows. */
static gboolean
label_query_tooltip_cb (GtkWidget  *label,
                        int         x,
                        int         y,
                        gboolean    keyboard,
                        GtkTooltip *tooltip,
                        gpointer    user_data)
{
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (label));

  if (text == NULL || *text == '\0')
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* The tags column shows the whole text of a cut-off cell as its tooltip. */
static void
tags_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *label = new_cell_label_sized (24);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (label_query_tooltip_cb), NULL);
  gtk_list_item_set_child (item, label);
}

static void
set_cell_text (GtkListItem *item,
               const char  *text)
{
  GtkWidget *label = gtk_list_item_get_child (item);

  cell_set_item (label, item);
  gtk_inscription_set_text (GTK_INSCRIPTION (label), text != NULL ? text : "");
}

static char *
managed_explanation (const char *name)
{
  /* A certificate's key and secret have its name. */
  return g_strdup_printf (_("Belongs to certificate “%s”: backed up with its certificate. "
                            "Key Vault refuses to back it up alone."), name);
}

/* The row tells its slot what selected state it shows (see kvb-recycling-selection.c). */
static void
row_selected_cb (GtkListItem *item,
                 GParamSpec  *pspec,
                 gpointer     user_data)
{
  KvbRowSlot *slot = gtk_list_item_get_item (item);

  if (slot != NULL)
    kvb_row_slot_set_shown_selected (slot, gtk_list_item_get_selected (item));
}

static void
name_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = new_cell_label_sized (28);
  GtkWidget *marker = gtk_image_new_from_icon_name ("application-certificate-symbolic");

  gtk_widget_set_visible (marker, FALSE);
  gtk_widget_add_css_class (marker, "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (marker), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Belongs to a certificate"), -1);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), marker);
  gtk_list_item_set_child (item, box);
  g_signal_connect (item, "notify::selected", G_CALLBACK (row_selected_cb), NULL);
}

static void
name_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  KvbObjectInfo *info = cell_info (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *label = gtk_widget_get_first_child (box);
  GtkWidget *marker = gtk_widget_get_next_sibling (label);
  gboolean managed = kvb_object_info_get_managed (info) &&
                     kvb_object_info_get_kind (info) != KVB_OBJECT_KIND_CERTIFICATE;

  follow_slot (factory, item);
  row_selected_cb (item, NULL, NULL);
  cell_set_item (box, item);
  gtk_inscription_set_text (GTK_INSCRIPTION (label), kvb_object_info_get_name (info));
  /* The marker's tooltip changes while it is hidden: see label_query_tooltip_cb. */
  gtk_widget_set_visible (marker, FALSE);
  if (managed)
    {
      g_autofree char *why = managed_explanation (kvb_object_info_get_name (info));

      gtk_widget_set_tooltip_text (marker, why);
      gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why, -1);
      gtk_widget_set_visible (marker, TRUE);
    }
  else if (gtk_widget_get_has_tooltip (marker))
    {
      gtk_widget_set_tooltip_text (marker, NULL);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static void
enabled_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  KvbObjectInfo *info = cell_info (item);

  follow_slot (factory, item);
  /* TRANSLATORS: whether a secret, key or certificate is enabled */
  set_cell_text (item, kvb_object_info_get_enabled (info) ? _("Yes") : _("No"));
}

static void
type_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  KvbObjectInfo *info = cell_info (item);

  follow_slot (factory, item);
  if (kvb_object_info_get_kind (info) == KVB_OBJECT_KIND_CERTIFICATE)
    set_cell_text (item, kvb_object_info_get_thumbprint (info));
  else
    set_cell_text (item, kvb_object_info_get_content_type (info));
}

static void
bind_date (GtkListItem *item,
           gint64       seconds,
           const char  *none)
{
  g_autofree char *text = format_date (seconds);

  set_cell_text (item, text != NULL ? text : none);
}

static void
expires_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  follow_slot (factory, item);
  /* TRANSLATORS: the expiry date of an object that does not expire */
  bind_date (item, kvb_object_info_get_expires (cell_info (item)), _("Never"));
}

static void
updated_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  follow_slot (factory, item);
  bind_date (item, kvb_object_info_get_updated (cell_info (item)), NULL);
}

static void
deleted_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  follow_slot (factory, item);
  bind_date (item, kvb_object_info_get_deleted_date (cell_info (item)), NULL);
}

static void
purge_bind_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  follow_slot (factory, item);
  bind_date (item, kvb_object_info_get_scheduled_purge_date (cell_info (item)), NULL);
}

static void
tags_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  g_autofree char *text = tags_summary (cell_info (item));

  follow_slot (factory, item);
  set_cell_text (item, text);
}

static char *
tags_sort_key (KvbObjectInfo *info)
{
  char *text = info != NULL ? tags_summary (info) : NULL;

  return text != NULL ? text : g_strdup ("");
}

/* Details and the row menu */

static void
show_details (KvbObjectList *self,
              KvbObjectInfo *info)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *details;

  if (self->listing == NULL || info == NULL)
    return;
  details = kvb_object_details_new (kvb_object_listing_get_client (self->listing), info);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (details), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (details));
}

static void
activate_cb (KvbObjectList *self,
             guint          position)
{
  g_autoptr(KvbObjectInfo) info = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  show_details (self, info);
}

static void
show_details_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KvbObjectList *self = KVB_OBJECT_LIST (widget);
  g_autoptr(GPtrArray) selected = kvb_object_list_get_selected_objects (self);

  if (selected->len > 0)
    show_details (self, g_ptr_array_index (selected, 0));
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  KvbObjectList *self = KVB_OBJECT_LIST (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KvbObjectList *self = KVB_OBJECT_LIST (widget);

  if (self->listing != NULL)
    kvb_object_listing_reload (self->listing);
}

static void
popup_menu (KvbObjectList *self,
            double         x,
            double         y)
{
  if (x >= 0 && y >= 0)
    gtk_popover_set_pointing_to (GTK_POPOVER (self->row_popover),
                                 &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  else
    gtk_popover_set_pointing_to (GTK_POPOVER (self->row_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (self->row_popover));
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  popup_menu (KVB_OBJECT_LIST (widget), -1, -1);
}

/* A right click on a row that is not selected selects it alone, as in file managers. */
static void
secondary_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      KvbObjectList   *self)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->column_view), x, y, GTK_PICK_DEFAULT);
  graphene_point_t point;

  for (; picked != NULL && picked != GTK_WIDGET (self->column_view);
       picked = gtk_widget_get_parent (picked))
    {
      GtkListItem *item = g_object_get_data (G_OBJECT (picked), ITEM_KEY);

      if (item != NULL)
        {
          guint position = gtk_list_item_get_position (item);

          if (position != GTK_INVALID_LIST_POSITION &&
              !gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
            gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
          break;
        }
    }

  if (!gtk_widget_compute_point (GTK_WIDGET (self->column_view), GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (x, y), &point))
    point = GRAPHENE_POINT_INIT (x, y);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  popup_menu (self, point.x, point.y);
}

static void
update_actions (KvbObjectList *self)
{
  GtkBitset *selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  gboolean any = !gtk_bitset_is_empty (selected);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "list.show-details", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "list.reload", self->listing != NULL);
  gtk_bitset_unref (selected);
}

static void
selection_changed_cb (KvbObjectList *self)
{
  update_actions (self);
}

static void
listing_changed_cb (KvbObjectList *self)
{
  update_state (self);
}

static void
shown_changed_cb (KvbObjectList *self)
{
  update_state (self);
}

/* The columns that mean something for the kind of the listing. */
static void
configure_columns (KvbObjectList *self)
{
  KvbObjectKind kind = self->listing ? kvb_object_listing_get_kind (self->listing) : 0;
  gboolean deleted = self->listing ? kvb_object_listing_get_deleted (self->listing) : FALSE;
  g_autoptr(GtkExpression) type_expression = NULL;

  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      gtk_column_view_column_set_title (self->type_column, _("Content Type"));
      type_expression = gtk_property_expression_new (KVB_TYPE_OBJECT_INFO, NULL, "content-type");
      break;
    case KVB_OBJECT_KIND_CERTIFICATE:
      gtk_column_view_column_set_title (self->type_column, _("Thumbprint"));
      type_expression = gtk_property_expression_new (KVB_TYPE_OBJECT_INFO, NULL, "thumbprint");
      break;
    case KVB_OBJECT_KIND_KEY:
    default:
      /* Key lists carry no key type: it is in the details. */
      break;
    }
  gtk_column_view_column_set_visible (self->type_column, type_expression != NULL);
  gtk_string_sorter_set_expression (self->type_sorter, type_expression);
  gtk_column_view_column_set_visible (self->updated_column, !deleted);
  gtk_column_view_column_set_visible (self->deleted_column, deleted);
  gtk_column_view_column_set_visible (self->purge_column, deleted);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->column_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  kind_title (kind, deleted), -1);
}

/* GObject */

static void
kvb_object_list_dispose (GObject *object)
{
  KvbObjectList *self = (KvbObjectList *)object;

  if (self->listing != NULL)
    g_signal_handlers_disconnect_by_data (self->listing, self);
  if (self->filter_model != NULL)
    g_signal_handlers_disconnect_by_data (self->filter_model, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->listing);
  g_clear_pointer (&self->row_popover, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_OBJECT_LIST);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (kvb_object_list_parent_class)->dispose (object);
}

static void
kvb_object_list_finalize (GObject *object)
{
  KvbObjectList *self = (KvbObjectList *)object;

  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (kvb_object_list_parent_class)->finalize (object);
}

static void
kvb_object_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KvbObjectList *self = KVB_OBJECT_LIST (object);

  switch (prop_id)
    {
    case PROP_LISTING: g_value_set_object (value, self->listing); break;
    case PROP_FILTER_TEXT: g_value_set_string (value, kvb_object_list_get_filter_text (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_object_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KvbObjectList *self = KVB_OBJECT_LIST (object);

  switch (prop_id)
    {
    case PROP_LISTING: kvb_object_list_set_listing (self, g_value_get_object (value)); break;
    case PROP_FILTER_TEXT: kvb_object_list_set_filter_text (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_object_list_class_init (KvbObjectListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_object_list_dispose;
  object_class->finalize = kvb_object_list_finalize;
  object_class->get_property = kvb_object_list_get_property;
  object_class->set_property = kvb_object_list_set_property;

  properties[PROP_LISTING] =
    g_param_spec_object ("listing", NULL, NULL, KVB_TYPE_OBJECT_LISTING,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER_TEXT] =
    g_param_spec_string ("filter-text", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KVB_TYPE_OBJECT_INFO);
  g_type_ensure (KVB_TYPE_FILTER_LIST_MODEL);
  g_type_ensure (KVB_TYPE_RECYCLING_SELECTION);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-object-list.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, box);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, search_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, error_label);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, stack);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, column_view);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, name_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, type_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, updated_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, deleted_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, purge_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, tags_column);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, type_sorter);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, status_page);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, selection);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, sort_model);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, filter_model);
  gtk_widget_class_bind_template_child (widget_class, KvbObjectList, row_menu);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, label_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, tags_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, enabled_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, type_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, expires_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, updated_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, deleted_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, purge_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, tags_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, cell_unbind_cb);

  gtk_widget_class_install_action (widget_class, "list.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "list.show-details", NULL, show_details_action);
  gtk_widget_class_install_action (widget_class, "list.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "list.context-menu", NULL, context_menu_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "list.find", NULL);
  /* F5 only: Ctrl+R is the window's, for the list of vaults. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "list.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "list.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "list.context-menu", NULL);
}

static void
kvb_object_list_init (KvbObjectList *self)
{
  g_autoptr(GtkExpression) tags_expression = NULL;
  g_autoptr(GtkSorter) tags_sorter = NULL;
  GtkGesture *secondary;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  kvb_filter_list_model_set_filter (self->filter_model, GTK_FILTER (self->filter));
  gtk_sort_list_model_set_sorter (self->sort_model, gtk_column_view_get_sorter (self->column_view));

  tags_expression = gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                 G_CALLBACK (tags_sort_key), NULL, NULL);
  tags_sorter = GTK_SORTER (gtk_string_sorter_new (g_steal_pointer (&tags_expression)));
  gtk_column_view_column_set_sorter (self->tags_column, tags_sorter);

  /* Shown as Key Vault lists them (by name) until a column header is clicked. */
  gtk_column_view_sort_by_column (self->column_view, self->name_column, GTK_SORT_ASCENDING);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  self->row_popover = gtk_popover_menu_new_from_model (self->row_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->row_popover), FALSE);
  gtk_widget_set_halign (self->row_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->row_popover, GTK_WIDGET (self));

  secondary = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (secondary), GDK_BUTTON_SECONDARY);
  g_signal_connect (secondary, "pressed", G_CALLBACK (secondary_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (secondary));

  g_signal_connect_swapped (self->selection, "selection-changed",
                            G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->filter_model, "items-changed", G_CALLBACK (shown_changed_cb), self);

  configure_columns (self);
  update_actions (self);
  update_state (self);
}

GtkWidget *
kvb_object_list_new (void)
{
  return g_object_new (KVB_TYPE_OBJECT_LIST, NULL);
}

KvbObjectListing *
kvb_object_list_get_listing (KvbObjectList *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LIST (self), NULL);
  return self->listing;
}

void
kvb_object_list_set_listing (KvbObjectList    *self,
                             KvbObjectListing *listing)
{
  g_return_if_fail (KVB_IS_OBJECT_LIST (self));
  g_return_if_fail (listing == NULL || KVB_IS_OBJECT_LISTING (listing));

  if (self->listing == listing)
    return;

  if (self->listing != NULL)
    g_signal_handlers_disconnect_by_data (self->listing, self);
  g_set_object (&self->listing, listing);
  if (listing != NULL)
    {
      g_signal_connect_swapped (listing, "notify::loading", G_CALLBACK (listing_changed_cb), self);
      g_signal_connect_swapped (listing, "notify::error", G_CALLBACK (listing_changed_cb), self);
      g_signal_connect_swapped (listing, "items-changed", G_CALLBACK (listing_changed_cb), self);
    }

  gtk_sort_list_model_set_model (self->sort_model, G_LIST_MODEL (listing));
  configure_columns (self);
  update_actions (self);
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTING]);
}

GPtrArray *
kvb_object_list_get_selected_objects (KvbObjectList *self)
{
  GPtrArray *objects;
  GtkBitset *selected;
  GtkBitsetIter iter;
  guint position;

  g_return_val_if_fail (KVB_IS_OBJECT_LIST (self), NULL);

  objects = g_ptr_array_new_with_free_func (g_object_unref);
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (objects, g_list_model_get_item (G_LIST_MODEL (self->selection), position));
  gtk_bitset_unref (selected);

  return objects;
}

const char *
kvb_object_list_get_filter_text (KvbObjectList *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LIST (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
}

void
kvb_object_list_set_filter_text (KvbObjectList *self,
                                 const char    *text)
{
  g_return_if_fail (KVB_IS_OBJECT_LIST (self));

  if (text != NULL && *text != '\0')
    gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  /* Replacing the text empties the entry first, and an empty search entry reports at once: the
   * filter would show everything, then filter again.  Applied once, without the typing delay. */
  g_signal_handlers_block_by_func (self->search_entry, search_changed_cb, self);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  g_signal_handlers_unblock_by_func (self->search_entry, search_changed_cb, self);
  apply_filter_text (self, text);
}

GtkSelectionModel *
kvb_object_list_get_selection_model (KvbObjectList *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LIST (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}
