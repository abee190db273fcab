/* test-recycling-selection.c: KvbRecyclingSelection gives a view rows that always show the
 * items and selection of the model below, and keeps the rows when their content changes.
 *
 * A "view" follows only the signals, as GTK's list views do: on items-changed it puts the rows
 * taken away aside, asks for the added positions, then lets the rows aside go; on
 * selection-changed it asks again for the selected state of the range.  After random splices
 * and selection changes, every row of the view must show the item at its position and its
 * selected state.  Then the promises that make keystrokes fast: a large replacement is no
 * change of rows at all, and an insertion keeps the rows of the items that stay. */

#include "config.h"

#include <gtk/gtk.h>

#include "kvb-recycling-selection.h"
#include "kvb-row-slot.h"

typedef struct
{
  GPtrArray *rows;       /* KvbRowSlot, owned */
  GArray    *selected;   /* gboolean per row */
  guint      changes;    /* items-changed signals seen */
  guint      added;      /* rows added by them */
} View;

static void
view_items_changed_cb (GListModel *model,
                       guint       position,
                       guint       removed,
                       guint       added,
                       View       *view)
{
  g_autoptr(GPtrArray) aside = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) aside_selected = g_hash_table_new (NULL, NULL);

  g_assert_cmpuint (position + removed, <=, view->rows->len);
  for (guint i = 0; i < removed; i++)
    {
      gpointer row = g_ptr_array_steal_index (view->rows, position);

      g_ptr_array_add (aside, row);
      g_hash_table_insert (aside_selected, row,
                           GINT_TO_POINTER (g_array_index (view->selected, gboolean, position + i)));
    }
  g_array_remove_range (view->selected, position, removed);
  for (guint i = 0; i < added; i++)
    {
      KvbRowSlot *row = g_list_model_get_item (model, position + i);
      gpointer kept;
      gboolean selected;

      /* A row taken back keeps the selected state it showed, as GTK 4.8's do. */
      if (g_hash_table_lookup_extended (aside_selected, row, NULL, &kept))
        selected = GPOINTER_TO_INT (kept);
      else
        selected = gtk_selection_model_is_selected (GTK_SELECTION_MODEL (model), position + i);
      g_ptr_array_insert (view->rows, position + i, row);
      g_array_insert_val (view->selected, position + i, selected);
      /* As the object list does: the row says what it shows. */
      kvb_row_slot_set_shown_selected (g_ptr_array_index (view->rows, position + i), selected);
    }
  view->changes++;
  view->added += added;
}

static void
view_selection_changed_cb (GtkSelectionModel *model,
                           guint              position,
                           guint              n_items,
                           View              *view)
{
  g_assert_cmpuint (position + n_items, <=, view->rows->len);
  for (guint i = position; i < position + n_items; i++)
    {
      g_array_index (view->selected, gboolean, i) = gtk_selection_model_is_selected (model, i);
      kvb_row_slot_set_shown_selected (g_ptr_array_index (view->rows, i),
                                       g_array_index (view->selected, gboolean, i));
    }
}

static void
view_init (View                  *view,
           KvbRecyclingSelection *rows)
{
  view->rows = g_ptr_array_new_with_free_func (g_object_unref);
  view->selected = g_array_new (FALSE, TRUE, sizeof (gboolean));
  view_items_changed_cb (G_LIST_MODEL (rows), 0, 0, g_list_model_get_n_items (G_LIST_MODEL (rows)), view);
  g_signal_connect (rows, "items-changed", G_CALLBACK (view_items_changed_cb), view);
  g_signal_connect (rows, "selection-changed", G_CALLBACK (view_selection_changed_cb), view);
}

static void
view_clear (View *view)
{
  g_ptr_array_unref (view->rows);
  g_array_unref (view->selected);
}

static void
assert_view (View              *view,
             GtkSelectionModel *below,
             GListModel        *rows)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (below));

  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n);
  g_assert_cmpuint (view->rows->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (below), i);
      g_autoptr(KvbRowSlot) again = g_list_model_get_item (rows, i);
      KvbRowSlot *row = g_ptr_array_index (view->rows, i);

      g_assert_true (kvb_row_slot_get_item (row) == item);
      g_assert_true (again == row);
      g_assert_cmpint (g_array_index (view->selected, gboolean, i), ==,
                       gtk_selection_model_is_selected (below, i));
    }
  g_assert_null (g_list_model_get_item (rows, n));
}

static GtkStringObject *
new_item (guint *counter)
{
  g_autofree char *text = g_strdup_printf ("item %u", (*counter)++);

  return gtk_string_object_new (text);
}

static void
splice_random (GListStore *store,
               guint      *counter,
               guint       max_run)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  guint position = g_random_int_range (0, n + 1);
  guint removed = g_random_int_range (0, MIN (n - position, max_run) + 1);
  guint added = g_random_int_range (0, max_run + 1);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < added; i++)
    g_ptr_array_add (items, new_item (counter));
  g_list_store_splice (store, position, removed, items->pdata, added);
}

static void
test_random (void)
{
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_autoptr(GtkMultiSelection) below = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (store)));
  g_autoptr(KvbRecyclingSelection) rows = kvb_recycling_selection_new (GTK_SELECTION_MODEL (below));
  guint counter = 0;
  View view;

  g_test_summary ("Random splices, small and large, and selection changes: every row of a view "
                  "that follows the signals shows the item and selected state of its position");
  view_init (&view, rows);
  for (guint round = 0; round < 400; round++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

      switch (g_random_int_range (0, 5))
        {
        case 0:
          splice_random (store, &counter, 8);
          break;
        case 1:
          splice_random (store, &counter, 700);
          break;
        case 2:
          if (n > 0)
            gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows),
                                             g_random_int_range (0, n), g_random_boolean ());
          break;
        case 3:
          if (n > 0)
            {
              guint p = g_random_int_range (0, n);

              gtk_selection_model_select_range (GTK_SELECTION_MODEL (rows), p,
                                                g_random_int_range (0, n - p) + 1, FALSE);
            }
          break;
        default:
          /* Everything replaced, as when a sort order changes. */
          {
            g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

            for (guint i = 0; i < n; i++)
              g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (store), n - 1 - i));
            g_list_store_splice (store, 0, n, items->pdata, n);
          }
          break;
        }
      assert_view (&view, GTK_SELECTION_MODEL (below), G_LIST_MODEL (rows));
    }
  view_clear (&view);
}

static void
test_replace_keeps_rows (void)
{
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_autoptr(GtkMultiSelection) below = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (store)));
  g_autoptr(KvbRecyclingSelection) rows = kvb_recycling_selection_new (GTK_SELECTION_MODEL (below));
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) before = NULL;
  guint counter = 0;
  View view;

  g_test_summary ("A keystroke that replaces what 5,000 rows show and hides 45,000 more keeps "
                  "the view's rows: no row is added, and the rows show the new items");
  for (guint i = 0; i < 50000; i++)
    g_ptr_array_add (items, new_item (&counter));
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  view_init (&view, rows);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), 0, TRUE);
  before = g_ptr_array_copy (view.rows, (GCopyFunc) g_object_ref, NULL);
  g_ptr_array_set_free_func (before, g_object_unref);
  view.changes = view.added = 0;

  g_ptr_array_set_size (items, 0);
  for (guint i = 0; i < 5000; i++)
    g_ptr_array_add (items, new_item (&counter));
  g_list_store_splice (store, 0, 50000, items->pdata, items->len);

  g_assert_cmpuint (view.added, ==, 0);
  for (guint i = 0; i < 5000; i++)
    g_assert_true (g_ptr_array_index (view.rows, i) == g_ptr_array_index (before, i));
  assert_view (&view, GTK_SELECTION_MODEL (below), G_LIST_MODEL (rows));
  view_clear (&view);
}

static void
test_insert_keeps_rows (void)
{
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_autoptr(GtkMultiSelection) below = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (store)));
  g_autoptr(KvbRecyclingSelection) rows = kvb_recycling_selection_new (GTK_SELECTION_MODEL (below));
  g_autoptr(GtkStringObject) moved = NULL;
  g_autoptr(GPtrArray) before = NULL;
  guint counter = 0;
  View view;

  g_test_summary ("Items that only move keep their rows: a page arriving in the middle, and an "
                  "item taken out and put back elsewhere in one change");
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GtkStringObject) item = new_item (&counter);

      g_list_store_append (store, item);
    }
  view_init (&view, rows);
  before = g_ptr_array_copy (view.rows, (GCopyFunc) g_object_ref, NULL);
  g_ptr_array_set_free_func (before, g_object_unref);

  {
    g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < 25; i++)
      g_ptr_array_add (page, new_item (&counter));
    g_list_store_splice (store, 40, 0, page->pdata, page->len);
  }
  for (guint i = 0; i < 100; i++)
    g_assert_true (g_ptr_array_index (view.rows, i < 40 ? i : i + 25) == g_ptr_array_index (before, i));

  /* Item 10 moves to position 12 in one change of three positions. */
  moved = g_list_model_get_item (G_LIST_MODEL (store), 10);
  {
    gpointer three[3];

    three[0] = g_list_model_get_item (G_LIST_MODEL (store), 11);
    three[1] = g_list_model_get_item (G_LIST_MODEL (store), 12);
    three[2] = g_object_ref (moved);
    g_list_store_splice (store, 10, 3, three, 3);
    for (guint i = 0; i < 3; i++)
      g_object_unref (three[i]);
  }
  g_assert_true (g_ptr_array_index (view.rows, 12) == g_ptr_array_index (before, 10));
  assert_view (&view, GTK_SELECTION_MODEL (below), G_LIST_MODEL (rows));
  view_clear (&view);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recycling-selection/random", test_random);
  g_test_add_func ("/recycling-selection/replace-keeps-rows", test_replace_keeps_rows);
  g_test_add_func ("/recycling-selection/insert-keeps-rows", test_insert_keeps_rows);
  return g_test_run ();
}
