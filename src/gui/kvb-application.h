/* kvb-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-schedule-store.h"

G_BEGIN_DECLS

#define KVB_TYPE_APPLICATION (kvb_application_get_type ())

G_DECLARE_FINAL_TYPE (KvbApplication, kvb_application, KVB, APPLICATION, AdwApplication)

KvbApplication *kvb_application_new (void);

/* The scheduled backups this application runs itself (inside a Flatpak sandbox, see
 * kvb_schedule_runs_in_application()); %NULL where a systemd timer runs them. */
KvbScheduleStore *kvb_application_get_schedule_store (KvbApplication *self);

G_END_DECLS
