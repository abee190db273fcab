/* kvb-test-chooser.h: GTK's own file chooser (no portal in the tests), as a person uses it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows @folder in @chooser and waits until it has taken it, as a person picks a folder and
 * picks it again when the dialog showed another.  Fails the test when it never takes. */
void kvb_test_chooser_pick_folder (GtkFileChooser *chooser,
                                   const char     *folder);

G_END_DECLS
