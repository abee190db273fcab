#!/usr/bin/python3
# test-flatpak.py: the real Flatpak manifest builds, installs and runs.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The GNOME runtime cannot be downloaded here, so build-aux/flatpak-test-runtime.sh assembles a
# runtime from this machine's /usr under a name no real runtime has
# (org.kvbackup.LocalTestPlatform).  The project's manifest is built against it by
# flatpak-builder with only the runtime, SDK and runtime version overridden (and its "dir"
# source pointed at this tree, since the manifest is read from a scratch folder), installed
# into a private Flatpak installation, and started with `flatpak run` in the test session
# (Xvfb, private bus): its main window must show over the accessibility bus, the sandbox must
# be the one the manifest asks for (no file system, no Secret Service name), and kvbackup must
# run inside it.
#
# Needs flatpak, flatpak-builder, appstream-util (its appstream-compose runs inside the SDK)
# and elfutils (eu-strip): build-aux/deps.sh installs them.

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
import kvbgui  # noqa: E402
from kvbgui import by, find, wait_for  # noqa: E402

APP_ID = "io.github.kvbackup.KeyVaultBackup"
RUNTIME = "org.kvbackup.LocalTestPlatform"

source = os.environ["KVB_SOURCE_ROOT"]
build = os.environ["KVB_BUILD_ROOT"]

tap = kvbgui.Tap(8)
# The test command runs in a headless session and build-aux/deps.sh installs the tools: a
# missing one is a failure, not a reason to skip.
missing = [t for t in ("flatpak", "flatpak-builder", "appstream-compose", "eu-strip")
           if shutil.which(t) is None]
if not tap.ok(not missing and os.environ.get("DISPLAY") and
              os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
              "flatpak, flatpak-builder, appstream-compose, eu-strip, a display and a bus are there",
              f"missing: {missing}, DISPLAY={os.environ.get('DISPLAY')!r}"):
    sys.exit(tap.finish())
work = tempfile.mkdtemp(prefix="kvb-flatpak-", dir=os.path.join(build, "tests"))
# flatpak run passes most of its environment into the sandbox: nothing of the build tree's.
env = {k: v for k, v in os.environ.items()
       if not k.startswith("KVB_") and k not in ("GSETTINGS_SCHEMA_DIR", "GSETTINGS_BACKEND",
                                                  "G_TEST_SRCDIR", "G_TEST_BUILDDIR",
                                                  "MALLOC_CHECK_", "MALLOC_PERTURB_")}
env.update(FLATPAK_USER_DIR=os.path.join(work, "user"), HOME=os.path.join(work, "home"))
os.makedirs(env["HOME"])
timings = []


def run(argv, timeout, **kw):
    start = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, **kw)
    timings.append((" ".join(os.path.basename(a) for a in argv[:3]), time.monotonic() - start))
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def flatpak(*args, timeout=300):
    return run(["flatpak", "--user", *args], timeout)


app_proc = None
try:
    def runtime():
        run(["bash", os.path.join(source, "build-aux", "flatpak-test-runtime.sh"), work], 1200)
        flatpak("remote-add", "--no-gpg-verify", "kvbtest-runtime", os.path.join(work, "repo"))
        flatpak("install", "-y", "--noninteractive", "kvbtest-runtime", f"{RUNTIME}//test", timeout=600)
        shutil.rmtree(os.path.join(work, "repo"))
        return True

    if not tap.check(f"a runtime made from this machine's /usr installs as {RUNTIME}//test", runtime):
        sys.exit(tap.finish())

    def build_app():
        with open(os.path.join(source, "flatpak", APP_ID + ".json"), encoding="utf-8") as f:
            manifest = json.load(f)
        manifest.update({"runtime": RUNTIME, "sdk": RUNTIME, "runtime-version": "test"})
        for module in manifest["modules"]:
            for src in module.get("sources", []):
                if src.get("type") == "dir":
                    src["path"] = os.path.normpath(os.path.join(source, "flatpak", src["path"]))
        path = os.path.join(work, APP_ID + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        # No FUSE in a container: rofiles-fuse only guards the cache against the build's writes.
        run(["flatpak-builder", "--user", "--disable-rofiles-fuse", "--force-clean",
             "--state-dir", os.path.join(work, "state"), "--repo", os.path.join(work, "apprepo"),
             os.path.join(work, "app"), path], 1800)
        shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
        shutil.rmtree(os.path.join(work, "app"), ignore_errors=True)
        flatpak("remote-add", "--no-gpg-verify", "kvbtest-app", os.path.join(work, "apprepo"))
        flatpak("install", "-y", "--noninteractive", "kvbtest-app", APP_ID)
        info = flatpak("info", APP_ID).stdout
        if RUNTIME + "/x86_64/test" not in info:
            raise AssertionError(info)
        return True

    if not tap.check("flatpak-builder builds the project's manifest against it, and the "
                     "application installs", build_app):
        sys.exit(tap.finish())

    def permissions():
        perms = flatpak("info", "--show-permissions", APP_ID).stdout
        bad = [w for w in ("filesystems=", "org.freedesktop.secrets", "org.freedesktop.Flatpak",
                           "host") if w in perms]
        if bad or "network" not in perms:
            raise AssertionError(f"{bad}\n{perms}")
        return True

    tap.check("the sandbox has the network and no file system, no Secret Service name and no "
              "host access", permissions)

    def sandboxed_files():
        r = flatpak("run", "--command=sh", APP_ID, "-c",
                    # The parents of the app's data folder exist, empty; no file of them does.
                    "cat /.flatpak-info; test -e " + os.path.join(source, "meson.build") +
                    " && echo SOURCE-VISIBLE; test -e /etc/shadow && echo HOME-VISIBLE; true")
        if "SOURCE-VISIBLE" in r.stdout or "HOME-VISIBLE" in r.stdout or \
           f"name={APP_ID}" not in r.stdout:
            raise AssertionError(r.stdout)
        return True

    tap.check("inside, the host's files (this source tree) are not there", sandboxed_files)

    def cli():
        r = flatpak("run", "--command=kvbackup", APP_ID, "--version")
        return "kvbackup" in r.stdout

    tap.check("kvbackup runs inside the sandbox", cli)

    def window():
        global app_proc
        app_env = dict(env)
        app_env.pop("GTK_A11Y", None)
        app_env.pop("NO_AT_BRIDGE", None)
        app_proc = subprocess.Popen(["flatpak", "--user", "run", "--env=GSK_RENDERER=cairo",
                                     "--env=GSETTINGS_BACKEND=memory", APP_ID],
                                    env=app_env, stdin=subprocess.DEVNULL,
                                    stdout=open(os.path.join(work, "app.log"), "w"),
                                    stderr=subprocess.STDOUT)
        pyatspi = kvbgui._pyatspi()

        def lookup():
            if app_proc.poll() is not None:
                raise RuntimeError(f"flatpak run exited with {app_proc.returncode}")
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                if a is not None and a.name == "key-vault-backup":
                    return a
            return None

        app = wait_for(lookup, 60, what="the sandboxed application on the accessibility bus")
        frame = wait_for(lambda: find(app, by("frame", "Key Vault Backup")), 30,
                         what="the main window")
        wait_for(lambda: find(frame, by("label", "Welcome to Key Vault Backup")), 30,
                 what="the welcome page")
        return True

    tap.check("`flatpak run` opens the main window with its welcome page (over the "
              "accessibility bus, through the sandbox's proxy)", window)

    def clean_exit():
        app_proc.terminate()
        status = app_proc.wait(20)
        with open(os.path.join(work, "app.log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        if "CRITICAL" in log or "Locale not supported" in log:
            raise AssertionError(log[-3000:])
        return status in (0, -15, 143)

    tap.check("it ends on SIGTERM with no critical warning", clean_exit)
finally:
    if app_proc is not None and app_proc.poll() is None:
        app_proc.kill()
    print("# " + ", ".join(f"{name} {secs:.0f} s" for name, secs in timings), flush=True)
    shutil.rmtree(work, ignore_errors=True)

sys.exit(tap.finish())
