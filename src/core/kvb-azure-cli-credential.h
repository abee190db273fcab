/* kvb-azure-cli-credential.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account.h"
#include "kvb-credential.h"

G_BEGIN_DECLS

#define KVB_TYPE_AZURE_CLI_CREDENTIAL (kvb_azure_cli_credential_get_type ())

G_DECLARE_FINAL_TYPE (KvbAzureCliCredential, kvb_azure_cli_credential, KVB, AZURE_CLI_CREDENTIAL, GObject)

/*
 * Reuses the Azure CLI's sign-in: runs `az account get-access-token --output json --scope S
 * [--tenant T]` with an argument vector (no shell), stdin closed and a time-out (default 30 s);
 * its output is never logged.  Fails with KVB_ERROR_SIGN_IN_FAILED "The Azure CLI (az) is not
 * installed…" when `az` is not on PATH and KVB_ERROR_SIGN_IN_REQUIRED "…run “az login”…" when it
 * is not signed in.
 */
KvbAzureCliCredential *kvb_azure_cli_credential_new          (void);

/* Whether `az` can be run at all: not from inside the Flatpak sandbox, which cannot start the
 * host's programs.  Else fails with KVB_ERROR_SIGN_IN_FAILED and a message that names the other
 * ways to sign in; every request of the credential then fails the same way. */
gboolean               kvb_azure_cli_credential_check_available (GError **error);
void                   kvb_azure_cli_credential_set_timeout  (KvbAzureCliCredential *self,
                                                              guint                  seconds);

/* Runs `az account show` and describes the signed-in user as an account (cloud @cloud_name). */
void                   kvb_azure_cli_credential_show_account_async  (KvbAzureCliCredential *self,
                                                                     const char            *cloud_name,
                                                                     GCancellable          *cancellable,
                                                                     GAsyncReadyCallback    callback,
                                                                     gpointer               user_data);
KvbAccount            *kvb_azure_cli_credential_show_account_finish (KvbAzureCliCredential *self,
                                                                     GAsyncResult          *result,
                                                                     GError               **error);

G_END_DECLS
