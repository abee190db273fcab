#!/usr/bin/python3
# test_window.py: the application frame as a person meets it.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts key-vault-backup for real and, over the accessibility bus: the window titled "Key Vault
# Backup" appears with the welcome page; the About window opens from the primary menu and closes;
# the Preferences open with Ctrl+, and close; the shortcuts window opens with Ctrl+? and closes; a
# PNG screenshot of the main window is written to the build folder; Ctrl+Q quits with status 0.

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, wait_for  # noqa: E402

kvbgui.require_session()

KEY_q = 0x71
KEY_comma = 0x2c
KEY_question = 0x3f

tap = kvbgui.Tap(9)
app = kvbgui.App("test-window")
try:
    app.accessible()
    frame = None

    def main_window():
        global frame
        frame = app.toplevel("Key Vault Backup")
        return frame

    if tap.check("the window titled “Key Vault Backup” appears", main_window):
        took = time.monotonic() - app.started
        tap.ok(took < 10, f"it appeared within 10 s of the start ({took:.2f} s)")
    else:
        raise SystemExit(tap.finish())

    tap.check("with no account it shows the welcome page and offers the sample cloud",
              lambda: find(frame, by("label", "Welcome to Key Vault Backup")) and
              find(frame, by("push button", "_Try the Sample Cloud Try the Sample Cloud", "click")))

    def about_from_menu():
        menu = wait_for(lambda: find(frame, by("push button", "Main Menu", "click")), what="main menu")
        click(menu)
        item = wait_for(lambda: find(frame, by("menu item", "About Key Vault Backup", "click")),
                        what="About item")
        click(item)
        about = app.toplevel("About")
        # The About window names the application and its version.
        wait_for(lambda: find(about, by("label", "Key Vault Backup")), what="application name")
        wait_for(lambda: find(about, lambda a: a.getRoleName() in ("label", "push button") and
                              "0.1.0" in a.name), what="version")
        kvbgui.do_action(about, "window.close")
        return app.toplevel_gone("About")

    tap.check("the About window opens from the primary menu, shows name and version, and closes",
              about_from_menu)

    def preferences_by_key():
        app.refocus()
        kvbgui.key_combo(KEY_comma, ctrl=True)
        prefs = app.toplevel("Preferences")
        wait_for(lambda: find(prefs, by(name="Application (client) ID")), what="client id row")
        kvbgui.do_action(prefs, "window.close")
        return app.toplevel_gone("Preferences")

    tap.check("Ctrl+, opens the Preferences with the client id, and they close", preferences_by_key)

    def shortcuts_window():
        for i in range(app.app.childCount):
            top = app.app.getChildAtIndex(i)
            if top is not None and top.name != "Key Vault Backup" and find(top, by("label", "Quit")):
                return top
        return None

    def shortcuts_by_key():
        app.refocus()
        kvbgui.key_combo(KEY_question, ctrl=True, shift=True)
        sw = wait_for(shortcuts_window, what="shortcuts window")
        ok = find(sw, by("label", "Preferences")) is not None
        kvbgui.do_action(sw, "window.close")
        wait_for(lambda: shortcuts_window() is None, what="shortcuts window to close")
        return ok

    tap.check("Ctrl+? opens the shortcuts window listing Quit and Preferences, and it closes",
              shortcuts_by_key)

    shot = None

    def screenshot():
        global shot
        shot = app.screenshot("main-window.png")
        w, h = kvbgui.png_size(shot)
        return w >= 360 and h >= 294 and os.path.getsize(shot) > 10000

    tap.check("a PNG screenshot of the main window is written to the build folder", screenshot)

    def quit_by_key():
        app.refocus()
        kvbgui.key_combo(KEY_q, ctrl=True)
        return app.wait_exit(10) == 0

    tap.check("Ctrl+Q quits with exit status 0", quit_by_key)
    tap.ok(app.proc.poll() is not None, "no process is left behind")
finally:
    app.stop()

sys.exit(tap.finish())
