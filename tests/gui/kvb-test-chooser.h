/* kvb-test-chooser.h: GTK's own file chooser (no portal in the tests), as a person uses it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows @folder in @chooser and waits until it has taken it.  The chooser takes a folder only
 * after an asynchronous look at it, which a later change of folder cancels (its own start-up
 * folder when it is mapped, for one); as a person would, it is picked again when it did not
 * take.  Fails the test after three tries of 10 s. */
void kvb_test_chooser_pick_folder (GtkFileChooser *chooser,
                                   const char     *folder);

G_END_DECLS
