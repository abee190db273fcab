/* kvb-vault-manifest.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-manifest"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-file-util.h"
#include "kvb-json-util.h"
#include "kvb-vault-manifest.h"
#include "kvb-vault-manifest-private.h"

/* A manifest of 25,000 objects (the largest vaults seen) stays far below this. */
#define MANIFEST_MAX_SIZE (64 * 1024 * 1024)

struct _KvbVaultManifest
{
  GObject parent_instance;

  char *vault_uri;
  char *subscription;
  char *location;
  char *tenant;
  char *cloud;
  char *previous;
  gint64 started;
  gint64 finished;

  GPtrArray *objects;       /* Entry, in order */
  GHashTable *by_key;       /* "kind/name" -> Entry (borrowed from objects) */

  /* With compact entries, the entries whose tree is kept, oldest first; the others are held as
   * their JSON text (about a tenth of the tree's memory) until they are asked for again. */
  gboolean compact;
  GQueue live;
};

/* An object of the manifest: its tree, or (compact) its text. */
typedef struct
{
  JsonObject *tree;
  char *text;
  GList *live_link;         /* (nullable): in KvbVaultManifest.live */
} Entry;

/* How many trees a compact manifest keeps: far more than a caller looks up before it is done
 * with an entry it was given. */
#define LIVE_MAX 256

G_DEFINE_FINAL_TYPE (KvbVaultManifest, kvb_vault_manifest, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  g_clear_pointer (&entry->tree, json_object_unref);
  g_clear_pointer (&entry->text, g_free);
  g_free (entry);
}

static char *
object_to_text (JsonObject *object,
                gboolean    pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = json_node_alloc ();

  json_node_init_object (node, object);
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, NULL);
}

/* (transfer full): the entry's object, made from its text when compact. */
static JsonObject *
entry_dup_object (Entry *entry)
{
  g_autoptr(JsonParser) parser = NULL;

  if (entry->tree != NULL)
    return json_object_ref (entry->tree);

  /* The text was written by json-glib from an object: it reads back as one, members in order. */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, entry->text, -1, NULL))
    g_return_val_if_reached (json_object_new ());
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
entry_make_compact (KvbVaultManifest *self,
                    Entry            *entry)
{
  if (entry->live_link != NULL)
    {
      g_queue_delete_link (&self->live, entry->live_link);
      entry->live_link = NULL;
    }
  if (entry->tree == NULL)
    return;
  entry->text = object_to_text (entry->tree, FALSE);
  g_clear_pointer (&entry->tree, json_object_unref);
}

/* Returns: (transfer none): the entry's tree, made from its text when needed; a compact
 * manifest keeps it until LIVE_MAX others were asked for after it. */
static JsonObject *
entry_get_tree (KvbVaultManifest *self,
                Entry            *entry)
{
  if (entry->tree == NULL)
    {
      entry->tree = entry_dup_object (entry);
      g_clear_pointer (&entry->text, g_free);
    }
  if (self->compact && entry->live_link == NULL)
    {
      g_queue_push_tail (&self->live, entry);
      entry->live_link = self->live.tail;
      while (self->live.length > LIVE_MAX)
        entry_make_compact (self, g_queue_peek_head (&self->live));
    }
  return entry->tree;
}

static void
kvb_vault_manifest_finalize (GObject *object)
{
  KvbVaultManifest *self = (KvbVaultManifest *)object;

  g_clear_pointer (&self->vault_uri, g_free);
  g_clear_pointer (&self->subscription, g_free);
  g_clear_pointer (&self->location, g_free);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->cloud, g_free);
  g_clear_pointer (&self->previous, g_free);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->objects, g_ptr_array_unref);
  g_queue_clear (&self->live);

  G_OBJECT_CLASS (kvb_vault_manifest_parent_class)->finalize (object);
}

static void
kvb_vault_manifest_class_init (KvbVaultManifestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvb_vault_manifest_finalize;
}

static void
kvb_vault_manifest_init (KvbVaultManifest *self)
{
  self->objects = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

KvbVaultManifest *
kvb_vault_manifest_new (const char *vault_uri)
{
  KvbVaultManifest *self;

  g_return_val_if_fail (vault_uri != NULL, NULL);

  self = g_object_new (KVB_TYPE_VAULT_MANIFEST, NULL);
  self->vault_uri = g_strdup (vault_uri);
  return self;
}

static char *
make_key (KvbObjectKind  kind,
          const char    *name)
{
  return g_strconcat (kvb_object_kind_to_string (kind), "/", name, NULL);
}

const char *
kvb_vault_manifest_kind_folder (KvbObjectKind kind)
{
  return kvb_object_kind_get_collection (kind);
}

gboolean
kvb_vault_manifest_entry_get_kind (JsonObject    *entry,
                                   KvbObjectKind *kind)
{
  const char *text = kvb_json_get_string (entry, "kind", NULL);

  return text != NULL && kvb_object_kind_from_string (text, kind);
}

char *
kvb_vault_manifest_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_seconds <= 0)
    return NULL;
  dt = g_date_time_new_from_unix_utc (unix_seconds);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

static gint64
parse_time (JsonObject *root,
            const char *member)
{
  const char *text = kvb_json_get_string (root, member, NULL);
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL)
    return 0;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

static void
add_entry (KvbVaultManifest *self,
           char             *key,
           JsonObject       *object)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->tree = json_object_ref (object);
  g_ptr_array_add (self->objects, entry);
  g_hash_table_replace (self->by_key, key, entry);
  if (self->compact)
    entry_get_tree (self, entry);
}

void
_kvb_vault_manifest_set_compact (KvbVaultManifest *self,
                                 gboolean          compact)
{
  g_return_if_fail (KVB_IS_VAULT_MANIFEST (self));

  self->compact = compact;
  while (self->live.length > 0)
    entry_make_compact (self, g_queue_peek_head (&self->live));
  if (compact)
    for (guint i = 0; i < self->objects->len; i++)
      entry_make_compact (self, g_ptr_array_index (self->objects, i));
}

static gboolean
bad_manifest (GFile   *file,
              GError **error)
{
  g_autofree char *display = g_file_get_parse_name (file);

  g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
               _("“%s” is not the manifest of a vault backup of this application."), display);
  return FALSE;
}

KvbVaultManifest *
kvb_vault_manifest_load (GFile   *folder,
                         GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  int fd;
  goffset size = 0;

  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  file = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);
  path = g_file_get_path (file);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *display = g_file_get_parse_name (folder);

      g_set_error (error, KVB_ERROR, KVB_ERROR_NOT_FOUND,
                   _("“%s” holds no vault backup: its manifest.json is missing."), display);
      return NULL;
    }

  fd = kvb_file_open_regular (path, KVB_FILE_PURPOSE_OTHER, &size, error);
  if (fd < 0)
    return NULL;
  /* Refused by its size, before a byte of it is read. */
  if (size > MANIFEST_MAX_SIZE)
    {
      close (fd);
      return bad_manifest (file, error), NULL;
    }
  bytes = kvb_file_read_fd (fd, path, MANIFEST_MAX_SIZE, NULL, error);
  close (fd);
  if (bytes == NULL)
    return NULL;
  if (g_bytes_get_size (bytes) > MANIFEST_MAX_SIZE)
    return bad_manifest (file, error), NULL;

  return _kvb_vault_manifest_new_from_bytes (bytes, file, error);
}

KvbVaultManifest *
_kvb_vault_manifest_new_from_bytes (GBytes  *bytes,
                                    GFile   *file,
                                    GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(KvbVaultManifest) self = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root_node;
  JsonObject *root;
  JsonArray *objects;

  /* An empty GBytes may have no data at all, which json-glib refuses without an error. */
  if (g_bytes_get_size (bytes) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   &local_error))
    {
      g_debug ("manifest: %s", local_error != NULL ? local_error->message : "empty");
      return bad_manifest (file, error), NULL;
    }
  root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    return bad_manifest (file, error), NULL;
  root = json_node_get_object (root_node);
  if (g_strcmp0 (kvb_json_get_string (root, "format", NULL),
                 KVB_VAULT_MANIFEST_FORMAT) != 0 ||
      kvb_json_get_int (root, "formatVersion", 0) < 1 ||
      !json_object_has_member (root, "objects") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "objects")))
    return bad_manifest (file, error), NULL;
  if (kvb_json_get_int (root, "formatVersion", 0) >
      KVB_VAULT_MANIFEST_FORMAT_VERSION)
    {
      g_autofree char *display = g_file_get_parse_name (file);

      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” was written by a newer version of this application. Update it to read "
                     "this backup."), display);
      return NULL;
    }

  self = kvb_vault_manifest_new (kvb_json_get_string (root, "vaultUri", ""));
  self->subscription = g_strdup (kvb_json_get_string (root, "subscription", NULL));
  self->location = g_strdup (kvb_json_get_string (root, "location", NULL));
  self->tenant = g_strdup (kvb_json_get_string (root, "tenant", NULL));
  self->cloud = g_strdup (kvb_json_get_string (root, "cloud", NULL));
  self->previous = g_strdup (kvb_json_get_string (root, "incrementalFrom", NULL));
  self->started = parse_time (root, "started");
  self->finished = parse_time (root, "finished");

  objects = json_object_get_array_member (root, "objects");
  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonNode *node = json_array_get_element (objects, i);
      JsonObject *entry;
      const char *name;
      KvbObjectKind kind;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad_manifest (file, error), NULL;
      entry = json_node_get_object (node);
      name = kvb_json_get_string (entry, "name", NULL);
      if (name == NULL || !kvb_vault_manifest_entry_get_kind (entry, &kind))
        return bad_manifest (file, error), NULL;
      add_entry (self, make_key (kind, name), entry);
    }

  return g_steal_pointer (&self);
}

static void
set_string_or_null (JsonBuilder *builder,
                    const char  *member,
                    const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* The text is written as it is made, in pieces of about this size. */
#define WRITE_CHUNK (64 * 1024)

typedef struct
{
  KvbVaultManifest *self;
  const char *head;         /* up to "objects" : [ (and a line break when there are objects) */
  const char *tail;         /* "]" and what closes the manifest */
} SaveData;

static gboolean
flush_text (int      fd,
            GString *text)
{
  const char *data = text->str;
  gsize len = text->len;

  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= n;
    }
  g_string_truncate (text, 0);
  return TRUE;
}

/* How json-glib prints an array of one object as the only member of an object: the object's
 * text between them is what it prints for it two levels deep, empty members included. */
#define WRAP_HEAD "{\n  \"objects\" : [\n"
#define WRAP_TAIL "\n  ]\n}"

/* The objects one by one, so that only one object's text is in memory at a time, not the whole
 * manifest's (megabytes for a large vault); the file is byte for byte what one generator over
 * the whole tree would write. */
static gboolean
write_manifest (int      fd,
                gpointer user_data)
{
  SaveData *data = user_data;
  GPtrArray *objects = data->self->objects;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GString) text = g_string_sized_new (WRITE_CHUNK + 4096);
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) wrap = json_object_new ();
  JsonArray *one = json_array_sized_new (1);

  json_object_set_array_member (wrap, "objects", one);
  json_node_set_object (root, wrap);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);

  g_string_append (text, data->head);
  for (guint i = 0; i < objects->len; i++)
    {
      g_autofree char *entry = NULL;
      gsize len = 0;

      if (json_array_get_length (one) > 0)
        json_array_remove_element (one, 0);
      /* A compact entry is read back for this only, not kept. */
      json_array_add_object_element (one, entry_dup_object (g_ptr_array_index (objects, i)));
      entry = json_generator_to_data (generator, &len);
      if (len < strlen (WRAP_HEAD) + strlen (WRAP_TAIL) || !g_str_has_prefix (entry, WRAP_HEAD) ||
          !g_str_has_suffix (entry, WRAP_TAIL))
        {
          errno = EINVAL;
          return FALSE;
        }
      g_string_append_len (text, entry + strlen (WRAP_HEAD),
                           len - strlen (WRAP_HEAD) - strlen (WRAP_TAIL));
      g_string_append (text, i + 1 < objects->len ? ",\n" : "\n  ");
      if (text->len >= WRITE_CHUNK && !flush_text (fd, text))
        return FALSE;
    }
  g_string_append (text, data->tail);
  return flush_text (fd, text);
}

gboolean
kvb_vault_manifest_save (KvbVaultManifest  *self,
                         GFile             *folder,
                         GError           **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *started = NULL;
  g_autofree char *finished = NULL;
  g_autofree char *text = NULL;
  g_autofree char *head = NULL;
  const char *split;
  SaveData data = { self, NULL, NULL };

  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), FALSE);

  started = kvb_vault_manifest_format_time (self->started);
  finished = kvb_vault_manifest_format_time (self->finished);

  /* The members around the objects, with the objects left out: they are written one by one. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, KVB_VAULT_MANIFEST_FORMAT);
  json_builder_set_member_name (builder, "formatVersion");
  json_builder_add_int_value (builder, KVB_VAULT_MANIFEST_FORMAT_VERSION);
  json_builder_set_member_name (builder, "toolVersion");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "vaultUri");
  json_builder_add_string_value (builder, self->vault_uri);
  set_string_or_null (builder, "subscription", self->subscription);
  set_string_or_null (builder, "location", self->location);
  set_string_or_null (builder, "tenant", self->tenant);
  set_string_or_null (builder, "cloud", self->cloud);
  set_string_or_null (builder, "started", started);
  set_string_or_null (builder, "finished", finished);
  if (self->previous != NULL)
    {
      json_builder_set_member_name (builder, "incrementalFrom");
      json_builder_add_string_value (builder, self->previous);
    }
  json_builder_set_member_name (builder, "objects");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);

  /* "objects" is the last member, printed as "[]": the objects go between the brackets. */
  split = g_strrstr (text, "\"objects\" : []");
  g_return_val_if_fail (split != NULL, FALSE);
  split += strlen ("\"objects\" : [");
  head = g_strdup_printf ("%.*s%s", (int) (split - text), text, self->objects->len > 0 ? "\n" : "");
  data.head = head;
  data.tail = split;

  file = g_file_get_child (folder, KVB_VAULT_MANIFEST_FILE_NAME);
  /* The backup file writer is atomic, fsyncs and makes the file 0600: what a manifest needs. */
  return kvb_backup_file_write_with (file, write_manifest, &data, TRUE, NULL, error);
}

void
kvb_vault_manifest_set_previous (KvbVaultManifest *self,
                                 const char       *folder)
{
  g_return_if_fail (KVB_IS_VAULT_MANIFEST (self));

  g_free (self->previous);
  self->previous = g_strdup (folder);
}

const char *
kvb_vault_manifest_get_previous (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  return self->previous;
}

const char *
kvb_vault_manifest_get_vault_uri (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  return self->vault_uri;
}

const char *
kvb_vault_manifest_get_subscription (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  return self->subscription;
}

const char *
kvb_vault_manifest_get_location (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  return self->location;
}

const char *
kvb_vault_manifest_get_tenant (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  return self->tenant;
}

/* g_set_str() is newer than the GLib the project builds against. */
static void
replace_string (char       **field,
                const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

void
kvb_vault_manifest_set_origin (KvbVaultManifest *self,
                               const char       *subscription,
                               const char       *location,
                               const char       *tenant,
                               const char       *cloud)
{
  g_return_if_fail (KVB_IS_VAULT_MANIFEST (self));

  replace_string (&self->subscription, subscription);
  replace_string (&self->location, location);
  replace_string (&self->tenant, tenant);
  replace_string (&self->cloud, cloud);
}

void
kvb_vault_manifest_set_times (KvbVaultManifest *self,
                              gint64            started,
                              gint64            finished)
{
  g_return_if_fail (KVB_IS_VAULT_MANIFEST (self));
  self->started = started;
  self->finished = finished;
}

gint64
kvb_vault_manifest_get_started (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), 0);
  return self->started;
}

guint
kvb_vault_manifest_get_n_objects (KvbVaultManifest *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), 0);
  return self->objects->len;
}

JsonObject *
kvb_vault_manifest_get_object (KvbVaultManifest *self,
                               guint             position)
{
  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  g_return_val_if_fail (position < self->objects->len, NULL);
  return entry_get_tree (self, g_ptr_array_index (self->objects, position));
}

JsonObject *
kvb_vault_manifest_lookup (KvbVaultManifest *self,
                           KvbObjectKind     kind,
                           const char       *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);

  Entry *entry;

  key = make_key (kind, name);
  entry = g_hash_table_lookup (self->by_key, key);
  return entry != NULL ? entry_get_tree (self, entry) : NULL;
}

JsonObject *
kvb_vault_manifest_ensure (KvbVaultManifest *self,
                           KvbObjectKind     kind,
                           const char       *name)
{
  g_autoptr(JsonObject) entry = NULL;
  JsonObject *found;

  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);

  found = kvb_vault_manifest_lookup (self, kind, name);
  if (found != NULL)
    return found;

  entry = json_object_new ();
  json_object_set_string_member (entry, "kind", kvb_object_kind_to_string (kind));
  json_object_set_string_member (entry, "name", name);
  json_object_set_string_member (entry, "status", KVB_VAULT_MANIFEST_PENDING);
  add_entry (self, make_key (kind, name), entry);
  return entry;
}

void
kvb_vault_manifest_remove (KvbVaultManifest *self,
                           KvbObjectKind     kind,
                           const char       *name)
{
  g_autofree char *key = NULL;
  Entry *entry;

  g_return_if_fail (KVB_IS_VAULT_MANIFEST (self));

  key = make_key (kind, name);
  entry = g_hash_table_lookup (self->by_key, key);
  if (entry == NULL)
    return;
  g_hash_table_remove (self->by_key, key);
  entry_make_compact (self, entry);
  g_ptr_array_remove (self->objects, entry);
}

/* A manifest names files relative to its folder; one that points elsewhere is refused, so that
 * an edited manifest cannot make us read (or later restore) a file outside the backup. */
static GFile *
entry_file (JsonObject *entry,
            GFile      *folder)
{
  const char *file = kvb_json_get_string (entry, "file", NULL);
  g_autoptr(GFile) child = NULL;
  g_autofree char *relative = NULL;

  if (file == NULL || *file == '\0' || g_path_is_absolute (file))
    return NULL;
  child = g_file_resolve_relative_path (folder, file);
  relative = g_file_get_relative_path (folder, child);
  if (relative == NULL)
    return NULL;
  return g_steal_pointer (&child);
}

/* Whether a component of @relative (below @folder) is a symbolic link.  The names were checked
 * to stay inside the folder; a link would take the file from anywhere. */
static gboolean
leads_through_link (GFile      *folder,
                    const char *relative)
{
  g_autofree char *base = g_file_get_path (folder);
  g_auto(GStrv) parts = g_strsplit (relative, G_DIR_SEPARATOR_S, -1);
  g_autoptr(GString) path = g_string_new (base);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      GStatBuf st;

      if (*parts[i] == '\0')
        continue;
      g_string_append_c (path, G_DIR_SEPARATOR);
      g_string_append (path, parts[i]);
      if (g_lstat (path->str, &st) == 0 && S_ISLNK (st.st_mode))
        return TRUE;
    }
  return FALSE;
}

gboolean
kvb_vault_manifest_check_entry (JsonObject  *entry,
                                GFile       *folder,
                                GError     **error)
{
  g_autoptr(GFile) file = entry_file (entry, folder);
  g_autofree char *path = NULL;
  g_autofree char *relative = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(KvbBackupFile) backup = NULL;
  goffset file_size = 0;
  int fd;
  g_autoptr(GError) local_error = NULL;
  const char *name = kvb_json_get_string (entry, "name", "");
  const char *sha256 = kvb_json_get_string (entry, "sha256", "");
  gint64 size = kvb_json_get_int (entry, "size", -1);
  KvbObjectKind kind;

  if (file == NULL || !kvb_vault_manifest_entry_get_kind (entry, &kind))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("The manifest’s entry for “%s” names no file inside the backup folder."), name);
      return FALSE;
    }
  path = g_file_get_path (file);
  relative = g_file_get_relative_path (folder, file);
  if (relative != NULL && leads_through_link (folder, relative))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” is reached through a symbolic link: a backup folder holds its files "
                     "itself, and a link out of it is not followed."),
                   json_object_get_string_member (entry, "file"));
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_NOT_FOUND, _("“%s” is missing."),
                   json_object_get_string_member (entry, "file"));
      return FALSE;
    }
  /* The size is compared before anything is read: a huge file is not read to find it wrong. */
  fd = kvb_file_open_regular (path, KVB_FILE_PURPOSE_BACKUP, &file_size, error);
  if (fd < 0)
    return FALSE;
  if (file_size > KVB_BACKUP_FILE_MAX_SIZE)
    {
      close (fd);
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” is too large to be a Key Vault backup (more than %d MB)."),
                   json_object_get_string_member (entry, "file"),
                   KVB_BACKUP_FILE_MAX_SIZE / (1024 * 1024));
      return FALSE;
    }
  if (file_size == size)
    bytes = kvb_file_read_fd (fd, path, KVB_BACKUP_FILE_MAX_SIZE, NULL, error);
  else
    bytes = g_bytes_new (NULL, 0);   /* the size tells already */
  close (fd);
  if (bytes == NULL)
    return FALSE;
  if ((gint64) g_bytes_get_size (bytes) != size || file_size != size)
    {
      g_autofree char *actual = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                 file_size != size ? (gint64) file_size
                                                                   : (gint64) g_bytes_get_size (bytes));
      g_autofree char *recorded = g_strdup_printf ("%" G_GINT64_FORMAT, size);

      /* Translators: the file, then two byte counts */
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” has %s bytes where the manifest records %s."),
                   json_object_get_string_member (entry, "file"), actual, recorded);
      return FALSE;
    }
  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  if (g_ascii_strcasecmp (digest, sha256) != 0)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” does not have the SHA-256 the manifest records: the file or the "
                     "manifest was changed."), json_object_get_string_member (entry, "file"));
      return FALSE;
    }

  /* The envelope: a backup file a restore can read, with the header of its kind. */
  backup = kvb_backup_file_new_from_bytes (bytes, json_object_get_string_member (entry, "file"),
                                           &local_error);
  if (backup == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if ((kvb_backup_file_get_header (backup) == KVB_BLOB_HEADER_SECRET) !=
      (kind == KVB_OBJECT_KIND_SECRET))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                   _("“%s” holds the backup of another kind of object than the manifest records."),
                   json_object_get_string_member (entry, "file"));
      return FALSE;
    }

  return TRUE;
}

GPtrArray *
kvb_vault_manifest_verify (KvbVaultManifest *self,
                           GFile            *folder,
                           guint            *n_checked)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) named = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint checked = 0;

  g_return_val_if_fail (KVB_IS_VAULT_MANIFEST (self), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  for (guint i = 0; i < self->objects->len; i++)
    {
      g_autoptr(JsonObject) entry = entry_dup_object (g_ptr_array_index (self->objects, i));
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = NULL;

      if (g_strcmp0 (kvb_json_get_string (entry, "status", NULL),
                     KVB_VAULT_MANIFEST_DONE) != 0)
        continue;
      checked++;
      file = entry_file (entry, folder);
      if (file != NULL)
        g_hash_table_add (named, g_file_get_path (file));
      if (!kvb_vault_manifest_check_entry (entry, folder, &error))
        g_ptr_array_add (problems, g_strdup (error->message));
    }

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      const char *sub = kvb_vault_manifest_kind_folder (kind);
      g_autoptr(GFile) dir_file = g_file_get_child (folder, sub);
      g_autofree char *dir_path = g_file_get_path (dir_file);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *base;

      if (dir == NULL)
        continue;
      while ((base = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir_path, base, NULL);

          if (!g_hash_table_contains (named, path))
            g_ptr_array_add (problems, g_strdup_printf (
                /* Translators: a file in the backup folder, e.g. secrets/kv.db.secret.kvbackup */
                _("“%s/%s” is not in the manifest."), sub, base));
        }
    }

  if (n_checked != NULL)
    *n_checked = checked;
  return g_steal_pointer (&problems);
}
