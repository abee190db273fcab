/* kvb-secret-portal.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * In a Flatpak or Snap sandbox libsecret keeps the secrets in a file whose key comes from the
 * Secret portal: it calls RetrieveSecret, and only once the reply has reached its callback does
 * it listen for the request's Response signal.  A Response that reaches the process between the
 * two is dropped, and so is one that comes before GDBus has learnt who owns the portal's name,
 * which it asks the bus for when libsecret subscribes; every keyring call then waits for ever
 * (libsecret until it learnt to subscribe before the call, Debian 12's 0.20.5 among them; the
 * second also with GLib's fix of 2024 that checks the sender of such signals).
 *
 * kvb_secret_portal_guard() (first call on the thread whose context runs libsecret's callbacks;
 * later calls do nothing; nothing outside a sandbox) holds such a Response back until that
 * context has dispatched what was before it, so that libsecret is listening when it arrives, and
 * keeps a subscription of its own so that the owner is known by then.
 */
void     kvb_secret_portal_guard        (void);

/* How many Responses had to be held back (tests). */
guint    kvb_secret_portal_guard_held   (void);

G_END_DECLS
