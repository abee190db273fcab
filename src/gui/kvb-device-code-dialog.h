/* kvb-device-code-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KVB_TYPE_DEVICE_CODE_DIALOG (kvb_device_code_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KvbDeviceCodeDialog, kvb_device_code_dialog, KVB, DEVICE_CODE_DIALOG,
                      AdwMessageDialog)

GtkWidget *kvb_device_code_dialog_new (GtkWindow  *parent,
                                       const char *user_code,
                                       const char *verification_uri);

G_END_DECLS
