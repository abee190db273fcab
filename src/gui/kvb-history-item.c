/* kvb-history-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-history-item"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-history.h"
#include "kvb-history-item.h"

struct _KvbHistoryItem
{
  GObject parent_instance;

  JsonObject *entry;
};

G_DEFINE_FINAL_TYPE (KvbHistoryItem, kvb_history_item, G_TYPE_OBJECT)

static void
kvb_history_item_finalize (GObject *object)
{
  KvbHistoryItem *self = (KvbHistoryItem *)object;

  g_clear_pointer (&self->entry, json_object_unref);

  G_OBJECT_CLASS (kvb_history_item_parent_class)->finalize (object);
}

static void
kvb_history_item_class_init (KvbHistoryItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_history_item_finalize;
}

static void
kvb_history_item_init (KvbHistoryItem *self)
{
}

KvbHistoryItem *
kvb_history_item_new (JsonObject *entry)
{
  KvbHistoryItem *self;

  g_return_val_if_fail (entry != NULL, NULL);

  self = g_object_new (KVB_TYPE_HISTORY_ITEM, NULL);
  self->entry = json_object_ref (entry);
  return self;
}

JsonObject *
kvb_history_item_get_entry (KvbHistoryItem *self)
{
  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);
  return self->entry;
}

static const char *
member (KvbHistoryItem *self,
        const char     *name)
{
  return json_object_get_string_member_with_default (self->entry, name, NULL);
}

const char *
kvb_history_item_get_title (KvbHistoryItem *self)
{
  const char *operation;

  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);

  operation = member (self, "operation");
  if (g_strcmp0 (operation, KVB_HISTORY_BACKUP) == 0)
    return C_("history", "Backup");
  if (g_strcmp0 (operation, KVB_HISTORY_RESTORE) == 0)
    return C_("history", "Restore");
  if (g_strcmp0 (operation, KVB_HISTORY_RECOVER) == 0)
    return C_("history", "Recovery");
  if (g_strcmp0 (operation, KVB_HISTORY_PURGE) == 0)
    return C_("history", "Purge");
  if (g_strcmp0 (operation, KVB_HISTORY_DOWNLOAD) == 0)
    return C_("history", "Download Backup");
  return operation != NULL ? operation : "";
}

const char *
kvb_history_item_get_result (KvbHistoryItem *self)
{
  const char *result;

  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);

  result = member (self, "result");
  if (g_strcmp0 (result, KVB_HISTORY_SUCCEEDED) == 0)
    return C_("history", "Succeeded");
  if (g_strcmp0 (result, KVB_HISTORY_PARTIAL) == 0)
    return C_("history", "Some Failed");
  if (g_strcmp0 (result, KVB_HISTORY_FAILED) == 0)
    return C_("history", "Failed");
  if (g_strcmp0 (result, KVB_HISTORY_CANCELLED) == 0)
    return C_("history", "Interrupted");
  return result != NULL ? result : "";
}

const char *
kvb_history_item_get_result_class (KvbHistoryItem *self)
{
  const char *result;

  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);

  result = member (self, "result");
  if (g_strcmp0 (result, KVB_HISTORY_SUCCEEDED) == 0)
    return "success";
  if (g_strcmp0 (result, KVB_HISTORY_PARTIAL) == 0 || g_strcmp0 (result, KVB_HISTORY_CANCELLED) == 0)
    return "warning";
  if (g_strcmp0 (result, KVB_HISTORY_FAILED) == 0)
    return "error";
  return NULL;
}

/* How long before @now @when was: "just now", "5 minutes ago", "3 days ago", or the date. */
static char *
format_age (GDateTime *when,
            GDateTime *now)
{
  GTimeSpan span = g_date_time_difference (now, when);
  gint64 n;

  if (span < G_TIME_SPAN_MINUTE)
    return g_strdup (_("just now"));
  if (span < G_TIME_SPAN_HOUR)
    {
      n = span / G_TIME_SPAN_MINUTE;
      return g_strdup_printf (ngettext ("%d minute ago", "%d minutes ago", n), (int) n);
    }
  if (span < G_TIME_SPAN_DAY)
    {
      n = span / G_TIME_SPAN_HOUR;
      return g_strdup_printf (ngettext ("%d hour ago", "%d hours ago", n), (int) n);
    }
  n = span / G_TIME_SPAN_DAY;
  if (n < 60)
    return g_strdup_printf (ngettext ("%d day ago", "%d days ago", n), (int) n);
  {
    g_autoptr(GDateTime) local = g_date_time_to_local (when);
    g_autofree char *date = g_date_time_format (local, "%Y-%m-%d");

    /* translators: a date */
    return g_strdup_printf (_("on %s"), date);
  }
}

char *
kvb_history_format_last_backup (GDateTime *last,
                                GDateTime *now)
{
  g_autofree char *age = NULL;

  g_return_val_if_fail (now != NULL, NULL);

  if (last == NULL)
    return g_strdup (_("Never backed up"));
  age = format_age (last, now);
  /* translators: how long ago, e.g. "3 days ago", "just now", "on 2026-10-01" */
  return g_strdup_printf (_("Last backed up %s"), age);
}

/* The words for a member of "counts"; %NULL for those not shown. */
static char *
count_words (const char *name,
             guint       n)
{
  if (g_str_equal (name, "done"))
    /* translators: objects an operation did */
    return g_strdup_printf (ngettext ("%u done", "%u done", n), n);
  if (g_str_equal (name, "failed"))
    return g_strdup_printf (ngettext ("%u failed", "%u failed", n), n);
  if (g_str_equal (name, "skipped") || g_str_equal (name, "covered"))
    return g_strdup_printf (ngettext ("%u skipped", "%u skipped", n), n);
  if (g_str_equal (name, "kept"))
    /* translators: objects an incremental backup kept from the earlier one */
    return g_strdup_printf (ngettext ("%u kept", "%u kept", n), n);
  if (g_str_equal (name, "recovered"))
    return g_strdup_printf (ngettext ("%u recovered", "%u recovered", n), n);
  if (g_str_equal (name, "purged"))
    return g_strdup_printf (ngettext ("%u purged", "%u purged", n), n);
  if (g_str_equal (name, "changedDuringBackup"))
    return g_strdup_printf (ngettext ("%u changed while it ran", "%u changed while it ran", n), n);
  return NULL;
}

char *
kvb_history_item_dup_details (KvbHistoryItem *self,
                              GDateTime      *now)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *time_text, *folder, *message;
  JsonObject *counts;
  JsonArray *files = NULL;

  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);
  g_return_val_if_fail (now != NULL, NULL);

  time_text = member (self, "finished");
  if (time_text == NULL)
    time_text = member (self, "time");
  if (time_text != NULL)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_iso8601 (time_text, NULL);

      if (utc != NULL)
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (utc);
          g_autofree char *when = g_date_time_format (local, "%Y-%m-%d %H:%M");
          g_autofree char *age = format_age (utc, now);

          g_string_append_printf (text, "%s · %s", when, age);
        }
      else
        g_string_append (text, time_text);
    }

  counts = json_object_get_member (self->entry, "counts") != NULL &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (self->entry, "counts"))
           ? json_object_get_object_member (self->entry, "counts") : NULL;
  if (counts != NULL)
    {
      /* Done and failed always, the others when there are any. */
      static const char *const names[] = { "done", "failed", "skipped", "covered", "kept",
                                           "recovered", "purged", "changedDuringBackup" };
      g_autoptr(GString) line = g_string_new (NULL);

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          gint64 n = json_object_get_int_member_with_default (counts, names[i], 0);
          g_autofree char *words = NULL;

          if (n <= 0 && i > 1)
            continue;
          words = count_words (names[i], (guint) MAX (n, 0));
          if (line->len > 0)
            g_string_append (line, ", ");
          g_string_append (line, words);
        }
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line->str);
    }

  if (json_object_get_member (self->entry, "files") != NULL &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (self->entry, "files")))
    files = json_object_get_array_member (self->entry, "files");
  folder = member (self, "folder");
  if (folder != NULL || (files != NULL && json_array_get_length (files) > 0))
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (folder != NULL)
        g_string_append (text, folder);
      else
        {
          guint n = json_array_get_length (files);

          g_string_append (text, json_array_get_string_element (files, 0));
          if (n > 1)
            /* translators: after the first file of an operation, how many more it had */
            g_string_append_printf (text, ngettext (" and %u more file", " and %u more files", n - 1),
                                    n - 1);
        }
    }

  /* A recovery or purge of deleted objects has neither: their names say what it was about. */
  else if (json_object_get_member (self->entry, "names") != NULL &&
           JSON_NODE_HOLDS_ARRAY (json_object_get_member (self->entry, "names")) &&
           json_array_get_length (json_object_get_array_member (self->entry, "names")) > 0)
    {
      JsonArray *names = json_object_get_array_member (self->entry, "names");
      guint n = json_array_get_length (names);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      for (guint i = 0; i < n && i < 3; i++)
        g_string_append_printf (text, "%s“%s”", i > 0 ? ", " : "",
                                json_array_get_string_element (names, i));
      if (n > 3)
        /* translators: after the first three names of deleted objects, how many more there were */
        g_string_append_printf (text, ngettext (" and %u more", " and %u more", n - 3), n - 3);
    }

  message = member (self, "message");
  if (message != NULL)
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, message);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

GFile *
kvb_history_item_dup_folder (KvbHistoryItem *self)
{
  const char *folder;
  JsonNode *files;

  g_return_val_if_fail (KVB_IS_HISTORY_ITEM (self), NULL);

  folder = member (self, "folder");
  if (folder != NULL && g_path_is_absolute (folder))
    return g_file_new_for_path (folder);

  files = json_object_get_member (self->entry, "files");
  if (files != NULL && JSON_NODE_HOLDS_ARRAY (files) &&
      json_array_get_length (json_node_get_array (files)) > 0)
    {
      const char *first = json_array_get_string_element (json_node_get_array (files), 0);

      if (first != NULL && g_path_is_absolute (first))
        {
          g_autoptr(GFile) file = g_file_new_for_path (first);

          return g_file_get_parent (file);
        }
    }
  return NULL;
}
