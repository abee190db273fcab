#!/usr/bin/python3
# test_browser.py: browser sign-in from the welcome page.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the stand-in and the application with a cloud profile that points at it, and installs
# fake_browser.py as the default browser in the application's private XDG folders.  Over the
# accessibility bus: "Sign in with a browser" opens that browser on the stand-in's authorize
# address (through GTK, as on a desktop), shows the same address in the page with a Copy button,
# and once the browser has approved and come back to the loopback listener the account is in the
# sidebar.

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, by_prefix, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()

standin = kvbgui.Standin("test-browser")
info = standin.info
here = os.path.dirname(os.path.abspath(__file__))
browser_log = os.path.join(standin.state, "browser.log")
open(browser_log, "w").close()


def install_browser(home):
    apps = os.path.join(home, "data", "applications")
    os.makedirs(apps, exist_ok=True)
    with open(os.path.join(apps, "kvb-test-browser.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Test Browser\nNoDisplay=true\n"
                f"Exec=/usr/bin/python3 {os.path.join(here, 'fake_browser.py')} %u\n"
                "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n")
    with open(os.path.join(home, "config", "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/https=kvb-test-browser.desktop\n"
                "x-scheme-handler/http=kvb-test-browser.desktop\n")


def browser_lines():
    with open(browser_log) as f:
        return f.read().splitlines()


tap = kvbgui.Tap(6)
app = kvbgui.App("test-browser", {
    "KVB_TEST_CLOUD_PROFILE": standin.profile,
    "KVB_FAKE_BROWSER_LOG": browser_log,
    "KVB_FAKE_BROWSER_CA": info["ca"],
    # Long enough for the test to read the page while the browser "reads" the sign-in page.
    "KVB_FAKE_BROWSER_DELAY": "3",
}, prepare=install_browser)
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")
    t0 = time.monotonic()

    def opened():
        click(wait_for(lambda: find(frame, by_prefix("push button", "Sign in with a browser", "click")),
                       what="the browser button"))
        line = wait_for(lambda: next((l for l in browser_lines() if l.startswith("opened ")), None), 15,
                        what="the browser to start")
        return line.startswith("opened " + info["url"] + "/") and "/oauth2/v2.0/authorize?" in line

    tap.check("“Sign in with a browser” opens the default browser on the stand-in's authorize address",
              opened)

    def shown():
        url = browser_lines()[0][len("opened "):]
        return (wait_for(lambda: find(frame, by("label", url)), what="the address in the page") and
                find(frame, by("push button", "Copy Address", "click")) and
                find(frame, lambda a: a.getRoleName() == "label" and a.name.startswith("Waiting for the sign-in")))

    tap.check("the page shows the same address with a Copy button while it waits", shown)

    def came_back():
        wait_for(lambda: any(l.startswith("listener answered 200") for l in browser_lines()), 20,
                 what="the browser to come back")
        return any(l.startswith("redirected to http://localhost:") for l in browser_lines())

    tap.check("after the approval the browser is sent back to http://localhost:PORT, which answers",
              came_back)

    if tap.check(f"the sidebar then shows {info['user']}",
                 lambda: wait_for(lambda: find(frame, by("label", info["user"])), 20, what="the account")):
        took = time.monotonic() - t0
        tap.ok(took < 20, f"within 20 s of the click, 3 s of it in the browser ({took:.2f} s)")
    else:
        tap.ok(False, "within 20 s of the click")

    def sign_out():
        click(wait_for(lambda: find(frame, by("push button", "Accounts", "click")), what="account menu"))
        click(wait_for(lambda: find(frame, by("push button", "Sign Out", "click")), what="Sign Out"))
        app.answer(f"Sign out of {info['user']}?", "_Sign Out Sign Out",
                   says="Its refresh token is removed from the keyring.")
        return wait_for(lambda: find(frame, by("label", info["user"])) is None, 20, what="the account to go")

    tap.check("“Sign Out”, once confirmed, removes the account", sign_out)
finally:
    app.stop()
    standin.stop()

sys.exit(tap.finish())
