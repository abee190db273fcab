/* kvb-file-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kvb-error.h"
#include "kvb-file-util.h"

typedef enum
{
  NODE_FOLDER,
  NODE_PIPE,
  NODE_DEVICE,
  NODE_SOCKET,
  NODE_OTHER,
} NodeType;

static NodeType
node_type (mode_t mode)
{
  if (S_ISDIR (mode))
    return NODE_FOLDER;
  if (S_ISFIFO (mode))
    return NODE_PIPE;
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return NODE_DEVICE;
  if (S_ISSOCK (mode))
    return NODE_SOCKET;
  return NODE_OTHER;
}

/* What to choose instead, or NULL when the caller only looks for a hint. */
static const char *
advice (KvbFilePurpose purpose)
{
  switch (purpose)
    {
    case KVB_FILE_PURPOSE_BACKUP:
      return _("Choose the file that Download Backup or “az keyvault … backup” wrote.");
    case KVB_FILE_PURPOSE_CLOUD_PROFILE:
      return _("Name a cloud profile: a JSON file with the cloud’s endpoints.");
    case KVB_FILE_PURPOSE_CERTIFICATE:
      return _("Name the PEM file that holds the certificate and its private key.");
    case KVB_FILE_PURPOSE_CA:
      return _("Name a PEM file of certificate authorities.");
    case KVB_FILE_PURPOSE_OTHER:
    default:
      return NULL;
    }
}

/* Whole sentences for each case: a translated noun pasted into a sentence would not fit every
 * language. */
static char *
describe_node (NodeType        type,
               KvbFilePurpose  purpose,
               const char     *display)
{
  gboolean backup = purpose == KVB_FILE_PURPOSE_BACKUP;

  switch (type)
    {
    case NODE_FOLDER:
      return g_strdup_printf (backup ? _("“%s” is a folder, not a backup file.")
                                     : _("“%s” is a folder, not a file."), display);
    case NODE_PIPE:
      return g_strdup_printf (backup ? _("“%s” is a named pipe, not a backup file.")
                                     : _("“%s” is a named pipe, not a file."), display);
    case NODE_DEVICE:
      return g_strdup_printf (backup ? _("“%s” is a device, not a backup file.")
                                     : _("“%s” is a device, not a file."), display);
    case NODE_SOCKET:
      return g_strdup_printf (backup ? _("“%s” is a socket, not a backup file.")
                                     : _("“%s” is a socket, not a file."), display);
    case NODE_OTHER:
    default:
      return g_strdup_printf (backup ? _("“%s” is a special file, not a backup file.")
                                     : _("“%s” is a special file, not a regular file."),
                              display);
    }
}

static void
set_error (GError         **error,
           KvbFilePurpose   purpose,
           char            *what_happened)
{
  g_autofree char *first = what_happened;
  const char *what_to_do = advice (purpose);

  if (what_to_do == NULL)
    g_set_error_literal (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT, first);
  else
    /* Translators: two sentences: what is wrong with a file, then what to choose instead */
    g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT, C_("file error", "%s %s"), first,
                 what_to_do);
}

int
kvb_file_open_regular (const char      *path,
                       KvbFilePurpose   purpose,
                       goffset         *size,
                       GError         **error)
{
  g_autofree char *display = NULL;
  struct stat st;
  int saved_errno;
  int fd;

  g_return_val_if_fail (path != NULL, -1);

  /* O_NONBLOCK: opening a named pipe waits for a writer, and some devices wait too.  The type
   * is then taken from the descriptor itself, so nothing can be swapped in between. */
  do
    fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);

  display = g_filename_display_name (path);

  if (fd < 0)
    {
      saved_errno = errno;

      switch (saved_errno)
        {
        case ENOENT:
        case ENOTDIR:
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("“%s” does not exist. Check the name and the folder."), display);
          return -1;

        case EACCES:
        case EPERM:
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("“%s” cannot be read: permission denied. Change its permissions, or "
                         "run as a user who may read it."), display);
          return -1;

        case ENXIO:
        case EOPNOTSUPP:
          /* A socket cannot be opened at all; say what it is. */
          if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
            {
              set_error (error, purpose, describe_node (node_type (st.st_mode), purpose, display));
              return -1;
            }
          G_GNUC_FALLTHROUGH;

        default:
          g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                       _("“%s” cannot be read: %s"), display, g_strerror (saved_errno));
          return -1;
        }
    }

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("“%s” cannot be read: %s"), display, g_strerror (saved_errno));
      return -1;
    }

  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      set_error (error, purpose, describe_node (node_type (st.st_mode), purpose, display));
      return -1;
    }

  /* A regular file never blocks; blocking reads keep network file systems simple. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);

  if (size != NULL)
    *size = st.st_size;

  return fd;
}

GBytes *
kvb_file_read_fd (int            fd,
                  const char    *path,
                  gsize          max_size,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  const gsize chunk = 64 * 1024;

  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  for (;;)
    {
      gsize old_len = buffer->len;
      gssize got;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      g_byte_array_set_size (buffer, old_len + chunk);
      do
        got = read (fd, buffer->data + old_len, chunk);
      while (got < 0 && errno == EINTR);

      if (got < 0)
        {
          int saved_errno = errno;
          g_autofree char *display = g_filename_display_name (path);

          g_set_error (error, KVB_ERROR, KVB_ERROR_FAILED, _("“%s” cannot be read: %s"),
                       display, g_strerror (saved_errno));
          return NULL;
        }

      g_byte_array_set_size (buffer, old_len + got);
      if (got == 0 || (max_size > 0 && buffer->len > max_size))
        break;
    }

  /* A copy of the exact size: the buffer grew by whole chunks, and a small file kept in memory
   * (a restore of many files keeps them all) would otherwise hold a whole chunk. */
  return g_bytes_new (buffer->data, buffer->len);
}

GBytes *
kvb_file_load_regular (const char      *path,
                       KvbFilePurpose   purpose,
                       GCancellable    *cancellable,
                       GError         **error)
{
  GBytes *contents;
  int fd;

  fd = kvb_file_open_regular (path, purpose, NULL, error);
  if (fd < 0)
    return NULL;

  contents = kvb_file_read_fd (fd, path, 0, cancellable, error);
  close (fd);

  return contents;
}
