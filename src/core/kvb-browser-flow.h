/* kvb-browser-flow.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account-credential.h"
#include "kvb-cloud.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_BROWSER_FLOW (kvb_browser_flow_get_type ())

G_DECLARE_FINAL_TYPE (KvbBrowserFlow, kvb_browser_flow, KVB, BROWSER_FLOW, GObject)

/*
 * Browser sign-in: authorization code with PKCE (S256) and state, answered by a one-shot
 * listener on 127.0.0.1 at a port the system picks (redirect http://localhost:PORT).
 *
 * kvb_browser_flow_start() starts the listener and returns the address to open in the browser;
 * opening it is the caller's job (the window through GTK, kvbackup through GIO).  _wait_async()
 * completes when the browser comes back: the code is redeemed and the result is the account's
 * credential, ready to be added to a KvbAccountStore.  It fails with
 * KVB_ERROR_SIGN_IN_CANCELLED after kvb_browser_flow_cancel() or a cancelled @cancellable,
 * KVB_ERROR_TIMEOUT after the time-out (default 300 s), KVB_ERROR_SIGN_IN_FAILED when the
 * sign-in was declined or the code refused.
 */
KvbBrowserFlow       *kvb_browser_flow_new           (KvbPipeline         *pipeline,
                                                      KvbCloud            *cloud,
                                                      const char          *cloud_name,
                                                      const char          *client_id,
                                                      const char          *tenant);
void                  kvb_browser_flow_set_timeout   (KvbBrowserFlow      *self,
                                                      guint                seconds);
/* Returns the authorize URL (transfer none), or NULL if no listener could be started. */
const char           *kvb_browser_flow_start         (KvbBrowserFlow      *self,
                                                      GError             **error);
const char           *kvb_browser_flow_get_authorize_url (KvbBrowserFlow  *self);
/* The redirect URI, http://localhost:PORT (for tests and diagnostics). */
const char           *kvb_browser_flow_get_redirect_uri  (KvbBrowserFlow  *self);
void                  kvb_browser_flow_wait_async    (KvbBrowserFlow      *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
KvbAccountCredential *kvb_browser_flow_wait_finish   (KvbBrowserFlow      *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
void                  kvb_browser_flow_cancel        (KvbBrowserFlow      *self);

G_END_DECLS
