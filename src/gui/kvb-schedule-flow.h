/* kvb-schedule-flow.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-cloud.h"

G_BEGIN_DECLS

#define KVB_TYPE_SCHEDULE_FLOW (kvb_schedule_flow_get_type ())

G_DECLARE_FINAL_TYPE (KvbScheduleFlow, kvb_schedule_flow, KVB, SCHEDULE_FLOW, GObject)

/* The window's side of scheduled backups (the core's KvbSchedule writes the units): the dialogs
 * of Schedule Backups and Stop Nightly Backups, turning the timer on with systemctl (inside a
 * Flatpak sandbox: the application's own schedule and the Background portal), and the choices
 * of the last time.  "toast" gives a sentence to show, "changed" says that a schedule
 * was written or removed. */
KvbScheduleFlow *kvb_schedule_flow_new          (void);
/* Whether @vault has scheduled backups: its units are in the user's unit folder (inside a
 * Flatpak sandbox: the application's schedules have it). */
gboolean         kvb_schedule_flow_is_scheduled (const char      *vault);
/* Schedule Backups of @vault, which is in @cloud. */
void             kvb_schedule_flow_schedule     (KvbScheduleFlow *self,
                                                 GtkWindow       *parent,
                                                 const char      *vault,
                                                 KvbCloud        *cloud);
void             kvb_schedule_flow_unschedule   (KvbScheduleFlow *self,
                                                 GtkWindow       *parent,
                                                 const char      *vault);
/* Forgets what is under way (the page shows another vault): no dialog or toast follows. */
void             kvb_schedule_flow_cancel       (KvbScheduleFlow *self);

G_END_DECLS
