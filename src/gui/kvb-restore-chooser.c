/* kvb-restore-chooser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-restore-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-restore-chooser.h"

static gboolean
release_idle_cb (gpointer user_data)
{
  GtkNativeDialog *native = user_data;

  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  return G_SOURCE_REMOVE;
}

/* Ends the task once: closes the dialog and returns @files, or the cancellation without. */
static void
finish (GTask      *task,
        GListModel *files)
{
  GtkNativeDialog *native = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong handler = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (native), "kvb-cancelled-id"));

  if (cancellable != NULL && handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  g_object_set_data (G_OBJECT (native), "kvb-cancelled-id", NULL);
  /* The task's callback may run only later: a cancellation queued meanwhile must not return it
   * a second time. */
  g_object_set_data (G_OBJECT (native), "kvb-finished", GINT_TO_POINTER (TRUE));
  gtk_native_dialog_hide (native);
  /* GTK's own dialog still has work queued for the main loop after it answers; it is let go only
   * once that has run. */
  g_idle_add_full (G_PRIORITY_LOW, release_idle_cb, g_object_ref (native), NULL);

  if (files == NULL || g_list_model_get_n_items (files) == 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             _("No file was chosen."));
  else
    g_task_return_pointer (task, g_object_ref (files), g_object_unref);
}

static void
response_cb (GtkNativeDialog *native,
             int              response,
             gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GListModel) files = NULL;

  /* Once: the task's reference goes with this handler. */
  g_signal_handlers_disconnect_by_func (native, response_cb, user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
  finish (task, files);
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  GtkNativeDialog *native = g_task_get_task_data (task);

  if (g_task_get_completed (task) || g_object_get_data (G_OBJECT (native), "kvb-finished") != NULL)
    return G_SOURCE_REMOVE;
  /* The dialog will not answer any more: its handler's reference to the task is dropped here. */
  if (g_signal_handlers_disconnect_by_func (native, response_cb, task) > 0)
    g_object_unref (task);
  finish (task, NULL);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              GTask        *task)
{
  /* Not from within the cancellable's emission, where disconnecting from it would block. */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_idle_cb, g_object_ref (task), g_object_unref);
}

/* Shows @native for @task: the task is held by the response handler, the dialog by the task. */
static void
show_chooser (GTask                *task,
              GtkFileChooserNative *native)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong handler = 0;

  g_task_set_task_data (task, g_object_ref (native), g_object_unref);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), task, NULL);
  g_object_set_data (G_OBJECT (native), "kvb-cancelled-id", GSIZE_TO_POINTER (handler));
  g_signal_connect (native, "response", G_CALLBACK (response_cb), g_object_ref (task));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
kvb_restore_choose_files_async (GtkWindow           *parent,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkFileChooserNative) native = NULL;
  g_autoptr(GtkFileFilter) backups = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* No source object: _finish() takes only the result, whoever the parent is. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_restore_choose_files_async);
  if (g_task_return_error_if_cancelled (task))
    return;

  native = gtk_file_chooser_native_new (_("Restore Backup"), parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);

  /* Our own files end in .kvbackup; files of az and PowerShell have whatever name their
   * user gave, .blob and .bak being the usual ones.  Anything else is under "All files". */
  gtk_file_filter_set_name (backups, _("Key Vault backups"));
  gtk_file_filter_add_suffix (backups, "kvbackup");
  gtk_file_filter_add_suffix (backups, "blob");
  gtk_file_filter_add_suffix (backups, "bak");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), backups);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (native), backups);

  show_chooser (task, native);
}

void
kvb_restore_choose_folder_async (GtkWindow           *parent,
                                 const char          *title,
                                 const char          *accept_label,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkFileChooserNative) native = NULL;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (title != NULL && accept_label != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_restore_choose_folder_async);
  if (g_task_return_error_if_cancelled (task))
    return;

  native = gtk_file_chooser_native_new (title, parent, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        accept_label, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  show_chooser (task, native);
}

GFile *
kvb_restore_choose_folder_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr(GListModel) files = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kvb_restore_choose_folder_async,
                        NULL);

  files = g_task_propagate_pointer (G_TASK (result), error);
  return files != NULL ? g_list_model_get_item (files, 0) : NULL;
}

GListModel *
kvb_restore_choose_files_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kvb_restore_choose_files_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
