/* kvb-cloud-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-cloud.h"

G_BEGIN_DECLS

#define KVB_TYPE_CLOUD_ROW (kvb_cloud_row_get_type ())

G_DECLARE_FINAL_TYPE (KvbCloudRow, kvb_cloud_row, KVB, CLOUD_ROW, AdwComboRow)

KvbCloud *kvb_cloud_row_dup_cloud (KvbCloudRow  *self,
                                   GError      **error);

G_END_DECLS
