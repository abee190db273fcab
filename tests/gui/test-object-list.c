/* test-object-list.c: the vault page's object lists and details against the stand-in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-object-list"

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "kvb-error.h"
#include "kvb-object-details.h"
#include "kvb-object-list.h"
#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"

/* tests/gui/seed-object-list.json: 40 "app-NN" secrets, db-password (3 versions, one disabled),
 * mail-password, and the secret of certificate web-tls; one deleted secret.  Key Vault gives 25
 * a page, so the secrets come in two pages. */
#define N_SECRETS 43
#define NO_LIST_CLIENT_ID "5c6d7e8f-0000-4000-8000-00000000e302"
#define NO_LIST_SECRET "list-test-secret-2"

static KvbTestEmulator *emu;
static KvbCloud *cloud;
static KvbPipeline *pipeline;

static gboolean
spin_until (gboolean (*done) (gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, g_get_monotonic_time () < end);
  return done (data);
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static KvbKeyVaultClient *
new_client (const char *client_id,
            const char *secret)
{
  g_autoptr(KvbCredential) cred = NULL;
  g_autoptr(GError) error = NULL;
  KvbKeyVaultClient *client;

  cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      pipeline, cloud, emu->tenant, client_id ? client_id : emu->client_id,
      secret ? secret : emu->client_secret));
  client = kvb_keyvault_client_new (pipeline, cloud, cred, "kvb-objects", &error);
  g_assert_no_error (error);
  return client;
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_widget (child, type)) != NULL)
        return found;
    }
  return NULL;
}

static GtkColumnViewColumn *
column_titled (GtkColumnView *view,
               const char    *title)
{
  GListModel *columns = gtk_column_view_get_columns (view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_title (column), title) == 0)
        return column;
    }
  return NULL;
}

typedef struct
{
  GtkWindow        *window;
  KvbObjectList    *list;
  KvbObjectListing *listing;
  KvbKeyVaultClient *client;
} Fixture;

static void
fixture_open (Fixture          *f,
              KvbKeyVaultClient *client,
              KvbObjectKind     kind,
              gboolean          deleted)
{
  f->client = client;
  f->listing = kvb_object_listing_new (client, kind, deleted);
  f->list = KVB_OBJECT_LIST (kvb_object_list_new ());
  kvb_object_list_set_listing (f->list, f->listing);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1000, 1400);
  gtk_window_set_child (f->window, GTK_WIDGET (f->list));
  gtk_window_present (f->window);
}

static void
fixture_close (Fixture *f)
{
  gtk_window_destroy (f->window);
  g_clear_object (&f->listing);
  g_clear_object (&f->client);
}

static KvbObjectDetails *open_details_window (void);

static gboolean
listing_done (gpointer data)
{
  return !kvb_object_listing_get_loading (data);
}

static gboolean
rows_shown (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (kvb_object_list_get_selection_model (data))) > 0;
}

static gboolean
filter_done (gpointer data)
{
  KvbObjectList *list = data;
  GListModel *model = gtk_multi_selection_get_model (
      GTK_MULTI_SELECTION (kvb_object_list_get_selection_model (list)));

  /* Whatever the order of the pipeline, no filter or sort model has work left. */
  while (model != NULL && !KVB_IS_OBJECT_LISTING (model))
    {
      if (GTK_IS_FILTER_LIST_MODEL (model))
        {
          if (gtk_filter_list_model_get_pending (GTK_FILTER_LIST_MODEL (model)) > 0)
            return FALSE;
          model = gtk_filter_list_model_get_model (GTK_FILTER_LIST_MODEL (model));
        }
      else if (GTK_IS_SORT_LIST_MODEL (model))
        {
          if (gtk_sort_list_model_get_pending (GTK_SORT_LIST_MODEL (model)) > 0)
            return FALSE;
          model = gtk_sort_list_model_get_model (GTK_SORT_LIST_MODEL (model));
        }
      else
        break;
    }
  return TRUE;
}

static char *
shown_name (KvbObjectList *list,
            guint          position)
{
  g_autoptr(KvbObjectInfo) info =
    g_list_model_get_item (G_LIST_MODEL (kvb_object_list_get_selection_model (list)), position);

  return info != NULL ? g_strdup (kvb_object_info_get_name (info)) : NULL;
}

static guint
n_shown (KvbObjectList *list)
{
  return g_list_model_get_n_items (G_LIST_MODEL (kvb_object_list_get_selection_model (list)));
}

static const char *
visible_stack_page (KvbObjectList *list)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (find_widget (GTK_WIDGET (list), GTK_TYPE_STACK)));
}

/* The first rows are on screen while later pages are still on their way; then all of them. */
static void
test_paging (void)
{
  Fixture f = { 0 };
  AdwStatusPage *status;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  status = ADW_STATUS_PAGE (find_widget (GTK_WIDGET (f.list), ADW_TYPE_STATUS_PAGE));

  kvb_object_listing_reload (f.listing);
  g_assert_true (kvb_object_listing_get_loading (f.listing));
  g_assert_cmpstr (visible_stack_page (f.list), ==, "status");
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Loading…");

  g_assert_true (spin_until (rows_shown, f.list));
  /* The stand-in answers each request after a delay, so this is before the second page. */
  g_assert_true (kvb_object_listing_get_loading (f.listing));
  g_assert_cmpuint (kvb_object_listing_get_n_pages (f.listing), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.listing)), ==, 25);
  g_assert_cmpuint (n_shown (f.list), <, N_SECRETS);
  g_assert_cmpstr (visible_stack_page (f.list), ==, "list");

  g_assert_true (spin_until (listing_done, f.listing));
  g_assert_null (kvb_object_listing_get_error (f.listing));
  g_assert_true (kvb_object_listing_get_complete (f.listing));
  g_assert_cmpuint (kvb_object_listing_get_n_pages (f.listing), ==, 2);
  g_assert_true (spin_until (filter_done, f.list));
  g_assert_cmpuint (n_shown (f.list), ==, N_SECRETS);

  first = shown_name (f.list, 0);
  last = shown_name (f.list, N_SECRETS - 1);
  g_assert_cmpstr (first, ==, "app-01");
  g_assert_cmpstr (last, ==, "web-tls");

  /* A reload starts over and ends with the same rows. */
  kvb_object_listing_reload (f.listing);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.listing)), ==, 0);
  g_assert_true (spin_until (listing_done, f.listing));
  g_assert_true (spin_until (filter_done, f.list));
  g_assert_cmpuint (n_shown (f.list), ==, N_SECRETS);

  fixture_close (&f);
}

static void
load_all (Fixture *f)
{
  kvb_object_listing_reload (f->listing);
  g_assert_true (spin_until (listing_done, f->listing));
  g_assert_null (kvb_object_listing_get_error (f->listing));
  g_assert_true (spin_until (filter_done, f->list));
}

static void
set_filter (Fixture    *f,
            const char *text)
{
  kvb_object_list_set_filter_text (f->list, text);
  g_assert_true (spin_until (filter_done, f->list));
}

/* Typing narrows the list by name or tag; Ctrl+F opens the search bar. */
static void
test_filter (void)
{
  Fixture f = { 0 };
  GtkSearchBar *bar;
  AdwStatusPage *status;
  g_autofree char *name = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  load_all (&f);
  bar = GTK_SEARCH_BAR (find_widget (GTK_WIDGET (f.list), GTK_TYPE_SEARCH_BAR));
  status = ADW_STATUS_PAGE (find_widget (GTK_WIDGET (f.list), ADW_TYPE_STATUS_PAGE));

  g_assert_false (gtk_search_bar_get_search_mode (bar));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "list.find", NULL));
  g_assert_true (gtk_search_bar_get_search_mode (bar));

  set_filter (&f, "DB-PASS");
  g_assert_cmpuint (n_shown (f.list), ==, 1);
  name = shown_name (f.list, 0);
  g_assert_cmpstr (name, ==, "db-password");

  /* "dba-team" is a tag value of db-password only; "payments" one of the forty app secrets. */
  set_filter (&f, "dba-team");
  g_assert_cmpuint (n_shown (f.list), ==, 1);
  set_filter (&f, "payments");
  g_assert_cmpuint (n_shown (f.list), ==, 40);
  set_filter (&f, "app-1");
  g_assert_cmpuint (n_shown (f.list), ==, 10);

  set_filter (&f, "nothing-like-this");
  g_assert_cmpuint (n_shown (f.list), ==, 0);
  g_assert_cmpstr (visible_stack_page (f.list), ==, "status");
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "No Matches");

  set_filter (&f, "");
  g_assert_cmpuint (n_shown (f.list), ==, N_SECRETS);
  g_assert_cmpstr (visible_stack_page (f.list), ==, "list");

  fixture_close (&f);
}

/* Each column header sorts; the name both ways. */
static void
test_sort (void)
{
  Fixture f = { 0 };
  GtkColumnView *view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *expires_column;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *expiring = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  load_all (&f);
  view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (f.list), GTK_TYPE_COLUMN_VIEW));
  name_column = column_titled (view, "Name");
  expires_column = column_titled (view, "Expires");
  g_assert_nonnull (name_column);
  g_assert_nonnull (expires_column);
  g_assert_nonnull (column_titled (view, "Content Type"));
  g_assert_nonnull (gtk_column_view_column_get_sorter (column_titled (view, "Tags")));

  gtk_column_view_sort_by_column (view, name_column, GTK_SORT_DESCENDING);
  first = shown_name (f.list, 0);
  last = shown_name (f.list, N_SECRETS - 1);
  g_assert_cmpstr (first, ==, "web-tls");
  g_assert_cmpstr (last, ==, "app-01");

  g_clear_pointer (&first, g_free);
  g_clear_pointer (&last, g_free);
  gtk_column_view_sort_by_column (view, name_column, GTK_SORT_ASCENDING);
  first = shown_name (f.list, 0);
  last = shown_name (f.list, N_SECRETS - 1);
  g_assert_cmpstr (first, ==, "app-01");
  g_assert_cmpstr (last, ==, "web-tls");

  /* mail-password expires in 2030, the certificate's secret within a year or two. */
  gtk_column_view_sort_by_column (view, expires_column, GTK_SORT_DESCENDING);
  expiring = shown_name (f.list, 0);
  g_assert_cmpstr (expiring, ==, "mail-password");

  fixture_close (&f);
}

/* Several rows at once, handed over in the order shown. */
static void
test_multi_select (void)
{
  Fixture f = { 0 };
  GtkSelectionModel *selection;
  g_autoptr(GPtrArray) selected = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  load_all (&f);
  selection = kvb_object_list_get_selection_model (f.list);
  g_assert_true (GTK_IS_MULTI_SELECTION (selection));

  selected = kvb_object_list_get_selected_objects (f.list);
  g_assert_cmpuint (selected->len, ==, 0);
  /* With nothing selected, Show Details opens nothing. */
  gtk_widget_activate_action (GTK_WIDGET (f.list), "list.show-details", NULL);
  g_assert_null (open_details_window ());
  g_clear_pointer (&selected, g_ptr_array_unref);

  gtk_selection_model_select_range (selection, 0, 3, TRUE);
  gtk_selection_model_select_item (selection, N_SECRETS - 1, FALSE);
  selected = kvb_object_list_get_selected_objects (f.list);
  g_assert_cmpuint (selected->len, ==, 4);
  g_assert_cmpstr (kvb_object_info_get_name (g_ptr_array_index (selected, 0)), ==, "app-01");
  g_assert_cmpstr (kvb_object_info_get_name (g_ptr_array_index (selected, 2)), ==, "app-03");
  g_assert_cmpstr (kvb_object_info_get_name (g_ptr_array_index (selected, 3)), ==, "web-tls");
  g_clear_pointer (&selected, g_ptr_array_unref);

  /* The selection follows the rows through a filter. */
  set_filter (&f, "app-0");
  selected = kvb_object_list_get_selected_objects (f.list);
  g_assert_cmpuint (selected->len, ==, 3);

  fixture_close (&f);
}

static GtkWidget *
find_tooltip_prefix (GtkWidget  *root,
                     const char *prefix)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *tip = gtk_widget_get_tooltip_text (child);
      GtkWidget *found;

      if (GTK_IS_IMAGE (child) && gtk_widget_get_visible (child) && tip != NULL &&
          g_str_has_prefix (tip, prefix))
        return child;
      if ((found = find_tooltip_prefix (child, prefix)) != NULL)
        return found;
    }
  return NULL;
}

/* The secret of a certificate says so, and why it is not backed up alone. */
static void
test_managed_marker (void)
{
  Fixture f = { 0 };
  GtkWidget *view;
  const char *why = "Belongs to certificate “web-tls”: backed up with its certificate.";

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  load_all (&f);
  view = find_widget (GTK_WIDGET (f.list), GTK_TYPE_COLUMN_VIEW);

  set_filter (&f, "password");
  spin (200);
  g_assert_cmpuint (n_shown (f.list), ==, 2);
  g_assert_null (find_tooltip_prefix (view, "Belongs to certificate"));

  set_filter (&f, "web-tls");
  spin (200);
  g_assert_cmpuint (n_shown (f.list), ==, 1);
  g_assert_nonnull (find_tooltip_prefix (view, why));

  fixture_close (&f);
}

/* An identity that may not list secrets is told which role it needs, not shown an empty list. */
static void
test_forbidden (void)
{
  Fixture f = { 0 };
  AdwStatusPage *status;
  const GError *error;

  fixture_open (&f, new_client (NO_LIST_CLIENT_ID, NO_LIST_SECRET), KVB_OBJECT_KIND_SECRET, FALSE);
  status = ADW_STATUS_PAGE (find_widget (GTK_WIDGET (f.list), ADW_TYPE_STATUS_PAGE));
  kvb_object_listing_reload (f.listing);
  g_assert_true (spin_until (listing_done, f.listing));

  error = kvb_object_listing_get_error (f.listing);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC);
  g_assert_cmpstr (visible_stack_page (f.list), ==, "status");
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Cannot List Secrets");
  g_assert_cmpstr (adw_status_page_get_description (status), ==, error->message);
  g_assert_nonnull (strstr (error->message, "Key Vault Reader"));

  fixture_close (&f);
}

static gboolean
details_done (gpointer data)
{
  return !kvb_object_details_get_loading (data);
}

static KvbObjectDetails *
open_details_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (KVB_IS_OBJECT_DETAILS (window))
        return KVB_OBJECT_DETAILS (window);
    }
  return NULL;
}

static gboolean
label_shown (GtkWidget  *root,
             const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      /* Cells are inscriptions, other text is in labels. */
      if (GTK_IS_LABEL (child) && gtk_widget_get_visible (child) &&
          g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), text) == 0)
        return TRUE;
      if (GTK_IS_INSCRIPTION (child) && gtk_widget_get_visible (child) &&
          g_strcmp0 (gtk_inscription_get_text (GTK_INSCRIPTION (child)), text) == 0)
        return TRUE;
      if (gtk_widget_get_visible (child) && label_shown (child, text))
        return TRUE;
    }
  return FALSE;
}

/* Show Details on a selected row lists its versions with their dates and state. */
static void
test_details (void)
{
  Fixture f = { 0 };
  KvbObjectDetails *details;
  GListModel *versions;
  g_autoptr(KvbObjectInfo) newest = NULL;
  g_autoptr(KvbObjectInfo) middle = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, FALSE);
  load_all (&f);
  set_filter (&f, "db-password");
  gtk_selection_model_select_item (kvb_object_list_get_selection_model (f.list), 0, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "list.show-details", NULL));

  details = open_details_window ();
  g_assert_nonnull (details);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (details)), ==, "db-password");
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (details)) == f.window);
  g_assert_true (spin_until (details_done, details));

  versions = kvb_object_details_get_versions (details);
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 3);
  newest = g_list_model_get_item (versions, 0);
  middle = g_list_model_get_item (versions, 1);
  g_assert_true (kvb_object_info_get_enabled (newest));
  g_assert_false (kvb_object_info_get_enabled (middle));
  g_assert_cmpint (kvb_object_info_get_created (newest), >, kvb_object_info_get_created (middle));

  /* What a person reads: each version with its state, the tags, the content type. */
  g_assert_true (label_shown (GTK_WIDGET (details), kvb_object_info_get_version (newest)));
  g_assert_true (label_shown (GTK_WIDGET (details), "Disabled"));
  g_assert_true (label_shown (GTK_WIDGET (details), "dba-team"));
  g_assert_true (label_shown (GTK_WIDGET (details), "text/plain"));
  g_assert_true (label_shown (GTK_WIDGET (details), "Recoverable+Purgeable"));

  gtk_window_destroy (GTK_WINDOW (details));
  fixture_close (&f);
}

/* The deleted list says when each object was deleted and when it will be purged. */
static void
test_deleted (void)
{
  Fixture f = { 0 };
  GtkColumnView *view;
  g_autoptr(KvbObjectInfo) info = NULL;

  fixture_open (&f, new_client (NULL, NULL), KVB_OBJECT_KIND_SECRET, TRUE);
  load_all (&f);
  view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (f.list), GTK_TYPE_COLUMN_VIEW));

  g_assert_cmpuint (n_shown (f.list), ==, 1);
  info = g_list_model_get_item (G_LIST_MODEL (kvb_object_list_get_selection_model (f.list)), 0);
  g_assert_cmpstr (kvb_object_info_get_name (info), ==, "retired-password");
  g_assert_cmpint (kvb_object_info_get_deleted_date (info), >, 0);
  g_assert_cmpint (kvb_object_info_get_scheduled_purge_date (info), >,
                   kvb_object_info_get_deleted_date (info));

  g_assert_true (gtk_column_view_column_get_visible (column_titled (view, "Deleted On")));
  g_assert_true (gtk_column_view_column_get_visible (column_titled (view, "Purge Scheduled")));
  g_assert_false (gtk_column_view_column_get_visible (column_titled (view, "Updated")));
  spin (200);
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (kvb_object_info_get_scheduled_purge_date (info));
    g_autofree char *purge = g_date_time_format (dt, "%Y-%m-%d %H:%M");

    g_assert_true (label_shown (GTK_WIDGET (view), purge));
  }

  fixture_close (&f);
}

/* Dropping the listing while it loads cancels it: nothing arrives in a disposed model. */
static void
test_dispose_while_loading (void)
{
  g_autoptr(KvbKeyVaultClient) client = new_client (NULL, NULL);
  KvbObjectListing *listing = kvb_object_listing_new (client, KVB_OBJECT_KIND_SECRET, FALSE);
  GWeakRef ref;

  g_weak_ref_init (&ref, listing);
  kvb_object_listing_reload (listing);
  g_object_unref (listing);
  g_assert_null (g_weak_ref_get (&ref));
  g_weak_ref_clear (&ref);
  spin (1500);
}

int
main (int   argc,
      char *argv[])
{
  const char *seed = g_getenv ("KVB_OBJECT_LIST_SEED");
  const char *args[] = { "--seed", seed, "--latency-ms", "300", "--no-proxy", NULL };
  int ret;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_assert_nonnull (seed);

  g_test_add_func ("/gui/object-list/paging", test_paging);
  g_test_add_func ("/gui/object-list/filter", test_filter);
  g_test_add_func ("/gui/object-list/sort", test_sort);
  g_test_add_func ("/gui/object-list/multi-select", test_multi_select);
  g_test_add_func ("/gui/object-list/managed-marker", test_managed_marker);
  g_test_add_func ("/gui/object-list/forbidden", test_forbidden);
  g_test_add_func ("/gui/object-list/details", test_details);
  g_test_add_func ("/gui/object-list/deleted", test_deleted);
  g_test_add_func ("/gui/object-list/dispose-while-loading", test_dispose_while_loading);

  /* One stand-in for every test: it is slow to start under the sanitizers. */
  emu = kvb_test_emulator_start_or_skip (args);
  if (emu == NULL)
    return g_test_run ();
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTPS_PROXY");
  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (pipeline, 50);

  ret = g_test_run ();

  g_clear_object (&pipeline);
  g_clear_object (&cloud);
  g_clear_pointer (&emu, kvb_test_emulator_stop);
  return ret;
}
