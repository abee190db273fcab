/* kvb-restore-plan-entry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-restore-plan-entry"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-restore-plan-entry.h"
#include "kvb-restore-plan-private.h"

struct _KvbRestorePlanEntry
{
  GObject parent_instance;

  GFile *file;
  KvbBackupFile *backup;
  KvbObjectKind kind;
  char *name;
  KvbRestoreState state;
  char *error_message;
  gint64 deleted_date;
  gint64 purge_date;
  KvbRestoreAction action;
  KvbJobStatus status;
  char *message;
  /* Purge protection is off (as far as the caller knows). */
  gboolean can_purge;
  /* Set while the plan runs: choices are made before, not during. */
  gboolean locked;
};

G_DEFINE_FINAL_TYPE (KvbRestorePlanEntry, kvb_restore_plan_entry, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  PROP_BACKUP,
  PROP_KIND,
  PROP_NAME,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_DELETED_DATE,
  PROP_SCHEDULED_PURGE_DATE,
  PROP_ACTION,
  PROP_STATUS,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
kvb_restore_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { KVB_RESTORE_STATE_FREE, "KVB_RESTORE_STATE_FREE", "free" },
        { KVB_RESTORE_STATE_EXISTS, "KVB_RESTORE_STATE_EXISTS", "exists" },
        { KVB_RESTORE_STATE_SOFT_DELETED, "KVB_RESTORE_STATE_SOFT_DELETED", "soft-deleted" },
        { KVB_RESTORE_STATE_UNKNOWN_NAME, "KVB_RESTORE_STATE_UNKNOWN_NAME", "unknown-name" },
        { KVB_RESTORE_STATE_AMBIGUOUS_KIND, "KVB_RESTORE_STATE_AMBIGUOUS_KIND", "ambiguous-kind" },
        { KVB_RESTORE_STATE_INVALID, "KVB_RESTORE_STATE_INVALID", "invalid" },
        { 0, NULL, NULL }
      };
      GType t = g_enum_register_static ("KvbRestoreState", values);
      g_once_init_leave (&type_id, t);
    }

  return type_id;
}

GType
kvb_restore_action_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { KVB_RESTORE_ACTION_NONE, "KVB_RESTORE_ACTION_NONE", "none" },
        { KVB_RESTORE_ACTION_RESTORE, "KVB_RESTORE_ACTION_RESTORE", "restore" },
        { KVB_RESTORE_ACTION_SKIP, "KVB_RESTORE_ACTION_SKIP", "skip" },
        { KVB_RESTORE_ACTION_RECOVER, "KVB_RESTORE_ACTION_RECOVER", "recover" },
        { KVB_RESTORE_ACTION_PURGE_AND_RESTORE, "KVB_RESTORE_ACTION_PURGE_AND_RESTORE",
          "purge-and-restore" },
        { 0, NULL, NULL }
      };
      GType t = g_enum_register_static ("KvbRestoreAction", values);
      g_once_init_leave (&type_id, t);
    }

  return type_id;
}

static void
kvb_restore_plan_entry_finalize (GObject *object)
{
  KvbRestorePlanEntry *self = (KvbRestorePlanEntry *)object;

  g_clear_object (&self->file);
  g_clear_object (&self->backup);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (kvb_restore_plan_entry_parent_class)->finalize (object);
}

static void
kvb_restore_plan_entry_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  KvbRestorePlanEntry *self = KVB_RESTORE_PLAN_ENTRY (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_BACKUP:
      g_value_set_object (value, self->backup);
      break;
    case PROP_KIND:
      g_value_set_uint (value, self->kind);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_DELETED_DATE:
      g_value_set_int64 (value, self->deleted_date);
      break;
    case PROP_SCHEDULED_PURGE_DATE:
      g_value_set_int64 (value, self->purge_date);
      break;
    case PROP_ACTION:
      g_value_set_enum (value, self->action);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_plan_entry_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  KvbRestorePlanEntry *self = KVB_RESTORE_PLAN_ENTRY (object);
  g_autoptr(GError) error = NULL;

  switch (prop_id)
    {
    case PROP_ACTION:
      /* A binding cannot receive an error: a choice that does not fit is logged and ignored. */
      if (!kvb_restore_plan_entry_set_action (self, g_value_get_enum (value), &error))
        g_debug ("Action not set: %s", error->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_plan_entry_class_init (KvbRestorePlanEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_restore_plan_entry_finalize;
  object_class->get_property = kvb_restore_plan_entry_get_property;
  object_class->set_property = kvb_restore_plan_entry_set_property;

  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKUP] =
    g_param_spec_object ("backup", NULL, NULL, KVB_TYPE_BACKUP_FILE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* A KvbObjectKind (no GType of its own in the core). */
  properties[PROP_KIND] =
    g_param_spec_uint ("kind", NULL, NULL, 0, KVB_OBJECT_KIND_N_KINDS - 1, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, KVB_TYPE_RESTORE_STATE, KVB_RESTORE_STATE_INVALID,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DELETED_DATE] =
    g_param_spec_int64 ("deleted-date", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCHEDULED_PURGE_DATE] =
    g_param_spec_int64 ("scheduled-purge-date", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTION] =
    g_param_spec_enum ("action", NULL, NULL, KVB_TYPE_RESTORE_ACTION, KVB_RESTORE_ACTION_NONE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, KVB_TYPE_JOB_STATUS, KVB_JOB_STATUS_PENDING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_restore_plan_entry_init (KvbRestorePlanEntry *self)
{
  self->state = KVB_RESTORE_STATE_INVALID;
  self->action = KVB_RESTORE_ACTION_NONE;
  self->status = KVB_JOB_STATUS_PENDING;
  self->can_purge = TRUE;
}

KvbRestorePlanEntry *
_kvb_restore_plan_entry_new (GFile *file)
{
  KvbRestorePlanEntry *self = g_object_new (KVB_TYPE_RESTORE_PLAN_ENTRY, NULL);

  self->file = g_object_ref (file);

  return self;
}

GFile *
kvb_restore_plan_entry_get_file (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), NULL);
  return self->file;
}

KvbBackupFile *
kvb_restore_plan_entry_get_backup (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), NULL);
  return self->backup;
}

KvbObjectKind
kvb_restore_plan_entry_get_kind (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), KVB_OBJECT_KIND_SECRET);
  return self->kind;
}

const char *
kvb_restore_plan_entry_get_name (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), NULL);
  return self->name;
}

KvbRestoreState
kvb_restore_plan_entry_get_state (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), KVB_RESTORE_STATE_INVALID);
  return self->state;
}

const char *
kvb_restore_plan_entry_get_error_message (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), NULL);
  return self->error_message;
}

gint64
kvb_restore_plan_entry_get_deleted_date (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), 0);
  return self->deleted_date;
}

gint64
kvb_restore_plan_entry_get_scheduled_purge_date (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), 0);
  return self->purge_date;
}

KvbRestoreAction
kvb_restore_plan_entry_get_action (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), KVB_RESTORE_ACTION_NONE);
  return self->action;
}

KvbJobStatus
kvb_restore_plan_entry_get_status (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), KVB_JOB_STATUS_PENDING);
  return self->status;
}

const char *
kvb_restore_plan_entry_get_message (KvbRestorePlanEntry *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), NULL);
  return self->message;
}

gboolean
kvb_restore_plan_entry_can (KvbRestorePlanEntry *self,
                            KvbRestoreAction     action)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), FALSE);

  if (self->locked)
    return FALSE;

  switch (action)
    {
    case KVB_RESTORE_ACTION_NONE:
    case KVB_RESTORE_ACTION_SKIP:
      return TRUE;
    case KVB_RESTORE_ACTION_RESTORE:
      return self->state == KVB_RESTORE_STATE_FREE ||
             self->state == KVB_RESTORE_STATE_UNKNOWN_NAME;
    case KVB_RESTORE_ACTION_RECOVER:
      return self->state == KVB_RESTORE_STATE_SOFT_DELETED;
    case KVB_RESTORE_ACTION_PURGE_AND_RESTORE:
      return self->state == KVB_RESTORE_STATE_SOFT_DELETED && self->can_purge;
    default:
      return FALSE;
    }
}

static const char *
display_name (KvbRestorePlanEntry *self)
{
  if (self->name != NULL)
    return self->name;
  if (self->backup != NULL && kvb_backup_file_get_display_name (self->backup) != NULL)
    return kvb_backup_file_get_display_name (self->backup);
  return g_file_peek_path (self->file) != NULL ? g_file_peek_path (self->file) : "?";
}

gboolean
kvb_restore_plan_entry_set_action (KvbRestorePlanEntry  *self,
                                   KvbRestoreAction      action,
                                   GError              **error)
{
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (self), FALSE);

  if (!kvb_restore_plan_entry_can (self, action))
    {
      if (self->locked)
        g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                             _("The restore has started: choices can no longer be changed."));
      else if (self->state == KVB_RESTORE_STATE_INVALID)
        g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                             self->error_message != NULL ? self->error_message
                             : _("This file cannot be restored."));
      else if (self->state == KVB_RESTORE_STATE_AMBIGUOUS_KIND)
        g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                     _("First say whether “%s” holds a key or a certificate."),
                     display_name (self));
      else if (self->state == KVB_RESTORE_STATE_EXISTS)
        g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                     _("“%s” already exists in the vault, and a restore never overwrites. Skip "
                       "this file, or delete and purge the object first."), display_name (self));
      else if (self->state == KVB_RESTORE_STATE_SOFT_DELETED &&
               action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
        g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                     _("The vault has purge protection, so the deleted object “%s” cannot be "
                       "purged. Recover it instead, or skip this file."), display_name (self));
      else if (self->state == KVB_RESTORE_STATE_SOFT_DELETED)
        g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                     _("The name “%s” belongs to a deleted object. Recover it, or purge it and "
                       "restore the file, or skip this file."), display_name (self));
      else
        g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                     _("Only a deleted object can be recovered or purged, and “%s” is not "
                       "deleted."), display_name (self));
      return FALSE;
    }

  _kvb_restore_plan_entry_put_action (self, action);

  return TRUE;
}

void
_kvb_restore_plan_entry_set_backup (KvbRestorePlanEntry *self,
                                    KvbBackupFile       *backup)
{
  if (g_set_object (&self->backup, backup))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKUP]);
}

void
_kvb_restore_plan_entry_set_kind (KvbRestorePlanEntry *self,
                                  KvbObjectKind        kind)
{
  if (self->kind == kind)
    return;
  self->kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

void
_kvb_restore_plan_entry_set_name (KvbRestorePlanEntry *self,
                                  const char          *name)
{
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
_kvb_restore_plan_entry_set_state (KvbRestorePlanEntry *self,
                                   KvbRestoreState      state,
                                   const char          *error_message,
                                   gint64               deleted_date,
                                   gint64               purge_date)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (self->error_message, error_message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  if (self->deleted_date != deleted_date)
    {
      self->deleted_date = deleted_date;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELETED_DATE]);
    }
  if (self->purge_date != purge_date)
    {
      self->purge_date = purge_date;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCHEDULED_PURGE_DATE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
_kvb_restore_plan_entry_set_can_purge (KvbRestorePlanEntry *self,
                                       gboolean             can_purge)
{
  self->can_purge = !!can_purge;
}

void
_kvb_restore_plan_entry_put_action (KvbRestorePlanEntry *self,
                                    KvbRestoreAction     action)
{
  if (self->action == action)
    return;
  self->action = action;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTION]);
}

void
_kvb_restore_plan_entry_set_status (KvbRestorePlanEntry *self,
                                    KvbJobStatus         status,
                                    const char          *message)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
_kvb_restore_plan_entry_set_locked (KvbRestorePlanEntry *self,
                                    gboolean             locked)
{
  self->locked = !!locked;
}
