/* kvb-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KVB_TYPE_APPLICATION (kvb_application_get_type ())

G_DECLARE_FINAL_TYPE (KvbApplication, kvb_application, KVB, APPLICATION, AdwApplication)

KvbApplication *kvb_application_new (void);

G_END_DECLS
