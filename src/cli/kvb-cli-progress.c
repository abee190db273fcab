/* kvb-cli-progress.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "kvb-cli-progress.h"

#define BAR_INTERVAL_MS  250
#define LINE_CHECK_MS    1000
#define LINE_MAX_SILENCE (60 * G_USEC_PER_SEC)

typedef struct
{
  char *label;
  GListModel *model;
  KvbCliStatusFunc status;
} Job;

struct _KvbCliProgress
{
  char *verb;
  GPtrArray *jobs;
  gboolean terminal;
  guint source;
  gint64 started;
  gint64 last_line;
  guint last_tenth;
  gboolean drawn;
};

static void
job_free (Job *job)
{
  g_clear_object (&job->model);
  g_free (job->label);
  g_free (job);
}

KvbCliProgress *
kvb_cli_progress_new (const char *verb)
{
  KvbCliProgress *self = g_new0 (KvbCliProgress, 1);
  const char *force = g_getenv ("KVB_PROGRESS");

  self->verb = g_strdup (verb);
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  /* KVB_PROGRESS=bar|lines overrides what stderr is (for tests, and for `script` logs). */
  if (g_strcmp0 (force, "bar") == 0)
    self->terminal = TRUE;
  else if (g_strcmp0 (force, "lines") == 0)
    self->terminal = FALSE;
  else
    self->terminal = isatty (STDERR_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  return self;
}

void
kvb_cli_progress_add (KvbCliProgress   *self,
                      const char       *label,
                      GListModel       *model,
                      KvbCliStatusFunc  status)
{
  Job *job = g_new0 (Job, 1);

  job->label = g_strdup (label);
  job->model = g_object_ref (model);
  job->status = status;
  g_ptr_array_add (self->jobs, job);
}

static void
count (KvbCliProgress *self,
       guint          *total,
       guint          *finished,
       guint          *failed)
{
  *total = *finished = *failed = 0;
  for (guint j = 0; j < self->jobs->len; j++)
    {
      Job *job = g_ptr_array_index (self->jobs, j);
      guint n = g_list_model_get_n_items (job->model);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (job->model, i);
          KvbJobStatus status = job->status (item);

          (*total)++;
          if (status == KVB_JOB_STATUS_FAILED)
            (*failed)++;
          if (status != KVB_JOB_STATUS_PENDING && status != KVB_JOB_STATUS_RUNNING)
            (*finished)++;
        }
    }
}

char *
kvb_cli_progress_dup_line (KvbCliProgress *self)
{
  guint total, finished, failed;

  count (self, &total, &finished, &failed);
  /* Translators: what is being done ("Backing up"), counts, a percentage, a count of failures */
  return g_strdup_printf (_("%s: %u of %u objects finished (%u %%), %u failed"), self->verb,
                          finished, total, total ? finished * 100 / total : 0, failed);
}

static guint
terminal_width (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  return 80;
}

static void
draw_bar (KvbCliProgress *self)
{
  g_autoptr(GString) line = g_string_new ("\r");
  guint total, finished, failed, width, bar, filled;
  gint64 elapsed = MAX (g_get_monotonic_time () - self->started, 1);
  double rate;
  g_autofree char *text = NULL;

  count (self, &total, &finished, &failed);
  rate = finished * (double) G_USEC_PER_SEC / elapsed;
  if (failed > 0)
    /* Translators: counts, then objects per second, then failures */
    text = g_strdup_printf (_(" %u/%u  %.0f/s  %u failed"), finished, total, rate, failed);
  else
    /* Translators: counts, then objects per second */
    text = g_strdup_printf (_(" %u/%u  %.0f/s"), finished, total, rate);

  width = terminal_width ();
  /* "VERB [####....]TEXT" in the width of the terminal, never wrapped. */
  bar = width > strlen (self->verb) + strlen (text) + 6 ? width - strlen (self->verb) - strlen (text) - 6 : 0;
  bar = MIN (bar, 50);
  filled = total ? bar * finished / total : 0;
  g_string_append (line, self->verb);
  g_string_append (line, " [");
  for (guint i = 0; i < bar; i++)
    g_string_append_c (line, i < filled ? '#' : '.');
  g_string_append_c (line, ']');
  g_string_append (line, text);
  g_string_append (line, "\033[K");
  fputs (line->str, stderr);
  fflush (stderr);
  self->drawn = TRUE;
}

static void
maybe_line (KvbCliProgress *self,
            gboolean        force)
{
  guint total, finished, failed, tenth;
  gint64 now = g_get_monotonic_time ();

  count (self, &total, &finished, &failed);
  tenth = total ? finished * 10 / total : 0;
  if (force || tenth > self->last_tenth || now - self->last_line >= LINE_MAX_SILENCE)
    {
      g_autofree char *line = kvb_cli_progress_dup_line (self);

      g_printerr ("%s: %s\n", g_get_prgname (), line);
      self->last_tenth = tenth;
      self->last_line = now;
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  KvbCliProgress *self = user_data;

  if (self->terminal)
    draw_bar (self);
  else
    maybe_line (self, FALSE);
  return G_SOURCE_CONTINUE;
}

void
kvb_cli_progress_start (KvbCliProgress *self)
{
  self->started = self->last_line = g_get_monotonic_time ();
  self->source = g_timeout_add (self->terminal ? BAR_INTERVAL_MS : LINE_CHECK_MS, tick_cb, self);
}

void
kvb_cli_progress_free (KvbCliProgress *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->source, g_source_remove);
  if (self->terminal && self->drawn)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
    }
  else if (!self->terminal && self->started != 0)
    {
      guint total, finished, failed;

      /* The last line says where it ended, unless the last tenth already did. */
      count (self, &total, &finished, &failed);
      if (self->last_tenth < 10 || finished < total)
        maybe_line (self, TRUE);
    }
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_free (self->verb);
  g_free (self);
}
