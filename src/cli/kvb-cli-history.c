/* kvb-cli-history.c: kvbackup history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kvb-cli.h"
#include "kvb-cli-table.h"
#include "kvb-history.h"

/* "2026-12-02T08:15:03Z" as "2026-12-02 09:15" in the local time zone. */
static char *
local_time (const char *iso)
{
  g_autoptr(GDateTime) utc = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  return local ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup (iso ? iso : "");
}

static const char *
operation_word (const char *operation)
{
  if (g_strcmp0 (operation, KVB_HISTORY_BACKUP) == 0)
    return _("backup");
  if (g_strcmp0 (operation, KVB_HISTORY_RESTORE) == 0)
    return _("restore");
  if (g_strcmp0 (operation, KVB_HISTORY_RECOVER) == 0)
    return _("recover");
  if (g_strcmp0 (operation, KVB_HISTORY_PURGE) == 0)
    return _("purge");
  if (g_strcmp0 (operation, KVB_HISTORY_DOWNLOAD) == 0)
    /* Translators: a column of kvbackup history, 8 columns wide: the window's Download Backup */
    return _("download");
  return operation;
}

static const char *
result_word (const char *result)
{
  if (g_strcmp0 (result, KVB_HISTORY_SUCCEEDED) == 0)
    return _("succeeded");
  if (g_strcmp0 (result, KVB_HISTORY_PARTIAL) == 0)
    return _("some failed");
  if (g_strcmp0 (result, KVB_HISTORY_FAILED) == 0)
    return _("failed");
  if (g_strcmp0 (result, KVB_HISTORY_CANCELLED) == 0)
    return _("interrupted");
  return result ? result : "";
}

static void
print_entry (JsonObject *entry)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *when = local_time (json_object_get_string_member_with_default (entry, "time", NULL));
  JsonObject *counts = json_object_get_object_member (entry, "counts");
  const char *where = json_object_get_string_member_with_default (entry, "folder", NULL);
  JsonArray *files = json_object_has_member (entry, "files")
                     ? json_object_get_array_member (entry, "files") : NULL;
  JsonArray *names = json_object_has_member (entry, "names")
                     ? json_object_get_array_member (entry, "names") : NULL;
  const char *account = json_object_get_string_member_with_default (entry, "account", NULL);

  kvb_cli_append_padded (line, when, 17);
  g_string_append_c (line, ' ');
  kvb_cli_append_padded (line, operation_word (json_object_get_string_member_with_default (entry, "operation", "")), 8);
  g_string_append_c (line, ' ');
  kvb_cli_append_padded (line, json_object_get_string_member_with_default (entry, "vault", ""), 24);
  g_string_append_c (line, ' ');
  kvb_cli_append_padded (line, result_word (json_object_get_string_member_with_default (entry, "result", NULL)), 12);
  if (counts != NULL)
    {
      /* Translators: counts of objects done and failed */
      g_string_append_printf (line, _(" %3u done, %u failed"),
                              (guint) json_object_get_int_member_with_default (counts, "done", 0),
                              (guint) json_object_get_int_member_with_default (counts, "failed", 0));
    }
  if (where == NULL && files != NULL && json_array_get_length (files) > 0)
    where = json_array_get_string_element (files, 0);
  /* A recovery or purge in the window names its objects, not files. */
  if (where == NULL && names != NULL && json_array_get_length (names) > 0)
    where = json_array_get_string_element (names, 0);
  if (where != NULL)
    g_string_append_printf (line, "  %s", where);
  if (files != NULL && json_array_get_length (files) > 1)
    /* Translators: how many more files an operation had */
    g_string_append_printf (line, _(" (+%u files)"), json_array_get_length (files) - 1);
  else if (files == NULL && json_object_get_string_member_with_default (entry, "folder", NULL) == NULL &&
           names != NULL && json_array_get_length (names) > 1)
    /* Translators: how many more objects a recovery or purge had */
    g_string_append_printf (line, _(" (+%u objects)"), json_array_get_length (names) - 1);
  if (account != NULL)
    g_string_append_printf (line, "  [%s]", account);
  g_print ("%s\n", line->str);
}

int
kvb_cli_history (KvbCli  *cli,
                 int      argc,
                 char   **argv)
{
  g_autofree char *vault = NULL;
  int max = 0;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("Only the operations on this vault (its name)"), N_("VAULT") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &max,
      N_("Only the N newest operations"), N_("N") },
    { NULL }
  };
  g_autoptr(KvbHistory) history = kvb_history_new_default ();
  g_autoptr(GPtrArray) entries_read = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) last = NULL;

  if (!kvb_cli_parse_options (cli, "history",
                              _("Show the backups, restores, recoveries and purges that kvbackup "
                                "did on this computer for this user, newest first."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;
  if (argc > 1)
    return kvb_cli_usage_error ("history", _("Unexpected argument “%s”."), argv[1]);
  if (max < 0)
    return kvb_cli_usage_error ("history", _("--limit takes a number from 1 up."));

  /* A vault URL names the vault too. */
  if (vault != NULL && g_str_has_prefix (vault, "https://"))
    {
      char *host = vault + strlen ("https://");
      char *dot = strchr (host, '.');

      if (dot != NULL)
        *dot = '\0';
      memmove (vault, host, strlen (host) + 1);
    }

  entries_read = kvb_history_read (history, vault, max, &error);
  if (entries_read == NULL)
    {
      kvb_cli_print_error ("%s", error->message);
      return KVB_CLI_EXIT_FAILED;
    }
  /* Among all entries, not only the newest --limit ones. */
  if (vault != NULL)
    last = max == 0 ? kvb_history_find_last_backup (entries_read, vault)
                    : kvb_history_get_last_backup (history, vault, NULL);

  if (cli->json)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      g_autofree char *path = g_file_get_path (kvb_history_get_file (history));
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < entries_read->len; i++)
        json_array_add_object_element (array, json_object_ref (g_ptr_array_index (entries_read, i)));
      json_object_set_string_member (doc, "command", "history");
      json_object_set_string_member (doc, "file", path);
      if (vault != NULL)
        {
          g_autofree char *text = last ? g_date_time_format (last, "%Y-%m-%dT%H:%M:%SZ") : NULL;

          json_object_set_string_member (doc, "vault", vault);
          if (text != NULL)
            json_object_set_string_member (doc, "lastSuccessfulBackup", text);
          else
            json_object_set_null_member (doc, "lastSuccessfulBackup");
        }
      json_object_set_array_member (doc, "entries", array);
      kvb_cli_set_document (cli, doc);
      return KVB_CLI_EXIT_OK;
    }

  for (guint i = 0; i < entries_read->len; i++)
    print_entry (g_ptr_array_index (entries_read, i));
  if (entries_read->len == 0)
    g_printerr ("%s\n", vault ? _("No operation on this vault is in the history.")
                              : _("The history is empty."));
  else if (vault != NULL)
    {
      g_autofree char *text = NULL;

      if (last != NULL)
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (last);

          text = g_date_time_format (local, "%Y-%m-%d %H:%M");
          /* Translators: the vault, then a date and time */
          g_printerr (_("Last backup of %s with every object done: %s.\n"), vault, text);
        }
      else
        g_printerr (_("%s has no backup with every object done in the history.\n"), vault);
    }

  return KVB_CLI_EXIT_OK;
}
