/* kvb-cli-progress.h: how far a backup or restore is, on stderr
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-job-status.h"

G_BEGIN_DECLS

/* The status of one item of a job's list model (KvbBackupJobItem, KvbRestorePlanEntry…). */
typedef KvbJobStatus (*KvbCliStatusFunc) (gpointer item);

typedef struct _KvbCliProgress KvbCliProgress;

/* On a terminal (stderr is one) a bar redrawn in place, a few times a second; elsewhere (a pipe,
 * a log file, cron) a plain line each time another tenth of the objects is finished and at
 * least once a minute, so that a log shows the pace without a line per object.  @verb says
 * what is done ("Backing up", "Restoring"); the lists can grow while the job runs. */
KvbCliProgress *kvb_cli_progress_new       (const char       *verb);
/* One job's list, named @label (a vault); several add up. */
void            kvb_cli_progress_add       (KvbCliProgress   *self,
                                            const char       *label,
                                            GListModel       *model,
                                            KvbCliStatusFunc  status);
void            kvb_cli_progress_start     (KvbCliProgress   *self);
/* Stops it; on a terminal the bar is cleared, so that what follows starts on a clean line. */
void            kvb_cli_progress_free      (KvbCliProgress   *self);

/* The line a pipe gets, for tests: "VERB: N of M objects finished (P %), F failed". */
char           *kvb_cli_progress_dup_line  (KvbCliProgress   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvbCliProgress, kvb_cli_progress_free)

G_END_DECLS
