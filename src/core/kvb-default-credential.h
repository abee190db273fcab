/* kvb-default-credential.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account-store.h"
#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

/*
 * The credential the command line uses when it is not told which one: the environment's
 * service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or
 * AZURE_CLIENT_CERTIFICATE_PATH), else the stored sign-in for @cloud (the accounts in GSettings
 * with their secrets in the keyring), else the Azure CLI.
 */
KvbCredential *kvb_default_credential_new      (KvbPipeline      *pipeline,
                                                KvbCloud         *cloud,
                                                GError          **error);
/* The same with the account store to look in (NULL: none); @cloud_name is how @cloud was named. */
KvbCredential *kvb_default_credential_new_full (KvbPipeline      *pipeline,
                                                KvbCloud         *cloud,
                                                const char       *cloud_name,
                                                KvbAccountStore  *store,
                                                GError          **error);

/* Who @credential signs in as, in words fit for the history and the messages: the account's user
 * name, "service principal CLIENT_ID", or "Azure CLI".  Never a secret.  Returns: (transfer full). */
char          *kvb_default_credential_dup_identity (KvbCredential *credential);

G_END_DECLS
