/* kvb-sign-in-settings.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The built-in application (client) id: Azure CLI's well-known public client, which works in
 * every tenant until an administrator registers the organisation's own (see README.md). */
#define KVB_DEFAULT_CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
#define KVB_DEFAULT_TENANT    "organizations"

/* The client id and tenant to sign in with, first found of: @override (a command-line option),
 * KVB_CLIENT_ID / KVB_TENANT_ID, the GSettings keys "client-id" / "tenant" of @settings (may be
 * NULL), the built-in default. */
char *kvb_sign_in_dup_client_id (GSettings  *settings,
                                 const char *override);
char *kvb_sign_in_dup_tenant    (GSettings  *settings,
                                 const char *override);

/* The app's GSettings when its schema is installed, else NULL. */
GSettings *kvb_sign_in_settings_new (void);

G_END_DECLS
