/* kvb-restore-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-keyvault-client.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

#define KVB_TYPE_RESTORE_DIALOG (kvb_restore_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KvbRestoreDialog, kvb_restore_dialog, KVB, RESTORE_DIALOG, AdwWindow)

/* "Restore Backup" of @files (a GListModel of GFile) into the vault of @client, described by
 * @vault (its name, location and purge protection).  The dialog checks the vault at once, lets
 * the user decide what each file needs, and runs the restore when asked.
 *
 * Signal "finished" (guint n_done, guint n_skipped, guint n_failed, gboolean cancelled): after
 * each run, for a toast or a notification; the object lists of the vault are then out of date.
 * A run that sent anything has its lines in the user's history by then (the restore, with its
 * files or folder, and one each for the recoveries and the purges, as kvbackup writes them). */
GtkWidget *kvb_restore_dialog_new (GtkWindow         *parent,
                                   KvbKeyVaultClient *client,
                                   KvbVaultInfo      *vault,
                                   GListModel        *files);

/* "Restore Folder": the whole-vault backup in @folder (a folder with manifest.json) into the vault
 * of @client.  First the core's pre-flight, with nothing sent: a folder that is no vault backup,
 * or a backup of another subscription or geography than @vault's, is refused with the core's
 * sentence.  Then the plan over the files that match the manifest (certificates first), with a
 * choice per soft-deleted name, the restore, and the check afterwards (every object of the
 * backup in the vault, each restored one with its versions), in the summary.  Same signal. */
GtkWidget *kvb_restore_dialog_new_for_folder (GtkWindow         *parent,
                                              KvbKeyVaultClient *client,
                                              KvbVaultInfo      *vault,
                                              GFile             *folder);

G_END_DECLS
