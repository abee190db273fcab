#!/usr/bin/python3
# test_vault_page.py: the main window's job, as a person does it, over the accessibility bus with
# real input.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The stand-in runs with tests/gui/seed-vault-page.json and its CONNECT proxy: the application
# reaches Microsoft Entra ID, Resource Manager and tailspin-kv.vault.azure.net at their real host
# names, trusting the stand-in's CA (https_proxy, SSL_CERT_FILE), as it would in an office behind a
# proxy.  A service principal signs in from the welcome page; a file dropped before any vault is
# open is refused with a sentence; tailspin-kv is opened, listed over
# several pages, filtered and selected; Download Backup goes through the real save dialog and the
# file restores with Microsoft's Python SDK; Restore Backup goes through the real open dialog, onto
# a free, a soft-deleted (recover, purge then restore) and a live name; a file dragged from a second
# program restores; a vault the identity cannot list names the permission; the Deleted page
# recovers and purges; a multi-object download into a folder finishes through a 503 storm and
# throttling.

import json
import os
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
SEED = os.path.join(HERE, "seed-vault-page.json")
VAULT = "tailspin-kv"
VAULT_URL = f"https://{VAULT}.vault.azure.net"
DRAG_SOURCE = os.path.join(os.environ.get("KVB_BUILD_ROOT", ""), "tests", "gui", "kvb-test-drag-source")

standin = kvbgui.Standin("test-vault-page", ["--seed", SEED], proxy=True)
info = standin.info
# Microsoft's SDK (the check of our files) goes through the same proxy; the test's own calls to
# the stand-in's control port go straight to it.
os.environ.update({"HTTPS_PROXY": info["proxy"], "https_proxy": info["proxy"],
                   "REQUESTS_CA_BUNDLE": info["ca"], "NO_PROXY": "127.0.0.1,localhost",
                   "no_proxy": "127.0.0.1,localhost"})

from azure.identity import ClientSecretCredential  # noqa: E402
from azure.keyvault.secrets import SecretClient  # noqa: E402

sdk = SecretClient(VAULT_URL, ClientSecretCredential(info["tenant"], info["client_id"], info["client_secret"]))
work = tempfile.mkdtemp(prefix="test-vault-page-", dir=os.path.join(os.environ.get("KVB_BUILD_ROOT", "."),
                                                                   "tests", "gui", "out"))

tap = kvbgui.Tap(20)
app = kvbgui.App("test-vault-page", {"SSL_CERT_FILE": info["ca"]})
drag = None


def sdk_versions(name):
    return len(list(sdk.list_properties_of_secret_versions(name)))


def sdk_delete(name, purge):
    sdk.begin_delete_secret(name).wait()
    if purge:
        sdk.purge_deleted_secret(name)
        # Purging completes in the background; the name is free once it is gone from both lists.
        def gone():
            try:
                sdk.get_deleted_secret(name)
                return False
            except Exception:  # noqa: BLE001
                return True
        wait_for(gone, 30, what=f"{name} to be purged")
        # The purge finishes in the background (the seed's purge delay); then the name is free.
        time.sleep(1.0)


def x_window(title):
    """The X geometry of the visible window named @title (GTK also has a 1×1 leader window)."""
    for win in subprocess.run(["xdotool", "search", "--name", title], capture_output=True,
                              text=True).stdout.split():
        geo = dict(line.split("=") for line in subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", win], capture_output=True, text=True).stdout.split())
        if int(geo["WIDTH"]) > 50 and int(geo["HEIGHT"]) > 50:
            return geo
    return None


def restore_posts():
    return [r for r in standin.requests()
            if r.get("method") == "POST" and (r.get("path") or "").endswith("/secrets/restore")
            and r.get("status") != 401]


try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def entry(title, root=None):
        return wait_for(lambda: find(root or frame, lambda a: a.getRoleName() in ("text", "password text") and
                                     a.name == title), what=title)

    def button(name, root=None, timeout=10):
        return wait_for(lambda: find(root or frame, lambda a: a.getRoleName() == "push button" and
                                     a.name == name and "click" in kvbgui.actions(a)),
                        timeout, what=f"button {name!r}")

    def enabled(acc):
        return acc if acc is not None and "sensitive" in kvbgui.states(acc) else None

    def sidebar():
        return find(frame, by("list", "Subscriptions and vaults"))

    def table(name="Secrets"):
        return find(frame, by("tree table", name))

    def rows_text(tbl):
        return [a.name for a in find_all(tbl, by("label"))] if tbl is not None else []

    def pick_vault(name):
        lst = wait_for(sidebar, what="the sidebar")
        wait_for(lambda: find(lst, by("label", name)), 30, what=f"{name} in the sidebar")
        rows = [lst.getChildAtIndex(i) for i in range(lst.childCount)]
        index = next(i for i, r in enumerate(rows) if find(r, by("label", name)))
        # The sidebar chooses several vaults at once: a selection over the bus adds to it, so the
        # one chosen before is let go first, as a plain click does.
        sel = lst.querySelection()
        sel.clearSelection()
        sel.selectChild(index)

    # ---- sign in as the service principal, at the real host names -----------------------------

    def sign_in():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                    a.name.startswith("Sign in as a service principal") and
                                    "click" in kvbgui.actions(a)), what="the service principal button"))
        kvbgui.set_text(entry("Tenant ID or domain"), info["tenant"])
        kvbgui.set_text(entry("Application (client) ID"), info["client_id"])
        kvbgui.set_text(entry("Client secret"), info["client_secret"])
        click(wait_for(lambda: enabled(find(frame, lambda a: a.getRoleName() == "push button" and
                                              a.name.startswith("_Sign In as Service Principal"))),
                       what="an enabled Sign In button"))
        wait_for(lambda: sidebar() is not None and find(sidebar(), by("label", VAULT)), 60,
                 what="the vaults of the service principal")
        hosts = {r.get("host", "").split(":")[0] for r in standin.requests()}
        return {"login.microsoftonline.com", "management.azure.com"} <= hosts

    tap.check("a service principal signs in through the proxy at the real host names and sees its vaults",
              sign_in)

    def restore_dialog():
        return find(app.app, lambda a: a.getRoleName() in ("frame", "dialog") and a.name == "Restore Backup")

    # ---- a real drag from a second program ---------------------------------------------------

    def real_drag(path, while_over=None):
        """Drags @path from a second program onto the vault page with real pointer input (XTEST),
        as gui-testing notes show: spaced motions, and a pause over the target before the release.
        @while_over() runs while the pointer is over the page, before the drop; its result is
        returned."""
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
        x1, y1 = 600, 350   # the vault page's lists
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
        over = while_over() if while_over is not None else None
        subprocess.run(["xdotool", "mouseup", "1"], check=True)
        return over

    # ---- a drop before any vault is open ------------------------------------------------------

    def drop_without_vault():
        """Files dropped where the vault page will be, before a vault is chosen, are not restored
        anywhere: a sentence says to choose a vault first."""
        stray = os.path.join(work, "before-any-vault.kvbackup")
        with open(stray, "w", encoding="ascii") as f:
            f.write("not read: no vault is open\n")
        real_drag(stray)
        toast = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and
                                      "Choose a vault in the sidebar first" in a.name), 10,
                         what="the sentence about choosing a vault")
        return toast is not None and restore_dialog() is None and not restore_posts()

    tap.check("backup files dropped before a vault is open are refused with a sentence", drop_without_vault)

    # ---- the vault page: several pages, filter, sort, select ----------------------------------

    def open_vault():
        pick_vault(VAULT)
        wait_for(lambda: table() is not None and {"api-token", "db-password"} <= set(rows_text(table())), 30,
                 what="the secrets of the vault")
        header = find(frame, lambda a: a.getRoleName() == "label" and "purge protection off" in a.name)
        pages = [r for r in standin.requests() if r.get("method") == "GET" and r.get("path") == "/secrets"
                 and r.get("status") == 200]
        return header is not None and "westeurope" in header.name and len(pages) >= 3

    tap.check("the vault page names its location and protection and lists the secrets over several pages",
              open_vault)

    def filter_rows():
        search = wait_for(lambda: find(frame, lambda a: a.name == "Filter by name or tag" and
                                       a.getRoleName() in ("text", "entry")), what="the filter")
        kvbgui.set_text(search, "page-6")
        # page-60 came on the third page: the whole listing is there, and only it matches.
        wait_for(lambda: "page-60" in rows_text(table()) and "db-password" not in rows_text(table()), 10,
                 what="the filtered rows")
        kvbgui.set_text(search, "")
        wait_for(lambda: "db-password" in rows_text(table()), 10, what="every row again")
        return True

    tap.check("typing in the filter narrows the list to the matching secret of the last page", filter_rows)

    def click_at(acc):
        """A real pointer click in the middle of @acc (AT-SPI gives window-relative extents)."""
        geo = x_window("^Key Vault Backup$")
        import pyatspi
        fx, fy, fw, fh = frame.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        mx, my = (int(geo["WIDTH"]) - fw) // 2, (int(geo["HEIGHT"]) - fh) // 2
        x, y, w, h = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        subprocess.run(["xdotool", "mousemove", "--sync", str(int(geo["X"]) + mx + x + w // 2),
                        str(int(geo["Y"]) + my + y + h // 2), "click", "1"], check=True)

    def sort_rows():
        header = wait_for(lambda: find(table(), by("label", "Name")), what="the Name column header")
        first = lambda: [n for n in rows_text(table()) if n in ("api-token", "page-60", "page-59")][:1]  # noqa: E731
        before = first()
        click_at(header)
        wait_for(lambda: first() != before, 10, what="the order to change")
        click_at(header)
        wait_for(lambda: first() == before, 10, what="the order to come back")
        return True

    tap.check("the Name column sorts both ways", sort_rows)

    def rows_of(tbl):
        """The accessible that holds a column view's rows and selects them (GTK 4.8: a list)."""
        def selectable(a):
            try:
                a.querySelection()
                return a.getRoleName() != "tree table"
            except NotImplementedError:
                return False
        return find(tbl, selectable)

    def select_rows(names, tbl=None):
        rows = rows_of(tbl or table())
        sel = rows.querySelection()
        sel.clearSelection()
        for i in range(rows.childCount):
            row = rows.getChildAtIndex(i)
            if row is not None and any(find(row, by("label", n)) for n in names):
                sel.selectChild(i)
        return sel.nSelectedChildren

    tap.ok(select_rows(["api-token", "db-password"]) == 2, "several rows can be selected")

    # ---- Download Backup of one secret, through the real save dialog --------------------------

    saved = os.path.join(work, f"{VAULT}.db-password.secret.kvbackup")

    def download_one():
        select_rows(["db-password"])
        click(button("Download Backup"))
        name = wait_for(lambda: find(app.app, lambda a: a.getRoleName() == "text" and a.name == "Name:"), 20,
                        what="the save dialog's name field")
        suggested = kvbgui.text_of(name)
        kvbgui.set_text(name, saved)
        dialog = name
        while dialog.parent is not None and dialog.getRoleName() not in ("dialog", "frame", "filler"):
            dialog = dialog.parent
        click(wait_for(lambda: find(app.app, by("push button", "_Save Save", "click")), what="_Save"))
        wait_for(lambda: os.path.exists(saved), 30, what="the saved file")
        mode = stat.S_IMODE(os.stat(saved).st_mode)
        toast = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and "db-password" in a.name
                                      and "saved" in a.name), 10, what="the toast")
        return suggested == os.path.basename(saved) and mode == 0o600 and toast is not None

    tap.check("Download Backup saves one secret through the save dialog, with the suggested name, 0600",
              download_one)

    def sdk_restores():
        sdk_delete("db-password", purge=True)
        with open(saved, "rb") as f:
            sdk.restore_secret_backup(f.read())
        return sdk_versions("db-password") == 3 and sdk.get_secret("db-password").value == "third-value"

    tap.check("the file restores with Microsoft's Python SDK, all three versions back", sdk_restores)

    # ---- Restore Backup through the open dialog ----------------------------------------------

    def chooser(title):
        return find(app.app, lambda a: a.getRoleName() == "filler" and a.name == title and
                    find(a, lambda b: b.getRoleName() == "push button" and b.name in
                         ("_Open Open", "_Download Download", "_Save Save")))

    def type_into_chooser(title, path):
        """As a person does: focus the dialog, type the path (a leading / opens the location
        entry) and press Return; the first Return can come too early while the dialog loads."""
        wait_for(lambda: chooser(title), 20, what=f"the {title!r} file chooser")
        geo = wait_for(lambda: x_window(f"^{title}$"), 10, what="its X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", geo["WINDOW"]], check=False)
        subprocess.run(["xdotool", "type", "--delay", "15", path], check=True)
        time.sleep(1.5)
        for attempt in range(4):
            subprocess.run(["xdotool", "key", "Return"], check=True)
            try:
                wait_for(lambda: chooser(title) is None, 2.0, what="the chooser to close")
                return True
            except TimeoutError:
                pass
        return False

    def open_file_in_chooser(path):
        click(button("Restore Backup"))
        type_into_chooser("Restore Backup", path)

    def run_restore(expect):
        dlg = wait_for(restore_dialog, 20, what="the Restore Backup window")
        run = wait_for(lambda: enabled(find(dlg, by("push button", "_Restore Restore", "click"))), 30,
                       what="an enabled Restore button")
        click(run)
        summary = wait_for(lambda: find(dlg, lambda a: a.getRoleName() == "label" and expect in a.name), 60,
                           what=f"the summary {expect!r}")
        click(button("C_lose Close", dlg))
        wait_for(lambda: restore_dialog() is None, 10, what="the Restore Backup window to close")
        return summary is not None

    def restore_free():
        sdk_delete("db-password", purge=True)
        open_file_in_chooser(saved)
        dlg = wait_for(restore_dialog, 20, what="the Restore Backup window")
        wait_for(lambda: find(dlg, by("label", "Free")), 30, what="the file's state")
        return run_restore("1 restored") and sdk_versions("db-password") == 3

    tap.check("Restore Backup through the open dialog brings a purged secret back with its versions",
              restore_free)

    def restore_soft_deleted(choice, expect):
        sdk_delete("db-password", purge=False)
        open_file_in_chooser(saved)
        dlg = wait_for(restore_dialog, 20, what="the Restore Backup window")
        wait_for(lambda: find(dlg, lambda a: a.getRoleName() == "label" and a.name.startswith("Deleted on")), 30,
                 what="the soft-deleted state")
        click(wait_for(lambda: find(dlg, lambda a: a.getRoleName() in ("push button", "toggle button", "radio button")
                                    and choice in a.name), what=choice))
        if "Purge" in choice:
            confirm = wait_for(lambda: find(app.app, by("push button", "_Purge and Restore Purge and Restore", "click")),
                               what="the purge confirmation")
            click(confirm)
        return run_restore(expect) and sdk_versions("db-password") == 3

    tap.check("onto a soft-deleted name, Recover brings it back",
              lambda: restore_soft_deleted("Recover", "1 restored"))
    tap.check("onto a soft-deleted name, Purge and Restore asks, purges and restores",
              lambda: restore_soft_deleted("Purge and Restore", "1 restored"))

    def restore_live():
        before = len(restore_posts())
        open_file_in_chooser(saved)
        dlg = wait_for(restore_dialog, 20, what="the Restore Backup window")
        wait_for(lambda: find(dlg, lambda a: a.getRoleName() == "label" and a.name.startswith("Already exists")), 30,
                 what="the live state")
        return run_restore("1 skipped") and len(restore_posts()) == before

    tap.check("onto a live name the file is skipped and no restore is sent", restore_live)

    def drag_and_drop():
        sdk_delete("db-password", purge=True)

        def overlay():
            shown = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and
                                          f"restored into vault “{VAULT}”" in a.name), 5, what="the drop overlay")
            app.screenshot("vault-page-drop.png")
            return shown

        shown = real_drag(saved, overlay)
        dlg = wait_for(restore_dialog, 20, what="the Restore Backup window after the drop")
        wait_for(lambda: find(dlg, by("label", "Free")), 30, what="the dropped file's state")
        return shown is not None and run_restore("1 restored") and sdk_versions("db-password") == 3

    tap.check("a backup file dragged from another program and dropped on the vault restores it", drag_and_drop)

    def drop_folder():
        """A folder without manifest.json dropped on the page is refused with a sentence; nothing
        is sent.  (A whole-vault backup folder is restored: see test_whole_vault.py.)"""
        before = len(restore_posts())
        real_drag(work)
        toast = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and
                                      "has no manifest.json" in a.name), 10, what="the refusal")
        return toast is not None and restore_dialog() is None and len(restore_posts()) == before

    tap.check("a dropped folder that is no vault backup is refused with a sentence, and nothing is restored",
              drop_folder)

    # ---- the Deleted page --------------------------------------------------------------------

    def deleted_page():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "page tab" and a.name == "Deleted"),
                       what="the Deleted tab"))
        tbl = wait_for(lambda: table("Deleted secrets"), 10, what="the deleted secrets")
        wait_for(lambda: {"old-secret", "gone-secret"} <= set(rows_text(table("Deleted secrets"))), 30,
                 what="the deleted secrets listed")

        def select(name):
            return select_rows([name], table("Deleted secrets")) == 1

        wait_for(lambda: select("old-secret"), what="old-secret selected")
        click(button("_Recover Recover"))
        wait_for(lambda: sdk.get_secret("old-secret") is not None, 30, what="old-secret recovered")
        wait_for(lambda: select("gone-secret"), what="gone-secret selected")
        click(button("_Purge… Purge…"))
        click(wait_for(lambda: find(app.app, by("push button", "_Purge Purge", "click")), what="the confirmation"))

        def purged():
            try:
                sdk.get_deleted_secret("gone-secret")
                return False
            except Exception:  # noqa: BLE001
                return True
        wait_for(purged, 30, what="gone-secret purged")
        return tbl is not None

    tap.check("the Deleted page recovers one object and purges another after a confirmation", deleted_page)

    # ---- several objects into a folder, through a 503 storm ----------------------------------

    def download_folder():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "page tab" and a.name == "Secrets"),
                       what="the Secrets tab"))
        wait_for(lambda: "db-password" in rows_text(table()), 30, what="the secrets again")
        wait_for(lambda: select_rows(["api-token", "db-password", "page-01", "page-02"]) == 4, what="4 selected")
        # A 503 storm and a tight vault throttle: the window's pacer runs at the real service's
        # limit, so the stand-in answers 429 and the job must sit them out.  The first two
        # requests of the download answer 503 for sure, a third of the rest by chance, and the
        # vault takes one request in 5 s: the downloads start together, so the others are
        # answered 429 and must sit out the Retry-After.
        standin.control("/_emulator/faults", {"fail_5xx": 0.3, "fail_next": 2, "retry_after": 0,
                                              "throttle": "1/5"})
        folder = os.path.join(work, "several")
        os.makedirs(folder)
        started = time.monotonic()
        click(button("Download Backup"))
        # Into the folder, then "Download" takes the folder shown.
        wait_for(lambda: chooser("Download Backups"), 20, what="the folder dialog")
        geo = wait_for(lambda: x_window("^Download Backups$"), 10, what="its X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", geo["WINDOW"]], check=False)
        subprocess.run(["xdotool", "type", "--delay", "15", folder + "/"], check=True)
        time.sleep(1.5)
        subprocess.run(["xdotool", "key", "Return"], check=True)
        time.sleep(1.0)
        # Return on a folder's path either opens the folder or takes it at once, by GTK's mood;
        # when the dialog is still there, "Download" takes the folder shown.
        if chooser("Download Backups") is not None:
            click(wait_for(lambda: enabled(find(chooser("Download Backups"), lambda a: a.getRoleName() ==
                                                "push button" and a.name.startswith("_Download"))),
                           what="_Download"))
        summary = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and a.name.startswith("4 saved")),
                           120, what="the summary of the download")
        standin.control("/_emulator/faults", {"fail_5xx": 0.0, "fail_next": 0, "throttle": "4000/10"})
        # The folder is a backup folder: the files in the kind sub-folder, and a manifest that
        # records them done and that `kvbackup verify` finds true.
        top = sorted(os.listdir(folder))
        secrets = os.path.join(folder, "secrets")
        files = sorted(os.listdir(secrets)) if os.path.isdir(secrets) else []
        with open(os.path.join(folder, "manifest.json")) as f:
            manifest = json.load(f)
        done = sorted(o["name"] for o in manifest["objects"] if o.get("status") == "done")
        verify = subprocess.run([os.path.join(os.environ.get("KVB_BUILD_ROOT", "."), "src", "cli", "kvbackup"),
                                 "verify", folder], capture_output=True, text=True, timeout=60)
        print(f"# {top}: {files}; done {done}; verify {verify.returncode}: {verify.stdout.strip()}",
              flush=True)
        n503 = sum(1 for r in standin.requests() if r.get("status") == 503)
        n429 = sum(1 for r in standin.requests() if r.get("status") == 429)
        print(f"# {n503} answers 503 and {n429} answers 429 during the download, "
              f"{time.monotonic() - started:.0f} s to its summary", flush=True)
        app.screenshot("vault-page-download.png")
        return summary is not None and "manifest.json" in top and len(files) == 4 and \
            all(f.endswith(".secret.kvbackup") for f in files) and \
            done == ["api-token", "db-password", "page-01", "page-02"] and verify.returncode == 0 and \
            n503 > 0 and n429 > 0 and \
            all(stat.S_IMODE(os.stat(os.path.join(secrets, f)).st_mode) == 0o600 for f in files)

    tap.check("four secrets download into a folder through a 503 storm and throttling, with the summary read back",
              download_folder)

    # ---- a vault that cannot be listed --------------------------------------------------------

    def locked_vault():
        pick_vault("tailspin-locked-kv")
        msg = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and "list" in a.name.lower()
                                    and ("role" in a.name.lower() or "permission" in a.name.lower())), 30,
                       what="the missing permission")
        app.screenshot("vault-page-forbidden.png")
        return msg is not None

    tap.check("a vault whose secrets cannot be listed names the missing permission", locked_vault)

    def screenshot():
        pick_vault(VAULT)
        wait_for(lambda: "db-password" in rows_text(table()), 30, what="the secrets")
        path = app.screenshot("vault-page.png")
        w, h = kvbgui.png_size(path)
        return w >= 600 and h >= 400

    tap.check("a screenshot of the vault page is written to the build folder", screenshot)
finally:
    if drag is not None and drag.poll() is None:
        drag.terminate()
    status = app.stop()
    standin.stop()
    shutil.rmtree(work, ignore_errors=True)
tap.ok(status == 0, "the application exits cleanly on SIGTERM", f"exit status {status}")
# The test session has no notification server: the one warning that may say so is the desktop's
# business, every other warning or critical is ours.
lines = [line for line in open(app.log_path).read().splitlines()
         if ("CRITICAL" in line or "-WARNING" in line) and "org.freedesktop.Notifications" not in line]
tap.ok(not lines, "no critical or warning was logged", "\n".join(lines[-20:]))

sys.exit(tap.finish())
