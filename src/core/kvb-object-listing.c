/* kvb-object-listing.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-listing"

#include "config.h"

#include "kvb-object-listing.h"

/* One run of the listing.  It does not hold the listing, so that dropping the last reference to
 * the listing disposes it and cancels the run; the client's callbacks then find @self NULL. */
typedef struct
{
  KvbObjectListing *self;
  GCancellable     *cancellable;
} Run;

struct _KvbObjectListing
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  KvbObjectKind kind;
  gboolean deleted;

  GPtrArray *items;
  Run *run;
  GError *error;
  guint n_pages;
  gboolean complete;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbObjectListing, kvb_object_listing, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_KIND,
  PROP_DELETED,
  PROP_LOADING,
  PROP_COMPLETE,
  PROP_ERROR,
  PROP_N_ITEMS,
  PROP_N_PAGES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return KVB_TYPE_OBJECT_INFO;
}

static guint
get_n_items (GListModel *model)
{
  return KVB_OBJECT_LISTING (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  KvbObjectListing *self = KVB_OBJECT_LISTING (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
run_free (Run *run)
{
  g_clear_object (&run->cancellable);
  g_free (run);
}

/* Detaches the current run (cancelled) so that nothing it delivers later reaches the model. */
static void
stop_run (KvbObjectListing *self)
{
  if (self->run == NULL)
    return;
  g_cancellable_cancel (self->run->cancellable);
  self->run->self = NULL;
  self->run = NULL;
}

static void
page_cb (GPtrArray *objects,
         gpointer   user_data)
{
  Run *run = user_data;
  KvbObjectListing *self = run->self;
  guint position;

  if (self == NULL || objects->len == 0)
    {
      if (self != NULL)
        self->n_pages++;
      return;
    }

  /* One items-changed per page: views and filters do their work once per page, not per row. */
  position = self->items->len;
  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (objects, i)));
  self->n_pages++;

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, objects->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PAGES]);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  KvbObjectListing *self = run->self;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = kvb_keyvault_client_list_finish (KVB_KEYVAULT_CLIENT (source), result, &error);

  if (self != NULL)
    {
      g_object_freeze_notify (G_OBJECT (self));
      self->run = NULL;
      if (ok)
        {
          self->complete = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("Listing %s%s stopped: %s", self->deleted ? "deleted " : "",
                   kvb_object_kind_get_collection (self->kind), error->message);
          self->error = g_steal_pointer (&error);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      g_object_thaw_notify (G_OBJECT (self));
    }

  run_free (run);
}

static void
kvb_object_listing_dispose (GObject *object)
{
  KvbObjectListing *self = (KvbObjectListing *)object;

  stop_run (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kvb_object_listing_parent_class)->dispose (object);
}

static void
kvb_object_listing_finalize (GObject *object)
{
  KvbObjectListing *self = (KvbObjectListing *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (kvb_object_listing_parent_class)->finalize (object);
}

static void
kvb_object_listing_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KvbObjectListing *self = KVB_OBJECT_LISTING (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_KIND: g_value_set_int (value, self->kind); break;
    case PROP_DELETED: g_value_set_boolean (value, self->deleted); break;
    case PROP_LOADING: g_value_set_boolean (value, self->run != NULL); break;
    case PROP_COMPLETE: g_value_set_boolean (value, self->complete); break;
    case PROP_ERROR: g_value_set_boxed (value, self->error); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->items->len); break;
    case PROP_N_PAGES: g_value_set_uint (value, self->n_pages); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_object_listing_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  KvbObjectListing *self = KVB_OBJECT_LISTING (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_KIND: self->kind = g_value_get_int (value); break;
    case PROP_DELETED: self->deleted = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_object_listing_class_init (KvbObjectListingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_object_listing_dispose;
  object_class->finalize = kvb_object_listing_finalize;
  object_class->get_property = kvb_object_listing_get_property;
  object_class->set_property = kvb_object_listing_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, KVB_TYPE_KEYVAULT_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_int ("kind", NULL, NULL, 0, KVB_OBJECT_KIND_N_KINDS - 1, 0,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DELETED] =
    g_param_spec_boolean ("deleted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PAGES] =
    g_param_spec_uint ("n-pages", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_object_listing_init (KvbObjectListing *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

KvbObjectListing *
kvb_object_listing_new (KvbKeyVaultClient *client,
                        KvbObjectKind      kind,
                        gboolean           deleted)
{
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (kind < KVB_OBJECT_KIND_N_KINDS, NULL);

  return g_object_new (KVB_TYPE_OBJECT_LISTING,
                       "client", client,
                       "kind", kind,
                       "deleted", deleted,
                       NULL);
}

KvbKeyVaultClient *
kvb_object_listing_get_client (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), NULL);
  return self->client;
}

KvbObjectKind
kvb_object_listing_get_kind (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), 0);
  return self->kind;
}

gboolean
kvb_object_listing_get_deleted (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), FALSE);
  return self->deleted;
}

gboolean
kvb_object_listing_get_loading (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), FALSE);
  return self->run != NULL;
}

gboolean
kvb_object_listing_get_complete (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), FALSE);
  return self->complete;
}

const GError *
kvb_object_listing_get_error (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), NULL);
  return self->error;
}

guint
kvb_object_listing_get_n_pages (KvbObjectListing *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_LISTING (self), 0);
  return self->n_pages;
}

void
kvb_object_listing_reload (KvbObjectListing *self)
{
  guint removed;

  g_return_if_fail (KVB_IS_OBJECT_LISTING (self));
  g_return_if_fail (self->client != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  stop_run (self);
  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  self->n_pages = 0;
  if (self->complete)
    {
      self->complete = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
  if (self->error != NULL)
    {
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  self->run = g_new0 (Run, 1);
  self->run->self = self;
  self->run->cancellable = g_cancellable_new ();
  kvb_keyvault_client_list_async (self->client, self->kind, self->deleted,
                                  page_cb, self->run, self->run->cancellable,
                                  list_cb, self->run);

  if (removed > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PAGES]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
kvb_object_listing_cancel (KvbObjectListing *self)
{
  g_return_if_fail (KVB_IS_OBJECT_LISTING (self));

  if (self->run == NULL)
    return;
  stop_run (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}
