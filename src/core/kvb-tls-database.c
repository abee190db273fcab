/* kvb-tls-database.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-tls-database"

#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "kvb-error.h"
#include "kvb-file-util.h"
#include "kvb-tls-database.h"

struct _KvbTlsDatabase
{
  GTlsDatabase parent_instance;

  GTlsDatabase *system;
  GPtrArray *extra;     /* GTlsFileDatabase */
  GPtrArray *paths;     /* the files already added */
  GMutex lock;          /* verification runs in GIO's worker threads too */
};

G_DEFINE_FINAL_TYPE (KvbTlsDatabase, kvb_tls_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
kvb_tls_database_verify_chain (GTlsDatabase             *database,
                               GTlsCertificate          *chain,
                               const char               *purpose,
                               GSocketConnectable       *identity,
                               GTlsInteraction          *interaction,
                               GTlsDatabaseVerifyFlags   flags,
                               GCancellable             *cancellable,
                               GError                  **error)
{
  KvbTlsDatabase *self = KVB_TLS_DATABASE (database);
  g_autoptr(GPtrArray) extra = NULL;
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_UNKNOWN_CA;

  if (self->system != NULL)
    {
      result = g_tls_database_verify_chain (self->system, chain, purpose, identity, interaction,
                                            flags, cancellable, error);
      if (result == 0 || (error != NULL && *error != NULL))
        return result;
    }

  g_mutex_lock (&self->lock);
  extra = g_ptr_array_copy (self->extra, (GCopyFunc)g_object_ref, NULL);
  g_ptr_array_set_free_func (extra, g_object_unref);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < extra->len; i++)
    {
      GTlsCertificateFlags r;

      r = g_tls_database_verify_chain (extra->pdata[i], chain, purpose, identity, interaction,
                                       flags, cancellable, error);
      if (error != NULL && *error != NULL)
        return r;
      if (r == 0)
        return 0;
      /* Report the most telling failure: a known CA with a wrong host name beats an unknown CA. */
      if (!(r & G_TLS_CERTIFICATE_UNKNOWN_CA))
        result = r;
    }

  return result;
}

static void
kvb_tls_database_finalize (GObject *object)
{
  KvbTlsDatabase *self = (KvbTlsDatabase *)object;

  g_clear_object (&self->system);
  g_clear_pointer (&self->extra, g_ptr_array_unref);
  g_clear_pointer (&self->paths, g_ptr_array_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (kvb_tls_database_parent_class)->finalize (object);
}

static void
kvb_tls_database_class_init (KvbTlsDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = kvb_tls_database_finalize;
  database_class->verify_chain = kvb_tls_database_verify_chain;
}

static void
kvb_tls_database_init (KvbTlsDatabase *self)
{
  g_mutex_init (&self->lock);
  self->extra = g_ptr_array_new_with_free_func (g_object_unref);
  self->paths = g_ptr_array_new_with_free_func (g_free);
}

KvbTlsDatabase *
kvb_tls_database_new (void)
{
  KvbTlsDatabase *self = g_object_new (KVB_TYPE_TLS_DATABASE, NULL);
  GTlsBackend *backend = g_tls_backend_get_default ();

  self->system = g_tls_backend_get_default_database (backend);

  return self;
}

gboolean
kvb_tls_database_add_file (KvbTlsDatabase  *self,
                           const char      *path,
                           GError         **error)
{
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *canonical = NULL;
  int fd;

  g_return_val_if_fail (KVB_IS_TLS_DATABASE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  canonical = g_canonicalize_filename (path, NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->paths->len; i++)
    if (g_str_equal (self->paths->pdata[i], canonical))
      {
        g_mutex_unlock (&self->lock);
        return TRUE;
      }
  g_mutex_unlock (&self->lock);

  /* GIO reads the file by its name; look at it first, without blocking, so that a named pipe or
   * a device given as the CA file is refused instead of hanging the start. */
  fd = kvb_file_open_regular (canonical, KVB_FILE_PURPOSE_CA, NULL, error);
  if (fd < 0)
    return FALSE;
  close (fd);

  db = g_tls_file_database_new (canonical, &local_error);
  if (db == NULL)
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, KVB_ERROR, KVB_ERROR_INVALID_ARGUMENT,
                   _("The certificate authority file “%s” could not be read: %s"),
                   display, local_error->message);
      return FALSE;
    }

  g_debug ("Trusting the CA bundle %s as well as the system's", canonical);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->extra, g_steal_pointer (&db));
  g_ptr_array_add (self->paths, g_steal_pointer (&canonical));
  g_mutex_unlock (&self->lock);

  return TRUE;
}
