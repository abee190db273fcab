/* kvb-sample-cloud.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_SAMPLE_CLOUD (kvb_sample_cloud_get_type ())

G_DECLARE_FINAL_TYPE (KvbSampleCloud, kvb_sample_cloud, KVB, SAMPLE_CLOUD, GObject)

KvbSampleCloud *kvb_sample_cloud_new            (KvbPipeline          *pipeline);
void            kvb_sample_cloud_start_async    (KvbSampleCloud       *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean        kvb_sample_cloud_start_finish   (KvbSampleCloud       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
KvbCloud       *kvb_sample_cloud_get_cloud      (KvbSampleCloud       *self);
KvbCredential  *kvb_sample_cloud_get_credential (KvbSampleCloud       *self);
const char     *kvb_sample_cloud_get_client_id  (KvbSampleCloud       *self);
const char     *kvb_sample_cloud_get_tenant     (KvbSampleCloud       *self);

G_END_DECLS
