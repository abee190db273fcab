#!/usr/bin/python3
# test_sample_cloud.py: "Try the Sample Cloud" as a person uses it.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Clicks "Try the Sample Cloud" on the welcome page and checks, over the accessibility bus, that
# the sidebar then lists the sample's subscriptions and vaults.  The expected names come from the
# stand-in's built-in sample (src/emulator/sample-seed.json): the subscriptions the sample's
# service principal may read, and their vaults.  Then a vault is picked, and the sample cloud is
# signed out of from the account menu.

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()

seed_path = os.path.join(os.environ.get("KVB_SOURCE_ROOT", ""), "src", "emulator", "sample-seed.json")
if not os.path.exists(seed_path):
    kvbgui.skip_all("the stand-in's built-in sample is not in this tree")
with open(seed_path) as f:
    seed = json.load(f)

sp = next(i for i in seed["identities"] if i.get("kind") == "service-principal" and i.get("sample"))
# A subscription with a "readers" list is only visible to those; the others to every identity
# of the tenant.
visible = [s for s in seed["subscriptions"] if "readers" not in s or sp["object_id"] in s["readers"]]
hidden = [s for s in seed["subscriptions"] if s not in visible]
expected_vaults = sorted(v["name"] for v in seed["vaults"] if v["subscription"] in {s["id"] for s in visible})
expected_subs = sorted(s["display_name"] for s in visible)

tap = kvbgui.Tap(8)
app = kvbgui.App("test-sample-cloud")
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def sidebar():
        return find(frame, by("list", "Subscriptions and vaults"))

    def sidebar_texts():
        lst = sidebar()
        return [a.name for a in find_all(lst, by("label"))] if lst else []

    t0 = time.monotonic()

    def open_sample():
        button = wait_for(lambda: find(frame, by("push button", "_Try the Sample Cloud Try the Sample Cloud", "click")),
                          what="the sample cloud button")
        click(button)
        wait_for(lambda: set(expected_vaults) <= set(sidebar_texts()), 60, what="the sample's vaults")
        return True

    if tap.check(f"“Try the Sample Cloud” lists the sample's {len(expected_vaults)} vaults in the sidebar",
                 open_sample):
        took = time.monotonic() - t0
        tap.ok(took < 30, f"the vaults were there within 30 s of the click ({took:.2f} s)")
    else:
        tap.ok(False, "the vaults were there within 30 s of the click")

    texts = sidebar_texts()
    tap.ok(set(expected_subs) <= set(texts),
           f"the sidebar names the subscriptions {', '.join(expected_subs)}", f"sidebar: {texts}")
    tap.ok(not any(s["display_name"] in texts for s in hidden) and "Sample cloud" in texts,
           "it shows the account “Sample cloud” and no subscription the sample identity may not read",
           f"sidebar: {texts}")

    def screenshot():
        path = app.screenshot("sample-cloud.png")
        w, h = kvbgui.png_size(path)
        return w >= 360 and h >= 294

    tap.check("a screenshot of the sample cloud is written to the build folder", screenshot)

    def pick_vault():
        name = expected_vaults[0]
        lst = sidebar()
        rows = [lst.getChildAtIndex(i) for i in range(lst.childCount)]
        index = next(i for i, r in enumerate(rows) if find(r, by("label", name)))
        lst.querySelection().selectChild(index)
        # The page names the vault and lists its secrets, read from the stand-in.
        vault = next(v for v in seed["vaults"] if v["name"] == name)
        secrets = [s["name"] for s in vault.get("secrets", []) if not s.get("deleted") and "count" not in s]
        wait_for(lambda: find(frame, by("tree table", "Secrets")) is not None and
                 all(find(find(frame, by("tree table", "Secrets")), by("label", n)) for n in secrets),
                 30, what=f"the secrets of {name}: {secrets}")
        return find(frame, by("label", name)) is not None

    tap.check("picking a vault shows its name and lists its secrets", pick_vault)

    def sign_out():
        accounts = wait_for(lambda: find(frame, by("push button", "Accounts", "click")), what="account menu")
        click(accounts)
        button = wait_for(lambda: find(frame, by("push button", "Sign Out", "click")), what="Sign Out")
        click(button)
        app.answer("Sign out of Sample cloud?", "_Sign Out Sign Out",
                   says="The sample cloud stops, and nothing of it is kept.")
        wait_for(lambda: find(frame, by("push button", "Sign Out")) is None and
                 "Sample cloud" not in sidebar_texts(), what="the sample cloud to go")
        return find(frame, by("push button", "_Try the Sample Cloud Try the Sample Cloud", "click"))

    tap.check("“Sign Out” in the account menu, once confirmed, ends the sample cloud and the welcome page "
              "offers it again",
              sign_out)
finally:
    status = app.stop()
tap.ok(status == 0, "the application exits cleanly on SIGTERM", f"exit status {status}")

sys.exit(tap.finish())
