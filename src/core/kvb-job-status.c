/* kvb-job-status.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-job-status"

#include "config.h"

#include "kvb-job-status.h"

GType
kvb_job_status_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { KVB_JOB_STATUS_PENDING, "KVB_JOB_STATUS_PENDING", "pending" },
        { KVB_JOB_STATUS_RUNNING, "KVB_JOB_STATUS_RUNNING", "running" },
        { KVB_JOB_STATUS_DONE, "KVB_JOB_STATUS_DONE", "done" },
        { KVB_JOB_STATUS_SKIPPED, "KVB_JOB_STATUS_SKIPPED", "skipped" },
        { KVB_JOB_STATUS_FAILED, "KVB_JOB_STATUS_FAILED", "failed" },
        { 0, NULL, NULL }
      };
      GType t = g_enum_register_static ("KvbJobStatus", values);
      g_once_init_leave (&type_id, t);
    }

  return type_id;
}
