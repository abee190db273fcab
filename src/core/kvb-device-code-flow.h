/* kvb-device-code-flow.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account-credential.h"
#include "kvb-cloud.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_DEVICE_CODE_FLOW (kvb_device_code_flow_get_type ())

G_DECLARE_FINAL_TYPE (KvbDeviceCodeFlow, kvb_device_code_flow, KVB, DEVICE_CODE_FLOW, GObject)

/*
 * Device-code sign-in.  _start_async() asks Entra ID for a code; then the user code, the
 * verification address and Entra ID's message are there to show.  _wait_async() polls at the
 * interval Entra ID gave (5 s more after each slow_down) until the user approves (the result is
 * the account's credential), declines (KVB_ERROR_SIGN_IN_FAILED), the code expires
 * (KVB_ERROR_SIGN_IN_FAILED with a message that says so) or the flow is cancelled
 * (KVB_ERROR_SIGN_IN_CANCELLED).  The device code itself is never shown nor logged.
 */
KvbDeviceCodeFlow    *kvb_device_code_flow_new                  (KvbPipeline         *pipeline,
                                                                 KvbCloud            *cloud,
                                                                 const char          *cloud_name,
                                                                 const char          *client_id,
                                                                 const char          *tenant);
void                  kvb_device_code_flow_start_async          (KvbDeviceCodeFlow   *self,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean              kvb_device_code_flow_start_finish         (KvbDeviceCodeFlow   *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
const char           *kvb_device_code_flow_get_user_code        (KvbDeviceCodeFlow   *self);
const char           *kvb_device_code_flow_get_verification_uri (KvbDeviceCodeFlow   *self);
const char           *kvb_device_code_flow_get_message          (KvbDeviceCodeFlow   *self);
/* When the code expires, in seconds since the epoch. */
gint64                kvb_device_code_flow_get_expires_on       (KvbDeviceCodeFlow   *self);
/* The current polling interval in seconds (grows on slow_down). */
guint                 kvb_device_code_flow_get_interval         (KvbDeviceCodeFlow   *self);
void                  kvb_device_code_flow_wait_async           (KvbDeviceCodeFlow   *self,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
KvbAccountCredential *kvb_device_code_flow_wait_finish          (KvbDeviceCodeFlow   *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
void                  kvb_device_code_flow_cancel               (KvbDeviceCodeFlow   *self);

G_END_DECLS
