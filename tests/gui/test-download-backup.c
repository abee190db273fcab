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
#include "kvb-test-emulator.h"
#include "kvb-test-sync.h"

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

static GtkWindow *
wait_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

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

/* The file chooser GtkFileChooserNative falls back to (no portal here), accepted with @folder as
 * its folder, as a person picks a folder and presses the accept button.  Returns its title. */
static char *
accept_chooser (const char *folder,
                char      **current_name)
{
  GtkWindow *dialog = wait_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_autoptr(GFile) dir = g_file_new_for_path (folder);
  g_autoptr(GError) error = NULL;
  char *title = g_strdup (gtk_window_get_title (dialog));

  if (current_name != NULL)
    *current_name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (dialog));
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), dir, &error));
  g_assert_no_error (error);
  spin (200);
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
                     KvbBackupJob      *job,
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
  g_assert_true (wait_until (page_is_done, page, 300));
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

/* Seven selected objects through the storm: five saved (one is a certificate's managed secret,
 * saved as the certificate), one skipped as its file is there, one failed for want of the
 * permission; the card follows to 1.0 and says so; the files restore into another vault; Retry
 * Failed runs only the failed one again. */
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
  g_autofree char *kept = g_build_filename (folder, VAULT ".bulk-03.secret.kvbackup", NULL);
  g_autofree char *title = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *result = NULL;
  KvbBackupJobItem *failed;
  GListModel *job;
  KvbJobSummary summary;
  Page page;
  guint n_notified;
  const char *saved[] = { "db-password.secret", "api-token.secret", "bulk-01.secret",
                          "bulk-02.secret", "web.certificate" };

  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "db-password"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "api-token"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-01"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-02"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "bulk-03"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_KEY, "signing"));
  g_ptr_array_add (objects, find_object (dl, KVB_OBJECT_KIND_SECRET, "web"));   /* managed */
  g_assert_true (g_file_set_contents (kept, "precious", -1, &error));

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
  g_assert_cmpuint (summary.n_done, ==, 5);
  g_assert_cmpuint (summary.n_skipped, ==, 1);
  g_assert_cmpuint (summary.n_failed, ==, 1);

  /* The card: every row finished, the bar full, the summary in words. */
  job = kvb_operation_card_get_items (page.card);
  g_assert_true (job == G_LIST_MODEL (kvb_download_backup_get_job (page.op)));
  g_assert_cmpuint (g_list_model_get_n_items (job), ==, 7);
  g_assert_false (kvb_operation_card_get_running (page.card));
  g_assert_cmpfloat_with_epsilon (card_fraction (page.card), 1.0, 1e-9);
  g_assert_cmpstr (kvb_operation_card_get_summary (page.card), ==, "5 saved, 1 skipped, 1 failed");
  {
    g_autofree char *card_title = kvb_download_backup_dup_title (page.op);
    g_assert_cmpstr (card_title, ==, "Downloading 7 backups to “several”");
    g_assert_nonnull (find_widget (GTK_WIDGET (page.card), GTK_TYPE_LABEL, card_title));
  }
  result = kvb_download_backup_dup_result (page.op);
  g_assert_cmpstr (result, ==, "Backups saved to “several”: 5 saved, 1 skipped, 1 failed");
  for (guint i = 0; i < G_N_ELEMENTS (saved); i++)
    {
      g_autofree char *name = g_strdup_printf (VAULT ".%s.kvbackup", saved[i]);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      assert_mode (path, 0600);
      g_list_store_append (files, file);
    }
  g_assert_cmpint (kvb_backup_job_item_get_status (item_of (job, "web")), ==, KVB_JOB_STATUS_DONE);
  g_assert_cmpint (kvb_backup_job_item_get_kind (item_of (job, "web")), ==,
                   KVB_OBJECT_KIND_CERTIFICATE);
  g_assert_cmpint (kvb_backup_job_item_get_status (item_of (job, "bulk-03")), ==,
                   KVB_JOB_STATUS_SKIPPED);
  g_assert_true (g_file_get_contents (kept, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, "precious");

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
                   "Backups Downloaded: Backups saved to “several”: 5 saved, 1 skipped, 1 failed");

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
    g_autoptr(GAsyncResult) res = NULL;

    kvb_restore_plan_run_async (plan, NULL, result_cb, &res);
    g_assert_true (wait_until (result_ready, &res, 300));
    g_assert_true (kvb_restore_plan_run_finish (plan, res, &summary, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (summary.n_done, ==, G_N_ELEMENTS (saved));
    g_assert_cmpuint (summary.n_failed, ==, 0);
  }
  {
    g_autoptr(KvbObjectInfo) restored = find_object (target, KVB_OBJECT_KIND_CERTIFICATE, "web");
    g_autoptr(KvbObjectInfo) secret = find_object (target, KVB_OBJECT_KIND_SECRET, "db-password");
  }

  /* Retry Failed: a new job with only the failed object, shown by the same card. */
  g_signal_emit_by_name (find_widget (GTK_WIDGET (page.card), GTK_TYPE_BUTTON, "_Retry Failed"),
                         "clicked");
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

  g_test_add_func ("/download-backup/several", test_several);

  rc = g_test_run ();

  g_application_set_default (NULL);
  g_clear_pointer (&notifications, g_ptr_array_unref);
  g_clear_object (&cred);
  g_clear_object (&pipeline);
  g_clear_object (&cloud);
  g_clear_pointer (&emu, kvb_test_emulator_stop);
  return rc;
}
