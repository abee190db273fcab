/* kvb-restore-chooser.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Asks for the backup files to restore, with the system's file chooser (the portal under
 * Flatpak): several files may be chosen.  The finish gives a GListModel of GFile, or
 * G_IO_ERROR_CANCELLED when the user (or @cancellable) cancelled. */
void        kvb_restore_choose_files_async  (GtkWindow            *parent,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GListModel *kvb_restore_choose_files_finish (GAsyncResult         *result,
                                             GError              **error);

/* Asks for a folder (SELECT_FOLDER) with @title on the dialog and @accept_label on its button:
 * where a whole-vault backup goes, or the backup folder to restore or compare.  The finish gives
 * the folder, or G_IO_ERROR_CANCELLED. */
void        kvb_restore_choose_folder_async  (GtkWindow            *parent,
                                              const char           *title,
                                              const char           *accept_label,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GFile      *kvb_restore_choose_folder_finish (GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
