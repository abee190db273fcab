/* kvb-sign-in-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-account-session.h"
#include "kvb-account-store.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_SIGN_IN_PAGE (kvb_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (KvbSignInPage, kvb_sign_in_page, KVB, SIGN_IN_PAGE, AdwBin)

/* The welcome page: the cloud to sign in to, every way to sign in (browser, code, Azure CLI,
 * service principal, sample cloud) and the progress of the one under way.
 *
 * Properties:
 *   "sessions"    (GListModel of KvbAccountSession) the accounts the window shows: with any,
 *                 the page offers the way back to them; a running sample cloud is not started twice
 *   "menu-model"  (GMenuModel) the window's primary menu
 *
 * Signals:
 *   "signed-in" (KvbAccountSession *session)  a sign-in ended well; a new account is in the
 *                                             store already, the session is for the window to show */

/* Where new accounts are saved; the flows run on @pipeline. */
void kvb_sign_in_page_set_account_store (KvbSignInPage   *self,
                                         KvbPipeline     *pipeline,
                                         KvbAccountStore *store);
void kvb_sign_in_page_set_sessions      (KvbSignInPage   *self,
                                         GListModel      *sessions);

G_END_DECLS
