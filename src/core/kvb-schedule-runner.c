/* kvb-schedule-runner.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-schedule-runner"

#include "config.h"

#include <signal.h>

#include <glib/gi18n-lib.h>

#include "kvb-schedule-runner.h"

struct _KvbScheduleRunner
{
  GObject parent_instance;

  KvbScheduleStore *store;
  GHashTable *running;       /* vault → Run */
  guint timeout_id;
};

G_DEFINE_FINAL_TYPE (KvbScheduleRunner, kvb_schedule_runner, G_TYPE_OBJECT)

enum {
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  KvbScheduleRunner *runner;   /* (weak) NULL once the runner is gone */
  char *vault;
  GSubprocess *process;
  GDataInputStream *errors;
  GCancellable *cancellable;
  char *last_line;             /* what kvbackup said last on stderr */
  gboolean exited;
  gboolean read_all;
} Run;

static void
run_free (Run *run)
{
  g_clear_weak_pointer (&run->runner);
  g_free (run->vault);
  g_clear_object (&run->process);
  g_clear_object (&run->errors);
  g_clear_object (&run->cancellable);
  g_free (run->last_line);
  g_free (run);
}

static void
kvb_schedule_runner_dispose (GObject *object)
{
  KvbScheduleRunner *self = KVB_SCHEDULE_RUNNER (object);

  kvb_schedule_runner_stop (self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kvb_schedule_runner_parent_class)->dispose (object);
}

static void
kvb_schedule_runner_finalize (GObject *object)
{
  KvbScheduleRunner *self = KVB_SCHEDULE_RUNNER (object);

  g_hash_table_unref (self->running);

  G_OBJECT_CLASS (kvb_schedule_runner_parent_class)->finalize (object);
}

static void
kvb_schedule_runner_class_init (KvbScheduleRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_schedule_runner_dispose;
  object_class->finalize = kvb_schedule_runner_finalize;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 3,
                                    G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
kvb_schedule_runner_init (KvbScheduleRunner *self)
{
  /* The runs stay in the table until their process and their output have both ended. */
  self->running = g_hash_table_new (g_str_hash, g_str_equal);
}

KvbScheduleRunner *
kvb_schedule_runner_new (KvbScheduleStore *store)
{
  KvbScheduleRunner *self;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (store), NULL);

  self = g_object_new (KVB_TYPE_SCHEDULE_RUNNER, NULL);
  self->store = g_object_ref (store);
  return self;
}

/* Both the process and its output ended: the run is over. */
static void
run_ended (Run *run)
{
  KvbScheduleRunner *self = run->runner;
  g_autofree char *message = NULL;
  gboolean success;

  if (!run->exited || !run->read_all)
    return;

  success = g_subprocess_get_if_exited (run->process) && g_subprocess_get_exit_status (run->process) == 0;
  if (!success)
    {
      if (run->last_line != NULL)
        message = g_strdup (run->last_line);
      else if (g_subprocess_get_if_exited (run->process))
        /* translators: the exit status of kvbackup */
        message = g_strdup_printf (_("kvbackup ended with status %d."),
                                   g_subprocess_get_exit_status (run->process));
      else
        message = g_strdup (_("kvbackup was stopped before it ended."));
    }

  if (self != NULL)
    {
      g_autofree char *vault = g_strdup (run->vault);

      g_debug ("The scheduled backup of %s ended: %s", vault, success ? "done" : message);
      g_hash_table_remove (self->running, vault);
      run_free (run);
      g_signal_emit (self, signals[FINISHED], 0, vault, success, message);
    }
  else
    run_free (run);
}

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);

  if (line == NULL)
    {
      run->read_all = TRUE;
      run_ended (run);
      return;
    }
  g_strstrip (line);
  if (*line != '\0')
    {
      /* kvbackup's own lines: no token or secret value is ever in them. */
      g_debug ("%s: %s", run->vault, line);
      g_free (run->last_line);
      run->last_line = g_steal_pointer (&line);
    }
  g_data_input_stream_read_line_async (run->errors, G_PRIORITY_DEFAULT, run->cancellable,
                                       line_read_cb, run);
}

static void
process_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->exited = TRUE;
  run_ended (run);
}

static void
start_run (KvbScheduleRunner *self,
           KvbSchedule       *schedule,
           GDateTime         *now)
{
  g_auto(GStrv) argv = kvb_schedule_dup_argv (schedule);
  g_autoptr(GError) error = NULL;
  const char *vault = kvb_schedule_get_vault (schedule);
  GSubprocess *process;
  Run *run;

  /* Recorded first: a run that cannot start, or fails, waits for the next run time. */
  if (!kvb_schedule_store_set_last_run (self->store, vault, now, &error))
    {
      g_warning ("%s", error->message);
      g_clear_error (&error);
    }

  process = g_subprocess_newv ((const char * const *) argv,
                               G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  if (process == NULL)
    {
      g_signal_emit (self, signals[FINISHED], 0, vault, FALSE, error->message);
      return;
    }
  g_debug ("The scheduled backup of %s starts", vault);

  run = g_new0 (Run, 1);
  g_set_weak_pointer (&run->runner, self);
  run->vault = g_strdup (vault);
  run->process = process;
  run->cancellable = g_cancellable_new ();
  run->errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  g_hash_table_insert (self->running, run->vault, run);
  g_subprocess_wait_async (process, NULL, process_exited_cb, run);
  g_data_input_stream_read_line_async (run->errors, G_PRIORITY_DEFAULT, run->cancellable,
                                       line_read_cb, run);
}

void
kvb_schedule_runner_check (KvbScheduleRunner *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  g_return_if_fail (KVB_IS_SCHEDULE_RUNNER (self));

  /* First the list, then the runs: starting one writes the store. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbSchedule) schedule = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (!g_hash_table_contains (self->running, kvb_schedule_get_vault (schedule)) &&
          kvb_schedule_is_due (schedule, now))
        g_ptr_array_add (due, g_steal_pointer (&schedule));
    }
  for (guint i = 0; i < due->len; i++)
    start_run (self, g_ptr_array_index (due, i), now);
}

static gboolean
tick_cb (gpointer user_data)
{
  kvb_schedule_runner_check (user_data);
  return G_SOURCE_CONTINUE;
}

void
kvb_schedule_runner_start (KvbScheduleRunner *self)
{
  g_return_if_fail (KVB_IS_SCHEDULE_RUNNER (self));

  if (self->timeout_id == 0)
    self->timeout_id = g_timeout_add_seconds (60, tick_cb, self);
  kvb_schedule_runner_check (self);
}

void
kvb_schedule_runner_stop (KvbScheduleRunner *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (KVB_IS_SCHEDULE_RUNNER (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  /* The runs end by themselves once signalled; their callbacks then find no runner. */
  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Run *run = value;

      g_subprocess_send_signal (run->process, SIGTERM);
      g_clear_weak_pointer (&run->runner);
      g_hash_table_iter_remove (&iter);
    }
}

guint
kvb_schedule_runner_get_n_running (KvbScheduleRunner *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE_RUNNER (self), 0);
  return g_hash_table_size (self->running);
}
