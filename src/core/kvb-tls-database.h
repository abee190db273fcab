/* kvb-tls-database.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KVB_TYPE_TLS_DATABASE (kvb_tls_database_get_type ())

G_DECLARE_FINAL_TYPE (KvbTlsDatabase, kvb_tls_database, KVB, TLS_DATABASE, GTlsDatabase)

/* Trusts the system's CAs plus any CA bundle added.  Verification is never switched off: a
 * chain passes when the system database or one of the added bundles accepts it in full,
 * host name included. */
KvbTlsDatabase *kvb_tls_database_new      (void);
gboolean        kvb_tls_database_add_file (KvbTlsDatabase  *self,
                                           const char      *path,
                                           GError         **error);

G_END_DECLS
