/* kvb-schedule-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-schedule.h"

G_BEGIN_DECLS

#define KVB_TYPE_SCHEDULE_STORE (kvb_schedule_store_get_type ())

G_DECLARE_FINAL_TYPE (KvbScheduleStore, kvb_schedule_store, KVB, SCHEDULE_STORE, GObject)

/* The scheduled backups that the application runs itself (see kvb_schedule_runs_in_application()),
 * one KvbSchedule per vault, as a GListModel in the file's order, kept in a key file:
 *
 *   [contoso-prod-kv]
 *   Folder=/home/ada/Backups
 *   Frequency=daily
 *   Keep=14
 *   Cloud=china
 *   LastRun=2026-12-03T02:30:00Z
 *
 * Every change is written at once, whole (a new file renamed over the old one) and 0600.
 * @kvbackup is the program the schedules run (an absolute path; %NULL: "kvbackup" from the PATH). */
KvbScheduleStore *kvb_schedule_store_new          (GFile             *file,
                                                   const char        *kvbackup);
/* CONFIG/key-vault-backup/schedules.ini (g_get_user_config_dir(): inside a Flatpak sandbox, the
 * application's own). */
GFile            *kvb_schedule_store_dup_default_file (void);

/* Reads the file (a missing one holds no schedule).  A vault whose lines cannot be used is left
 * out with a warning, the others are read; %FALSE with @error when the file cannot be read. */
gboolean          kvb_schedule_store_load         (KvbScheduleStore  *self,
                                                   GError           **error);
/* The vault's schedule, or %NULL. (transfer none) */
KvbSchedule      *kvb_schedule_store_lookup       (KvbScheduleStore  *self,
                                                   const char        *vault);
/* Adds @schedule (made with a folder), or replaces the vault's; its last run becomes @now when it
 * has none, so that it first runs at its next run time.  Then writes the file. */
gboolean          kvb_schedule_store_add          (KvbScheduleStore  *self,
                                                   KvbSchedule       *schedule,
                                                   GDateTime         *now,
                                                   GError           **error);
/* Removes the vault's schedule (none is no error) and writes the file. */
gboolean          kvb_schedule_store_remove       (KvbScheduleStore  *self,
                                                   const char        *vault,
                                                   GError           **error);
/* Records that the vault's backup started at @when, and writes the file. */
gboolean          kvb_schedule_store_set_last_run (KvbScheduleStore  *self,
                                                   const char        *vault,
                                                   GDateTime         *when,
                                                   GError           **error);

G_END_DECLS
