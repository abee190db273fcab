/* test-restore-dialog.c: the Restore Backup dialog against the stand-in, in-process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-restore-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "kvb-backup-file.h"
#include "kvb-history.h"
#include "kvb-object-backup.h"
#include "kvb-restore-chooser.h"
#include "kvb-restore-dialog.h"
#include "kvb-restore-row.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"
#include "kvb-test-server.h"
#include "kvb-test-sync.h"

#define VAULT "restore-kv"

typedef struct
{
  KvbTestEmulator   *emu;
  KvbCloud          *cloud;
  KvbPipeline       *pipeline;
  KvbCredential     *cred;
  KvbKeyVaultClient *client;
  KvbVaultInfo      *vault;
  char              *folder;
  GListStore        *files;
} Env;

typedef struct
{
  gboolean finished;
  guint    n_done, n_skipped, n_failed;
  gboolean cancelled;
} Finished;

/* ---- waiting ---- */

static void
spin_until (gboolean (*cond) (gpointer),
            gpointer  data,
            guint     seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!cond (data) && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  g_assert_true (cond (data));
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

/* ---- finding what a user sees ---- */

static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      /* What is hidden is not seen. */
      if (!gtk_widget_get_visible (child))
        continue;
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          if (text == NULL)
            return child;
          if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), text) == 0)
            return child;
          if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), text) == 0)
            return child;
        }
      if ((found = find_widget (child, type, text)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
has_label_containing (GtkWidget  *root,
                      const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_visible (child))
        continue;
      if (GTK_IS_LABEL (child) &&
          strstr (gtk_label_get_label (GTK_LABEL (child)), text) != NULL)
        return TRUE;
      if (has_label_containing (child, text))
        return TRUE;
    }
  return FALSE;
}

static guint
count_rows (GtkWidget *dialog)
{
  GtkWidget *list = find_widget (dialog, GTK_TYPE_LIST_BOX, NULL);
  guint n = 0;

  if (list == NULL)
    return 0;
  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += KVB_IS_RESTORE_ROW (child);
  return n;
}

/* The row that shows @file_name. */
static GtkWidget *
row_of (GtkWidget  *dialog,
        const char *file_name)
{
  GtkWidget *list = find_widget (dialog, GTK_TYPE_LIST_BOX, NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KVB_IS_RESTORE_ROW (child) && has_label_containing (child, file_name))
      return child;
  g_error ("No row shows %s", file_name);
}

static const char *
label_text (GtkWidget  *row,
            const char *prefix)
{
  /* The first visible label of @row that starts with @prefix. */
  GtkWidget *stack[512];
  guint n = 0;

  stack[n++] = row;
  while (n > 0)
    {
      GtkWidget *w = stack[--n];

      for (GtkWidget *c = gtk_widget_get_last_child (w); c != NULL; c = gtk_widget_get_prev_sibling (c))
        {
          if (!gtk_widget_get_visible (c))
            continue;
          if (GTK_IS_LABEL (c) && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (c)), prefix))
            return gtk_label_get_label (GTK_LABEL (c));
          g_assert_cmpuint (n, <, G_N_ELEMENTS (stack));
          stack[n++] = c;
        }
    }
  return NULL;
}

static void
set_true (gboolean *flag)
{
  *flag = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static void
press (GtkWidget  *root,
       GType       type,
       const char *label)
{
  g_autoptr(GtkWidget) button = find_widget (root, type, label);
  gboolean clicked;
  gulong handler;

  g_assert_nonnull (button);
  /* Held: a button of a message dialog goes with the dialog once clicked. */
  g_object_ref (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  clicked = FALSE;
  handler = g_signal_connect_swapped (button, "clicked", G_CALLBACK (set_true), &clicked);
  g_assert_true (gtk_widget_activate (button));
  /* An activated button shows itself pressed for a moment before it clicks. */
  spin_until (is_true, &clicked, 10);
  g_signal_handler_disconnect (button, handler);
}

static gboolean
prepared (gpointer data)
{
  GtkWidget *dialog = data;
  GListModel *files = g_object_get_data (G_OBJECT (dialog), "test-files");

  return count_rows (dialog) == g_list_model_get_n_items (files);
}

static gboolean
retry_prepared (gpointer data)
{
  GtkWidget *dialog = data;
  GtkWidget *restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");

  return count_rows (dialog) == 1 && restore != NULL && gtk_widget_is_sensitive (restore);
}

static gboolean
error_shown (gpointer data)
{
  GtkWidget *page = find_widget (data, ADW_TYPE_STATUS_PAGE, NULL);

  /* The page is in the dialog from the start; shown, it is mapped. */
  return page != NULL && gtk_widget_get_mapped (page);
}

static gboolean
finished (gpointer data)
{
  return ((Finished *) data)->finished;
}

static void
finished_cb (GtkWidget *dialog,
             guint      n_done,
             guint      n_skipped,
             guint      n_failed,
             gboolean   cancelled,
             Finished  *f)
{
  f->finished = TRUE;
  f->n_done = n_done;
  f->n_skipped = n_skipped;
  f->n_failed = n_failed;
  f->cancelled = cancelled;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static gboolean
message_dialog_gone (gpointer data)
{
  return find_message_dialog () == NULL;
}

/* ---- the stand-in ---- */

static void
env_setup (Env           *env,
           gconstpointer  data)
{
  g_autofree char *seed = g_test_build_filename (G_TEST_DIST, "gui", "seed-restore.json", NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vault_json = NULL;

  /* data 2: every request slow, so that a run can be caught in the middle. */
  env->emu = kvb_test_emulator_start_or_skip ((const char * const[]) {
      "--seed", seed, GPOINTER_TO_INT (data) == 2 ? "--latency-ms" : NULL, "400", NULL });
  if (env->emu == NULL)
    return;

  env->cloud = kvb_test_emulator_new_cloud (env->emu);
  env->pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (env->pipeline, 20);
  env->cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      env->pipeline, env->cloud, env->emu->tenant, env->emu->client_id, env->emu->client_secret));
  env->client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, VAULT, &error);
  g_assert_no_error (error);

  /* As Resource Manager lists it. */
  vault_json = g_strdup_printf ("{\"name\":\"" VAULT "\",\"location\":\"westeurope\","
                                "\"properties\":{\"vaultUri\":\"%s\",\"enablePurgeProtection\":%s}}",
                                kvb_keyvault_client_get_vault_url (env->client),
                                GPOINTER_TO_INT (data) == 1 ? "true" : "false");
  node = json_from_string (vault_json, &error);
  g_assert_no_error (error);
  env->vault = kvb_vault_info_new_from_json (json_node_get_object (node));

  env->folder = g_dir_make_tmp ("kvb-restore-dialog-XXXXXX", &error);
  g_assert_no_error (error);
  env->files = g_list_store_new (G_TYPE_FILE);
}

static void
env_teardown (Env           *env,
              gconstpointer  data)
{
  if (env->folder != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (env->folder, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (env->folder, name, NULL);
          g_remove (path);
        }
      g_rmdir (env->folder);
    }
  g_clear_pointer (&env->folder, g_free);
  g_clear_object (&env->files);
  g_clear_object (&env->vault);
  g_clear_object (&env->client);
  g_clear_object (&env->cred);
  g_clear_object (&env->pipeline);
  g_clear_object (&env->cloud);
  g_clear_pointer (&env->emu, kvb_test_emulator_stop);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
have_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Backs up one object with the core, to the file name the core gives it; returns that name. */
static char *
back_up (Env           *env,
         KvbObjectKind  kind,
         const char    *name)
{
  g_autofree char *file_name = kvb_backup_file_build_name (VAULT, name, kind);
  g_autoptr(GFile) file = g_file_new_build_filename (env->folder, file_name, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  kvb_object_backup_to_file_async (env->client, kind, name, file, FALSE, NULL, done_cb, &result);
  spin_until (have_result, &result, 60);
  g_assert_true (kvb_object_backup_to_file_finish (result, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&file_name);
}

static void
add_file (Env        *env,
          const char *file_name)
{
  g_autoptr(GFile) file = g_file_new_build_filename (env->folder, file_name, NULL);

  g_list_store_append (env->files, file);
}

static void
delete_object (Env           *env,
               KvbObjectKind  kind,
               const char    *name,
               gboolean       purge)
{
  g_autoptr(KvbObjectInfo) deleted = NULL;
  g_autoptr(GError) error = NULL;

  deleted = kvb_test_delete (env->client, kind, name, &error);
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (env->client, kind, name, KVB_USABLE_AFTER_DELETE, &error));
  g_assert_no_error (error);
  if (!purge)
    return;
  g_assert_true (kvb_test_purge (env->client, kind, name, &error));
  g_assert_no_error (error);
  g_assert_true (kvb_test_wait_usable (env->client, kind, name, KVB_USABLE_AFTER_PURGE, &error));
  g_assert_no_error (error);
}

static guint
count_versions (Env           *env,
                KvbObjectKind  kind,
                const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = kvb_test_list_versions (env->client, kind, name, &error);

  g_assert_no_error (error);
  return versions->len;
}

static guint
log_length (Env *env)
{
  g_autoptr(JsonNode) node = kvb_test_emulator_control (env->emu, "GET", "/_emulator/requests",
                                                        NULL, NULL);

  return json_array_get_length (json_node_get_array (node));
}

/* How many Key Vault requests since entry @since were "METHOD PATH STATUS". */
static guint
count_requests (Env        *env,
                guint       since,
                const char *method,
                const char *path,
                gint64      status)
{
  g_autoptr(JsonNode) node = kvb_test_emulator_control (env->emu, "GET", "/_emulator/requests",
                                                        NULL, NULL);
  JsonArray *log = json_node_get_array (node);
  guint n = 0;

  for (guint i = since; i < json_array_get_length (log); i++)
    {
      JsonObject *e = json_array_get_object_element (log, i);

      if (g_str_has_prefix (json_object_get_string_member (e, "host"), VAULT ".vault.") &&
          g_str_equal (json_object_get_string_member (e, "method"), method) &&
          g_str_equal (json_object_get_string_member (e, "path"), path) &&
          json_object_get_int_member (e, "status") == status)
        n++;
    }
  return n;
}

static char *
local_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_seconds);
  g_autoptr(GDateTime) local = g_date_time_to_local (utc);

  return g_date_time_format (local, "%x");
}

static GtkWidget *
open_dialog (Env      *env,
             Finished *f)
{
  GtkWidget *dialog = kvb_restore_dialog_new (NULL, env->client, env->vault,
                                              G_LIST_MODEL (env->files));

  g_object_set_data (G_OBJECT (dialog), "test-files", env->files);
  g_signal_connect (dialog, "finished", G_CALLBACK (finished_cb), f);
  gtk_window_present (GTK_WINDOW (dialog));

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Restore Backup");
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL,
                                 "Into the key vault “" VAULT "” (westeurope)"));
  spin_until (prepared, dialog, 60);

  return dialog;
}

/* ---- the cases ---- */

/* Every state a file can be in, the choices they need, and the run. */
static void
test_restore_states (Env           *env,
                     gconstpointer  data)
{
  g_autofree char *free_file = NULL, *live_file = NULL, *deleted_file = NULL, *key_file = NULL;
  g_autofree char *key_path = NULL, *blob_path = NULL, *garbage_path = NULL;
  g_autofree char *deleted_text = NULL, *deleted_on = NULL, *purged_on = NULL;
  g_autoptr(KvbObjectInfo) recovered = NULL;
  g_autoptr(KvbObjectInfo) restored_key = NULL;
  g_autoptr(GError) error = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *restore, *row;
  KvbRestorePlanEntry *entry;
  guint since;

  if (env->emu == NULL)
    return;

  free_file = back_up (env, KVB_OBJECT_KIND_SECRET, "app-config");
  live_file = back_up (env, KVB_OBJECT_KIND_SECRET, "in-use");
  deleted_file = back_up (env, KVB_OBJECT_KIND_SECRET, "old-token");
  key_file = back_up (env, KVB_OBJECT_KIND_KEY, "signing");
  /* A key blob whose name says neither kind nor name, as az writes it. */
  key_path = g_build_filename (env->folder, key_file, NULL);
  blob_path = g_build_filename (env->folder, "signing-export.blob", NULL);
  g_assert_cmpint (g_rename (key_path, blob_path), ==, 0);
  garbage_path = g_build_filename (env->folder, "notes.kvbackup", NULL);
  g_assert_true (g_file_set_contents (garbage_path, "not a backup at all", -1, &error));
  g_assert_no_error (error);

  delete_object (env, KVB_OBJECT_KIND_SECRET, "app-config", TRUE);
  delete_object (env, KVB_OBJECT_KIND_SECRET, "old-token", FALSE);
  delete_object (env, KVB_OBJECT_KIND_KEY, "signing", TRUE);

  add_file (env, free_file);
  add_file (env, live_file);
  add_file (env, deleted_file);
  add_file (env, "signing-export.blob");
  add_file (env, "notes.kvbackup");

  dialog = open_dialog (env, &f);
  restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");
  g_assert_nonnull (restore);

  /* What each row says. */
  row = row_of (dialog, free_file);
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "app-config"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "Free"));
  g_assert_null (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, NULL));

  row = row_of (dialog, live_file);
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "in-use"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL,
                                 "Already exists: it will be skipped — a restore never overwrites"));

  row = row_of (dialog, deleted_file);
  entry = kvb_restore_row_get_entry (KVB_RESTORE_ROW (row));
  deleted_on = local_date (kvb_restore_plan_entry_get_deleted_date (entry));
  purged_on = local_date (kvb_restore_plan_entry_get_scheduled_purge_date (entry));
  deleted_text = g_strdup_printf ("Deleted on %s, purged on %s unless recovered", deleted_on, purged_on);
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "old-token"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, deleted_text));
  g_assert_nonnull (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, "Skip"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, "Recover"));
  g_assert_true (gtk_widget_is_sensitive (find_widget (row, GTK_TYPE_TOGGLE_BUTTON,
                                                       "Purge and Restore")));

  row = row_of (dialog, "signing-export.blob");
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "name unknown"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "Could be a key or a certificate: choose"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_BUTTON, "Key"));
  g_assert_nonnull (find_widget (row, GTK_TYPE_BUTTON, "Certificate"));

  row = row_of (dialog, "notes.kvbackup");
  g_assert_nonnull (label_text (row, "Not a backup: "));
  g_assert_cmpuint (strlen (label_text (row, "Not a backup: ")), >, strlen ("Not a backup: "));
  g_assert_null (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, NULL));

  /* Two files need a choice; nothing runs until both have one. */
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL,
                                 "2 files need a choice before the restore can start."));
  g_assert_false (gtk_widget_is_sensitive (restore));
  press (row_of (dialog, deleted_file), GTK_TYPE_TOGGLE_BUTTON, "Recover");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (
      find_widget (row_of (dialog, deleted_file), GTK_TYPE_TOGGLE_BUTTON, "Recover"))));
  g_assert_false (gtk_widget_is_sensitive (restore));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL,
                                 "1 file needs a choice before the restore can start."));
  press (row_of (dialog, "signing-export.blob"), GTK_TYPE_BUTTON, "Key");
  row = row_of (dialog, "signing-export.blob");
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "Key · signing-export.blob"));
  g_assert_true (gtk_widget_is_sensitive (restore));

  /* The run. */
  since = log_length (env);
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, GTK_TYPE_PROGRESS_BAR, NULL)));
  spin_until (finished, &f, 120);

  g_assert_false (f.cancelled);
  g_assert_cmpuint (f.n_done, ==, 3);
  g_assert_cmpuint (f.n_skipped, ==, 2);
  g_assert_cmpuint (f.n_failed, ==, 0);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "3 restored, 2 skipped, 0 failed"));
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (
      find_widget (dialog, GTK_TYPE_PROGRESS_BAR, NULL))), ==, 1.0);
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "Retry _Failed"));
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore"));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_BUTTON, "C_lose"));
  g_assert_nonnull (label_text (row_of (dialog, live_file), "Skipped"));
  /* Done with: the choice is gone, the row says what happened. */
  row = row_of (dialog, deleted_file);
  g_assert_null (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, NULL));
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, kvb_restore_plan_entry_get_message (
      kvb_restore_row_get_entry (KVB_RESTORE_ROW (row)))));

  /* In the vault: all versions back, the deleted one live again, the live one untouched. */
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "app-config"), ==, 3);
  recovered = kvb_test_get (env->client, KVB_OBJECT_KIND_SECRET, "old-token", &error);
  g_assert_no_error (error);
  g_assert_nonnull (recovered);
  restored_key = kvb_test_get (env->client, KVB_OBJECT_KIND_KEY, "signing", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_KEY, "signing"), ==, 2);
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "in-use"), ==, 1);
  /* Two restores (the free secret and the key), none for the live name; one recovery. */
  g_assert_cmpuint (count_requests (env, since, "POST", "/secrets/restore", 200), ==, 1);
  g_assert_cmpuint (count_requests (env, since, "POST", "/keys/restore", 200), ==, 1);
  g_assert_cmpuint (count_requests (env, since, "POST", "/deletedsecrets/old-token/recover", 200), ==, 1);

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

/* A switch flips at the end of its animation. */
static gboolean
switch_on (gpointer data)
{
  return gtk_switch_get_active (data);
}

static gboolean
switch_off (gpointer data)
{
  return !gtk_switch_get_active (data);
}

/* "Stop at a Name in Use": with a name taken, Restore sends nothing and says so; the dialog
 * stays open to the choice, and without the switch the same files restore what they can. */
static void
test_restore_stop (Env           *env,
                   gconstpointer  data)
{
  g_autofree char *free_file = NULL, *live_file = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *stop;
  guint since;

  if (env->emu == NULL)
    return;

  free_file = back_up (env, KVB_OBJECT_KIND_SECRET, "app-config");
  live_file = back_up (env, KVB_OBJECT_KIND_SECRET, "in-use");
  delete_object (env, KVB_OBJECT_KIND_SECRET, "app-config", TRUE);
  add_file (env, free_file);
  add_file (env, live_file);

  dialog = open_dialog (env, &f);
  stop = find_widget (dialog, GTK_TYPE_SWITCH, NULL);
  g_assert_nonnull (stop);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (stop)));
  gtk_widget_activate (stop);
  spin_until (switch_on, stop, 5);

  since = log_length (env);
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_true (has_label_containing (dialog, "nothing was restored"));
  g_assert_true (has_label_containing (dialog, "“in-use” already exists"));
  g_assert_cmpuint (count_requests (env, since, "POST", "/secrets/restore", 200), ==, 0);
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "in-use"), ==, 1);
  /* Nothing ran: the choice is still open. */
  g_assert_true (gtk_widget_is_sensitive (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore")));

  f.finished = FALSE;
  gtk_widget_activate (stop);
  spin_until (switch_off, stop, 5);
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_cmpuint (f.n_done, ==, 1);
  g_assert_cmpuint (f.n_skipped, ==, 1);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "1 restored, 1 skipped, 0 failed"));
  g_assert_cmpuint (count_requests (env, since, "POST", "/secrets/restore", 200), ==, 1);
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "app-config"), ==, 3);

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

/* Purge and Restore asks first, in destructive words, and does nothing when not confirmed. */
static void
test_restore_purge (Env           *env,
                    gconstpointer  data)
{
  g_autofree char *file_name = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *row, *restore;
  AdwMessageDialog *confirm;
  guint since;

  if (env->emu == NULL)
    return;

  file_name = back_up (env, KVB_OBJECT_KIND_SECRET, "purge-me");
  delete_object (env, KVB_OBJECT_KIND_SECRET, "purge-me", FALSE);
  add_file (env, file_name);

  dialog = open_dialog (env, &f);
  restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");
  row = row_of (dialog, file_name);
  g_assert_false (gtk_widget_is_sensitive (restore));

  /* Refused once: still undecided. */
  press (row, GTK_TYPE_TOGGLE_BUTTON, "Purge and Restore");
  spin_until (message_dialog_shown, NULL, 5);
  confirm = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==, "Purge “purge-me”?");
  g_assert_cmpstr (adw_message_dialog_get_body (confirm), ==,
                   "The deleted secret and all its versions are removed for good before the "
                   "backup is restored. This cannot be undone.");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (confirm, "purge"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (
      find_widget (row, GTK_TYPE_TOGGLE_BUTTON, "Purge and Restore"))));
  press (GTK_WIDGET (confirm), GTK_TYPE_BUTTON, "_Cancel");
  spin_until (message_dialog_gone, NULL, 5);
  g_assert_false (gtk_widget_is_sensitive (restore));

  /* Confirmed. */
  press (row, GTK_TYPE_TOGGLE_BUTTON, "Purge and Restore");
  spin_until (message_dialog_shown, NULL, 5);
  press (GTK_WIDGET (find_message_dialog ()), GTK_TYPE_BUTTON, "_Purge and Restore");
  spin_until (message_dialog_gone, NULL, 5);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (
      find_widget (row, GTK_TYPE_TOGGLE_BUTTON, "Purge and Restore"))));
  g_assert_true (gtk_widget_is_sensitive (restore));

  since = log_length (env);
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_cmpuint (f.n_done, ==, 1);
  g_assert_cmpuint (f.n_failed, ==, 0);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "1 restored, 0 skipped, 0 failed"));
  g_assert_cmpuint (count_requests (env, since, "DELETE", "/deletedsecrets/purge-me", 204), ==, 1);
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "purge-me"), ==, 2);

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

/* Under purge protection the choice is not offered, and the row says why. */
static void
test_restore_purge_protection (Env           *env,
                               gconstpointer  data)
{
  g_autofree char *file_name = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *row;

  if (env->emu == NULL)
    return;

  file_name = back_up (env, KVB_OBJECT_KIND_SECRET, "purge-me");
  delete_object (env, KVB_OBJECT_KIND_SECRET, "purge-me", FALSE);
  add_file (env, file_name);

  dialog = open_dialog (env, &f);
  row = row_of (dialog, file_name);
  g_assert_false (gtk_widget_is_sensitive (find_widget (row, GTK_TYPE_TOGGLE_BUTTON,
                                                        "Purge and Restore")));
  g_assert_true (has_label_containing (row, "purge protection"));
  press (row, GTK_TYPE_TOGGLE_BUTTON, "Skip");
  g_assert_true (gtk_widget_is_sensitive (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore")));

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

/* A restore the vault refuses (a file of az whose name is in use) fails with the core's
 * sentence, and Retry Failed checks the vault again for that file alone. */
static void
test_restore_retry_failed (Env           *env,
                           gconstpointer  data)
{
  g_autofree char *file_name = NULL, *path = NULL, *copy = NULL, *contents = NULL;
  g_autoptr(GError) error = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *row, *restore;
  const char *message;
  gsize length;

  if (env->emu == NULL)
    return;

  file_name = back_up (env, KVB_OBJECT_KIND_SECRET, "in-use");
  path = g_build_filename (env->folder, file_name, NULL);
  copy = g_build_filename (env->folder, "in-use-export.bin", NULL);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_true (g_file_set_contents (copy, contents, length, &error));
  g_assert_no_error (error);
  add_file (env, "in-use-export.bin");
  add_file (env, file_name);

  dialog = open_dialog (env, &f);
  row = row_of (dialog, "in-use-export.bin");
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, "name unknown"));
  g_assert_nonnull (label_text (row, "The file does not say the name"));
  restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");
  g_assert_true (gtk_widget_is_sensitive (restore));

  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_cmpuint (f.n_done, ==, 0);
  g_assert_cmpuint (f.n_skipped, ==, 1);
  g_assert_cmpuint (f.n_failed, ==, 1);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "0 restored, 1 skipped, 1 failed"));
  /* The row says why, in a sentence: no answer of the service shows through. */
  row = row_of (dialog, "in-use-export.bin");
  message = kvb_restore_plan_entry_get_message (kvb_restore_row_get_entry (KVB_RESTORE_ROW (row)));
  g_assert_nonnull (message);
  g_test_message ("The refused restore says: %s", message);
  g_assert_nonnull (find_widget (row, GTK_TYPE_LABEL, message));
  g_assert_true (gtk_widget_get_visible (find_widget (row, GTK_TYPE_IMAGE, NULL)));
  g_assert_false (has_label_containing (row, "{"));
  g_assert_false (has_label_containing (row, "HTTP"));

  /* Retry: the failed file alone, checked again, and run again. */
  f.finished = FALSE;
  g_object_set_data (G_OBJECT (dialog), "test-files", NULL);
  press (dialog, GTK_TYPE_BUTTON, "Retry _Failed");
  spin_until (retry_prepared, dialog, 60);
  g_assert_nonnull (row_of (dialog, "in-use-export.bin"));
  g_assert_true (gtk_widget_is_sensitive (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore")));
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_cmpuint (f.n_failed, ==, 1);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "0 restored, 0 skipped, 1 failed"));
  g_assert_cmpuint (count_versions (env, KVB_OBJECT_KIND_SECRET, "in-use"), ==, 1);

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

/* A vault that cannot be listed says so in a sentence, and offers no restore. */
static void
test_restore_not_listed (Env           *env,
                         gconstpointer  data)
{
  g_autofree char *file_name = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog, *restore;
  AdwStatusPage *page;

  if (env->emu == NULL)
    return;

  file_name = back_up (env, KVB_OBJECT_KIND_KEY, "signing");
  add_file (env, file_name);
  /* The key lists of this vault are forbidden to the test's identity. */
  client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, "secrets-only-kv", &error);
  g_assert_no_error (error);

  dialog = kvb_restore_dialog_new (NULL, client, NULL, G_LIST_MODEL (env->files));
  gtk_window_present (GTK_WINDOW (dialog));
  spin_until (error_shown, dialog, 60);
  page = ADW_STATUS_PAGE (find_widget (dialog, ADW_TYPE_STATUS_PAGE, NULL));
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "The Vault Cannot Be Checked");
  g_assert_nonnull (adw_status_page_get_description (page));
  g_test_message ("The vault could not be checked: %s", adw_status_page_get_description (page));
  g_assert_cmpuint (strlen (adw_status_page_get_description (page)), >, 10);
  g_assert_null (strchr (adw_status_page_get_description (page), '{'));
  restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");
  g_assert_true (restore == NULL || !gtk_widget_is_sensitive (restore));

  /* Escape closes it. */
  g_assert_true (gtk_widget_activate_action (dialog, "window.close", NULL));
  spin_for (100);
}

static GtkWidget *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WIDGET (w);
    }
  return NULL;
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (data);

  return file != NULL;
}

static gboolean
file_chooser_shown (gpointer data)
{
  return find_file_chooser () != NULL;
}

/* The file chooser (GTK's own dialog here, the portal under Flatpak): what it offers, and that
 * cancelling, by the user or by the caller, gives G_IO_ERROR_CANCELLED and closes it. */
static void
test_choose_files (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) files = NULL;
  g_autoptr(GListModel) filters = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("kvb-restore-chooser-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (folder, "restore-kv.app-config.secret.kvbackup", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) chosen = NULL;
  GtkWidget *chooser;

  kvb_restore_choose_files_async (NULL, cancellable, done_cb, &result);
  spin_until (file_chooser_shown, NULL, 10);
  chooser = find_file_chooser ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (chooser)), ==, "Restore Backup");
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_OPEN);
  g_assert_true (gtk_file_chooser_get_select_multiple (GTK_FILE_CHOOSER (chooser)));
  filters = gtk_file_chooser_get_filters (GTK_FILE_CHOOSER (chooser));
  g_assert_cmpuint (g_list_model_get_n_items (filters), ==, 2);
  g_assert_cmpstr (gtk_file_filter_get_name (gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (chooser))),
                   ==, "Key Vault backups");

  /* The user cancels. */
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  spin_until (have_result, &result, 10);
  files = kvb_restore_choose_files_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (files);
  g_clear_error (&error);
  g_clear_object (&result);
  spin_for (500);
  g_assert_null (find_file_chooser ());

  /* The user chooses a file. */
  g_assert_true (g_file_set_contents (path, "x", 1, &error));
  g_assert_no_error (error);
  kvb_restore_choose_files_async (NULL, cancellable, done_cb, &result);
  spin_until (file_chooser_shown, NULL, 10);
  chooser = find_file_chooser ();
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, &error));
  g_assert_no_error (error);
  spin_until (chooser_has_file, chooser, 10);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  spin_until (have_result, &result, 10);
  files = kvb_restore_choose_files_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (files), ==, 1);
  chosen = g_list_model_get_item (files, 0);
  g_assert_true (g_file_equal (chosen, file));
  g_clear_object (&files);
  g_clear_object (&result);
  spin_for (200);
  g_assert_null (find_file_chooser ());

  /* The caller cancels. */
  kvb_restore_choose_files_async (NULL, cancellable, done_cb, &result);
  spin_until (file_chooser_shown, NULL, 10);
  g_cancellable_cancel (cancellable);
  spin_until (have_result, &result, 10);
  files = kvb_restore_choose_files_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (files);
  spin_for (100);
  g_assert_null (find_file_chooser ());

  g_remove (path);
  g_rmdir (folder);
}

static gboolean
some_entry_running (gpointer data)
{
  GtkWidget *list = find_widget (data, GTK_TYPE_LIST_BOX, NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (KVB_IS_RESTORE_ROW (row) && find_widget (row, GTK_TYPE_SPINNER, NULL) != NULL)
      return TRUE;
  return FALSE;
}

/* A running restore is not closed, stops on Cancel after the current file, and says so. */
static void
test_restore_cancel (Env           *env,
                     gconstpointer  data)
{
  const char *names[] = { "app-config", "in-use", "old-token", "purge-me" };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *cancel;
  const char *summary;

  if (env->emu == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file_name = back_up (env, KVB_OBJECT_KIND_SECRET, names[i]);
      add_file (env, file_name);
    }
  /* Into another vault, where every name is free. */
  client = kvb_keyvault_client_new (env->pipeline, env->cloud, env->cred, "empty-kv", &error);
  g_assert_no_error (error);
  dialog = kvb_restore_dialog_new (NULL, client, NULL, G_LIST_MODEL (env->files));
  g_object_set_data (G_OBJECT (dialog), "test-files", env->files);
  g_signal_connect (dialog, "finished", G_CALLBACK (finished_cb), &f);
  gtk_window_present (GTK_WINDOW (dialog));
  spin_until (prepared, dialog, 60);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "Into the key vault “empty-kv”"));

  g_signal_emit_by_name (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore"), "clicked");
  spin_until (some_entry_running, dialog, 30);
  g_assert_false (f.finished);

  /* Not closed while running; no Close offered. */
  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (50);
  g_assert_true (gtk_widget_get_visible (dialog));
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "C_lose"));

  cancel = find_widget (dialog, GTK_TYPE_BUTTON, "_Cancel");
  g_assert_nonnull (cancel);
  g_signal_emit_by_name (cancel, "clicked");
  spin_until (finished, &f, 60);
  g_assert_true (f.cancelled);
  g_assert_cmpuint (f.n_done, <, G_N_ELEMENTS (names));
  summary = label_text (dialog, "Cancelled: ");
  g_assert_nonnull (summary);
  g_assert_true (g_str_has_suffix (summary, "; the other files were not touched"));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_BUTTON, "C_lose"));
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore"));

  /* Now Escape closes it. */
  g_assert_true (gtk_widget_activate_action (dialog, "window.close", NULL));
  spin_for (100);
}

/* Several files meet deleted objects: one choice for all of them.  Recover All sets every such
 * row at once; Purge and Restore All asks first, in destructive words that name what is lost,
 * and does nothing when not confirmed.  The run writes its lines into the history. */
static gboolean
toggle_active (GtkWidget  *row,
               const char *label)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (find_widget (row, GTK_TYPE_TOGGLE_BUTTON, label)));
}

static void
test_restore_apply_all (Env           *env,
                        gconstpointer  data)
{
  const char *names[] = { "old-token", "purge-me" };
  g_autofree char *in_use = NULL;
  char *files[G_N_ELEMENTS (names)] = { NULL, };
  g_autoptr(KvbHistory) history = kvb_history_new_default ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog, *restore;
  AdwMessageDialog *confirm;
  JsonObject *line;
  guint since;

  if (env->emu == NULL)
    return;

  g_remove (g_file_peek_path (kvb_history_get_file (history)));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      files[i] = back_up (env, KVB_OBJECT_KIND_SECRET, names[i]);
      delete_object (env, KVB_OBJECT_KIND_SECRET, names[i], FALSE);
      add_file (env, files[i]);
    }
  in_use = back_up (env, KVB_OBJECT_KIND_SECRET, "in-use");
  add_file (env, in_use);

  dialog = open_dialog (env, &f);
  restore = find_widget (dialog, GTK_TYPE_BUTTON, "_Restore");
  g_assert_false (gtk_widget_is_sensitive (restore));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "Deleted objects hold the names of 2 files:"));

  /* Recover All: every row at once, and the restore can start. */
  press (dialog, GTK_TYPE_BUTTON, "Recover _All");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (toggle_active (row_of (dialog, files[i]), "Recover"));
  g_assert_true (gtk_widget_is_sensitive (restore));

  /* Purge and Restore All, refused once: still Recover everywhere. */
  press (dialog, GTK_TYPE_BUTTON, "P_urge and Restore All…");
  spin_until (message_dialog_shown, NULL, 5);
  confirm = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==,
                   "Purge 2 Deleted Objects and Restore Their Backups?");
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (confirm),
                                   "“old-token”, “purge-me” and all their versions "
                                   "are removed for good"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), "This cannot be undone."));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (confirm, "purge"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (confirm), ==, "cancel");
  press (GTK_WIDGET (confirm), GTK_TYPE_BUTTON, "_Cancel");
  spin_until (message_dialog_gone, NULL, 5);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (toggle_active (row_of (dialog, files[i]), "Recover"));

  /* Confirmed: every row purges and restores. */
  press (dialog, GTK_TYPE_BUTTON, "P_urge and Restore All…");
  spin_until (message_dialog_shown, NULL, 5);
  press (GTK_WIDGET (find_message_dialog ()), GTK_TYPE_BUTTON, "_Purge and Restore All");
  spin_until (message_dialog_gone, NULL, 5);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (toggle_active (row_of (dialog, files[i]), "Purge and Restore"));
      g_assert_false (toggle_active (row_of (dialog, files[i]), "Recover"));
    }

  since = log_length (env);
  press (dialog, GTK_TYPE_BUTTON, "_Restore");
  spin_until (finished, &f, 120);
  g_assert_cmpuint (f.n_done, ==, 2);
  g_assert_cmpuint (f.n_skipped, ==, 1);
  g_assert_cmpuint (f.n_failed, ==, 0);
  g_assert_cmpuint (count_requests (env, since, "DELETE", "/deletedsecrets/old-token", 204), ==, 1);
  /* Once a restore ran, the choice for all is gone. */
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "Recover _All"));

  /* By "finished", the run is in the history: the restore with its files, and the purges. */
  entries = kvb_history_read (history, VAULT, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  line = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (line, "operation"), ==, KVB_HISTORY_PURGE);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line, "names")), ==, 2);
  line = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (json_object_get_string_member (line, "operation"), ==, KVB_HISTORY_RESTORE);
  g_assert_cmpstr (json_object_get_string_member (line, "result"), ==, KVB_HISTORY_SUCCEEDED);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line, "files")), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (line, "counts"), "purged"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (line, "counts"), "skipped"), ==, 1);

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free (files[i]);
  g_remove (g_file_peek_path (kvb_history_get_file (history)));
}

/* Under purge protection, the choice for all is Recover only. */
static void
test_restore_apply_all_protected (Env           *env,
                                  gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  Finished f = { FALSE, };
  GtkWidget *dialog;

  if (env->emu == NULL)
    return;

  first = back_up (env, KVB_OBJECT_KIND_SECRET, "app-config");
  second = back_up (env, KVB_OBJECT_KIND_SECRET, "purge-me");
  delete_object (env, KVB_OBJECT_KIND_SECRET, "app-config", FALSE);
  delete_object (env, KVB_OBJECT_KIND_SECRET, "purge-me", FALSE);
  add_file (env, first);
  add_file (env, second);

  dialog = open_dialog (env, &f);
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_LABEL, "Deleted objects hold the names of 2 files:"));
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "P_urge and Restore All…"));
  press (dialog, GTK_TYPE_BUTTON, "Recover _All");
  g_assert_true (toggle_active (row_of (dialog, first), "Recover"));
  g_assert_true (toggle_active (row_of (dialog, second), "Recover"));
  g_assert_true (gtk_widget_is_sensitive (find_widget (dialog, GTK_TYPE_BUTTON, "_Restore")));

  gtk_window_close (GTK_WINDOW (dialog));
  spin_for (100);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp = NULL;
  g_autofree char *data_dir = NULL;
  int rc;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  /* A history of its own, before anything asks GLib where the user's data is. */
  tmp = g_dir_make_tmp ("kvb-test-restore-dialog-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  data_dir = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/restore-dialog/choose-files", test_choose_files);
  g_test_add ("/restore-dialog/states", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_states, env_teardown);
  g_test_add ("/restore-dialog/stop-at-name-in-use", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_stop, env_teardown);
  g_test_add ("/restore-dialog/purge", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_purge, env_teardown);
  g_test_add ("/restore-dialog/retry-failed", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_retry_failed, env_teardown);
  g_test_add ("/restore-dialog/not-listed", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_not_listed, env_teardown);
  g_test_add ("/restore-dialog/cancel", Env, GINT_TO_POINTER (2), env_setup,
              test_restore_cancel, env_teardown);
  g_test_add ("/restore-dialog/purge-protection", Env, GINT_TO_POINTER (TRUE), env_setup,
              test_restore_purge_protection, env_teardown);
  g_test_add ("/restore-dialog/apply-to-all", Env, GINT_TO_POINTER (FALSE), env_setup,
              test_restore_apply_all, env_teardown);
  g_test_add ("/restore-dialog/apply-to-all-protected", Env, GINT_TO_POINTER (TRUE), env_setup,
              test_restore_apply_all_protected, env_teardown);

  rc = g_test_run ();
  {
    g_autofree char *dir = g_build_filename (data_dir, "key-vault-backup", NULL);
    g_autofree char *file = g_build_filename (dir, "history.jsonl", NULL);

    g_remove (file);
    g_rmdir (dir);
    g_rmdir (data_dir);
    g_rmdir (tmp);
  }
  return rc;
}
