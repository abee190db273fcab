/* kvb-schedule.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-schedule"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-schedule.h"

struct _KvbSchedule
{
  GObject parent_instance;

  char *vault;       /* in lower case */
  char *folder;      /* FOLDER/VAULT: the dated backups and "latest" */
  char *kvbackup;
  char *unit_name;
};

G_DEFINE_FINAL_TYPE (KvbSchedule, kvb_schedule, G_TYPE_OBJECT)

/* The night's run, given ROOT VAULT KVBACKUP: as the README's kvbackup-nightly script, for one
 * vault.  "latest" moves only after a run where every object was saved (set -e). */
static const char script[] =
  "set -eu; root=$1; vault=$2; kvbackup=$3; today=$root/$(date -u +%Y-%m-%d); "
  "if [ -d \"$root/latest\" ] && [ ! -e \"$today\" ]; then "
  "\"$kvbackup\" backup --all --vault \"$vault\" --output \"$today\" --incremental \"$root/latest\"; "
  "else \"$kvbackup\" backup --all --vault \"$vault\" --output \"$today\" --resume; fi; "
  "ln -sfn \"$today\" \"$root/latest\"";

static void
kvb_schedule_finalize (GObject *object)
{
  KvbSchedule *self = (KvbSchedule *)object;

  g_free (self->vault);
  g_free (self->folder);
  g_free (self->kvbackup);
  g_free (self->unit_name);

  G_OBJECT_CLASS (kvb_schedule_parent_class)->finalize (object);
}

static void
kvb_schedule_class_init (KvbScheduleClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_schedule_finalize;
}

static void
kvb_schedule_init (KvbSchedule *self)
{
}

static gboolean
valid_vault_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 24)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return g_ascii_isalpha (name[0]);
}

/* What systemd keeps as it is: printable, no newline (a unit's line ends there). */
static gboolean
fits_a_line (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

KvbSchedule *
kvb_schedule_new (const char  *vault,
                  GFile       *folder,
                  const char  *kvbackup,
                  GError     **error)
{
  g_autoptr(KvbSchedule) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (vault != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  if (!valid_vault_name (vault))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("“%s” is not the name of a vault: 3 to 24 letters, digits and hyphens."), vault);
      return NULL;
    }
  path = g_file_get_path (folder);
  if (path == NULL || !g_path_is_absolute (path) || !fits_a_line (path) ||
      (kvbackup != NULL && (!g_path_is_absolute (kvbackup) || !fits_a_line (kvbackup))))
    {
      g_autofree char *name = g_file_get_parse_name (folder);

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Nightly backups cannot go into “%s”: choose a folder on this computer whose "
                     "name has no line break."), name);
      return NULL;
    }

  self = g_object_new (KVB_TYPE_SCHEDULE, NULL);
  self->vault = g_ascii_strdown (vault, -1);
  self->folder = g_build_filename (path, self->vault, NULL);
  self->kvbackup = g_strdup (kvbackup != NULL ? kvbackup : "kvbackup");
  self->unit_name = g_strconcat ("kvbackup-", self->vault, NULL);
  return g_steal_pointer (&self);
}

const char *
kvb_schedule_get_unit_name (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);
  return self->unit_name;
}

/* @text as one word of a unit's command line: in double quotes, with what systemd would expand
 * ("%" specifiers, "$" variables) and the quote and backslash escaped.  @quote is the quote
 * character ('"' for a word, '\'' for the script, which holds neither quote kind unescaped). */
static void
append_word (GString    *line,
             const char *text,
             char        quote)
{
  g_string_append_c (line, quote);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%')
        g_string_append (line, "%%");
      else if (*p == '$')
        g_string_append (line, "$$");
      else if (quote == '"' && (*p == '"' || *p == '\\'))
        {
          g_string_append_c (line, '\\');
          g_string_append_c (line, *p);
        }
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, quote);
}

char *
kvb_schedule_dup_service_text (KvbSchedule *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);

  g_string_append_printf (text,
                          "# Written by Key Vault Backup: nightly backups of the vault %s.\n"
                          "[Unit]\n"
                          "Description=Back up the Azure Key Vault %s (kvbackup)\n"
                          "Wants=network-online.target\n"
                          "After=network-online.target\n"
                          "\n"
                          "[Service]\n"
                          "Type=oneshot\n"
                          "EnvironmentFile=-%%h/.config/kvbackup/env\n"
                          "ExecStart=/bin/sh -c ",
                          self->vault, self->vault);
  append_word (text, script, '\'');
  g_string_append_printf (text, " %s ", self->unit_name);
  append_word (text, self->folder, '"');
  g_string_append_c (text, ' ');
  append_word (text, self->vault, '"');
  g_string_append_c (text, ' ');
  append_word (text, self->kvbackup, '"');
  g_string_append (text,
                   "\n"
                   "# Stopping the unit sends SIGTERM: kvbackup ends within a second and the next run resumes.\n"
                   "TimeoutStartSec=6h\n"
                   "NoNewPrivileges=yes\n"
                   "PrivateTmp=yes\n");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
kvb_schedule_dup_timer_text (KvbSchedule *self)
{
  g_return_val_if_fail (KVB_IS_SCHEDULE (self), NULL);

  return g_strdup_printf ("# Written by Key Vault Backup: nightly backups of the vault %s.\n"
                          "[Unit]\n"
                          "Description=Back up the Azure Key Vault %s every night\n"
                          "\n"
                          "[Timer]\n"
                          "OnCalendar=*-*-* 02:30:00\n"
                          "RandomizedDelaySec=15min\n"
                          "Persistent=true\n"
                          "\n"
                          "[Install]\n"
                          "WantedBy=timers.target\n",
                          self->vault, self->vault);
}

GFile *
kvb_schedule_dup_default_unit_folder (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "systemd", "user", NULL);

  return g_file_new_for_path (path);
}

static gboolean
write_unit (const char  *folder,
            const char  *name,
            const char  *text,
            GError     **error)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) local_error = NULL;

  /* A new file of 0600 renamed over the old one: never half a unit, never readable by others. */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be written: %s"), path,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
kvb_schedule_write (KvbSchedule  *self,
                    GFile        *unit_folder,
                    GError      **error)
{
  g_autofree char *folder = NULL;
  g_autofree char *service = NULL;
  g_autofree char *timer = NULL;
  g_autofree char *service_name = NULL;
  g_autofree char *timer_name = NULL;

  g_return_val_if_fail (KVB_IS_SCHEDULE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (unit_folder), FALSE);

  folder = g_file_get_path (unit_folder);
  if (folder == NULL || g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be made: %s"),
                   folder ? folder : "", g_strerror (saved_errno));
      return FALSE;
    }

  service = kvb_schedule_dup_service_text (self);
  timer = kvb_schedule_dup_timer_text (self);
  service_name = g_strconcat (self->unit_name, ".service", NULL);
  timer_name = g_strconcat (self->unit_name, ".timer", NULL);
  /* The service first: a timer never points at a service that is not there. */
  return write_unit (folder, service_name, service, error) &&
         write_unit (folder, timer_name, timer, error);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (kvb_schedule_write (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kvb_schedule_write_async (KvbSchedule         *self,
                          GFile               *unit_folder,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KVB_IS_SCHEDULE (self));
  g_return_if_fail (G_IS_FILE (unit_folder));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_schedule_write_async);
  g_task_set_task_data (task, g_object_ref (unit_folder), g_object_unref);
  g_task_run_in_thread (task, write_thread);
}

gboolean
kvb_schedule_write_finish (KvbSchedule   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
