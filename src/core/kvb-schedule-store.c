/* kvb-schedule-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-schedule-store"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-schedule-store.h"

struct _KvbScheduleStore
{
  GObject parent_instance;

  GFile *file;
  char *kvbackup;
  GPtrArray *schedules;  /* KvbSchedule, by vault */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbScheduleStore, kvb_schedule_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return KVB_TYPE_SCHEDULE;
}

static guint
get_n_items (GListModel *model)
{
  return KVB_SCHEDULE_STORE (model)->schedules->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  KvbScheduleStore *self = KVB_SCHEDULE_STORE (model);

  return position < self->schedules->len ? g_object_ref (g_ptr_array_index (self->schedules, position))
                                         : NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
kvb_schedule_store_finalize (GObject *object)
{
  KvbScheduleStore *self = KVB_SCHEDULE_STORE (object);

  g_clear_object (&self->file);
  g_free (self->kvbackup);
  g_ptr_array_unref (self->schedules);

  G_OBJECT_CLASS (kvb_schedule_store_parent_class)->finalize (object);
}

static void
kvb_schedule_store_class_init (KvbScheduleStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_schedule_store_finalize;
}

static void
kvb_schedule_store_init (KvbScheduleStore *self)
{
  self->schedules = g_ptr_array_new_with_free_func (g_object_unref);
}

KvbScheduleStore *
kvb_schedule_store_new (GFile      *file,
                        const char *kvbackup)
{
  KvbScheduleStore *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (KVB_TYPE_SCHEDULE_STORE, NULL);
  self->file = g_object_ref (file);
  self->kvbackup = g_strdup (kvbackup);
  return self;
}

GFile *
kvb_schedule_store_dup_default_file (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "key-vault-backup",
                                            "schedules.ini", NULL);

  return g_file_new_for_path (path);
}

static gboolean
find (KvbScheduleStore *self,
      const char       *vault,
      guint            *position)
{
  for (guint i = 0; i < self->schedules->len; i++)
    {
      KvbSchedule *schedule = g_ptr_array_index (self->schedules, i);

      if (g_ascii_strcasecmp (kvb_schedule_get_vault (schedule), vault) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static KvbSchedule *
read_schedule (KvbScheduleStore  *self,
               GKeyFile          *keys,
               const char        *vault,
               GError           **error)
{
  g_autofree char *folder = g_key_file_get_string (keys, vault, "Folder", error);
  g_autofree char *frequency = NULL;
  g_autofree char *cloud = NULL;
  g_autofree char *last_run = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(KvbSchedule) schedule = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 keep;

  if (folder == NULL)
    return NULL;
  /* GFile would take a relative one from the working folder, which a start at log-in does not
   * choose. */
  if (!g_path_is_absolute (folder))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” is not a full path."), folder);
      return NULL;
    }
  file = g_file_new_for_path (folder);
  schedule = kvb_schedule_new (vault, file, self->kvbackup, error);
  if (schedule == NULL)
    return NULL;

  frequency = g_key_file_get_string (keys, vault, "Frequency", NULL);
  kvb_schedule_set_frequency (schedule, g_strcmp0 (frequency, "weekly") == 0 ? KVB_SCHEDULE_WEEKLY
                                                                            : KVB_SCHEDULE_DAILY);
  keep = g_key_file_get_int64 (keys, vault, "Keep", &local_error);
  kvb_schedule_set_keep (schedule, local_error == NULL ? (guint) CLAMP (keep, 0, G_MAXUINT)
                                                       : KVB_SCHEDULE_DEFAULT_KEEP);
  cloud = g_key_file_get_string (keys, vault, "Cloud", NULL);
  if (!kvb_schedule_set_cloud (schedule, cloud, error))
    return NULL;

  last_run = g_key_file_get_string (keys, vault, "LastRun", NULL);
  if (last_run != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (last_run, NULL);

      kvb_schedule_set_last_run (schedule, when);
    }
  /* A schedule with no time it was made would never be due: from now on. */
  if (kvb_schedule_get_last_run (schedule) == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      kvb_schedule_set_last_run (schedule, now);
    }
  return g_steal_pointer (&schedule);
}

gboolean
kvb_schedule_store_load (KvbScheduleStore  *self,
                         GError           **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) groups = NULL;
  guint removed;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (self), FALSE);

  path = g_file_get_path (self->file);
  if (path == NULL ||
      !g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, &local_error))
    {
      if (local_error != NULL && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_autofree char *name = g_file_get_parse_name (self->file);

          g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                       _("The scheduled backups in “%s” could not be read: %s"), name,
                       local_error->message);
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  removed = self->schedules->len;
  g_ptr_array_set_size (self->schedules, 0);
  groups = g_key_file_get_groups (keys, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      KvbSchedule *schedule = read_schedule (self, keys, groups[i], &local_error);
      guint position;

      if (schedule == NULL)
        {
          g_warning ("The schedule of vault “%s” is left out: %s", groups[i],
                     local_error != NULL ? local_error->message : "no folder");
          g_clear_error (&local_error);
          continue;
        }
      if (find (self, groups[i], &position))
        g_object_unref (schedule);
      else
        g_ptr_array_add (self->schedules, schedule);
    }
  if (removed > 0 || self->schedules->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->schedules->len);
  return TRUE;
}

KvbSchedule *
kvb_schedule_store_lookup (KvbScheduleStore *self,
                           const char       *vault)
{
  guint position;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (self), NULL);
  g_return_val_if_fail (vault != NULL, NULL);

  return find (self, vault, &position) ? g_ptr_array_index (self->schedules, position) : NULL;
}

static gboolean
save (KvbScheduleStore  *self,
      GError           **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GFile) parent = g_file_get_parent (self->file);
  g_autofree char *path = g_file_get_path (self->file);
  g_autofree char *parent_path = parent != NULL ? g_file_get_path (parent) : NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  for (guint i = 0; i < self->schedules->len; i++)
    {
      KvbSchedule *schedule = g_ptr_array_index (self->schedules, i);
      const char *vault = kvb_schedule_get_vault (schedule);
      GDateTime *last_run = kvb_schedule_get_last_run (schedule);

      g_key_file_set_string (keys, vault, "Folder", kvb_schedule_get_folder (schedule));
      g_key_file_set_string (keys, vault, "Frequency",
                             kvb_schedule_get_frequency (schedule) == KVB_SCHEDULE_WEEKLY ? "weekly"
                                                                                        : "daily");
      g_key_file_set_uint64 (keys, vault, "Keep", kvb_schedule_get_keep (schedule));
      if (kvb_schedule_get_cloud (schedule) != NULL)
        g_key_file_set_string (keys, vault, "Cloud", kvb_schedule_get_cloud (schedule));
      if (last_run != NULL)
        {
          g_autoptr(GDateTime) utc = g_date_time_to_utc (last_run);
          g_autofree char *text_time = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

          g_key_file_set_string (keys, vault, "LastRun", text_time);
        }
    }
  text = g_key_file_to_data (keys, &len, NULL);

  /* Written whole and private: a half-written file would lose every schedule. */
  if (path == NULL || parent_path == NULL || g_mkdir_with_parents (parent_path, 0700) != 0 ||
      !g_file_set_contents_full (path, text, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_autofree char *name = g_file_get_parse_name (self->file);

      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("The scheduled backups could not be saved in “%s”: %s"), name,
                   local_error != NULL ? local_error->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
kvb_schedule_store_add (KvbScheduleStore  *self,
                        KvbSchedule       *schedule,
                        GDateTime         *now,
                        GError           **error)
{
  guint position;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (self), FALSE);
  g_return_val_if_fail (KVB_IS_SCHEDULE (schedule), FALSE);
  g_return_val_if_fail (kvb_schedule_get_folder (schedule) != NULL, FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  if (kvb_schedule_get_last_run (schedule) == NULL)
    kvb_schedule_set_last_run (schedule, now);
  if (find (self, kvb_schedule_get_vault (schedule), &position))
    {
      KvbSchedule *old = g_ptr_array_index (self->schedules, position);

      g_ptr_array_index (self->schedules, position) = g_object_ref (schedule);
      g_object_unref (old);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
    }
  else
    {
      position = self->schedules->len;
      g_ptr_array_add (self->schedules, g_object_ref (schedule));
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
    }
  return save (self, error);
}

gboolean
kvb_schedule_store_remove (KvbScheduleStore  *self,
                           const char        *vault,
                           GError           **error)
{
  guint position;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (self), FALSE);
  g_return_val_if_fail (vault != NULL, FALSE);

  if (!find (self, vault, &position))
    return TRUE;
  g_ptr_array_remove_index (self->schedules, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  return save (self, error);
}

gboolean
kvb_schedule_store_set_last_run (KvbScheduleStore  *self,
                                 const char        *vault,
                                 GDateTime         *when,
                                 GError           **error)
{
  KvbSchedule *schedule;

  g_return_val_if_fail (KVB_IS_SCHEDULE_STORE (self), FALSE);
  g_return_val_if_fail (when != NULL, FALSE);

  schedule = kvb_schedule_store_lookup (self, vault);
  if (schedule == NULL)
    return TRUE;
  kvb_schedule_set_last_run (schedule, when);
  return save (self, error);
}
