/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "key-vault-backup"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "kvb-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(KvbApplication) app = NULL;
  const char *localedir = g_getenv ("KVB_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* KVB_LOCALEDIR: the translations compiled in a build tree, for a run before installing
   * (build-aux/run.sh and the tests set it). */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = kvb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
