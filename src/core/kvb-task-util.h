/* kvb-task-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void kvb_task_call_later (GTask       *task,
                          guint        delay_ms,
                          GSourceFunc  func);

G_END_DECLS
