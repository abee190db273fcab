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

/* GtkFileChooserWidget shows the "progress" cursor on its window while it looks at a folder. */
static gboolean
busy (GtkFileChooser *chooser)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (chooser));

  return root != NULL && gtk_widget_get_cursor (GTK_WIDGET (root)) != NULL;
}

static gboolean
wait_until_settled (GtkFileChooser *chooser,
                    GFile          *dir,
                    guint           seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      gboolean settled = !busy (chooser) && (dir == NULL || shows (chooser, dir));

      if (settled || g_get_monotonic_time () >= end)
        return settled;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

void
kvb_test_chooser_pick_folder (GtkFileChooser *chooser,
                              const char     *folder)
{
  g_autoptr(GFile) dir = g_file_new_for_path (folder);

  /* GTK 4.8 looks at its start-up folder when the dialog is mapped.  A change of folder while
   * that look is under way cancels it, and the cancelled look goes on with the folder's parent
   * (it takes the cancellation for a missing folder), which may then win over the folder
   * picked.  So the start-up look is let to end first, and a folder that did not take is picked
   * again: each try cuts that walk up the tree one step shorter. */
  wait_until_settled (chooser, NULL, 10);
  for (guint attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr(GError) error = NULL;

      if (attempt > 0)
        g_test_message ("The chooser did not take %s; picking it again", folder);
      g_assert_true (gtk_file_chooser_set_current_folder (chooser, dir, &error));
      g_assert_no_error (error);
      if (wait_until_settled (chooser, dir, 10))
        {
          /* Still there a moment later: nothing else was under way. */
          gint64 end = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;

          while (g_get_monotonic_time () < end)
            g_main_context_iteration (NULL, FALSE);
          if (wait_until_settled (chooser, dir, 0))
            return;
        }
    }
  g_error ("The file chooser never showed %s", folder);
}
