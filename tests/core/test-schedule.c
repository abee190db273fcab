/* test-schedule.c: the systemd user timer and service of nightly backups: their text, what
 * systemd would expand escaped, the files 0600 and written whole, and the night's script run
 * with a stand-in for kvbackup: resume the first night, incremental from "latest" after.  And
 * the schedules the application runs itself inside a Flatpak sandbox: their run times as the
 * timer's, their file, and the runner that starts the same script when one is due.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-schedule.h"
#include "kvb-schedule-runner.h"
#include "kvb-schedule-store.h"

static char *tmp;

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_names (void)
{
  g_autoptr(GFile) folder = g_file_new_for_path ("/backups");
  g_autoptr(GFile) relative = g_file_new_for_path ("/back\nups");
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;

  g_assert_null (kvb_schedule_new ("bad name", folder, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (kvb_schedule_new ("../etc", folder, NULL, &error));
  g_clear_error (&error);
  g_assert_null (kvb_schedule_new ("contoso-kv", relative, NULL, &error));
  g_clear_error (&error);
  g_assert_null (kvb_schedule_new ("contoso-kv", folder, "kvbackup", &error));
  g_clear_error (&error);

  schedule = kvb_schedule_new ("Contoso-KV", folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kvb_schedule_get_unit_name (schedule), ==, "kvbackup-contoso-kv");
}

/* The script and its words as /bin/sh gets them: systemd turns "$$" and "%%" back. */
static char **
exec_words (const char *service)
{
  const char *line = strstr (service, "\nExecStart=/bin/sh -c '");
  const char *script, *end;
  g_autofree char *script_text = NULL;
  g_autofree char *rest = NULL;
  g_autoptr(GStrvBuilder) words = g_strv_builder_new ();

  g_assert_nonnull (line);
  script = line + strlen ("\nExecStart=/bin/sh -c '");
  end = strchr (script, '\'');
  g_assert_nonnull (end);
  script_text = g_strndup (script, end - script);
  rest = g_strndup (end + 2, strchr (end, '\n') - end - 2);

  g_strv_builder_add (words, "/bin/sh");
  g_strv_builder_add (words, "-c");
  {
    g_autoptr(GString) s = g_string_new (script_text);

    g_string_replace (s, "$$", "$", 0);
    g_string_replace (s, "%%", "%", 0);
    g_strv_builder_add (words, s->str);
  }
  /* The words after it: the unit's name, then double-quoted ones with backslash escapes. */
  for (const char *p = rest; *p != '\0'; )
    {
      g_autoptr(GString) word = g_string_new (NULL);

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      if (*p == '"')
        {
          for (p++; *p != '\0' && *p != '"'; p++)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              g_string_append_c (word, *p);
            }
          g_assert_cmpint (*p, ==, '"');
          p++;
        }
      else
        while (*p != '\0' && *p != ' ')
          g_string_append_c (word, *p++);
      g_string_replace (word, "$$", "$", 0);
      g_string_replace (word, "%%", "%", 0);
      g_strv_builder_add (words, word->str);
    }
  return g_strv_builder_end (words);
}

static char *
run_night (char **argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                               &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s: %s %s", error->message, out, err);
  return g_steal_pointer (&out);
}

static void
test_write_and_run (void)
{
  g_autofree char *backups = g_build_filename (tmp, "my \"backups\" %h $HOME", NULL);
  g_autofree char *fake = g_build_filename (tmp, "fake-kvbackup", NULL);
  g_autofree char *units_path = g_build_filename (tmp, "config", "systemd", "user", NULL);
  g_autofree char *service_path = g_build_filename (units_path, "kvbackup-contoso-kv.service", NULL);
  g_autofree char *timer_path = g_build_filename (units_path, "kvbackup-contoso-kv.timer", NULL);
  g_autofree char *service = NULL;
  g_autofree char *timer = NULL;
  g_autofree char *out = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *target = NULL;
  g_autoptr(GFile) folder = g_file_new_for_path (backups);
  g_autoptr(GFile) units = g_file_new_for_path (units_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *today_path = NULL;
  g_autofree char *old_path = NULL;

  /* A kvbackup that says how it was called and makes the folder, as the real one does. */
  g_assert_true (g_file_set_contents (fake,
                                      "#!/bin/sh\n"
                                      "echo \"$@\"\n"
                                      "while [ $# -gt 0 ]; do [ \"$1\" = --output ] && mkdir -p \"$2\"; shift; done\n",
                                      -1, NULL));
  g_assert_cmpint (g_chmod (fake, 0700), ==, 0);

  schedule = kvb_schedule_new ("contoso-kv", folder, fake, &error);
  g_assert_no_error (error);
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  g_assert_no_error (error);
  assert_mode (units_path, 0700);
  assert_mode (service_path, 0600);
  assert_mode (timer_path, 0600);

  g_assert_true (g_file_get_contents (service_path, &service, NULL, NULL));
  g_assert_true (g_file_get_contents (timer_path, &timer, NULL, NULL));
  g_assert_nonnull (strstr (timer, "\nOnCalendar=*-*-* 02:30:00\n"));
  g_assert_nonnull (strstr (timer, "\nPersistent=true\n"));
  g_assert_nonnull (strstr (timer, "\nWantedBy=timers.target\n"));
  g_assert_nonnull (strstr (service, "\nType=oneshot\n"));
  g_assert_nonnull (strstr (service, "\nEnvironmentFile=-%h/.config/kvbackup/env\n"));
  /* What systemd would expand in the folder's name is escaped. */
  g_assert_nonnull (strstr (service, "my \\\"backups\\\" %%h $$HOME/contoso-kv\""));
  g_assert_null (strstr (service, "AZURE_CLIENT_SECRET"));

  /* The first night: a new dated folder, resumed, and "latest" points at it. */
  argv = exec_words (service);
  out = run_night (argv);
  today_path = g_build_filename (backups, "contoso-kv", today, NULL);
  g_assert_nonnull (strstr (out, "backup --all --vault contoso-kv --output "));
  g_assert_nonnull (strstr (out, "--resume"));
  g_assert_true (g_file_test (today_path, G_FILE_TEST_IS_DIR));
  latest = g_build_filename (backups, "contoso-kv", "latest", NULL);
  target = g_file_read_link (latest, NULL);
  g_assert_cmpstr (target, ==, today_path);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&target, g_free);

  /* A later night: incremental from the one "latest" points at. */
  old_path = g_build_filename (backups, "contoso-kv", "2026-01-01", NULL);
  g_assert_cmpint (g_rename (today_path, old_path), ==, 0);
  g_assert_cmpint (g_unlink (latest), ==, 0);
  g_assert_cmpint (symlink (old_path, latest), ==, 0);
  out = run_night (argv);
  g_assert_nonnull (strstr (out, "--incremental"));
  g_assert_nonnull (strstr (out, "/contoso-kv/latest"));
  target = g_file_read_link (latest, NULL);
  g_assert_cmpstr (target, ==, today_path);

  /* Written again, the files are replaced whole and stay private. */
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  assert_mode (service_path, 0600);
}

/* Weekly, keeping the two newest backups: the timer's calendar, and after a run only the two
 * newest dated folders are left, "latest" among them; other names in the folder stay. */
static void
test_weekly_keep (void)
{
  g_autofree char *backups = g_build_filename (tmp, "weekly", NULL);
  g_autofree char *root = g_build_filename (backups, "contoso-kv", NULL);
  g_autofree char *fake = g_build_filename (tmp, "fake-kvbackup", NULL);
  g_autofree char *units_path = g_build_filename (tmp, "weekly-units", NULL);
  g_autofree char *service_path = g_build_filename (units_path, "kvbackup-contoso-kv.service", NULL);
  g_autofree char *timer_path = g_build_filename (units_path, "kvbackup-contoso-kv.timer", NULL);
  g_autofree char *service = NULL;
  g_autofree char *timer = NULL;
  g_autofree char *out = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *target = NULL;
  g_autoptr(GFile) folder = g_file_new_for_path (backups);
  g_autoptr(GFile) units = g_file_new_for_path (units_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *today_path = g_build_filename (root, today, NULL);
  const char *older[] = { "2026-01-01", "2026-01-08", "2026-01-15", "notes" };

  g_assert_true (g_file_test (fake, G_FILE_TEST_IS_EXECUTABLE));
  schedule = kvb_schedule_new ("contoso-kv", folder, fake, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kvb_schedule_get_keep (schedule), ==, KVB_SCHEDULE_DEFAULT_KEEP);
  kvb_schedule_set_frequency (schedule, KVB_SCHEDULE_WEEKLY);
  kvb_schedule_set_keep (schedule, 2);
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (timer_path, &timer, NULL, NULL));
  g_assert_nonnull (strstr (timer, "\nOnCalendar=Sun *-*-* 02:30:00\n"));
  g_assert_nonnull (strstr (timer, "every week"));

  /* Three earlier weeks and a file of the user's. */
  for (guint i = 0; i < G_N_ELEMENTS (older); i++)
    {
      g_autofree char *path = g_build_filename (root, older[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
    }
  latest = g_build_filename (root, "latest", NULL);
  g_assert_cmpint (symlink ("2026-01-15", latest), ==, 0);

  g_assert_true (g_file_get_contents (service_path, &service, NULL, NULL));
  argv = exec_words (service);
  out = run_night (argv);
  g_assert_nonnull (strstr (out, "--incremental"));
  target = g_file_read_link (latest, NULL);
  g_assert_cmpstr (target, ==, today_path);
  g_assert_true (g_file_test (today_path, G_FILE_TEST_IS_DIR));
  for (guint i = 0; i < G_N_ELEMENTS (older); i++)
    {
      g_autofree char *path = g_build_filename (root, older[i], NULL);
      /* Kept: the newest earlier week (with today's, two) and what is not a dated backup. */
      gboolean kept = i >= 2;

      g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, kept);
    }

  /* 0 keeps every backup. */
  kvb_schedule_set_keep (schedule, 0);
  g_clear_pointer (&service, g_free);
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&out, g_free);
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  g_assert_true (g_file_get_contents (service_path, &service, NULL, NULL));
  {
    g_autofree char *week = g_build_filename (root, "2026-01-22", NULL);
    g_autofree char *path = g_build_filename (root, "2026-01-15", NULL);

    g_assert_cmpint (g_mkdir_with_parents (week, 0700), ==, 0);
    argv = exec_words (service);
    out = run_night (argv);
    g_assert_true (g_file_test (week, G_FILE_TEST_IS_DIR));
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  }
}

/* Stop Nightly Backups: without a systemd user instance the units are removed and nothing is
 * said about the timer; with one, "systemctl --user disable --now" goes first, and when it
 * fails the units are removed all the same and the sentence says the timer was not stopped. */
static void
test_remove (void)
{
  g_autofree char *backups = g_build_filename (tmp, "nightly", NULL);
  g_autofree char *units_path = g_build_filename (tmp, "remove-units", NULL);
  g_autofree char *service_path = g_build_filename (units_path, "kvbackup-fabrikam-kv.service", NULL);
  g_autofree char *timer_path = g_build_filename (units_path, "kvbackup-fabrikam-kv.timer", NULL);
  g_autofree char *systemd_dir = g_build_filename (g_get_user_runtime_dir (), "systemd", NULL);
  g_autofree char *socket = g_build_filename (systemd_dir, "private", NULL);
  g_autofree char *bin = g_build_filename (tmp, "bin", NULL);
  g_autofree char *systemctl = g_build_filename (bin, "systemctl", NULL);
  g_autofree char *calls = g_build_filename (tmp, "systemctl-calls", NULL);
  g_autofree char *script = NULL;
  g_autofree char *called = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *path_env = NULL;
  g_autoptr(GFile) folder = g_file_new_for_path (backups);
  g_autoptr(GFile) units = g_file_new_for_path (units_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autoptr(KvbSchedule) found = NULL;

  g_assert_true (g_str_has_prefix (socket, tmp));
  schedule = kvb_schedule_new ("fabrikam-kv", folder, NULL, &error);
  g_assert_no_error (error);
  /* Only the vault's name is needed to look at or remove its schedule. */
  found = kvb_schedule_new ("Fabrikam-KV", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (kvb_schedule_is_installed (found, units));
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  g_assert_no_error (error);
  g_assert_true (kvb_schedule_is_installed (found, units));

  /* No user instance here: the files go, and nothing is said about the timer. */
  g_assert_true (kvb_schedule_remove (found, units, NULL, &problem, &error));
  g_assert_no_error (error);
  g_assert_null (problem);
  g_assert_false (g_file_test (service_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (timer_path, G_FILE_TEST_EXISTS));
  g_assert_false (kvb_schedule_is_installed (found, units));
  /* Removed again: nothing left to remove is no error. */
  g_assert_true (kvb_schedule_remove (found, units, NULL, &problem, &error));
  g_assert_no_error (error);

  /* A user instance whose systemctl refuses: the units are removed all the same, and the
   * sentence says the timer was not stopped, with systemctl's words. */
  g_assert_cmpint (g_mkdir_with_parents (systemd_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (socket, "", 0, NULL));
  g_assert_cmpint (g_mkdir_with_parents (bin, 0700), ==, 0);
  path_env = g_strconcat (bin, ":", g_getenv ("PATH"), NULL);
  g_setenv ("PATH", path_env, TRUE);
  g_assert_true (g_file_set_contents (systemctl,
                                      "#!/bin/sh\necho \"Failed to connect to bus: No medium found\" >&2\nexit 1\n",
                                      -1, NULL));
  g_assert_cmpint (g_chmod (systemctl, 0700), ==, 0);
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  g_assert_true (kvb_schedule_remove (found, units, NULL, &problem, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (problem, ==, "The timer kvbackup-fabrikam-kv.timer could not be stopped: "
                                "Failed to connect to bus: No medium found.");
  g_assert_false (kvb_schedule_is_installed (found, units));
  g_clear_pointer (&problem, g_free);

  /* One that works: disabled and stopped first, then told to forget the files; off the thread. */
  script = g_strdup_printf ("#!/bin/sh\necho \"$@\" >> '%s'\n", calls);
  g_assert_true (g_file_set_contents (systemctl, script, -1, NULL));
  g_assert_cmpint (g_chmod (systemctl, 0700), ==, 0);
  g_assert_true (kvb_schedule_write (schedule, units, &error));
  {
    g_autoptr(GAsyncResult) result = NULL;

    kvb_schedule_remove_async (found, units, NULL, result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (kvb_schedule_remove_finish (found, result, &problem, &error));
  }
  g_assert_no_error (error);
  g_assert_null (problem);
  g_assert_true (g_file_get_contents (calls, &called, NULL, NULL));
  g_assert_cmpstr (called, ==, "--user disable --now kvbackup-fabrikam-kv.timer\n"
                               "--user daemon-reload\n");
  g_assert_false (kvb_schedule_is_installed (found, units));

  /* A unit file that cannot be removed is the error (a folder in its place). */
  g_assert_cmpint (g_mkdir_with_parents (timer_path, 0700), ==, 0);
  {
    g_autofree char *inside = g_build_filename (timer_path, "x", NULL);

    g_assert_true (g_file_set_contents (inside, "", 0, NULL));
    g_assert_false (kvb_schedule_remove (found, units, NULL, &problem, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, timer_path));
    g_remove (inside);
  }
  g_rmdir (timer_path);
  g_remove (socket);
}


static GDateTime *
local_time (int year, int month, int day, int hour, int minute)
{
  return g_date_time_new_local (year, month, day, hour, minute, 0);
}

static void
assert_next_run (KvbSchedule *schedule,
                 GDateTime   *after,
                 int          day,
                 int          hour,
                 int          minute)
{
  g_autoptr(GDateTime) next = kvb_schedule_dup_next_run (schedule, after);

  g_assert_nonnull (next);
  g_assert_cmpint (g_date_time_get_day_of_month (next), ==, day);
  g_assert_cmpint (g_date_time_get_hour (next), ==, hour);
  g_assert_cmpint (g_date_time_get_minute (next), ==, minute);
}

/* Run times as the timer's OnCalendar, in local time, and due as Persistent=true sees it. */
static void
test_run_times (void)
{
  g_autoptr(GFile) folder = g_file_new_for_path ("/backups");
  g_autoptr(KvbSchedule) schedule = kvb_schedule_new ("contoso-kv", folder, NULL, NULL);
  /* Thursday 3 December 2026. */
  g_autoptr(GDateTime) night = local_time (2026, 12, 3, 1, 0);
  g_autoptr(GDateTime) at_run = local_time (2026, 12, 3, 2, 30);
  g_autoptr(GDateTime) morning = local_time (2026, 12, 3, 9, 0);
  g_autoptr(GDateTime) next_night_early = local_time (2026, 12, 4, 2, 29);
  g_autoptr(GDateTime) next_night_late = local_time (2026, 12, 4, 2, 31);
  g_autoptr(GDateTime) week_later = local_time (2026, 12, 10, 9, 0);

  assert_next_run (schedule, night, 3, 2, 30);
  assert_next_run (schedule, at_run, 4, 2, 30);
  assert_next_run (schedule, morning, 4, 2, 30);

  /* Never run: never due (the store gives a new schedule the time it was made). */
  g_assert_false (kvb_schedule_is_due (schedule, week_later));
  /* Made in the morning: not due before the next night's run time, due after it. */
  kvb_schedule_set_last_run (schedule, morning);
  g_assert_false (kvb_schedule_is_due (schedule, next_night_early));
  g_assert_true (kvb_schedule_is_due (schedule, next_night_late));
  /* A week with the computer off: made up once, at once. */
  g_assert_true (kvb_schedule_is_due (schedule, week_later));

  /* Weekly: the night to Sunday, 6 December. */
  kvb_schedule_set_frequency (schedule, KVB_SCHEDULE_WEEKLY);
  assert_next_run (schedule, morning, 6, 2, 30);
  g_assert_false (kvb_schedule_is_due (schedule, next_night_late));
  g_assert_true (kvb_schedule_is_due (schedule, week_later));
}

/* The cloud of a schedule from the vault's: a name kvbackup's --cloud takes, a profile by its
 * path, nothing for the public cloud; the sample cloud lives in the window and is refused. */
static void
test_cloud (void)
{
  g_autofree char *profile_path = g_build_filename (tmp, "stand-in.json", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path ("/backups");
  g_autoptr(KvbSchedule) schedule = kvb_schedule_new ("contoso-kv", folder, NULL, NULL);
  g_autoptr(KvbCloud) public = kvb_cloud_new_public ();
  g_autoptr(KvbCloud) china = kvb_cloud_new_china ();
  g_autoptr(KvbCloud) sample = kvb_cloud_new_sample ("https://127.0.0.1:1", NULL);
  g_autoptr(KvbCloud) profile = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (profile_path,
                                      "{ \"name\": \"Contoso Stack\", "
                                      "\"authorityHost\": \"https://login.contoso.example\", "
                                      "\"resourceManager\": \"https://management.contoso.example\", "
                                      "\"keyVaultDnsSuffix\": \"vault.contoso.example\" }",
                                      -1, NULL));
  profile = kvb_cloud_new_from_file (profile_path, &error);
  g_assert_no_error (error);

  g_assert_true (kvb_schedule_set_vault_cloud (schedule, china, &error));
  g_assert_cmpstr (kvb_schedule_get_cloud (schedule), ==, "china");
  g_assert_true (kvb_schedule_set_vault_cloud (schedule, profile, &error));
  g_assert_cmpstr (kvb_schedule_get_cloud (schedule), ==, profile_path);
  g_assert_true (kvb_schedule_set_vault_cloud (schedule, public, &error));
  g_assert_null (kvb_schedule_get_cloud (schedule));

  g_assert_false (kvb_schedule_set_vault_cloud (schedule, sample, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "sample cloud"));
}

/* The application's schedules: written whole and private, read back the same, a broken entry
 * left out without losing the others. */
static void
test_store (void)
{
  g_autofree char *path = g_build_filename (tmp, "app-config", "key-vault-backup", "schedules.ini", NULL);
  g_autofree char *text = NULL;
  g_autofree char *broken = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) folder = g_file_new_for_path ("/backups/key vault");
  g_autoptr(KvbScheduleStore) store = kvb_schedule_store_new (file, "/app/bin/kvbackup");
  g_autoptr(KvbScheduleStore) again = NULL;
  g_autoptr(KvbSchedule) weekly = kvb_schedule_new ("Contoso-KV", folder, "/app/bin/kvbackup", NULL);
  g_autoptr(KvbSchedule) daily = kvb_schedule_new ("fabrikam-kv", folder, "/app/bin/kvbackup", NULL);
  g_autoptr(KvbSchedule) first = NULL;
  g_autoptr(GDateTime) made = g_date_time_new_utc (2026, 12, 3, 9, 15, 0);
  g_autoptr(GDateTime) ran = g_date_time_new_utc (2026, 12, 4, 2, 30, 0);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  KvbSchedule *found;

  /* No file yet: no schedule, no error. */
  g_assert_true (kvb_schedule_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  kvb_schedule_set_frequency (weekly, KVB_SCHEDULE_WEEKLY);
  kvb_schedule_set_keep (weekly, 3);
  g_assert_true (kvb_schedule_set_cloud (weekly, "china", &error));
  g_assert_true (kvb_schedule_store_add (store, weekly, made, &error));
  g_assert_no_error (error);
  g_assert_true (kvb_schedule_store_add (store, daily, made, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  assert_mode (path, 0600);
  g_assert_true (kvb_schedule_store_set_last_run (store, "fabrikam-kv", ran, &error));
  g_assert_no_error (error);

  again = kvb_schedule_store_new (file, "/app/bin/kvbackup");
  g_assert_true (kvb_schedule_store_load (again, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (again), 0);
  g_assert_cmpstr (kvb_schedule_get_vault (first), ==, "contoso-kv");
  found = kvb_schedule_store_lookup (again, "CONTOSO-kv");
  g_assert_true (found == first);
  g_assert_cmpstr (kvb_schedule_get_folder (found), ==, "/backups/key vault");
  g_assert_cmpint (kvb_schedule_get_frequency (found), ==, KVB_SCHEDULE_WEEKLY);
  g_assert_cmpuint (kvb_schedule_get_keep (found), ==, 3);
  g_assert_cmpstr (kvb_schedule_get_cloud (found), ==, "china");
  g_assert_true (g_date_time_equal (kvb_schedule_get_last_run (found), made));
  /* The night's run as the service would run it, in the vault's cloud. */
  argv = kvb_schedule_dup_argv (found);
  g_assert_cmpstr (argv[0], ==, "/bin/sh");
  g_assert_cmpstr (argv[4], ==, "/backups/key vault/contoso-kv");
  g_assert_cmpstr (argv[5], ==, "contoso-kv");
  g_assert_cmpstr (argv[6], ==, "/app/bin/kvbackup");
  g_assert_cmpstr (argv[7], ==, "3");
  g_assert_cmpstr (argv[8], ==, "china");
  g_assert_null (argv[9]);
  found = kvb_schedule_store_lookup (again, "fabrikam-kv");
  g_assert_nonnull (found);
  g_assert_true (g_date_time_equal (kvb_schedule_get_last_run (found), ran));
  g_assert_null (kvb_schedule_get_cloud (found));
  g_assert_cmpuint (kvb_schedule_get_keep (found), ==, KVB_SCHEDULE_DEFAULT_KEEP);

  /* Removed: gone from the file too. */
  g_assert_true (kvb_schedule_store_remove (again, "Fabrikam-KV", &error));
  g_assert_true (kvb_schedule_store_remove (again, "fabrikam-kv", &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "fabrikam"));
  assert_mode (path, 0600);

  /* An entry that cannot be used is left out, with a warning; the others stay. */
  broken = g_strconcat (text, "\n[bad name]\nFolder=/backups\n\n[relative-kv]\nFolder=backups\n", NULL);
  g_assert_true (g_file_set_contents (path, broken, -1, NULL));
  g_test_expect_message ("kvb-schedule-store", G_LOG_LEVEL_WARNING, "*bad name*");
  g_test_expect_message ("kvb-schedule-store", G_LOG_LEVEL_WARNING, "*relative-kv*");
  g_assert_true (kvb_schedule_store_load (again, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);

  /* A file that is not a key file is an error that says which file. */
  g_assert_true (g_file_set_contents (path, "not a key file\n", -1, NULL));
  g_assert_false (kvb_schedule_store_load (again, &error));
  g_assert_nonnull (strstr (error->message, path));
}

typedef struct
{
  guint finished;
  char *vault;
  gboolean success;
  char *message;
} Finished;

static void
finished_cb (KvbScheduleRunner *runner,
             const char        *vault,
             gboolean           success,
             const char        *message,
             Finished          *f)
{
  f->finished++;
  g_free (f->vault);
  f->vault = g_strdup (vault);
  f->success = success;
  g_free (f->message);
  f->message = g_strdup (message);
}

static void
wait_finished (Finished *f,
               guint     count)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (f->finished < count && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->finished, ==, count);
}

/* The runner starts the night's script of a schedule that is due, once, records the run, and
 * says what went wrong when kvbackup fails. */
static void
test_runner (void)
{
  g_autofree char *backups = g_build_filename (tmp, "in-app", NULL);
  g_autofree char *fake = g_build_filename (tmp, "fake-kvbackup-in-app", NULL);
  g_autofree char *calls = g_build_filename (tmp, "in-app-calls", NULL);
  g_autofree char *path = g_build_filename (tmp, "in-app-config", "schedules.ini", NULL);
  g_autofree char *called = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *target = NULL;
  g_autofree char *today_path = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) folder = g_file_new_for_path (backups);
  g_autoptr(KvbScheduleStore) store = kvb_schedule_store_new (file, fake);
  g_autoptr(KvbScheduleRunner) runner = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) two_days_ago = g_date_time_add_days (now, -2);
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autoptr(GError) error = NULL;
  Finished f = { 0 };
  KvbSchedule *stored;

  /* A kvbackup that records how it was called and makes the folder; with FAIL in the vault's
   * name it fails as the real one does, with its reason last on stderr. */
  g_assert_true (g_file_set_contents (fake,
                                      "#!/bin/sh\n"
                                      "echo \"$@\" >> \"$KVB_TEST_CALLS\"\n"
                                      "case \"$*\" in *fail-kv*) echo 'Backing up…' >&2; "
                                      "echo 'Vault “fail-kv” was not found.' >&2; exit 2;; esac\n"
                                      "while [ $# -gt 0 ]; do [ \"$1\" = --output ] && mkdir -p \"$2\"; shift; done\n",
                                      -1, NULL));
  g_assert_cmpint (g_chmod (fake, 0700), ==, 0);
  g_setenv ("KVB_TEST_CALLS", calls, TRUE);

  schedule = kvb_schedule_new ("contoso-kv", folder, fake, &error);
  g_assert_no_error (error);
  g_assert_true (kvb_schedule_set_cloud (schedule, "usgov", &error));
  g_assert_true (kvb_schedule_store_add (store, schedule, now, &error));
  g_assert_no_error (error);

  runner = kvb_schedule_runner_new (store);
  g_signal_connect (runner, "finished", G_CALLBACK (finished_cb), &f);

  /* Just made: nothing is due. */
  kvb_schedule_runner_check (runner);
  g_assert_cmpuint (kvb_schedule_runner_get_n_running (runner), ==, 0);
  g_assert_false (g_file_test (calls, G_FILE_TEST_EXISTS));

  /* Two nights missed: one run, at once. */
  g_assert_true (kvb_schedule_store_set_last_run (store, "contoso-kv", two_days_ago, &error));
  kvb_schedule_runner_check (runner);
  g_assert_cmpuint (kvb_schedule_runner_get_n_running (runner), ==, 1);
  /* Under way: not started twice. */
  kvb_schedule_runner_check (runner);
  g_assert_cmpuint (kvb_schedule_runner_get_n_running (runner), ==, 1);
  wait_finished (&f, 1);
  g_assert_cmpstr (f.vault, ==, "contoso-kv");
  g_assert_true (f.success);
  g_assert_null (f.message);
  g_assert_cmpuint (kvb_schedule_runner_get_n_running (runner), ==, 0);

  g_assert_true (g_file_get_contents (calls, &called, NULL, NULL));
  g_assert_nonnull (strstr (called, "backup --all --vault contoso-kv --cloud usgov --output "));
  g_assert_nonnull (strstr (called, "--resume"));
  g_assert_null (strchr (strchr (called, '\n') + 1, '\n'));
  today_path = g_build_filename (backups, "contoso-kv", today, NULL);
  latest = g_build_filename (backups, "contoso-kv", "latest", NULL);
  target = g_file_read_link (latest, NULL);
  g_assert_cmpstr (target, ==, today_path);

  /* The run is recorded, in the file too: not due again before the next run time. */
  stored = kvb_schedule_store_lookup (store, "contoso-kv");
  g_assert_cmpint (g_date_time_compare (kvb_schedule_get_last_run (stored), two_days_ago), >, 0);
  {
    g_autoptr(KvbScheduleStore) again = kvb_schedule_store_new (file, fake);

    g_assert_true (kvb_schedule_store_load (again, &error));
    g_assert_cmpint (g_date_time_compare (kvb_schedule_get_last_run (
                       kvb_schedule_store_lookup (again, "contoso-kv")), two_days_ago), >, 0);
  }
  kvb_schedule_runner_check (runner);
  g_assert_cmpuint (kvb_schedule_runner_get_n_running (runner), ==, 0);

  /* A run that fails: its reason is kvbackup's last line, and "latest" does not move. */
  g_clear_object (&schedule);
  schedule = kvb_schedule_new ("fail-kv", folder, fake, &error);
  kvb_schedule_set_last_run (schedule, two_days_ago);
  g_assert_true (kvb_schedule_store_add (store, schedule, now, &error));
  kvb_schedule_runner_check (runner);
  wait_finished (&f, 2);
  g_assert_cmpstr (f.vault, ==, "fail-kv");
  g_assert_false (f.success);
  g_assert_cmpstr (f.message, ==, "Vault “fail-kv” was not found.");
  {
    g_autofree char *fail_latest = g_build_filename (backups, "fail-kv", "latest", NULL);

    g_assert_false (g_file_test (fail_latest, G_FILE_TEST_EXISTS));
  }
  g_free (f.vault);
  g_free (f.message);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                               NULL, NULL);

  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFileInfo) owned = info;
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          remove_tree (child);
        }
    }
  g_file_delete (file, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) top = NULL;
  int rc;

  /* Run times are in local time: one with summer time. */
  g_setenv ("TZ", "Europe/Berlin", TRUE);
  g_test_init (&argc, &argv, NULL);
  tmp = g_dir_make_tmp ("kvb-schedule-XXXXXX", &error);
  g_assert_no_error (error);
  /* A runtime folder of its own, before GLib reads it: no systemd user instance there. */
  {
    g_autofree char *run = g_build_filename (tmp, "run", NULL);

    g_assert_cmpint (g_mkdir_with_parents (run, 0700), ==, 0);
    g_setenv ("XDG_RUNTIME_DIR", run, TRUE);
  }
  g_test_add_func ("/schedule/names", test_names);
  g_test_add_func ("/schedule/write-and-run", test_write_and_run);
  g_test_add_func ("/schedule/weekly-keep", test_weekly_keep);
  g_test_add_func ("/schedule/remove", test_remove);
  g_test_add_func ("/schedule/run-times", test_run_times);
  g_test_add_func ("/schedule/cloud", test_cloud);
  g_test_add_func ("/schedule/store", test_store);
  g_test_add_func ("/schedule/runner", test_runner);
  rc = g_test_run ();
  top = g_file_new_for_path (tmp);
  remove_tree (top);
  g_free (tmp);
  return rc;
}
