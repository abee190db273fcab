/* kvb-object-backup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-object-backup"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kvb-backup-file.h"
#include "kvb-error.h"
#include "kvb-object-backup.h"

gboolean
kvb_object_backup_get_target (KvbObjectInfo  *object,
                              KvbObjectKind  *kind,
                              const char    **name)
{
  gboolean replaced;

  g_return_val_if_fail (KVB_IS_OBJECT_INFO (object), FALSE);

  /* The key and secret of a certificate carry its name, and Key Vault backs them up only with
   * the certificate (403 "associated with a certificate"). */
  replaced = kvb_object_info_get_managed (object) &&
             kvb_object_info_get_kind (object) != KVB_OBJECT_KIND_CERTIFICATE;

  if (kind != NULL)
    *kind = replaced ? KVB_OBJECT_KIND_CERTIFICATE : kvb_object_info_get_kind (object);
  if (name != NULL)
    *name = kvb_object_info_get_name (object);

  return replaced;
}

typedef struct
{
  KvbKeyVaultClient *client;
  KvbObjectKind kind;
  char *name;
  GFile *file;
  gboolean overwrite;
} One;

static void
one_free (One *one)
{
  g_clear_object (&one->client);
  g_clear_pointer (&one->name, g_free);
  g_clear_object (&one->file);
  g_free (one);
}

static void
one_write_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!kvb_backup_file_write_finish (result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
one_backup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  One *one = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  GCancellable *cancellable;

  /* The same check as a folder's blobs: what is written is a backup of this object. */
  blob = kvb_keyvault_client_backup_finish (one->client, result, &error);
  if (blob != NULL &&
      !kvb_backup_file_check_answer (blob, one->kind,
                                     kvb_keyvault_client_get_vault_name (one->client), one->name,
                                     &error))
    g_clear_pointer (&blob, g_bytes_unref);
  if (blob == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  kvb_backup_file_write_async (one->file, blob, one->overwrite, cancellable, one_write_cb,
                               g_steal_pointer (&task));
}

static void
one_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  One *one = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Any other error: the write says what is wrong with the place. */
  if (info != NULL && !one->overwrite)
    {
      g_autofree char *display = g_file_get_parse_name (one->file);

      /* Refused before the vault is asked: a mistake costs nothing. */
      g_task_return_new_error (task, KVB_ERROR, KVB_ERROR_FILE_EXISTS,
                               _("“%s” already exists and was not replaced."), display);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  kvb_keyvault_client_backup_async (one->client, one->kind, one->name, cancellable, one_backup_cb,
                                    g_steal_pointer (&task));
}

void
kvb_object_backup_to_file_async (KvbKeyVaultClient   *client,
                                 KvbObjectKind        kind,
                                 const char          *name,
                                 GFile               *file,
                                 gboolean             overwrite,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  One *one;

  g_return_if_fail (KVB_IS_KEYVAULT_CLIENT (client));
  g_return_if_fail (kind < KVB_OBJECT_KIND_N_KINDS);
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kvb_object_backup_to_file_async);
  one = g_new0 (One, 1);
  one->client = g_object_ref (client);
  one->kind = kind;
  one->name = g_strdup (name);
  one->file = g_object_ref (file);
  one->overwrite = !!overwrite;
  g_task_set_task_data (task, one, (GDestroyNotify) one_free);

  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                           G_PRIORITY_DEFAULT, cancellable, one_query_cb, g_steal_pointer (&task));
}

gboolean
kvb_object_backup_to_file_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
