/* kvb-operation-card.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/**
 * KvbOperation:
 * @KVB_OPERATION_DOWNLOAD: backups are downloaded into files ("10 saved")
 * @KVB_OPERATION_RESTORE: files are restored into a vault ("10 restored")
 * @KVB_OPERATION_VAULT_BACKUP: a whole vault is backed up into a folder ("291 backed up, 3
 *   covered by their certificate"); at the end only the failed objects stay listed
 *
 * What a card's job does, for the words of its summary.
 */
typedef enum
{
  KVB_OPERATION_DOWNLOAD,
  KVB_OPERATION_RESTORE,
  KVB_OPERATION_VAULT_BACKUP,
} KvbOperation;

#define KVB_TYPE_OPERATION_CARD (kvb_operation_card_get_type ())

G_DECLARE_FINAL_TYPE (KvbOperationCard, kvb_operation_card, KVB, OPERATION_CARD, AdwBin)

/* A running job of the main window: its title, a progress bar, one row per object (status icon,
 * name, kind, the core's message), Cancel while it runs, and at the end a summary with "Retry
 * Failed" (when something failed) and "Dismiss".
 *
 * The job is any GListModel whose items have the properties "name" (string), "kind" (uint, a
 * KvbObjectKind), "status" (KvbJobStatus) and "message" (string) with notify: KvbVaultBackup and
 * KvbRestorePlan both are.  The card never runs anything itself: Cancel cancels the
 * GCancellable it was given, and the runner calls kvb_operation_card_finish() at the end.
 *
 * Signals: "retry" (the user asked to run the failed objects again: start a new job with them
 * and give it to the card with kvb_operation_card_set_job()), "dismissed" (remove the card). */
GtkWidget   *kvb_operation_card_new          (void);
void         kvb_operation_card_set_job      (KvbOperationCard *self,
                                              KvbOperation      operation,
                                              const char       *title,
                                              GListModel       *items,
                                              GCancellable     *cancellable);
/* The job has ended: %NULL @error when it ran to the end, G_IO_ERROR_CANCELLED when it was
 * cancelled, or the core's error when it could not run at all. */
void         kvb_operation_card_finish       (KvbOperationCard *self,
                                              const GError     *error);
/* The same, with @note (nullable) after the summary (what a check afterwards found) and "Retry
 * Failed" offered when @offer_retry, whatever failed. */
void         kvb_operation_card_finish_with_note (KvbOperationCard *self,
                                              const GError     *error,
                                              const char       *note,
                                              gboolean          offer_retry);
/* (nullable): a line under the progress bar while the job runs ("1 failed, 4 throttled"). */
void         kvb_operation_card_set_detail   (KvbOperationCard *self,
                                              const char       *detail);
/* The label of the button that emits "retry" (default "_Retry Failed"), e.g. "_Resume". */
void         kvb_operation_card_set_retry_label (KvbOperationCard *self,
                                              const char       *label);
gboolean     kvb_operation_card_get_running  (KvbOperationCard *self);
/* (nullable): the summary shown once the job has ended. */
const char  *kvb_operation_card_get_summary  (KvbOperationCard *self);
/* (nullable): the items of the current job. */
GListModel  *kvb_operation_card_get_items    (KvbOperationCard *self);

/* The words of a summary, e.g. "10 saved, 1 skipped, 1 failed" or "Cancelled: 3 saved, 9 not
 * started"; shared with notifications so that both say the same. */
char        *kvb_operation_format_summary    (KvbOperation      operation,
                                              guint             n_done,
                                              guint             n_skipped,
                                              guint             n_failed,
                                              guint             n_not_started,
                                              gboolean          cancelled);

G_END_DECLS
