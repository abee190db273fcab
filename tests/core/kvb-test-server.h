/* kvb-test-server.h: a small HTTPS SoupServer on 127.0.0.1 with the test certificate
 * (data/test-server.pem, for 127.0.0.1, localhost and *.vault.localhost, issued by
 * data/test-ca.pem) that logs every request and lets a test script the answers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "kvb-cloud.h"

G_BEGIN_DECLS

typedef struct
{
  char   *method;
  char   *path;
  char   *query;
  char   *authorization;     /* NULL when none was sent */
  char   *user_agent;
  GBytes *body;
  gint64  time_us;           /* monotonic */
} KvbTestRequest;

typedef struct _KvbTestServer KvbTestServer;

/* Answers @msg; the request is already logged (its index is @n). */
typedef void (*KvbTestHandler) (KvbTestServer     *server,
                                SoupServerMessage *msg,
                                const char        *path,
                                guint              n,
                                gpointer           user_data);

KvbTestServer *kvb_test_server_new          (KvbTestHandler  handler,
                                             gpointer        user_data);
void           kvb_test_server_free         (KvbTestServer  *self);
guint          kvb_test_server_get_port     (KvbTestServer  *self);
/* https://127.0.0.1:PORT */
const char    *kvb_test_server_get_url      (KvbTestServer  *self);
/* https://NAME.vault.localhost:PORT/ */
char          *kvb_test_server_dup_vault_url (KvbTestServer *self,
                                              const char    *name);
/* The sample-cloud profile that points at this server; with @trust its CA is the profile's. */
KvbCloud      *kvb_test_server_new_cloud    (KvbTestServer  *self,
                                             gboolean        trust);
GPtrArray     *kvb_test_server_get_requests (KvbTestServer  *self);
SoupServer    *kvb_test_server_get_server   (KvbTestServer  *self);

/* Answers with JSON text and an optional extra header. */
void           kvb_test_reply_json          (SoupServerMessage *msg,
                                             guint              status,
                                             const char        *json,
                                             const char        *header,
                                             const char        *value);

const char    *kvb_test_data_path           (const char     *name);

/* Runs the default main context until *done is TRUE (fails the test after @seconds). */
void           kvb_test_wait                (gboolean       *done,
                                             guint           seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvbTestServer, kvb_test_server_free)

G_END_DECLS
