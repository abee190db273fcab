#!/usr/bin/python3
# test_multi_vault.py: several vaults backed up at once from the window, over the accessibility
# bus with real input.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The stand-in runs with tests/gui/seed-multi-vault.json (three vaults of 55 objects each) and a
# delay on every request, so that a vault takes seconds.  A service principal signs in through
# the CONNECT proxy at the real host names.  Two vaults are chosen in the sidebar with a click and
# a Ctrl+click, as a person does; the bar that appears offers "Back Up 2 Vaults…", which asks for
# one folder.  The window that opens shows a card per vault and, at the end, one summary.  On
# disk, FOLDER/VAULT of each holds a manifest.json that "kvbackup verify" finds whole; the
# stand-in's request log shows that both vaults were being backed up at the same time; the
# history has one line per vault.  A plain click afterwards picks one vault again.

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()
if shutil.which("xdotool") is None:
    print("Bail out! xdotool is missing (build-aux/deps.sh installs it)", flush=True)
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("KVB_BUILD_ROOT", os.getcwd())
SEED = os.path.join(HERE, "seed-multi-vault.json")
KVBACKUP = os.path.join(BUILD, "src", "cli", "kvbackup")
FIRST, SECOND, OTHER = "contoso-app-kv", "contoso-data-kv", "contoso-idle-kv"
N_OBJECTS = 55
SLOW = 4 if "ASAN_OPTIONS" in os.environ else 1

standin = kvbgui.Standin("test-multi-vault", ["--seed", SEED, "--latency-ms", "30"], proxy=True)
info = standin.info

work = tempfile.mkdtemp(prefix="test-multi-vault-", dir=os.path.join(BUILD, "tests", "gui", "out"))
backups = os.path.join(work, "backups")
os.makedirs(backups)

tap = kvbgui.Tap(7)
app = kvbgui.App("test-multi-vault", {"SSL_CERT_FILE": info["ca"], "HTTPS_PROXY": info["proxy"],
                                      "https_proxy": info["proxy"], "NO_PROXY": "127.0.0.1,localhost",
                                      "no_proxy": "127.0.0.1,localhost"})
state = {}


def x_window(title):
    """The X geometry of the visible window named @title (GTK also has a 1×1 leader window)."""
    for win in subprocess.run(["xdotool", "search", "--name", title], capture_output=True,
                              text=True).stdout.split():
        geo = dict(line.split("=") for line in subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", win], capture_output=True, text=True).stdout.split())
        if int(geo["WIDTH"]) > 50 and int(geo["HEIGHT"]) > 50:
            return geo
    return None


def vault_requests(vault):
    return [r for r in standin.requests()
            if (r.get("host") or "").split(":")[0] == f"{vault}.vault.azure.net" and r.get("status") != 401]


def when(r):
    return datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()


def history_lines():
    path = os.path.join(app.home, "data", "key-vault-backup", "history.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def no_tables(a):
        return a.getRoleName() == "tree table" or a.name in ("Backup files", "Objects of the operation")

    def sidebar():
        return find(frame, by("list", "Subscriptions and vaults"), no_tables)

    def enabled(acc):
        return acc if acc is not None and "sensitive" in kvbgui.states(acc) else None

    def click_at(acc, ctrl=False):
        """A real pointer click in the middle of @acc, with Control held when @ctrl."""
        import pyatspi
        geo = x_window("^Key Vault Backup$")
        fx, fy, fw, fh = frame.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        mx, my = (int(geo["WIDTH"]) - fw) // 2, (int(geo["HEIGHT"]) - fh) // 2
        x, y, w, h = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        cmd = ["xdotool", "mousemove", "--sync", str(int(geo["X"]) + mx + x + w // 2),
               str(int(geo["Y"]) + my + y + h // 2)]
        subprocess.run(cmd, check=True)
        if ctrl:
            subprocess.run(["xdotool", "keydown", "Control_L"], check=True)
            time.sleep(0.2)
        subprocess.run(["xdotool", "click", "1"], check=True)
        if ctrl:
            time.sleep(0.2)
            subprocess.run(["xdotool", "keyup", "Control_L"], check=True)

    def vault_row(name):
        return wait_for(lambda: find(sidebar(), by("label", name)), 30, what=f"{name} in the sidebar")

    def selected_vaults():
        rows = [r for r in find_all(sidebar(), lambda a: a.getRoleName() == "list item")
                if "selected" in kvbgui.states(r)]
        return sorted(a.name for r in rows for a in find_all(r, by("label")) if a.name.startswith("contoso-"))

    def sign_in():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                    a.name.startswith("Sign in as a service principal") and
                                    "click" in kvbgui.actions(a)), what="the service principal button"))

        def entry(title):
            return wait_for(lambda: find(frame, lambda a: a.getRoleName() in ("text", "password text") and
                                         a.name == title), what=title)
        kvbgui.set_text(entry("Tenant ID or domain"), info["tenant"])
        kvbgui.set_text(entry("Application (client) ID"), info["client_id"])
        kvbgui.set_text(entry("Client secret"), info["client_secret"])
        click(wait_for(lambda: enabled(find(frame, lambda a: a.getRoleName() == "push button" and
                                              a.name.startswith("_Sign In as Service Principal"))),
                       what="an enabled Sign In button"))
        wait_for(lambda: sidebar() is not None and find(sidebar(), by("label", OTHER)), 60,
                 what="the vaults of the service principal")
        return True

    tap.check("a service principal signs in and the sidebar lists its three vaults", sign_in)

    def choose_two():
        click_at(vault_row(FIRST))
        # The page lists the vault meanwhile: under the sanitizers it answers the bus slowly.
        time.sleep(1.5 * SLOW)
        # One vault chosen: no bar, the page shows it.
        bar = find(sidebar().parent.parent, lambda a: a.getRoleName() == "push button" and
                   a.name.startswith("_Back Up 2"))
        click_at(vault_row(SECOND), ctrl=True)
        button = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                       a.name.startswith("_Back Up 2 Vaults…") and
                                       "sensitive" in kvbgui.states(a), no_tables), 10 * SLOW,
                          what="the Back Up 2 Vaults button")
        chosen = wait_for(selected_vaults, 10 * SLOW, what="the chosen vaults")
        state["button"] = button
        ok = bar is None and chosen == [FIRST, SECOND] and find(frame, by("label", "2 vaults chosen"),
                                                                no_tables) is not None
        return ok or print(f"# chosen={chosen} bar-before={bar is not None}")

    tap.check("a click and a Ctrl+click choose two vaults, and a bar offers “Back Up 2 Vaults…”", choose_two)

    def chooser(title):
        for i in range(app.app.childCount):
            w = app.app.getChildAtIndex(i)
            if w is not None and w.name == title and w.childCount and \
                    find(w, lambda b: b.getRoleName() == "push button" and b.name.startswith("_Cancel")):
                return w
        return None

    def start_backup():
        click(state["button"])
        title = "Back Up 2 Vaults"
        wait_for(lambda: chooser(title), 20, what="the folder dialog")
        geo = wait_for(lambda: x_window(f"^{title}$"), 10, what="its X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", geo["WINDOW"]], check=False)
        subprocess.run(["xdotool", "type", "--delay", "15", backups + "/"], check=True)
        time.sleep(1.5)
        subprocess.run(["xdotool", "key", "Return"], check=True)
        time.sleep(1.0)
        try:
            still = chooser(title)
        except Exception:  # noqa: BLE001 - it went while it was looked at
            still = None
        if still is not None:
            click(wait_for(lambda: enabled(find(chooser(title), lambda a: a.getRoleName() == "push button"
                                                and a.name.startswith("_Back Up"))), 10, what="_Back Up"))
        state["started"] = time.time()

        def window():
            for i in range(app.app.childCount):
                w = app.app.getChildAtIndex(i)
                if w is not None and w.name == "Backup of 2 Vaults" and w.childCount:
                    return w
            return None
        win = wait_for(window, 20 * SLOW, what="the window of the two backups")
        state["window"] = win
        cards = wait_for(lambda: {a.name for a in find_all(win, lambda a: a.name.startswith("Backing up vault"))},
                         20 * SLOW, what="the cards")
        names = sorted(cards)
        ok = (len(names) == 2 and FIRST in names[0] and SECOND in names[1] and
              os.path.join(backups, FIRST) in names[0])
        return ok or print(f"# cards={names}")

    tap.check("“Back Up 2 Vaults…” asks for one folder and opens a window with a card per vault",
              start_backup)

    def summary():
        win = state["window"]
        text = wait_for(lambda: next((a.name for a in find_all(win, by("label"))
                                      if "vaults backed up whole" in a.name), None),
                        120 * SLOW, interval=0.5, what="the summary")
        state["summary"] = text
        state["elapsed"] = time.time() - state["started"]
        app.screenshot("multi-vault-backup.png")
        print(f"# summary after {state['elapsed']:.1f} s: {text!r}", flush=True)
        return (text.startswith("2 of 2 vaults backed up whole.") and
                f"{FIRST}: {N_OBJECTS} backed up" in text and f"{SECOND}: {N_OBJECTS} backed up" in text) \
            or print(f"# {text!r}")

    tap.check("one summary at the end says both vaults were backed up whole, with each vault's counts",
              summary)

    def on_disk():
        out = []
        for vault in (FIRST, SECOND):
            folder = os.path.join(backups, vault)
            with open(os.path.join(folder, "manifest.json")) as f:
                manifest = json.load(f)
            r = subprocess.run([KVBACKUP, "verify", folder], capture_output=True, text=True,
                               env=dict(app.env, LANG="C.UTF-8"))
            out.append((vault, r.returncode, r.stdout.strip(), len(manifest.get("objects", []))))
        extra = sorted(set(os.listdir(backups)) - {FIRST, SECOND})
        ok = all(rc == 0 and "is whole" in text and n == N_OBJECTS for _, rc, text, n in out) and not extra
        return ok or print(f"# {out} extra={extra}")

    tap.check("FOLDER/VAULT of each vault holds a manifest that kvbackup verify finds whole", on_disk)

    def parallel():
        # Only the backups' own requests (POST …/backup), not the lists the vault page loaded
        # when each vault was clicked.
        a = [r for r in vault_requests(FIRST) if r.get("method") == "POST" and r["path"].endswith("/backup")]
        b = [r for r in vault_requests(SECOND) if r.get("method") == "POST" and r["path"].endswith("/backup")]
        idle = vault_requests(OTHER)
        a0, a1 = when(a[0]), when(a[-1])
        b0, b1 = when(b[0]), when(b[-1])
        overlap = min(a1, b1) - max(a0, b0)
        # Of the vault done sooner, how many requests fell within the other's span.
        inside = max(sum(1 for r in b if a0 <= when(r) <= a1), sum(1 for r in a if b0 <= when(r) <= b1))
        print(f"# {FIRST}: {len(a)} requests over {a1 - a0:.2f} s; {SECOND}: {len(b)} over {b1 - b0:.2f} s; "
              f"overlap {overlap:.2f} s, {inside} requests of one inside the other's span", flush=True)
        # Run one after the other, the overlap would be nothing and no request of one would fall
        # inside the other's span.
        return (len(a) == N_OBJECTS and len(b) == N_OBJECTS and overlap > 0.5 * min(a1 - a0, b1 - b0) and
                inside > N_OBJECTS // 2 and not idle) \
            or print(f"# {OTHER}: {len(idle)} requests")

    tap.check("the stand-in's request log shows both vaults backed up at the same time, and not the "
              "third", parallel)

    def history():
        lines = [e for e in history_lines() if e.get("operation") == "backup"]
        vaults = sorted(e.get("vault") for e in lines)
        folders = sorted(e.get("folder") for e in lines)
        ok = (vaults == [FIRST, SECOND] and all(e.get("result") == "succeeded" for e in lines) and
              folders == [os.path.join(backups, FIRST), os.path.join(backups, SECOND)])
        # The window closes; a plain click picks one vault again, and the bar goes.
        # Without a window manager the backups' window sits over the sidebar: Escape closes it.
        geo = wait_for(lambda: x_window("^Backup of 2 Vaults$"), 10, what="the backups' X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", geo["WINDOW"], "key", "Escape"], check=False)
        app.toplevel_gone("Backup of 2 Vaults")
        app.refocus()
        click_at(vault_row(OTHER))
        # The bar's button stands for win.backup-vaults, which one vault turns off.
        wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                              a.name.startswith("_Back Up 2") and "sensitive" in kvbgui.states(a),
                              no_tables) is None, 10, what="Back Up 2 Vaults to be turned off")
        chosen = wait_for(lambda: selected_vaults() == [OTHER] and selected_vaults(), 10, what="one vault")
        return (ok and chosen == [OTHER]) or print(f"# {lines} chosen={chosen}")

    tap.check("the history has one line per vault with its folder, and a plain click chooses one vault again",
              history)
except Exception as e:  # noqa: BLE001 - every check not reached fails
    print(f"# {type(e).__name__}: {e}", flush=True)
finally:
    rc = app.stop()
    standin.stop()
    shutil.rmtree(work, ignore_errors=True)

sys.exit(tap.finish())
