/* kvb-backup-job-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-backup-job-item"

#include "config.h"

#include "kvb-backup-job-item.h"

struct _KvbBackupJobItem
{
  GObject parent_instance;

  KvbObjectKind kind;
  char *name;
  gboolean replaced;
  GFile *file;
  KvbJobStatus status;
  char *message;
};

G_DEFINE_FINAL_TYPE (KvbBackupJobItem, kvb_backup_job_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_REPLACED,
  PROP_FILE,
  PROP_STATUS,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kvb_backup_job_item_finalize (GObject *object)
{
  KvbBackupJobItem *self = (KvbBackupJobItem *)object;

  g_clear_pointer (&self->name, g_free);
  g_clear_object (&self->file);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (kvb_backup_job_item_parent_class)->finalize (object);
}

static void
kvb_backup_job_item_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  KvbBackupJobItem *self = KVB_BACKUP_JOB_ITEM (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_uint (value, self->kind);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_REPLACED:
      g_value_set_boolean (value, self->replaced);
      break;
    case PROP_FILE:
      g_value_set_object (value, self->file);
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
kvb_backup_job_item_class_init (KvbBackupJobItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_backup_job_item_finalize;
  object_class->get_property = kvb_backup_job_item_get_property;

  /* A KvbObjectKind (no GType of its own in the core). */
  properties[PROP_KIND] =
    g_param_spec_uint ("kind", NULL, NULL, 0, KVB_OBJECT_KIND_N_KINDS - 1, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REPLACED] =
    g_param_spec_boolean ("replaced", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, KVB_TYPE_JOB_STATUS, KVB_JOB_STATUS_PENDING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_backup_job_item_init (KvbBackupJobItem *self)
{
  self->status = KVB_JOB_STATUS_PENDING;
}

KvbBackupJobItem *
_kvb_backup_job_item_new (KvbObjectKind  kind,
                          const char    *name,
                          GFile         *file)
{
  KvbBackupJobItem *self = g_object_new (KVB_TYPE_BACKUP_JOB_ITEM, NULL);

  self->kind = kind;
  self->name = g_strdup (name);
  self->file = g_object_ref (file);

  return self;
}

void
_kvb_backup_job_item_set_replaced (KvbBackupJobItem *self)
{
  if (self->replaced)
    return;
  self->replaced = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLACED]);
}

void
_kvb_backup_job_item_set_status (KvbBackupJobItem *self,
                                 KvbJobStatus      status,
                                 const char       *message)
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

KvbObjectKind
kvb_backup_job_item_get_kind (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), KVB_OBJECT_KIND_SECRET);
  return self->kind;
}

const char *
kvb_backup_job_item_get_name (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), NULL);
  return self->name;
}

gboolean
kvb_backup_job_item_get_replaced (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), FALSE);
  return self->replaced;
}

GFile *
kvb_backup_job_item_get_file (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), NULL);
  return self->file;
}

KvbJobStatus
kvb_backup_job_item_get_status (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), KVB_JOB_STATUS_PENDING);
  return self->status;
}

const char *
kvb_backup_job_item_get_message (KvbBackupJobItem *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_JOB_ITEM (self), NULL);
  return self->message;
}
