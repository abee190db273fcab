/* kvb-arm-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"
#include "kvb-subscription-info.h"
#include "kvb-tenant-info.h"
#include "kvb-vault-info.h"

G_BEGIN_DECLS

/* Resource Manager api-versions. */
#define KVB_ARM_API_VERSION_RESOURCES "2022-12-01"
#define KVB_ARM_API_VERSION_KEYVAULT  "2025-05-01"
#define KVB_ARM_API_VERSION_PROVIDERS "2021-04-01"

#define KVB_TYPE_ARM_CLIENT (kvb_arm_client_get_type ())

G_DECLARE_FINAL_TYPE (KvbArmClient, kvb_arm_client, KVB, ARM_CLIENT, GObject)

KvbArmClient *kvb_arm_client_new                      (KvbPipeline         *pipeline,
                                                       KvbCloud            *cloud,
                                                       KvbCredential       *credential);

/* Every list follows nextLink to the end.  Returns: (transfer container) (element-type KvbTenantInfo). */
void          kvb_arm_client_list_tenants_async       (KvbArmClient        *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray    *kvb_arm_client_list_tenants_finish      (KvbArmClient        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* The subscriptions visible with a token of @tenant (%NULL: the credential's home tenant).
 * Returns: (element-type KvbSubscriptionInfo). */
void          kvb_arm_client_list_subscriptions_async (KvbArmClient        *self,
                                                       const char          *tenant,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray    *kvb_arm_client_list_subscriptions_finish (KvbArmClient       *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Returns: (element-type KvbVaultInfo). */
void          kvb_arm_client_list_vaults_async        (KvbArmClient        *self,
                                                       const char          *tenant,
                                                       const char          *subscription_id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray    *kvb_arm_client_list_vaults_finish       (KvbArmClient        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* The registration state of Microsoft.KeyVault in the subscription ("Registered",
 * "NotRegistered", "Registering"…).  Returns: (transfer full). */
void          kvb_arm_client_get_provider_state_async (KvbArmClient        *self,
                                                       const char          *tenant,
                                                       const char          *subscription_id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char         *kvb_arm_client_get_provider_state_finish (KvbArmClient       *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Registers Microsoft.KeyVault; returns the state it answered (usually "Registering"). */
void          kvb_arm_client_register_provider_async  (KvbArmClient        *self,
                                                       const char          *tenant,
                                                       const char          *subscription_id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char         *kvb_arm_client_register_provider_finish (KvbArmClient        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
