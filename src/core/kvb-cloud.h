/* kvb-cloud.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KVB_TYPE_CLOUD (kvb_cloud_get_type ())

G_DECLARE_FINAL_TYPE (KvbCloud, kvb_cloud, KVB, CLOUD, GObject)

KvbCloud   *kvb_cloud_new_public            (void);
KvbCloud   *kvb_cloud_new_china             (void);
KvbCloud   *kvb_cloud_new_usgov             (void);
KvbCloud   *kvb_cloud_new_sample            (const char  *emulator_url,
                                             const char  *ca_file);
KvbCloud   *kvb_cloud_new_from_file         (const char  *path,
                                             GError     **error);
KvbCloud   *kvb_cloud_lookup                (const char  *name_or_file,
                                             GError     **error);

const char *kvb_cloud_get_id                (KvbCloud    *self);
const char *kvb_cloud_get_display_name      (KvbCloud    *self);
const char *kvb_cloud_get_authority_host    (KvbCloud    *self);
const char *kvb_cloud_get_arm_endpoint      (KvbCloud    *self);
const char *kvb_cloud_get_arm_scope         (KvbCloud    *self);
const char *kvb_cloud_get_keyvault_suffix   (KvbCloud    *self);
const char *kvb_cloud_get_keyvault_resource (KvbCloud    *self);
const char *kvb_cloud_get_keyvault_scope    (KvbCloud    *self);
guint       kvb_cloud_get_keyvault_port     (KvbCloud    *self);
const char *kvb_cloud_get_ca_file           (KvbCloud    *self);
gboolean    kvb_cloud_is_sample             (KvbCloud    *self);
/* The profile file a custom cloud was read from (absolute), %NULL for the built-in clouds. */
const char *kvb_cloud_get_profile_path      (KvbCloud    *self);

char       *kvb_cloud_dup_vault_url         (KvbCloud    *self,
                                             const char  *name_or_url,
                                             GError     **error);
gboolean    kvb_cloud_is_vault_host         (KvbCloud    *self,
                                             const char  *host);
/* TRUE when @uri (e.g. a challenge's "authorization") is on the cloud's authority host or a
 * known alias of it (login.windows.net for the public cloud), same scheme and port. */
gboolean    kvb_cloud_is_authority_uri      (KvbCloud    *self,
                                             GUri        *uri);
/* TRUE when @uri is under the cloud's Resource Manager endpoint. */
gboolean    kvb_cloud_is_arm_uri            (KvbCloud    *self,
                                             GUri        *uri);

G_END_DECLS
