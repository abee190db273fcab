/* kvb-schedule-runner.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-schedule-store.h"

G_BEGIN_DECLS

#define KVB_TYPE_SCHEDULE_RUNNER (kvb_schedule_runner_get_type ())

G_DECLARE_FINAL_TYPE (KvbScheduleRunner, kvb_schedule_runner, KVB, SCHEDULE_RUNNER, GObject)

/* Runs the schedules of @store when they are due (kvb_schedule_is_due()), as their systemd timer
 * would: the night's run of each (kvb_schedule_dup_argv(), the service's own script, so kvbackup
 * writes the backup, its manifest and the history line), each vault at most once at a time,
 * several vaults side by side.  The last run is recorded when a run starts, so a night that
 * failed is not repeated before the next run time.
 *
 * Signals: "finished" (vault, success, message): a run ended; @message says why it failed (the
 * last line kvbackup wrote), %NULL on success. */
KvbScheduleRunner *kvb_schedule_runner_new        (KvbScheduleStore  *store);
/* Looks at once, then every minute (the wall clock: a computer that slept past 02:30 runs it on
 * waking), until stopped. */
void               kvb_schedule_runner_start      (KvbScheduleRunner *self);
/* Looks now (after the store changed, say). */
void               kvb_schedule_runner_check      (KvbScheduleRunner *self);
/* Stops looking, and ends the runs under way (SIGTERM: kvbackup stops within a second, and the
 * next run resumes or starts from its last complete backup). */
void               kvb_schedule_runner_stop       (KvbScheduleRunner *self);
/* How many runs are under way. */
guint              kvb_schedule_runner_get_n_running (KvbScheduleRunner *self);

G_END_DECLS
