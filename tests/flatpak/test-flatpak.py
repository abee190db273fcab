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
# Signing in inside the sandbox, against the stand-in started outside on 127.0.0.1 (the sandbox
# shares the network, loopback included): the Azure CLI way in says why it is not available; a
# service principal and the browser sign-in (its loopback listener reached from outside, as a
# browser would) keep their secrets through the Secret portal — xdg-desktop-portal on the
# session bus with gnome-keyring's backend — in the application's own keyring file, never in
# the host's keyring, and a second kvbackup inside uses them.
#
# Scheduled backups inside the sandbox: Schedule Backups asks the Background portal (GNOME's
# backend, xdg-desktop-portal-gnome, on the test's bus for that one portal) to start the
# application with the session; the folder is chosen in the FileChooser portal's dialog
# (xdg-desktop-portal-gtk's, driven over the accessibility bus as a person would) and reached
# through the document portal.  The command line the backend wrote into the session's autostart
# folder is then run as a log-in runs it: with no window, the application makes up the missed
# night, and the backup in the chosen folder verifies on the host.
#
# Notifications inside the sandbox: GLib sends them to the Notification portal, whose backend
# (xdg-desktop-portal-gtk, for a GNOME desktop) hands them to the desktop's notification server —
# here tests/flatpak/notification-server.py, which owns org.freedesktop.Notifications on the test's
# bus and records what arrives.  The window, on the sample cloud (it runs inside the application),
# recovers a deleted secret while it is not focused (no window manager: the test takes the X
# input focus away); the notification must arrive with its title, body and default action, and
# invoking that action, as a click on it does, must bring the window back to the front.
#
# Needs flatpak, flatpak-builder, appstream-util (its appstream-compose runs inside the SDK),
# elfutils (eu-strip), xdg-desktop-portal, xdg-desktop-portal-gtk and xdg-desktop-portal-gnome:
# build-aux/deps.sh installs them.

import ctypes
import configparser
import json
import os
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbgui  # noqa: E402
import kvbtest  # noqa: E402
from kvbgui import by, by_prefix, find, states, wait_for  # noqa: E402

APP_ID = "io.github.kvbackup.KeyVaultBackup"
RUNTIME = "org.kvbackup.LocalTestPlatform"
SCHEMA = "io.github.kvbackup.KeyVaultBackup.Credential"
VAULT = "contoso-prod-kv"
PORTAL = "/usr/libexec/xdg-desktop-portal"
PORTAL_GTK = "/usr/libexec/xdg-desktop-portal-gtk"
PORTAL_GNOME = "/usr/libexec/xdg-desktop-portal-gnome"
DELETED = "legacy-ftp-password"   # a soft-deleted secret of VAULT in the sample cloud

source = os.environ["KVB_SOURCE_ROOT"]
build = os.environ["KVB_BUILD_ROOT"]

tap = kvbgui.Tap(19)
# The test command runs in a headless session and build-aux/deps.sh installs the tools: a
# missing one is a failure, not a reason to skip.
missing = [t for t in ("flatpak", "flatpak-builder", "appstream-compose", "eu-strip",
                       "secret-tool", "gdbus") if shutil.which(t) is None]
missing += [p for p in (PORTAL, PORTAL_GTK, PORTAL_GNOME) if not os.access(p, os.X_OK)]
if not tap.ok(not missing and os.environ.get("DISPLAY") and
              os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
              "flatpak, flatpak-builder, appstream-compose, eu-strip, xdg-desktop-portal and its "
              "GTK backend, a display and a bus are there",
              f"missing: {missing}, DISPLAY={os.environ.get('DISPLAY')!r}"):
    sys.exit(tap.finish())
# KVB_FLATPAK_WORK names a folder to keep between runs, for working on the checks after the build:
# the runtime and the application installed there by an earlier run are used as they are.
reuse = os.environ.get("KVB_FLATPAK_WORK")
if reuse:
    os.makedirs(reuse, exist_ok=True)
work = reuse or tempfile.mkdtemp(prefix="kvb-flatpak-", dir=os.path.join(build, "tests"))
# flatpak run passes most of its environment into the sandbox: nothing of the build tree's.
env = {k: v for k, v in os.environ.items()
       if not k.startswith(("KVB_", "AZURE_")) and
       k not in ("GSETTINGS_SCHEMA_DIR", "GSETTINGS_BACKEND", "G_TEST_SRCDIR", "G_TEST_BUILDDIR",
                 "MALLOC_CHECK_", "MALLOC_PERTURB_", "SSL_CERT_FILE", "https_proxy", "HTTPS_PROXY")}
env.update(FLATPAK_USER_DIR=os.path.join(work, "user"), HOME=os.path.join(work, "home"))
shutil.rmtree(env["HOME"], ignore_errors=True)   # an earlier run's sign-ins, with reuse
os.makedirs(env["HOME"])
# The document portal, which the bus starts, asks `flatpak info` whether the application can
# reach a file already: it must look in the test's installation.
subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                "/org/freedesktop/DBus", "--method",
                "org.freedesktop.DBus.UpdateActivationEnvironment",
                "{'FLATPAK_USER_DIR': '%s'}" % env["FLATPAK_USER_DIR"]],
               env=env, capture_output=True, timeout=20)
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


def bus(dest, path, method, *args):
    return subprocess.run(["gdbus", "call", "--session", "--dest", dest, "--object-path", path,
                           "--method", method, *args], env=env, capture_output=True, text=True,
                          timeout=20)


def name_has_owner(name):
    return "true" in bus("org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus.NameHasOwner", name).stdout


def take_focus_away():
    """Gives the X input focus to no window, as when the person works in another program.  With
    no window manager, focus on the root window would follow the pointer back into ours."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    if not display:
        raise AssertionError("cannot open the display")
    x11.XSetInputFocus(display, 0, 0, 0)   # None, RevertToNone, CurrentTime
    x11.XSync(display, 0)
    x11.XCloseDisplay(display)


app_proc = None
portal_proc = None
portal_gtk_proc = None
portal_gnome_proc = None
notifier = None
notices = queue.Queue()
emu = None
try:
    def installed(ref):
        return reuse and subprocess.run(["flatpak", "--user", "info", ref], env=env,
                                        capture_output=True).returncode == 0

    def runtime():
        if installed(f"{RUNTIME}//test"):
            return True
        run(["bash", os.path.join(source, "build-aux", "flatpak-test-runtime.sh"), work], 1200)
        flatpak("remote-add", "--no-gpg-verify", "kvbtest-runtime", os.path.join(work, "repo"))
        flatpak("install", "-y", "--noninteractive", "kvbtest-runtime", f"{RUNTIME}//test", timeout=600)
        shutil.rmtree(os.path.join(work, "repo"))
        return True

    if not tap.check(f"a runtime made from this machine's /usr installs as {RUNTIME}//test", runtime):
        sys.exit(tap.finish())

    def build_app():
        if installed(APP_ID):
            return True
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

    signin_start = time.monotonic()

    def start_portal(program, name, log_name, accessible=False, **extra_env):
        """Starts a portal program for a GNOME desktop, its output to LOG_NAME in the work folder
        (the bus would start it with no log to read); returns once it owns NAME."""
        portal_env = dict(env, XDG_CURRENT_DESKTOP="GNOME", **extra_env)
        if accessible:
            portal_env.pop("NO_AT_BRIDGE", None)
            portal_env.pop("GTK_A11Y", None)
        proc = subprocess.Popen([program, "--replace"], env=portal_env, stdin=subprocess.DEVNULL,
                                stdout=open(os.path.join(work, log_name), "w"),
                                stderr=subprocess.STDOUT)
        wait_for(lambda: proc.poll() is None and name_has_owner(name), 20,
                 what=f"{os.path.basename(program)} on the bus")
        return proc

    def notification_backend():
        # Started before xdg-desktop-portal, which would otherwise have the bus start its own
        # backend, with no log to read.
        global notifier, portal_gtk_proc
        notifier = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
                                        os.path.abspath(__file__)), "notification-server.py")],
                                    env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=open(os.path.join(work, "notifications.log"), "w"),
                                    text=True)
        if json.loads(notifier.stdout.readline() or "{}") != {"ready": True}:
            raise AssertionError("the notification server did not get its name")
        # What it records, read as it comes, so that a check can wait with a time limit.
        threading.Thread(target=lambda: [notices.put(json.loads(line)) for line in notifier.stdout],
                         daemon=True).start()
        # On the accessibility bus: the test chooses a folder in its file chooser.
        portal_gtk_proc = start_portal(PORTAL_GTK, "org.freedesktop.impl.portal.desktop.gtk",
                                       "portal-gtk.log", accessible=True)
        return True

    have_notifier = tap.check("a notification server and xdg-desktop-portal-gtk, the "
                              "Notification portal's backend, are on the session bus",
                              notification_backend)

    def secret_portal():
        # The session bus could activate the portal itself, but 1.16 only takes gnome-keyring's
        # Secret backend (UseIn=gnome) for a GNOME desktop: started here, for this test only.
        # Its backends from a folder of the test's: GTK's for what it has (files, notifications,
        # the question whether to allow), GNOME's for the Background portal only, which GTK's
        # lacks (installed whole, GNOME's would take the file chooser too).
        global portal_proc, portal_gnome_proc
        portals = os.path.join(work, "portals")
        os.makedirs(portals, exist_ok=True)
        for name in ("gtk.portal", "gnome-keyring.portal"):
            shutil.copy(os.path.join("/usr/share/xdg-desktop-portal/portals", name), portals)
        with open(os.path.join(portals, "gnome-background.portal"), "w") as f:
            f.write("[portal]\nDBusName=org.freedesktop.impl.portal.desktop.gnome\n"
                    "Interfaces=org.freedesktop.impl.portal.Background;\nUseIn=gnome\n")
        portal_gnome_proc = start_portal(PORTAL_GNOME, "org.freedesktop.impl.portal.desktop.gnome",
                                         "portal-gnome.log")
        # Only once it owns the name, so that the call below does not activate another one.
        portal_proc = start_portal(PORTAL, "org.freedesktop.portal.Desktop", "portal.log",
                                   XDG_DESKTOP_PORTAL_DIR=portals)
        for interface in ("Secret", "Background"):
            r = bus("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                    "org.freedesktop.DBus.Properties.Get", "org.freedesktop.portal." + interface,
                    "version")
            if r.returncode != 0 or "uint32" not in r.stdout:
                with open(os.path.join(work, "portal.log"), encoding="utf-8", errors="replace") as f:
                    raise AssertionError(f"{interface}: {r.stdout}{r.stderr}\n{f.read()[-2000:]}")
        return True

    have_portal = tap.check("the Secret portal answers on the session bus, with gnome-keyring's "
                            "backend, and the Background portal with GNOME's", secret_portal)

    # What the sandbox needs to reach the stand-in: its address, and its certificate authority
    # in a file the sandbox sees (the application's own data folder).
    emu = kvbtest.Emulator()
    emu.start()
    app_data = os.path.join(env["HOME"], ".var", "app", APP_ID, "data")
    os.makedirs(app_data, exist_ok=True)
    ca = os.path.join(app_data, "stand-in-ca.pem")
    shutil.copyfile(emu["ca"], ca)
    inside_env = ["--env=KVB_CLOUD_SAMPLE_URL=" + emu["url"], "--env=KVB_CLOUD_SAMPLE_CA=" + ca,
                  "--env=GSETTINGS_BACKEND=keyfile", "--env=LC_ALL=C.UTF-8", "--env=LANGUAGE=C"]
    outputs = []

    def kvbackup_inside(*args, stdin=None, timeout=120):
        start = time.monotonic()
        r = subprocess.run(["flatpak", "--user", "run", "--command=kvbackup", *inside_env, APP_ID,
                            *args], env=env, input=stdin, capture_output=True, text=True,
                           timeout=timeout, stdin=None if stdin is not None else subprocess.DEVNULL)
        timings.append(("kvbackup " + args[0], time.monotonic() - start))
        outputs.extend([r.stdout, r.stderr])
        return kvbtest.Result(r, list(args), time.monotonic() - start)

    def host_keyring(user):
        """Our items in the host's keyring (the Secret Service of the session), as text."""
        r = subprocess.run(["secret-tool", "search", "--all", "account", user], env=env,
                           capture_output=True, text=True, timeout=30)
        return [block for block in (r.stdout + r.stderr).split("[/") if SCHEMA in block]

    keyring_file = os.path.join(app_data, "keyrings", "default.keyring")

    def azure_cli():
        r = kvbackup_inside("login", "--azure-cli")
        kvbtest.check(r.status != 0 and "not available in the Flatpak" in r.stderr and
                      "web browser" in r.stderr and "with a code" in r.stderr,
                      "login --azure-cli inside the sandbox", r)
        return True

    tap.check("inside, `kvbackup login --azure-cli` says why the Azure CLI sign-in is not "
              "available and what to use instead", azure_cli)

    def service_principal():
        if not have_portal:
            raise AssertionError("no Secret portal")
        secret = emu["client_secret"]
        r = kvbackup_inside("login", "--service-principal", "--tenant", emu["tenant"],
                            "--client-id", emu["client_id"], stdin=secret + "\n")
        kvbtest.check(r.status == 0, "login --service-principal inside", r)
        kvbtest.check(os.path.isfile(keyring_file), "no keyring file in the application's data "
                      "folder: " + repr(os.listdir(app_data)))
        kvbtest.check(os.stat(keyring_file).st_mode & 0o077 == 0, "the keyring file is 0600")
        with open(keyring_file, "rb") as f:
            kvbtest.check(secret.encode() not in f.read(), "the secret is in the file in clear")
        kvbtest.check(host_keyring(emu["client_id"]) == [], "the host's keyring holds the secret")
        # A new process inside finds the secret again.
        r = kvbackup_inside("list", "--vault", VAULT)
        kvbtest.check(r.status == 0 and r.stdout.strip(), "list with the stored secret inside", r)
        r = kvbackup_inside("logout")
        kvbtest.check(r.status == 0, "logout inside", r)
        kvbtest.check(all(secret not in o for o in outputs), "the secret was printed")
        return True

    tap.check("inside, a service principal signs in, its secret goes through the Secret portal "
              "into the application's keyring file (not the host's keyring), and a second "
              "kvbackup uses it", service_principal)

    def browser():
        if not have_portal:
            raise AssertionError("no Secret portal")
        proc = subprocess.Popen(["flatpak", "--user", "run", "--command=kvbackup", *inside_env,
                                 APP_ID, "login", "--browser", "--no-launch-browser"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            seen = []
            for line in proc.stdout:
                seen.append(line)
                if "/oauth2/v2.0/authorize?" in line:
                    break
            else:
                raise AssertionError(f"no address to open: {seen!r} {proc.stderr.read()[-2000:]}")
            # The browser, outside the sandbox, goes to the listener inside at 127.0.0.1.
            status, code = kvbtest.play_browser(emu, line.strip())
            kvbtest.check(status == 200, "the listener's page")
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        outputs.extend(seen + [out, err])
        kvbtest.check(proc.returncode == 0 and emu["user"] in err, "login --browser inside: " + err)
        kvbtest.check(host_keyring(emu["user"]) == [], "the host's keyring holds the token")
        r = kvbackup_inside("list", "--vault", VAULT)
        kvbtest.check(r.status == 0 and r.stdout.strip(), "list with the stored sign-in inside", r)
        kvbtest.check(all(code not in o for o in outputs), "the authorization code was printed")
        return True

    tap.check("inside, the browser sign-in's loopback listener is reached from outside, and its "
              "sign-in is kept through the Secret portal", browser)
    timings.append(("sign-in checks", time.monotonic() - signin_start))

    accessibles = {}

    def start_window(log_name, *options, settings="memory"):
        """`flatpak run` of the application (flatpak run OPTIONS…, output to LOG_NAME in the work
        folder), its settings in memory (settings=None: the sandbox's own, kept in its folder);
        returns its main window, once on the accessibility bus."""
        global app_proc
        app_env = dict(env)
        app_env.pop("GTK_A11Y", None)
        app_env.pop("NO_AT_BRIDGE", None)
        settings_env = ["--env=GSETTINGS_BACKEND=" + settings] if settings else []
        app_proc = subprocess.Popen(["flatpak", "--user", "run", "--env=GSK_RENDERER=cairo",
                                     *settings_env, *options, APP_ID],
                                    env=app_env, stdin=subprocess.DEVNULL,
                                    stdout=open(os.path.join(work, log_name), "w"),
                                    stderr=subprocess.STDOUT)
        pyatspi = kvbgui._pyatspi()

        def lookup():
            if app_proc.poll() is not None:
                raise RuntimeError(f"flatpak run exited with {app_proc.returncode}")
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                if a is not None and a.name == "key-vault-backup" and a.childCount:
                    return a
            return None

        app = wait_for(lookup, 60, what="the sandboxed application on the accessibility bus")
        accessibles["app"] = app
        return wait_for(lambda: find(app, by("frame", "Key Vault Backup")), 30,
                        what="the main window")

    def quit_instance():
        """A second start would only hand the running instance the activation and exit: that
        one must be gone.  SIGTERM to `flatpak run` does not always reach it: then it is asked
        to quit, as Ctrl+Q does."""
        try:
            wait_for(lambda: not name_has_owner(APP_ID), 10, what="the instance to be gone")
        except TimeoutError:
            ps = subprocess.run(["flatpak", "ps"], env=env, capture_output=True, text=True).stdout
            print(f"# the instance outlived SIGTERM to flatpak run: {ps!r}", flush=True)
            bus(APP_ID, "/" + APP_ID.replace(".", "/"), "org.freedesktop.Application.ActivateAction",
                "quit", "[]", "{}")
            wait_for(lambda: not name_has_owner(APP_ID), 20, what="the instance to quit")

    def window():
        frame = start_window("app.log", "--env=G_MESSAGES_DEBUG=kvb-keyring")
        wait_for(lambda: find(frame, by("label", "Welcome to Key Vault Backup")), 30,
                 what="the welcome page")
        # The Azure CLI way in stays on the page, to say why it cannot be used here.
        why = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and
                                    "not available in the Flatpak" in (a.name or "")), 10,
                       what="the reason the Azure CLI sign-in is not available")
        if "web browser" not in why.name:
            raise AssertionError(why.name)
        button = wait_for(lambda: find(frame, by_prefix("push button", "Use the Azure CLI sign-in")),
                          10, what="the Azure CLI button")
        if "sensitive" in states(button):
            raise AssertionError(f"the Azure CLI button can be pressed: {states(button)}")
        # The keyring answers through the portal: no "sign-in will last for this session only".
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            bar = find(frame, lambda a: a.getRoleName() == "label" and
                       (a.name or "").startswith("No keyring is available"))
            # The bar's label is in the tree when the bar is hidden too, with no height.
            if bar is not None and bar.queryComponent().getExtents(0).height > 0:
                raise AssertionError("the window says no keyring is available")
            time.sleep(0.2)
        # And the window's look at the keyring ended with an answer (a call that hangs shows no
        # bar either).
        def answered():
            with open(os.path.join(work, "app.log"), encoding="utf-8", errors="replace") as f:
                return "The keyring answers" in f.read()
        wait_for(answered, 30, what="the keyring's answer to the window")
        return True

    tap.check("`flatpak run` opens the main window with its welcome page (over the "
              "accessibility bus, through the sandbox's proxy), where the Azure CLI sign-in "
              "says why it is not available and the keyring is there", window)

    def clean_exit():
        app_proc.terminate()
        status = app_proc.wait(20)
        with open(os.path.join(work, "app.log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        if "CRITICAL" in log or "Locale not supported" in log:
            raise AssertionError(log[-3000:])
        return status in (0, -15, 143)

    tap.check("it ends on SIGTERM with no critical warning", clean_exit)

    profile = os.path.join(app_data, "stand-in.json")

    def write_profile():
        with open(profile, "w") as f:
            json.dump({"name": "Local stand-in", "authorityHost": emu["url"],
                       "resourceManager": emu["url"],
                       "resourceManagerScope": "https://management.azure.com/.default",
                       "keyVaultDnsSuffix": emu["vault_suffix"],
                       "keyVaultPort": int(emu["url"].rsplit(":", 1)[1]), "caFile": ca}, f)

    def sign_in(frame):
        """Signs the stand-in's service principal in on the welcome page; returns once VAULT is
        in the sidebar."""
        kvbgui.click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                           (a.name or "").startswith("Sign in as a service principal") and
                                           "click" in kvbgui.actions(a)), 30,
                              what="the service principal button"))

        def field(title):
            return wait_for(lambda: find(frame, lambda a: a.getRoleName() in ("text", "password text")
                                         and a.name == title), 20, what=title)

        kvbgui.set_text(field("Tenant ID or domain"), emu["tenant"])
        kvbgui.set_text(field("Application (client) ID"), emu["client_id"])
        kvbgui.set_text(field("Client secret"), emu["client_secret"])
        kvbgui.click(wait_for(lambda: (lambda b: b if b and "sensitive" in states(b) else None)(
            find(frame, by_prefix("push button", "_Sign In as Service Principal"))), 20,
            what="an enabled Sign In button"))

        def sidebar_has_vault():
            side = find(frame, by("list", "Subscriptions and vaults"))
            return side is not None and find(side, by("label", VAULT)) is not None

        try:
            wait_for(sidebar_has_vault, 60, what=f"{VAULT} in the sidebar")
        except TimeoutError:
            raise AssertionError(f"{VAULT} is not in the sidebar; the window says " + repr(
                [a.name for a in kvbgui.find_all(frame, by("label")) if a.name])) from None

    def window_sign_in():
        """The window signs in a service principal inside the sandbox: its secret goes to the
        keyring through the Secret portal while the window checks the keyring, and the sidebar
        lists the vaults (it once stayed on "Loading subscriptions and vaults…")."""
        quit_instance()
        write_profile()
        frame = start_window("app-sign-in.log", "--env=KVB_TEST_CLOUD_PROFILE=" + profile)
        sign_in(frame)
        with open(keyring_file, "rb") as f:
            if emu["client_secret"].encode() in f.read():
                raise AssertionError("the secret is in the keyring file in clear")
        if host_keyring(emu["client_id"]):
            raise AssertionError("the host's keyring holds the secret")
        app_proc.terminate()
        app_proc.wait(20)
        return True

    tap.check("the window inside signs a service principal in, keeps its secret through the "
              "Secret portal, and lists its vaults", window_sign_in)

    notified = {}

    def logs(*names):
        text = ""
        for name in names:
            with open(os.path.join(work, name), encoding="utf-8", errors="replace") as f:
                text += f"\n{name}:\n" + f.read()[-2000:]
        return text

    def with_logs(steps, *names):
        try:
            return steps()
        except Exception as e:
            raise AssertionError(f"{type(e).__name__}: {e}" + logs(*names)) from None

    def notification():
        try:
            return notification_steps()
        except Exception as e:
            raise AssertionError(f"{type(e).__name__}: {e}" +
                                 logs("app-notify.log", "portal-gtk.log", "notifications.log")) from None

    def notification_steps():
        if not have_notifier:
            raise AssertionError("no notification server")
        r = bus("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                "org.freedesktop.DBus.Properties.Get", "org.freedesktop.portal.Notification",
                "version")
        if r.returncode != 0 or "uint32" not in r.stdout:
            raise AssertionError(f"no Notification portal: {r.stdout}{r.stderr}")
        quit_instance()
        frame = start_window("app-notify.log")
        notified["frame"] = frame
        # The sample cloud, which runs inside the application, has VAULT with DELETED in it.
        kvbgui.click(wait_for(lambda: find(frame, by(
            "push button", "_Try the Sample Cloud Try the Sample Cloud", "click")), 30,
            what="the sample cloud button"))
        def sidebar():
            return find(frame, by("list", "Subscriptions and vaults"))

        try:
            wait_for(lambda: find(sidebar(), by("label", VAULT)), 60, what=f"{VAULT} in the sidebar")
        except TimeoutError:
            raise AssertionError(f"{VAULT} is not in the sidebar; the window says " + repr(
                [a.name for a in kvbgui.find_all(frame, by("label")) if a.name])) from None
        sidebar = sidebar()
        rows = [sidebar.getChildAtIndex(i) for i in range(sidebar.childCount)]
        sidebar.querySelection().selectChild(
            next(i for i, r in enumerate(rows) if find(r, by("label", VAULT))))
        kvbgui.click(wait_for(lambda: find(frame, by("page tab", "Deleted")), 30,
                              what="the Deleted tab"))

        def deleted_row():
            table = find(frame, by("tree table", "Deleted secrets"))
            if table is None or not find(table, by("label", DELETED)):
                return None

            def selectable(a):
                try:
                    a.querySelection()
                    return a.getRoleName() != "tree table"
                except NotImplementedError:
                    return False
            rows = find(table, selectable)
            sel = rows.querySelection()
            sel.clearSelection()
            for i in range(rows.childCount):
                if find(rows.getChildAtIndex(i), by("label", DELETED)):
                    sel.selectChild(i)
            return sel.nSelectedChildren == 1

        wait_for(deleted_row, 30, what=f"{DELETED} listed and selected")
        recover = wait_for(lambda: find(frame, by("push button", "_Recover Recover", "click")),
                           10, what="the Recover button")
        # The person turns to another program; the recovery runs on.
        take_focus_away()
        wait_for(lambda: "active" not in states(frame), 10, what="the window to lose the focus")
        kvbgui.click(recover)
        line = {}
        deadline = time.monotonic() + 60
        while "summary" not in line:
            try:
                line = notices.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise AssertionError("no notification arrived in 60 s") from None
        notified.update(line)
        if (line["summary"], line["body"]) != ("Recovery Finished",
                                               f"“{DELETED}” was recovered."):
            raise AssertionError(line)
        if "default" not in line["actions"]:
            raise AssertionError(f"no default action: {line}")
        return True

    notify_start = time.monotonic()
    have_notification = tap.check(
        "inside, a recovery that ends while the window is not focused sends its notification "
        "through the Notification portal: the desktop's notification server gets its title, "
        "body and default action", notification)

    def invoke():
        if not have_notification:
            raise AssertionError("no notification")
        frame = notified["frame"]
        if "active" in states(frame):
            raise AssertionError("the window has the focus already")
        notifier.stdin.write(f"invoke {notified['id']} default\n")
        notifier.stdin.flush()
        wait_for(lambda: "active" in states(frame), 20,
                 what="the window to come to the front")
        # At the result: the vault's page, where the secret is no longer among the deleted.
        table = find(frame, by("tree table", "Deleted secrets"))
        wait_for(lambda: table is not None and not find(table, by("label", DELETED)), 20,
                 what=f"{DELETED} gone from the deleted secrets")
        return True

    tap.check("invoking the notification's action, as a click on it does, brings the window to "
              "the front at the vault it was about", invoke)
    timings.append(("notification checks", time.monotonic() - notify_start))

    # ---- Scheduled backups: the Background portal, and the start with the session ----

    backups = os.path.join(env["HOME"], "Backups")
    autostart = os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(env["HOME"], ".config"),
                             "autostart", APP_ID + ".desktop")
    schedules = os.path.join(env["HOME"], ".var", "app", APP_ID, "config", "key-vault-backup",
                             "schedules.ini")
    history = os.path.join(app_data, "key-vault-backup", "history.jsonl")
    scheduled = {}

    def portal_dialog(title):
        """The dialog of xdg-desktop-portal-gtk titled TITLE (the FileChooser portal's)."""
        pyatspi = kvbgui._pyatspi()

        def lookup():
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                if a is not None and a.name == "xdg-desktop-portal-gtk":
                    found = find(a, lambda d: d.getRoleName() == "file chooser" and d.name == title)
                    if found is not None:
                        return found
            return None

        return wait_for(lookup, 30, what=f"the portal's “{title}” dialog")

    def choose_folder_in_portal(title, folder, accept):
        """As a person does in GTK's file chooser: the location entry (Ctrl+L), the folder's
        path, then the accept button."""
        dialog = portal_dialog(title)
        widget = wait_for(lambda: find(dialog, lambda a: a.getRoleName() == "file chooser" and
                                       "show_location" in kvbgui.actions(a)), 10,
                          what="the file chooser widget")
        action = widget.queryAction()
        action.doAction(next(i for i in range(action.nActions)
                             if action.getName(i) == "show_location"))
        entry = wait_for(lambda: find(widget, by("text")), 10, what="the location entry")
        kvbgui.set_text(entry, folder + "/")
        kvbgui.click(wait_for(lambda: find(dialog, by("push button", accept, "click")), 10,
                              what=f"the {accept} button"))

    def whole_vault_item(frame, item):
        """Picks VAULT in the sidebar, then ITEM of its Whole Vault menu."""
        side = wait_for(lambda: (lambda s: s if s is not None and find(s, by("label", VAULT))
                                 else None)(find(frame, by("list", "Subscriptions and vaults"))),
                        60, what=f"{VAULT} in the sidebar")
        rows = [side.getChildAtIndex(i) for i in range(side.childCount)]
        side.querySelection().selectChild(
            next(i for i, r in enumerate(rows) if find(r, by("label", VAULT))))
        kvbgui.click(wait_for(lambda: find(frame, lambda a: a.name == "Whole Vault" and
                                           "click" in kvbgui.actions(a)), 30,
                              what="the Whole Vault menu button"))
        kvbgui.click(wait_for(lambda: find(frame, by("menu item", item, "click")), 10, what=item))

    def schedule_in_window():
        quit_instance()
        os.makedirs(backups, exist_ok=True)
        # The settings kvbackup's checks left (a sign-in to the sample cloud) go: the window
        # starts on its welcome page.
        settings_file = os.path.join(env["HOME"], ".var", "app", APP_ID, "config", "glib-2.0",
                                     "settings", "keyfile")
        if os.path.exists(settings_file):
            os.remove(settings_file)
        # The folder is granted to the application, as with `flatpak override --filesystem` or
        # Flatseal: the FileChooser portal then answers with its own path.  Without it the answer
        # is a path in the document portal's mount, which the sandbox sees at /run/user/UID/doc —
        # where the host sees it too on a desktop, but not with the test session's own runtime
        # folder.
        flatpak("override", "--user", "--filesystem=" + backups, APP_ID)
        # Settings kept in the application's folder, as a start at log-in reads them.
        frame = start_window("app-schedule.log", "--env=KVB_TEST_CLOUD_PROFILE=" + profile,
                             "--env=G_MESSAGES_DEBUG=kvb-background-portal", settings=None)
        app = accessibles["app"]
        sign_in(frame)
        whole_vault_item(frame, "Schedule Backups…")
        kvbgui.click(wait_for(lambda: find(app, lambda a: a.getRoleName() == "push button" and
                                           "Choose Folder" in (a.name or "")), 20,
                              what="the Choose Folder button"))
        choose_folder_in_portal("Schedule Backups", backups, "Schedule")
        done = wait_for(lambda: find(app, lambda a: a.getRoleName() == "label" and
                                     (a.name or "").startswith("Every night at 02:30 Key Vault Backup")),
                        60, what="the scheduled dialog")
        if "starts with your session" not in done.name:
            raise AssertionError(done.name)

        # The desktop starts it with the session: its backend wrote the autostart entry.
        with open(autostart, encoding="utf-8") as f:
            entry = f.read()
        exec_line = next(line[5:] for line in entry.splitlines() if line.startswith("Exec="))
        argv = shlex.split(exec_line)
        if argv[:2] != ["flatpak", "run"] or "--command=key-vault-backup" not in argv or \
           APP_ID not in argv or argv[-1] != "--scheduled":
            raise AssertionError(entry)
        scheduled["argv"] = argv
        # The schedule, in the application's own settings folder, private.
        if os.stat(schedules).st_mode & 0o077:
            raise AssertionError("the schedules file is readable by others")
        keys = configparser.ConfigParser(interpolation=None)
        keys.optionxform = str
        keys.read(schedules)
        if VAULT not in keys or keys[VAULT]["Frequency"] != "daily" or \
           keys[VAULT]["Cloud"] != profile or keys[VAULT]["Keep"] != "14":
            raise AssertionError(open(schedules).read())
        scheduled["keys"] = keys
        if keys[VAULT]["Folder"] != backups:
            raise AssertionError(f"the folder chosen was {keys[VAULT]['Folder']}")
        quit_instance()
        return True

    have_schedule = tap.check("inside, Schedule Backups takes a folder through the FileChooser "
                              "portal and asks the Background portal to start the application "
                              "with the session: the desktop's autostart entry runs it with "
                              "--scheduled, and the schedule is in its own settings, private",
                              lambda: with_logs(schedule_in_window, "app-schedule.log",
                                                "portal.log", "portal-gnome.log", "portal-gtk.log"))

    def scheduled_start():
        if not have_schedule:
            raise AssertionError("no schedule")
        keys = scheduled["keys"]
        # Two nights missed: the computer was off.
        keys[VAULT]["LastRun"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(time.time() - 2 * 86400))
        with open(schedules, "w") as f:
            keys.write(f, space_around_delimiters=False)
        # As the session starts it at log-in: the autostart entry's command line, as it is.
        global app_proc
        # flatpak run passes the environment in: the runner's lines go to the log, and the
        # window it opens later is on the accessibility bus, drawn without GL (as the other
        # checks' windows).
        session_env = dict(env, G_MESSAGES_DEBUG="kvb-schedule-runner", GSK_RENDERER="cairo")
        session_env.pop("NO_AT_BRIDGE", None)
        session_env.pop("GTK_A11Y", None)
        app_proc = subprocess.Popen(scheduled["argv"], env=session_env, stdin=subprocess.DEVNULL,
                                    stdout=open(os.path.join(work, "app-scheduled.log"), "w"),
                                    stderr=subprocess.STDOUT)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        root = os.path.join(backups, VAULT)
        latest = os.path.join(root, "latest")
        wait_for(lambda: os.path.islink(latest), 180, what="the night's backup and “latest”")
        if os.path.realpath(latest) != os.path.realpath(os.path.join(root, today)):
            raise AssertionError(f"latest points at {os.readlink(latest)}")
        with open(os.path.join(root, today, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        statuses = {o["status"] for o in manifest["objects"]}
        if not manifest["objects"] or not statuses <= {"done", "covered"}:
            raise AssertionError(f"manifest: {statuses}")
        # The backup is whole and true, read on the host by the project's kvbackup.
        r = subprocess.run([os.path.join(build, "src", "cli", "kvbackup"), "verify",
                            os.path.join(root, today)], env=env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"verify: {r.stdout}{r.stderr}")
        # Recorded in the history and in the schedule, and the application stays for the next
        # night, with no window.
        with open(history, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        if not any(line.get("vault") == VAULT and line.get("operation") == "backup"
                   for line in lines):
            raise AssertionError(f"no backup of {VAULT} in the history: {lines[-3:]}")
        again = configparser.ConfigParser(interpolation=None)
        again.read(schedules)
        if again[VAULT]["LastRun"] == keys[VAULT]["LastRun"]:
            raise AssertionError("the run was not recorded")
        if app_proc.poll() is not None or not name_has_owner(APP_ID):
            raise AssertionError("the application did not stay for the next night")
        return True

    have_run = tap.check("started as the session starts it, with no window, the application "
                         "makes up the missed night: the vault is backed up into the chosen "
                         "folder, “latest” moves to it, it verifies on the host, the history "
                         "has it, and the application stays for the next night",
                         lambda: with_logs(scheduled_start, "app-scheduled.log"))

    def unschedule_in_window():
        if not have_run:
            raise AssertionError("no scheduled run")
        # The running instance opens its window, as a start from the application grid does.
        subprocess.run(["flatpak", "--user", "run", APP_ID],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        pyatspi = kvbgui._pyatspi()
        app = wait_for(lambda: next((a for a in (pyatspi.Registry.getDesktop(0).getChildAtIndex(i)
                                                 for i in range(pyatspi.Registry.getDesktop(0).childCount))
                                     if a is not None and a.name == "key-vault-backup" and
                                     find(a, by("frame", "Key Vault Backup"))), None), 60,
                       what="the window of the running instance")
        frame = find(app, by("frame", "Key Vault Backup"))
        whole_vault_item(frame, "Stop Nightly Backups…")
        kvbgui.click(wait_for(lambda: find(app, lambda a: a.getRoleName() == "push button" and
                                           "Remove Schedule" in (a.name or "")), 20,
                              what="the Remove Schedule button"))
        wait_for(lambda: find(app, lambda a: a.getRoleName() == "label" and
                              (a.name or "").startswith(f"Vault “{VAULT}” is no longer backed up")),
                 30, what="the stopped dialog")
        wait_for(lambda: not os.path.exists(autostart), 30, what="the autostart entry to go")
        keys = configparser.ConfigParser(interpolation=None)
        keys.read(schedules)
        if VAULT in keys:
            raise AssertionError(open(schedules).read())
        # The backups made stay.
        if not os.path.islink(os.path.join(backups, VAULT, "latest")):
            raise AssertionError("the backups were removed")
        quit_instance()
        flatpak("override", "--user", "--reset", APP_ID)
        return True

    tap.check("Stop Nightly Backups inside removes the schedule and has the Background portal "
              "take the start with the session away; the backups stay",
              lambda: with_logs(unschedule_in_window, "app-scheduled.log", "portal-gnome.log"))
finally:
    if app_proc is not None and app_proc.poll() is None:
        app_proc.kill()
    if notifier is not None and notifier.poll() is None:
        notifier.stdin.close()
        notifier.wait(10)
    if portal_gnome_proc is not None and portal_gnome_proc.poll() is None:
        portal_gnome_proc.terminate()
        portal_gnome_proc.wait(10)
    if portal_gtk_proc is not None and portal_gtk_proc.poll() is None:
        portal_gtk_proc.terminate()
        portal_gtk_proc.wait(10)
    if portal_proc is not None and portal_proc.poll() is None:
        portal_proc.terminate()
        portal_proc.wait(10)
    if emu is not None:
        emu.stop()
    print("# " + ", ".join(f"{name} {secs:.0f} s" for name, secs in timings), flush=True)
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)

sys.exit(tap.finish())
