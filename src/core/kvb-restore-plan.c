/* kvb-restore-plan.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-restore-plan"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-restore-plan.h"
#include "kvb-restore-plan-private.h"
#include "kvb-task-util.h"

/* How long a restore after a purge keeps trying while the service still reports the name as
 * being deleted or deleted: the delay is undocumented, SDK tests waited up to 4 minutes. */
#define PURGED_NAME_RETRY_SECONDS 300

struct _KvbRestorePlan
{
  GObject parent_instance;

  KvbKeyVaultClient *client;
  gboolean purge_protection;
  KvbRestoreAction soft_deleted_action;
  gboolean stop_at_name_in_use;

  GPtrArray *entries;

  /* Name → KvbObjectInfo of the vault's objects of each kind, live and deleted, as prepare
   * listed them; %NULL for a kind that was not listed. */
  GHashTable *live[KVB_OBJECT_KIND_N_KINDS];
  GHashTable *deleted[KVB_OBJECT_KIND_N_KINDS];

  guint prepared : 1;
  guint started : 1;
};

static void kvb_restore_plan_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KvbRestorePlan, kvb_restore_plan, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kvb_restore_plan_list_model_init))

enum {
  PROP_0,
  PROP_SOFT_DELETED_ACTION,
  PROP_STOP_AT_NAME_IN_USE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
kvb_restore_plan_get_item_type (GListModel *model)
{
  return KVB_TYPE_RESTORE_PLAN_ENTRY;
}

static guint
kvb_restore_plan_get_n_items (GListModel *model)
{
  return KVB_RESTORE_PLAN (model)->entries->len;
}

static gpointer
kvb_restore_plan_get_item (GListModel *model,
                           guint       position)
{
  KvbRestorePlan *self = KVB_RESTORE_PLAN (model);

  if (position >= self->entries->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->entries, position));
}

static void
kvb_restore_plan_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kvb_restore_plan_get_item_type;
  iface->get_n_items = kvb_restore_plan_get_n_items;
  iface->get_item = kvb_restore_plan_get_item;
}

static void
kvb_restore_plan_dispose (GObject *object)
{
  KvbRestorePlan *self = (KvbRestorePlan *)object;

  g_clear_object (&self->client);
  for (guint k = 0; k < KVB_OBJECT_KIND_N_KINDS; k++)
    {
      g_clear_pointer (&self->live[k], g_hash_table_unref);
      g_clear_pointer (&self->deleted[k], g_hash_table_unref);
    }

  G_OBJECT_CLASS (kvb_restore_plan_parent_class)->dispose (object);
}

static void
kvb_restore_plan_finalize (GObject *object)
{
  KvbRestorePlan *self = (KvbRestorePlan *)object;

  g_clear_pointer (&self->entries, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_restore_plan_parent_class)->finalize (object);
}

static void
kvb_restore_plan_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KvbRestorePlan *self = KVB_RESTORE_PLAN (object);

  switch (prop_id)
    {
    case PROP_SOFT_DELETED_ACTION:
      g_value_set_enum (value, self->soft_deleted_action);
      break;
    case PROP_STOP_AT_NAME_IN_USE:
      g_value_set_boolean (value, self->stop_at_name_in_use);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_plan_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  KvbRestorePlan *self = KVB_RESTORE_PLAN (object);

  switch (prop_id)
    {
    case PROP_SOFT_DELETED_ACTION:
      kvb_restore_plan_set_soft_deleted_action (self, g_value_get_enum (value));
      break;
    case PROP_STOP_AT_NAME_IN_USE:
      kvb_restore_plan_set_stop_at_name_in_use (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_plan_class_init (KvbRestorePlanClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kvb_restore_plan_dispose;
  object_class->finalize = kvb_restore_plan_finalize;
  object_class->get_property = kvb_restore_plan_get_property;
  object_class->set_property = kvb_restore_plan_set_property;

  properties[PROP_SOFT_DELETED_ACTION] =
    g_param_spec_enum ("soft-deleted-action", NULL, NULL,
                       KVB_TYPE_RESTORE_ACTION, KVB_RESTORE_ACTION_NONE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STOP_AT_NAME_IN_USE] =
    g_param_spec_boolean ("stop-at-name-in-use", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_restore_plan_init (KvbRestorePlan *self)
{
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->soft_deleted_action = KVB_RESTORE_ACTION_NONE;
}

KvbRestorePlan *
kvb_restore_plan_new (KvbKeyVaultClient *client,
                      gboolean           purge_protection)
{
  KvbRestorePlan *self;

  g_return_val_if_fail (KVB_IS_KEYVAULT_CLIENT (client), NULL);

  self = g_object_new (KVB_TYPE_RESTORE_PLAN, NULL);
  self->client = g_object_ref (client);
  self->purge_protection = !!purge_protection;

  return self;
}

KvbKeyVaultClient *
kvb_restore_plan_get_client (KvbRestorePlan *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), NULL);
  return self->client;
}

/* The default action of an entry in its present state. */
static KvbRestoreAction
default_action (KvbRestorePlan      *self,
                KvbRestorePlanEntry *entry)
{
  switch (kvb_restore_plan_entry_get_state (entry))
    {
    case KVB_RESTORE_STATE_FREE:
    case KVB_RESTORE_STATE_UNKNOWN_NAME:
      /* An unknown name is tried: the service refuses a taken name with its own message. */
      return KVB_RESTORE_ACTION_RESTORE;
    case KVB_RESTORE_STATE_EXISTS:
    case KVB_RESTORE_STATE_INVALID:
      return KVB_RESTORE_ACTION_SKIP;
    case KVB_RESTORE_STATE_SOFT_DELETED:
      if (kvb_restore_plan_entry_can (entry, self->soft_deleted_action))
        return self->soft_deleted_action;
      return KVB_RESTORE_ACTION_NONE;
    case KVB_RESTORE_STATE_AMBIGUOUS_KIND:
    default:
      return KVB_RESTORE_ACTION_NONE;
    }
}

void
kvb_restore_plan_set_soft_deleted_action (KvbRestorePlan   *self,
                                          KvbRestoreAction  action)
{
  g_return_if_fail (KVB_IS_RESTORE_PLAN (self));
  g_return_if_fail (action == KVB_RESTORE_ACTION_NONE || action == KVB_RESTORE_ACTION_SKIP ||
                    action == KVB_RESTORE_ACTION_RECOVER ||
                    action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE);

  if (self->soft_deleted_action == action)
    return;
  self->soft_deleted_action = action;

  if (!self->started)
    for (guint i = 0; i < self->entries->len; i++)
      {
        KvbRestorePlanEntry *entry = g_ptr_array_index (self->entries, i);

        if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_SOFT_DELETED &&
            kvb_restore_plan_entry_get_action (entry) == KVB_RESTORE_ACTION_NONE)
          _kvb_restore_plan_entry_put_action (entry, default_action (self, entry));
      }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFT_DELETED_ACTION]);
}

guint
kvb_restore_plan_count_soft_deleted (KvbRestorePlan *self)
{
  guint n = 0;

  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), 0);

  for (guint i = 0; i < self->entries->len; i++)
    if (kvb_restore_plan_entry_get_state (g_ptr_array_index (self->entries, i)) ==
        KVB_RESTORE_STATE_SOFT_DELETED)
      n++;
  return n;
}

gboolean
kvb_restore_plan_choose_for_soft_deleted (KvbRestorePlan    *self,
                                          KvbRestoreAction   action,
                                          guint             *n_set,
                                          GError           **error)
{
  guint n = 0;

  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), FALSE);
  g_return_val_if_fail (action == KVB_RESTORE_ACTION_SKIP || action == KVB_RESTORE_ACTION_RECOVER ||
                        action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE, FALSE);

  if (self->started)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                           _("The restore has started: choices can no longer be changed."));
      return FALSE;
    }
  /* Checked for every entry before any is changed: never half the files one way. */
  if (action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE && self->purge_protection)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                           _("The vault has purge protection: deleted objects cannot be purged "
                             "before the retention period ends. Recover them or skip the files."));
      return FALSE;
    }
  for (guint i = 0; i < self->entries->len; i++)
    {
      KvbRestorePlanEntry *entry = g_ptr_array_index (self->entries, i);

      if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_SOFT_DELETED &&
          !kvb_restore_plan_entry_can (entry, action))
        return kvb_restore_plan_entry_set_action (entry, action, error);
    }

  for (guint i = 0; i < self->entries->len; i++)
    {
      KvbRestorePlanEntry *entry = g_ptr_array_index (self->entries, i);

      if (kvb_restore_plan_entry_get_state (entry) != KVB_RESTORE_STATE_SOFT_DELETED)
        continue;
      if (!kvb_restore_plan_entry_set_action (entry, action, error))
        return FALSE;
      n++;
    }
  if (n_set != NULL)
    *n_set = n;
  return TRUE;
}

/* Works out the state of an entry whose kind is known, from the listings. */
void
kvb_restore_plan_set_stop_at_name_in_use (KvbRestorePlan *self,
                                          gboolean        stop)
{
  g_return_if_fail (KVB_IS_RESTORE_PLAN (self));

  stop = !!stop;
  if (self->stop_at_name_in_use == stop)
    return;
  self->stop_at_name_in_use = stop;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_AT_NAME_IN_USE]);
}

gboolean
kvb_restore_plan_get_stop_at_name_in_use (KvbRestorePlan *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), FALSE);
  return self->stop_at_name_in_use;
}

static void
evaluate (KvbRestorePlan      *self,
          KvbRestorePlanEntry *entry)
{
  KvbObjectKind kind = kvb_restore_plan_entry_get_kind (entry);
  const char *name = kvb_restore_plan_entry_get_name (entry);
  KvbObjectInfo *info;

  if (name == NULL)
    _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_UNKNOWN_NAME, NULL, 0, 0);
  else if (self->live[kind] != NULL && g_hash_table_contains (self->live[kind], name))
    _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_EXISTS, NULL, 0, 0);
  else if (self->deleted[kind] != NULL &&
           (info = g_hash_table_lookup (self->deleted[kind], name)) != NULL)
    _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_SOFT_DELETED, NULL,
                                       kvb_object_info_get_deleted_date (info),
                                       kvb_object_info_get_scheduled_purge_date (info));
  else
    _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_FREE, NULL, 0, 0);
}

/* ---- prepare ---- */

typedef struct
{
  GPtrArray *files;    /* GFile */
  GPtrArray *entries;  /* KvbRestorePlanEntry */
  guint index;
  /* Listings still to make: kind * 2 + deleted. */
  gboolean wanted[KVB_OBJECT_KIND_N_KINDS];
  guint listing;
  GHashTable *page_table;
} Prepare;

static void
prepare_free (Prepare *prepare)
{
  g_clear_pointer (&prepare->files, g_ptr_array_unref);
  g_clear_pointer (&prepare->entries, g_ptr_array_unref);
  g_clear_pointer (&prepare->page_table, g_hash_table_unref);
  g_free (prepare);
}

static void prepare_load_next (GTask *task);
static void prepare_list_next (GTask *task);

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Prepare *prepare = g_task_get_task_data (task);
  GFile *file = g_ptr_array_index (prepare->files, prepare->index);
  g_autoptr(KvbRestorePlanEntry) entry = _kvb_restore_plan_entry_new (file);
  g_autoptr(KvbBackupFile) backup = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *name = NULL;
  KvbObjectKind kind;

  backup = kvb_backup_file_load_finish (result, &error);
  if (backup == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The name only where the file name is one of ours; a file of az or PowerShell says nothing
   * reliable about it. */
  if (kvb_backup_file_parse_name (basename, NULL, &name, NULL))
    _kvb_restore_plan_entry_set_name (entry, name);

  if (backup == NULL)
    {
      _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_INVALID, error->message, 0, 0);
    }
  else
    {
      _kvb_restore_plan_entry_set_backup (entry, backup);
      if (kvb_backup_file_resolve_kind (backup, NULL, &kind, &error))
        {
          _kvb_restore_plan_entry_set_kind (entry, kind);
          prepare->wanted[kind] = TRUE;
          /* Until the listings say more. */
          _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_FREE, NULL, 0, 0);
        }
      else if (g_error_matches (error, KVB_ERROR, KVB_ERROR_AMBIGUOUS_KIND))
        {
          /* Whatever the user chooses later is answered from the listings: list every kind.
           * The reader's message speaks of the command line's --kind: the state says enough. */
          _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_AMBIGUOUS_KIND, NULL, 0, 0);
          for (guint k = 0; k < KVB_OBJECT_KIND_N_KINDS; k++)
            prepare->wanted[k] = TRUE;
        }
      else
        {
          _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_INVALID, error->message,
                                             0, 0);
        }
    }

  g_ptr_array_add (prepare->entries, g_steal_pointer (&entry));
  prepare->index++;
  prepare_load_next (g_steal_pointer (&task));
}

static void
prepare_load_next (GTask *task)
{
  Prepare *prepare = g_task_get_task_data (task);

  if (prepare->index < prepare->files->len)
    {
      kvb_backup_file_load_async (g_ptr_array_index (prepare->files, prepare->index),
                                  g_task_get_cancellable (task), load_cb, task);
      return;
    }

  prepare_list_next (task);
}

static void
list_page_cb (GPtrArray *objects,
              gpointer   user_data)
{
  GHashTable *table = user_data;

  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      g_hash_table_replace (table, g_strdup (kvb_object_info_get_name (info)),
                            g_object_ref (info));
    }
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KvbRestorePlan *self = g_task_get_source_object (task);
  Prepare *prepare = g_task_get_task_data (task);
  KvbObjectKind kind = prepare->listing / 2;
  gboolean deleted = prepare->listing % 2;
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_list_finish (self->client, result, &error))
    {
      /* A vault without soft delete has no deleted objects to list. */
      if (!(deleted && g_error_matches (error, KVB_ERROR, KVB_ERROR_NOT_FOUND)))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_hash_table_remove_all (prepare->page_table);
    }

  if (deleted)
    {
      g_clear_pointer (&self->deleted[kind], g_hash_table_unref);
      self->deleted[kind] = g_steal_pointer (&prepare->page_table);
    }
  else
    {
      g_clear_pointer (&self->live[kind], g_hash_table_unref);
      self->live[kind] = g_steal_pointer (&prepare->page_table);
    }

  prepare->listing++;
  prepare_list_next (g_steal_pointer (&task));
}

static void
prepare_list_next (GTask *task)
{
  KvbRestorePlan *self = g_task_get_source_object (task);
  Prepare *prepare = g_task_get_task_data (task);
  guint n_before;

  while (prepare->listing < KVB_OBJECT_KIND_N_KINDS * 2 &&
         !prepare->wanted[prepare->listing / 2])
    prepare->listing++;

  if (prepare->listing < KVB_OBJECT_KIND_N_KINDS * 2)
    {
      prepare->page_table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   g_object_unref);
      kvb_keyvault_client_list_async (self->client, prepare->listing / 2, prepare->listing % 2,
                                      list_page_cb, prepare->page_table,
                                      g_task_get_cancellable (task), list_cb, task);
      return;
    }

  /* Every listing made: the states, the defaults, and the entries into the model at once. */
  for (guint i = 0; i < prepare->entries->len; i++)
    {
      KvbRestorePlanEntry *entry = g_ptr_array_index (prepare->entries, i);
      KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);

      _kvb_restore_plan_entry_set_can_purge (entry, !self->purge_protection);
      if (state != KVB_RESTORE_STATE_INVALID && state != KVB_RESTORE_STATE_AMBIGUOUS_KIND)
        evaluate (self, entry);
      _kvb_restore_plan_entry_put_action (entry, default_action (self, entry));
    }

  n_before = self->entries->len;
  g_ptr_array_extend_and_steal (self->entries, g_steal_pointer (&prepare->entries));
  prepare->entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->prepared = TRUE;
  g_list_model_items_changed (G_LIST_MODEL (self), n_before, 0, self->entries->len - n_before);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
kvb_restore_plan_prepare_async (KvbRestorePlan      *self,
                                GListModel          *files,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Prepare *prepare;
  guint n;

  g_return_if_fail (KVB_IS_RESTORE_PLAN (self));
  g_return_if_fail (G_IS_LIST_MODEL (files));
  g_return_if_fail (!self->prepared && !self->started);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_restore_plan_prepare_async);

  prepare = g_new0 (Prepare, 1);
  prepare->files = g_ptr_array_new_with_free_func (g_object_unref);
  prepare->entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, prepare, (GDestroyNotify) prepare_free);

  n = g_list_model_get_n_items (files);
  for (guint i = 0; i < n; i++)
    {
      GFile *file = g_list_model_get_item (files, i);

      if (G_IS_FILE (file))
        g_ptr_array_add (prepare->files, file);
      else
        g_clear_object (&file);
    }

  prepare_load_next (g_steal_pointer (&task));
}

gboolean
kvb_restore_plan_prepare_finish (KvbRestorePlan  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
kvb_restore_plan_choose_kind (KvbRestorePlan       *self,
                              KvbRestorePlanEntry  *entry,
                              KvbObjectKind         kind,
                              GError              **error)
{
  KvbBackupFile *backup;
  KvbObjectKind resolved;

  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), FALSE);
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (entry), FALSE);
  g_return_val_if_fail (kind < KVB_OBJECT_KIND_N_KINDS, FALSE);
  g_return_val_if_fail (self->prepared, FALSE);

  if (self->started)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                           _("The restore has started: choices can no longer be changed."));
      return FALSE;
    }

  backup = kvb_restore_plan_entry_get_backup (entry);
  if (backup == NULL)
    {
      g_set_error_literal (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                           kvb_restore_plan_entry_get_error_message (entry));
      return FALSE;
    }

  if (!kvb_backup_file_resolve_kind (backup, &kind, &resolved, error))
    return FALSE;

  /* A kind never listed (only when prepare saw no ambiguous file) cannot be answered without
   * a request; the restore's own answer will tell. */
  _kvb_restore_plan_entry_set_kind (entry, resolved);
  if (self->live[resolved] != NULL)
    evaluate (self, entry);
  else
    _kvb_restore_plan_entry_set_state (entry, KVB_RESTORE_STATE_UNKNOWN_NAME, NULL, 0, 0);
  _kvb_restore_plan_entry_put_action (entry, default_action (self, entry));

  return TRUE;
}

guint
kvb_restore_plan_count_undecided (KvbRestorePlan *self)
{
  guint n = 0;

  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (self), 0);

  for (guint i = 0; i < self->entries->len; i++)
    if (kvb_restore_plan_entry_get_action (g_ptr_array_index (self->entries, i)) ==
        KVB_RESTORE_ACTION_NONE)
      n++;

  return n;
}

/* ---- run ---- */

typedef enum
{
  STEP_RESTORE,
  STEP_RECOVER,
  STEP_WAIT_RECOVERED,
  STEP_PURGE,
  STEP_WAIT_PURGED,
  STEP_RESTORE_AFTER_PURGE,
} Step;

/* Files restored at once.  Each costs about three serial round trips (the name checks, then
 * the restore), so at 40 ms a round trip this many keep the per-vault pacer busy. */
#define RESTORE_PARALLEL 24

typedef struct
{
  GPtrArray *order;    /* KvbRestorePlanEntry, certificates first */
  guint index;         /* the next entry to start */
  guint in_flight;
  guint limit;
  guint rank;          /* kind_rank() of the entries in flight */
  gboolean exclusive;  /* the one in flight has no name to tell it apart */
  GHashTable *names;   /* folded names of the entries in flight */
  GError *error;       /* cancelled: returned once nothing is in flight */
  gboolean returned;
  KvbJobSummary summary;
} Run;

/* One entry on its way. */
typedef struct
{
  GTask *task;         /* the run's */
  KvbRestorePlanEntry *entry;
  char *folded;        /* (nullable): its key in Run.names */
  Step step;
  gint64 deadline;
  guint delay_ms;
} Op;

static void
run_free (Run *run)
{
  g_clear_pointer (&run->order, g_ptr_array_unref);
  g_clear_pointer (&run->names, g_hash_table_unref);
  g_clear_error (&run->error);
  g_free (run);
}

static guint
kind_rank (KvbRestorePlanEntry *entry)
{
  KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);

  if (state == KVB_RESTORE_STATE_INVALID || state == KVB_RESTORE_STATE_AMBIGUOUS_KIND)
    return 3;

  /* A certificate brings back its key and secret: restored after them, it would find its own
   * names taken. */
  switch (kvb_restore_plan_entry_get_kind (entry))
    {
    case KVB_OBJECT_KIND_CERTIFICATE: return 0;
    case KVB_OBJECT_KIND_KEY: return 1;
    case KVB_OBJECT_KIND_SECRET:
    default: return 2;
    }
}

static void run_next (GTask *task);
static void run_restore (Op *op);

static const char *
entry_label (KvbRestorePlanEntry *entry)
{
  if (kvb_restore_plan_entry_get_name (entry) != NULL)
    return kvb_restore_plan_entry_get_name (entry);
  if (kvb_restore_plan_entry_get_backup (entry) != NULL &&
      kvb_backup_file_get_display_name (kvb_restore_plan_entry_get_backup (entry)) != NULL)
    return kvb_backup_file_get_display_name (kvb_restore_plan_entry_get_backup (entry));
  return "?";
}

static char *
recovered_message (KvbRestorePlanEntry *entry)
{
  return g_strdup_printf (_("The deleted object “%s” was recovered as it was when it was deleted; "
                            "the backup file was not needed."), entry_label (entry));
}

/* The end of an entry: frees @op and starts what may start now. */
static void
op_end (Op *op)
{
  g_autoptr(GTask) task = g_steal_pointer (&op->task);
  Run *run = g_task_get_task_data (task);

  if (op->folded != NULL)
    g_hash_table_remove (run->names, op->folded);
  run->exclusive = FALSE;
  run->in_flight--;
  g_clear_object (&op->entry);
  g_free (op->folded);
  g_free (op);
  run_next (task);
}

static void
op_failed (Op     *op,
           GError *error)
{
  Run *run = g_task_get_task_data (op->task);
  KvbRestorePlanEntry *entry = op->entry;

  /* A refused sign-in fails every request after it: the run stops as when cancelled, rather
   * than fail each file left for the same reason. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED))
    {
      /* Stopped: say so only where something was already done that the user must know. */
      if (op->step == STEP_WAIT_RECOVERED)
        {
          /* The recovery was accepted and completes in the background. */
          g_autofree char *message = recovered_message (entry);
          _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_DONE, message);
          run->summary.n_done++;
        }
      else if (op->step == STEP_WAIT_PURGED || op->step == STEP_RESTORE_AFTER_PURGE)
        {
          g_autofree char *message = g_strdup_printf (
              _("Stopped after the deleted object “%s” was purged: the backup was not restored. "
                "Restore this file again."), entry_label (entry));
          _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_FAILED, message);
          run->summary.n_failed++;
        }
      else
        _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_PENDING, NULL);

      if (run->error == NULL)
        run->error = g_error_copy (error);
      op_end (op);
      return;
    }

  g_debug ("%s: %s", entry_label (entry), error->message);
  _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_FAILED, error->message);
  run->summary.n_failed++;

  /* The name was taken after the plan was made, and the user asked for all or nothing of what
   * is left: the files not started are not restored. */
  if (g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE) &&
      kvb_restore_plan_get_stop_at_name_in_use (g_task_get_source_object (op->task)))
    {
      g_autofree char *message = g_strdup_printf (
          _("Not restored: the restore stopped at “%s”, which is in use."), entry_label (entry));

      for (; run->index < run->order->len; run->index++)
        {
          _kvb_restore_plan_entry_set_status (g_ptr_array_index (run->order, run->index),
                                              KVB_JOB_STATUS_SKIPPED, message);
          run->summary.n_skipped++;
        }
    }
  op_end (op);
}

static void
op_done (Op         *op,
         const char *message)
{
  Run *run = g_task_get_task_data (op->task);

  _kvb_restore_plan_entry_set_status (op->entry, KVB_JOB_STATUS_DONE, message);
  run->summary.n_done++;
  op_end (op);
}

/* As kvb_task_call_later(), for one entry: a cancelled run does not sit out the wait. */
static void
op_call_later (Op          *op,
               guint        delay_ms,
               GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (delay_ms);
  GCancellable *cancellable = g_task_get_cancellable (op->task);

  g_source_set_callback (source, func, op, NULL);
  if (cancellable != NULL)
    {
      GSource *cancel_source = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (source, cancel_source);
      g_source_unref (cancel_source);
    }
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static gboolean
restore_again_cb (gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (op->task), &error))
    op_failed (op, error);
  else
    run_restore (op);

  return G_SOURCE_REMOVE;
}

static void
restore_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Op *op = user_data;
  KvbRestorePlan *self = g_task_get_source_object (op->task);
  KvbRestorePlanEntry *entry = op->entry;
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  info = kvb_keyvault_client_restore_finish (self->client, result, &error);
  if (info == NULL)
    {
      /* Just purged: the service may still call the name deleted or being deleted for a while
       * (eventually consistent); the restore has not happened, so it is safe to try again. */
      if (op->step == STEP_RESTORE_AFTER_PURGE &&
          (g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_BEING_DELETED) ||
           g_error_matches (error, KVB_ERROR, KVB_ERROR_CONFLICT_DELETED)) &&
          g_get_monotonic_time () < op->deadline)
        {
          op->delay_ms = MIN (MAX (op->delay_ms * 2, 1000), 8000);
          g_debug ("%s: the purged name is still busy, again in %u ms", entry_label (entry),
                   op->delay_ms);
          op_call_later (op, op->delay_ms, restore_again_cb);
          return;
        }
      op_failed (op, error);
      return;
    }

  _kvb_restore_plan_entry_set_name (entry, kvb_object_info_get_name (info));
  if (op->step == STEP_RESTORE_AFTER_PURGE)
    message = g_strdup_printf (_("The deleted object was purged, and “%s” was restored with all "
                                 "its versions."), kvb_object_info_get_name (info));
  else
    message = g_strdup_printf (_("“%s” was restored with all its versions."),
                               kvb_object_info_get_name (info));
  op_done (op, message);
}

static void
run_restore (Op *op)
{
  KvbRestorePlan *self = g_task_get_source_object (op->task);
  KvbRestorePlanEntry *entry = op->entry;
  KvbBackupFile *backup = kvb_restore_plan_entry_get_backup (entry);

  /* With the name, the client checks it right before sending (it may have been taken since the
   * plan was made) and decides a broken connection from facts. */
  kvb_keyvault_client_restore_named_async (self->client, kvb_restore_plan_entry_get_kind (entry),
                                           kvb_backup_file_get_blob (backup),
                                           kvb_restore_plan_entry_get_name (entry),
                                           g_task_get_cancellable (op->task), restore_cb, op);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Op *op = user_data;
  KvbRestorePlan *self = g_task_get_source_object (op->task);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!kvb_keyvault_client_wait_until_usable_finish (self->client, result, &error))
    {
      op_failed (op, error);
      return;
    }

  if (op->step == STEP_WAIT_RECOVERED)
    {
      message = recovered_message (op->entry);
      op_done (op, message);
      return;
    }

  op->step = STEP_RESTORE_AFTER_PURGE;
  _kvb_restore_plan_entry_set_status (op->entry, KVB_JOB_STATUS_RUNNING, _("Restoring…"));
  run_restore (op);
}

static void
recover_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Op *op = user_data;
  KvbRestorePlan *self = g_task_get_source_object (op->task);
  g_autoptr(KvbObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = kvb_keyvault_client_recover_finish (self->client, result, &error);
  if (info == NULL)
    {
      op_failed (op, error);
      return;
    }

  /* Recovery completes in the background; done means usable. */
  op->step = STEP_WAIT_RECOVERED;
  kvb_keyvault_client_wait_until_usable_async (self->client,
                                               kvb_restore_plan_entry_get_kind (op->entry),
                                               kvb_restore_plan_entry_get_name (op->entry),
                                               KVB_USABLE_AFTER_RECOVER, 0,
                                               g_task_get_cancellable (op->task), wait_cb, op);
}

static void
purge_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Op *op = user_data;
  KvbRestorePlan *self = g_task_get_source_object (op->task);
  g_autoptr(GError) error = NULL;

  if (!kvb_keyvault_client_purge_finish (self->client, result, &error))
    {
      op_failed (op, error);
      return;
    }

  op->step = STEP_WAIT_PURGED;
  op->deadline = g_get_monotonic_time () + PURGED_NAME_RETRY_SECONDS * G_USEC_PER_SEC;
  op->delay_ms = 0;
  _kvb_restore_plan_entry_set_status (op->entry, KVB_JOB_STATUS_RUNNING,
                                      _("Waiting until the purged name is free…"));
  kvb_keyvault_client_wait_until_usable_async (self->client,
                                               kvb_restore_plan_entry_get_kind (op->entry),
                                               kvb_restore_plan_entry_get_name (op->entry),
                                               KVB_USABLE_AFTER_PURGE, 0,
                                               g_task_get_cancellable (op->task), wait_cb, op);
}

static const char *
skip_message (KvbRestorePlanEntry *entry)
{
  switch (kvb_restore_plan_entry_get_state (entry))
    {
    case KVB_RESTORE_STATE_EXISTS:
      return _("Skipped: an object of this name already exists in the vault, and a restore "
               "never overwrites.");
    case KVB_RESTORE_STATE_INVALID:
      return kvb_restore_plan_entry_get_error_message (entry);
    case KVB_RESTORE_STATE_FREE:
    case KVB_RESTORE_STATE_SOFT_DELETED:
    case KVB_RESTORE_STATE_UNKNOWN_NAME:
    case KVB_RESTORE_STATE_AMBIGUOUS_KIND:
    default:
      return _("Skipped, as chosen.");
    }
}

/* Whether @entry may start beside those in flight: one kind rank at a time (certificates before
 * the keys and secrets they bring back), never two files of one name at once (each one's
 * before-and-after check of the name must see only itself), and a file without a name alone. */
static gboolean
may_start (Run                 *run,
           KvbRestorePlanEntry *entry,
           char               **folded)
{
  const char *name = kvb_restore_plan_entry_get_name (entry);

  *folded = name != NULL ? g_utf8_casefold (name, -1) : NULL;
  if (run->in_flight == 0)
    return TRUE;
  if (run->exclusive || name == NULL || kind_rank (entry) != run->rank ||
      g_hash_table_contains (run->names, *folded))
    {
      g_clear_pointer (folded, g_free);
      return FALSE;
    }
  return TRUE;
}

static void
op_start (GTask               *task,
          KvbRestorePlanEntry *entry,
          KvbRestoreAction     action,
          char                *folded)
{
  KvbRestorePlan *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Op *op = g_new0 (Op, 1);

  op->task = g_object_ref (task);
  op->entry = g_object_ref (entry);
  op->folded = folded;
  if (folded != NULL)
    g_hash_table_add (run->names, g_strdup (folded));
  else
    run->exclusive = TRUE;
  run->rank = kind_rank (entry);
  run->in_flight++;

  switch (action)
    {
    case KVB_RESTORE_ACTION_RECOVER:
      op->step = STEP_RECOVER;
      _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_RUNNING,
                                          _("Recovering the deleted object…"));
      kvb_keyvault_client_recover_async (self->client, kvb_restore_plan_entry_get_kind (entry),
                                         kvb_restore_plan_entry_get_name (entry),
                                         cancellable, recover_cb, op);
      break;

    case KVB_RESTORE_ACTION_PURGE_AND_RESTORE:
      op->step = STEP_PURGE;
      _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_RUNNING,
                                          _("Purging the deleted object…"));
      kvb_keyvault_client_purge_async (self->client, kvb_restore_plan_entry_get_kind (entry),
                                       kvb_restore_plan_entry_get_name (entry),
                                       cancellable, purge_cb, op);
      break;

    case KVB_RESTORE_ACTION_RESTORE:
    default:
      op->step = STEP_RESTORE;
      _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_RUNNING, _("Restoring…"));
      run_restore (op);
      break;
    }
}

/* Starts the entries that may start, in order, up to the limit; once nothing is left and
 * nothing is in flight, ends the run.  Borrows @task. */
static void
run_next (GTask *task)
{
  KvbRestorePlan *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (run->returned)
    return;

  if (run->error == NULL)
    g_cancellable_set_error_if_cancelled (cancellable, &run->error);

  while (run->error == NULL && run->index < run->order->len && run->in_flight < run->limit)
    {
      KvbRestorePlanEntry *entry = g_ptr_array_index (run->order, run->index);
      KvbRestoreAction action = kvb_restore_plan_entry_get_action (entry);
      char *folded = NULL;

      if (action != KVB_RESTORE_ACTION_RESTORE && action != KVB_RESTORE_ACTION_RECOVER &&
          action != KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
        {
          _kvb_restore_plan_entry_set_status (entry, KVB_JOB_STATUS_SKIPPED,
                                              skip_message (entry));
          run->summary.n_skipped++;
          run->index++;
          continue;
        }

      /* In order: a file that must wait holds back the ones after it. */
      if (!may_start (run, entry, &folded))
        break;
      run->index++;
      op_start (task, entry, action, folded);
    }

  if (run->in_flight > 0)
    return;

  run->returned = TRUE;
  if (g_error_matches (run->error, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED))
    {
      /* Translators: the first %s is the sign-in's own message ("… sign in again.") */
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_SIGN_IN_REQUIRED,
                               _("The restore stopped. %s %u objects were restored before it "
                                 "did. Once signed in again, restore the same files again, "
                                 "skipping the names in use: those are the ones restored."),
                               run->error->message, run->summary.n_done);
      return;
    }
  if (run->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&run->error));
      return;
    }

  g_debug ("Restore plan into %s: %u done, %u skipped, %u failed",
           kvb_keyvault_client_get_vault_name (self->client),
           run->summary.n_done, run->summary.n_skipped, run->summary.n_failed);
  g_task_return_boolean (task, TRUE);
}

static int
compare_rank (gconstpointer a,
              gconstpointer b)
{
  KvbRestorePlanEntry *ea = *(KvbRestorePlanEntry **) a;
  KvbRestorePlanEntry *eb = *(KvbRestorePlanEntry **) b;

  return (int) kind_rank (ea) - (int) kind_rank (eb);
}

void
kvb_restore_plan_run_async (KvbRestorePlan      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;
  guint undecided;

  g_return_if_fail (KVB_IS_RESTORE_PLAN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_restore_plan_run_async);
  run = g_new0 (Run, 1);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  if (!self->prepared || self->started)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               _("This restore has already run, or its files were not read yet."));
      return;
    }

  /* A mistake costs nothing: refuse before any request. */
  undecided = kvb_restore_plan_count_undecided (self);
  if (undecided > 0)
    {
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "%u file needs a choice before the restore can start.",
                                            "%u files need a choice before the restore can start.",
                                            undecided),
                               undecided);
      return;
    }

  /* All or nothing: with a name in use, nothing is sent. */
  if (self->stop_at_name_in_use)
    for (guint i = 0; i < self->entries->len; i++)
      {
        KvbRestorePlanEntry *entry = g_ptr_array_index (self->entries, i);

        if (kvb_restore_plan_entry_get_state (entry) == KVB_RESTORE_STATE_EXISTS)
          {
            g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_CONFLICT_LIVE,
                                     _("“%s” already exists in vault “%s”, and this restore stops "
                                       "at a name in use: nothing was restored. Skip the files "
                                       "whose names are in use to restore the others."),
                                     entry_label (entry),
                                     kvb_keyvault_client_get_vault_name (self->client));
            return;
          }
      }

  self->started = TRUE;
  run->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* "All or nothing of what is left" needs a strict order: with it, a file starts only once
   * the one before it is done, so that a name found in use stops every file after it. */
  run->limit = self->stop_at_name_in_use ? 1 : RESTORE_PARALLEL;
  run->order = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->entries->len; i++)
    {
      KvbRestorePlanEntry *entry = g_ptr_array_index (self->entries, i);

      _kvb_restore_plan_entry_set_locked (entry, TRUE);
      g_ptr_array_add (run->order, g_object_ref (entry));
    }
  /* An insertion sort, stable (g_ptr_array_sort() is not): files of one kind keep their
   * order. */
  for (guint i = 1; i < run->order->len; i++)
    for (guint j = i;
         j > 0 && compare_rank (&run->order->pdata[j - 1], &run->order->pdata[j]) > 0;
         j--)
      {
        gpointer tmp = run->order->pdata[j];
        run->order->pdata[j] = run->order->pdata[j - 1];
        run->order->pdata[j - 1] = tmp;
      }

  run_next (task);
}

gboolean
kvb_restore_plan_run_finish (KvbRestorePlan  *self,
                             GAsyncResult    *result,
                             KvbJobSummary   *summary,
                             GError         **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (summary != NULL)
    *summary = run->summary;

  return g_task_propagate_boolean (G_TASK (result), error);
}
