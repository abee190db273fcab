/* test-history.c: the history in the window, in-process: the words of an entry and of "last
 * backed up", the History dialog (newest first, result, counts, folder, the button that opens
 * it, the empty state), the vault page's "Last backed up …" line and its History action, and a
 * whole-vault backup through the page against the stand-in that lands in the history, in that
 * line and in the sidebar's, and the page's Download Backup (one object, several), Recover and
 * Purge each with their line, printed by kvbackup history, that leave "Last backed up" alone;
 * Schedule Nightly Backups writing its systemd user units, and Stop Nightly Backups removing
 * them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-history"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "kvb-history.h"
#include "kvb-history-dialog.h"
#include "kvb-history-item.h"
#include "kvb-object-list.h"
#include "kvb-service-principal-credential.h"
#include "kvb-sidebar.h"
#include "kvb-test-chooser.h"
#include "kvb-test-emulator.h"
#include "kvb-vault-page.h"

#define VAULT "hist-kv"

static char *tmp;

static gboolean
wait_until (gboolean (*check) (gpointer),
            gpointer  data,
            guint     seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!check (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  return check (data);
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
          (label == NULL ||
           (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0) ||
           (ADW_IS_STATUS_PAGE (child) &&
            g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (child)), label) == 0)))
        return child;
      if ((found = find_widget (child, type, label)) != NULL)
        return found;
    }
  return NULL;
}

/* The visible label whose text starts with @prefix. */
static GtkLabel *
find_label_starting (GtkWidget  *root,
                     const char *prefix)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found;

      if (GTK_IS_LABEL (child) && gtk_widget_get_visible (child) &&
          g_str_has_prefix (gtk_label_get_label (GTK_LABEL (child)), prefix))
        return GTK_LABEL (child);
      if ((found = find_label_starting (child, prefix)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
toplevel_found (gpointer data)
{
  GType type = *(GType *) data;
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (w))
        return TRUE;
    }
  return FALSE;
}

static GtkWindow *
wait_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  g_assert_true (wait_until (toplevel_found, &type, 10));
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (w))
        return GTK_WINDOW (w);
    }
  g_assert_not_reached ();
}

static GDateTime *
hours_ago (int hours)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_add_hours (now, -hours);
}

static void
append (KvbHistory *history,
        const char *operation,
        const char *vault,
        const char *result,
        int         hours,
        const char *folder,
        guint       n_done,
        guint       n_failed)
{
  g_autoptr(JsonObject) entry = kvb_history_entry_new (operation, vault);
  g_autoptr(GDateTime) when = hours_ago (hours);
  g_autofree char *text = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
  JsonObject *counts = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (entry, "time", text);
  json_object_set_string_member (entry, "finished", text);
  json_object_set_string_member (entry, "result", result);
  if (folder != NULL)
    json_object_set_string_member (entry, "folder", folder);
  json_object_set_int_member (counts, "done", n_done);
  json_object_set_int_member (counts, "failed", n_failed);
  json_object_set_object_member (entry, "counts", counts);
  if (g_strcmp0 (result, KVB_HISTORY_FAILED) == 0)
    json_object_set_string_member (entry, "message", "The vault refused the request.");
  g_assert_true (kvb_history_append (history, entry, &error));
  g_assert_no_error (error);
}

/* ---- the words ---- */

static void
test_words (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  struct { GTimeSpan ago; const char *words; } cases[] = {
    { 20 * G_TIME_SPAN_SECOND, "Last backed up just now" },
    { 1 * G_TIME_SPAN_MINUTE, "Last backed up 1 minute ago" },
    { 5 * G_TIME_SPAN_MINUTE, "Last backed up 5 minutes ago" },
    { 3 * G_TIME_SPAN_HOUR, "Last backed up 3 hours ago" },
    { 3 * G_TIME_SPAN_DAY + G_TIME_SPAN_HOUR, "Last backed up 3 days ago" },
  };
  g_autofree char *never = kvb_history_format_last_backup (NULL, now);
  g_autoptr(JsonObject) entry = kvb_history_entry_new (KVB_HISTORY_RESTORE, VAULT);
  g_autoptr(KvbHistoryItem) item = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *details = NULL;
  JsonArray *files = json_array_new ();
  JsonObject *counts = json_object_new ();

  g_assert_cmpstr (never, ==, "Never backed up");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) when = g_date_time_add (now, -cases[i].ago);
      g_autofree char *words = kvb_history_format_last_backup (when, now);

      g_assert_cmpstr (words, ==, cases[i].words);
    }
  {
    g_autoptr(GDateTime) when = g_date_time_add_days (now, -90);
    g_autofree char *words = kvb_history_format_last_backup (when, now);

    g_assert_true (g_str_has_prefix (words, "Last backed up on 20"));
  }

  /* A restore of two files: its counts, the first file and how many more, the folder that
   * holds them. */
  json_array_add_string_element (files, "/backups/a.secret.kvbackup");
  json_array_add_string_element (files, "/backups/b.secret.kvbackup");
  json_object_set_array_member (entry, "files", files);
  json_object_set_string_member (entry, "result", KVB_HISTORY_PARTIAL);
  json_object_set_int_member (counts, "done", 1);
  json_object_set_int_member (counts, "failed", 1);
  json_object_set_int_member (counts, "skipped", 0);
  json_object_set_object_member (entry, "counts", counts);
  item = kvb_history_item_new (entry);
  g_assert_cmpstr (kvb_history_item_get_title (item), ==, "Restore");
  g_assert_cmpstr (kvb_history_item_get_result (item), ==, "Some Failed");
  g_assert_cmpstr (kvb_history_item_get_result_class (item), ==, "warning");
  details = kvb_history_item_dup_details (item, now);
  g_assert_nonnull (strstr (details, "just now\n1 done, 1 failed\n/backups/a.secret.kvbackup and 1 more file"));
  g_assert_null (strstr (details, "skipped"));
  folder = kvb_history_item_dup_folder (item);
  g_assert_cmpstr (g_file_peek_path (folder), ==, "/backups");
}

/* ---- the dialog ---- */

static gboolean
not_loading (gpointer data)
{
  GtkStack *stack = GTK_STACK (find_widget (data, GTK_TYPE_STACK, NULL));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "loading") != 0;
}

/* The result of a row: the label with a style of its own (the title and subtitle have none). */
static const char *
row_result (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *found;

      if (GTK_IS_LABEL (child) &&
          (gtk_widget_has_css_class (child, "success") || gtk_widget_has_css_class (child, "warning") ||
           gtk_widget_has_css_class (child, "error")))
        return gtk_label_get_label (GTK_LABEL (child));
      if ((found = row_result (child)) != NULL)
        return found;
    }
  return NULL;
}

static void
test_dialog (void)
{
  g_autofree char *path = g_build_filename (tmp, "dialog", "history.jsonl", NULL);
  g_autofree char *folder = g_build_filename (tmp, "backups", VAULT "-2026-11-29-020000", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(KvbHistory) history = kvb_history_new (file);
  GtkWidget *dialog;
  GtkListBox *list;
  GListModel *items;
  const char *titles[] = { "Backup", "Restore", "Backup", "Backup" };
  const char *results[] = { "Failed", "Some Failed", "Succeeded", "Succeeded" };
  GtkWidget *button;

  /* Oldest first, as they happen; another vault's line in between. */
  append (history, KVB_HISTORY_BACKUP, VAULT, KVB_HISTORY_SUCCEEDED, 24 * 10, "/elsewhere/old", 9, 0);
  append (history, KVB_HISTORY_BACKUP, VAULT, KVB_HISTORY_SUCCEEDED, 24 * 3 + 1, folder, 12, 0);
  append (history, KVB_HISTORY_BACKUP, "other-kv", KVB_HISTORY_SUCCEEDED, 30, "/elsewhere/other", 4, 0);
  append (history, KVB_HISTORY_RESTORE, VAULT, KVB_HISTORY_PARTIAL, 48, NULL, 3, 1);
  append (history, KVB_HISTORY_BACKUP, VAULT, KVB_HISTORY_FAILED, 1, NULL, 0, 0);

  dialog = kvb_history_dialog_new (NULL, history, VAULT);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (not_loading, dialog, 10));

  items = kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog));
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 4);
  /* The failed backup does not count: the last one with every object done was 3 days ago. */
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "Last backed up 3 days ago"));

  list = GTK_LIST_BOX (find_widget (dialog, GTK_TYPE_LIST_BOX, NULL));
  for (guint i = 0; i < 4; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, i);

      g_assert_nonnull (row);
      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, titles[i]);
      g_assert_cmpstr (row_result (GTK_WIDGET (row)), ==, results[i]);
    }
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 0))),
                            "1 hour ago\n0 done, 0 failed\nThe vault refused the request."));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 1))),
                            "2 days ago\n3 done, 1 failed"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 2))),
                            "3 days ago\n12 done, 0 failed\n"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 2))),
                            folder));

  /* The backup with a folder has the button that opens it; the failed one without has none. */
  button = find_widget (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 2)), GTK_TYPE_BUTTON, NULL);
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "folder-open-symbolic");
  g_assert_cmpstr (g_file_peek_path (g_object_get_data (G_OBJECT (button), "folder")), ==, folder);
  g_assert_null (find_widget (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 0)), GTK_TYPE_BUTTON, NULL));
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A vault without a line: the status page says so. */
  dialog = kvb_history_dialog_new (NULL, history, "quiet-kv");
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (not_loading, dialog, 10));
  g_assert_cmpuint (g_list_model_get_n_items (kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog))), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (dialog, GTK_TYPE_STACK, NULL))), ==,
                   "empty");
  g_assert_true (gtk_widget_get_mapped (find_widget (dialog, ADW_TYPE_STATUS_PAGE, "No History")));
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_remove (path);
}

/* A line appended by another process while the dialog is open (kvbackup from a timer, say)
 * shows up without reopening it: first into an empty history, then above the line shown. */
typedef struct
{
  GtkWidget  *dialog;
  guint       n;
  const char *result;   /* of the newest row */
} RowsWait;

static gboolean
rows_shown (gpointer data)
{
  RowsWait *wait = data;
  GtkListBox *list = GTK_LIST_BOX (find_widget (wait->dialog, GTK_TYPE_LIST_BOX, NULL));
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (list, 0);
  const char *page = gtk_stack_get_visible_child_name (GTK_STACK (find_widget (wait->dialog, GTK_TYPE_STACK, NULL)));

  return g_strcmp0 (page, "list") == 0 && gtk_list_box_get_row_at_index (list, wait->n) == NULL &&
         gtk_list_box_get_row_at_index (list, wait->n - 1) != NULL && first != NULL &&
         g_strcmp0 (row_result (GTK_WIDGET (first)), wait->result) == 0;
}

static void
append_elsewhere (const char *path,
                  const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted_path = g_shell_quote (path);
  g_autofree char *quoted_line = g_shell_quote (line);
  g_autofree char *command = g_strdup_printf ("printf '%%s\\n' %s >> %s", quoted_line, quoted_path);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

static void
test_dialog_refresh (void)
{
  g_autofree char *dir = g_build_filename (tmp, "refresh", NULL);
  g_autofree char *path = g_build_filename (dir, "history.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(KvbHistory) history = kvb_history_new (file);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  GtkWidget *dialog;
  gint64 start;
  RowsWait wait;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  dialog = kvb_history_dialog_new (NULL, history, VAULT);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (not_loading, dialog, 10));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (dialog, GTK_TYPE_STACK, NULL))), ==,
                   "empty");

  first = g_strdup_printf ("{\"time\":\"%s\",\"operation\":\"backup\",\"vault\":\"%s\","
                           "\"result\":\"succeeded\",\"objects\":5,\"counts\":{\"done\":5,\"failed\":0},"
                           "\"finished\":\"%s\"}", stamp, VAULT, stamp);
  start = g_get_monotonic_time ();
  append_elsewhere (path, first);
  wait = (RowsWait) { dialog, 1, "Succeeded" };
  g_assert_true (wait_until (rows_shown, &wait, 5));
  g_test_message ("the first line showed after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "Last backed up just now"));

  /* Another vault's line changes nothing here; a failed run of this one comes on top. */
  append_elsewhere (path, "{\"operation\":\"backup\",\"vault\":\"other-kv\",\"result\":\"succeeded\"}");
  second = g_strdup_printf ("{\"time\":\"%s\",\"operation\":\"backup\",\"vault\":\"%s\","
                            "\"result\":\"failed\",\"objects\":0,\"message\":\"The vault refused.\"}",
                            stamp, VAULT);
  append_elsewhere (path, second);
  wait = (RowsWait) { dialog, 2, "Failed" };
  g_assert_true (wait_until (rows_shown, &wait, 5));
  g_assert_cmpuint (g_list_model_get_n_items (kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog))), ==, 2);

  gtk_window_destroy (GTK_WINDOW (dialog));
  /* Nothing of the dialog is left to answer a change. */
  append_elsewhere (path, first);
  spin (500);
  g_remove (path);
}

/* ---- the vault page ---- */

static KvbVaultInfo *
vault_info (const char *name)
{
  g_autofree char *text = g_strdup_printf ("{\"name\": \"%s\", \"location\": \"westeurope\", "
                                           "\"id\": \"/subscriptions/1c3e5a7b-9d2f-4b6c-8e1a-3c5e7a9b1d2f/"
                                           "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/%s\"}",
                                           name, name);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  return kvb_vault_info_new_from_json (json_node_get_object (node));
}

typedef struct
{
  GtkWidget  *page;
  const char *prefix;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *wait = data;

  return find_label_starting (wait->page, wait->prefix) != NULL;
}

static void
test_vault_page (void)
{
  g_autoptr(KvbHistory) history = kvb_history_new_default ();
  g_autoptr(KvbVaultInfo) vault = vault_info ("contoso-prod");
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (KVB_TYPE_VAULT_PAGE, NULL);
  LabelWait never = { page, "Never backed up" };
  LabelWait last = { page, "Last backed up 3 days ago" };
  GtkWindow *dialog;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* No history yet. */
  kvb_vault_page_set_vault (KVB_VAULT_PAGE (page), vault, pipeline, cloud, NULL);
  g_assert_true (wait_until (label_shown, &never, 10));

  /* kvbackup backed it up meanwhile; the page reads the history again for the vault. */
  append (history, KVB_HISTORY_BACKUP, "contoso-prod", KVB_HISTORY_SUCCEEDED, 24 * 3 + 2, "/backups/x", 5, 0);
  append (history, KVB_HISTORY_BACKUP, "contoso-prod", KVB_HISTORY_PARTIAL, 2, "/backups/y", 4, 1);
  kvb_vault_page_set_vault (KVB_VAULT_PAGE (page), vault, pipeline, cloud, NULL);
  g_assert_true (wait_until (label_shown, &last, 10));
  g_assert_null (find_label_starting (page, "Never backed up"));

  /* Ctrl+H's action opens the History, newest first. */
  g_assert_true (gtk_widget_activate_action (page, "vault.history", NULL));
  dialog = wait_toplevel (KVB_TYPE_HISTORY_DIALOG);
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (window));
  g_assert_true (wait_until (not_loading, dialog, 10));
  g_assert_cmpuint (g_list_model_get_n_items (kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog))), ==, 2);
  {
    g_autoptr(KvbHistoryItem) newest = g_list_model_get_item (kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog)), 0);

    g_assert_cmpstr (kvb_history_item_get_result (newest), ==, "Some Failed");
  }
  gtk_window_destroy (dialog);

  /* Without a vault there is no line and no History. */
  kvb_vault_page_set_vault (KVB_VAULT_PAGE (page), NULL, NULL, NULL, NULL);
  g_assert_null (find_label_starting (page, "Last backed up"));
  gtk_widget_activate_action (page, "vault.history", NULL);
  spin (200);
  g_assert_false (toplevel_found ((GType[]) { KVB_TYPE_HISTORY_DIALOG }));

  gtk_window_destroy (GTK_WINDOW (window));
  g_remove (g_file_peek_path (kvb_history_get_file (history)));
}

/* ---- a whole-vault backup through the page, against the stand-in ---- */

/* GTK's own folder dialog (no portal here), accepted with @folder as a person picks it. */
static void
accept_chooser (const char *folder)
{
  GtkWindow *dialog = wait_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);

  kvb_test_chooser_pick_folder (GTK_FILE_CHOOSER (dialog), folder);
  /* In a save dialog, the name entry takes a full path, as a person may type it. */
  if (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SAVE)
    {
      g_autofree char *name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (dialog));
      g_autofree char *full = g_build_filename (folder, name, NULL);

      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), full);
    }
  spin (100);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
}

static gboolean
count_is (gpointer data)
{
  gpointer *args = data;

  return *(guint *) args[0] == GPOINTER_TO_UINT (args[1]);
}

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* What the window does when a vault is picked in the sidebar. */
static void
vault_selected_cb (KvbSidebar        *sidebar,
                   KvbVaultInfo      *vault,
                   KvbAccountSession *session,
                   KvbVaultPage      *page)
{
  if (vault == NULL)
    kvb_vault_page_set_vault (page, NULL, NULL, NULL, NULL);
  else
    kvb_vault_page_set_vault (page, vault, kvb_account_session_get_pipeline (session),
                              kvb_account_session_get_cloud (session),
                              kvb_account_session_get_credential (session));
}

/* ---- the page's single-object operations ---- */

typedef struct
{
  KvbHistory *history;
  guint       n;
} LinesWait;

static gboolean
lines_written (gpointer data)
{
  LinesWait *wait = data;
  g_autoptr(GPtrArray) entries = kvb_history_read (wait->history, VAULT, 0, NULL);

  return entries != NULL && entries->len >= wait->n;
}

/* The newest line of the vault, once there are @n. */
static JsonObject *
wait_line (KvbHistory *history,
           guint       n)
{
  LinesWait wait = { history, n };
  g_autoptr(GPtrArray) entries = NULL;

  g_assert_true (wait_until (lines_written, &wait, 60));
  entries = kvb_history_read (history, VAULT, 0, NULL);
  g_assert_cmpuint (entries->len, ==, n);
  return json_object_ref (g_ptr_array_index (entries, 0));
}

static gint64
count_of (JsonObject *entry,
          const char *name)
{
  return json_object_get_int_member (json_object_get_object_member (entry, "counts"), name);
}

typedef struct
{
  GtkSelectionModel *model;
  guint              n;
} ItemsWait;

static gboolean
items_listed (gpointer data)
{
  ItemsWait *wait = data;

  return g_list_model_get_n_items (G_LIST_MODEL (wait->model)) == wait->n;
}

/* The list of the page's view @name ("secrets", "deleted"…), shown, with @n objects. */
static GtkSelectionModel *
show_list (GtkWidget  *page,
           const char *name,
           guint       n)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_widget (page, ADW_TYPE_VIEW_STACK, NULL));
  GtkWidget *child;
  ItemsWait wait;

  adw_view_stack_set_visible_child_name (stack, name);
  child = adw_view_stack_get_child_by_name (stack, name);
  if (!KVB_IS_OBJECT_LIST (child))
    child = find_widget (child, KVB_TYPE_OBJECT_LIST, NULL);
  wait.model = kvb_object_list_get_selection_model (KVB_OBJECT_LIST (child));
  wait.n = n;
  g_assert_true (wait_until (items_listed, &wait, 30));
  return wait.model;
}

/* The row of the object @name in @model, selected alone or with the rest. */
static void
select_name (GtkSelectionModel *model,
             const char        *name,
             gboolean           unselect_rest)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(KvbObjectInfo) info = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (g_strcmp0 (kvb_object_info_get_name (info), name) == 0)
        {
          g_assert_true (gtk_selection_model_select_item (model, i, unselect_rest));
          return;
        }
    }
  g_error ("%s is not listed", name);
}

static const char *
first_string (JsonObject *entry,
              const char *member)
{
  return json_array_get_string_element (json_object_get_array_member (entry, member), 0);
}

static gboolean
vault_listed (gpointer data)
{
  GtkWidget *sidebar = data;
  GtkWidget *label = find_widget (sidebar, GTK_TYPE_LABEL, VAULT);

  return label != NULL && gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW) != NULL;
}

static void
test_window_backup (void)
{
  g_autofree char *seed = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "gui",
                                            "seed-history.json", NULL);
  g_autofree char *backups = g_build_filename (tmp, "window-backups", NULL);
  g_autoptr(KvbTestEmulator) emu = NULL;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbCredential) cred = NULL;
  g_autoptr(GObject) sample = NULL;
  g_autoptr(KvbAccountSession) session = NULL;
  g_autoptr(KvbHistory) history = kvb_history_new_default ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *several = g_build_filename (tmp, "window-several", NULL);
  g_autofree char *one_file = g_build_filename (backups, VAULT ".db-password.secret.kvbackup", NULL);
  GtkWidget *window, *box, *sidebar, *page, *label;
  LabelWait page_never, page_now, side_never, side_now;
  GtkSelectionModel *model;
  guint changed = 0;
  JsonObject *entry = NULL;

  emu = kvb_test_emulator_start ((const char * const[]) { "--seed", seed, NULL }, &error);
  if (emu == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip ("the stand-in is not built");
      return;
    }
  g_assert_no_error (error);
  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();
  cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      pipeline, cloud, emu->tenant, emu->client_id, emu->client_secret));
  sample = g_object_new (G_TYPE_OBJECT, NULL);
  session = kvb_account_session_new_for_sample (pipeline, sample, cloud, cred, emu->client_id);
  g_assert_cmpint (g_mkdir_with_parents (backups, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (several, 0700), ==, 0);

  /* The sidebar and the vault page, wired as the window wires them. */
  window = gtk_window_new ();
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  sidebar = g_object_new (KVB_TYPE_SIDEBAR, NULL);
  page = g_object_new (KVB_TYPE_VAULT_PAGE, NULL);
  gtk_widget_set_hexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), sidebar);
  gtk_box_append (GTK_BOX (box), page);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  g_signal_connect_object (sidebar, "vault-selected", G_CALLBACK (vault_selected_cb), page, 0);
  g_signal_connect_object (page, "history-changed", G_CALLBACK (kvb_sidebar_refresh_history),
                           sidebar, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (page, "history-changed", G_CALLBACK (count_cb), &changed);
  gtk_window_present (GTK_WINDOW (window));
  page_never = (LabelWait) { page, "Never backed up" };
  page_now = (LabelWait) { page, "Last backed up just now" };
  side_never = (LabelWait) { sidebar, "Never backed up" };
  side_now = (LabelWait) { sidebar, "Last backed up just now" };

  /* The vault is listed with its line, and picked. */
  kvb_sidebar_add_session (KVB_SIDEBAR (sidebar), session);
  g_assert_true (wait_until (vault_listed, sidebar, 60));
  g_assert_true (wait_until (label_shown, &side_never, 10));
  label = find_widget (sidebar, GTK_TYPE_LABEL, VAULT);
  gtk_list_box_select_row (GTK_LIST_BOX (gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX)),
                           GTK_LIST_BOX_ROW (gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW)));
  /* As a click leaves it: the focus on the row (a window without a focus gives it to the
   * first row it finds when it is active again, which picks that vault afresh). */
  gtk_widget_grab_focus (gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW));
  g_assert_true (kvb_vault_page_get_vault (KVB_VAULT_PAGE (page)) != NULL);
  g_assert_true (wait_until (label_shown, &page_never, 10));

  /* Download Backup of one object: its line, with its file; the vault is still "never backed
   * up" (the page and the sidebar read the history again, and say so). */
  model = show_list (page, "secrets", 2);
  select_name (model, "db-password", TRUE);
  g_assert_true (gtk_widget_activate_action (page, "vault.download-backup", NULL));
  accept_chooser (backups);
  entry = wait_line (history, 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "operation"), ==, KVB_HISTORY_DOWNLOAD);
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, KVB_HISTORY_SUCCEEDED);
  g_assert_cmpint (json_object_get_int_member (entry, "objects"), ==, 1);
  g_assert_cmpint (count_of (entry, "done"), ==, 1);
  g_assert_cmpstr (first_string (entry, "files"), ==, one_file);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (entry, "vaultUrl"), "https://" VAULT "."));
  g_clear_pointer (&entry, json_object_unref);
  g_assert_true (wait_until (count_is, (gpointer[]) { &changed, GUINT_TO_POINTER (1) }, 10));
  spin (300);
  g_assert_true (label_shown (&page_never));
  g_assert_true (label_shown (&side_never));

  /* Several into a folder: one line with the folder. */
  select_name (model, "api-token", FALSE);
  g_assert_true (gtk_widget_activate_action (page, "vault.download-backup", NULL));
  accept_chooser (several);
  entry = wait_line (history, 2);
  g_assert_cmpstr (json_object_get_string_member (entry, "operation"), ==, KVB_HISTORY_DOWNLOAD);
  g_assert_cmpstr (json_object_get_string_member (entry, "folder"), ==, several);
  g_assert_cmpint (json_object_get_int_member (entry, "objects"), ==, 2);
  g_assert_cmpint (count_of (entry, "done"), ==, 2);
  g_assert_false (json_object_has_member (entry, "files"));
  g_clear_pointer (&entry, json_object_unref);
  g_assert_true (wait_until (count_is, (gpointer[]) { &changed, GUINT_TO_POINTER (2) }, 10));
  spin (300);
  g_assert_true (label_shown (&page_never));

  /* Recover, then Purge (confirmed) in the Deleted view: a line each, with the names. */
  model = show_list (page, "deleted", 2);
  select_name (model, "old-a", TRUE);
  g_assert_true (gtk_widget_activate_action (page, "vault.recover", NULL));
  entry = wait_line (history, 3);
  g_assert_cmpstr (json_object_get_string_member (entry, "operation"), ==, KVB_HISTORY_RECOVER);
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, KVB_HISTORY_SUCCEEDED);
  g_assert_cmpstr (first_string (entry, "names"), ==, "old-a");
  g_assert_cmpint (count_of (entry, "done"), ==, 1);
  g_clear_pointer (&entry, json_object_unref);
  model = show_list (page, "deleted", 1);
  select_name (model, "old-b", TRUE);
  g_assert_true (gtk_widget_activate_action (page, "vault.purge", NULL));
  {
    GtkWindow *confirm = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);

    adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirm), "purge");
    if (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }))
      gtk_window_destroy (confirm);
  }
  entry = wait_line (history, 4);
  g_assert_cmpstr (json_object_get_string_member (entry, "operation"), ==, KVB_HISTORY_PURGE);
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, KVB_HISTORY_SUCCEEDED);
  g_assert_cmpstr (first_string (entry, "names"), ==, "old-b");
  g_clear_pointer (&entry, json_object_unref);
  g_assert_true (wait_until (count_is, (gpointer[]) { &changed, GUINT_TO_POINTER (4) }, 10));
  g_assert_true (label_shown (&page_never));

  /* kvbackup history prints them, newest first, with a word for each. */
  {
    g_autofree char *kvbackup = g_build_filename (g_getenv ("KVB_BUILD_ROOT"), "src", "cli", "kvbackup", NULL);
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    int status = -1;

    g_assert_true (g_spawn_sync (NULL, (char *[]) { kvbackup, "history", "--vault", VAULT, NULL },
                                 NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, 0);
    lines = g_strsplit (out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 5);
    g_assert_nonnull (strstr (lines[0], " purge    " VAULT));
    g_assert_nonnull (strstr (lines[0], "old-b"));
    g_assert_nonnull (strstr (lines[1], " recover  " VAULT));
    g_assert_nonnull (strstr (lines[2], " download " VAULT));
    g_assert_nonnull (strstr (lines[2], "  2 done, 0 failed  "));
    g_assert_nonnull (strstr (lines[2], several));
    g_assert_nonnull (strstr (lines[3], one_file));
  }

  /* Back Up Vault, as a person does it: the action, the folder dialog, the card. */
  g_assert_true (gtk_widget_activate_action (page, "vault.backup-vault", NULL));
  accept_chooser (backups);
  g_assert_true (wait_until (label_shown, &page_now, 120));
  g_assert_cmpuint (changed, ==, 5);
  g_assert_null (find_label_starting (page, "Never backed up"));
  /* The sidebar was told, and says so too. */
  g_assert_true (wait_until (label_shown, &side_now, 10));
  g_assert_null (find_label_starting (sidebar, "Never backed up"));

  /* Its line, as kvbackup history shows it. */
  entries = kvb_history_read (history, VAULT, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 5);
  entry = json_object_ref (g_ptr_array_index (entries, 0));
  g_assert_cmpstr (json_object_get_string_member (entry, "operation"), ==, KVB_HISTORY_BACKUP);
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, KVB_HISTORY_SUCCEEDED);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (entry, "folder"), backups));
  /* The two secrets, the key, and the secret recovered above. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (entry, "counts"), "done"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (entry, "counts"), "failed"), ==, 0);
  g_assert_true (json_object_has_member (entry, "finished"));
  g_clear_pointer (&entry, json_object_unref);

  /* The History dialog tells each with its word. */
  {
    const char *titles[] = { "Backup", "Purge", "Recovery", "Download Backup", "Download Backup" };
    GtkWindow *dialog;
    GListModel *items;

    g_assert_true (gtk_widget_activate_action (page, "vault.history", NULL));
    dialog = wait_toplevel (KVB_TYPE_HISTORY_DIALOG);
    g_assert_true (wait_until (not_loading, dialog, 10));
    items = kvb_history_dialog_get_items (KVB_HISTORY_DIALOG (dialog));
    g_assert_cmpuint (g_list_model_get_n_items (items), ==, 5);
    for (guint i = 0; i < 5; i++)
      {
        g_autoptr(KvbHistoryItem) item = g_list_model_get_item (items, i);
        g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
        g_autofree char *details = kvb_history_item_dup_details (item, now);

        g_assert_cmpstr (kvb_history_item_get_title (item), ==, titles[i]);
        if (i == 1)
          g_assert_nonnull (strstr (details, "\n“old-b”"));
      }
    gtk_window_destroy (dialog);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_remove (g_file_peek_path (kvb_history_get_file (history)));
}

/* ---- Schedule Nightly Backups ---- */

static void
test_schedule (void)
{
  g_autoptr(KvbVaultInfo) vault = vault_info ("contoso-prod");
  g_autoptr(KvbPipeline) pipeline = kvb_pipeline_new ();
  g_autoptr(KvbCloud) cloud = kvb_cloud_new_public ();
  g_autofree char *backups = g_build_filename (tmp, "nightly", NULL);
  g_autofree char *units = g_build_filename (g_get_user_config_dir (), "systemd", "user", NULL);
  g_autofree char *service_path = g_build_filename (units, "kvbackup-contoso-prod.service", NULL);
  g_autofree char *timer_path = g_build_filename (units, "kvbackup-contoso-prod.timer", NULL);
  g_autofree char *service = NULL;
  g_autofree char *expected = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (KVB_TYPE_VAULT_PAGE, NULL);
  GtkWindow *dialog;
  GStatBuf st;

  g_assert_true (g_str_has_prefix (units, tmp));
  g_assert_cmpint (g_mkdir_with_parents (backups, 0700), ==, 0);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  /* No sign-in needed: kvbackup signs in by itself at night. */
  kvb_vault_page_set_vault (KVB_VAULT_PAGE (page), vault, pipeline, cloud, NULL);

  /* No schedule yet: nothing to stop. */
  gtk_widget_activate_action (page, "vault.unschedule", NULL);
  spin (200);
  g_assert_false (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }));

  /* How often and how many to keep first: every week, the newest four. */
  g_assert_true (gtk_widget_activate_action (page, "vault.schedule", NULL));
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Schedule Backups of “contoso-prod”");
  g_assert_cmpuint (gtk_drop_down_get_selected (g_object_get_data (G_OBJECT (dialog), "kvb-frequency")),
                    ==, 0);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (g_object_get_data (G_OBJECT (dialog), "kvb-keep")),
                   ==, 14);
  gtk_drop_down_set_selected (g_object_get_data (G_OBJECT (dialog), "kvb-frequency"), 1);
  gtk_spin_button_set_value (g_object_get_data (G_OBJECT (dialog), "kvb-keep"), 4);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "choose");
  if (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }))
    gtk_window_destroy (dialog);
  accept_chooser (backups);
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Weekly Backups Scheduled");
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                                   "Every Sunday at 02:30"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "Only the newest 4 backups are kept"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "systemctl --user enable --now kvbackup-contoso-prod.timer"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), backups));
  {
    g_autofree char *timer = NULL;

    g_assert_true (g_file_get_contents (timer_path, &timer, NULL, NULL));
    g_assert_nonnull (strstr (timer, "\nOnCalendar=Sun *-*-* 02:30:00\n"));
  }

  /* Both units, private, the service naming the vault's folder inside the one chosen. */
  g_assert_cmpint (g_stat (timer_path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (service_path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (service_path, &service, NULL, NULL));
  expected = g_strdup_printf ("\"%s/contoso-prod\" \"contoso-prod\"", backups);
  g_assert_nonnull (strstr (service, expected));
  g_assert_nonnull (strstr (service, "\" 4\n"));

  /* Closed without turning the timer on: nothing is run. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  if (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }))
    gtk_window_destroy (dialog);

  /* Stop Nightly Backups: asked first, in destructive words; Cancel leaves the units. */
  g_assert_true (gtk_widget_activate_action (page, "vault.unschedule", NULL));
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Stop Nightly Backups of “contoso-prod”?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "The timer kvbackup-contoso-prod.timer is turned off"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==, "cancel");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  if (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }))
    gtk_window_destroy (dialog);
  spin (200);
  g_assert_true (g_file_test (timer_path, G_FILE_TEST_EXISTS));

  /* Confirmed: no systemd user instance here, so the units are removed and nothing is said of
   * a timer that could not be stopped. */
  g_assert_true (gtk_widget_activate_action (page, "vault.unschedule", NULL));
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "remove");
  if (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }))
    gtk_window_destroy (dialog);
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Nightly Backups Stopped");
  g_assert_null (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "could not"));
  g_assert_false (g_file_test (timer_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (service_path, G_FILE_TEST_EXISTS));
  gtk_window_destroy (dialog);

  /* Nothing left to stop: the menu item is gone (its action off), and it does nothing. */
  gtk_widget_activate_action (page, "vault.unschedule", NULL);
  spin (200);
  g_assert_false (toplevel_found ((GType[]) { ADW_TYPE_MESSAGE_DIALOG }));

  gtk_window_destroy (GTK_WINDOW (window));
  g_remove (service_path);
  g_remove (timer_path);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                               NULL, NULL);

  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFileInfo) owned = info;
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          remove_tree (child);
        }
    }
  g_file_delete (file, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  g_autofree char *run = NULL;
  int rc;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  /* A history of its own, before anything asks GLib where the user's data is. */
  tmp = g_dir_make_tmp ("kvb-test-history-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  /* And a unit folder of its own for Schedule Nightly Backups. */
  config = g_build_filename (tmp, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  /* And a runtime folder without a systemd user instance: Stop Nightly Backups never reaches
   * the desktop's own. */
  run = g_build_filename (tmp, "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (run, 0700), ==, 0);
  g_setenv ("XDG_RUNTIME_DIR", run, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_assert_cmpstr (g_get_user_data_dir (), ==, data);

  g_test_add_func ("/gui/history/words", test_words);
  g_test_add_func ("/gui/history/dialog", test_dialog);
  g_test_add_func ("/gui/history/dialog-refresh", test_dialog_refresh);
  g_test_add_func ("/gui/history/vault-page", test_vault_page);
  g_test_add_func ("/gui/history/window-backup", test_window_backup);
  g_test_add_func ("/gui/history/schedule", test_schedule);

  rc = g_test_run ();
  {
    g_autoptr(GFile) top = g_file_new_for_path (tmp);

    remove_tree (top);
  }
  g_free (tmp);
  return rc;
}
