/* kvb-sidebar.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "kvb-account-session.h"
#include "kvb-account-store.h"
#include "kvb-pipeline.h"

G_BEGIN_DECLS

#define KVB_TYPE_SIDEBAR (kvb_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (KvbSidebar, kvb_sidebar, KVB, SIDEBAR, AdwBin)

/* The signed-in accounts, their subscriptions and vaults, and the account menu.
 *
 * Properties:
 *   "sessions"    (GListModel of KvbAccountSession, read-only) the accounts shown, in order
 *   "menu-model"  (GMenuModel) the window's primary menu, offered while "folded"
 *   "folded"      (gboolean) whether the window shows the sidebar alone
 *   "n-selected-vaults" (guint, read-only) how many vaults are chosen (Ctrl- or Shift-click
 *                 chooses several; from two on, a bar offers "Back Up N Vaults…", the action
 *                 "win.backup-vaults")
 *
 * Signals:
 *   "vault-selected" (KvbVaultInfo *vault, KvbAccountSession *session)
 *       a vault was picked, or, with both %NULL, none is any longer */

/* Shows a session per account of @store from now on, and keeps following it. */
void               kvb_sidebar_set_account_store (KvbSidebar        *self,
                                                  KvbPipeline       *pipeline,
                                                  KvbAccountStore   *store);
GListModel        *kvb_sidebar_get_sessions      (KvbSidebar        *self);
/* Shows @session and lists its vaults.  If the sidebar already shows its account, signed in
 * with the same account object, that session stays and is returned; a newer sign-in replaces it. */
KvbAccountSession *kvb_sidebar_add_session       (KvbSidebar        *self,
                                                  KvbAccountSession *session);
/* Lists the vaults of every account afresh. */
void               kvb_sidebar_reload            (KvbSidebar        *self);
/* Reads the history again (off the main thread) for the line under each vault that says when
 * it was last backed up with every object done. */
void               kvb_sidebar_refresh_history   (KvbSidebar        *self);
guint              kvb_sidebar_get_n_selected_vaults (KvbSidebar    *self);
/* The vaults chosen, in the order of the list, and the session of each. */
void               kvb_sidebar_dup_selected_vaults (KvbSidebar      *self,
                                                    GPtrArray      **vaults,
                                                    GPtrArray      **sessions);

G_END_DECLS
