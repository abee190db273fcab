#!/usr/bin/python3
# test_japanese.py: the application in Japanese, from the build tree.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Generates the ja_JP.UTF-8 locale with localedef into a private LOCPATH in the build folder (the
# machine may have only C.UTF-8), starts key-vault-backup with LANGUAGE=ja and that locale, its
# translations taken from the build tree (KVB_LOCALEDIR, as build-aux/run.sh sets it), and checks
# over the accessibility bus that the welcome page speaks Japanese, then opens the sample cloud
# and a vault and checks the vault page's words (the portal's Japanese terms); screenshots are
# kept in the build folder (tests/gui/out/japanese-welcome.png, japanese-vault.png) to see the
# text drawn with a Japanese font.

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

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

tap = kvbgui.Tap(9)

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

    # The vault page: the sample cloud's first vault, its lists and its two buttons.
    seed_path = os.path.join(os.environ.get("KVB_SOURCE_ROOT", ""), "src", "emulator",
                             "sample-seed.json")
    with open(seed_path) as f:
        seed = json.load(f)
    sp = next(i for i in seed["identities"] if i.get("kind") == "service-principal" and i.get("sample"))
    visible = {s["id"] for s in seed["subscriptions"]
               if "readers" not in s or sp["object_id"] in s["readers"]}
    vault = sorted(v["name"] for v in seed["vaults"] if v["subscription"] in visible)[0]

    def sidebar():
        return find(frame, by("list", "サブスクリプションとキー コンテナー"))

    def open_vault():
        button = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                       "サンプル クラウドを試す" in a.name), 10, what="the button")
        click(button)
        lst = wait_for(lambda: sidebar() if sidebar() is not None and
                       find(sidebar(), by("label", vault)) else None, 60,
                       what="the Japanese sidebar with " + vault)
        rows = [lst.getChildAtIndex(i) for i in range(lst.childCount)]
        lst.querySelection().selectChild(next(i for i, r in enumerate(rows)
                                              if find(r, by("label", vault))))
        return wait_for(lambda: find(frame, by("tree table", "シークレット")), 30,
                        what="the secrets list named シークレット")

    tap.check("the sidebar and the vault's secrets list are named in Japanese "
              "(サブスクリプションとキー コンテナー, シークレット)", open_vault)

    def buttons():
        names = [a.name for a in find_all(frame, lambda a: a.getRoleName() in ("push button",
                                                                              "toggle button",
                                                                              "label"))]
        wanted = ["バックアップのダウンロード", "バックアップの復元", "キー", "証明書"]
        missing = [w for w in wanted if not any(w in n for n in names)]
        if missing:
            raise AssertionError("not on the vault page: %r" % missing)
        return True

    tap.check("the vault page says バックアップのダウンロード, バックアップの復元, キー and 証明書",
              buttons)

    def vault_screenshot():
        path = app.screenshot("japanese-vault.png")
        return kvbgui.png_size(path)

    tap.check("a screenshot of the Japanese vault page is kept in the build folder",
              vault_screenshot)
finally:
    app.stop()

with open(app.log_path, encoding="utf-8", errors="replace") as f:
    log = f.read()
tap.ok("Locale not supported" not in log and "cannot change locale" not in log,
       "the C library accepted the locale", log[-2000:])
sys.exit(tap.finish())
