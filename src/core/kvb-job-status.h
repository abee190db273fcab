/* kvb-job-status.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * KvbJobStatus:
 * @KVB_JOB_STATUS_PENDING: not started yet (or put back by a cancellation before it did anything)
 * @KVB_JOB_STATUS_RUNNING: being worked on now
 * @KVB_JOB_STATUS_DONE: finished as asked
 * @KVB_JOB_STATUS_SKIPPED: left alone, on purpose; the message says why
 * @KVB_JOB_STATUS_FAILED: did not work; the message is the core's sentence saying why
 *
 * Where one object of a restore plan or a backup job stands.  Shared by both, so that the
 * window and `kvbackup` show progress the same way whatever the job.
 */
typedef enum
{
  KVB_JOB_STATUS_PENDING,
  KVB_JOB_STATUS_RUNNING,
  KVB_JOB_STATUS_DONE,
  KVB_JOB_STATUS_SKIPPED,
  KVB_JOB_STATUS_FAILED,
} KvbJobStatus;

#define KVB_TYPE_JOB_STATUS (kvb_job_status_get_type ())
GType kvb_job_status_get_type (void);

/**
 * KvbJobSummary:
 * @n_done: objects restored, recovered or backed up
 * @n_skipped: objects left alone on purpose (existing name or file, user's choice)
 * @n_failed: objects that failed, each with its reason in its status message
 *
 * The counts at the end of a run.
 */
typedef struct
{
  guint n_done;
  guint n_skipped;
  guint n_failed;
} KvbJobSummary;

G_END_DECLS
