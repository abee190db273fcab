#!/usr/bin/python3
# test_whole_vault.py: whole vaults in the window, as a person does it, over the accessibility bus
# with real input.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The stand-in runs with tests/gui/seed-whole-vault.json (a vault of about 300 objects of the three
# kinds: certificate-managed keys and secrets, several versions, and a secret of 501 versions that
# Key Vault refuses to back up), a throttle well under the real limit and, while the backup runs,
# 503s and dropped connections.  A service principal signs in through the CONNECT proxy at the
# real host names.  Back Up Vault goes through the real folder dialog; it is cancelled half-way and
# resumed; progress and summary are read back over AT-SPI and the folder is checked on disk
# (manifest, 0600 files, SHA-256); the History (Ctrl+H) lists both runs, newest first.  Restore
# Folder brings everything back into an empty vault (checked with Microsoft's Python SDK at the
# stand-in); a dropped folder starts the same flow, a dropped folder without manifest.json is
# refused; a restore into another geography is refused with nothing sent (the stand-in's request
# log); Compare with Vault names a deleted, an added and a changed object.

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()
for tool in ("xdotool",):
    if shutil.which(tool) is None:
        print(f"Bail out! {tool} is missing (build-aux/deps.sh installs it)", flush=True)
        sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "seed-whole-vault.json")
VAULT = "fabrikam-kv"
EMPTY = "fabrikam-restore-kv"     # northeurope: the same geography as westeurope
DROP = "fabrikam-drop-kv"         # westeurope, empty: where a folder is dropped
TOKYO = "fabrikam-tokyo-kv"       # japaneast: another geography
DRAG_SOURCE = os.path.join(os.environ.get("KVB_BUILD_ROOT", ""), "tests", "gui", "kvb-test-drag-source")
KEY_s, KEY_o, KEY_c = 0x73, 0x6f, 0x63
# Under AddressSanitizer every answer on the accessibility bus takes many times longer.
SLOW = 4 if "ASAN_OPTIONS" in os.environ else 1

# The pacer keeps under 90 % of the real limit; a tighter throttle makes the vault push back.
standin = kvbgui.Standin("test-whole-vault", ["--seed", SEED, "--throttle", "25/1"], proxy=True)
info = standin.info
os.environ.update({"HTTPS_PROXY": info["proxy"], "https_proxy": info["proxy"],
                   "REQUESTS_CA_BUNDLE": info["ca"], "NO_PROXY": "127.0.0.1,localhost",
                   "no_proxy": "127.0.0.1,localhost"})

from azure.identity import ClientSecretCredential  # noqa: E402
from azure.keyvault.certificates import CertificateClient  # noqa: E402
from azure.keyvault.keys import KeyClient  # noqa: E402
from azure.keyvault.secrets import SecretClient  # noqa: E402

credential = ClientSecretCredential(info["tenant"], info["client_id"], info["client_secret"])


def sdk(kind, vault):
    url = f"https://{vault}.vault.azure.net"
    return {"secret": SecretClient, "key": KeyClient, "certificate": CertificateClient}[kind](url, credential)


work = tempfile.mkdtemp(prefix="test-whole-vault-", dir=os.path.join(os.environ.get("KVB_BUILD_ROOT", "."),
                                                                     "tests", "gui", "out"))
backups = os.path.join(work, "backups")
os.makedirs(backups)

tap = kvbgui.Tap(14)
app = kvbgui.App("test-whole-vault", {"SSL_CERT_FILE": info["ca"]})
drag = None
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


def requests_to(vault, method=None, suffix=None):
    return [r for r in standin.requests()
            if (r.get("host") or "").split(":")[0] == f"{vault}.vault.azure.net"
            and (method is None or r.get("method") == method)
            and (suffix is None or (r.get("path") or "").endswith(suffix))
            and r.get("status") != 401]


def manifest_path():
    folders = [d for d in os.listdir(backups) if d.startswith(VAULT + "-")]
    return os.path.join(backups, folders[0], "manifest.json") if len(folders) == 1 else None


def load_manifest():
    with open(manifest_path()) as f:
        return json.load(f)


try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def no_tables(a):
        """The object lists, a card's rows and a restore plan hold hundreds of rows: walking them
        over the bus is slow, keeps the application busy, and rows torn down while a vault is
        switched may never answer."""
        return a.getRoleName() == "tree table" or a.name in ("Backup files", "Objects of the operation")

    def label(pred, root=None):
        return find(root or frame, lambda a: a.getRoleName() == "label" and pred(a.name), no_tables)

    def text(pred, root=None):
        """The text of the first label that @pred accepts, read at once: the label's accessible
        may be replaced while the window changes, its words stay."""
        a = label(pred, root)
        return a.name if a is not None else None

    def press_button(name, root, timeout=10):
        """Clicks a button, looking it up again if it went stale meanwhile."""
        def attempt():
            click(button(name, root, 2))
            return True
        return wait_for(attempt, timeout, interval=0.3, what=f"a click on {name!r}")

    def button(name, root=None, timeout=10):
        return wait_for(lambda: find(root or frame, lambda a: a.getRoleName() == "push button" and
                                     a.name == name and "click" in kvbgui.actions(a), no_tables),
                        timeout, what=f"button {name!r}")

    def enabled(acc):
        return acc if acc is not None and "sensitive" in kvbgui.states(acc) else None

    def sidebar():
        return find(frame, by("list", "Subscriptions and vaults"), no_tables)

    def table(name="Secrets"):
        return find(frame, by("tree table", name))

    def rows_text(tbl):
        return [a.name for a in find_all(tbl, by("label"))] if tbl is not None else []

    def click_at(acc):
        """A real pointer click in the middle of @acc (AT-SPI gives window-relative extents)."""
        import pyatspi
        geo = x_window("^Key Vault Backup$")
        fx, fy, fw, fh = frame.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        mx, my = (int(geo["WIDTH"]) - fw) // 2, (int(geo["HEIGHT"]) - fh) // 2
        x, y, w, h = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        subprocess.run(["xdotool", "mousemove", "--sync", str(int(geo["X"]) + mx + x + w // 2),
                        str(int(geo["Y"]) + my + y + h // 2), "click", "1"], check=True)
        subprocess.run(["xdotool", "mousemove", "5", "795"], check=False)

    def pick_vault(name, first_secret=None):
        """A click on the vault in the sidebar, as a person does: switching away from a vault of
        hundreds of objects takes the window a while, and a selection asked over the bus would
        wait for it (and time out)."""
        lst = wait_for(sidebar, what="the sidebar")
        row = wait_for(lambda: find(lst, by("label", name)), 30, what=f"{name} in the sidebar")
        click_at(row)
        # Let the page tear down the lists of the vault shown before: GTK 4.8 may never answer a
        # question about a row that went meanwhile.
        time.sleep(3.0)
        if first_secret:
            wait_for(lambda: first_secret in rows_text(table()), 60, what=f"the secrets of {name}")

    def press(keysym):
        app.refocus()
        kvbgui.key_combo(keysym, ctrl=True, shift=True)

    def toplevel(name, roles):
        """A window of the application by its title, without walking the main window."""
        for i in range(app.app.childCount):
            w = app.app.getChildAtIndex(i)
            if w is not None and w.name == name and w.getRoleName() in roles and w.childCount:
                return w
        return None

    def chooser(title):
        w = toplevel(title, ("filler",))
        return w if w is not None and find(w, lambda b: b.getRoleName() == "push button" and
                                           b.name.startswith("_Cancel")) else None

    def choose_folder(title, path, accept):
        """The folder dialog as a person uses it: type the folder's path (a leading / opens the
        location entry) and Return; Return either opens the folder or takes it at once, by GTK's
        mood; when the dialog is still there, its accept button takes the folder shown."""
        wait_for(lambda: chooser(title), 20, what=f"the {title!r} folder dialog")
        geo = wait_for(lambda: x_window(f"^{title}$"), 10, what="its X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", geo["WINDOW"]], check=False)
        subprocess.run(["xdotool", "type", "--delay", "15", path.rstrip("/") + "/"], check=True)
        time.sleep(1.5)
        subprocess.run(["xdotool", "key", "Return"], check=True)
        time.sleep(1.0)

        def still_open():
            try:
                return chooser(title)
            except Exception:  # noqa: BLE001 - the dialog went while it was looked at
                return None
        if still_open() is not None:
            click(wait_for(lambda: enabled(find(chooser(title), lambda a: a.getRoleName() == "push button"
                                                and a.name.startswith(accept))), 10, what=accept))
        wait_for(lambda: chooser(title) is None, 10, what=f"the {title!r} dialog to close")

    # ---- sign in, open the vault ----------------------------------------------------------------

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
        wait_for(lambda: sidebar() is not None and find(sidebar(), by("label", VAULT)), 60,
                 what="the vaults of the service principal")
        pick_vault(VAULT, "app-setting-01")
        menu = find(frame, lambda a: a.getRoleName() in ("push button", "toggle button") and a.name == "Whole Vault")
        return menu is not None

    tap.check("a service principal signs in, opens the vault, and the Whole Vault menu button has a name",
              sign_in)

    # ---- Back Up Vault, cancelled half-way --------------------------------------------------

    def card():
        return find(frame, lambda a: a.getRoleName() != "label" and a.childCount > 0 and
                    (a.name.startswith("Backing up vault") or a.name.startswith("Resuming the backup")),
                    no_tables)

    def progress_label():
        """The line under the card's progress bar; found once, then only its name is read, so that
        the test does not keep the application busy answering the bus."""
        c = wait_for(card, 20 * SLOW, interval=0.5, what="the card of the backup")
        return wait_for(lambda: find(c, lambda a: a.getRoleName() == "label" and "objects finished" in a.name),
                        20 * SLOW, interval=0.3, what="the progress line")

    def progress(detail):
        """(finished, total) from the progress line."""
        m = re.match(r"(\d+) of (\d+) objects finished, \d+ failed, throttled \d+ times", detail.name)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def backup_and_cancel():
        standin.control("/_emulator/faults", {"fail_5xx": 0.05, "drop": 0.02, "retry_after": 0})
        press(KEY_s)
        choose_folder("Back Up Vault", backups, "_Back Up")
        seen = {}
        detail = progress_label()

        def half_way():
            p = progress(detail)
            if p is not None:
                seen["detail"] = detail.name
            return p is not None and p[0] >= 60

        wait_for(half_way, 120 * SLOW, interval=0.1, what="the backup to be a fifth of the way")
        c = wait_for(card, 10 * SLOW, what="the card")
        click(button("_Cancel Cancel", c))
        summary = wait_for(lambda: label(lambda n: n.startswith("Cancelled:") and "backed up" in n, c), 60 * SLOW,
                           interval=0.5, what="the summary of the cancelled backup")
        state["cancel_summary"] = summary.name
        m = load_manifest()
        statuses = [o["status"] for o in m["objects"]]
        resume = button("_Resume Resume", c)
        app.screenshot("whole-vault-cancelled.png")
        tap.ok("detail" in seen, "the progress line says objects finished of those listed, failed and "
               "throttled while the backup runs", seen.get("detail"))
        ok = resume is not None and "done" in statuses and "pending" in statuses and \
            "Resume continues" in summary.name
        return ok or print(f"# {summary.name!r} resume={resume is not None} statuses={sorted(set(statuses))}")

    tap.check("Back Up Vault through the folder dialog shows its progress, and Cancel stops it half-way "
              "with a summary that offers Resume", backup_and_cancel)

    def resume():
        c = wait_for(card, 10 * SLOW, what="the card")
        click(button("_Resume Resume", c))
        summary = wait_for(lambda: label(lambda n: "backed up" in n and "Checked afterwards" in n
                                         and not n.startswith("Cancelled"), c), 150 * SLOW, interval=0.5,
                           what="the summary of the resumed backup")
        state["summary"] = summary.name
        standin.control("/_emulator/faults", {"fail_5xx": 0.0, "drop": 0.0})
        failed = wait_for(lambda: find(c, by("label", "huge-history")), 10, what="the failed object")
        reason = find(c, lambda a: a.getRoleName() == "label" and "500 versions" in a.name)
        app.screenshot("whole-vault-backup.png")
        n503 = sum(1 for r in standin.requests() if r.get("status") == 503)
        n429 = sum(1 for r in standin.requests() if r.get("status") == 429)
        ok = ("240 backed up, 60 covered by their certificate, 1 failed" in summary.name and
              "kept from the earlier run" in summary.name and
              "the folder is whole, 240 files match the manifest" in summary.name and
              failed is not None and reason is not None and n503 > 0 and n429 > 0 and
              ("throttled the backup" in summary.name or "throttled the backup" in state["cancel_summary"]))
        return ok or print(f"# {summary.name!r} 503s={n503} 429s={n429}")

    tap.check("Resume finishes the backup through 503s, drops and throttling: the summary counts backed "
              "up, covered and failed objects and the check of the folder, and names the failed one "
              "with its reason", resume)

    def history():
        # One object failed: that backup is not one "with every object done".
        never = wait_for(lambda: label(lambda n: n == "Never backed up"), 10, what="the last backup line")
        app.refocus()
        kvbgui.key_combo(0x68, ctrl=True)   # Ctrl+H
        dlg = wait_for(lambda: toplevel("History", ("frame", "dialog")), 20, what="the History window")
        lst = wait_for(lambda: find(dlg, by("list", "Operations, newest first")), 20, what="the list")
        names = [a.name for a in find_all(lst, by("label"))]
        app.screenshot("whole-vault-history.png")
        kvbgui.key_combo(0xff1b)   # Escape closes it
        wait_for(lambda: toplevel("History", ("frame", "dialog")) is None, 10, what="the History to close")
        ok = (never is not None and "Some Failed" in names and "Interrupted" in names and
              names.index("Some Failed") < names.index("Interrupted") and
              names.count("Backup") == 2 and
              any(", 1 failed" in n and backups in n for n in names))
        return ok or print(f"# {names!r}")

    tap.check("the History (Ctrl+H) lists the resumed backup with some failed first, then the "
              "interrupted one, with counts and folder; the vault is not yet backed up with every "
              "object done", history)

    def on_disk():
        m = load_manifest()
        folder = os.path.dirname(manifest_path())
        objects = m["objects"]
        by_status = {}
        for o in objects:
            by_status[o["status"]] = by_status.get(o["status"], 0) + 1
        problems = []
        for o in objects:
            if o["status"] != "done":
                continue
            path = os.path.join(folder, o["file"])
            data = open(path, "rb").read()
            if hashlib.sha256(data).hexdigest() != o["sha256"] or len(data) != o["size"]:
                problems.append(f"{o['file']}: checksum or size")
            if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
                problems.append(f"{o['file']}: mode")
        for d in ("", "secrets", "keys", "certificates"):
            if stat.S_IMODE(os.stat(os.path.join(folder, d)).st_mode) != 0o700:
                problems.append(f"{d or 'the folder'}: mode")
        if stat.S_IMODE(os.stat(manifest_path()).st_mode) != 0o600:
            problems.append("manifest.json: mode")
        entry = {(o["kind"], o["name"]): o for o in objects}
        versions_ok = (entry[("secret", "rotated-01")]["versions"] == 3 and
                       entry[("certificate", "mtls-01")]["versions"] == 2 and
                       entry[("key", "tls-01")]["status"] == "covered" and
                       "500 versions" in entry[("secret", "huge-history")].get("reason", ""))
        files = sum(len(os.listdir(os.path.join(folder, d))) for d in ("secrets", "keys", "certificates"))
        ok = (by_status == {"done": 240, "covered": 60, "failed": 1} and not problems and versions_ok and
              files == 240 and m["location"] == "westeurope" and m["subscription"])
        return ok or print(f"# {by_status} {problems[:5]} files={files} versions_ok={versions_ok}")

    tap.check("the folder on disk: a manifest of every object, 240 files of 0600 in folders of 0700 whose "
              "SHA-256 and size match it, versions recorded, the refused object with its reason", on_disk)

    # ---- Compare with Vault -----------------------------------------------------------------

    def compare():
        secrets = sdk("secret", VAULT)
        secrets.begin_delete_secret("app-setting-01").wait()
        secrets.set_secret("added-later", "new")
        time.sleep(1.1)    # "updated" has a resolution of a second
        secrets.set_secret("app-setting-02", "changed")
        press(KEY_c)
        choose_folder("Compare with Vault", os.path.dirname(manifest_path()), "_Compare")
        dlg = wait_for(lambda: toplevel("Compare with Vault", ("frame", "dialog")), 20, what="the Compare window")
        wait_for(lambda: find(dlg, lambda a: a.getRoleName() == "label" and "differs from the backup" in a.name), 60,
                 what="the comparison")

        def section(title):
            return find(dlg, lambda a: a.getRoleName() == "list" and a.name == title)

        def names(title):
            return " | ".join(a.name for a in find_all(section(title), lambda a: a.getRoleName() == "label"))

        added, gone, changed = (names("In the Vault, Not in the Backup"), names("In the Backup, Not in the Vault"),
                                names("Changed Since the Backup"))
        app.screenshot("whole-vault-compare.png")
        kvbgui.key_combo(0xff1b)   # Escape closes it
        wait_for(lambda: toplevel("Compare with Vault", ("frame", "dialog")) is None, 10,
                 what="the Compare window to close")
        ok = ("added-later" in added and "app-setting-01" in gone and "deleted since: it can be recovered" in gone
              and "app-setting-02" in changed and "app-setting-03" not in changed)
        return ok or print(f"# added={added[:200]!r}\n# gone={gone[:200]!r}\n# changed={changed[:200]!r}")

    tap.check("Compare with Vault names an added, a deleted (recoverable) and a changed object", compare)

    # ---- Restore Folder into an empty vault -------------------------------------------------

    def restore_dialog():
        return toplevel("Restore Folder", ("frame", "dialog"))

    def restore_folder():
        pick_vault(EMPTY)
        press(KEY_o)
        choose_folder("Restore Folder", os.path.dirname(manifest_path()), "_Restore")
        dlg = wait_for(restore_dialog, 20, what="the Restore Folder window")
        wait_for(lambda: label(lambda n: n.startswith("240 objects have free names"), dlg), 60,
                 interval=0.5, what="the plan")
        run = wait_for(lambda: enabled(find(dlg, by("push button", "_Restore Restore", "click"))), 30,
                       what="an enabled Restore button")
        click(run)
        summary = wait_for(lambda: text(lambda n: "Checked afterwards" in n, restore_dialog()), 150 * SLOW,
                           what="the summary of the restore", interval=0.5)
        app.screenshot("whole-vault-restore.png")
        press_button("C_lose Close", restore_dialog())
        wait_for(lambda: restore_dialog() is None, 10, what="the Restore Folder window to close")
        return ("240 restored" in summary and "every object of the backup is in the vault" in summary) \
            or print(f"# {summary!r}")

    tap.check("Restore Folder through the folder dialog shows the plan, restores into an empty vault of the "
              "same geography and says the check afterwards found everything", restore_folder)

    def restored_at_standin():
        m = load_manifest()
        want = {(o["kind"], o["name"]) for o in m["objects"] if o["status"] in ("done", "covered")}
        have = {("secret", p.name) for p in sdk("secret", EMPTY).list_properties_of_secrets()}
        have |= {("key", p.name) for p in sdk("key", EMPTY).list_properties_of_keys()}
        have |= {("certificate", p.name) for p in sdk("certificate", EMPTY).list_properties_of_certificates()}
        versions = (len(list(sdk("secret", EMPTY).list_properties_of_secret_versions("rotated-01"))),
                    len(list(sdk("key", EMPTY).list_properties_of_key_versions("wrapping-01"))),
                    len(list(sdk("certificate", EMPTY).list_properties_of_certificate_versions("mtls-01"))))
        return (have == want and versions == (3, 2, 2)) or print(f"# {len(have)} of {len(want)}, {versions}")

    tap.check("at the stand-in the empty vault now has every object of the backup, with its versions",
              restored_at_standin)

    # ---- drops ------------------------------------------------------------------------------

    def real_drag(path):
        """Drags @path from a second program onto the vault page with real pointer input."""
        global drag
        if drag is not None and drag.poll() is None:
            drag.terminate()
            drag.wait()
        drag = subprocess.Popen([DRAG_SOURCE, path], stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, GDK_BACKEND="x11"))
        assert drag.stdout.readline().strip() == "READY"
        src = wait_for(lambda: x_window("^Backup Files$"), 10, what="the drag source window")["WINDOW"]
        subprocess.run(["xdotool", "windowmove", "--sync", src, "1000", "600"], check=False)
        time.sleep(0.5)
        geo = x_window("^Backup Files$")
        x0, y0 = int(geo["X"]) + int(geo["WIDTH"]) // 2, int(geo["Y"]) + int(geo["HEIGHT"]) // 2
        x1, y1 = 600, 350
        subprocess.run(["xdotool", "mousemove", "--sync", str(x0), str(y0)], check=True)
        time.sleep(0.2)
        subprocess.run(["xdotool", "mousedown", "1"], check=True)
        time.sleep(0.2)
        for i in range(1, 13):
            subprocess.run(["xdotool", "mousemove", str(x0 + (x1 - x0) * i // 12), str(y0 + (y1 - y0) * i // 12)],
                           check=True)
            time.sleep(0.05)
        subprocess.run(["xdotool", "mousemove", str(x1 + 2), str(y1 + 2)], check=True)
        time.sleep(0.3)
        subprocess.run(["xdotool", "mouseup", "1"], check=True)
        # Park the pointer away from the toasts, which do not time out under it.
        subprocess.run(["xdotool", "mousemove", "5", "795"], check=False)

    def drop_plain_folder():
        plain = os.path.join(work, "not-a-backup")
        os.makedirs(plain, exist_ok=True)
        before = len(requests_to(EMPTY, "POST"))
        real_drag(plain)
        toast = wait_for(lambda: label(lambda n: "has no manifest.json" in n), 10, what="the refusal")
        return toast is not None and restore_dialog() is None and len(requests_to(EMPTY, "POST")) == before

    tap.check("a dropped folder without manifest.json is refused with a sentence, and nothing is sent",
              drop_plain_folder)

    def drop_backup_folder():
        pick_vault(DROP)
        real_drag(os.path.dirname(manifest_path()))
        dlg = wait_for(restore_dialog, 20, what="the Restore Folder window after the drop")
        plan = wait_for(lambda: label(lambda n: n.startswith("240 objects have free names"), dlg), 60,
                        interval=0.5, what="the plan of the dropped folder")
        press_button("C_lose Close", restore_dialog())
        wait_for(lambda: restore_dialog() is None, 10, what="the window to close")
        return plan is not None and not requests_to(DROP, "POST")

    tap.check("a backup folder dropped on the page opens the same Restore Folder plan, and closing it sends "
              "nothing", drop_backup_folder)

    # ---- another geography ------------------------------------------------------------------

    def other_geography():
        pick_vault(TOKYO)
        # The page lists the vault when it opens; wait for that to settle.
        time.sleep(2.0)
        before = len(requests_to(TOKYO))
        press(KEY_o)
        choose_folder("Restore Folder", os.path.dirname(manifest_path()), "_Restore")
        dlg = wait_for(restore_dialog, 20, what="the Restore Folder window")
        refusal = wait_for(lambda: find(restore_dialog(), lambda a: "another geography" in (a.name or ""),
                                        no_tables).name, 20, what="the refusal")
        title = wait_for(lambda: find(restore_dialog(), lambda a: (a.name or "") == "This Backup Cannot Be Restored Here"),
                         10, what="the refusal's title")
        app.screenshot("whole-vault-geography.png")
        time.sleep(1.0)
        after = len(requests_to(TOKYO))
        press_button("C_lose Close", restore_dialog())
        wait_for(lambda: restore_dialog() is None, 10, what="the window to close")
        ok = title is not None and "Nothing was sent" in refusal and after == before
        return ok or print(f"# requests {before} -> {after}: {refusal!r}")

    tap.check("a restore into a vault of another geography is refused with a sentence, and nothing is sent",
              other_geography)

finally:
    if drag is not None and drag.poll() is None:
        drag.terminate()
    status = app.stop()
    standin.stop()
    shutil.rmtree(work, ignore_errors=True)
tap.ok(status == 0, "the application exits cleanly on SIGTERM", f"exit status {status}")
# Besides the desktop's missing notification server, one warning is GTK 4.8's own: once a vault's
# lists were reloaded after a restore, switching to an empty vault makes the column view say on
# every frame that it "failed to scroll to given position" until the next switch.  It is not a
# whole-vault matter (the same page reload follows Restore Backup); every other warning is ours.
lines = [line for line in open(app.log_path).read().splitlines()
         if ("CRITICAL" in line or "-WARNING" in line) and "org.freedesktop.Notifications" not in line
         and "GtkColumnListView failed to scroll to given position" not in line]
tap.ok(not lines, "no critical or warning was logged", "\n".join(lines[-20:]))

sys.exit(tap.finish())
