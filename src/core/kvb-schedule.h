/* kvb-schedule.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"

G_BEGIN_DECLS

typedef enum
{
  KVB_SCHEDULE_DAILY,    /* every night at 02:30 */
  KVB_SCHEDULE_WEEKLY,   /* the night to Sunday at 02:30 */
} KvbScheduleFrequency;

/* How many dated backups a schedule keeps by default (0 keeps all), and at most. */
#define KVB_SCHEDULE_DEFAULT_KEEP 14
#define KVB_SCHEDULE_MAX_KEEP 3650

#define KVB_TYPE_SCHEDULE (kvb_schedule_get_type ())

G_DECLARE_FINAL_TYPE (KvbSchedule, kvb_schedule, KVB, SCHEDULE, GObject)

/* Nightly or weekly backups of one vault by kvbackup, as a systemd user timer and service (the
 * README's "systemd user timer", for one vault): every night (or week) at 02:30 (plus up to 15
 * minutes) the vault is backed up into FOLDER/VAULT/YYYY-MM-DD, incrementally from FOLDER/VAULT/latest, which then
 * points at it; a second run the same day resumes.  The service reads the sign-in from
 * ~/.config/kvbackup/env when it exists (AZURE_TENANT_ID…), else kvbackup uses "kvbackup
 * login" or the Azure CLI.  Inside a Flatpak sandbox the application runs the same night's run
 * itself (kvb_schedule_runs_in_application()).
 *
 * @vault is the vault's name (letters, digits and hyphens), @folder an absolute local folder
 * (%NULL for a schedule that is only looked at or removed: it cannot be written),
 * @kvbackup the program's absolute path (NULL: "kvbackup" from the service's PATH).  Returns
 * %NULL with @error for a name or folder that cannot go into a unit. */
KvbSchedule *kvb_schedule_new                (const char    *vault,
                                              GFile         *folder,
                                              const char    *kvbackup,
                                              GError       **error);
/* Daily (the default) or weekly. */
void         kvb_schedule_set_frequency      (KvbSchedule          *self,
                                              KvbScheduleFrequency  frequency);
KvbScheduleFrequency kvb_schedule_get_frequency (KvbSchedule       *self);
/* After each run, only the @keep newest dated backups stay (0: all stay).  Default
 * KVB_SCHEDULE_DEFAULT_KEEP. */
void         kvb_schedule_set_keep           (KvbSchedule          *self,
                                              guint                 keep);
guint        kvb_schedule_get_keep           (KvbSchedule          *self);

/* Whether the schedules are kept and run by the application itself (KvbScheduleStore,
 * KvbScheduleRunner), started with the session through the Background portal: inside a Flatpak
 * sandbox, whose systemd units the session never reads.  Elsewhere a systemd user timer runs
 * them. */
gboolean     kvb_schedule_runs_in_application (void);

/* The vault (in lower case), and the folder chosen for its backups (FOLDER; the backups go into
 * FOLDER/VAULT), %NULL for a schedule made without one. */
const char  *kvb_schedule_get_vault          (KvbSchedule          *self);
const char  *kvb_schedule_get_folder         (KvbSchedule          *self);
/* The cloud kvbackup backs the vault up in (its --cloud: "china", "usgov" or a cloud profile's
 * path); %NULL or "public" for the public cloud, kvbackup's default.  %FALSE with @error for a
 * name that cannot go into a unit. */
gboolean     kvb_schedule_set_cloud          (KvbSchedule          *self,
                                              const char           *cloud,
                                              GError              **error);
const char  *kvb_schedule_get_cloud          (KvbSchedule          *self);
/* The same from the cloud the vault is in: its name, or its profile's path.  %FALSE with @error
 * for the sample cloud, which lives inside the window and no kvbackup can reach. */
gboolean     kvb_schedule_set_vault_cloud    (KvbSchedule          *self,
                                              KvbCloud             *cloud,
                                              GError              **error);

/* When the schedule last started a backup (or was made), %NULL for never. */
void         kvb_schedule_set_last_run       (KvbSchedule          *self,
                                              GDateTime            *when);
GDateTime   *kvb_schedule_get_last_run       (KvbSchedule          *self);
/* The first run time after @after: 02:30 local time, every day or on Sundays. */
GDateTime   *kvb_schedule_dup_next_run       (KvbSchedule          *self,
                                              GDateTime            *after);
/* Whether a run time has come since the last run, as a systemd timer with Persistent=true sees
 * it: a night missed (the computer off, nobody logged in) is made up at once, only once.  One
 * without a last run is never due: KvbScheduleStore gives a new one the time it was made. */
gboolean     kvb_schedule_is_due             (KvbSchedule          *self,
                                              GDateTime            *now);
/* The night's run as a program's arguments (/bin/sh -c SCRIPT …): what the service runs. */
GStrv        kvb_schedule_dup_argv           (KvbSchedule          *self);

/* "kvbackup-VAULT" (in lower case): the timer is UNIT.timer, the service UNIT.service. */
const char  *kvb_schedule_get_unit_name      (KvbSchedule   *self);
char        *kvb_schedule_dup_service_text   (KvbSchedule   *self);
char        *kvb_schedule_dup_timer_text     (KvbSchedule   *self);
/* The user's systemd unit folder: CONFIG/systemd/user (g_get_user_config_dir()). */
GFile       *kvb_schedule_dup_default_unit_folder (void);

/* Writes UNIT.service and UNIT.timer into @unit_folder (made 0700 when missing), each 0600 and
 * atomically (a new file renamed over the old one), off the calling thread. */
void         kvb_schedule_write_async        (KvbSchedule          *self,
                                              GFile                *unit_folder,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean     kvb_schedule_write_finish       (KvbSchedule          *self,
                                              GAsyncResult         *result,
                                              GError              **error);
gboolean     kvb_schedule_write              (KvbSchedule          *self,
                                              GFile                *unit_folder,
                                              GError              **error);

/* Whether the vault has nightly backups: UNIT.timer or UNIT.service is in @unit_folder. */
gboolean     kvb_schedule_is_installed       (KvbSchedule          *self,
                                              GFile                *unit_folder);

/* Stops the nightly backups: when the user's systemd instance is reachable (its private socket
 * in the runtime folder, and systemctl on the PATH), "systemctl --user disable --now
 * UNIT.timer"; then both unit files are removed from @unit_folder (missing ones are no error),
 * and systemd is told to forget them (daemon-reload).  Fails with @error only when a unit file
 * could not be removed.  A timer that could not be stopped does not stop the removal:
 * @stop_problem (out, optional, nullable) then says why, in a sentence; it stays %NULL when the
 * timer was stopped or there was no systemd instance to stop it in.  Off the calling thread. */
void         kvb_schedule_remove_async       (KvbSchedule          *self,
                                              GFile                *unit_folder,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean     kvb_schedule_remove_finish      (KvbSchedule          *self,
                                              GAsyncResult         *result,
                                              char                **stop_problem,
                                              GError              **error);
gboolean     kvb_schedule_remove             (KvbSchedule          *self,
                                              GFile                *unit_folder,
                                              GCancellable         *cancellable,
                                              char                **stop_problem,
                                              GError              **error);

G_END_DECLS
