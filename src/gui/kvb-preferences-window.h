/* kvb-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KVB_TYPE_PREFERENCES_WINDOW (kvb_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (KvbPreferencesWindow, kvb_preferences_window, KVB, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GtkWidget *kvb_preferences_window_new (GtkWindow *parent);

G_END_DECLS
