/* test-filter-list-model.c: KvbFilterListModel shows what GtkFilterListModel shows.
 *
 * Random splices of the underlying list and random filter changes (typing on, deleting back,
 * replacing, clearing), each followed by a comparison with GTK's own GtkFilterListModel over the
 * same list and filter, and with a copy kept up to date from the items-changed signals alone:
 * a view that follows the signals must end up with exactly the filtered list.
 */

#include "config.h"

#include <gtk/gtk.h>

#include "kvb-filter-list-model.h"

typedef struct
{
  char *query;
} Query;

static gboolean
match_cb (gpointer item,
          gpointer user_data)
{
  Query *q = user_data;

  return q->query == NULL || strstr (gtk_string_object_get_string (item), q->query) != NULL;
}

static void
mirror_changed_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   GPtrArray  *mirror)
{
  g_assert_cmpuint (position + removed, <=, mirror->len);
  g_ptr_array_remove_range (mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror, position + i, g_list_model_get_item (model, position + i));
}

static void
assert_same (GListModel *ours,
             GListModel *gtk,
             GPtrArray  *mirror)
{
  guint n = g_list_model_get_n_items (gtk);

  g_assert_cmpuint (g_list_model_get_n_items (ours), ==, n);
  g_assert_cmpuint (mirror->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) a = g_list_model_get_item (ours, i);
      g_autoptr(GObject) b = g_list_model_get_item (gtk, i);

      g_assert_true (a == b);
      g_assert_true (g_ptr_array_index (mirror, i) == a);
    }
  g_assert_null (g_list_model_get_item (ours, n));
}

static char *
random_word (void)
{
  static const char letters[] = "abc";
  char word[5] = { 0 };

  for (guint i = 0; i < 4; i++)
    word[i] = letters[g_test_rand_int_range (0, 3)];
  return g_strdup (word);
}

static void
splice_randomly (GListStore *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  guint position = g_test_rand_int_range (0, n + 1);
  guint wanted = g_test_rand_int_range (0, 6);
  guint removed = MIN (n - position, wanted);
  guint added = g_test_rand_int_range (0, 40);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < added; i++)
    {
      g_autofree char *word = random_word ();

      g_ptr_array_add (items, gtk_string_object_new (word));
    }
  g_list_store_splice (store, position, removed, items->pdata, items->len);
}

static void
change_query_randomly (Query     *q,
                       GtkFilter *filter)
{
  g_autofree char *old = g_steal_pointer (&q->query);
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  switch (g_test_rand_int_range (0, 4))
    {
    case 0:   /* typing on */
      {
        g_autofree char *letter = random_word ();

        letter[1] = '\0';
        q->query = g_strconcat (old ? old : "", letter, NULL);
        change = GTK_FILTER_CHANGE_MORE_STRICT;
      }
      break;
    case 1:   /* deleting back */
      if (old != NULL && strlen (old) > 1)
        q->query = g_strndup (old, strlen (old) - 1);
      change = GTK_FILTER_CHANGE_LESS_STRICT;
      break;
    case 2:   /* something else */
      q->query = random_word ();
      q->query[g_test_rand_int_range (1, 4)] = '\0';
      break;
    default:  /* cleared */
      change = GTK_FILTER_CHANGE_LESS_STRICT;
      break;
    }
  gtk_filter_changed (filter, change);
}

static void
test_random (void)
{
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  Query q = { 0 };
  g_autoptr(GtkFilter) filter = GTK_FILTER (gtk_custom_filter_new (match_cb, &q, NULL));
  g_autoptr(KvbFilterListModel) ours = NULL;
  g_autoptr(GtkFilterListModel) gtk = NULL;
  g_autoptr(GPtrArray) mirror = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < 50; i++)
    splice_randomly (store);
  ours = kvb_filter_list_model_new (G_LIST_MODEL (store), filter);
  gtk = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (store)), g_object_ref (filter));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (ours)); i++)
    g_ptr_array_add (mirror, g_list_model_get_item (G_LIST_MODEL (ours), i));
  g_signal_connect (ours, "items-changed", G_CALLBACK (mirror_changed_cb), mirror);
  assert_same (G_LIST_MODEL (ours), G_LIST_MODEL (gtk), mirror);

  for (guint round = 0; round < 2000; round++)
    {
      if (g_test_rand_bit ())
        splice_randomly (store);
      else
        change_query_randomly (&q, filter);
      assert_same (G_LIST_MODEL (ours), G_LIST_MODEL (gtk), mirror);
    }

  /* A new list replaces the old one whole. */
  {
    g_autoptr(GListStore) other = g_list_store_new (GTK_TYPE_STRING_OBJECT);

    for (guint i = 0; i < 20; i++)
      splice_randomly (other);
    kvb_filter_list_model_set_model (ours, G_LIST_MODEL (other));
    gtk_filter_list_model_set_model (gtk, G_LIST_MODEL (other));
    assert_same (G_LIST_MODEL (ours), G_LIST_MODEL (gtk), mirror);
    kvb_filter_list_model_set_model (ours, NULL);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (ours)), ==, 0);
    g_assert_cmpuint (mirror->len, ==, 0);
  }
  g_free (q.query);
}

typedef struct
{
  guint n;
  guint position, removed, added;
} Change;

static void
record_cb (GListModel *model,
           guint       position,
           guint       removed,
           guint       added,
           Change     *change)
{
  change->n++;
  change->position = position;
  change->removed = removed;
  change->added = added;
}

/* A keystroke reports only the range that changed: typing on where the first and the last rows
 * still match leaves them out of the change, and a page appended at the end is one change at
 * the end. */
static void
test_smallest_change (void)
{
  const char *words[] = { "abc", "abx", "bbb", "abz", "abc", NULL };
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  Query q = { g_strdup ("ab") };
  g_autoptr(GtkFilter) filter = GTK_FILTER (gtk_custom_filter_new (match_cb, &q, NULL));
  g_autoptr(KvbFilterListModel) ours = NULL;
  g_autoptr(GtkStringObject) more = gtk_string_object_new ("zabc");
  Change change = { 0 };

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autoptr(GtkStringObject) s = gtk_string_object_new (words[i]);

      g_list_store_append (store, s);
    }
  ours = kvb_filter_list_model_new (G_LIST_MODEL (store), filter);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (ours)), ==, 4);
  g_signal_connect (ours, "items-changed", G_CALLBACK (record_cb), &change);

  /* "ab" → "abc": abc, abx, abz, abc → abc, abc: rows 1 and 2 go, 0 and 3 stay. */
  g_free (q.query);
  q.query = g_strdup ("abc");
  gtk_filter_changed (filter, GTK_FILTER_CHANGE_MORE_STRICT);
  g_assert_cmpuint (change.n, ==, 1);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 2);
  g_assert_cmpuint (change.added, ==, 0);

  /* The same text again changes nothing and says nothing. */
  gtk_filter_changed (filter, GTK_FILTER_CHANGE_DIFFERENT);
  g_assert_cmpuint (change.n, ==, 1);

  /* A page at the end of the list: one change at the end. */
  g_list_store_append (store, more);
  g_assert_cmpuint (change.n, ==, 2);
  g_assert_cmpuint (change.position, ==, 2);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);

  /* Back to "ab": the two come back where they were. */
  g_free (q.query);
  q.query = g_strdup ("ab");
  gtk_filter_changed (filter, GTK_FILTER_CHANGE_LESS_STRICT);
  g_assert_cmpuint (change.n, ==, 3);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (ours)), ==, 5);
  g_free (q.query);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/filter-list-model/random", test_random);
  g_test_add_func ("/filter-list-model/smallest-change", test_smallest_change);

  return g_test_run ();
}
