#!/usr/bin/python3
# atspi_reader.py: an accessibility client that keeps reading one application, as a screen reader
# does while the user works.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   atspi_reader.py tree PID      walks the whole tree again and again: every window other than
#                                 the main one in full on each round (dialogs come and go), and
#                                 the main window a slice at a time, asking each object its name,
#                                 role, states, index, attributes, text, actions and relations
#   atspi_reader.py windows PID   reads the application's list of windows over and over: the
#                                 count, then each window's name and role (what a screen reader
#                                 does when a window opens or closes)
#   atspi_reader.py stale PID     once: counts the windows, then asks for the three past the last,
#                                 as a reader whose count went out of date when a dialog closed
#
# The client's cache is off, so every question goes to the application.  Errors about objects that
# went away are expected and ignored.  On SIGTERM, when the application is gone, or when the test
# that started it is, it prints one line of JSON with what it read and exits.

import json
import os
import signal
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402
import pyatspi  # noqa: E402

MAIN_WINDOW = "Key Vault Backup"
mode, pid = sys.argv[1], int(sys.argv[2])
parent = os.getppid()
stats = {"mode": mode, "rounds": 0, "main_passes": 0, "dialog_objects": 0, "main_objects": 0,
         "window_reads": 0, "errors": 0}
stopping = False


def application_gone():
    """The application ended (a zombie until the test collects it counts), or the test did."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X") or os.getppid() != parent


def stop(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)


def find_app():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        try:
            a = desktop.getChildAtIndex(i)
            if a is not None and a.get_process_id() == pid:
                return a
        except Exception:  # noqa: BLE001 - another application that went away
            continue
    return None


def read(acc):
    """Asks one object what a screen reader asks."""
    acc.name
    acc.description
    acc.getRoleName()
    acc.getState()
    acc.getIndexInParent()
    acc.getAttributes()
    acc.getRelationSet()
    acc.parent
    try:
        text = acc.queryText()
        text.getText(0, text.characterCount)
    except NotImplementedError:
        pass
    try:
        action = acc.queryAction()
        for i in range(action.nActions):
            action.getName(i)
    except NotImplementedError:
        pass


def walk(acc):
    """Depth first over @acc's subtree; yields once per object read."""
    try:
        read(acc)
        n = acc.childCount
    except Exception:  # noqa: BLE001 - the object went away while it was read
        stats["errors"] += 1
        return
    yield 1
    for i in range(n):
        try:
            child = acc.getChildAtIndex(i)
        except Exception:  # noqa: BLE001
            stats["errors"] += 1
            continue
        if child is not None:
            yield from walk(child)


def windows(app):
    try:
        return [app.getChildAtIndex(i) for i in range(app.childCount)]
    except Exception:  # noqa: BLE001
        stats["errors"] += 1
        return []


app = None
main_walk = None
while not stopping and not application_gone():
    if app is None:
        app = find_app()
        if app is None:
            time.sleep(0.1)
            continue
        app.set_cache_mask(Atspi.Cache.NONE)
    app.clear_cache()
    tops = windows(app)
    stats["rounds"] += 1

    if mode == "stale":
        count = len(tops)
        for i in range(count, count + 3):
            try:
                app.getChildAtIndex(i)
            except Exception:  # noqa: BLE001 - an error for an index past the end is a fine answer
                stats["errors"] += 1
        stats["window_reads"] += 1
        break

    if mode == "windows":
        for top in tops:
            try:
                if top is not None:
                    top.name
                    top.getRoleName()
            except Exception:  # noqa: BLE001
                stats["errors"] += 1
        stats["window_reads"] += 1
        continue

    main = None
    for top in tops:
        try:
            if top is None:
                continue
            if top.name == MAIN_WINDOW:
                main = top
                continue
        except Exception:  # noqa: BLE001
            stats["errors"] += 1
            continue
        stats["dialog_objects"] += sum(walk(top))
    if main_walk is None and main is not None:
        main_walk = walk(main)
    for _ in range(20 if main_walk is not None else 0):
        try:
            stats["main_objects"] += next(main_walk)
        except StopIteration:
            main_walk = None
            stats["main_passes"] += 1
            break

print(json.dumps(stats), flush=True)
