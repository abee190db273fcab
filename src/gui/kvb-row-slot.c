/* kvb-row-slot.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kvb-row-slot.h"

/* One row of a KvbRecyclingSelection: the object the list view holds for a position, which
 * can be given another item to show.  Cells bind to the slot's item and follow "notify::item". */
struct _KvbRowSlot
{
  GObject parent_instance;

  GObject *item;
  /* The selected state its row was last bound with, when the view says. */
  gboolean shown_selected;
  gboolean shown_selected_known;
};

G_DEFINE_FINAL_TYPE (KvbRowSlot, kvb_row_slot, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kvb_row_slot_finalize (GObject *object)
{
  KvbRowSlot *self = (KvbRowSlot *)object;

  g_clear_object (&self->item);

  G_OBJECT_CLASS (kvb_row_slot_parent_class)->finalize (object);
}

static void
kvb_row_slot_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KvbRowSlot *self = KVB_ROW_SLOT (object);

  switch (prop_id)
    {
    case PROP_ITEM: g_value_set_object (value, self->item); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_row_slot_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KvbRowSlot *self = KVB_ROW_SLOT (object);

  switch (prop_id)
    {
    case PROP_ITEM: kvb_row_slot_set_item (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_row_slot_class_init (KvbRowSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_row_slot_finalize;
  object_class->get_property = kvb_row_slot_get_property;
  object_class->set_property = kvb_row_slot_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, G_TYPE_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_row_slot_init (KvbRowSlot *self)
{
}

KvbRowSlot *
kvb_row_slot_new (gpointer item)
{
  g_return_val_if_fail (item == NULL || G_IS_OBJECT (item), NULL);

  return g_object_new (KVB_TYPE_ROW_SLOT, "item", item, NULL);
}

gpointer
kvb_row_slot_get_item (KvbRowSlot *self)
{
  g_return_val_if_fail (KVB_IS_ROW_SLOT (self), NULL);
  return self->item;
}

void
kvb_row_slot_set_item (KvbRowSlot *self,
                       gpointer    item)
{
  g_return_if_fail (KVB_IS_ROW_SLOT (self));
  g_return_if_fail (item == NULL || G_IS_OBJECT (item));

  if (g_set_object (&self->item, item))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

/* The view tells what selected state it shows for the slot's row (GTK 4.8 binds a row again
 * whenever it updates it, selected state included: a selection change is a re-bind). */
void
kvb_row_slot_set_shown_selected (KvbRowSlot *self,
                                 gboolean    selected)
{
  g_return_if_fail (KVB_IS_ROW_SLOT (self));

  self->shown_selected = !!selected;
  self->shown_selected_known = TRUE;
}

/* FALSE when the view never said. */
gboolean
kvb_row_slot_get_shown_selected (KvbRowSlot *self,
                                 gboolean   *selected)
{
  g_return_val_if_fail (KVB_IS_ROW_SLOT (self), FALSE);

  *selected = self->shown_selected;
  return self->shown_selected_known;
}
