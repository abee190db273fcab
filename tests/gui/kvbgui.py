# kvbgui.py: start Key Vault Backup for real and drive it over the accessibility bus.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Used by the Python tests of tests/gui with Debian's /usr/bin/python3 (python3-pyatspi).  Every
# test prints TAP on stdout.  The application runs with a private set of XDG folders inside the
# build tree, the memory GSettings backend and the accessibility bridge on, and is killed by its
# PID when the test ends, whatever happened.

import json
import os
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

APP_ID = "io.github.kvbackup.KeyVaultBackup"
APP_PATH = "/io/github/kvbackup/KeyVaultBackup"


class Tap:
    """A TAP producer: plan first, then one line per check."""

    def __init__(self, plan):
        self.plan = plan
        self.n = 0
        self.failed = 0
        print(f"1..{plan}", flush=True)

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if diag:
                for line in str(diag).splitlines():
                    print(f"# {line}", flush=True)
        return cond

    def check(self, name, fn):
        """Runs fn(); a falsy result or an exception is a failure."""
        try:
            r = fn()
            return self.ok(bool(r), name, None if r else "check returned false")
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            return self.ok(False, name, f"{type(e).__name__}: {e}")

    def finish(self):
        while self.n < self.plan:
            self.ok(False, "not reached (an earlier step failed)")
        return 1 if self.failed else 0


def skip_all(reason):
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(0)


def require_session():
    """Skips the whole test unless there is a display, a session bus and pyatspi."""
    if not os.environ.get("DISPLAY"):
        skip_all("no DISPLAY")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        skip_all("no session bus")
    exe = os.environ.get("KVB_GUI_EXE")
    if not exe or not os.access(exe, os.X_OK):
        skip_all("key-vault-backup is not built")
    try:
        import pyatspi  # noqa: F401
    except ImportError:
        skip_all("python3-pyatspi is missing")


# ---- AT-SPI helpers (GTK 4.8 facts: see the project's GUI-testing notes) ----------------------

def _pyatspi():
    import pyatspi
    return pyatspi


def text_of(acc):
    t = acc.queryText()
    return t.getText(0, t.characterCount)


def set_text(acc, text):
    return acc.queryEditableText().setTextContents(text)


def actions(acc):
    try:
        a = acc.queryAction()
    except Exception:  # noqa: BLE001
        return []
    names = []
    for i in range(a.nActions):
        try:
            names.append(a.getName(i))
        except Exception:  # noqa: BLE001
            names.append("")
    return names


def do_action(acc, name):
    a = acc.queryAction()
    for i in range(a.nActions):
        if a.getName(i) == name:
            return a.doAction(i)
    raise LookupError(f"{acc.name!r} has no action {name!r}")


def click(acc):
    return do_action(acc, "click")


def find(acc, pred, skip=None):
    """Depth-first search; @skip(acc) prunes a subtree."""
    if acc is None:
        return None
    if pred(acc):
        return acc
    if skip is not None and skip(acc):
        return None
    for i in range(acc.childCount):
        try:
            c = acc.getChildAtIndex(i)
        except Exception:  # noqa: BLE001
            continue
        r = find(c, pred, skip)
        if r is not None:
            return r
    return None


def find_all(acc, pred, out=None):
    if out is None:
        out = []
    if acc is None:
        return out
    if pred(acc):
        out.append(acc)
    for i in range(acc.childCount):
        try:
            find_all(acc.getChildAtIndex(i), pred, out)
        except Exception:  # noqa: BLE001
            pass
    return out


def by(role=None, name=None, action=None):
    def pred(a):
        try:
            return ((role is None or a.getRoleName() == role) and
                    (name is None or a.name == name) and
                    (action is None or action in actions(a)))
        except Exception:  # noqa: BLE001
            return False
    return pred


def by_prefix(role, prefix, action=None):
    """GTK 4.8 runs a button's label and its row's title together in the accessible name."""
    def pred(a):
        try:
            return (a.getRoleName() == role and a.name.startswith(prefix) and
                    (action is None or action in actions(a)))
        except Exception:  # noqa: BLE001
            return False
    return pred


def states(acc):
    pyatspi = _pyatspi()
    return {pyatspi.stateToString(s) for s in acc.getState().getStates()}


def wait_for(fn, timeout=10.0, interval=0.1, what=""):
    """Polls fn() until it returns something truthy; transient AT-SPI errors are retried."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            r = fn()
            if r:
                return r
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or fn}" + (f" (last error: {last})" if last else ""))


def key_combo(keysym, ctrl=False, shift=False):
    """Presses a key through the registry daemon (XTEST), with Control and Shift held."""
    pyatspi = _pyatspi()
    mask = (4 if ctrl else 0) | (1 if shift else 0)
    if mask:
        pyatspi.Registry.generateKeyboardEvent(mask, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        if mask:
            pyatspi.Registry.generateKeyboardEvent(mask, None, pyatspi.KEY_UNLOCKMODIFIERS)


def pointer_to(x, y):
    """Without a window manager the keyboard goes to the window under the pointer once a dialog
    has closed; the main window sits at (0, 0)."""
    _pyatspi().Registry.generateMouseEvent(x, y, "abs")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


# ---- The application --------------------------------------------------------------------------

class Standin:
    """The local Azure stand-in (kvb-emulator) as a program of its own, on ports the system picks,
    and a cloud profile file that points at it."""

    def __init__(self, name, args=(), proxy=False):
        exe = os.environ.get("KVB_EMULATOR_EXE")
        if not exe or not os.access(exe, os.X_OK):
            skip_all("kvb-emulator is not built")
        build = os.environ.get("KVB_BUILD_ROOT", os.getcwd())
        outdir = os.path.join(build, "tests", "gui", "out")
        os.makedirs(outdir, exist_ok=True)
        self.state = tempfile.mkdtemp(prefix=f"{name}-emu-", dir=outdir)
        self.log = open(os.path.join(outdir, f"{name}-emulator.log"), "w")
        # With the proxy, clients reach it at the real host names (login.microsoftonline.com,
        # management.azure.com, NAME.vault.azure.net) through its CONNECT port.
        self.proc = subprocess.Popen([exe, "--state-dir", self.state, *([] if proxy else ["--no-proxy"]), *args],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.info = json.loads(self.proc.stdout.readline())
        self.url = self.info["url"]
        self.ssl = ssl.create_default_context(cafile=self.info["ca"])
        self.profile = os.path.join(self.state, "stand-in.json")
        with open(self.profile, "w") as f:
            # Resource Manager tokens are asked for with the real audience, as the stand-in expects.
            json.dump({"name": "Local stand-in", "authorityHost": self.url, "resourceManager": self.url,
                       "resourceManagerScope": "https://management.azure.com/.default",
                       "keyVaultDnsSuffix": self.info["vault_suffix"],
                       "keyVaultPort": int(self.url.rsplit(":", 1)[1]), "caFile": self.info["ca"]}, f)

    def control(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with self._opener().open(req, timeout=10) as r:
            return r.status

    def _opener(self):
        """Straight to the stand-in, whatever proxy the test's own environment names."""
        return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                           urllib.request.HTTPSHandler(context=self.ssl))

    def requests(self):
        """The stand-in's request log (redacted), oldest first."""
        with self._opener().open(self.url + "/_emulator/requests", timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)


class App:
    def __init__(self, name, extra_env=None, prepare=None, cores=False, args=()):
        build = os.environ.get("KVB_BUILD_ROOT", os.getcwd())
        self.outdir = os.path.join(build, "tests", "gui", "out")
        os.makedirs(self.outdir, exist_ok=True)
        self.home = tempfile.mkdtemp(prefix=f"{name}-", dir=self.outdir)
        env = dict(os.environ)
        # The accessibility bridge must be on for these tests (test_env turns it off).
        env.pop("GTK_A11Y", None)
        env.pop("NO_AT_BRIDGE", None)
        for d in ("config", "data", "cache", "state"):
            os.makedirs(os.path.join(self.home, d), exist_ok=True)
        env.update({
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_CACHE_HOME": os.path.join(self.home, "cache"),
            "XDG_STATE_HOME": os.path.join(self.home, "state"),
            "GSETTINGS_BACKEND": "memory",
            "GSK_RENDERER": env.get("GSK_RENDERER", "cairo"),
            "GDK_BACKEND": "x11",
            "LANG": "C.UTF-8",
            "KVB_TEST_HOOKS": "1",
        })
        env.pop("LANGUAGE", None)
        if extra_env:
            env.update(extra_env)
        if prepare:
            prepare(self.home)
        # Kept for a second start, which hands its arguments to this instance over the bus.
        self.env = env
        self.log_path = os.path.join(self.outdir, f"{name}.log")
        self.log = open(self.log_path, "w")
        # With @cores the application may dump core, into a folder of its own (when the system
        # writes cores to the working folder), for a test that counts crashes.
        self.core_dir = None
        preexec = None
        if cores:
            import resource
            self.core_dir = os.path.join(self.outdir, f"{name}-cores")
            os.makedirs(self.core_dir, exist_ok=True)
            hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
            preexec = lambda: resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # noqa: E731
        self.proc = subprocess.Popen([os.environ["KVB_GUI_EXE"], *args], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.core_dir,
                                     preexec_fn=preexec)
        self.started = time.monotonic()
        self.app = None

    def accessible(self, timeout=20.0):
        pyatspi = _pyatspi()

        def lookup():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the application exited with {self.proc.returncode}")
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                try:
                    if a is not None and a.name == "key-vault-backup" and a.get_process_id() == self.proc.pid:
                        return a
                except Exception:  # noqa: BLE001
                    continue
            return None
        self.app = wait_for(lookup, timeout, what="the application on the accessibility bus")
        return self.app

    def toplevel(self, name, timeout=10.0):
        def lookup():
            for i in range(self.app.childCount):
                c = self.app.getChildAtIndex(i)
                if c is not None and c.name == name and c.childCount:
                    return c
            return None
        return wait_for(lookup, timeout, what=f"window {name!r}")

    def toplevel_gone(self, name, timeout=10.0):
        def gone():
            for i in range(self.app.childCount):
                c = self.app.getChildAtIndex(i)
                if c is not None and c.name == name:
                    return False
            return True
        return wait_for(gone, timeout, what=f"window {name!r} to close")

    def answer(self, heading, button, says=None, timeout=10.0):
        """Answers an AdwMessageDialog: a window of role "dialog" named by its heading.  Checks that
        it says @says, if given, then clicks @button (GTK 4.8 names a button by its mnemonic label
        and its text run together, e.g. "_Sign Out Sign Out") and waits for the dialog to go."""
        dialog = self.toplevel(heading, timeout)
        if dialog.getRoleName() != "dialog":
            raise AssertionError(f"{heading!r} is a {dialog.getRoleName()}, not a dialog")
        if says is not None:
            wait_for(lambda: find(dialog, by("label", says)), timeout, what=f"the dialog to say {says!r}")
        click(wait_for(lambda: find(dialog, by("push button", button, "click")), timeout, what=button))
        return self.toplevel_gone(heading, timeout)

    def activate_action(self, name, param=None):
        """Activates an application action over D-Bus (GApplication exports them)."""
        from gi.repository import Gio, GLib
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        params = [param] if param is not None else []
        bus.call_sync(APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                      GLib.Variant("(sava{sv})", (name, params, {})),
                      None, Gio.DBusCallFlags.NONE, 10000, None)

    def refocus(self):
        """Gives the main window the keyboard again.  There is no window manager under Xvfb, so
        when a dialog closes the X input focus goes nowhere; activating the application (what a
        second start from the desktop does) presents the window, and GTK then sets the focus."""
        from gi.repository import Gio, GLib
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.call_sync(APP_ID, APP_PATH, "org.gtk.Application", "Activate",
                      GLib.Variant("(a{sv})", ({},)), None, Gio.DBusCallFlags.NONE, 10000, None)
        time.sleep(0.2)

    def screenshot(self, filename):
        """Asks the window to render itself to a PNG in the build folder (test hook)."""
        from gi.repository import GLib
        path = os.path.join(self.outdir, filename)
        if os.path.exists(path):
            os.unlink(path)
        self.activate_action("test-screenshot", GLib.Variant("s", path))
        wait_for(lambda: os.path.exists(path) and png_size(path), 10, what=f"screenshot {filename}")
        return path

    def wait_exit(self, timeout=10.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Ends the application by its PID: SIGTERM (a clean exit), then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)
        return self.proc.returncode
