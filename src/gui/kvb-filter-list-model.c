/* kvb-filter-list-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-filter-list-model"

#include "config.h"

#include "kvb-filter-list-model.h"

/* The filtered view of a list, as GtkFilterListModel, for lists of 100,000 objects.
 *
 * GTK 4.8's GtkFilterListModel keeps what it shows in a GtkBitset, so finding its n-th item is
 * a rank query over the bitset.  When a keystroke changes what is shown, the list view's item
 * manager (gtklistitemmanager.c, model_items_changed_cb) asks for every added item by position
 * whenever a row it tracks (focus, selection anchor) was in the changed range: one rank query
 * per row, hundreds of milliseconds for a keystroke on 100,000 objects.  Here the shown
 * positions are an array, so the n-th item is one look-up, and a change is reported as the
 * smallest range that differs.  Filtering is synchronous: matching 100,000 names takes a few
 * milliseconds, much less than the rows the view then builds. */
struct _KvbFilterListModel
{
  GObject parent_instance;

  GListModel *model;
  GtkFilter *filter;
  GArray *shown;         /* guint positions in @model, ascending */
};

static void kvb_filter_list_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbFilterListModel, kvb_filter_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kvb_filter_list_model_list_model_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_FILTER,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
kvb_filter_list_model_get_item_type (GListModel *list)
{
  KvbFilterListModel *self = KVB_FILTER_LIST_MODEL (list);

  return self->model != NULL ? g_list_model_get_item_type (self->model) : G_TYPE_OBJECT;
}

static guint
kvb_filter_list_model_get_n_items (GListModel *list)
{
  return KVB_FILTER_LIST_MODEL (list)->shown->len;
}

static gpointer
kvb_filter_list_model_get_item (GListModel *list,
                                guint       position)
{
  KvbFilterListModel *self = KVB_FILTER_LIST_MODEL (list);

  if (position >= self->shown->len)
    return NULL;
  return g_list_model_get_item (self->model, g_array_index (self->shown, guint, position));
}

static void
kvb_filter_list_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kvb_filter_list_model_get_item_type;
  iface->get_n_items = kvb_filter_list_model_get_n_items;
  iface->get_item = kvb_filter_list_model_get_item;
}

static gboolean
matches (KvbFilterListModel *self,
         guint               position)
{
  g_autoptr(GObject) item = NULL;

  if (self->filter == NULL)
    return TRUE;
  item = g_list_model_get_item (self->model, position);
  return item != NULL && gtk_filter_match (self->filter, item);
}

/* The first index of @shown whose position is at least @position. */
static guint
lower_bound (GArray *shown,
             guint   position)
{
  guint lo = 0, hi = shown->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (shown, guint, mid) < position)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Takes @shown as the new state and reports the smallest range that differs from the old; with
 * @same_model FALSE the positions are of another list and everything changed. */
static void
replace_shown (KvbFilterListModel *self,
               GArray             *shown,
               gboolean            same_model)
{
  g_autoptr(GArray) old = self->shown;
  guint prefix = 0, suffix = 0;

  self->shown = shown;
  while (same_model && prefix < old->len && prefix < shown->len &&
         g_array_index (old, guint, prefix) == g_array_index (shown, guint, prefix))
    prefix++;
  while (same_model && suffix < old->len - prefix && suffix < shown->len - prefix &&
         g_array_index (old, guint, old->len - 1 - suffix) ==
         g_array_index (shown, guint, shown->len - 1 - suffix))
    suffix++;

  if (old->len - prefix - suffix == 0 && shown->len - prefix - suffix == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), prefix, old->len - prefix - suffix,
                              shown->len - prefix - suffix);
  if (old->len != shown->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
refilter (KvbFilterListModel *self,
          GtkFilterChange     change,
          gboolean            same_model)
{
  GArray *shown = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n = self->model != NULL ? g_list_model_get_n_items (self->model) : 0;
  GtkFilterMatch strictness = self->filter != NULL ? gtk_filter_get_strictness (self->filter)
                                                   : GTK_FILTER_MATCH_ALL;

  if (strictness == GTK_FILTER_MATCH_ALL)
    {
      g_array_set_size (shown, n);
      for (guint i = 0; i < n; i++)
        g_array_index (shown, guint, i) = i;
    }
  else if (strictness == GTK_FILTER_MATCH_SOME && change == GTK_FILTER_CHANGE_MORE_STRICT)
    {
      /* Typing on: only what is shown can still be shown. */
      for (guint i = 0; i < self->shown->len; i++)
        {
          guint position = g_array_index (self->shown, guint, i);

          if (matches (self, position))
            g_array_append_val (shown, position);
        }
    }
  else if (strictness == GTK_FILTER_MATCH_SOME && change == GTK_FILTER_CHANGE_LESS_STRICT)
    {
      /* Deleting a character: what is shown stays shown; only the hidden ones are asked. */
      guint next = 0;

      for (guint i = 0; i < n; i++)
        {
          gboolean was_shown = next < self->shown->len &&
                               g_array_index (self->shown, guint, next) == i;

          if (was_shown)
            next++;
          if (was_shown || matches (self, i))
            g_array_append_val (shown, i);
        }
    }
  else if (strictness == GTK_FILTER_MATCH_SOME)
    {
      for (guint i = 0; i < n; i++)
        if (matches (self, i))
          g_array_append_val (shown, i);
    }

  replace_shown (self, shown, same_model);
}

static void
filter_changed_cb (GtkFilter          *filter,
                   GtkFilterChange     change,
                   KvbFilterListModel *self)
{
  refilter (self, change, TRUE);
}

static void
model_items_changed_cb (GListModel         *model,
                        guint               position,
                        guint               removed,
                        guint               added,
                        KvbFilterListModel *self)
{
  guint lo = lower_bound (self->shown, position);
  guint hi = lower_bound (self->shown, position + removed);
  g_autoptr(GArray) inserted = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = position; i < position + added; i++)
    if (matches (self, i))
      g_array_append_val (inserted, i);

  /* What follows the change moves by the difference; a page appended at the end moves nothing. */
  if (added != removed)
    for (guint i = hi; i < self->shown->len; i++)
      g_array_index (self->shown, guint, i) += added - removed;

  if (hi > lo)
    g_array_remove_range (self->shown, lo, hi - lo);
  if (inserted->len > 0)
    g_array_insert_vals (self->shown, lo, inserted->data, inserted->len);

  if (hi - lo == 0 && inserted->len == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), lo, hi - lo, inserted->len);
  if (hi - lo != inserted->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
kvb_filter_list_model_dispose (GObject *object)
{
  KvbFilterListModel *self = (KvbFilterListModel *)object;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  g_clear_object (&self->model);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (kvb_filter_list_model_parent_class)->dispose (object);
}

static void
kvb_filter_list_model_finalize (GObject *object)
{
  KvbFilterListModel *self = (KvbFilterListModel *)object;

  g_clear_pointer (&self->shown, g_array_unref);

  G_OBJECT_CLASS (kvb_filter_list_model_parent_class)->finalize (object);
}

static void
kvb_filter_list_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KvbFilterListModel *self = KVB_FILTER_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    case PROP_FILTER: g_value_set_object (value, self->filter); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->shown->len); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_filter_list_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  KvbFilterListModel *self = KVB_FILTER_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL: kvb_filter_list_model_set_model (self, g_value_get_object (value)); break;
    case PROP_FILTER: kvb_filter_list_model_set_filter (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_filter_list_model_class_init (KvbFilterListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_filter_list_model_dispose;
  object_class->finalize = kvb_filter_list_model_finalize;
  object_class->get_property = kvb_filter_list_model_get_property;
  object_class->set_property = kvb_filter_list_model_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_object ("filter", NULL, NULL, GTK_TYPE_FILTER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_filter_list_model_init (KvbFilterListModel *self)
{
  self->shown = g_array_new (FALSE, FALSE, sizeof (guint));
}

KvbFilterListModel *
kvb_filter_list_model_new (GListModel *model,
                           GtkFilter  *filter)
{
  g_return_val_if_fail (model == NULL || G_IS_LIST_MODEL (model), NULL);
  g_return_val_if_fail (filter == NULL || GTK_IS_FILTER (filter), NULL);

  return g_object_new (KVB_TYPE_FILTER_LIST_MODEL, "model", model, "filter", filter, NULL);
}

GListModel *
kvb_filter_list_model_get_model (KvbFilterListModel *self)
{
  g_return_val_if_fail (KVB_IS_FILTER_LIST_MODEL (self), NULL);
  return self->model;
}

void
kvb_filter_list_model_set_model (KvbFilterListModel *self,
                                 GListModel         *model)
{
  g_return_if_fail (KVB_IS_FILTER_LIST_MODEL (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    g_signal_connect (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GtkFilter *
kvb_filter_list_model_get_filter (KvbFilterListModel *self)
{
  g_return_val_if_fail (KVB_IS_FILTER_LIST_MODEL (self), NULL);
  return self->filter;
}

void
kvb_filter_list_model_set_filter (KvbFilterListModel *self,
                                  GtkFilter          *filter)
{
  g_return_if_fail (KVB_IS_FILTER_LIST_MODEL (self));
  g_return_if_fail (filter == NULL || GTK_IS_FILTER (filter));

  if (self->filter == filter)
    return;
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  g_set_object (&self->filter, filter);
  if (filter != NULL)
    g_signal_connect (filter, "changed", G_CALLBACK (filter_changed_cb), self);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}
