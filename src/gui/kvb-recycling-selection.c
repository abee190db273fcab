/* kvb-recycling-selection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-recycling-selection"

#include "config.h"

#include "kvb-recycling-selection.h"
#include "kvb-row-slot.h"

/* A selection model for a list view whose rows are KvbRowSlot objects showing the items of
 * another selection model, position for position.
 *
 * GTK 4.8's list views re-use a row widget only when its very item comes back after a change
 * (gtklistitemmanager.c keys the rows it takes away by item); every other row is built anew
 * and the old one destroyed.  A keystroke in the filter of a long list replaces the items of
 * all the couple of hundred rows the view keeps alive, so it built some 200 rows of 7 cells.
 * Here the view's items are slots: when a change takes away rows and adds others, the slots
 * that left are handed back for the positions that came, the view finds its row widgets under
 * them, and their cells only show another item ("notify::item").  A slot whose own item comes
 * back is handed back for it, so moves cost nothing either.
 *
 * Positions, counts and the selection are those of the model below; the selection is kept
 * there (by item, as GtkMultiSelection does), and rows handed over are told to look again. */
struct _KvbRecyclingSelection
{
  GObject parent_instance;

  GtkSelectionModel *model;
  GHashTable *slot_at;       /* position → KvbRowSlot, unowned (weak references) */
  GHashTable *position_of;   /* KvbRowSlot → position */

  /* While a change is reported: the slots of the rows it took away, by item and in order. */
  GHashTable *leaving;       /* item → KvbRowSlot (owned by @leaving_order) */
  GPtrArray *leaving_order;  /* by old position; NULL where handed back */
  guint leaving_next;
  guint changed_position;
  guint changed_added;
  /* Rows whose shown selected state may be wrong after the change: [stale_from, stale_to). */
  guint stale_from;
  guint stale_to;
};

static void kvb_recycling_selection_list_model_init (GListModelInterface *iface);
static void kvb_recycling_selection_selection_model_init (GtkSelectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbRecyclingSelection, kvb_recycling_selection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kvb_recycling_selection_list_model_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SELECTION_MODEL,
                                                      kvb_recycling_selection_selection_model_init))

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void slot_gone_cb (gpointer data, GObject *where_the_slot_was);

static void
track (KvbRecyclingSelection *self,
       KvbRowSlot            *slot,
       guint                  position)
{
  g_hash_table_insert (self->slot_at, GUINT_TO_POINTER (position), slot);
  g_hash_table_insert (self->position_of, slot, GUINT_TO_POINTER (position));
  g_object_weak_ref (G_OBJECT (slot), slot_gone_cb, self);
}

static void
slot_gone_cb (gpointer  data,
              GObject  *where_the_slot_was)
{
  KvbRecyclingSelection *self = data;
  gpointer position;

  if (g_hash_table_steal_extended (self->position_of, where_the_slot_was, NULL, &position))
    g_hash_table_remove (self->slot_at, position);
}

static void
untrack_all (KvbRecyclingSelection *self)
{
  GHashTableIter iter;
  gpointer slot;

  g_hash_table_iter_init (&iter, self->position_of);
  while (g_hash_table_iter_next (&iter, &slot, NULL))
    g_object_weak_unref (slot, slot_gone_cb, self);
  g_hash_table_remove_all (self->position_of);
  g_hash_table_remove_all (self->slot_at);
}

static GType
kvb_recycling_selection_get_item_type (GListModel *list)
{
  return KVB_TYPE_ROW_SLOT;
}

static guint
kvb_recycling_selection_get_n_items (GListModel *list)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (list);

  return self->model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
}

/* A row that now shows another item, or came back to the view, may show a selected state that
 * is not its position's: noted, so that only such rows are told (in GTK 4.8 telling a row means
 * binding it again). */
static void
note_shown_selection (KvbRecyclingSelection *self,
                      KvbRowSlot            *slot,
                      guint                  position)
{
  gboolean shown;

  if (kvb_row_slot_get_shown_selected (slot, &shown) &&
      shown == gtk_selection_model_is_selected (self->model, position))
    return;
  self->stale_from = MIN (self->stale_from, position);
  self->stale_to = MAX (self->stale_to, position + 1);
}

static void
tell_stale_rows (KvbRecyclingSelection *self)
{
  guint from = self->stale_from, to = self->stale_to;

  self->stale_from = G_MAXUINT;
  self->stale_to = 0;
  if (to > from)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), from, to - from);
}

/* A slot that left with the change being reported, for @item: its own if it left, else any. */
/* A slot that left with the change being reported, for @item: its own if it left, else the
 * first to have left.  GTK looks for the row it tracks (focus, selection anchor) among the added
 * positions one by one, so slots are handed back in the order of their old positions: the
 * tracked one comes within the rows the view kept, not after a scan of the whole change. */
static KvbRowSlot *
take_leaving (KvbRecyclingSelection *self,
              gpointer               item)
{
  KvbRowSlot *slot = g_hash_table_lookup (self->leaving, item);
  guint index = self->leaving_next;

  if (slot != NULL)
    g_ptr_array_find (self->leaving_order, slot, &index);
  else
    {
      while (g_ptr_array_index (self->leaving_order, index) == NULL)
        index++;
      slot = g_ptr_array_index (self->leaving_order, index);
    }
  g_hash_table_remove (self->leaving, kvb_row_slot_get_item (slot));
  /* The caller's reference is the one the array held. */
  g_ptr_array_index (self->leaving_order, index) = NULL;
  while (self->leaving_next < self->leaving_order->len &&
         g_ptr_array_index (self->leaving_order, self->leaving_next) == NULL)
    self->leaving_next++;
  return slot;
}

static gpointer
kvb_recycling_selection_get_item (GListModel *list,
                                  guint       position)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (list);
  g_autoptr(GObject) item = NULL;
  KvbRowSlot *slot;

  if (position >= kvb_recycling_selection_get_n_items (list))
    return NULL;
  if ((slot = g_hash_table_lookup (self->slot_at, GUINT_TO_POINTER (position))) != NULL)
    return g_object_ref (slot);

  item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  if (self->leaving != NULL && g_hash_table_size (self->leaving) > 0 &&
      position >= self->changed_position &&
      position - self->changed_position < self->changed_added)
    {
      slot = take_leaving (self, item);
      kvb_row_slot_set_item (slot, item);
      note_shown_selection (self, slot, position);
    }
  else
    slot = kvb_row_slot_new (item);
  track (self, slot, position);
  return slot;
}

static void
kvb_recycling_selection_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kvb_recycling_selection_get_item_type;
  iface->get_n_items = kvb_recycling_selection_get_n_items;
  iface->get_item = kvb_recycling_selection_get_item;
}

static gboolean
kvb_recycling_selection_is_selected (GtkSelectionModel *model,
                                     guint              position)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_is_selected (self->model, position);
}

static GtkBitset *
kvb_recycling_selection_get_selection_in_range (GtkSelectionModel *model,
                                                guint              position,
                                                guint              n_items)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  if (self->model == NULL)
    return gtk_bitset_new_empty ();
  return gtk_selection_model_get_selection_in_range (self->model, position, n_items);
}

static gboolean
kvb_recycling_selection_select_item (GtkSelectionModel *model,
                                     guint              position,
                                     gboolean           unselect_rest)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_select_item (self->model, position, unselect_rest);
}

static gboolean
kvb_recycling_selection_unselect_item (GtkSelectionModel *model,
                                       guint              position)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_unselect_item (self->model, position);
}

static gboolean
kvb_recycling_selection_select_range (GtkSelectionModel *model,
                                      guint              position,
                                      guint              n_items,
                                      gboolean           unselect_rest)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL &&
         gtk_selection_model_select_range (self->model, position, n_items, unselect_rest);
}

static gboolean
kvb_recycling_selection_unselect_range (GtkSelectionModel *model,
                                        guint              position,
                                        guint              n_items)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_unselect_range (self->model, position, n_items);
}

static gboolean
kvb_recycling_selection_select_all (GtkSelectionModel *model)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_select_all (self->model);
}

static gboolean
kvb_recycling_selection_unselect_all (GtkSelectionModel *model)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_unselect_all (self->model);
}

static gboolean
kvb_recycling_selection_set_selection (GtkSelectionModel *model,
                                       GtkBitset         *selected,
                                       GtkBitset         *mask)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (model);

  return self->model != NULL && gtk_selection_model_set_selection (self->model, selected, mask);
}

static void
kvb_recycling_selection_selection_model_init (GtkSelectionModelInterface *iface)
{
  iface->is_selected = kvb_recycling_selection_is_selected;
  iface->get_selection_in_range = kvb_recycling_selection_get_selection_in_range;
  iface->select_item = kvb_recycling_selection_select_item;
  iface->unselect_item = kvb_recycling_selection_unselect_item;
  iface->select_range = kvb_recycling_selection_select_range;
  iface->unselect_range = kvb_recycling_selection_unselect_range;
  iface->select_all = kvb_recycling_selection_select_all;
  iface->unselect_all = kvb_recycling_selection_unselect_all;
  iface->set_selection = kvb_recycling_selection_set_selection;
}

static void
unref_leaving (gpointer slot)
{
  if (slot != NULL)
    g_object_unref (slot);
}

static int
compare_old_positions (gconstpointer a,
                       gconstpointer b,
                       gpointer      position_of)
{
  guint pa = GPOINTER_TO_UINT (g_hash_table_lookup (position_of, *(gpointer *) a));
  guint pb = GPOINTER_TO_UINT (g_hash_table_lookup (position_of, *(gpointer *) b));

  return pa < pb ? -1 : pa > pb;
}

/* Reports a change to the view, keeping the slot objects of the items that stay. */
static void
pass_change_on (KvbRecyclingSelection *self,
                guint                  position,
                guint                  removed,
                guint                  added)
{
  g_autoptr(GHashTable) old_position_of = g_steal_pointer (&self->position_of);
  GHashTableIter iter;
  gpointer slot, value;

  /* Slots after the change move with their items; those of the rows taken away leave. */
  self->position_of = g_hash_table_new (NULL, NULL);
  g_hash_table_remove_all (self->slot_at);
  self->leaving = g_hash_table_new (NULL, NULL);
  self->leaving_order = g_ptr_array_new_with_free_func (unref_leaving);
  self->leaving_next = 0;
  g_hash_table_iter_init (&iter, old_position_of);
  while (g_hash_table_iter_next (&iter, &slot, &value))
    {
      guint p = GPOINTER_TO_UINT (value);

      if (p >= position && p - position < removed)
        {
          g_object_weak_unref (slot, slot_gone_cb, self);
          g_ptr_array_add (self->leaving_order, g_object_ref (slot));
          g_hash_table_insert (self->leaving, kvb_row_slot_get_item (slot), slot);
          continue;
        }
      if (p >= position + removed)
        p = p - removed + added;
      g_hash_table_insert (self->slot_at, GUINT_TO_POINTER (p), slot);
      g_hash_table_insert (self->position_of, slot, GUINT_TO_POINTER (p));
    }
  g_ptr_array_sort_with_data (self->leaving_order, compare_old_positions, old_position_of);

  self->changed_position = position;
  self->changed_added = added;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  /* A row the view got back keeps the selected state it had. */
  tell_stale_rows (self);

  g_clear_pointer (&self->leaving, g_hash_table_unref);
  g_clear_pointer (&self->leaving_order, g_ptr_array_unref);
}

/* Past this many positions that are both taken away and added, the rows there are given their
 * new items in place.  Reported as a change, GTK would ask for every added item while looking
 * for the row it tracks (gtk_list_item_manager_model_items_changed_cb), 100,000 look-ups when
 * a filter is cleared; below it, reporting keeps the rows of items that only moved. */
#define SWAP_IN_PLACE_MIN 256

static void
model_items_changed_cb (GListModel            *model,
                        guint                  position,
                        guint                  removed,
                        guint                  added,
                        KvbRecyclingSelection *self)
{
  guint overlap = MIN (removed, added);
  GHashTableIter iter;
  gpointer slot, value;

  if (overlap < SWAP_IN_PLACE_MIN)
    {
      pass_change_on (self, position, removed, added);
      return;
    }

  /* The rows of [position, position + overlap) stay and show what is there now. */
  g_hash_table_iter_init (&iter, self->position_of);
  while (g_hash_table_iter_next (&iter, &slot, &value))
    {
      guint p = GPOINTER_TO_UINT (value);

      if (p >= position && p - position < overlap)
        {
          g_autoptr(GObject) item = g_list_model_get_item (model, p);

          kvb_row_slot_set_item (slot, item);
          note_shown_selection (self, slot, p);
        }
    }
  if (removed != added)
    pass_change_on (self, position + overlap, removed - overlap, added - overlap);
  tell_stale_rows (self);
}

static void
model_selection_changed_cb (GtkSelectionModel     *model,
                            guint                  position,
                            guint                  n_items,
                            KvbRecyclingSelection *self)
{
  gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), position, n_items);
}

static void
kvb_recycling_selection_dispose (GObject *object)
{
  KvbRecyclingSelection *self = (KvbRecyclingSelection *)object;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  untrack_all (self);

  G_OBJECT_CLASS (kvb_recycling_selection_parent_class)->dispose (object);
}

static void
kvb_recycling_selection_finalize (GObject *object)
{
  KvbRecyclingSelection *self = (KvbRecyclingSelection *)object;

  g_clear_pointer (&self->slot_at, g_hash_table_unref);
  g_clear_pointer (&self->position_of, g_hash_table_unref);

  G_OBJECT_CLASS (kvb_recycling_selection_parent_class)->finalize (object);
}

static void
kvb_recycling_selection_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_recycling_selection_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  KvbRecyclingSelection *self = KVB_RECYCLING_SELECTION (object);

  switch (prop_id)
    {
    case PROP_MODEL: kvb_recycling_selection_set_model (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_recycling_selection_class_init (KvbRecyclingSelectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_recycling_selection_dispose;
  object_class->finalize = kvb_recycling_selection_finalize;
  object_class->get_property = kvb_recycling_selection_get_property;
  object_class->set_property = kvb_recycling_selection_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, GTK_TYPE_SELECTION_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_recycling_selection_init (KvbRecyclingSelection *self)
{
  self->slot_at = g_hash_table_new (NULL, NULL);
  self->position_of = g_hash_table_new (NULL, NULL);
  self->stale_from = G_MAXUINT;
}

KvbRecyclingSelection *
kvb_recycling_selection_new (GtkSelectionModel *model)
{
  g_return_val_if_fail (model == NULL || GTK_IS_SELECTION_MODEL (model), NULL);

  return g_object_new (KVB_TYPE_RECYCLING_SELECTION, "model", model, NULL);
}

GtkSelectionModel *
kvb_recycling_selection_get_model (KvbRecyclingSelection *self)
{
  g_return_val_if_fail (KVB_IS_RECYCLING_SELECTION (self), NULL);
  return self->model;
}

void
kvb_recycling_selection_set_model (KvbRecyclingSelection *self,
                                   GtkSelectionModel     *model)
{
  guint old_n, new_n;

  g_return_if_fail (KVB_IS_RECYCLING_SELECTION (self));
  g_return_if_fail (model == NULL || GTK_IS_SELECTION_MODEL (model));

  if (self->model == model)
    return;
  old_n = kvb_recycling_selection_get_n_items (G_LIST_MODEL (self));
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  untrack_all (self);
  if (model != NULL)
    {
      g_signal_connect (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
      g_signal_connect (model, "selection-changed", G_CALLBACK (model_selection_changed_cb), self);
    }
  new_n = kvb_recycling_selection_get_n_items (G_LIST_MODEL (self));
  if (old_n > 0 || new_n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, new_n);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}
