/* kvb-service-principal-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KVB_TYPE_SERVICE_PRINCIPAL_DIALOG (kvb_service_principal_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KvbServicePrincipalDialog, kvb_service_principal_dialog, KVB,
                      SERVICE_PRINCIPAL_DIALOG, AdwMessageDialog)

GtkWidget  *kvb_service_principal_dialog_new             (GtkWindow                 *parent,
                                                          const char                *tenant,
                                                          const char                *client_id);
char       *kvb_service_principal_dialog_dup_tenant      (KvbServicePrincipalDialog *self);
char       *kvb_service_principal_dialog_dup_client_id   (KvbServicePrincipalDialog *self);
/* The secret as typed (borrowed; emptied when the dialog goes), or NULL with a certificate. */
const char *kvb_service_principal_dialog_get_secret      (KvbServicePrincipalDialog *self);
const char *kvb_service_principal_dialog_get_certificate (KvbServicePrincipalDialog *self);

G_END_DECLS
