/* fuzz-main.c: replays inputs through a fuzz target without libFuzzer, so that the normal build
 * (GCC, with or without the sanitizers) runs each target over its seeds and the inputs that once
 * crashed it.
 *
 *   fuzz-TARGET FILE_OR_FOLDER...
 *
 * Prints one TAP line per input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <string.h>

#include "kvb-fuzz.h"

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
add_inputs (GPtrArray  *paths,
            const char *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (paths, g_strdup (path));
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  /* Sorted, so that two runs list the inputs in the same order. */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (paths, g_build_filename (path, g_ptr_array_index (names, i), NULL));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    add_inputs (paths, argv[i]);

  printf ("1..%u\n", MAX (paths->len, 1));
  if (paths->len == 0)
    {
      printf ("ok 1 # SKIP no inputs\n");
      return 0;
    }

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *contents = NULL;
      g_autofree char *base = g_path_get_basename (path);
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, &error))
        {
          printf ("not ok %u %s: %s\n", i + 1, base, error->message);
          continue;
        }
      /* A crash ends the program here, and the missing TAP lines fail the test. */
      fflush (stdout);
      LLVMFuzzerTestOneInput ((const guint8 *) contents, len);
      printf ("ok %u %s\n", i + 1, base);
    }

  return 0;
}
