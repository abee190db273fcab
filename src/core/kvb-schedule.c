/* kvb-schedule.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-schedule"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-schedule.h"

struct _KvbSchedule
{
  GObject parent_instance;

  char *vault;       /* in lower case */
  char *chosen;      /* FOLDER, as chosen */
  char *folder;      /* FOLDER/VAULT: the dated backups and "latest" */
  char *kvbackup;
  char *cloud;       /* kvbackup's --cloud, or NULL for its default (public) */
  char *unit_name;
  KvbScheduleFrequency frequency;
  guint keep;
  GDateTime *last_run;
};

G_DEFINE_FINAL_TYPE (KvbSchedule, kvb_schedule, G_TYPE_OBJECT)

/* The night's run, given ROOT VAULT KVBACKUP KEEP [CLOUD]: as the README's kvbackup-nightly
 * script, for one vault, in the vault's cloud.  "latest" moves only after a run where every object was saved (set -e); then all
 * but the KEEP newest dated folders go (0: none), never the one "latest" names (the newest).
 * The files of an incremental backup are hard links: removing an older folder frees only what
 * no newer one shares. */
static const char script[] =
  "set -eu; root=$1; vault=$2; kvbackup=$3; keep=$4; cloud=${5:-}; "
  "today=$root/$(date -u +%Y-%m-%d); "
  "if [ -d \"$root/latest\" ] && [ ! -e \"$today\" ]; then "
  "\"$kvbackup\" backup --all --vault \"$vault\" ${cloud:+--cloud \"$cloud\"} --output \"$today\" "
  "--incremental \"$root/latest\"; "
  "else \"$kvbackup\" backup --all --vault \"$vault\" ${cloud:+--cloud \"$cloud\"} --output \"$today\" "
  "--resume; fi; "
  "ln -sfn \"$today\" \"$root/latest\"; "
  "if [ \"$keep\" -gt 0 ]; then "
  "for old in $(cd \"$root\" && ls -1d [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] | sort -r | tail -n +$((keep + 1))); do "
  "rm -rf -- \"$root/$old\"; done; fi";

static void
kvb_schedule_finalize (GObject *object)
{
  KvbSchedule *self = (KvbSchedule *)object;

  g_free (self->vault);
  g_free (self->chosen);
  g_free (self->folder);
  g_free (self->kvbackup);
  g_free (self->cloud);
  g_clear_pointer (&self->last_run, g_date_time_unref);
  g_free (self->unit_name);

  G_OBJECT_CLASS (kvb_schedule_parent_class)->finalize (object);
}

static void
kvb_schedule_class_init (KvbScheduleClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_schedule_finalize;
}

static void
kvb_schedule_init (KvbSchedule *self)
{
}

static gboolean
valid_vault_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 24)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return g_ascii_isalpha (name[0]);
}

/* What systemd keeps as it is: printable, no newline (a unit's line ends there). */
static gboolean
fits_a_line (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

KvbSchedule *
kvb_schedule_new (const char  *vault,
                  GFile       *folder,
                  const char  *kvbackup,
                  GError     **error)
{
  g_autoptr(KvbSchedule) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (vault != NULL, NULL);
  g_return_val_if_fail (folder == NULL || G_IS_FILE (folder), NULL);

  if (!valid_vault_name (vault))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("“%s” is not the name of a vault: 3 to 24 letters, digits and hyphens."), vault);
      return NULL;
    }
  path = folder != NULL ? g_file_get_path (folder) : NULL;
  if ((folder != NULL && path == NULL) ||
      (path != NULL && (!g_path_is_absolute (path) || !fits_a_line (path))) ||
      (kvbackup != NULL && (!g_path_is_absolute (kvbackup) || !fits_a_line (kvbackup))))
    {
      g_autofree char *name = folder != NULL ? g_file_get_parse_name (folder) : g_strdup (kvbackup);

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Nightly backups cannot go into “%s”: choose a folder on this computer whose "
                     "name has no line break."), name);
      return NULL;
    }
  self = g_object_new (KVB_TYPE_SCHEDULE, NULL);
  self->vault = g_ascii_strdown (vault, -1);
  self->chosen = g_steal_pointer (&path);
  self->folder = self->chosen != NULL ? g_build_filename (self->chosen, self->vault, NULL) : NULL;
  self->kvbackup = g_strdup (kvbackup != NULL ? kvbackup : "kvbackup");
  self->unit_name = g_strconcat ("kvbackup-", self->vault, NULL);
  self->frequency = KVB_SCHEDULE_DAILY;
  self->keep = KVB_SCHEDULE_DEFAULT_KEEP;
  return g_steal_pointer (&self);
}

gboolean
kvb_schedule_runs_in_application (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

const char *
kvb_schedule_get_vault (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->vault;
}

const char *
kvb_schedule_get_folder (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->chosen;
}

gboolean
kvb_schedule_set_cloud (KvbSchedule  *self,
                        const char   *cloud,
                        GError      **error)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);

  if (cloud != NULL && !fits_a_line (cloud))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Nightly backups cannot use the cloud “%s”: its name has a line break."), cloud);
      return FALSE;
    }
  g_free (self->cloud);
  /* The public cloud is kvbackup's own default: a unit without --cloud reads better. */
  self->cloud = cloud != NULL && *cloud != '\0' && g_ascii_strcasecmp (cloud, "public") != 0
                  ? g_strdup (cloud) : NULL;
  return TRUE;
}

gboolean
kvb_schedule_set_vault_cloud (KvbSchedule  *self,
                              KvbCloud     *cloud,
                              GError      **error)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), FALSE);

  if (kvb_cloud_is_sample (cloud))
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                           _("The sample cloud lives inside this window, where no scheduled "
                             "backup can reach it: schedules are for vaults of a real cloud."));
      return FALSE;
    }
  return kvb_schedule_set_cloud (self, kvb_cloud_get_profile_path (cloud) != NULL
                                         ? kvb_cloud_get_profile_path (cloud)
                                         : kvb_cloud_get_id (cloud), error);
}

const char *
kvb_schedule_get_cloud (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->cloud;
}

void
kvb_schedule_set_last_run (KvbSchedule *self,
                           GDateTime   *when)
{
  g_return_if_fail (KVB_IS_SCHEDULE (self));

  g_clear_pointer (&self->last_run, g_date_time_unref);
  if (when != NULL)
    self->last_run = g_date_time_ref (when);
}

GDateTime *
kvb_schedule_get_last_run (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->last_run;
}

GDateTime *
kvb_schedule_dup_next_run (KvbSchedule *self,
                           GDateTime   *after)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  g_return_val_if_fail (after != NULL, NULL);

  local = g_date_time_to_local (after);
  /* 02:30 local time of the day of @after and the days after it: the first that is later (and a
   * Sunday, weekly).  g_date_time_new_local() moves a time that a change to summer time skips. */
  for (int day = 0; day <= 8; day++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_days (local, day);
      g_autoptr(GDateTime) run = g_date_time_new_local (g_date_time_get_year (date),
                                                        g_date_time_get_month (date),
                                                        g_date_time_get_day_of_month (date),
                                                        2, 30, 0);

      if (run == NULL || g_date_time_compare (run, after) <= 0)
        continue;
      if (self->frequency == KVB_SCHEDULE_WEEKLY && g_date_time_get_day_of_week (run) != 7)
        continue;
      return g_steal_pointer (&run);
    }
  g_return_val_if_reached (NULL);
}

gboolean
kvb_schedule_is_due (KvbSchedule *self,
                     GDateTime   *now)
{
  g_autoptr(GDateTime) next = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  /* Never run: due at the first 02:30 from now on, not at once. */
  if (self->last_run == NULL)
    return FALSE;
  next = kvb_schedule_dup_next_run (self, self->last_run);
  return next != NULL && g_date_time_compare (next, now) <= 0;
}

void
kvb_schedule_set_frequency (KvbSchedule          *self,
                            KvbScheduleFrequency  frequency)
{
  g_return_if_fail (KVB_IS_SCHEDULE (self));
  g_return_if_fail (frequency == KVB_SCHEDULE_DAILY || frequency == KVB_SCHEDULE_WEEKLY);
  self->frequency = frequency;
}

KvbScheduleFrequency
kvb_schedule_get_frequency (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), KVB_SCHEDULE_DAILY);
  return self->frequency;
}

void
kvb_schedule_set_keep (KvbSchedule *self,
                       guint        keep)
{
  g_return_if_fail (KVB_IS_SCHEDULE (self));
  self->keep = MIN (keep, KVB_SCHEDULE_MAX_KEEP);
}

guint
kvb_schedule_get_keep (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), 0);
  return self->keep;
}

const char *
kvb_schedule_get_unit_name (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->unit_name;
}

/* @text as one word of a unit's command line: in double quotes, with what systemd would expand
 * ("%" specifiers, "$" variables) and the quote and backslash escaped.  @quote is the quote
 * character ('"' for a word, '\'' for the script, which holds neither quote kind unescaped). */
static void
append_word (GString    *line,
             const char *text,
             char        quote)
{
  g_string_append_c (line, quote);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%')
        g_string_append (line, "%%");
      else if (*p == '$')
        g_string_append (line, "$$");
      else if (quote == '"' && (*p == '"' || *p == '\\'))
        {
          g_string_append_c (line, '\\');
          g_string_append_c (line, *p);
        }
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, quote);
}

char *
kvb_schedule_dup_service_text (KvbSchedule *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  g_return_val_if_fail (self->folder != NULL, NULL);

  g_string_append_printf (text,
                          "# Written by Key Vault Backup: %s backups of the vault %s.\n"
                          "[Unit]\n"
                          "Description=Back up the Azure Key Vault %s (kvbackup)\n"
                          "Wants=network-online.target\n"
                          "After=network-online.target\n"
                          "\n"
                          "[Service]\n"
                          "Type=oneshot\n"
                          "EnvironmentFile=-%%h/.config/kvbackup/env\n"
                          "ExecStart=/bin/sh -c ",
                          self->frequency == KVB_SCHEDULE_WEEKLY ? "weekly" : "nightly",
                          self->vault, self->vault);
  append_word (text, script, '\'');
  g_string_append_printf (text, " %s ", self->unit_name);
  append_word (text, self->folder, '"');
  g_string_append_c (text, ' ');
  append_word (text, self->vault, '"');
  g_string_append_c (text, ' ');
  append_word (text, self->kvbackup, '"');
  g_string_append_printf (text, " %u", self->keep);
  if (self->cloud != NULL)
    {
      g_string_append_c (text, ' ');
      append_word (text, self->cloud, '"');
    }
  g_string_append (text,
                   "\n"
                   "# Stopping the unit sends SIGTERM: kvbackup ends within a second and the next run resumes.\n"
                   "TimeoutStartSec=6h\n"
                   "NoNewPrivileges=yes\n"
                   "PrivateTmp=yes\n");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
kvb_schedule_dup_timer_text (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);

  gboolean weekly = self->frequency == KVB_SCHEDULE_WEEKLY;

  /* Weekly: the night from Saturday to Sunday, when a vault changes least. */
  return g_strdup_printf ("# Written by Key Vault Backup: %s backups of the vault %s.\n"
                          "[Unit]\n"
                          "Description=Back up the Azure Key Vault %s every %s\n"
                          "\n"
                          "[Timer]\n"
                          "OnCalendar=%s02:30:00\n"
                          "RandomizedDelaySec=15min\n"
                          "Persistent=true\n"
                          "\n"
                          "[Install]\n"
                          "WantedBy=timers.target\n",
                          weekly ? "weekly" : "nightly", self->vault, self->vault,
                          weekly ? "week" : "night", weekly ? "Sun *-*-* " : "*-*-* ");
}

GStrv
kvb_schedule_dup_argv (KvbSchedule *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *keep = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  g_return_val_if_fail (self->folder != NULL, NULL);

  keep = g_strdup_printf ("%u", self->keep);
  g_strv_builder_add_many (builder, "/bin/sh", "-c", script, self->unit_name, self->folder,
                           self->vault, self->kvbackup, keep, NULL);
  if (self->cloud != NULL)
    g_strv_builder_add (builder, self->cloud);
  return g_strv_builder_end (builder);
}

GFile *
kvb_schedule_dup_default_unit_folder (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "systemd", "user", NULL);

  return g_file_new_for_path (path);
}

static gboolean
write_unit (const char  *folder,
            const char  *name,
            const char  *text,
            GError     **error)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) local_error = NULL;

  /* A new file of 0600 renamed over the old one: never half a unit, never readable by others. */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be written: %s"), path,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
kvb_schedule_write (KvbSchedule  *self,
                    GFile        *unit_folder,
                    GError      **error)
{
  g_autofree char *folder = NULL;
  g_autofree char *service = NULL;
  g_autofree char *timer = NULL;
  g_autofree char *service_name = NULL;
  g_autofree char *timer_name = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (unit_folder), FALSE);
  g_return_val_if_fail (self->folder != NULL, FALSE);

  folder = g_file_get_path (unit_folder);
  if (folder == NULL || g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be made: %s"),
                   folder ? folder : "", g_strerror (saved_errno));
      return FALSE;
    }

  service = kvb_schedule_dup_service_text (self);
  timer = kvb_schedule_dup_timer_text (self);
  service_name = g_strconcat (self->unit_name, ".service", NULL);
  timer_name = g_strconcat (self->unit_name, ".timer", NULL);
  /* The service first: a timer never points at a service that is not there. */
  return write_unit (folder, service_name, service, error) &&
         write_unit (folder, timer_name, timer, error);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (kvb_schedule_write (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kvb_schedule_write_async (KvbSchedule         *self,
                          GFile               *unit_folder,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KVB_IS_SCHEDULE (self));
  g_return_if_fail (G_IS_FILE (unit_folder));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_schedule_write_async);
  g_task_set_task_data (task, g_object_ref (unit_folder), g_object_unref);
  g_task_run_in_thread (task, write_thread);
}

gboolean
kvb_schedule_write_finish (KvbSchedule   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
unit_path (KvbSchedule *self,
           GFile       *unit_folder,
           const char  *suffix)
{
  g_autofree char *name = g_strconcat (self->unit_name, suffix, NULL);
  g_autofree char *folder = g_file_get_path (unit_folder);

  return folder != NULL ? g_build_filename (folder, name, NULL) : NULL;
}

gboolean
kvb_schedule_is_installed (KvbSchedule *self,
                           GFile       *unit_folder)
{
  g_autofree char *timer = NULL;
  g_autofree char *service = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (unit_folder), FALSE);

  timer = unit_path (self, unit_folder, ".timer");
  service = unit_path (self, unit_folder, ".service");
  return (timer != NULL && g_file_test (timer, G_FILE_TEST_EXISTS)) ||
         (service != NULL && g_file_test (service, G_FILE_TEST_EXISTS));
}

/* systemctl --user talks to the user's systemd through this socket: without it (no systemd, a
 * login without a user instance) there is no timer running to stop. */
static gboolean
user_manager_reachable (void)
{
  g_autofree char *socket = g_build_filename (g_get_user_runtime_dir (), "systemd", "private", NULL);
  g_autofree char *program = g_find_program_in_path ("systemctl");

  return program != NULL && g_file_test (socket, G_FILE_TEST_EXISTS);
}

/* Runs systemctl --user with @args; %FALSE with a sentence from what it printed. */
static gboolean
run_systemctl (const char * const  *args,
               GCancellable        *cancellable,
               char               **problem)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err_text = NULL;

  g_strv_builder_add_many (builder, "systemctl", "--user", NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char * const *) argv,
                               G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  if (process != NULL &&
      g_subprocess_communicate_utf8 (process, NULL, cancellable, NULL, &err_text, &error) &&
      g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    return TRUE;

  if (error == NULL)
    {
      g_strstrip (err_text);
      g_set_error (&error, KVB_ERROR, KVB_ERROR_FAILED, "%s",
                   err_text != NULL && *err_text != '\0' ? err_text : _("systemctl failed"));
    }
  *problem = g_strdup (error->message);
  return FALSE;
}

static gboolean
remove_unit (const char  *path,
             GError     **error)
{
  int saved_errno;

  if (g_remove (path) == 0)
    return TRUE;
  saved_errno = errno;
  if (saved_errno == ENOENT)
    return TRUE;
  g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be removed: %s"), path,
               g_strerror (saved_errno));
  return FALSE;
}

gboolean
kvb_schedule_remove (KvbSchedule   *self,
                     GFile         *unit_folder,
                     GCancellable  *cancellable,
                     char         **stop_problem,
                     GError       **error)
{
  g_autofree char *timer = NULL;
  g_autofree char *service = NULL;
  g_autofree char *timer_name = NULL;
  g_autofree char *problem = NULL;
  gboolean reachable;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (unit_folder), FALSE);

  timer = unit_path (self, unit_folder, ".timer");
  service = unit_path (self, unit_folder, ".service");
  if (timer == NULL || service == NULL)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("The unit folder is not on this computer."));
      return FALSE;
    }
  timer_name = g_strconcat (self->unit_name, ".timer", NULL);

  /* Stopped first, while systemd still knows the unit from its file. */
  reachable = user_manager_reachable ();
  if (reachable)
    {
      g_autofree char *why = NULL;

      if (!run_systemctl ((const char * const[]) { "disable", "--now", timer_name, NULL }, cancellable,
                          &why))
        /* translators: the timer's name, then what systemctl said */
        problem = g_strdup_printf (_("The timer %s could not be stopped: %s."), timer_name, why);
    }

  /* The timer first: a timer never points at a service that is not there. */
  if (!remove_unit (timer, error) || !remove_unit (service, error))
    return FALSE;

  if (reachable)
    {
      g_autofree char *why = NULL;

      /* Only so that "systemctl --user list-timers" forgets it at once. */
      if (!run_systemctl ((const char * const[]) { "daemon-reload", NULL }, cancellable, &why))
        g_debug ("systemctl --user daemon-reload: %s", why);
    }

  if (stop_problem != NULL)
    *stop_problem = g_steal_pointer (&problem);
  return TRUE;
}

typedef struct
{
  GFile *unit_folder;
  char *stop_problem;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_object (&data->unit_folder);
  g_free (data->stop_problem);
  g_free (data);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RemoveData *data = task_data;
  GError *error = NULL;

  if (kvb_schedule_remove (source_object, data->unit_folder, cancellable, &data->stop_problem, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kvb_schedule_remove_async (KvbSchedule         *self,
                           GFile               *unit_folder,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RemoveData *data;

  g_return_if_fail (KVB_IS_SCHEDULE (self));
  g_return_if_fail (G_IS_FILE (unit_folder));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_schedule_remove_async);
  data = g_new0 (RemoveData, 1);
  data->unit_folder = g_object_ref (unit_folder);
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
kvb_schedule_remove_finish (KvbSchedule   *self,
                            GAsyncResult  *result,
                            char         **stop_problem,
                            GError       **error)
{
  RemoveData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (stop_problem != NULL)
    *stop_problem = g_steal_pointer (&data->stop_problem);
  return TRUE;
}
