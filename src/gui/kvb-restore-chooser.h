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

G_END_DECLS
