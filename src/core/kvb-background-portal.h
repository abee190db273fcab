/* kvb-background-portal.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Asks the desktop, through the Background portal (org.freedesktop.portal.Background), to let
 * this sandboxed application run without a window and, with @autostart, to start it with the
 * session by @commandline (its argv[0] a program of the application's, such as
 * "key-vault-backup"); %FALSE for @autostart takes the start with the session away.
 * @parent_window: the window asking ("x11:XID", or "" when it cannot be told), @reason: a sentence
 * the desktop may show when it asks the user.
 *
 * _finish() returns %TRUE when the desktop answered: @allowed (out) says whether the application
 * may run in the background (the user or the desktop's settings may refuse), @autostart_enabled
 * (out, optional) whether it starts with the session.  %FALSE with @error when there is no such
 * portal (outside a sandbox, or a desktop without it), or when it could not be asked. */
void     kvb_background_portal_request_async  (const char          *parent_window,
                                               const char          *reason,
                                               gboolean             autostart,
                                               const char * const  *commandline,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean kvb_background_portal_request_finish (GAsyncResult        *result,
                                               gboolean            *allowed,
                                               gboolean            *autostart_enabled,
                                               GError             **error);

G_END_DECLS
