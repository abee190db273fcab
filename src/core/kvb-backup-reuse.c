/* kvb-backup-reuse.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-backup-reuse"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-backup-file.h"
#include "kvb-backup-reuse.h"
#include "kvb-error.h"
#include "kvb-file-util.h"
#include "kvb-json-util.h"
#include "kvb-vault-manifest.h"

/* A copy of what the checks read of an entry, for the thread; @file names it in its folder. */
static JsonObject *
copy_entry (JsonObject *entry,
            const char *file)
{
  JsonObject *copy = json_object_new ();
  const char *members[] = { "kind", "name", "sha256", "versionsDigest" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const char *value = kvb_json_get_string (entry, members[i], NULL);

      if (value != NULL)
        json_object_set_string_member (copy, members[i], value);
    }
  json_object_set_string_member (copy, "file",
                                 file ? file : kvb_json_get_string (entry, "file", ""));
  json_object_set_int_member (copy, "size", kvb_json_get_int (entry, "size", -1));
  json_object_set_int_member (copy, "versions",
                              kvb_json_get_int (entry, "versions", -1));
  return copy;
}

/* ---- a kept file ---- */

typedef struct
{
  JsonObject *entry;
  GFile *folder;
} Check;

static void
check_free (Check *check)
{
  g_clear_pointer (&check->entry, json_object_unref);
  g_clear_object (&check->folder);
  g_free (check);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Check *check = task_data;
  GError *error = NULL;

  if (!kvb_vault_manifest_check_entry (check->entry, check->folder, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
kvb_backup_reuse_check_async (JsonObject          *entry,
                              GFile               *folder,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;

  g_return_if_fail (entry != NULL);
  g_return_if_fail (G_IS_FILE (folder));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_reuse_check_async);
  check = g_new0 (Check, 1);
  check->entry = copy_entry (entry, NULL);
  check->folder = g_object_ref (folder);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  g_task_run_in_thread (task, check_thread);
}

gboolean
kvb_backup_reuse_check_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- an earlier backup's file ---- */

typedef struct
{
  JsonObject *from;         /* the earlier entry */
  GFile *from_folder;
  JsonObject *to;           /* the same, with the file as it is named in the new folder */
  GFile *to_folder;
  KvbBackupReuseMode mode;
} Reuse;

static void
reuse_free (Reuse *reuse)
{
  g_clear_pointer (&reuse->from, json_object_unref);
  g_clear_pointer (&reuse->to, json_object_unref);
  g_clear_object (&reuse->from_folder);
  g_clear_object (&reuse->to_folder);
  g_free (reuse);
}

/* A hard link under a temporary name renamed over the final one, so that the final name only
 * ever holds a whole file (the temporary name is one a resume removes). */
static KvbBackupReuseMode
link_or_copy (const char    *from,
              GFile         *to,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *to_path = g_file_get_path (to);
  g_autofree char *dir = g_path_get_dirname (to_path);
  g_autofree char *base = g_path_get_basename (to_path);
  g_autoptr(GBytes) bytes = NULL;
  int saved_errno = 0;

  for (guint attempt = 0; attempt < 16; attempt++)
    {
      g_autofree char *temp = g_strdup_printf ("%s/.%s.%08x", dir, base, g_random_int ());

      if (link (from, temp) == 0)
        {
          if (rename (temp, to_path) == 0)
            return KVB_BACKUP_REUSE_LINK;
          saved_errno = errno;
          g_unlink (temp);
          g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” could not be written: %s."),
                       to_path, g_strerror (saved_errno));
          return 0;
        }
      saved_errno = errno;
      if (saved_errno != EEXIST)
        break;
    }

  /* Another file system (EXDEV), or one without hard links: a copy, written like a backup. */
  g_debug ("no hard link for %s (%s): copied", base, g_strerror (saved_errno));
  bytes = kvb_file_load_regular (from, KVB_FILE_PURPOSE_BACKUP, cancellable, error);
  if (bytes == NULL || !kvb_backup_file_write (to, bytes, TRUE, cancellable, error))
    return 0;
  return KVB_BACKUP_REUSE_COPY;
}

static void
reuse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Reuse *reuse = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) from = g_file_resolve_relative_path (
      reuse->from_folder, json_object_get_string_member (reuse->from, "file"));
  g_autoptr(GFile) to = g_file_resolve_relative_path (
      reuse->to_folder, json_object_get_string_member (reuse->to, "file"));
  g_autofree char *from_path = g_file_get_path (from);

  /* The earlier file is checked before it is taken, and the new one after: the manifest records
   * what is in the folder, not what the earlier manifest said. */
  if (!kvb_vault_manifest_check_entry (reuse->from, reuse->from_folder, &error) ||
      (reuse->mode = link_or_copy (from_path, to, cancellable, &error)) == 0 ||
      !kvb_vault_manifest_check_entry (reuse->to, reuse->to_folder, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
kvb_backup_reuse_async (JsonObject          *earlier,
                        GFile               *earlier_folder,
                        GFile               *folder,
                        const char          *file,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Reuse *reuse;

  g_return_if_fail (earlier != NULL);
  g_return_if_fail (G_IS_FILE (earlier_folder));
  g_return_if_fail (G_IS_FILE (folder));
  g_return_if_fail (file != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_reuse_async);
  reuse = g_new0 (Reuse, 1);
  reuse->from = copy_entry (earlier, NULL);
  reuse->from_folder = g_object_ref (earlier_folder);
  reuse->to = copy_entry (earlier, file);
  reuse->to_folder = g_object_ref (folder);
  g_task_set_task_data (task, reuse, (GDestroyNotify) reuse_free);
  g_task_run_in_thread (task, reuse_thread);
}

JsonObject *
kvb_backup_reuse_finish (GAsyncResult        *result,
                         KvbBackupReuseMode  *mode,
                         GError             **error)
{
  Reuse *reuse;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  reuse = g_task_get_task_data (G_TASK (result));
  if (mode != NULL)
    *mode = reuse->mode;
  return json_object_ref (reuse->to);
}
