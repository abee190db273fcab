/* kvb-backup-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-backup-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-base64url.h"
#include "kvb-file-util.h"
#include "kvb-json-util.h"

#define SECRET_HEADER "AzureKeyVaultSecretBackupV1.microsoft.com"
#define KEY_HEADER    "AzureKeyVaultKeyBackupV1.microsoft.com"
#define HEADER_PREFIX "AzureKeyVault"

/* One backup file, read and checked: the blob bytes, how they were stored and what the header
 * says about the kind.  Immutable once made. */
struct _KvbBackupFile
{
  GObject parent_instance;

  GBytes *blob;
  char *display_name;
  KvbBackupFormat format;
  KvbBlobHeader header;
};

G_DEFINE_FINAL_TYPE (KvbBackupFile, kvb_backup_file, G_TYPE_OBJECT)

static void
kvb_backup_file_finalize (GObject *object)
{
  KvbBackupFile *self = (KvbBackupFile *)object;

  g_clear_pointer (&self->blob, g_bytes_unref);
  g_clear_pointer (&self->display_name, g_free);

  G_OBJECT_CLASS (kvb_backup_file_parent_class)->finalize (object);
}

static void
kvb_backup_file_class_init (KvbBackupFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kvb_backup_file_finalize;
}

static void
kvb_backup_file_init (KvbBackupFile *self)
{
}

/* Base64url ----------------------------------------------------------------------------------- */

static gboolean
is_b64url_char (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* Strict base64url of one JWE part; returns the decoded length, or -1. */
static gssize
b64url_part_decoded_length (const char *part,
                            gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!is_b64url_char (part[i]))
      return -1;
  if (len % 4 == 1)
    return -1;
  return (len / 4) * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

/* The blob envelope ------------------------------------------------------------------------- */

typedef enum
{
  BLOB_OK,
  BLOB_NOT_A_BLOB,   /* does not start like one */
  BLOB_DAMAGED,      /* starts like one, but is cut short or corrupt */
} BlobCheck;

/* The payload after the header is a JWE in compact form: five base64url parts.  Checking its
 * shape catches files cut short, which the service would only refuse after a round trip. */
static gboolean
check_jwe (const char *payload,
           gsize       len)
{
  const char *parts[5];
  gsize lengths[5];
  gssize decoded[5];
  guint n = 0;
  const char *start = payload;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *header_text = NULL;
  g_autoptr(GBytes) header_bytes = NULL;
  const char *enc = NULL;
  JsonNode *root;

  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || payload[i] == '.')
        {
          if (n == G_N_ELEMENTS (parts))
            return FALSE;
          parts[n] = start;
          lengths[n] = payload + i - start;
          n++;
          start = payload + i + 1;
        }
    }

  if (n != 5)
    return FALSE;

  for (guint i = 0; i < 5; i++)
    {
      decoded[i] = b64url_part_decoded_length (parts[i], lengths[i]);
      if (decoded[i] < 0)
        return FALSE;
    }

  /* Protected header, IV, ciphertext and tag are never empty. */
  if (decoded[0] == 0 || decoded[2] == 0 || decoded[3] == 0 || decoded[4] == 0)
    return FALSE;

  header_bytes = kvb_base64url_decode (parts[0], lengths[0]);
  if (header_bytes == NULL)
    return FALSE;
  header_text = g_strndup (g_bytes_get_data (header_bytes, NULL), g_bytes_get_size (header_bytes));

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, header_text, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  /* White space alone parses, without a root. */
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;

  enc = kvb_json_get_string (json_node_get_object (root), "enc", NULL);
  if (enc == NULL)
    return TRUE;

  /* AES-CBC with HMAC (RFC 7518 5.2): 16-byte IV, whole blocks, a tag half the MAC's size. */
  if (g_str_equal (enc, "A128CBC-HS256") || g_str_equal (enc, "A192CBC-HS384") ||
      g_str_equal (enc, "A256CBC-HS512"))
    {
      gssize tag_len = g_str_equal (enc, "A128CBC-HS256") ? 16 :
                       g_str_equal (enc, "A192CBC-HS384") ? 24 : 32;

      return decoded[2] == 16 && decoded[3] % 16 == 0 && decoded[4] == tag_len;
    }

  /* AES-GCM: 12-byte IV, 16-byte tag. */
  if (g_str_has_suffix (enc, "GCM"))
    return decoded[2] == 12 && decoded[4] == 16;

  return TRUE;
}

static BlobCheck
check_blob (GBytes        *blob,
            KvbBlobHeader *header)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (blob, &len);
  const char *text;
  gsize n;

  if (len < 1 + strlen (HEADER_PREFIX))
    return BLOB_NOT_A_BLOB;

  n = data[0];
  text = (const char *) data + 1;
  if (n < strlen (HEADER_PREFIX) || memcmp (text, HEADER_PREFIX, strlen (HEADER_PREFIX)) != 0)
    return BLOB_NOT_A_BLOB;

  if (len < 1 + n)
    return BLOB_DAMAGED;

  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isgraph (text[i]))
      return BLOB_DAMAGED;

  if (n == strlen (SECRET_HEADER) && memcmp (text, SECRET_HEADER, n) == 0)
    *header = KVB_BLOB_HEADER_SECRET;
  else if (n == strlen (KEY_HEADER) && memcmp (text, KEY_HEADER, n) == 0)
    *header = KVB_BLOB_HEADER_KEY;
  else if (g_strstr_len (text, n, "Backup") != NULL)
    *header = KVB_BLOB_HEADER_OTHER;
  else
    return BLOB_NOT_A_BLOB;

  if (!check_jwe (text + n, len - 1 - n))
    return BLOB_DAMAGED;

  return BLOB_OK;
}

/* Reading --------------------------------------------------------------------------------- */

static gboolean
is_all_space (const guint8 *data,
              gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

/* A message about a file is a whole sentence with the file's name, or another whole sentence
 * when it has none: a translated "The file" pasted into a sentence would not fit every language. */
#define SET_FILE_ERROR(error, code, name, with_name, without_name) \
  ((name) != NULL ? g_set_error ((error), KVB_ERROR, (code), (with_name), (name)) \
                  : g_set_error_literal ((error), KVB_ERROR, (code), (without_name)))

static void
set_empty (GError     **error,
           const char  *name)
{
  SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                  _("“%s” is empty: it holds no backup."),
                  _("The file is empty: it holds no backup."));
}

static void
set_not_a_backup (GError     **error,
                  const char  *name)
{
  SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                  _("“%s” is not a Key Vault backup. A backup file holds the backup bytes as az "
                    "and PowerShell write them, their base64url text, or JSON with a “value”."),
                  _("The file is not a Key Vault backup. A backup file holds the backup bytes as "
                    "az and PowerShell write them, their base64url text, or JSON with a “value”."));
}

static void
set_damaged (GError     **error,
             const char  *name)
{
  SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                  _("“%s” starts like a Key Vault backup but is damaged or cut short, so it cannot "
                    "be restored. Use another copy of the backup."),
                  _("The file starts like a Key Vault backup but is damaged or cut short, so it "
                    "cannot be restored. Use another copy of the backup."));
}

/**
 * kvb_backup_file_new_from_bytes:
 * @contents: the whole file
 * @display_name: (nullable): how to name the file in messages; also a clue to the kind
 *
 * Decides by content whether @contents is a raw blob, base64url text or JSON with "value", and
 * checks that the blob inside looks like a Key Vault backup.
 */
KvbBackupFile *
kvb_backup_file_new_from_bytes (GBytes      *contents,
                                const char  *display_name,
                                GError     **error)
{
  g_autoptr(KvbBackupFile) self = NULL;
  g_autoptr(GBytes) blob = NULL;
  const char *name = display_name;
  KvbBackupFormat format;
  KvbBlobHeader header = KVB_BLOB_HEADER_OTHER;
  const guint8 *data;
  gsize len = 0;
  gsize skip = 0;

  g_return_val_if_fail (contents != NULL, NULL);

  data = g_bytes_get_data (contents, &len);

  if (len == 0 || is_all_space (data, len))
    {
      set_empty (error, name);
      return NULL;
    }

  if (len > KVB_BACKUP_FILE_MAX_SIZE)
    {
      if (name != NULL)
        g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                     _("“%s” is too large to be a Key Vault backup (more than %d MB)."),
                     name, KVB_BACKUP_FILE_MAX_SIZE / (1024 * 1024));
      else
        g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
                     _("The file is too large to be a Key Vault backup (more than %d MB)."),
                     KVB_BACKUP_FILE_MAX_SIZE / (1024 * 1024));
      return NULL;
    }

  /* Raw bytes: a length byte, then "AzureKeyVault…".  Neither byte of the known headers can
   * start base64 or JSON, so the order of these checks does not matter. */
  if (len > 1 && data[0] >= strlen (HEADER_PREFIX) &&
      len >= 1 + strlen (HEADER_PREFIX) &&
      memcmp (data + 1, HEADER_PREFIX, strlen (HEADER_PREFIX)) == 0)
    {
      format = KVB_BACKUP_FORMAT_RAW;
      blob = g_bytes_ref (contents);
    }
  else
    {
      /* Text: skip a UTF-8 byte order mark and leading whitespace. */
      if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        skip = 3;
      while (skip < len && g_ascii_isspace (data[skip]))
        skip++;
      if (skip == len)
        {
          set_empty (error, name);
          return NULL;
        }

      if (data[skip] == '{')
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonNode *root, *value;

          format = KVB_BACKUP_FORMAT_JSON;
          if (!json_parser_load_from_data (parser, (const char *) data + skip, len - skip, NULL) ||
              !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
            {
              SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                              _("“%s” looks like JSON but cannot be read as JSON, so it is not a "
                                "Key Vault backup."),
                              _("The file looks like JSON but cannot be read as JSON, so it is "
                                "not a Key Vault backup."));
              return NULL;
            }

          value = json_object_get_member (json_node_get_object (root), "value");
          if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
              json_node_get_value_type (value) != G_TYPE_STRING)
            {
              SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                              _("“%s” is JSON without a “value” text, so it holds no Key Vault "
                                "backup."),
                              _("The file is JSON without a “value” text, so it holds no Key "
                                "Vault backup."));
              return NULL;
            }

          {
            const char *text = json_node_get_string (value);

            blob = kvb_base64url_decode (text, strlen (text));
          }
          if (blob == NULL)
            {
              SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                              _("The “value” in “%s” is not base64url text, so it holds no Key "
                                "Vault backup."),
                              _("The “value” in the file is not base64url text, so it holds no "
                                "Key Vault backup."));
              return NULL;
            }
        }
      else
        {
          format = KVB_BACKUP_FORMAT_BASE64URL;
          blob = kvb_base64url_decode ((const char *) data + skip, len - skip);
          if (blob == NULL)
            {
              set_not_a_backup (error, name);
              return NULL;
            }
        }
    }

  switch (check_blob (blob, &header))
    {
    case BLOB_OK:
      break;

    case BLOB_NOT_A_BLOB:
      if (format == KVB_BACKUP_FORMAT_RAW)
        set_damaged (error, name);
      else
        set_not_a_backup (error, name);
      return NULL;

    case BLOB_DAMAGED:
    default:
      set_damaged (error, name);
      return NULL;
    }

  self = g_object_new (KVB_TYPE_BACKUP_FILE, NULL);
  self->blob = g_steal_pointer (&blob);
  self->format = format;
  self->header = header;
  self->display_name = g_strdup (display_name);

  g_debug ("%s: %s blob of %" G_GSIZE_FORMAT " bytes, header %d", name != NULL ? name : "(unnamed)",
           format == KVB_BACKUP_FORMAT_RAW ? "raw" :
           format == KVB_BACKUP_FORMAT_JSON ? "JSON" : "base64url",
           g_bytes_get_size (self->blob), header);

  return g_steal_pointer (&self);
}

static void
set_too_large (GError     **error,
               const char  *display)
{
  g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE,
               _("“%s” is too large to be a Key Vault backup (more than %d MB)."),
               display, KVB_BACKUP_FILE_MAX_SIZE / (1024 * 1024));
}

/* A file that GIO reaches through a URI (no local path): the same rules through GIO. */
static GBytes *
read_remote (GFile         *file,
             const char    *display,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GByteArray) buffer = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize chunk = 64 * 1024;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (info == NULL)
    goto failed;

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("“%s” is a folder, not a backup file."), display);
      return NULL;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("“%s” is a special file, not a backup file."), display);
      return NULL;
    }

  /* Refuse a huge file before reading any of it. */
  if (g_file_info_get_size (info) > KVB_BACKUP_FILE_MAX_SIZE)
    {
      set_too_large (error, display);
      return NULL;
    }

  stream = g_file_read (file, cancellable, &local_error);
  if (stream == NULL)
    goto failed;

  /* Read with a cap, so that one that grows is refused too. */
  buffer = g_byte_array_new ();
  for (;;)
    {
      gsize old_len = buffer->len;
      gssize got;

      g_byte_array_set_size (buffer, old_len + chunk);
      got = g_input_stream_read (G_INPUT_STREAM (stream), buffer->data + old_len, chunk,
                                 cancellable, &local_error);
      if (got < 0)
        goto failed;
      g_byte_array_set_size (buffer, old_len + got);
      if (got == 0 || buffer->len > KVB_BACKUP_FILE_MAX_SIZE)
        break;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));

failed:
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE, _("“%s” cannot be read: %s"),
                 display, local_error->message);
  return NULL;
}

/**
 * kvb_backup_file_load:
 *
 * Reads @file (at most %KVB_BACKUP_FILE_MAX_SIZE bytes of it) and calls
 * kvb_backup_file_new_from_bytes().  Only a regular file is read: a folder, a named pipe, a
 * device or a socket is refused with KVB_ERROR_INVALID_ARGUMENT before anything is read, and
 * nothing here can block for ever.  Blocking: use kvb_backup_file_load_async() from a main loop.
 */
KvbBackupFile *
kvb_backup_file_load (GFile         *file,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *display = NULL;
  g_autofree char *path = NULL;
  goffset size = 0;
  int fd;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  display = g_file_get_parse_name (file);
  path = g_file_get_path (file);

  if (path == NULL)
    contents = read_remote (file, display, cancellable, error);
  else
    {
      fd = kvb_file_open_regular (path, KVB_FILE_PURPOSE_BACKUP, &size, error);
      if (fd < 0)
        return NULL;

      /* Refuse a huge file before reading any of it. */
      if (size > KVB_BACKUP_FILE_MAX_SIZE)
        {
          close (fd);
          set_too_large (error, display);
          return NULL;
        }

      /* Read with a cap, so that one that grows meanwhile is refused too. */
      contents = kvb_file_read_fd (fd, path, KVB_BACKUP_FILE_MAX_SIZE, cancellable, error);
      close (fd);
    }

  if (contents == NULL)
    return NULL;

  return kvb_backup_file_new_from_bytes (contents, display, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  KvbBackupFile *self = kvb_backup_file_load (G_FILE (task_data), cancellable, &error);

  if (self == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, self, g_object_unref);
}

void
kvb_backup_file_load_async (GFile               *file,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_file_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

KvbBackupFile *
kvb_backup_file_load_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GBytes *
kvb_backup_file_get_blob (KvbBackupFile *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_FILE (self), NULL);
  return self->blob;
}

KvbBackupFormat
kvb_backup_file_get_format (KvbBackupFile *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_FILE (self), KVB_BACKUP_FORMAT_RAW);
  return self->format;
}

KvbBlobHeader
kvb_backup_file_get_header (KvbBackupFile *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_FILE (self), KVB_BLOB_HEADER_OTHER);
  return self->header;
}

const char *
kvb_backup_file_get_display_name (KvbBackupFile *self)
{
  g_return_val_if_fail (KVB_IS_BACKUP_FILE (self), NULL);
  return self->display_name;
}

/* Kinds ----------------------------------------------------------------------------------- */

static gboolean
token_kind (const char    *token,
            KvbObjectKind *kind)
{
  if (*token == '\0')
    return FALSE;

  if (strstr (token, "cert") != NULL || g_str_equal (token, "pfx"))
    {
      *kind = KVB_OBJECT_KIND_CERTIFICATE;
      return TRUE;
    }

  /* "key", "keys", "mykey", "rsa-key"; not "keyvault" or "kv". */
  if (g_str_equal (token, "keys") || g_str_has_suffix (token, "key"))
    {
      *kind = KVB_OBJECT_KIND_KEY;
      return TRUE;
    }

  if (strstr (token, "secret") != NULL)
    {
      *kind = KVB_OBJECT_KIND_SECRET;
      return TRUE;
    }

  return FALSE;
}

/**
 * kvb_backup_file_kind_from_name:
 *
 * Our own names end in ".KIND.kvbackup".  Other tools leave the name to the user, who commonly
 * writes the kind into it ("mycert.blob", "signing-key.bak"); the word nearest the end wins, so
 * that "key-vault.db.certificate.kvbackup" is a certificate.
 */
gboolean
kvb_backup_file_kind_from_name (const char    *file_name,
                                KvbObjectKind *kind)
{
  g_autofree char *base = NULL;
  g_autofree char *lower = NULL;
  g_auto(GStrv) tokens = NULL;

  g_return_val_if_fail (kind != NULL, FALSE);

  if (file_name == NULL || *file_name == '\0')
    return FALSE;

  base = g_path_get_basename (file_name);
  lower = g_ascii_strdown (base, -1);

  for (char *p = lower; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      *p = ' ';

  tokens = g_strsplit (lower, " ", -1);
  for (gint i = (gint) g_strv_length (tokens) - 1; i >= 0; i--)
    {
      if (token_kind (tokens[i], kind))
        return TRUE;
    }

  return FALSE;
}

gboolean
kvb_backup_file_resolve_kind (KvbBackupFile        *self,
                              const KvbObjectKind  *given_kind,
                              KvbObjectKind        *kind,
                              GError              **error)
{
  const char *name;
  KvbObjectKind from_name;

  g_return_val_if_fail (KVB_IS_BACKUP_FILE (self), FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);

  name = self->display_name;

  switch (self->header)
    {
    case KVB_BLOB_HEADER_SECRET:
      if (given_kind != NULL && *given_kind != KVB_OBJECT_KIND_SECRET)
        {
          if (*given_kind == KVB_OBJECT_KIND_KEY)
            SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                            _("“%s” holds the backup of a secret, not of a key."),
                            _("The file holds the backup of a secret, not of a key."));
          else
            SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                            _("“%s” holds the backup of a secret, not of a certificate."),
                            _("The file holds the backup of a secret, not of a certificate."));
          return FALSE;
        }
      *kind = KVB_OBJECT_KIND_SECRET;
      return TRUE;

    case KVB_BLOB_HEADER_KEY:
      if (given_kind != NULL && *given_kind == KVB_OBJECT_KIND_SECRET)
        {
          SET_FILE_ERROR (error, KVB_ERROR_BAD_FILE, name,
                          _("“%s” holds the backup of a key or a certificate, not of a secret."),
                          _("The file holds the backup of a key or a certificate, not of a "
                            "secret."));
          return FALSE;
        }
      if (given_kind != NULL)
        {
          *kind = *given_kind;
          return TRUE;
        }
      if (kvb_backup_file_kind_from_name (self->display_name, &from_name) &&
          from_name != KVB_OBJECT_KIND_SECRET)
        {
          *kind = from_name;
          return TRUE;
        }
      break;

    case KVB_BLOB_HEADER_OTHER:
    default:
      if (given_kind != NULL)
        {
          *kind = *given_kind;
          return TRUE;
        }
      if (kvb_backup_file_kind_from_name (self->display_name, &from_name))
        {
          *kind = from_name;
          return TRUE;
        }
      break;
    }

  SET_FILE_ERROR (error, KVB_ERROR_AMBIGUOUS_KIND, name,
                  _("“%s” holds the backup of a key or of a certificate, and nothing tells which "
                    "(Key Vault writes the same header for both). Say which it is with "
                    "“--kind key” or “--kind certificate”, or name the file "
                    "“….key.kvbackup” or “….certificate.kvbackup”."),
                  _("The file holds the backup of a key or of a certificate, and nothing tells "
                    "which (Key Vault writes the same header for both). Say which it is with "
                    "“--kind key” or “--kind certificate”, or name the file "
                    "“….key.kvbackup” or “….certificate.kvbackup”."));
  return FALSE;
}

char *
kvb_backup_file_build_name (const char    *vault,
                            const char    *name,
                            KvbObjectKind  kind)
{
  g_autofree char *vault_name = NULL;
  const char *start;
  const char *end;

  g_return_val_if_fail (vault != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  /* "https://contoso-kv.vault.azure.net/" and "contoso-kv.vault.azure.net" → "contoso-kv". */
  start = strstr (vault, "://");
  start = start != NULL ? start + 3 : vault;
  end = start + strcspn (start, ".:/");
  vault_name = g_ascii_strdown (start, end - start);

  return g_strdup_printf ("%s.%s.%s%s", vault_name, name, kvb_object_kind_to_string (kind),
                          KVB_BACKUP_FILE_EXTENSION);
}

gboolean
kvb_backup_file_parse_name (const char     *file_name,
                            char          **vault,
                            char          **name,
                            KvbObjectKind  *kind)
{
  g_autofree char *base = NULL;
  g_auto(GStrv) parts = NULL;
  KvbObjectKind parsed_kind;

  if (file_name == NULL)
    return FALSE;

  base = g_path_get_basename (file_name);
  if (!g_str_has_suffix (base, KVB_BACKUP_FILE_EXTENSION))
    return FALSE;

  parts = g_strsplit (base, ".", -1);
  if (g_strv_length (parts) != 4 || *parts[0] == '\0' || *parts[1] == '\0' ||
      !kvb_object_kind_from_string (parts[2], &parsed_kind))
    return FALSE;

  /* Key Vault names are [0-9a-zA-Z-]: anything else is not one of our names. */
  for (const char *p = parts[1]; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;

  if (vault != NULL)
    *vault = g_strdup (parts[0]);
  if (name != NULL)
    *name = g_strdup (parts[1]);
  if (kind != NULL)
    *kind = parsed_kind;

  return TRUE;
}

/* Writing --------------------------------------------------------------------------------- */

static void
set_write_error (GError     **error,
                 const char  *path,
                 int          saved_errno)
{
  g_autofree char *display = g_filename_display_name (path);

  /* In GIO's domain, so that a caller can tell a full disk from a bad file name. */
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("The backup could not be written to “%s”: %s"), display, g_strerror (saved_errno));
}

/* The temporary names of the writes under way, for kvb_backup_file_discard_partial(). */
static GMutex partial_lock;
static GPtrArray *partial_paths;

typedef char PartialPath;

static PartialPath *
partial_path_add (const char *tmp_path)
{
  g_mutex_lock (&partial_lock);
  if (partial_paths == NULL)
    partial_paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (partial_paths, g_strdup (tmp_path));
  g_mutex_unlock (&partial_lock);

  return g_strdup (tmp_path);
}

static void
partial_path_release (PartialPath *tmp_path)
{
  g_mutex_lock (&partial_lock);
  for (guint i = 0; partial_paths != NULL && i < partial_paths->len; i++)
    if (g_str_equal (partial_paths->pdata[i], tmp_path))
      {
        g_ptr_array_remove_index_fast (partial_paths, i);
        break;
      }
  g_mutex_unlock (&partial_lock);
  g_free (tmp_path);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PartialPath, partial_path_release)

void
kvb_backup_file_discard_partial (void)
{
  g_mutex_lock (&partial_lock);
  for (guint i = 0; partial_paths != NULL && i < partial_paths->len; i++)
    g_unlink (partial_paths->pdata[i]);
  g_mutex_unlock (&partial_lock);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
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
  return TRUE;
}

static void
sync_folder (const char *folder)
{
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* Best effort: the file is complete either way; this makes the new name durable. */
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

static gboolean
write_blob (int      fd,
            gpointer user_data)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (user_data, &len);

  return write_all (fd, data, len);
}

gboolean
kvb_backup_file_write (GFile         *file,
                       GBytes        *blob,
                       gboolean       force,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (blob != NULL, FALSE);

  return kvb_backup_file_write_with (file, write_blob, blob, force, cancellable, error);
}

gboolean
kvb_backup_file_write_with (GFile                   *file,
                            KvbBackupFileWriteFunc   func,
                            gpointer                 user_data,
                            gboolean                 force,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *display = NULL;
  g_autoptr(PartialPath) partial = NULL;
  int saved_errno;
  int fd;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  path = g_file_get_path (file);
  display = g_file_get_parse_name (file);
  if (path == NULL)
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The backup can only be written to a local file, not to “%s”."), display);
      return FALSE;
    }

  if (!force && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                   _("“%s” already exists and was not replaced. Choose another name, or allow "
                     "replacing it (--force)."), display);
      return FALSE;
    }

  folder = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_path = g_strdup_printf ("%s/.%s.XXXXXX", folder, base);

  /* g_mkstemp_full creates the file with exactly this mode: nobody else may read a blob. */
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_write_error (error, path, errno);
      return FALSE;
    }
  partial = partial_path_add (tmp_path);

  if (!func (fd, user_data) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp_path);
      set_write_error (error, path, saved_errno);
      return FALSE;
    }

  if (close (fd) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp_path);
      set_write_error (error, path, saved_errno);
      return FALSE;
    }

  if (force)
    {
      if (g_rename (tmp_path, path) != 0)
        {
          saved_errno = errno;
          g_unlink (tmp_path);
          set_write_error (error, path, saved_errno);
          return FALSE;
        }
    }
  else
    {
      /* link() fails if the name appeared meanwhile, so a file that another program created
       * after the check above is not replaced either. */
      if (link (tmp_path, path) != 0)
        {
          saved_errno = errno;
          if (saved_errno == EEXIST)
            {
              g_unlink (tmp_path);
              g_set_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                           _("“%s” already exists and was not replaced. Choose another name, or "
                             "allow replacing it (--force)."), display);
              return FALSE;
            }

          /* Some file systems (FAT, some network shares) have no hard links. */
          if (g_file_test (path, G_FILE_TEST_EXISTS) || g_rename (tmp_path, path) != 0)
            {
              if (g_file_test (path, G_FILE_TEST_EXISTS))
                saved_errno = EEXIST;
              else
                saved_errno = errno;
              g_unlink (tmp_path);
              if (saved_errno == EEXIST)
                g_set_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                             _("“%s” already exists and was not replaced. Choose another name, or "
                               "allow replacing it (--force)."), display);
              else
                set_write_error (error, path, saved_errno);
              return FALSE;
            }
        }
      else
        g_unlink (tmp_path);
    }

  sync_folder (folder);

  return TRUE;
}

typedef struct
{
  GFile *file;
  GBytes *blob;
  gboolean force;
} WriteData;

gboolean
kvb_backup_file_check_answer (GBytes         *blob,
                              KvbObjectKind   kind,
                              const char     *vault,
                              const char     *name,
                              GError        **error)
{
  g_autoptr(KvbBackupFile) backup = NULL;

  g_return_val_if_fail (blob != NULL, FALSE);

  backup = kvb_backup_file_new_from_bytes (blob, name, NULL);
  if (backup != NULL &&
      (kvb_backup_file_get_header (backup) == KVB_BLOB_HEADER_SECRET) ==
      (kind == KVB_OBJECT_KIND_SECRET))
    return TRUE;

  g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED,
               _("Vault “%s” answered the backup of “%s” with a blob that is not a whole backup "
                 "of it: nothing was saved. Back it up again."), vault, name);
  return FALSE;
}

static void
write_data_free (WriteData *wd)
{
  g_clear_object (&wd->file);
  g_clear_pointer (&wd->blob, g_bytes_unref);
  g_free (wd);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteData *wd = task_data;
  GError *error = NULL;

  if (kvb_backup_file_write (wd->file, wd->blob, wd->force, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kvb_backup_file_write_async (GFile               *file,
                             GBytes              *blob,
                             gboolean             force,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteData *wd;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (blob != NULL);

  wd = g_new0 (WriteData, 1);
  wd->file = g_object_ref (file);
  wd->blob = g_bytes_ref (blob);
  wd->force = force;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_backup_file_write_async);
  g_task_set_task_data (task, wd, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_thread);
}

gboolean
kvb_backup_file_write_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
