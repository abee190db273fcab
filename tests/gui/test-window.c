/* test-window.c: the main window and the preferences, in-process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "kvb-cloud-row.h"
#include "kvb-object-list.h"
#include "kvb-preferences-window.h"
#include "kvb-vault-page.h"
#include "kvb-window.h"

/* How long a state the window reaches by itself may take on a loaded machine under the
 * sanitizers: generous, since a wait ends as soon as the state is there. */
#define WAIT_SECONDS 30

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* One turn of the main loop that sleeps until something happens (at most 10 ms): a busy loop
 * would take the processor from the X server and the compositor it waits for. */
static void
iterate (void)
{
  guint id = g_timeout_add (10, wake_cb, NULL);

  g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    iterate ();
}

static gboolean
wait_mapped (GtkWidget *widget)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) && g_get_monotonic_time () < end)
    iterate ();
  return gtk_widget_get_mapped (widget);
}

static GtkWidget *
find_by_name (GtkWidget  *root,
              GType       type,
              const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          if (label == NULL)
            return child;
          if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
            return child;
          if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0)
            return child;
          if (ADW_IS_STATUS_PAGE (child) &&
              g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (child)), label) == 0)
            return child;
        }
      if ((found = find_by_name (child, type, label)) != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_label_containing (GtkWidget  *root,
                       const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && strstr (gtk_label_get_label (GTK_LABEL (child)), text) != NULL)
        return child;
      if ((found = find_label_containing (child, text)) != NULL)
        return found;
    }
  return NULL;
}

static GtkStack *
main_stack (KvbWindow *window)
{
  GtkWidget *w = GTK_WIDGET (window);

  /* The first GtkStack in the tree is the one that switches between welcome and vaults. */
  return GTK_STACK (find_by_name (w, GTK_TYPE_STACK, NULL));
}

/* A fresh window shows the welcome page with the sample cloud offered, and is titled so. */
static void
test_window_welcome (void)
{
  KvbWindow *window = kvb_window_new (NULL);
  GtkWidget *sample;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_mapped (GTK_WIDGET (window)));

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Key Vault Backup");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack (window)), ==, "welcome");
  g_assert_nonnull (find_by_name (GTK_WIDGET (window), GTK_TYPE_LABEL, "Welcome to Key Vault Backup"));
  sample = find_by_name (GTK_WIDGET (window), GTK_TYPE_BUTTON, "_Try the Sample Cloud");
  g_assert_nonnull (sample);
  g_assert_true (gtk_widget_is_visible (sample));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The object pages exist and are reachable with Alt+1…4's action; without a vault the page says
 * to choose one. */
static void
test_window_pages (void)
{
  KvbWindow *window = kvb_window_new (NULL);
  AdwViewStack *stack;
  const char *names[] = { "secrets", "keys", "certificates", "deleted" };

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_mapped (GTK_WIDGET (window)));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-vaults", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack (window)), ==, "vaults");

  stack = ADW_VIEW_STACK (find_by_name (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK, NULL));
  g_assert_nonnull (stack);
  for (int i = 4; i >= 1; i--)
    {
      GtkWidget *page;

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "i", i));
      g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, names[i - 1]);
      page = adw_view_stack_get_visible_child (stack);
      g_assert_true (i == 4 || KVB_IS_OBJECT_LIST (page));
    }
  /* No vault chosen yet: the page says so instead of showing empty lists. */
  g_assert_nonnull (find_by_name (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE, "No Vault Selected"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
wait_folded (AdwLeaflet *leaflet,
             gboolean    folded)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (adw_leaflet_get_folded (leaflet) != folded && g_get_monotonic_time () < end)
    iterate ();
  return adw_leaflet_get_folded (leaflet) == folded;
}

/* From 800 pixels wide the sidebar and the vault sit side by side; a narrower window shows one
 * of them at a time. */
static void
test_window_narrow (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KvbWindow *window;
  AdwLeaflet *leaflet;

  g_settings_set_boolean (settings, "window-maximized", FALSE);
  window = kvb_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_mapped (GTK_WIDGET (window)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-vaults", NULL));

  leaflet = ADW_LEAFLET (find_by_name (GTK_WIDGET (window), ADW_TYPE_LEAFLET, NULL));
  g_assert_nonnull (leaflet);
  g_assert_true (wait_folded (leaflet, FALSE));

  gtk_window_set_default_size (GTK_WINDOW (window), 560, 600);
  g_assert_true (wait_folded (leaflet, TRUE));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Without a Secret Service the window says, and keeps saying, that sign-in lasts for this
 * session only.  Run with a session bus address that leads nowhere. */
static void
test_window_no_keyring (void)
{
  KvbWindow *window = kvb_window_new (NULL);
  GtkInfoBar *bar;
  gint64 end;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_mapped (GTK_WIDGET (window)));

  bar = GTK_INFO_BAR (find_by_name (GTK_WIDGET (window), GTK_TYPE_INFO_BAR, NULL));
  g_assert_nonnull (bar);
  end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while (!gtk_info_bar_get_revealed (bar) && g_get_monotonic_time () < end)
    iterate ();
  g_assert_true (gtk_info_bar_get_revealed (bar));
  g_assert_nonnull (find_by_name (GTK_WIDGET (bar), GTK_TYPE_LABEL,
                                  "No keyring is available: sign-in will last for this session only."));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The size the window had when it was closed is the size of the next window. */
static void
test_window_size_kept (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KvbWindow *window;
  int width, height;

  g_settings_set_boolean (settings, "window-maximized", FALSE);
  window = kvb_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 812, 577);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_mapped (GTK_WIDGET (window)));
  spin (100);
  gtk_window_close (GTK_WINDOW (window));
  spin (50);

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 812);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 577);

  window = kvb_window_new (NULL);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 812);
  g_assert_cmpint (height, ==, 577);
  gtk_window_destroy (GTK_WINDOW (window));

}

/* The cloud row and the GSettings key follow each other. */
static void
test_cloud_row (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  KvbCloudRow *row;

  g_settings_set_string (settings, "cloud", "china");
  row = g_object_ref_sink (g_object_new (KVB_TYPE_CLOUD_ROW, NULL));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 1);

  adw_combo_row_set_selected (ADW_COMBO_ROW (row), 2);
  {
    g_autofree char *cloud = g_settings_get_string (settings, "cloud");
    g_assert_cmpstr (cloud, ==, "usgov");
  }

  g_settings_set_string (settings, "cloud", "public");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (ADW_COMBO_ROW (row))), ==, 4);

  /* A custom profile path shows as the fourth choice, with the file name below. */
  g_settings_set_string (settings, "cloud", "/nonexistent/contoso.json");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 3);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "/nonexistent/contoso.json");
  /* The profile in use is an item of its own, named by its file; the chooser item comes last. */
  {
    GListModel *model = adw_combo_row_get_model (ADW_COMBO_ROW (row));
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 5);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 3), ==, "contoso.json");
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 4), ==, "Custom Profile File…");
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KvbCloud) cloud = kvb_cloud_row_dup_cloud (row, &error);
    g_assert_null (cloud);
    g_assert_nonnull (error);
  }

  /* Picking a built-in cloud again drops the profile's item once the pick is over. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), 0);
  {
    g_autofree char *cloud = g_settings_get_string (settings, "cloud");
    g_assert_cmpstr (cloud, ==, "public");
  }
  spin (50);
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (ADW_COMBO_ROW (row))), ==, 4);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);
  g_assert_true (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) == NULL ||
                 *adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) == '\0');

  g_settings_reset (settings, "cloud");
  g_assert_finalize_object (row);
}

/* With no vault the page says to choose one; with one, each kind has its object list and the
 * page names the vault and what it is. */
static void
assert_vault_pages (KvbVaultPage *page,
                    const char   *vault_name)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_by_name (GTK_WIDGET (page), ADW_TYPE_VIEW_STACK, NULL));
  GtkStack *content = GTK_STACK (gtk_widget_get_parent (gtk_widget_get_parent (GTK_WIDGET (stack))));
  const char *names[] = { "secrets", "keys", "certificates" };

  g_assert_true (GTK_IS_STACK (content));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content), ==, vault_name ? "vault" : "none");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (KVB_IS_OBJECT_LIST (adw_view_stack_get_child_by_name (stack, names[i])));
  g_assert_nonnull (adw_view_stack_get_child_by_name (stack, "deleted"));
  if (vault_name != NULL)
    {
      AdwViewSwitcherTitle *title = ADW_VIEW_SWITCHER_TITLE (find_by_name (GTK_WIDGET (page),
                                                                           ADW_TYPE_VIEW_SWITCHER_TITLE, NULL));
      g_assert_cmpstr (adw_view_switcher_title_get_title (title), ==, vault_name);
    }
}

/* The vault page shows the vault it is given, with a Key Vault client for it, and forgets both
 * when given none. */
static void
test_vault_page (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"name\": \"contoso-prod\", \"location\": \"westeurope\", "
                                               "\"id\": \"/subscriptions/0000/resourceGroups/rg/providers/"
                                               "Microsoft.KeyVault/vaults/contoso-prod\", \"properties\": "
                                               "{\"vaultUri\": \"https://contoso-prod.vault.azure.net/\"}}", NULL);
  g_autoptr(KvbVaultInfo) vault = kvb_vault_info_new_from_json (json_node_get_object (node));
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  KvbVaultPage *page = g_object_ref_sink (g_object_new (KVB_TYPE_VAULT_PAGE, NULL));

  assert_vault_pages (page, NULL);
  g_assert_null (kvb_vault_page_get_client (page));

  kvb_vault_page_set_vault (page, vault, pipeline, cloud, NULL);
  assert_vault_pages (page, "contoso-prod");
  /* Without a credential nothing is listed (and nothing sent): the lists have no listing. */
  g_assert_null (kvb_object_list_get_listing (KVB_OBJECT_LIST (find_by_name (GTK_WIDGET (page),
                                                                             KVB_TYPE_OBJECT_LIST, NULL))));
  g_assert_nonnull (find_label_containing (GTK_WIDGET (page), "westeurope · soft delete"));
  g_assert_true (kvb_vault_page_get_vault (page) == vault);
  g_assert_nonnull (kvb_vault_page_get_client (page));
  g_assert_cmpstr (kvb_keyvault_client_get_vault_url (kvb_vault_page_get_client (page)), ==,
                   "https://contoso-prod.vault.azure.net/");

  kvb_vault_page_set_vault (page, NULL, NULL, NULL, NULL);
  assert_vault_pages (page, NULL);
  g_assert_null (kvb_vault_page_get_vault (page));
  g_assert_null (kvb_vault_page_get_client (page));

  g_assert_finalize_object (page);
}

/* The preferences write the client id and tenant when applied, and an empty tenant goes back
 * to the default. */
static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *prefs = kvb_preferences_window_new (NULL);
  GtkWidget *rows[2] = { NULL, NULL };
  int n = 0;

  gtk_window_present (GTK_WINDOW (prefs));
  g_assert_true (wait_mapped (prefs));

  /* The entry rows, in the order of the page: client id, then tenant. */
  for (GtkWidget *w = find_by_name (prefs, ADW_TYPE_ENTRY_ROW, NULL); w != NULL && n < 2; )
    {
      rows[n++] = w;
      w = gtk_widget_get_next_sibling (w);
      while (w != NULL && !ADW_IS_ENTRY_ROW (w))
        w = gtk_widget_get_next_sibling (w);
    }
  g_assert_cmpint (n, ==, 2);

  gtk_editable_set_text (GTK_EDITABLE (rows[0]), " 11111111-2222-3333-4444-555555555555 ");
  g_signal_emit_by_name (rows[0], "apply");
  {
    g_autofree char *client_id = g_settings_get_string (settings, "client-id");
    g_assert_cmpstr (client_id, ==, "11111111-2222-3333-4444-555555555555");
  }

  gtk_editable_set_text (GTK_EDITABLE (rows[1]), "contoso.onmicrosoft.com");
  g_signal_emit_by_name (rows[1], "apply");
  {
    g_autofree char *tenant = g_settings_get_string (settings, "tenant");
    g_assert_cmpstr (tenant, ==, "contoso.onmicrosoft.com");
  }

  gtk_editable_set_text (GTK_EDITABLE (rows[1]), "");
  g_signal_emit_by_name (rows[1], "apply");
  {
    g_autofree char *tenant = g_settings_get_string (settings, "tenant");
    g_assert_cmpstr (tenant, ==, "organizations");
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (rows[1])), ==, "organizations");
  }

  gtk_window_destroy (GTK_WINDOW (prefs));
  g_settings_reset (settings, "client-id");
}

int
main (int   argc,
      char *argv[])
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* Only meaningful where no Secret Service can answer (see tests/gui/meson.build). */
  if (g_strcmp0 (g_getenv ("KVB_TEST_NO_KEYRING"), "1") == 0)
    {
      g_test_add_func ("/gui/window/no-keyring", test_window_no_keyring);
      return g_test_run ();
    }

  g_test_add_func ("/gui/window/welcome", test_window_welcome);
  g_test_add_func ("/gui/window/pages", test_window_pages);
  g_test_add_func ("/gui/window/size-kept", test_window_size_kept);
  g_test_add_func ("/gui/window/narrow", test_window_narrow);
  g_test_add_func ("/gui/cloud-row", test_cloud_row);
  g_test_add_func ("/gui/preferences", test_preferences);
  g_test_add_func ("/gui/vault-page", test_vault_page);

  return g_test_run ();
}
