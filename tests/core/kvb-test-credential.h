/* kvb-test-credential.h: a credential that hands out a fixed token and records what it was
 * asked for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kvb-credential.h"

G_BEGIN_DECLS

#define KVB_TYPE_TEST_CREDENTIAL (kvb_test_credential_get_type ())

G_DECLARE_FINAL_TYPE (KvbTestCredential, kvb_test_credential, KVB, TEST_CREDENTIAL, GObject)

KvbTestCredential *kvb_test_credential_new           (const char        *token);
guint              kvb_test_credential_get_n_calls   (KvbTestCredential *self);
guint              kvb_test_credential_get_n_invalidations (KvbTestCredential *self);
/* The scope and tenant of the last call, or NULL. */
const char        *kvb_test_credential_get_last_scope  (KvbTestCredential *self);
const char        *kvb_test_credential_get_last_tenant (KvbTestCredential *self);

G_END_DECLS
