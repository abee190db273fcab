/* test-backup-file.c: reading backup files by content, the kind, and the atomic 0600 write.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-backup-file"

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"

#define SECRET_HEADER "AzureKeyVaultSecretBackupV1.microsoft.com"
#define KEY_HEADER    "AzureKeyVaultKeyBackupV1.microsoft.com"

#define TEXT_BYTES(s) g_bytes_new_static (s, strlen (s))

static char *
b64url (const guint8 *data,
        gsize         len)
{
  char *text = g_base64_encode (data, len);

  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return text;
}

static char *
b64url_random (gsize len)
{
  g_autofree guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = g_random_int_range (0, 256);
  return b64url (data, len);
}

/* A blob shaped like the service's: length byte, header, compact JWE (A256CBC-HS512). */
static GBytes *
make_blob (const char *header,
           gsize       ciphertext_len)
{
  const char *prot_json = "{\"kid\":\"2aff6aa1-76bd-44a7-a734-6f5ad0b5a898\",\"alg\":\"RSA-OAEP-256\","
                          "\"enc\":\"A256CBC-HS512\"}";
  g_autofree char *prot = b64url ((const guint8 *) prot_json, strlen (prot_json));
  g_autofree char *ek = b64url_random (256);
  g_autofree char *iv = b64url_random (16);
  g_autofree char *ct = b64url_random (ciphertext_len);
  g_autofree char *tag = b64url_random (32);
  GString *s = g_string_new (NULL);

  g_string_append_c (s, (char) strlen (header));
  g_string_append (s, header);
  g_string_append_printf (s, "%s.%s.%s.%s.%s", prot, ek, iv, ct, tag);

  return g_string_free_to_bytes (s);
}

static char *
blob_to_b64url (GBytes *blob)
{
  return b64url (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
}

static KvbBackupFile *
read_text (const char  *text,
           const char  *name,
           GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return kvb_backup_file_new_from_bytes (bytes, name, error);
}

static void
assert_bad_file (GBytes     *bytes,
                 const char *name,
                 const char *expected_words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (bytes, name, &error);

  g_assert_null (file);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
  /* The message names the file, so a user with many files knows which one. */
  g_assert_nonnull (strstr (error->message, name));
  if (expected_words != NULL && strstr (error->message, expected_words) == NULL)
    g_error ("“%s” not in the message: %s", expected_words, error->message);
}

/* Formats ------------------------------------------------------------------------------------ */

static void
test_raw (void)
{
  g_autoptr(GBytes) blob = make_blob (SECRET_HEADER, 4096);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (blob, "s.bin", &error);

  g_assert_no_error (error);
  g_assert_cmpint (kvb_backup_file_get_format (file), ==, KVB_BACKUP_FORMAT_RAW);
  g_assert_cmpint (kvb_backup_file_get_header (file), ==, KVB_BLOB_HEADER_SECRET);
  g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (file), blob));
}

static void
test_base64url (void)
{
  g_autoptr(GBytes) blob = make_blob (KEY_HEADER, 1008);
  g_autofree char *text = blob_to_b64url (blob);
  gsize len = strlen (text);
  const char *variants[] = { "plain", "padded", "newlines", "crlf-and-spaces", "standard-alphabet",
                             "trailing-newline" };

  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(KvbBackupFile) file = NULL;

      for (gsize i = 0; i < len; i++)
        {
          char c = text[i];

          if (v == 2 && i > 0 && i % 76 == 0)
            g_string_append_c (s, '\n');
          if (v == 3 && i > 0 && i % 64 == 0)
            g_string_append (s, " \r\n\t");
          if (v == 4)
            c = c == '-' ? '+' : c == '_' ? '/' : c;
          g_string_append_c (s, c);
        }
      if (v == 1)
        while (s->len % 4 != 0)
          g_string_append_c (s, '=');
      if (v == 5)
        g_string_append (s, "\n");
      if (v == 3)
        g_string_prepend (s, "\n  ");

      file = read_text (s->str, "k.key.txt", &error);
      g_test_message ("variant %s", variants[v]);
      g_assert_no_error (error);
      g_assert_cmpint (kvb_backup_file_get_format (file), ==, KVB_BACKUP_FORMAT_BASE64URL);
      g_assert_cmpint (kvb_backup_file_get_header (file), ==, KVB_BLOB_HEADER_KEY);
      g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (file), blob));
    }
}

static void
test_json (void)
{
  g_autoptr(GBytes) blob = make_blob (SECRET_HEADER, 160);
  g_autofree char *text = blob_to_b64url (blob);
  g_autofree char *compact = g_strdup_printf ("{\"value\":\"%s\"}", text);
  /* Padded, with a byte order mark, pretty-printed, other members. */
  g_autofree char *pretty = g_strdup_printf ("\xEF\xBB\xBF\n{\n  \"id\": \"x\",\n  \"value\": \"%s%s\"\n}\n",
                                             text, "==" + (2 - (4 - strlen (text) % 4) % 4));
  const char *docs[] = { compact, pretty };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KvbBackupFile) file = read_text (docs[i], "s.json", &error);

      g_assert_no_error (error);
      g_assert_cmpint (kvb_backup_file_get_format (file), ==, KVB_BACKUP_FORMAT_JSON);
      g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (file), blob));
    }
}

/* Bad files ---------------------------------------------------------------------------------- */

static void
test_empty (void)
{
  g_autoptr(GBytes) empty = TEXT_BYTES ("");
  g_autoptr(GBytes) spaces = TEXT_BYTES (" \n\t\r\n");

  assert_bad_file (empty, "empty.kvbackup", "empty");
  assert_bad_file (spaces, "spaces.kvbackup", "empty");
}

/* A file without a name is "The file" in a whole sentence, not a name in quotes; and the kind
 * asked for is a word of the sentence, not spliced in (each kind has its own sentence). */
static void
test_unnamed_sentences (void)
{
  g_autoptr(GBytes) empty = TEXT_BYTES ("");
  g_autoptr(GBytes) secret = make_blob (SECRET_HEADER, 64);
  g_autoptr(KvbBackupFile) none = NULL;
  g_autoptr(KvbBackupFile) unnamed = NULL;
  g_autoptr(KvbBackupFile) named = NULL;
  g_autoptr(GError) error = NULL;
  KvbObjectKind key = KVB_OBJECT_KIND_KEY, cert = KVB_OBJECT_KIND_CERTIFICATE, kind;

  none = kvb_backup_file_new_from_bytes (empty, NULL, &error);
  g_assert_null (none);
  g_assert_cmpstr (error->message, ==, "The file is empty: it holds no backup.");
  g_clear_error (&error);

  unnamed = kvb_backup_file_new_from_bytes (secret, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (kvb_backup_file_resolve_kind (unnamed, &cert, &kind, &error));
  g_assert_cmpstr (error->message, ==, "The file holds the backup of a secret, not of a certificate.");
  g_clear_error (&error);

  named = kvb_backup_file_new_from_bytes (secret, "s.kvbackup", &error);
  g_assert_no_error (error);
  g_assert_false (kvb_backup_file_resolve_kind (named, &key, &kind, &error));
  g_assert_cmpstr (error->message, ==, "“s.kvbackup” holds the backup of a secret, not of a key.");
}

static void
test_too_large_bytes (void)
{
  gsize len = KVB_BACKUP_FILE_MAX_SIZE + 1;
  guint8 *data = g_malloc (len);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) blob = make_blob (SECRET_HEADER, 64);

  /* A valid blob at the start: the size alone decides. */
  memset (data, ' ', len);
  memcpy (data, g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
  bytes = g_bytes_new_take (data, len);
  assert_bad_file (bytes, "huge.kvbackup", "too large");
}

static void
test_too_large_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "100mb.kvbackup", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) backup = NULL;
  gint64 start;
  int fd;

  /* A sparse 100 MB file: refused from its size, without reading it. */
  fd = open (path, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 100 * 1024 * 1024), ==, 0);
  close (fd);

  start = g_get_monotonic_time ();
  backup = kvb_backup_file_load (file, NULL, &error);
  g_assert_null (backup);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_garbage (void)
{
  guint8 random_bytes[4096];
  g_autoptr(GBytes) random = NULL;
  g_autofree char *b64_garbage = NULL;
  g_autoptr(GBytes) b64 = NULL;
  g_autofree char *json_garbage = NULL;
  g_autoptr(GBytes) json_bad_value = NULL;
  g_autoptr(GBytes) json_no_value = TEXT_BYTES ("{\"id\": \"x\", \"values\": []}");
  g_autoptr(GBytes) json_number = TEXT_BYTES ("{\"value\": 42}");
  g_autoptr(GBytes) json_broken = TEXT_BYTES ("{\"value\": \"KUF6");
  g_autoptr(GBytes) text = TEXT_BYTES ("hello, world\n");
  g_autoptr(GBytes) pem = TEXT_BYTES ("-----BEGIN CERTIFICATE-----\nMIIB\n");

  for (guint i = 0; i < sizeof random_bytes; i++)
    random_bytes[i] = g_random_int_range (0, 256);
  random_bytes[0] = 0x80; /* never a plausible length byte for "AzureKeyVault" + text */
  random = g_bytes_new (random_bytes, sizeof random_bytes);
  assert_bad_file (random, "random.kvbackup", "not a Key Vault backup");

  b64_garbage = b64url (random_bytes, sizeof random_bytes);
  b64 = g_bytes_new (b64_garbage, strlen (b64_garbage));
  assert_bad_file (b64, "garbage.b64", "not a Key Vault backup");

  json_garbage = g_strdup_printf ("{\"value\": \"%s\"}", b64_garbage);
  json_bad_value = g_bytes_new (json_garbage, strlen (json_garbage));
  assert_bad_file (json_bad_value, "garbage.json", "not a Key Vault backup");

  assert_bad_file (json_no_value, "novalue.json", "“value”");
  assert_bad_file (json_number, "number.json", "“value”");
  assert_bad_file (json_broken, "broken.json", "JSON");
  assert_bad_file (text, "hello.txt", "not a Key Vault backup");
  assert_bad_file (pem, "cert.pem", "not a Key Vault backup");
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) blob = make_blob (SECRET_HEADER, 512);
  gsize len = g_bytes_get_size (blob);
  const guint8 *data = g_bytes_get_data (blob, NULL);
  g_autofree char *text = blob_to_b64url (blob);

  /* Every cut of the raw bytes is refused. */
  for (gsize cut = 1; cut < len; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (part, "cut.kvbackup", &error);

      if (file != NULL)
        g_error ("a blob cut to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes was accepted",
                 cut, len);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
    }

  /* And of the base64url text (an interrupted copy and paste). */
  for (gsize cut = 1; cut < strlen (text); cut += 7)
    {
      g_autofree char *part = g_strndup (text, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(KvbBackupFile) file = read_text (part, "cut.txt", &error);

      g_assert_null (file);
      g_assert_error (error, KVB_ERROR, KVB_ERROR_BAD_FILE);
    }

  /* A cut in the middle of the raw blob says that the file is damaged, not that it is foreign. */
  {
    g_autoptr(GBytes) part = g_bytes_new (data, len / 2);

    assert_bad_file (part, "half.kvbackup", "damaged or cut short");
  }
}

/* Kind ------------------------------------------------------------------------------------- */

static void
assert_kind (GBytes              *blob,
             const char          *name,
             const KvbObjectKind *given,
             KvbObjectKind        expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (blob, name, &error);
  KvbObjectKind kind = 99;

  g_assert_no_error (error);
  g_assert_true (kvb_backup_file_resolve_kind (file, given, &kind, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, expected);
}

static void
assert_kind_error (GBytes              *blob,
                   const char          *name,
                   const KvbObjectKind *given,
                   int                  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (blob, name, &error);
  KvbObjectKind kind;

  g_assert_no_error (error);
  g_assert_false (kvb_backup_file_resolve_kind (file, given, &kind, &error));
  g_assert_error (error, KVB_ERROR, code);
  if (code == KVB_ERROR_AMBIGUOUS_KIND)
    {
      /* The message tells how to say which. */
      g_assert_nonnull (strstr (error->message, "--kind key"));
      g_assert_nonnull (strstr (error->message, "--kind certificate"));
    }
}

static void
test_kind (void)
{
  g_autoptr(GBytes) secret = make_blob (SECRET_HEADER, 64);
  g_autoptr(GBytes) key = make_blob (KEY_HEADER, 64);
  KvbObjectKind k_secret = KVB_OBJECT_KIND_SECRET;
  KvbObjectKind k_key = KVB_OBJECT_KIND_KEY;
  KvbObjectKind k_cert = KVB_OBJECT_KIND_CERTIFICATE;

  /* The secret header decides, whatever the name says. */
  assert_kind (secret, "anything", NULL, KVB_OBJECT_KIND_SECRET);
  assert_kind (secret, "contoso.x.certificate.kvbackup", NULL, KVB_OBJECT_KIND_SECRET);
  assert_kind (secret, NULL, &k_secret, KVB_OBJECT_KIND_SECRET);
  assert_kind_error (secret, "s.kvbackup", &k_key, KVB_ERROR_BAD_FILE);
  assert_kind_error (secret, "s.kvbackup", &k_cert, KVB_ERROR_BAD_FILE);

  /* Key header: key or certificate, from the name or the given kind. */
  assert_kind (key, "contoso-kv.signing.key.kvbackup", NULL, KVB_OBJECT_KIND_KEY);
  assert_kind (key, "contoso-kv.web.certificate.kvbackup", NULL, KVB_OBJECT_KIND_CERTIFICATE);
  assert_kind (key, "/home/u/backups/my-key-vault.db.certificate.kvbackup", NULL,
               KVB_OBJECT_KIND_CERTIFICATE);
  assert_kind (key, "mycert.blob", NULL, KVB_OBJECT_KIND_CERTIFICATE);
  assert_kind (key, "signing-key.bak", NULL, KVB_OBJECT_KIND_KEY);
  assert_kind (key, "whatever.certificate.kvbackup", &k_key, KVB_OBJECT_KIND_KEY);
  assert_kind (key, "mykeyvault-thing-1527029447.01191", &k_cert, KVB_OBJECT_KIND_CERTIFICATE);
  assert_kind_error (key, "k.kvbackup", &k_secret, KVB_ERROR_BAD_FILE);

  /* PowerShell's default name and a plain name give no clue. */
  assert_kind_error (key, "mykeyvault-thing-1527029447.01191", NULL, KVB_ERROR_AMBIGUOUS_KIND);
  assert_kind_error (key, "backup.blob", NULL, KVB_ERROR_AMBIGUOUS_KIND);
  assert_kind_error (key, NULL, NULL, KVB_ERROR_AMBIGUOUS_KIND);
  /* A name that says "secret" cannot turn a key header into a secret. */
  assert_kind_error (key, "db.secret.kvbackup", NULL, KVB_ERROR_AMBIGUOUS_KIND);
}

static void
test_kind_other_header (void)
{
  /* A header we do not know (a future certificate header, say): the kind must come from
   * elsewhere, and the file is still read. */
  g_autoptr(GBytes) other = make_blob ("AzureKeyVaultCertificateBackupV1.microsoft.com", 64);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) file = kvb_backup_file_new_from_bytes (other, "x.bin", &error);
  KvbObjectKind k_key = KVB_OBJECT_KIND_KEY;

  g_assert_no_error (error);
  g_assert_cmpint (kvb_backup_file_get_header (file), ==, KVB_BLOB_HEADER_OTHER);
  assert_kind (other, "web.certificate.kvbackup", NULL, KVB_OBJECT_KIND_CERTIFICATE);
  assert_kind (other, "x.bin", &k_key, KVB_OBJECT_KIND_KEY);
  assert_kind_error (other, "x.bin", NULL, KVB_ERROR_AMBIGUOUS_KIND);
}

static void
test_folder (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) backup = kvb_backup_file_load (file, NULL, &error);

  /* A path that names no backup file is a wrong argument, not a damaged backup. */
  g_assert_null (backup);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "folder"));
  g_clear_error (&error);

  /* And a file that is not there. */
  {
    g_autofree char *missing = g_build_filename (dir, "missing.kvbackup", NULL);
    g_autoptr(GFile) missing_file = g_file_new_for_path (missing);
    g_autoptr(KvbBackupFile) none = kvb_backup_file_load (missing_file, NULL, &error);

    g_assert_null (none);
    g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "missing.kvbackup"));
    g_assert_nonnull (strstr (error->message, "does not exist"));
  }

  g_rmdir (dir);
}

/* Loads @path, which must be refused at once with @words and the advice on what to choose. */
static void
assert_refused_promptly (const char *path,
                         const char *words)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) backup = NULL;
  gint64 start = g_get_monotonic_time ();

  backup = kvb_backup_file_load (file, NULL, &error);
  g_test_message ("%s: %s", path, error != NULL ? error->message : "(loaded)");
  g_assert_null (backup);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, words));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "Download Backup"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static void
test_special_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "pipe.kvbackup", NULL);
  g_autofree char *link = g_build_filename (dir, "zero.kvbackup", NULL);
  g_autofree char *sock_path = g_build_filename (dir, "socket.kvbackup", NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock;

  /* A named pipe with no writer: opening it for reading the ordinary way waits for ever. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_refused_promptly (fifo, "is a named pipe, not a backup file");

  /* Endless bytes, also behind a symlink. */
  assert_refused_promptly ("/dev/zero", "is a device, not a backup file");
  g_assert_cmpint (symlink ("/dev/zero", link), ==, 0);
  assert_refused_promptly (link, "is a device, not a backup file");

  sock = socket (AF_UNIX, SOCK_STREAM, 0);
  g_assert_cmpint (sock, >=, 0);
  g_strlcpy (addr.sun_path, sock_path, sizeof addr.sun_path);
  g_assert_cmpint (bind (sock, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  assert_refused_promptly (sock_path, "is a socket, not a backup file");
  close (sock);

  /* The asynchronous call, as the window and kvbackup make it, returns too. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (fifo);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvbBackupFile) backup = NULL;
    gint64 start = g_get_monotonic_time ();

    kvb_backup_file_load_async (file, NULL, load_done, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    backup = kvb_backup_file_load_finish (result, &error);
    g_assert_null (backup);
    g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  }

  g_unlink (fifo);
  g_unlink (link);
  g_unlink (sock_path);
  g_rmdir (dir);
}

#define LOCKED_ENV "KVB_TEST_LOCKED_BACKUP"

static void
load_locked (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) backup = kvb_backup_file_load (file, NULL, &error);

  g_assert_null (backup);
  g_assert_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "permission denied"));
  g_print ("%s\n", error->message);
}

static void
test_unreadable (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  /* Root reads any file whatever its mode: the refusal is seen by a process that gives up root
   * for the user "nobody", as a person without the right to read the file would see it. */
  if (g_test_subprocess ())
    {
      if (geteuid () == 0)
        {
          g_assert_cmpint (setgid (65534), ==, 0);
          g_assert_cmpint (setuid (65534), ==, 0);
        }
      load_locked (g_getenv (LOCKED_ENV));
      return;
    }

  dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  path = g_build_filename (dir, "locked.kvbackup", NULL);
  g_assert_true (g_file_set_contents (path, "not read", -1, NULL));
  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

  if (geteuid () != 0)
    load_locked (path);
  else
    {
      g_setenv (LOCKED_ENV, path, TRUE);
      g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_unsetenv (LOCKED_ENV);
      g_test_trap_assert_passed ();
      g_test_trap_assert_stdout ("*locked.kvbackup*permission denied*");
    }

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_kind_from_name (void)
{
  struct { const char *name; int kind; } cases[] = {
    { "contoso-kv.db-password.secret.kvbackup", KVB_OBJECT_KIND_SECRET },
    { "contoso-kv.signing.key.kvbackup", KVB_OBJECT_KIND_KEY },
    { "contoso-kv.web.certificate.kvbackup", KVB_OBJECT_KIND_CERTIFICATE },
    { "web-cert.bak", KVB_OBJECT_KIND_CERTIFICATE },
    { "MyCert.BLOB", KVB_OBJECT_KIND_CERTIFICATE },
    { "keys/rsa.blob", -1 },
    { "rsa_key.backup", KVB_OBJECT_KIND_KEY },
    { "db-secret.txt", KVB_OBJECT_KIND_SECRET },
    { "kv-thing-1527029447.01191", -1 },
    { "keyvault-backup.bin", -1 },
    { "", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      KvbObjectKind kind;
      gboolean found = kvb_backup_file_kind_from_name (cases[i].name, &kind);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpint (found ? (int) kind : -1, ==, cases[i].kind);
    }
}

static void
test_build_name (void)
{
  g_autofree char *a = kvb_backup_file_build_name ("contoso-kv", "db-password", KVB_OBJECT_KIND_SECRET);
  g_autofree char *b = kvb_backup_file_build_name ("https://Contoso-KV.vault.azure.net/", "web",
                                                   KVB_OBJECT_KIND_CERTIFICATE);
  g_autofree char *c = kvb_backup_file_build_name ("https://sample.vault.localhost:8443/", "k1",
                                                   KVB_OBJECT_KIND_KEY);

  g_assert_cmpstr (a, ==, "contoso-kv.db-password.secret.kvbackup");
  g_assert_cmpstr (b, ==, "contoso-kv.web.certificate.kvbackup");
  g_assert_cmpstr (c, ==, "sample.k1.key.kvbackup");
}

/* Our names read back; anything else (az's, PowerShell's, a renamed copy) gives no name. */
static void
test_parse_name (void)
{
  g_autofree char *built = kvb_backup_file_build_name ("contoso-kv", "web-tls",
                                                       KVB_OBJECT_KIND_CERTIFICATE);
  g_autofree char *vault = NULL;
  g_autofree char *name = NULL;
  KvbObjectKind kind = KVB_OBJECT_KIND_SECRET;
  const char * const not_ours[] = {
    "db-password.secret", "mykeyvault-mysecret-1527029447.01191", "backup.blob",
    "contoso-kv.db-password.secret.kvbackup.bak", "contoso-kv.db password.secret.kvbackup",
    "contoso-kv.db.password.secret.kvbackup", "contoso-kv.db-password.blob.kvbackup",
    "contoso-kv..secret.kvbackup", "",
  };

  g_assert_true (kvb_backup_file_parse_name (built, &vault, &name, &kind));
  g_assert_cmpstr (vault, ==, "contoso-kv");
  g_assert_cmpstr (name, ==, "web-tls");
  g_assert_cmpint (kind, ==, KVB_OBJECT_KIND_CERTIFICATE);
  g_clear_pointer (&name, g_free);

  /* A path: the last part counts. */
  g_assert_true (kvb_backup_file_parse_name ("/backups/a.b.c/contoso-kv.k1.key.kvbackup", NULL,
                                             &name, &kind));
  g_assert_cmpstr (name, ==, "k1");
  g_assert_cmpint (kind, ==, KVB_OBJECT_KIND_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (not_ours); i++)
    g_assert_false (kvb_backup_file_parse_name (not_ours[i], NULL, NULL, NULL));
  g_assert_false (kvb_backup_file_parse_name (NULL, NULL, NULL, NULL));
}

/* Writing ---------------------------------------------------------------------------------- */

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static GBytes *
read_file (const char *path)
{
  char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

static void
test_write (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "contoso-kv.db.secret.kvbackup", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) blob = make_blob (SECRET_HEADER, 2048);
  g_autoptr(GBytes) other = make_blob (SECRET_HEADER, 4096);
  g_autoptr(GBytes) on_disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) back = NULL;
  struct stat st;
  mode_t old_umask;

  /* Even with a permissive umask the file is the owner's only. */
  old_umask = umask (0);
  g_assert_true (kvb_backup_file_write (file, blob, FALSE, NULL, &error));
  umask (old_umask);
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  on_disk = read_file (path);
  g_assert_true (g_bytes_equal (on_disk, blob));
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary file left */

  /* What we wrote reads back as raw bytes. */
  back = kvb_backup_file_load (file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kvb_backup_file_get_format (back), ==, KVB_BACKUP_FORMAT_RAW);
  g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (back), blob));

  /* No overwrite without being told to: the old file stays as it was. */
  g_assert_false (kvb_backup_file_write (file, other, FALSE, NULL, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS);
  g_assert_nonnull (strstr (error->message, "contoso-kv.db.secret.kvbackup"));
  g_clear_error (&error);
  g_clear_pointer (&on_disk, g_bytes_unref);
  on_disk = read_file (path);
  g_assert_true (g_bytes_equal (on_disk, blob));
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* --force replaces it, and a file that was 0644 becomes 0600. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_true (kvb_backup_file_write (file, other, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&on_disk, g_bytes_unref);
  on_disk = read_file (path);
  g_assert_true (g_bytes_equal (on_disk, other));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_write_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "x.kvbackup", NULL);
  g_autoptr(GFile) missing_file = g_file_new_for_path (missing);
  g_autoptr(GFile) dir_file = g_file_new_for_path (dir);
  g_autoptr(GBytes) blob = make_blob (KEY_HEADER, 32);
  g_autoptr(GError) error = NULL;

  g_assert_false (kvb_backup_file_write (missing_file, blob, FALSE, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "x.kvbackup"));
  g_clear_error (&error);

  /* A folder is never replaced, with or without force. */
  g_assert_false (kvb_backup_file_write (dir_file, blob, FALSE, NULL, &error));
  g_assert_error (error, KVB_ERROR, KVB_ERROR_FILE_EXISTS);
  g_clear_error (&error);
  g_assert_false (kvb_backup_file_write (dir_file, blob, TRUE, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_entries (dir), ==, 0);

  g_rmdir (dir);
}

static void
async_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kvb-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.k.certificate.kvbackup", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) blob = make_blob (KEY_HEADER, 30000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbBackupFile) back = NULL;
  KvbObjectKind kind;

  kvb_backup_file_write_async (file, blob, FALSE, NULL, async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (kvb_backup_file_write_finish (result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  kvb_backup_file_load_async (file, NULL, async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  back = kvb_backup_file_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (back), blob));
  g_assert_true (kvb_backup_file_resolve_kind (back, NULL, &kind, &error));
  g_assert_cmpint (kind, ==, KVB_OBJECT_KIND_CERTIFICATE);

  g_unlink (path);
  g_rmdir (dir);
}

/* The real service's blobs, from the recordings ------------------------------------------------ */

static void
test_recorded_blobs (void)
{
  const char *recordings = g_getenv ("KVB_RECORDINGS");
  g_autoptr(GDir) d = NULL;
  g_autoptr(GRegex) regex = NULL;
  const char *entry;
  guint n_secret = 0, n_key = 0;

  /* The recordings ship with the project: their absence is a failure. */
  g_assert_nonnull (recordings);
  d = g_dir_open (recordings, 0, NULL);
  g_assert_nonnull (d);

  /* The blob header in base64url: secrets "KUF6dXJl…", keys and certificates "JkF6dXJl…". */
  regex = g_regex_new ("(KUF6dXJl|JkF6dXJl)[A-Za-z0-9_-]{100,}", 0, 0, NULL);

  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (recordings, entry, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GMatchInfo) match = NULL;

      if (!g_str_has_suffix (entry, ".json") ||
          !g_file_get_contents (path, &contents, NULL, NULL))
        continue;

      g_regex_match (regex, contents, 0, &match);
      while (g_match_info_matches (match))
        {
          g_autofree char *value = g_match_info_fetch (match, 0);
          g_autofree char *json = g_strdup_printf ("{\"value\":\"%s\"}", value);
          g_autoptr(GError) error = NULL;
          g_autoptr(KvbBackupFile) from_text = read_text (value, entry, &error);
          g_autoptr(KvbBackupFile) from_json = NULL;
          g_autoptr(KvbBackupFile) from_raw = NULL;
          gboolean is_secret = g_str_has_prefix (value, "KUF6");

          g_test_message ("%s: %" G_GSIZE_FORMAT " characters", entry, strlen (value));
          g_assert_no_error (error);
          g_assert_cmpint (kvb_backup_file_get_header (from_text), ==,
                           is_secret ? KVB_BLOB_HEADER_SECRET : KVB_BLOB_HEADER_KEY);

          from_json = read_text (json, entry, &error);
          g_assert_no_error (error);
          g_assert_true (g_bytes_equal (kvb_backup_file_get_blob (from_json),
                                        kvb_backup_file_get_blob (from_text)));

          from_raw = kvb_backup_file_new_from_bytes (kvb_backup_file_get_blob (from_text), entry,
                                                     &error);
          g_assert_no_error (error);
          g_assert_cmpint (kvb_backup_file_get_format (from_raw), ==, KVB_BACKUP_FORMAT_RAW);
          /* Decoded length: 3 bytes per 4 characters. */
          g_assert_cmpuint (g_bytes_get_size (kvb_backup_file_get_blob (from_raw)), ==,
                            strlen (value) * 3 / 4);

          if (is_secret)
            n_secret++;
          else
            n_key++;
          g_match_info_next (match, NULL);
        }
    }

  /* keyvault-api.md §4: secret blobs in the C++, Python and spec samples; key and certificate
   * blobs in the C++ and Java samples. */
  g_assert_cmpuint (n_secret, >=, 3);
  g_assert_cmpuint (n_key, >=, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backup-file/format/raw", test_raw);
  g_test_add_func ("/backup-file/format/base64url", test_base64url);
  g_test_add_func ("/backup-file/format/json", test_json);
  g_test_add_func ("/backup-file/bad/empty", test_empty);
  g_test_add_func ("/backup-file/bad/unnamed-sentences", test_unnamed_sentences);
  g_test_add_func ("/backup-file/bad/too-large-bytes", test_too_large_bytes);
  g_test_add_func ("/backup-file/bad/too-large-file", test_too_large_file);
  g_test_add_func ("/backup-file/bad/garbage", test_garbage);
  g_test_add_func ("/backup-file/bad/truncated", test_truncated);
  g_test_add_func ("/backup-file/kind/resolve", test_kind);
  g_test_add_func ("/backup-file/kind/from-name", test_kind_from_name);
  g_test_add_func ("/backup-file/kind/other-header", test_kind_other_header);
  g_test_add_func ("/backup-file/bad/folder-or-missing", test_folder);
  g_test_add_func ("/backup-file/bad/special-files", test_special_files);
  g_test_add_func ("/backup-file/bad/unreadable", test_unreadable);
  g_test_add_func ("/backup-file/name", test_build_name);
  g_test_add_func ("/backup-file/parse-name", test_parse_name);
  g_test_add_func ("/backup-file/write/atomic-0600-no-overwrite", test_write);
  g_test_add_func ("/backup-file/write/errors", test_write_errors);
  g_test_add_func ("/backup-file/async", test_async);
  g_test_add_func ("/backup-file/recorded-blobs", test_recorded_blobs);

  return g_test_run ();
}
