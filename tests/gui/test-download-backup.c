/* test-download-backup.c: "Download Backup" and the operation card, in-process, against the
 * stand-in with a quarter of its answers 503: the save and folder dialogs (GTK's own dialog, as
 * there is no portal) accepted as a person would, the files written, the card's rows, progress,
 * summary, "Retry Failed" and Cancel, and the files restored into another vault.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-download-backup"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "kvb-backup-file.h"
#include "kvb-download-backup.h"
#include "kvb-error.h"
#include "kvb-operation-card.h"
#include "kvb-restore-plan.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-chooser.h"
#include "kvb-test-emulator.h"
#include "kvb-test-sync.h"
#include "kvb-vault-backup.h"
#include "kvb-vault-manifest.h"

#define VAULT "dl-kv"
#define TARGET_VAULT "dl-target-kv"

/* One stand-in for the whole program: it takes seconds to start. */
static KvbTestEmulator *emu;
static KvbCloud *cloud;
static KvbPipeline *pipeline;
static KvbCredential *cred;
static char *tmp;

static KvbKeyVaultClient *
new_client (const char *vault)
{
  g_autoptr(GError) error = NULL;
  KvbKeyVaultClient *client;

  client = kvb_keyvault_client_new (pipeline, cloud, cred, vault, &error);
  g_assert_no_error (error);
  return client;
}

static KvbObjectInfo *
find_object (KvbKeyVaultClient *client,
             KvbObjectKind      kind,
             const char        *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = kvb_test_list (client, kind, FALSE, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (kvb_object_info_get_name (items->pdata[i]), name) == 0)
      return g_object_ref (items->pdata[i]);
  g_error ("No %s “%s”", kvb_object_kind_to_string (kind), name);
}

static char *
make_folder (const char *name)
{
  char *path = g_build_filename (tmp, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

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

/* The visible toplevel of @type (a dialog of the operation), waited for. */
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

static gboolean
no_toplevel (gpointer data)
{
  return !toplevel_found (data);
}

static GtkWindow *
wait_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  g_test_message ("Waiting for a %s", g_type_name (type));
  g_assert_true (wait_until (toplevel_found, &type, 10));
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (w))
        return GTK_WINDOW (w);   /* the toplevel list keeps it */
    }
  g_assert_not_reached ();
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
           (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0) ||
           (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0)))
        return child;
      if ((found = find_widget (child, type, label)) != NULL)
        return found;
    }
  return NULL;
}

/* As a person clicks it: the button of that label in @root. */
static void
click_button (GtkWidget  *root,
              const char *label)
{
  GtkWidget *button = find_widget (root, GTK_TYPE_BUTTON, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* The file chooser GtkFileChooserNative falls back to (no portal here), accepted with @folder as
 * its folder, as a person picks a folder and presses the accept button.  Returns its title. */
static char *
accept_chooser (const char *folder,
                char      **current_name)
{
  GtkWindow *dialog = wait_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  char *title = g_strdup (gtk_window_get_title (dialog));

  if (current_name != NULL)
    *current_name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (dialog));
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
  return title;
}

static void
result_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (res);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* ---- a notification server on the test's session bus, to see what was sent ---- */

static GPtrArray *notifications;   /* "SUMMARY: BODY" of each Notify call */

static void
notify_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *path,
                  const char            *interface,
                  const char            *method,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  const char *summary = NULL;
  const char *body = NULL;

  if (g_strcmp0 (method, "Notify") != 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.UnknownMethod",
                                                  "Not here");
      return;
    }
  g_variant_get_child (parameters, 3, "&s", &summary);
  g_variant_get_child (parameters, 4, "&s", &body);
  g_ptr_array_add (notifications, g_strdup_printf ("%s: %s", summary, body));
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", notifications->len));
}

static void
start_notification_server (void)
{
  static const char xml[] =
    "<node><interface name='org.freedesktop.Notifications'>"
    "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
    "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
    "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
    "<arg type='u' direction='out'/></method>"
    "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
    "</interface></node>";
  static const GDBusInterfaceVTable vtable = { notify_method_cb, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (xml, NULL);
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  notifications = g_ptr_array_new_with_free_func (g_free);
  g_assert_nonnull (bus);
  g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.Notifications", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
}

static gboolean
notified (gpointer data)
{
  return notifications->len >= GPOINTER_TO_UINT (data);
}

/* ---- the page: what the vault page does with the operation and its card ---- */

typedef struct
{
  GtkWindow *parent;           /* never shown: not the active window, so a notification goes */
  GtkWindow *window;           /* shows the card */
  KvbOperationCard *card;
  KvbDownloadBackup *op;
  GCancellable *cancellable;
  guint n_jobs;
  gboolean done;
  KvbDownloadBackup *result;
  GError *error;
} Page;

static void
page_done_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Page *page = user_data;

  page->result = kvb_download_backup_run_finish (res, &page->error);
  if (kvb_download_backup_get_job (page->op) != NULL)
    kvb_operation_card_finish (page->card, page->error);
  page->done = TRUE;
}

static void
page_job_started_cb (KvbDownloadBackup *op,
                     KvbVaultBackup    *job,
                     Page              *page)
{
  g_autofree char *title = kvb_download_backup_dup_title (op);

  page->n_jobs++;
  kvb_operation_card_set_job (page->card, KVB_OPERATION_DOWNLOAD, title, G_LIST_MODEL (job),
                              page->cancellable);
}

static void
page_retry_cb (KvbOperationCard *card,
               Page             *page)
{
  page->done = FALSE;
  g_clear_object (&page->result);
  g_clear_error (&page->error);
  g_set_object (&page->cancellable, g_cancellable_new ());
  g_object_unref (page->cancellable);
  kvb_download_backup_retry_failed_async (page->op, page->cancellable, page_done_cb, page);
}

static void
page_init (Page *page)
{
  memset (page, 0, sizeof *page);
  page->parent = g_object_ref_sink (GTK_WINDOW (gtk_window_new ()));
  page->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (page->window, 600, 700);
  page->card = KVB_OPERATION_CARD (kvb_operation_card_new ());
  gtk_window_set_child (page->window, GTK_WIDGET (page->card));
  g_signal_connect (page->card, "retry", G_CALLBACK (page_retry_cb), page);
  page->cancellable = g_cancellable_new ();
}

static void
page_clear (Page *page)
{
  gtk_window_destroy (page->window);
  gtk_window_destroy (page->parent);
  g_clear_object (&page->parent);
  g_clear_object (&page->op);
  g_clear_object (&page->result);
  g_clear_object (&page->cancellable);
  g_clear_error (&page->error);
}

static gboolean
page_is_done (gpointer data)
{
  return ((Page *) data)->done;
}

static void
page_run (Page       *page,
          GPtrArray  *objects)
{
  g_autoptr(KvbKeyVaultClient) client = new_client (VAULT);

  page->done = FALSE;
  g_clear_object (&page->op);
  page->op = g_object_ref (kvb_download_backup_run_async (page->parent, client, VAULT, objects,
                                                          page->cancellable, page_done_cb, page));
  g_signal_connect (page->op, "job-started", G_CALLBACK (page_job_started_cb), page);
}

static void
page_wait (Page *page)
{
  GType dialogs[] = { GTK_TYPE_FILE_CHOOSER_DIALOG, ADW_TYPE_MESSAGE_DIALOG };

  g_assert_true (wait_until (page_is_done, page, 300));
  /* Every dialog of the operation is gone once it has ended. */
  for (guint i = 0; i < G_N_ELEMENTS (dialogs); i++)
    g_assert_true (wait_until (no_toplevel, &dialogs[i], 5));
}

/* ---- several objects ---- */

static KvbBackupJobItem *
item_of (GListModel *job,
         const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (job); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (job, i);

      if (g_str_equal (kvb_backup_job_item_get_name (item), name))
        return item;   /* the job keeps it */
    }
  g_error ("No item “%s”", name);
}

static gboolean
label_shown (gpointer data)
{
  gpointer *args = data;

  return find_widget (args[0], GTK_TYPE_LABEL, args[1]) != NULL;
}

static double
card_fraction (KvbOperationCard *card)
{
  return gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (find_widget (GTK_WIDGET (card),
                                                                       GTK_TYPE_PROGRESS_BAR,
                                                                       NULL)));
}

static guint
count_503 (void)
{
  g_autoptr(JsonNode) node = kvb_test_emulator_control (emu, "GET", "/_emulator/requests", NULL, NULL);
  JsonArray *log = json_node_get_array (node);
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (log); i++)
    if (json_object_get_int_member (json_array_get_object_element (log, i), "status") == 503)
      n++;
  return n;
}

/* Seven selected objects through the storm into a folder that already holds a backup of one of
 * them: the folder becomes a backup folder (kind sub-folders, a manifest true to its files);
 * five saved (one is a certificate's managed secret, saved as the certificate), the one already
 * there kept as it is, one failed for want of the permission; the card follows to 1.0 and says
 * so; the files restore into another vault; Retry Failed runs only the failed one again. */
static void
test_several (void)
{
  g_autoptr(KvbKeyVaultClient) dl = new_client (VAULT);
  g_autoptr(KvbKeyVaultClient) target = new_client (TARGET_VAULT);
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(KvbRestorePlan) plan = NULL;
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = make_folder ("several");
  g_autofree char *kept = g_build_filename (folder, "secrets", VAULT ".bulk-03.secret.kvbackup",
                                            NULL);
  g_autofree char *kept_before = NULL;
  g_autoptr(GFile) dir = g_file_new_for_path (folder);
  g_autoptr(KvbVaultManifest) manifest = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *title = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *result = NULL;
  KvbBackupJobItem *failed;
  GListModel *job;
  KvbJobSummary summary;
  Page page;
  guint n_notified;
  const char *saved[] = { "secrets/" VAULT ".db-password.secret",
                          "secrets/" VAULT ".api-token.secret",
                          "secrets/" VAULT ".bulk-01.secret",
                          "secrets/" VAULT ".bulk-02.secret",
                          "certificates/" VAULT ".web.certificate" };

  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "db-password"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "api-token"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-01"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-02"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-03"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_KEY, "signing"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "web"));   /* managed */
  {
    /* An earlier download of bulk-03 into the folder. */
    g_autoptr(KvbVaultBackup) earlier = kvb_vault_backup_new (dl, dir);
    g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GAsyncResult) res = NULL;

    g_ptr_array_add (first, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-03"));
    kvb_vault_backup_set_objects (earlier, first);
    kvb_vault_backup_run_async (earlier, NULL, result_cb, &res);
    g_assert_true (wait_until (result_ready, &res, 120));
    g_assert_true (kvb_vault_backup_run_finish (earlier, res, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (kept, &kept_before, NULL, &error));
  }

  page_init (&page);
  gtk_window_present (page.window);
  n_notified = notifications->len;
  page_run (&page, objects);

  title = accept_chooser (folder, NULL);
  g_assert_cmpstr (title, ==, "Download Backups");
  page_wait (&page);

  g_assert_no_error (page.error);
  g_assert_true (page.result == page.op);
  g_assert_cmpuint (page.n_jobs, ==, 1);
  g_assert_true (kvb_download_backup_get_several (page.op));
  kvb_download_backup_get_summary (page.op, &summary);
  g_assert_cmpuint (summary.n_done, ==, 6);
  g_assert_cmpuint (summary.n_skipped, ==, 0);
  g_assert_cmpuint (summary.n_failed, ==, 1);

  /* The card: every row finished, the bar full, the summary in words. */
  job = kvb_operation_card_get_items (page.card);
  g_assert_true (job == G_LIST_MODEL (kvb_download_backup_get_job (page.op)));
  g_assert_cmpuint (g_list_model_get_n_items (job), ==, 7);
  g_assert_false (kvb_operation_card_get_running (page.card));
  g_assert_cmpfloat_with_epsilon (card_fraction (page.card), 1.0, 1e-9);
  g_assert_cmpstr (kvb_operation_card_get_summary (page.card), ==, "6 saved, 1 failed");
  {
    g_autofree char *card_title = kvb_download_backup_dup_title (page.op);
    g_assert_cmpstr (card_title, ==, "Downloading 7 backups to “several”");
    g_assert_nonnull (find_widget (GTK_WIDGET (page.card), GTK_TYPE_LABEL, card_title));
  }
  result = kvb_download_backup_dup_result (page.op);
  g_assert_cmpstr (result, ==, "Backups saved to “several”: 6 saved, 1 failed");
  for (guint i = 0; i < G_N_ELEMENTS (saved); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.kvbackup", saved[i]);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      assert_mode (path, 0600);
      g_list_store_append (files, file);
    }
  g_assert_cmpint (kvb_backup_job_item_get_status (item_of (job, "web")), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpint (kvb_backup_job_item_get_kind (item_of (job, "web")), ==,
                   KVB_OBJECT_KIND_CERTIFICATE);
  /* The object already in the folder was kept, not fetched again. */
  g_assert_cmpint (kvb_backup_job_item_get_status (item_of (job, "bulk-03")), ==,
                   KVB_JOB_STATUS_DONE);
  g_assert_nonnull (strstr (kvb_backup_job_item_get_message (item_of (job, "bulk-03")), "Kept"));
  g_assert_true (g_file_get_contents (kept, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, kept_before);

  /* A backup folder: its manifest is true to the files, the failed object recorded so. */
  manifest = kvb_vault_manifest_load (dir, &error);
  g_assert_no_error (error);
  problems = kvb_vault_manifest_verify (manifest, dir, NULL);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (
                       kvb_vault_manifest_lookup (manifest, KVB_OBJECT_KIND_KEY, "signing"),
                       "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (
                       kvb_vault_manifest_lookup (manifest, KVB_OBJECT_KIND_SECRET, "web"),
                       "status"), ==, "covered");

  /* The failed object keeps the core's reason, and its row shows it. */
  failed = item_of (job, "signing");
  g_assert_cmpint (kvb_backup_job_item_get_status (failed), ==, KVB_JOB_STATUS_FAILED);
  g_assert_nonnull (kvb_backup_job_item_get_message (failed));
  g_assert_null (strstr (kvb_backup_job_item_get_message (failed), "{"));
  {
    gpointer args[] = { page.card, (gpointer) kvb_backup_job_item_get_message (failed) };
    g_assert_true (wait_until (label_shown, args, 5));
  }

  /* The parent was not the active window: a notification went out. */
  g_assert_nonnull (kvb_download_backup_get_notification_id (page.op));
  g_assert_true (wait_until (notified, GUINT_TO_POINTER (n_notified + 1), 10));
  g_assert_cmpstr (notifications->pdata[n_notified], ==,
                   "Backups Downloaded: Backups saved to “several”: 6 saved, 1 failed");

  /* The storm did blow. */
  g_assert_cmpuint (count_503 (), >, 0);

  /* The files restore with the core into another vault of the subscription and geography. */
  plan = kvb_restore_plan_new (target, FALSE);
  {
    g_autoptr(GAsyncResult) res = NULL;

    kvb_restore_plan_prepare_async (plan, G_LIST_MODEL (files), NULL, result_cb, &res);
    g_assert_true (wait_until (result_ready, &res, 120));
    g_assert_true (kvb_restore_plan_prepare_finish (plan, res, &error));
    g_assert_no_error (error);
  }
  {
    /* The same card shows a restore plan: its entries have the same four properties. */
    KvbOperationCard *restore_card = KVB_OPERATION_CARD (kvb_operation_card_new ());
    GtkWindow *restore_window = GTK_WINDOW (gtk_window_new ());
    g_autoptr(GAsyncResult) res = NULL;

    gtk_window_set_child (restore_window, GTK_WIDGET (restore_card));
    gtk_window_present (restore_window);
    kvb_operation_card_set_job (restore_card, KVB_OPERATION_RESTORE, "Restoring 5 backups",
                                G_LIST_MODEL (plan), NULL);
    g_assert_cmpfloat_with_epsilon (card_fraction (restore_card), 0.0, 1e-9);

    kvb_restore_plan_run_async (plan, NULL, result_cb, &res);
    g_assert_true (wait_until (result_ready, &res, 300));
    g_assert_true (kvb_restore_plan_run_finish (plan, res, &summary, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (summary.n_done, ==, G_N_ELEMENTS (saved));
    g_assert_cmpuint (summary.n_failed, ==, 0);

    kvb_operation_card_finish (restore_card, NULL);
    g_assert_cmpfloat_with_epsilon (card_fraction (restore_card), 1.0, 1e-9);
    g_assert_cmpstr (kvb_operation_card_get_summary (restore_card), ==, "5 restored");
    gtk_window_destroy (restore_window);
  }
  {
    g_autoptr(KvbObjectInfo) restored = find_object (target, KVB_OBJECT_KIND_CERTIFICATE, "web");
    g_autoptr(KvbObjectInfo) secret = find_object (target, KVB_OBJECT_KIND_SECRET, "db-password");
  }

  /* Retry Failed: a new job with only the failed object, shown by the same card. */
  click_button (GTK_WIDGET (page.card), "_Retry Failed");
  page_wait (&page);
  g_assert_cmpuint (page.n_jobs, ==, 2);
  job = kvb_operation_card_get_items (page.card);
  g_assert_cmpuint (g_list_model_get_n_items (job), ==, 1);
  failed = item_of (job, "signing");
  g_assert_cmpint (kvb_backup_job_item_get_kind (failed), ==, KVB_OBJECT_KIND_KEY);
  /* Still without the permission: it fails again, for the same reason. */
  g_assert_cmpint (kvb_backup_job_item_get_status (failed), ==, KVB_JOB_STATUS_FAILED);
  g_assert_cmpstr (kvb_operation_card_get_summary (page.card), ==, "1 failed");
  g_assert_true (gtk_widget_get_visible (find_widget (GTK_WIDGET (page.card), GTK_TYPE_BUTTON,
                                                      "_Retry Failed")));

  page_clear (&page);
}

/* Cancel on the card while the job runs: the job stops, and the card says how far it got. */
static gboolean
any_done (gpointer data)
{
  GListModel *job = data;

  for (guint i = 0; i < g_list_model_get_n_items (job); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (job, i);

      if (kvb_backup_job_item_get_status (item) == KVB_JOB_STATUS_DONE)
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_items (gpointer data)
{
  return kvb_operation_card_get_items (data) != NULL;
}

static void
dismissed_cb (KvbOperationCard *card,
              gboolean         *dismissed)
{
  *dismissed = TRUE;
}

static void
test_cancel (void)
{
  g_autoptr(KvbKeyVaultClient) dl = new_client (VAULT);
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *folder = make_folder ("cancel");
  g_autofree char *expected = NULL;
  g_autofree char *title = NULL;
  GListModel *job;
  guint counts[5] = { 0, };
  gboolean dismissed = FALSE;
  Page page;

  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "db-password"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "api-token"));
  for (guint i = 1; i <= 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("bulk-%02u", i);
      g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, name));
    }

  page_init (&page);
  gtk_window_present (page.window);
  g_signal_connect (page.card, "dismissed", G_CALLBACK (dismissed_cb), &dismissed);
  page_run (&page, objects);
  title = accept_chooser (folder, NULL);

  /* As soon as one backup is saved, the user presses Cancel. */
  g_assert_true (wait_until (has_items, page.card, 10));
  job = kvb_operation_card_get_items (page.card);
  g_assert_true (kvb_operation_card_get_running (page.card));
  g_assert_true (wait_until (any_done, job, 60));
  click_button (GTK_WIDGET (page.card), "_Cancel");
  page_wait (&page);

  g_assert_error (page.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (page.result);
  g_assert_false (kvb_operation_card_get_running (page.card));
  for (guint i = 0; i < g_list_model_get_n_items (job); i++)
    {
      g_autoptr(KvbBackupJobItem) item = g_list_model_get_item (job, i);
      KvbJobStatus status = kvb_backup_job_item_get_status (item);

      /* Nothing is left running. */
      g_assert_cmpint (status, !=, KVB_JOB_STATUS_RUNNING);
      counts[status]++;
    }
  g_assert_cmpuint (counts[KVB_JOB_STATUS_DONE], >=, 1);
  expected = kvb_operation_format_summary (KVB_OPERATION_DOWNLOAD, counts[KVB_JOB_STATUS_DONE],
                                           counts[KVB_JOB_STATUS_SKIPPED],
                                           counts[KVB_JOB_STATUS_FAILED],
                                           counts[KVB_JOB_STATUS_PENDING], TRUE);
  g_assert_true (g_str_has_prefix (expected, "Cancelled: "));
  g_assert_cmpstr (kvb_operation_card_get_summary (page.card), ==, expected);
  g_assert_true (gtk_label_get_label (GTK_LABEL (find_widget (GTK_WIDGET (page.card), GTK_TYPE_LABEL,
                                                              expected))) != NULL);
  /* Cancelling is the user's own doing: no notification. */
  g_assert_null (kvb_download_backup_get_notification_id (page.op));

  /* Cancel is gone; Dismiss ends the card. */
  g_assert_false (gtk_widget_get_visible (find_widget (GTK_WIDGET (page.card), GTK_TYPE_BUTTON,
                                                       "_Cancel")));
  g_assert_false (gtk_widget_get_visible (find_widget (GTK_WIDGET (page.card), GTK_TYPE_BUTTON,
                                                       "_Retry Failed")));
  click_button (GTK_WIDGET (page.card), "_Dismiss");
  g_assert_true (dismissed);

  page_clear (&page);
}

/* ---- one object ---- */

/* A plain secret: the save dialog suggests VAULT.NAME.KIND.kvbackup, and the file is written
 * 0600 under that name in the chosen folder. */
static void
test_one (void)
{
  g_autoptr(KvbKeyVaultClient) dl = new_client (VAULT);
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *folder = make_folder ("one");
  g_autofree char *title = NULL;
  g_autofree char *current_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *written = NULL;
  g_autofree char *result = NULL;
  g_autoptr(KvbBackupFile) backup = NULL;
  g_autoptr(GError) error = NULL;
  KvbJobSummary summary;
  guint n_notified = notifications->len;
  Page page;

  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "db-password"));
  page_init (&page);
  page_run (&page, objects);

  title = accept_chooser (folder, &current_name);
  g_assert_cmpstr (title, ==, "Download Backup");
  g_assert_cmpstr (current_name, ==, VAULT ".db-password.secret.kvbackup");
  page_wait (&page);

  g_assert_no_error (page.error);
  g_assert_false (kvb_download_backup_get_several (page.op));
  g_assert_null (kvb_download_backup_get_job (page.op));
  kvb_download_backup_get_summary (page.op, &summary);
  g_assert_cmpuint (summary.n_done, ==, 1);
  path = g_build_filename (folder, VAULT ".db-password.secret.kvbackup", NULL);
  written = g_file_get_path (kvb_download_backup_get_file (page.op));
  g_assert_cmpstr (written, ==, path);
  assert_mode (path, 0600);
  backup = kvb_backup_file_load (kvb_download_backup_get_file (page.op), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kvb_backup_file_get_header (backup), ==, KVB_BLOB_HEADER_SECRET);
  {
    g_autofree char *dir = g_file_get_path (kvb_download_backup_get_folder (page.op));
    g_assert_cmpstr (dir, ==, folder);
  }

  /* What the toast says. */
  result = kvb_download_backup_dup_result (page.op);
  g_assert_cmpstr (result, ==, "Backup of “db-password” saved");
  {
    g_autoptr(AdwToast) toast = kvb_download_backup_new_toast (page.op);

    g_assert_cmpstr (adw_toast_get_title (toast), ==, "Backup of “db-password” saved");
    g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "Open Folder");
  }
  g_assert_true (wait_until (notified, GUINT_TO_POINTER (n_notified + 1), 10));
  g_assert_cmpstr (notifications->pdata[n_notified], ==,
                   "Backup Downloaded: Backup of “db-password” saved");

  page_clear (&page);
}

/* A certificate's managed secret on its own: first the question, then the certificate's file. */
static void
test_managed (void)
{
  g_autoptr(KvbKeyVaultClient) dl = new_client (VAULT);
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *folder = make_folder ("managed");
  g_autofree char *title = NULL;
  g_autofree char *current_name = NULL;
  g_autofree char *path = NULL;
  AdwMessageDialog *question;
  GType chooser_type = GTK_TYPE_FILE_CHOOSER_DIALOG;
  GType question_type = ADW_TYPE_MESSAGE_DIALOG;
  Page page;

  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "web"));
  g_assert_true (kvb_object_info_get_managed (objects->pdata[0]));
  page_init (&page);

  /* Declined: nothing else is shown, and it ends as cancelled. */
  page_run (&page, objects);
  question = ADW_MESSAGE_DIALOG (wait_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_body (question), ==,
                   "“web” belongs to the certificate “web”. Key Vault backs it up only with its "
                   "certificate. Download the certificate’s backup instead?");
  g_assert_cmpstr (adw_message_dialog_get_response_label (question, "download"), ==,
                   "_Download Certificate Backup");
  click_button (GTK_WIDGET (question), "_Cancel");
  page_wait (&page);
  g_assert_true (wait_until (no_toplevel, &question_type, 5));
  g_assert_error (page.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (toplevel_found (&chooser_type));
  g_clear_error (&page.error);

  /* Accepted: the save dialog suggests the certificate's file. */
  page_run (&page, objects);
  question = ADW_MESSAGE_DIALOG (wait_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  click_button (GTK_WIDGET (question), "_Download Certificate Backup");
  g_assert_true (wait_until (no_toplevel, &question_type, 5));
  title = accept_chooser (folder, &current_name);
  g_assert_cmpstr (title, ==, "Download Backup");
  g_assert_cmpstr (current_name, ==, VAULT ".web.certificate.kvbackup");
  page_wait (&page);
  g_assert_no_error (page.error);
  g_assert_true (wait_until (no_toplevel, &chooser_type, 5));
  path = g_build_filename (folder, VAULT ".web.certificate.kvbackup", NULL);
  assert_mode (path, 0600);

  /* Cancelled while the save dialog is open: the dialog goes, and so does the operation. */
  g_clear_object (&page.result);
  page_run (&page, objects);
  question = ADW_MESSAGE_DIALOG (wait_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  click_button (GTK_WIDGET (question), "_Download Certificate Backup");
  g_assert_true (wait_until (no_toplevel, &question_type, 5));
  wait_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_cancellable_cancel (page.cancellable);
  page_wait (&page);
  g_assert_error (page.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (wait_until (no_toplevel, &chooser_type, 5));

  page_clear (&page);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *seed = NULL;
  g_autoptr(GApplication) app = NULL;
  int rc;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  seed = g_build_filename (g_getenv ("KVB_SOURCE_ROOT"), "tests", "gui", "seed-download.json", NULL);
  emu = kvb_test_emulator_start ((const char * const[]) {
      "--seed", seed, "--fail-5xx", "0.25", "--fail-retry-after", "0", NULL }, &error);
  if (emu == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_print ("1..0 # SKIP the stand-in is not built\n");
      return 0;
    }
  g_assert_no_error (error);

  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();
  kvb_pipeline_set_retry_base_ms (pipeline, 20);
  cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      pipeline, cloud, emu->tenant, emu->client_id, emu->client_secret));
  tmp = g_dir_make_tmp ("kvb-download-backup-XXXXXX", &error);
  g_assert_no_error (error);

  /* A registered application, as in the real program, so that notifications can be sent. */
  start_notification_server ();
  app = g_application_new ("io.github.kvbackup.KeyVaultBackup.DownloadTest", G_APPLICATION_NON_UNIQUE);
  g_application_set_default (app);
  g_assert_true (g_application_register (app, NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/download-backup/one", test_one);
  g_test_add_func ("/download-backup/managed", test_managed);
  g_test_add_func ("/download-backup/several", test_several);
  g_test_add_func ("/download-backup/cancel", test_cancel);

  rc = g_test_run ();

  g_application_set_default (NULL);
  g_clear_pointer (&notifications, g_ptr_array_unref);
  g_clear_object (&cred);
  g_clear_object (&pipeline);
  g_clear_object (&cloud);
  g_clear_pointer (&emu, kvb_test_emulator_stop);
  return rc;
}
