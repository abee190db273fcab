/* kvb-task-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-task-util"

#include "config.h"

#include "kvb-task-util.h"

/**
 * kvb_task_call_later:
 * @task: (transfer full): the task to continue
 * @delay_ms: how long to wait
 * @func: called with @task as its data; it owns that reference
 *
 * Continues @task after @delay_ms, or as soon as the task's cancellable is cancelled, so that a
 * cancelled job never sits out a back-off, a pacing wait or a polling interval.
 */
void
kvb_task_call_later (GTask       *task,
                     guint        delay_ms,
                     GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (delay_ms);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_source_set_callback (source, func, task, NULL);
  if (cancellable != NULL)
    {
      GSource *cancel_source = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (source, cancel_source);
      g_source_unref (cancel_source);
    }
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}
