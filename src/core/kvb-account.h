/* kvb-account.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * KvbAccountKind:
 * @KVB_ACCOUNT_KIND_USER: a person signed in with the browser or a device code; a refresh token
 *   is kept in the keyring
 * @KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL: a service principal with a client secret (kept in the
 *   keyring) or a client certificate (the path of the user's own PEM file is remembered)
 * @KVB_ACCOUNT_KIND_AZURE_CLI: the Azure CLI's own sign-in; nothing is stored
 */
typedef enum
{
  KVB_ACCOUNT_KIND_USER,
  KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL,
  KVB_ACCOUNT_KIND_AZURE_CLI,
} KvbAccountKind;

#define KVB_TYPE_ACCOUNT_KIND (kvb_account_kind_get_type ())
GType kvb_account_kind_get_type (void) G_GNUC_CONST;

#define KVB_TYPE_ACCOUNT (kvb_account_get_type ())

G_DECLARE_FINAL_TYPE (KvbAccount, kvb_account, KVB, ACCOUNT, GObject)

/*
 * An account is the non-secret description of one sign-in: nothing in it is secret, so it can be
 * shown, logged and remembered in GSettings.  Its secret (refresh token or client secret) lives
 * in the keyring under the same attributes.
 *
 * Properties (all strings read-only after construction except where noted):
 *   "kind"           KvbAccountKind
 *   "cloud"          how the cloud was named: "public", "china", "usgov", "sample" or a profile path
 *   "authority"      the authority host, e.g. "https://login.microsoftonline.com"
 *   "client-id"      the application (client) id used to sign in
 *   "tenant"         the tenant signed in to: "organizations", a tenant id or a domain
 *   "username"       the user's sign-in name, or the service principal's client id
 *   "home-tenant"    the tenant id the account belongs to (may be NULL)
 *   "certificate"    for a service principal with a certificate: the PEM file path (may be NULL)
 *   "needs-sign-in"  (read-write, notify) TRUE once the stored sign-in was refused: "sign in again"
 */

KvbAccount     *kvb_account_new               (KvbAccountKind  kind,
                                               const char     *cloud,
                                               const char     *authority,
                                               const char     *client_id,
                                               const char     *tenant,
                                               const char     *username);
KvbAccount     *kvb_account_new_from_variant  (GVariant       *dict,
                                               GError        **error);
GVariant       *kvb_account_to_variant        (KvbAccount     *self);

KvbAccountKind  kvb_account_get_kind          (KvbAccount     *self);
const char     *kvb_account_get_id            (KvbAccount     *self);
const char     *kvb_account_get_cloud         (KvbAccount     *self);
const char     *kvb_account_get_authority     (KvbAccount     *self);
const char     *kvb_account_get_client_id     (KvbAccount     *self);
const char     *kvb_account_get_tenant        (KvbAccount     *self);
const char     *kvb_account_get_username      (KvbAccount     *self);
const char     *kvb_account_get_home_tenant   (KvbAccount     *self);
void            kvb_account_set_home_tenant   (KvbAccount     *self,
                                               const char     *home_tenant);
const char     *kvb_account_get_certificate   (KvbAccount     *self);
void            kvb_account_set_certificate   (KvbAccount     *self,
                                               const char     *path);
gboolean        kvb_account_get_needs_sign_in (KvbAccount     *self);
void            kvb_account_set_needs_sign_in (KvbAccount     *self,
                                               gboolean        needs_sign_in);
char           *kvb_account_dup_display_name  (KvbAccount     *self);
gboolean        kvb_account_equal             (KvbAccount     *a,
                                               KvbAccount     *b);

G_END_DECLS
