#!/usr/bin/python3
# test_japanese.py: the application in Japanese, from the build tree.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Generates the ja_JP.UTF-8 locale with localedef into a private LOCPATH in the build folder (the
# machine may have only C.UTF-8), starts key-vault-backup with LANGUAGE=ja and that locale, its
# translations taken from the build tree (KVB_LOCALEDIR, as build-aux/run.sh sets it), and checks
# over the accessibility bus that the welcome page speaks Japanese; a screenshot is kept in the
# build folder (tests/gui/out/japanese-welcome.png) to see the text drawn with a Japanese font.

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, find, wait_for  # noqa: E402

kvbgui.require_session()

localedir = os.environ.get("KVB_LOCALEDIR", "")
if not os.path.exists(os.path.join(localedir, "ja", "LC_MESSAGES", "key-vault-backup.mo")):
    kvbgui.skip_all("the Japanese translation is not compiled in the build tree (KVB_LOCALEDIR)")
if not shutil.which("localedef") or not os.path.exists("/usr/share/i18n/locales/ja_JP"):
    kvbgui.skip_all("localedef or the ja_JP locale source is missing (package locales)")

build = os.environ.get("KVB_BUILD_ROOT", os.getcwd())
outdir = os.path.join(build, "tests", "gui", "out")
locpath = os.path.join(outdir, "locale")
os.makedirs(locpath, exist_ok=True)

tap = kvbgui.Tap(6)

r = subprocess.run(["localedef", "-i", "ja_JP", "-c", "-f", "UTF-8", os.path.join(locpath, "ja_JP.UTF-8")],
                   capture_output=True, text=True, timeout=120)
if not tap.ok(r.returncode == 0 and os.path.isdir(os.path.join(locpath, "ja_JP.UTF-8")),
              "localedef generates ja_JP.UTF-8 into a private LOCPATH", r.stderr):
    sys.exit(tap.finish())

fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout.strip()
tap.ok(bool(fonts), "a font that draws Japanese is installed (fonts-ipafont-gothic)",
       "fc-list :lang=ja found nothing")

app = kvbgui.App("test-japanese", extra_env={
    "LOCPATH": locpath,
    "LANG": "ja_JP.UTF-8",
    "LC_ALL": "ja_JP.UTF-8",
    "LANGUAGE": "ja",
    "KVB_LOCALEDIR": localedir,
})
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    tap.check("the welcome page's title is Japanese: “Key Vault Backup へようこそ”",
              lambda: wait_for(lambda: find(frame, by("label", "Key Vault Backup へようこそ")), 10,
                               what="the Japanese title"))
    tap.check("the sample cloud button is Japanese: “サンプル クラウドを試す”",
              lambda: wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                            "サンプル クラウドを試す" in a.name), 10,
                               what="the Japanese button"))

    def screenshot():
        path = app.screenshot("japanese-welcome.png")
        return kvbgui.png_size(path)

    tap.check("a screenshot of the Japanese window is kept in the build folder", screenshot)
finally:
    app.stop()

with open(app.log_path, encoding="utf-8", errors="replace") as f:
    log = f.read()
tap.ok("Locale not supported" not in log and "cannot change locale" not in log,
       "the C library accepted the locale", log[-2000:])
sys.exit(tap.finish())
