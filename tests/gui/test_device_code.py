#!/usr/bin/python3
# test_device_code.py: signing in with a code from the welcome page.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the stand-in (kvb-emulator) on a port the system picks and the application with a cloud
# profile that points at it (the KVB_TEST_CLOUD_PROFILE test hook).  Over the accessibility bus:
# "Sign in with a code" opens the dialog with the code, the address and their Copy buttons; the
# test approves that code at the stand-in, as the person would in the browser; the dialog closes
# and the signed-in account shows in the sidebar and the account menu, with its subscriptions.
# Cancelling a second attempt closes the dialog and leaves no error in the page.

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, by_prefix, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()

standin = kvbgui.Standin("test-device-code")
info = standin.info
profile = standin.profile
control = standin.control


def labels_after(root, caption):
    names = [a.name for a in find_all(root, by("label"))]
    return names[names.index(caption) + 1] if caption in names[:-1] else None


tap = kvbgui.Tap(10)
app = kvbgui.App("test-device-code", {"KVB_TEST_CLOUD_PROFILE": profile, "G_MESSAGES_DEBUG": "all"})
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")
    tap.check("the welcome page offers the stand-in's cloud profile",
              lambda: wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and
                                            a.name.endswith("stand-in.json")), what="profile row"))

    dialog = None
    code = None

    def open_dialog():
        global dialog, code
        click(wait_for(lambda: find(frame, by_prefix("push button", "Sign in with a code", "click")),
                       what="the code button"))
        dialog = app.toplevel("Sign In with a Code", 20)
        code = wait_for(lambda: labels_after(dialog, "Code"), what="the code")
        address = labels_after(dialog, "Address")
        return (code and address and address.startswith(info["url"]) and
                find(dialog, by("push button", "Copy Code", "click")) and
                find(dialog, by("push button", "Copy Address", "click")))

    tap.check("“Sign in with a code” opens a dialog with the code, the stand-in's address and Copy buttons",
              open_dialog)

    t0 = time.monotonic()
    tap.check("the stand-in accepts that code as a pending sign-in",
              lambda: control("/_emulator/devicecode/approve", {"user_code": code}) == 200)

    def signed_in():
        app.toplevel_gone("Sign In with a Code", 20)
        wait_for(lambda: find(frame, by("label", info["user"])), 20, what="the account in the sidebar")
        return True

    if tap.check(f"after the approval the dialog closes and the sidebar shows {info['user']}", signed_in):
        took = time.monotonic() - t0
        tap.ok(took < 15, f"within 15 s of the approval ({took:.2f} s, polling at the stand-in's interval)")
    else:
        tap.ok(False, "within 15 s of the approval")

    def sidebar_texts():
        return [a.name for a in find_all(find(frame, by("list", "Subscriptions and vaults")), by("label"))]

    def subscriptions_listed():
        return wait_for(lambda: "Contoso Production" in sidebar_texts(), 20, what="subscriptions")

    tap.check("the account's subscriptions are listed under it", subscriptions_listed)

    def account_menu():
        click(wait_for(lambda: find(frame, by("push button", "Accounts", "click")), what="account menu"))
        menu = wait_for(lambda: find(frame, by("list", "Accounts")), what="the account list")
        ok = find(menu, by("label", info["user"])) and find(menu, by("push button", "Sign Out", "click"))
        kvbgui.key_combo(0xff1b)   # Escape closes the menu
        return ok

    tap.check("the account menu lists the account with “Sign Out”", account_menu)

    def cancel_second():
        # "Add Account…" goes back to the welcome page; a second attempt is cancelled.
        click(wait_for(lambda: find(frame, by("push button", "Accounts", "click")), what="account menu"))
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                    "Add Account" in a.name and "click" in kvbgui.actions(a)), what="Add Account"))
        click(wait_for(lambda: find(frame, by_prefix("push button", "Sign in with a code", "click")), what="code button"))
        dlg = app.toplevel("Sign In with a Code", 20)
        click(wait_for(lambda: find(dlg, lambda a: a.getRoleName() == "push button" and "Cancel" in a.name),
                       what="Cancel"))
        app.toplevel_gone("Sign In with a Code")
        # The page is ready for another attempt: the button works again and no error is shown.
        wait_for(lambda: "sensitive" in kvbgui.states(find(frame, by_prefix("push button", "Sign in with a code"))),
                 what="the button to be enabled again")
        return not find(frame, lambda a: a.getRoleName() == "label" and "cancel" in a.name.lower())

    tap.check("cancelling a second code sign-in closes the dialog and shows no error", cancel_second)

    def sign_out():
        click(wait_for(lambda: find(frame, by("push button", "Back to the Vaults", "click")), what="Back"))
        click(wait_for(lambda: find(frame, by("push button", "Accounts", "click")), what="account menu"))
        click(wait_for(lambda: find(frame, by("push button", "Sign Out", "click")), what="Sign Out"))
        wait_for(lambda: info["user"] not in sidebar_texts(), 20, what="the account to go")
        return find(frame, by_prefix("push button", "Sign in with a code", "click"))

    tap.check("“Sign Out” removes the account and the welcome page is back", sign_out)

    def nothing_secret_logged():
        app.stop()
        with open(app.log_path) as f:
            log = f.read()
        return info["client_secret"] not in log and "eyJ" not in log
    tap.check("the debug log holds no token and no secret", nothing_secret_logged)
finally:
    app.stop()
    standin.stop()

sys.exit(tap.finish())
