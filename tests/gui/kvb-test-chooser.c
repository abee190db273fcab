/* kvb-test-chooser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kvb-test-chooser.h"

static gboolean
shows (GtkFileChooser *chooser,
       GFile          *dir)
{
  g_autoptr(GFile) current = gtk_file_chooser_get_current_folder (chooser);

  return current != NULL && g_file_equal (current, dir);
}

void
kvb_test_chooser_pick_folder (GtkFileChooser *chooser,
                              const char     *folder)
{
  g_autoptr(GFile) dir = g_file_new_for_path (folder);

  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr(GError) error = NULL;
      gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      if (attempt > 0)
        g_test_message ("The chooser did not take %s; picking it again", folder);
      g_assert_true (gtk_file_chooser_set_current_folder (chooser, dir, &error));
      g_assert_no_error (error);
      while (!shows (chooser, dir) && g_get_monotonic_time () < end)
        g_main_context_iteration (NULL, FALSE);
      if (shows (chooser, dir))
        return;
    }
  g_error ("The file chooser never showed %s", folder);
}
