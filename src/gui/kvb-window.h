/* kvb-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KVB_TYPE_WINDOW (kvb_window_get_type ())

G_DECLARE_FINAL_TYPE (KvbWindow, kvb_window, KVB, WINDOW, AdwApplicationWindow)

KvbWindow *kvb_window_new        (AdwApplication *application);
void       kvb_window_add_toast  (KvbWindow      *self,
                                  const char     *message);
void       kvb_window_open_files (KvbWindow      *self,
                                  GListModel     *files);

G_END_DECLS
