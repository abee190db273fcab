/* kvb-restore-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-restore-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kvb-error.h"
#include "kvb-history.h"
#include "kvb-restore-dialog.h"
#include "kvb-restore-plan.h"
#include "kvb-restore-row.h"
#include "kvb-vault-restore.h"

struct _KvbRestoreDialog
{
  AdwWindow          parent_instance;

  /* Template widgets */
  AdwWindowTitle    *window_title;
  GtkStack          *stack;
  GtkSpinner        *checking_spinner;
  AdwStatusPage     *error_page;
  GtkLabel          *target_label;
  GtkLabel          *plan_label;
  GtkWidget         *soft_deleted_box;
  GtkLabel          *soft_deleted_label;
  GtkWidget         *purge_all_button;
  GtkListBox        *list_box;
  GtkWidget         *stop_row;
  GtkSwitch         *stop_switch;
  GtkProgressBar    *progress_bar;
  GtkLabel          *summary_label;
  GtkWidget         *cancel_button;
  GtkWidget         *retry_button;
  GtkWidget         *close_button;
  GtkWidget         *restore_button;

  KvbKeyVaultClient *client;
  KvbVaultInfo      *vault;
  KvbRestorePlan    *plan;
  GCancellable      *cancellable;
  KvbHistory        *history;        /* the user's history of operations */
  /* Restore Folder: the whole-vault backup, its pre-flight, plan and check afterwards. */
  GFile             *folder;
  KvbVaultRestore   *vault_restore;
  GtkFilter         *needs_row;      /* the entries a folder's plan lists one by one */
  guint              n_problems_before_run;
  gboolean           preparing;
  gboolean           running;
  /* The plan ran (a plan runs once). */
  gboolean           ran;
  guint              n_failed;
};

G_DEFINE_FINAL_TYPE (KvbRestoreDialog, kvb_restore_dialog, ADW_TYPE_WINDOW)

enum
{
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
editable (KvbRestoreDialog *self)
{
  return !self->preparing && !self->running && !self->ran;
}

/* Buttons and actions follow the step the dialog is at. */
static void
update_actions (KvbRestoreDialog *self)
{
  gboolean ready = self->plan != NULL && editable (self) &&
                   g_list_model_get_n_items (G_LIST_MODEL (self->plan)) > 0 &&
                   kvb_restore_plan_count_undecided (self->plan) == 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "restore.run", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "restore.cancel", self->running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "restore.retry-failed",
                                 self->ran && !self->running && self->n_failed > 0);
  gtk_widget_set_visible (self->cancel_button, self->running);
  gtk_widget_set_visible (self->retry_button, self->ran && !self->running && self->n_failed > 0);
  gtk_widget_set_visible (self->close_button, !self->running);
  gtk_widget_set_visible (self->restore_button, !self->ran && !self->running);
  gtk_widget_set_sensitive (self->close_button, !self->running);
  gtk_widget_set_sensitive (self->stop_row, editable (self));

  /* Several deleted objects hold names of files: one choice for all of them, as well as one
   * per file. */
  {
    guint n_deleted = self->plan != NULL && editable (self)
                      ? kvb_restore_plan_count_soft_deleted (self->plan) : 0;
    gboolean protected = self->vault != NULL && kvb_vault_info_get_purge_protection (self->vault);

    gtk_widget_set_visible (self->soft_deleted_box, n_deleted >= 2);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "restore.recover-all", n_deleted >= 2);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "restore.purge-all", n_deleted >= 2 && !protected);
    gtk_widget_set_visible (self->purge_all_button, !protected);
    if (n_deleted >= 2)
      {
        g_autofree char *text =
          g_strdup_printf (ngettext ("Deleted objects hold the names of %u files:",
                                     "Deleted objects hold the names of %u files:", n_deleted),
                           n_deleted);

        gtk_label_set_label (self->soft_deleted_label, text);
      }
  }

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KVB_IS_RESTORE_ROW (child))
      kvb_restore_row_set_editable (KVB_RESTORE_ROW (child), editable (self));

  if (self->plan != NULL && editable (self))
    {
      guint undecided = kvb_restore_plan_count_undecided (self->plan);

      if (undecided > 0)
        {
          g_autofree char *text = g_strdup_printf (ngettext ("%u file needs a choice before the restore can start.",
                                                             "%u files need a choice before the restore can start.",
                                                             undecided), undecided);
          gtk_label_set_label (self->summary_label, text);
        }
      else
        gtk_label_set_label (self->summary_label, "");
    }
}

static void
update_progress (KvbRestoreDialog *self)
{
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->plan));
  guint finished = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < total; i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);
      KvbJobStatus status = kvb_restore_plan_entry_get_status (entry);

      if (status == KVB_JOB_STATUS_DONE || status == KVB_JOB_STATUS_SKIPPED ||
          status == KVB_JOB_STATUS_FAILED)
        finished++;
    }

  /* TRANSLATORS: progress of a restore, "2 of 5". */
  text = g_strdup_printf (_("%u of %u"), finished, total);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) finished / total : 1.0);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  KvbRestoreDialog *self = user_data;

  return kvb_restore_row_new (self->plan, KVB_RESTORE_PLAN_ENTRY (item));
}

/* The plan is ready: follow its entries, and show it. */
static void
show_plan (KvbRestoreDialog *self)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);

      g_signal_connect_object (entry, "notify::action", G_CALLBACK (update_actions), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entry, "notify::state", G_CALLBACK (update_actions), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entry, "notify::status", G_CALLBACK (update_progress), self,
                               G_CONNECT_SWAPPED);
    }
  gtk_stack_set_visible_child_name (self->stack, "plan");
  update_actions (self);
}

static void
prepare_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KvbRestoreDialog) self = user_data;
  KvbRestorePlan *plan = KVB_RESTORE_PLAN (source);
  g_autoptr(GError) error = NULL;

  if (!kvb_restore_plan_prepare_finish (plan, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || plan != self->plan)
        return;
      self->preparing = FALSE;
      gtk_spinner_stop (self->checking_spinner);
      /* The core's messages are sentences for people, never a raw answer. */
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      update_actions (self);
      return;
    }
  if (plan != self->plan)
    return;

  self->preparing = FALSE;
  gtk_spinner_stop (self->checking_spinner);
  show_plan (self);
}

static void
start_prepare (KvbRestoreDialog *self,
               GListModel       *files)
{
  if (self->plan != NULL)
    g_signal_handlers_disconnect_by_data (self->plan, self);
  g_clear_object (&self->plan);
  self->plan = kvb_restore_plan_new (self->client,
                                     self->vault != NULL &&
                                     kvb_vault_info_get_purge_protection (self->vault));
  kvb_restore_plan_set_stop_at_name_in_use (self->plan, gtk_switch_get_active (self->stop_switch));
  self->preparing = TRUE;
  self->ran = FALSE;
  self->n_failed = 0;

  g_clear_object (&self->needs_row);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->plan), create_row, self, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->list_box), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->plan_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  gtk_label_set_label (self->summary_label, "");
  gtk_spinner_start (self->checking_spinner);
  gtk_stack_set_visible_child_name (self->stack, "checking");
  update_actions (self);

  kvb_restore_plan_prepare_async (self->plan, files, self->cancellable, prepare_cb,
                                  g_object_ref (self));
}

/* ---- Restore Folder ---- */

static void
show_refusal (KvbRestoreDialog *self,
              const char       *title,
              const char       *sentence)
{
  self->preparing = FALSE;
  gtk_spinner_stop (self->checking_spinner);
  adw_status_page_set_title (self->error_page, title);
  /* The core's messages are sentences for people, never a raw answer. */
  adw_status_page_set_description (self->error_page, sentence);
  gtk_stack_set_visible_child_name (self->stack, "error");
  update_actions (self);
}

/* A folder holds hundreds of objects: those whose name is free (restored) or in use (skipped,
 * a restore never overwrites) are counted; those that need a choice or say something of their
 * own (soft-deleted, a file that does not say its name or kind, a file that cannot be read) are
 * listed one by one, and so is each one that failed. */
static gboolean
needs_row (gpointer item,
           gpointer user_data)
{
  KvbRestorePlanEntry *entry = item;
  KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);

  return (state != KVB_RESTORE_STATE_FREE && state != KVB_RESTORE_STATE_EXISTS) ||
         kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_FAILED;
}

static void
folder_rows_changed (KvbRestoreDialog *self)
{
  if (self->needs_row != NULL)
    gtk_filter_changed (self->needs_row, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
update_listed (KvbRestoreDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->list_box),
                          gtk_widget_get_first_child (GTK_WIDGET (self->list_box)) != NULL);
}

static void
show_folder_plan (KvbRestoreDialog *self)
{
  g_autoptr(GtkFilterListModel) listed = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->plan)), n_free = 0, n_exists = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);

      if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_FREE)
        n_free++;
      else if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_EXISTS)
        n_exists++;
      g_signal_connect_object (entry, "notify::status", G_CALLBACK (folder_rows_changed), self,
                               G_CONNECT_SWAPPED);
    }

  if (n_free > 0)
    g_string_append_printf (text, ngettext ("%u object has a free name in the vault and is restored.",
                                            "%u objects have free names in the vault and are restored.",
                                            n_free), n_free);
  if (n_exists > 0)
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append_printf (text, ngettext ("%u name is in use and is skipped: a restore never overwrites.",
                                              "%u names are in use and are skipped: a restore never overwrites.",
                                              n_exists), n_exists);
    }
  gtk_label_set_label (self->plan_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->plan_label), text->len > 0);

  g_clear_object (&self->needs_row);
  self->needs_row = GTK_FILTER (gtk_custom_filter_new (needs_row, NULL, NULL));
  listed = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->plan)),
                                      g_object_ref (self->needs_row));
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (listed), create_row, self, NULL);
  g_signal_connect_object (listed, "items-changed", G_CALLBACK (update_listed), self,
                           G_CONNECT_SWAPPED);
  update_listed (self);
}

static void
folder_prepared_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KvbRestoreDialog) self = user_data;
  KvbVaultRestore *vault_restore = KVB_VAULT_RESTORE (source);
  g_autoptr(GError) error = NULL;
  GPtrArray *problems;

  if (!kvb_vault_restore_prepare_finish (vault_restore, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          vault_restore != self->vault_restore)
        return;
      show_refusal (self, _("The Vault Cannot Be Checked"), error->message);
      return;
    }
  if (vault_restore != self->vault_restore)
    return;

  self->preparing = FALSE;
  gtk_spinner_stop (self->checking_spinner);
  g_set_object (&self->plan, kvb_vault_restore_get_plan (vault_restore));
  kvb_restore_plan_set_stop_at_name_in_use (self->plan, gtk_switch_get_active (self->stop_switch));
  show_folder_plan (self);
  show_plan (self);

  /* Files that do not match the manifest are left out before anything is sent. */
  problems = kvb_vault_restore_get_problems (vault_restore);
  if (problems->len > 0)
    {
      g_autofree char *text =
        g_strdup_printf (ngettext ("%u file does not match the manifest and is left out: %s",
                                   "%u files do not match the manifest and are left out: %s",
                                   problems->len),
                         problems->len, (const char *) g_ptr_array_index (problems, 0));

      gtk_label_set_label (self->summary_label, text);
    }
}

static void
start_folder (KvbRestoreDialog *self)
{
  g_autoptr(GError) error = NULL;
  const char *notice;

  self->preparing = TRUE;
  gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  gtk_spinner_start (self->checking_spinner);
  gtk_stack_set_visible_child_name (self->stack, "checking");
  update_actions (self);

  self->vault_restore = kvb_vault_restore_new (self->client, self->folder);
  /* The pre-flight reads only manifest.json, and sends nothing: another subscription or
   * geography, or a folder that is no vault backup, is refused here. */
  if (!kvb_vault_restore_load (self->vault_restore, self->vault, &error))
    {
      show_refusal (self,
                    g_error_matches (error, KVB_ERROR, KVB_ERROR_WRONG_SCOPE)
                      ? _("This Backup Cannot Be Restored Here")
                      : _("This Folder Cannot Be Restored"),
                    error->message);
      return;
    }

  notice = kvb_vault_restore_get_notice (self->vault_restore);
  if (notice != NULL)
    {
      g_autofree char *target = g_strdup_printf ("%s\n%s", gtk_label_get_label (self->target_label),
                                                 notice);

      gtk_label_set_label (self->target_label, target);
    }

  kvb_vault_restore_prepare_async (self->vault_restore, KVB_RESTORE_ACTION_NONE, self->cancellable,
                                   folder_prepared_cb, g_object_ref (self));
}

static char *
summary_text (const KvbJobSummary *summary,
              gboolean             cancelled)
{
  g_autofree char *done = g_strdup_printf (ngettext ("%u restored", "%u restored", summary->n_done),
                                           summary->n_done);
  g_autofree char *skipped = g_strdup_printf (ngettext ("%u skipped", "%u skipped", summary->n_skipped),
                                              summary->n_skipped);
  g_autofree char *failed = g_strdup_printf (ngettext ("%u failed", "%u failed", summary->n_failed),
                                             summary->n_failed);

  if (cancelled)
    /* TRANSLATORS: "Cancelled: 2 restored, 0 skipped, 0 failed; …". */
    return g_strdup_printf (_("Cancelled: %s, %s, %s; the other files were not touched"),
                            done, skipped, failed);
  /* TRANSLATORS: "3 restored, 1 skipped, 1 failed". */
  return g_strdup_printf (_("%s, %s, %s"), done, skipped, failed);
}

/* ---- The history ---- */

typedef struct
{
  KvbRestoreDialog *self;
  KvbHistory *history;
  GPtrArray *lines;      /* JsonObject, written in order, one after the other */
  guint next;
  KvbJobSummary summary;
  gboolean cancelled;
} Recording;

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Recording *recording = user_data;
  g_autoptr(GError) error = NULL;

  /* The restore ran whatever happens to its line: a failure is only worth a warning. */
  if (!kvb_history_append_finish (KVB_HISTORY (source), result, &error))
    g_warning ("%s", error->message);
  /* One at a time: the restore's line comes before those of its recoveries and purges. */
  if (recording->next < recording->lines->len)
    {
      kvb_history_append_async (recording->history, g_ptr_array_index (recording->lines, recording->next++),
                                NULL, recorded_cb, recording);
      return;
    }
  /* "finished" comes once the lines are there, so that whoever shows the history sees them. */
  g_signal_emit (recording->self, signals[FINISHED], 0, recording->summary.n_done,
                 recording->summary.n_skipped, recording->summary.n_failed, recording->cancelled);
  g_object_unref (recording->self);
  g_object_unref (recording->history);
  g_ptr_array_unref (recording->lines);
  g_free (recording);
}

static JsonObject *
history_entry_new (KvbRestoreDialog *self,
                   const char       *operation,
                   gboolean          whole_folder)
{
  JsonObject *entry = kvb_history_entry_new (operation, self->vault != NULL
                                                        ? kvb_vault_info_get_name (self->vault)
                                                        : NULL);

  json_object_set_string_member (entry, "vaultUrl", kvb_keyvault_client_get_vault_url (self->client));
  if (whole_folder && g_file_peek_path (self->folder) != NULL)
    json_object_set_string_member (entry, "folder", g_file_peek_path (self->folder));
  return entry;
}

/* The lines kvbackup restore writes too: one for the restore (its files, or its folder), and
 * one each for the deleted objects it recovered and purged, with their names.  Then
 * "finished". */
static void
record_and_finish (KvbRestoreDialog    *self,
                   const KvbJobSummary *summary,
                   const GError        *error,
                   gboolean             cancelled)
{
  g_autoptr(JsonObject) entry = NULL;
  g_autoptr(JsonArray) recovered = json_array_new ();
  g_autoptr(JsonArray) purged = json_array_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *files;
  JsonObject *counts;
  const char *reason = NULL;
  guint n;
  /* The retry of a folder's failed files is a plan of files like any other. */
  gboolean whole_folder = self->vault_restore != NULL &&
                          self->plan == kvb_vault_restore_get_plan (self->vault_restore);
  Recording *recording;

  /* Refused before any request: nothing was done to the vault.  (Or the dialog went meanwhile,
   * and its plan with it.) */
  if (!self->ran || self->plan == NULL || self->history == NULL)
    {
      g_signal_emit (self, signals[FINISHED], 0, summary->n_done, summary->n_skipped,
                     summary->n_failed, cancelled);
      return;
    }

  files = json_array_new ();
  n = g_list_model_get_n_items (G_LIST_MODEL (self->plan));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbRestorePlanEntry) item = g_list_model_get_item (G_LIST_MODEL (self->plan), i);
      KvbJobStatus status = kvb_restore_plan_entry_get_status (item);
      KvbRestoreAction action = kvb_restore_plan_entry_get_action (item);
      const char *name = kvb_restore_plan_entry_get_name (item);
      GFile *file = kvb_restore_plan_entry_get_file (item);

      /* A file of a remote mount has no path: the history names only local places. */
      if (g_file_peek_path (file) != NULL)
        json_array_add_string_element (files, g_file_peek_path (file));
      if (status == KVB_JOB_STATUS_FAILED && reason == NULL)
        reason = kvb_restore_plan_entry_get_message (item);
      if (status == KVB_JOB_STATUS_DONE && name != NULL && action == KVB_RESTORE_ACTION_RECOVER)
        json_array_add_string_element (recovered, name);
      else if (status == KVB_JOB_STATUS_DONE && name != NULL &&
               action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
        json_array_add_string_element (purged, name);
    }

  entry = history_entry_new (self, KVB_HISTORY_RESTORE, whole_folder);
  /* A folder names its hundreds of files well enough. */
  if (!whole_folder)
    json_object_set_array_member (entry, "files", files);
  else
    json_array_unref (files);
  kvb_history_entry_set_outcome (entry, n, summary->n_done, summary->n_skipped, summary->n_failed,
                                 error, reason);
  counts = json_object_get_object_member (entry, "counts");
  json_object_set_int_member (counts, "recovered", json_array_get_length (recovered));
  json_object_set_int_member (counts, "purged", json_array_get_length (purged));
  g_ptr_array_add (lines, g_steal_pointer (&entry));

  for (guint k = 0; k < 2; k++)
    {
      JsonArray *names = k == 0 ? recovered : purged;
      guint n_names = json_array_get_length (names);
      JsonObject *line;

      if (n_names == 0)
        continue;
      line = history_entry_new (self, k == 0 ? KVB_HISTORY_RECOVER : KVB_HISTORY_PURGE,
                                whole_folder);
      json_object_set_array_member (line, "names", json_array_ref (names));
      kvb_history_entry_set_outcome (line, n_names, n_names, 0, 0, NULL, NULL);
      g_ptr_array_add (lines, line);
    }

  recording = g_new0 (Recording, 1);
  recording->self = g_object_ref (self);
  recording->history = g_object_ref (self->history);
  recording->lines = g_steal_pointer (&lines);
  recording->next = 1;
  recording->summary = *summary;
  recording->cancelled = cancelled;
  /* Not cancellable: a restore that ran is recorded even when the dialog closes meanwhile. */
  kvb_history_append_async (recording->history, g_ptr_array_index (recording->lines, 0), NULL,
                            recorded_cb, recording);
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(KvbRestoreDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  KvbJobSummary summary = { 0, };
  gboolean cancelled;

  kvb_restore_plan_run_finish (KVB_RESTORE_PLAN (source), result, &summary, &error);
  cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  self->running = FALSE;
  /* Refused before any request (a name in use while the restore stops at one): nothing ran,
   * and the user may skip those files and press Restore again. */
  self->ran = !g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  self->n_failed = summary.n_failed;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  update_progress (self);
  /* Before the summary: while the plan is still open to choices, this clears the line. */
  update_actions (self);
  if (error != NULL && !cancelled)
    gtk_label_set_label (self->summary_label, error->message);
  else
    {
      text = summary_text (&summary, cancelled);
      gtk_label_set_label (self->summary_label, text);
    }
  if (!self->ran)
    gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  gtk_widget_grab_focus (!self->ran ? GTK_WIDGET (self->stop_switch)
                         : self->n_failed > 0 ? self->retry_button : self->close_button);

  record_and_finish (self, &summary, error, cancelled);
}

static void
stop_switch_changed_cb (KvbRestoreDialog *self)
{
  if (self->plan != NULL)
    kvb_restore_plan_set_stop_at_name_in_use (self->plan, gtk_switch_get_active (self->stop_switch));
}

static void
folder_run_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KvbRestoreDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *check = NULL;
  KvbJobSummary summary = { 0, };
  GPtrArray *problems;
  gboolean ok, cancelled;

  ok = kvb_vault_restore_run_finish (KVB_VAULT_RESTORE (source), result, &summary, &error);
  cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (self->client == NULL)
    return;

  self->running = FALSE;
  /* As run_cb: a refusal before any request leaves the plan open to choices. */
  self->ran = !g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE);
  self->n_failed = summary.n_failed;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  problems = kvb_vault_restore_get_problems (KVB_VAULT_RESTORE (source));
  if (ok && problems->len <= self->n_problems_before_run)
    check = g_strdup (_("Checked afterwards: every object of the backup is in the vault, each "
                        "restored one with its versions."));
  else if (ok)
    {
      guint n = problems->len - self->n_problems_before_run;

      /* translators: a count, then the first problem the check found (a sentence) */
      check = g_strdup_printf (ngettext ("Checked afterwards: %u problem. %s",
                                         "Checked afterwards: %u problems. %s", n),
                               n, (const char *) g_ptr_array_index (problems, self->n_problems_before_run));
    }

  if (error != NULL && !cancelled)
    text = g_strdup (error->message);
  else
    {
      g_autofree char *counts = summary_text (&summary, cancelled);

      /* translators: the counts of a restore, then the sentence of the check afterwards */
      text = check != NULL ? g_strdup_printf (_("%s. %s"), counts, check) : g_steal_pointer (&counts);
    }
  gtk_label_set_label (self->summary_label, text);
  update_progress (self);
  update_actions (self);
  gtk_widget_grab_focus (self->n_failed > 0 ? self->retry_button : self->close_button);

  record_and_finish (self, &summary, error, cancelled);
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (widget);

  if (self->plan == NULL || !editable (self) || kvb_restore_plan_count_undecided (self->plan) > 0)
    return;

  self->running = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  gtk_label_set_label (self->summary_label, "");
  update_progress (self);
  update_actions (self);
  gtk_widget_grab_focus (self->cancel_button);

  /* A folder's plan is run by its KvbVaultRestore, which checks the vault afterwards; a retry
   * of its failed files is a plan of files like any other. */
  if (self->vault_restore != NULL && self->plan == kvb_vault_restore_get_plan (self->vault_restore))
    {
      self->n_problems_before_run = kvb_vault_restore_get_problems (self->vault_restore)->len;
      kvb_vault_restore_run_async (self->vault_restore, self->cancellable, folder_run_cb,
                                   g_object_ref (self));
    }
  else
    kvb_restore_plan_run_async (self->plan, self->cancellable, run_cb, g_object_ref (self));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (widget);

  if (self->running)
    g_cancellable_cancel (self->cancellable);
}

/* A plan runs once, so the failed files go into a new plan: it also checks the vault again,
 * which may have changed since (a name now taken, a deleted object now purged). */
static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (widget);
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);

  if (!self->ran || self->running || self->plan == NULL)
    return;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);

      if (kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_FAILED)
        g_list_store_append (files, kvb_restore_plan_entry_get_file (entry));
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (files)) > 0)
    start_prepare (self, G_LIST_MODEL (files));
}

/* ---- One choice for every name held by a deleted object ---- */

static void
choose_for_soft_deleted (KvbRestoreDialog *self,
                         KvbRestoreAction  action)
{
  g_autoptr(GError) error = NULL;

  if (self->plan == NULL || !editable (self))
    return;
  /* The rows follow their entries' "action". */
  if (!kvb_restore_plan_choose_for_soft_deleted (self->plan, action, NULL, &error))
    gtk_label_set_label (self->summary_label, error->message);
  update_actions (self);
}

static void
recover_all_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  choose_for_soft_deleted (KVB_RESTORE_DIALOG (widget), KVB_RESTORE_ACTION_RECOVER);
}

static void
purge_all_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       KvbRestoreDialog *self)
{
  if (g_strcmp0 (response, "purge") == 0)
    choose_for_soft_deleted (self, KVB_RESTORE_ACTION_PURGE_AND_RESTORE);
}

/* As for one file, nothing is chosen until a confirmation that says what is lost. */
static void
purge_all_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (widget);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  guint n = 0;
  GtkWidget *dialog;

  if (self->plan == NULL || !editable (self))
    return;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->plan)); i++)
    {
      g_autoptr(KvbRestorePlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->plan), i);

      if (kvb_restore_plan_entry_get_state (entry) != KVB_RESTORE_STATE_SOFT_DELETED)
        continue;
      if (n < 5)
        g_string_append_printf (names, "%s“%s”", n > 0 ? ", " : "",
                                kvb_restore_plan_entry_get_name (entry));
      n++;
    }
  if (n == 0)
    return;
  if (n > 5)
    g_string_append (names, ", …");

  heading = g_strdup_printf (ngettext ("Purge %u Deleted Object and Restore Its Backup?",
                                       "Purge %u Deleted Objects and Restore Their Backups?", n), n);
  /* translators: the names of the deleted objects */
  body = g_strdup_printf (_("%s and all their versions are removed for good before the backups are "
                            "restored; a deleted certificate takes its key and secret with it. The "
                            "deleted objects cannot be recovered afterwards, and what changed in them "
                            "since the backups were made is lost. This cannot be undone."),
                          names->str);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "purge", _("_Purge and Restore All"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "purge",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (purge_all_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
kvb_restore_dialog_close_request (GtkWindow *window)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (window);

  /* A restore stops between requests only: Cancel first, then close. */
  if (self->running)
    return TRUE;

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (kvb_restore_dialog_parent_class)->close_request (window);
}

static void
kvb_restore_dialog_dispose (GObject *object)
{
  KvbRestoreDialog *self = KVB_RESTORE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_RESTORE_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->plan);
  g_clear_object (&self->vault_restore);
  g_clear_object (&self->needs_row);
  g_clear_object (&self->folder);
  g_clear_object (&self->client);
  g_clear_object (&self->vault);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (kvb_restore_dialog_parent_class)->dispose (object);
}

static void
kvb_restore_dialog_class_init (KvbRestoreDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_restore_dialog_dispose;
  window_class->close_request = kvb_restore_dialog_close_request;

  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_BOOLEAN);

  g_type_ensure (KVB_TYPE_RESTORE_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-restore-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, checking_spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, target_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, plan_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, soft_deleted_box);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, soft_deleted_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, purge_all_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, list_box);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, stop_row);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, stop_switch);
  gtk_widget_class_bind_template_callback (widget_class, stop_switch_changed_cb);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, retry_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, close_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreDialog, restore_button);

  gtk_widget_class_install_action (widget_class, "restore.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "restore.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "restore.retry-failed", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "restore.recover-all", NULL, recover_all_action);
  gtk_widget_class_install_action (widget_class, "restore.purge-all", NULL, purge_all_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "restore.run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kvb_restore_dialog_init (KvbRestoreDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->history = kvb_history_new_default ();
}

static KvbRestoreDialog *
dialog_new (GtkWindow         *parent,
            KvbKeyVaultClient *client,
            KvbVaultInfo      *vault)
{
  KvbRestoreDialog *self;
  const char *name, *location;
  g_autofree char *target = NULL;
  g_autofree char *fallback_name = NULL;

  self = g_object_new (KVB_TYPE_RESTORE_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->vault = vault != NULL ? g_object_ref (vault) : NULL;

  name = vault != NULL ? kvb_vault_info_get_name (vault) : NULL;
  location = vault != NULL ? kvb_vault_info_get_location (vault) : NULL;
  if (name == NULL)
    {
      /* A vault's name is the first label of its host. */
      g_autoptr(GUri) uri = g_uri_parse (kvb_keyvault_client_get_vault_url (client),
                                         G_URI_FLAGS_NONE, NULL);
      const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

      fallback_name = host != NULL ? g_strndup (host, strcspn (host, "."))
                                   : g_strdup (kvb_keyvault_client_get_vault_url (client));
      name = fallback_name;
    }
  if (location != NULL)
    target = g_strdup_printf (_("Into the key vault “%s” (%s)"), name, location);
  else
    target = g_strdup_printf (_("Into the key vault “%s”"), name);
  gtk_label_set_label (self->target_label, target);
  adw_window_title_set_subtitle (self->window_title, name);

  return self;
}

GtkWidget *
kvb_restore_dialog_new (GtkWindow         *parent,
                        KvbKeyVaultClient *client,
                        KvbVaultInfo      *vault,
                        GListModel        *files)
{
  KvbRestoreDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (vault == NULL || KVB_IS_VAULT_INFO (vault), NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (files), NULL);

  self = dialog_new (parent, client, vault);
  start_prepare (self, files);

  return GTK_WIDGET (self);
}

GtkWidget *
kvb_restore_dialog_new_for_folder (GtkWindow         *parent,
                                   KvbKeyVaultClient *client,
                                   KvbVaultInfo      *vault,
                                   GFile             *folder)
{
  KvbRestoreDialog *self;
  g_autofree char *display = NULL;
  g_autofree char *source = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);
  g_return_val_if_fail (vault == NULL || KVB_IS_VAULT_INFO (vault), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = dialog_new (parent, client, vault);
  self->folder = g_object_ref (folder);
  gtk_window_set_title (GTK_WINDOW (self), _("Restore Folder"));
  adw_window_title_set_title (self->window_title, _("Restore Folder"));
  display = g_file_get_parse_name (folder);
  /* translators: where the restore comes from, then "Into the key vault “NAME” (LOCATION)" */
  source = g_strdup_printf (_("From the vault backup in “%s”\n%s"), display,
                            gtk_label_get_label (self->target_label));
  gtk_label_set_label (self->target_label, source);
  start_folder (self);

  return GTK_WIDGET (self);
}
