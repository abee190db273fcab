/* kvb-keyvault-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-object-info.h"
#include "kvb-object-kind.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

/* The one data-plane api-version of the application. */
#define KVB_KEYVAULT_API_VERSION "7.6"

/* Called once per page as it arrives, in the main context of the caller; @objects is a
 * GPtrArray of KvbObjectInfo owned by the caller of the callback (ref what you keep). */
typedef void (*KvbObjectPageFunc) (GPtrArray *objects,
                                   gpointer   user_data);

#define KVB_TYPE_KEYVAULT_CLIENT (kvb_keyvault_client_get_type ())

G_DECLARE_FINAL_TYPE (KvbKeyVaultClient, kvb_keyvault_client, KVB, KEYVAULT_CLIENT, GObject)

/* @vault: a vault name (expanded with the cloud's DNS suffix) or a vault URL of @cloud. */
KvbKeyVaultClient *kvb_keyvault_client_new             (KvbPipeline        *pipeline,
                                                        KvbCloud           *cloud,
                                                        KvbCredential      *credential,
                                                        const char         *vault,
                                                        GError            **error);

/* "https://NAME.vault.azure.net/" (with a trailing slash). */
const char *kvb_keyvault_client_get_vault_url          (KvbKeyVaultClient  *self);
/* "NAME" */
const char *kvb_keyvault_client_get_vault_name         (KvbKeyVaultClient  *self);

/* All objects of @kind (or the deleted ones), page by page; finish once nextLink is null. */
void     kvb_keyvault_client_list_async                (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        gboolean             deleted,
                                                        KvbObjectPageFunc    page_func,
                                                        gpointer             page_data,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kvb_keyvault_client_list_finish               (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* One page of the list of @kind: the first when @next_link is %NULL, else the page that
 * @next_link (as an earlier page gave it) names.  For callers that decide themselves when the
 * next page is worth a request. */
void       kvb_keyvault_client_list_page_async         (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        gboolean             deleted,
                                                        const char          *next_link,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Returns: (transfer full): a GPtrArray of KvbObjectInfo; @next_link (out) the next page's link,
 * %NULL after the last page. */
GPtrArray *kvb_keyvault_client_list_page_finish        (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        char               **next_link,
                                                        GError             **error);

/* All versions of one object, page by page. */
void     kvb_keyvault_client_list_versions_async       (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        KvbObjectPageFunc    page_func,
                                                        gpointer             page_data,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kvb_keyvault_client_list_versions_finish      (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* @version: %NULL for the current version.  For a secret the value is discarded unread. */
void           kvb_keyvault_client_get_properties_async  (KvbKeyVaultClient   *self,
                                                          KvbObjectKind        kind,
                                                          const char          *name,
                                                          const char          *version,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
KvbObjectInfo *kvb_keyvault_client_get_properties_finish (KvbKeyVaultClient   *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* A deleted object (deleted date, scheduled purge date, recovery id). */
void           kvb_keyvault_client_get_deleted_async   (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KvbObjectInfo *kvb_keyvault_client_get_deleted_finish  (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Returns: (transfer full): the blob's raw bytes (the base64url "value" decoded), i.e. exactly
 * what az and Backup-AzKeyVault* write to a file. */
void     kvb_keyvault_client_backup_async              (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GBytes  *kvb_keyvault_client_backup_finish             (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* @blob: the raw blob bytes.  Returns: (transfer full): the restored object. */
void           kvb_keyvault_client_restore_async       (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        GBytes              *blob,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* The same for a blob whose object name is known (from its file name, a manifest or the user).
 * The vault is asked first: a live name ends it with KVB_ERROR_CONFLICT_LIVE and a soft-deleted
 * one with KVB_ERROR_CONFLICT_DELETED, without sending the blob.  When the connection breaks
 * after the blob was sent, the object is reported restored only if the name was free before and
 * is taken after; otherwise KVB_ERROR_OUTCOME_UNKNOWN says that it cannot be told.  Finish with
 * kvb_keyvault_client_restore_finish(). */
void           kvb_keyvault_client_restore_named_async (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        GBytes              *blob,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KvbObjectInfo *kvb_keyvault_client_restore_finish      (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Recovers a soft-deleted object.  Returns: (transfer full): the recovered object.  Recovery
 * completes in the background: see kvb_keyvault_client_wait_until_usable_async(). */
void           kvb_keyvault_client_recover_async       (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KvbObjectInfo *kvb_keyvault_client_recover_finish      (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Permanently removes a soft-deleted object. */
void     kvb_keyvault_client_purge_async               (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kvb_keyvault_client_purge_finish              (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Deletes (soft-deletes) an object.  Returns: (transfer full): the deleted object. */
void           kvb_keyvault_client_delete_async        (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KvbObjectInfo *kvb_keyvault_client_delete_finish       (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/**
 * KvbUsableAfter:
 * @KVB_USABLE_AFTER_PURGE: wait until the name is neither live nor deleted (a restore can follow)
 * @KVB_USABLE_AFTER_RECOVER: wait until the recovered object answers
 * @KVB_USABLE_AFTER_DELETE: wait until the deleted object is listed as deleted (purge can follow)
 */
typedef enum
{
  KVB_USABLE_AFTER_PURGE,
  KVB_USABLE_AFTER_RECOVER,
  KVB_USABLE_AFTER_DELETE,
} KvbUsableAfter;

/* Polls with back-off until the name is usable, or fails with %KVB_ERROR_TIMEOUT after
 * @timeout_seconds (0: 300 s; soft delete is eventually consistent on the real service). */
void     kvb_keyvault_client_wait_until_usable_async   (KvbKeyVaultClient   *self,
                                                        KvbObjectKind        kind,
                                                        const char          *name,
                                                        KvbUsableAfter       after,
                                                        guint                timeout_seconds,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kvb_keyvault_client_wait_until_usable_finish  (KvbKeyVaultClient   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
