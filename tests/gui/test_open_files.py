#!/usr/bin/python3
# test_open_files.py: backup files opened from the file manager or the command line.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts key-vault-backup with two backup files as arguments (as the desktop file's %U does) and,
# over the accessibility bus: with no vault open, a sentence asks to choose one and nothing is
# restored; a second start with a folder hands it to the running application, which refuses it
# with a sentence, and the second process ends at once; a third start with one file is kept
# pending; once the sample cloud is signed in and a vault picked, the Restore Backup window opens
# for that file.

import base64
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()

RECORDING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "recordings",
                         "azure-sdk-for-cpp__KeyVaultSecretClientTest.BackupRestore.json")


def real_blob():
    """The bytes of a secret's backup, as az writes them, from a recorded Key Vault answer."""
    with open(RECORDING, encoding="utf-8") as f:
        text = f.read()
    start = text.index("KUF6dXJlS2V5VmF1")
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] in "-_"):
        end += 1
    value = text[start:end]
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


build = os.environ.get("KVB_BUILD_ROOT", os.getcwd())
outdir = os.path.join(build, "tests", "gui", "out")
os.makedirs(outdir, exist_ok=True)
work = tempfile.mkdtemp(prefix="test-open-files-", dir=outdir)
blob = real_blob()
first = [os.path.join(work, n) for n in ("contoso.db-password.secret.kvbackup", "contoso.api-key.secret.kvbackup")]
later = os.path.join(work, "fabrikam.smtp-password.secret.kvbackup")
for path in first + [later]:
    with open(path, "wb") as f:
        f.write(blob)
folder = os.path.join(work, "a-folder")
os.makedirs(folder)

tap = kvbgui.Tap(6)
app = kvbgui.App("test-open-files", args=first)
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def label_with(text):
        return lambda: find(frame, lambda a: a.getRoleName() == "label" and text in a.name)

    def restore_window():
        return find(app.app, lambda a: a.getRoleName() in ("frame", "dialog") and a.name == "Restore Backup")

    tap.check("two files on the command line before any vault: a sentence asks to choose a vault, "
              "nothing is restored",
              lambda: wait_for(label_with("restore the 2 backup files you opened"), 10,
                               what="the sentence about choosing a vault") and restore_window() is None)

    def second_start(args):
        r = subprocess.run([os.environ["KVB_GUI_EXE"], *args], env=app.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=20)
        return r.returncode == 0 and app.proc.poll() is None

    tap.check("a second start with a folder hands it to the running application and ends; "
              "the folder is refused with a sentence",
              lambda: second_start([folder]) and
              wait_for(label_with("A folder cannot be opened"), 10, what="the sentence about folders"))

    tap.check("a second start with one file: the sentence counts one file",
              lambda: second_start([later]) and
              wait_for(label_with("restore the backup file you opened"), 10, what="the sentence for one file"))

    tap.ok(restore_window() is None and app.proc.poll() is None,
           "still no Restore Backup window, and the application runs")

    def sidebar_texts():
        lst = find(frame, by("list", "Subscriptions and vaults"))
        return [a.name for a in find_all(lst, by("label"))] if lst else []

    def sample_cloud():
        click(wait_for(lambda: find(frame, by("push button", "_Try the Sample Cloud Try the Sample Cloud",
                                              "click")), what="the sample cloud button"))
        return wait_for(lambda: "Sample cloud" in sidebar_texts() and "No vaults" not in sidebar_texts() and
                        len(sidebar_texts()) > 3, 60, what="the sample's vaults")

    def pick_vault_restores_pending():
        lst = find(frame, by("list", "Subscriptions and vaults"))
        rows = [lst.getChildAtIndex(i) for i in range(lst.childCount)]
        index = next(i for i, r in enumerate(rows) if "selectable" in kvbgui.states(r))
        lst.querySelection().selectChild(index)
        dialog = wait_for(restore_window, 20, what="the Restore Backup window")
        name = os.path.basename(later)
        return wait_for(lambda: find(dialog, lambda a: name in (a.name or "")), 20,
                        what=f"{name} in the Restore Backup window")

    tap.check("the sample cloud signs in", sample_cloud)
    tap.check("picking a vault opens Restore Backup for the file opened last", pick_vault_restores_pending)
finally:
    app.stop()
    shutil.rmtree(work, ignore_errors=True)
sys.exit(tap.finish())
