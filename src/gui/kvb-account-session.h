/* kvb-account-session.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kvb-account-store.h"
#include "kvb-cloud.h"
#include "kvb-credential.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_ACCOUNT_SESSION (kvb_account_session_get_type ())

G_DECLARE_FINAL_TYPE (KvbAccountSession, kvb_account_session, KVB, ACCOUNT_SESSION, GObject)

/* One signed-in account as the window shows it: an account of the store, or the sample cloud,
 * with what talks to Azure for it and, once listed, its subscriptions and vaults.
 *
 * Signals:
 *   "changed" ()  the listing ended (see get_subscriptions() and get_error()) */

/* An account of @store; without a usable credential the session carries the reason as its error. */
KvbAccountSession *kvb_account_session_new_for_account (KvbAccountStore   *store,
                                                        KvbPipeline       *pipeline,
                                                        KvbAccount        *account);
/* The sample cloud: @sample (a KvbSampleCloud) is kept running as long as the session lives. */
KvbAccountSession *kvb_account_session_new_for_sample  (KvbPipeline       *pipeline,
                                                        GObject           *sample,
                                                        KvbCloud          *cloud,
                                                        KvbCredential     *credential,
                                                        const char        *client_id);

KvbAccount    *kvb_account_session_get_account       (KvbAccountSession *self);
gboolean       kvb_account_session_is_sample         (KvbAccountSession *self);
KvbPipeline   *kvb_account_session_get_pipeline      (KvbAccountSession *self);
KvbCloud      *kvb_account_session_get_cloud         (KvbAccountSession *self);
KvbCredential *kvb_account_session_get_credential    (KvbAccountSession *self);
const char    *kvb_account_session_get_title         (KvbAccountSession *self);
const char    *kvb_account_session_get_subtitle      (KvbAccountSession *self);
/* Of KvbFoundSubscription; %NULL while listing or when it failed. */
GPtrArray     *kvb_account_session_get_subscriptions (KvbAccountSession *self);
/* Why nothing could be listed, for people; %NULL otherwise. */
const char    *kvb_account_session_get_error         (KvbAccountSession *self);
/* Whether only a new sign-in helps: no credential, or the stored sign-in was refused. */
gboolean       kvb_account_session_needs_sign_in     (KvbAccountSession *self);

/* Lists the subscriptions and vaults afresh; a listing still under way gives way. */
void           kvb_account_session_load              (KvbAccountSession *self);
/* Stops any listing for good: the session is no longer shown. */
void           kvb_account_session_stop              (KvbAccountSession *self);

G_END_DECLS
