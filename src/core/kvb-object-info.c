/* kvb-object-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-info"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kvb-base64url.h"
#include "kvb-error.h"
#include "kvb-object-info.h"

/* 9999-12-31T23:59:59Z */
#define MAX_UNIX_TIME G_GINT64_CONSTANT (253402300799)

struct _KvbObjectInfo
{
  GObject parent_instance;

  KvbObjectKind kind;
  char *name;
  char *id;
  char *version;
  gboolean enabled;
  gint64 created;
  gint64 updated;
  gint64 expires;
  gint64 not_before;
  char *content_type;
  GHashTable *tags;
  gboolean managed;
  char *recovery_level;
  gboolean deleted;
  char *recovery_id;
  gint64 deleted_date;
  gint64 scheduled_purge_date;
  char *thumbprint;
};

G_DEFINE_FINAL_TYPE (KvbObjectInfo, kvb_object_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_ID,
  PROP_VERSION,
  PROP_ENABLED,
  PROP_CREATED,
  PROP_UPDATED,
  PROP_EXPIRES,
  PROP_NOT_BEFORE,
  PROP_CONTENT_TYPE,
  PROP_MANAGED,
  PROP_RECOVERY_LEVEL,
  PROP_DELETED,
  PROP_RECOVERY_ID,
  PROP_DELETED_DATE,
  PROP_SCHEDULED_PURGE_DATE,
  PROP_THUMBPRINT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kvb_object_info_finalize (GObject *object)
{
  KvbObjectInfo *self = (KvbObjectInfo *)object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->version, g_free);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->tags, g_hash_table_unref);
  g_clear_pointer (&self->recovery_level, g_free);
  g_clear_pointer (&self->recovery_id, g_free);
  g_clear_pointer (&self->thumbprint, g_free);

  G_OBJECT_CLASS (kvb_object_info_parent_class)->finalize (object);
}

static void
kvb_object_info_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KvbObjectInfo *self = KVB_OBJECT_INFO (object);

  switch (prop_id)
    {
    case PROP_KIND: g_value_set_int (value, self->kind); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_VERSION: g_value_set_string (value, self->version); break;
    case PROP_ENABLED: g_value_set_boolean (value, self->enabled); break;
    case PROP_CREATED: g_value_set_int64 (value, self->created); break;
    case PROP_UPDATED: g_value_set_int64 (value, self->updated); break;
    case PROP_EXPIRES: g_value_set_int64 (value, self->expires); break;
    case PROP_NOT_BEFORE: g_value_set_int64 (value, self->not_before); break;
    case PROP_CONTENT_TYPE: g_value_set_string (value, self->content_type); break;
    case PROP_MANAGED: g_value_set_boolean (value, self->managed); break;
    case PROP_RECOVERY_LEVEL: g_value_set_string (value, self->recovery_level); break;
    case PROP_DELETED: g_value_set_boolean (value, self->deleted); break;
    case PROP_RECOVERY_ID: g_value_set_string (value, self->recovery_id); break;
    case PROP_DELETED_DATE: g_value_set_int64 (value, self->deleted_date); break;
    case PROP_SCHEDULED_PURGE_DATE: g_value_set_int64 (value, self->scheduled_purge_date); break;
    case PROP_THUMBPRINT: g_value_set_string (value, self->thumbprint); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_prop (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
date_prop (const char *name)
{
  return g_param_spec_int64 (name, NULL, NULL, 0, G_MAXINT64, 0,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
bool_prop (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
kvb_object_info_class_init (KvbObjectInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_object_info_finalize;
  object_class->get_property = kvb_object_info_get_property;

  /* Readable properties so that list views can bind to them. */
  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, 0, KVB_OBJECT_KIND_N_KINDS - 1, 0,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = string_prop ("name");
  properties[PROP_ID] = string_prop ("id");
  properties[PROP_VERSION] = string_prop ("version");
  properties[PROP_ENABLED] = bool_prop ("enabled");
  properties[PROP_CREATED] = date_prop ("created");
  properties[PROP_UPDATED] = date_prop ("updated");
  properties[PROP_EXPIRES] = date_prop ("expires");
  properties[PROP_NOT_BEFORE] = date_prop ("not-before");
  properties[PROP_CONTENT_TYPE] = string_prop ("content-type");
  properties[PROP_MANAGED] = bool_prop ("managed");
  properties[PROP_RECOVERY_LEVEL] = string_prop ("recovery-level");
  properties[PROP_DELETED] = bool_prop ("deleted");
  properties[PROP_RECOVERY_ID] = string_prop ("recovery-id");
  properties[PROP_DELETED_DATE] = date_prop ("deleted-date");
  properties[PROP_SCHEDULED_PURGE_DATE] = date_prop ("scheduled-purge-date");
  properties[PROP_THUMBPRINT] = string_prop ("thumbprint");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kvb_object_info_init (KvbObjectInfo *self)
{
  self->enabled = TRUE;
}

static const char *
member_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_time (JsonObject *obj,
             const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  /* Past the year 9999 is no date (GDateTime refuses it); a double that large would not even
   * fit a gint64.  Either counts as unset. */
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 t = json_node_get_int (node);

      return t > 0 && t <= MAX_UNIX_TIME ? t : 0;
    }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double t = json_node_get_double (node);

      return t > 0 && t <= (double) MAX_UNIX_TIME ? (gint64) t : 0;
    }
  return 0;
}

static gboolean
member_bool (JsonObject *obj,
             const char *name,
             gboolean    fallback)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

/* https://VAULT/secrets/NAME[/VERSION] (or /keys/, /certificates/, /deletedsecrets/…) */
static gboolean
parse_id (const char  *id,
          char       **name,
          char       **version)
{
  g_autoptr(GUri) uri = g_uri_parse (id, G_URI_FLAGS_ENCODED, NULL);
  g_auto(GStrv) parts = NULL;
  guint n = 0;
  const char *segs[4] = { NULL };

  if (uri == NULL)
    return FALSE;

  parts = g_strsplit (g_uri_get_path (uri), "/", -1);
  for (guint i = 0; parts[i] != NULL && n < G_N_ELEMENTS (segs); i++)
    if (*parts[i] != '\0')
      segs[n++] = parts[i];

  if (n < 2 || n > 3)
    return FALSE;

  *name = g_uri_unescape_string (segs[1], NULL);
  *version = n == 3 ? g_uri_unescape_string (segs[2], NULL) : NULL;

  return *name != NULL;
}

/* The portal shows a certificate's SHA-1 thumbprint in upper-case hex; Key Vault sends it as
 * base64url ("x5t"). */
static char *
thumbprint_from_x5t (const char *x5t)
{
  g_autoptr(GBytes) bytes = NULL;
  const guchar *data;
  gsize len;
  GString *hex;

  if (x5t == NULL || (bytes = kvb_base64url_decode (x5t, strlen (x5t))) == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return NULL;
  hex = g_string_sized_new (len * 2);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02X", data[i]);
  return g_string_free (hex, FALSE);
}

KvbObjectInfo *
kvb_object_info_new_from_json (KvbObjectKind   kind,
                               JsonObject     *item,
                               GError        **error)
{
  g_autoptr(KvbObjectInfo) self = NULL;
  JsonObject *attributes = NULL;
  JsonNode *node;
  const char *id;

  g_return_val_if_fail (item != NULL, NULL);

  /* Keys are named by "kid" in lists; key bundles carry it inside "key". */
  id = member_string (item, "id");
  if (id == NULL)
    id = member_string (item, "kid");
  if (id == NULL && (node = json_object_get_member (item, "key")) != NULL &&
      JSON_NODE_HOLDS_OBJECT (node))
    id = member_string (json_node_get_object (node), "kid");

  self = g_object_new (KVB_TYPE_OBJECT_INFO, NULL);
  self->kind = kind;

  if (id == NULL || !parse_id (id, &self->name, &self->version))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
                   _("Key Vault answered with an object without a valid identifier."));
      return NULL;
    }
  self->id = g_strdup (id);

  node = json_object_get_member (item, "attributes");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    attributes = json_node_get_object (node);

  self->enabled = member_bool (attributes, "enabled", TRUE);
  self->created = member_time (attributes, "created");
  self->updated = member_time (attributes, "updated");
  self->expires = member_time (attributes, "exp");
  self->not_before = member_time (attributes, "nbf");
  self->recovery_level = g_strdup (member_string (attributes, "recoveryLevel"));
  self->content_type = g_strdup (member_string (item, "contentType"));
  self->managed = member_bool (item, "managed", FALSE);

  node = json_object_get_member (item, "tags");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *tags = json_node_get_object (node);
      g_autoptr(GList) names = json_object_get_members (tags);

      for (GList *l = names; l != NULL; l = l->next)
        {
          const char *value = member_string (tags, l->data);

          if (value == NULL)
            continue;
          if (self->tags == NULL)
            self->tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (self->tags, g_strdup (l->data), g_strdup (value));
        }
    }

  self->thumbprint = thumbprint_from_x5t (member_string (item, "x5t"));
  self->recovery_id = g_strdup (member_string (item, "recoveryId"));
  self->deleted_date = member_time (item, "deletedDate");
  self->scheduled_purge_date = member_time (item, "scheduledPurgeDate");
  self->deleted = self->recovery_id != NULL || self->deleted_date != 0;

  return g_steal_pointer (&self);
}

KvbObjectKind
kvb_object_info_get_kind (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->kind;
}

const char *
kvb_object_info_get_name (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->name;
}

const char *
kvb_object_info_get_id (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->id;
}

const char *
kvb_object_info_get_version (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->version;
}

gboolean
kvb_object_info_get_enabled (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), FALSE);
  return self->enabled;
}

gint64
kvb_object_info_get_created (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->created;
}

gint64
kvb_object_info_get_updated (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->updated;
}

gint64
kvb_object_info_get_expires (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->expires;
}

gint64
kvb_object_info_get_not_before (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->not_before;
}

const char *
kvb_object_info_get_content_type (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->content_type;
}

GHashTable *
kvb_object_info_get_tags (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->tags;
}

gboolean
kvb_object_info_get_managed (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), FALSE);
  return self->managed;
}

const char *
kvb_object_info_get_recovery_level (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->recovery_level;
}

gboolean
kvb_object_info_get_deleted (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), FALSE);
  return self->deleted;
}

const char *
kvb_object_info_get_recovery_id (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->recovery_id;
}

gint64
kvb_object_info_get_deleted_date (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->deleted_date;
}

gint64
kvb_object_info_get_scheduled_purge_date (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), 0);
  return self->scheduled_purge_date;
}

const char *
kvb_object_info_get_thumbprint (KvbObjectInfo *self)
{
  g_return_val_if_fail (KVB_IS_OBJECT_INFO (self), NULL);
  return self->thumbprint;
}
