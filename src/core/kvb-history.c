/* kvb-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-history"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-file-util.h"
#include "kvb-history.h"
#include "kvb-json-util.h"

/* Years of nightly backups of many vaults stay far below this (a line is a few hundred bytes). */
#define HISTORY_MAX_SIZE (64 * 1024 * 1024)

struct _KvbHistory
{
  GObject parent_instance;

  GFile *file;
};

G_DEFINE_FINAL_TYPE (KvbHistory, kvb_history, G_TYPE_OBJECT)

static void
kvb_history_dispose (GObject *object)
{
  KvbHistory *self = (KvbHistory *)object;

  g_clear_object (&self->file);

  G_OBJECT_CLASS (kvb_history_parent_class)->dispose (object);
}

static void
kvb_history_class_init (KvbHistoryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kvb_history_dispose;
}

static void
kvb_history_init (KvbHistory *self)
{
}

KvbHistory *
kvb_history_new (GFile *file)
{
  KvbHistory *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (KVB_TYPE_HISTORY, NULL);
  self->file = g_object_ref (file);
  return self;
}

KvbHistory *
kvb_history_new_default (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), KVB_HISTORY_FOLDER_NAME,
                                            KVB_HISTORY_FILE_NAME, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return kvb_history_new (file);
}

GFile *
kvb_history_get_file (KvbHistory *self)
{
  g_return_val_if_fail (KVB_IS_HISTORY (self), NULL);
  return self->file;
}

static char *
now_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

JsonObject *
kvb_history_entry_new (const char *operation,
                       const char *vault)
{
  JsonObject *entry;
  g_autofree char *now = now_text ();

  g_return_val_if_fail (operation != NULL, NULL);

  entry = json_object_new ();
  json_object_set_string_member (entry, "time", now);
  json_object_set_string_member (entry, "operation", operation);
  if (vault != NULL)
    json_object_set_string_member (entry, "vault", vault);
  else
    json_object_set_null_member (entry, "vault");
  return entry;
}

void
kvb_history_entry_set_outcome (JsonObject   *entry,
                               guint         n_objects,
                               guint         n_done,
                               guint         n_skipped,
                               guint         n_failed,
                               const GError *error,
                               const char   *reason)
{
  JsonObject *counts;
  g_autofree char *now = now_text ();
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const char *result;

  g_return_if_fail (entry != NULL);

  if (cancelled)
    result = KVB_HISTORY_CANCELLED;
  else if (error != NULL || (n_done == 0 && n_failed > 0))
    result = KVB_HISTORY_FAILED;
  else
    result = n_failed > 0 ? KVB_HISTORY_PARTIAL : KVB_HISTORY_SUCCEEDED;

  counts = json_object_new ();
  json_object_set_int_member (counts, "done", n_done);
  json_object_set_int_member (counts, "skipped", n_skipped);
  json_object_set_int_member (counts, "failed", n_failed);
  json_object_set_int_member (entry, "objects", n_objects);
  json_object_set_string_member (entry, "result", result);
  json_object_set_object_member (entry, "counts", counts);
  json_object_set_string_member (entry, "finished", now);
  if (error != NULL && !cancelled)
    json_object_set_string_member (entry, "message", error->message);
  else if (reason != NULL)
    json_object_set_string_member (entry, "message", reason);
}

gboolean
kvb_history_append (KvbHistory  *self,
                    JsonObject  *entry,
                    GError     **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = json_node_alloc ();
  g_autoptr(GFile) parent = NULL;
  g_autofree char *parent_path = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  gsize len;
  gssize written;
  int fd;
  int saved_errno;

  g_return_val_if_fail (KVB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (!json_object_has_member (entry, "time"))
    {
      g_autofree char *now = now_text ();

      json_object_set_string_member (entry, "time", now);
    }

  /* One line: the generator is not pretty, so the text holds no newline. */
  json_node_init_object (node, entry);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  line = g_strconcat (text, "\n", NULL);
  len = strlen (line);

  path = g_file_get_path (self->file);
  parent = g_file_get_parent (self->file);
  parent_path = parent != NULL ? g_file_get_path (parent) : NULL;
  if (path == NULL || parent_path == NULL || g_mkdir_with_parents (parent_path, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("The history of operations could not be written to “%s”: %s."),
                   path ? path : "", g_strerror (saved_errno));
      return FALSE;
    }

  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("The history of operations could not be written to “%s”: %s."),
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  /* Readable by the user only, whatever made the file. */
  if (fchmod (fd, 0600) != 0)
    g_debug ("chmod %s: %s", path, g_strerror (errno));

  /* A single write of the whole line: with O_APPEND, lines of other processes never land in
   * the middle of it. */
  do
    written = write (fd, line, len);
  while (written < 0 && errno == EINTR);
  saved_errno = errno;
  close (fd);

  if (written != (gssize) len)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("The history of operations could not be written to “%s”: %s."), path,
                   written < 0 ? g_strerror (saved_errno) : _("the disk is full"));
      return FALSE;
    }
  return TRUE;
}

static void
append_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (kvb_history_append (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kvb_history_append_async (KvbHistory          *self,
                          JsonObject          *entry,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KVB_IS_HISTORY (self));
  g_return_if_fail (entry != NULL);

  /* The time is set here, not in the thread: the entry is only read there. */
  if (!json_object_has_member (entry, "time"))
    {
      g_autofree char *now = now_text ();

      json_object_set_string_member (entry, "time", now);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_history_append_async);
  g_task_set_task_data (task, json_object_ref (entry), (GDestroyNotify) json_object_unref);
  /* A line half decided is never left out: the write goes on even when @cancellable fires. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, append_thread);
}

gboolean
kvb_history_append_finish (KvbHistory    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
kvb_history_read (KvbHistory  *self,
                  const char  *vault,
                  guint        max,
                  GError     **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = NULL;
  const char *data, *end, *line_end;
  gsize size;
  goffset file_size = 0;
  int fd;

  g_return_val_if_fail (KVB_IS_HISTORY (self), NULL);

  path = g_file_get_path (self->file);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&entries);

  fd = kvb_file_open_regular (path, KVB_FILE_PURPOSE_OTHER, &file_size, error);
  if (fd < 0)
    return NULL;
  /* Only the newest part of a history grown past the limit is read. */
  if (file_size > HISTORY_MAX_SIZE)
    lseek (fd, file_size - HISTORY_MAX_SIZE, SEEK_SET);
  bytes = kvb_file_read_fd (fd, path, HISTORY_MAX_SIZE, NULL, error);
  close (fd);
  if (bytes == NULL)
    return NULL;

  /* From the end, line by line: newest first, and a limit stops early. */
  data = g_bytes_get_data (bytes, &size);
  end = data + MIN (size, HISTORY_MAX_SIZE);
  line_end = end;
  while (line_end > data && (max == 0 || entries->len < max))
    {
      const char *start = line_end;
      g_autoptr(GError) local_error = NULL;
      JsonNode *root;
      JsonObject *entry;

      while (start > data && start[-1] != '\n')
        start--;
      if (line_end - start > 1 &&
          json_parser_load_from_data (parser, start, line_end - start, &local_error) &&
          (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
        {
          entry = json_node_get_object (root);
          if (kvb_json_get_string (entry, "operation", NULL) != NULL &&
              (vault == NULL ||
               g_ascii_strcasecmp (kvb_json_get_string (entry, "vault", ""),
                                   vault) == 0))
            g_ptr_array_add (entries, json_object_ref (entry));
        }
      else if (local_error != NULL)
        g_debug ("history: a line is not an entry: %s", local_error->message);
      line_end = start > data ? start - 1 : data;
    }

  return g_steal_pointer (&entries);
}

typedef struct
{
  char *vault;
  guint max;
} ReadData;

static void
read_data_free (ReadData *data)
{
  g_free (data->vault);
  g_free (data);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadData *data = task_data;
  GError *error = NULL;
  GPtrArray *entries = kvb_history_read (source_object, data->vault, data->max, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
kvb_history_read_async (KvbHistory          *self,
                        const char          *vault,
                        guint                max,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadData *data;

  g_return_if_fail (KVB_IS_HISTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_history_read_async);
  data = g_new0 (ReadData, 1);
  data->vault = g_strdup (vault);
  data->max = max;
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  g_task_run_in_thread (task, read_thread);
}

GPtrArray *
kvb_history_read_finish (KvbHistory    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GDateTime *
kvb_history_find_last_backup (GPtrArray  *entries,
                              const char *vault)
{
  g_return_val_if_fail (entries != NULL, NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      const char *when;

      if (g_strcmp0 (kvb_json_get_string (entry, "operation", NULL),
                     KVB_HISTORY_BACKUP) != 0 ||
          g_strcmp0 (kvb_json_get_string (entry, "result", NULL),
                     KVB_HISTORY_SUCCEEDED) != 0 ||
          /* The backup of single objects ("kvbackup backup" of one) names its files: it says
           * nothing of the rest of the vault. */
          json_object_has_member (entry, "files") ||
          (vault != NULL &&
           g_ascii_strcasecmp (kvb_json_get_string (entry, "vault", ""),
                               vault) != 0))
        continue;
      when = kvb_json_get_string (entry, "finished", NULL);
      if (when == NULL)
        when = kvb_json_get_string (entry, "time", NULL);
      if (when != NULL)
        {
          GDateTime *dt = g_date_time_new_from_iso8601 (when, NULL);

          if (dt != NULL)
            return dt;
        }
    }
  return NULL;
}

GDateTime *
kvb_history_get_last_backup (KvbHistory  *self,
                             const char  *vault,
                             GError     **error)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (KVB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (vault != NULL, NULL);

  entries = kvb_history_read (self, vault, 0, error);
  if (entries == NULL)
    return NULL;
  return kvb_history_find_last_backup (entries, vault);
}
