#!/usr/bin/python3
# test-kvbackup-signin.py: kvbackup login / logout / accounts against the stand-in, with the real
# keyring of the session (gnome-keyring on the test harness's private bus), the account list in
# a keyfile GSettings backend, and a new process for every step, as a user would run it.  Also
# the Azure CLI path (Debian's azure-cli signed in to the stand-in through its proxy), and a
# search of everything kvbackup printed or wrote for secrets.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, Skip, check, control, kvbackup, play_browser, KVBACKUP  # noqa: E402

tap = kvbtest.Tap()
SCHEMA = "io.github.kvbackup.KeyVaultBackup.Credential"
VAULT = "contoso-prod-kv"


def need_keyring():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise Skip("no D-Bus session bus (the test harness runs one with gnome-keyring)")
    if shutil.which("secret-tool") is None:
        raise Skip("secret-tool (libsecret-tools) is not installed")


class Session:
    """One user's private configuration: GSettings in a keyfile, debug output on, and a record
    of everything kvbackup printed, to search for secrets at the end."""

    def __init__(self, emu, env):
        self.emu = emu
        self.dir = tempfile.mkdtemp(prefix="kvbtest-signin-")
        self.env = dict(env)
        self.env["GSETTINGS_BACKEND"] = "keyfile"
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.dir, "config")
        self.env["XDG_CACHE_HOME"] = os.path.join(self.dir, "cache")
        self.env["G_MESSAGES_DEBUG"] = "all"
        self.outputs = []

    def run(self, args, stdin=None, timeout=120):
        if stdin is None:
            res = kvbackup(args, self.env, cwd=self.dir, timeout=timeout)
        else:
            start = time.monotonic()
            proc = subprocess.run([KVBACKUP] + list(args), env=self.env, cwd=self.dir,
                                  input=stdin, capture_output=True, text=True, timeout=timeout)
            res = kvbtest.Result(proc, list(args), time.monotonic() - start)
        self.outputs += [res.stdout, res.stderr]
        return res

    def start(self, args):
        """A kvbackup that keeps running (a sign-in waiting for the user)."""
        return subprocess.Popen([KVBACKUP] + list(args), env=self.env, cwd=self.dir, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def finish(self, proc, timeout=60):
        out, err = proc.communicate(timeout=timeout)
        self.outputs += [out, err]
        res = kvbtest.Result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                             proc.args[1:], 0)
        return res

    def written(self):
        """The text of every file kvbackup may have written (settings, cache, working dir)."""
        texts = []
        for path in glob.glob(os.path.join(self.dir, "**"), recursive=True):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    texts.append(f.read().decode("utf-8", "replace"))
        return texts

    def assert_no_secret(self, *secrets):
        everything = self.outputs + self.written()
        for s in secrets:
            if not s:
                continue
            for text in everything:
                check(s not in text, "a secret (%s…) appears in kvbackup's output or files" % s[:6])
        # Access and ID tokens are JWTs: nothing that looks like one may appear anywhere.
        for text in everything:
            check(re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", text) is None,
                  "a token appears in kvbackup's output or files:\n" + text[-2000:])

    def settings_text(self):
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def keyring_items(user):
    """(label, attributes, secret) of our items for @user, as secret-tool shows them."""
    proc = subprocess.run(["secret-tool", "search", "--all", "--unlock", "account", user],
                          capture_output=True, text=True, timeout=30)
    items, cur = [], None
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        if line.startswith("[/"):
            cur = {"attrs": {}}
            items.append(cur)
        elif cur is not None and " = " in line:
            k, v = line.split(" = ", 1)
            if k.startswith("attribute."):
                cur["attrs"][k[len("attribute."):]] = v
            else:
                cur[k] = v
    # secret-tool shows the schema as "schema = …" (newer) or as the xdg:schema attribute.
    for i in items:
        if "xdg:schema" in i["attrs"]:
            i["schema"] = i["attrs"].pop("xdg:schema")
    return [i for i in items if i.get("schema") == SCHEMA]


def read_until(proc, pattern, timeout=30):
    """Reads kvbackup's stdout until a line matches; returns the match."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m, seen
    raise AssertionError("kvbackup did not print %r; it printed %r" % (pattern, seen))


def device_code_login(s, extra=()):
    proc = s.start(["login", "--device-code"] + list(extra))
    m, seen = read_until(proc, r"^Code: (\S+)")
    s.outputs += seen
    time.sleep(2)   # let it poll a couple of times
    check(control(s.emu, "/_emulator/devicecode/approve", {"user_code": m.group(1)}) == 200,
          "approval at the stand-in")
    return s.finish(proc)


def stored_refresh_token(user):
    items = keyring_items(user)
    check(len(items) == 1, "one keyring item for %s, found %r" % (user, items))
    return items[0].get("secret")


@tap.test
def test_device_code_login_accounts_list_logout():
    need_keyring()
    with Emulator() as emu:
        s = Session(emu, emu.direct_env(credentials=False))
        try:
            res = device_code_login(s)
            check(res.status == 0, "login --device-code", res)
            check(emu["user"] in res.stderr, "the signed-in user is named", res)

            # A new process finds the account (GSettings) and its refresh token (keyring).
            res = s.run(["accounts"])
            check(res.status == 0 and emu["user"] in res.stdout, "accounts lists the user", res)
            check("sample" in res.stdout and emu["tenant"] in res.stdout, "cloud and tenant", res)
            check(emu["user"] in s.settings_text(), "the account list is in GSettings")

            items = keyring_items(emu["user"])
            check(len(items) == 1, "one keyring item: %r" % items)
            item = items[0]
            check(item["label"] == "Key Vault Backup: refresh token for %s" % emu["user"],
                  "label %r" % item["label"])
            check(set(item["attrs"]) == {"cloud", "authority", "client-id", "tenant",
                                          "account", "kind"}, "attributes %r" % item["attrs"])
            check(item["attrs"]["kind"] == "refresh_token", "kind")
            rt1 = item["secret"]
            check(rt1 and all(rt1 not in v for v in item["attrs"].values()), "no secret in attributes")

            # Another new process uses the stored sign-in (no AZURE_* variables, no az).
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0, "list with the stored sign-in", res)
            rt2 = stored_refresh_token(emu["user"])
            check(rt2 and rt2 != rt1, "the rotated refresh token was stored")
            res = s.run(["list", "--vault", VAULT, "--kind", "key"])
            check(res.status == 0, "list again with the rotated refresh token", res)
            rt3 = stored_refresh_token(emu["user"])

            s.assert_no_secret(rt1, rt2, rt3)
            check(rt1 not in s.settings_text() and rt3 not in s.settings_text(), "no token in GSettings")

            # Sign out: the keyring items and the account go.
            res = s.run(["logout"])
            check(res.status == 0, "logout", res)
            check(keyring_items(emu["user"]) == [], "keyring items left after logout")
            res = s.run(["accounts"])
            check(emu["user"] not in res.stdout, "the account is gone", res)
        finally:
            s.cleanup()


@tap.test
def test_browser_login():
    need_keyring()
    with Emulator() as emu:
        s = Session(emu, emu.direct_env(credentials=False))
        try:
            proc = s.start(["login", "--browser", "--no-launch-browser"])
            m, seen = read_until(proc, r"^(https://\S+/oauth2/v2\.0/authorize\?\S+)$")
            s.outputs += seen
            status, code = play_browser(emu, m.group(1))
            check(status == 200, "the listener's page")
            res = s.finish(proc)
            check(res.status == 0, "login --browser", res)
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0, "list with the browser sign-in", res)
            s.assert_no_secret(code, stored_refresh_token(emu["user"]))
            check(s.run(["logout", emu["user"]]).status == 0, "logout by name")
            check(keyring_items(emu["user"]) == [], "keyring items left after logout")
        finally:
            s.cleanup()


@tap.test
def test_revoked_refresh_token():
    need_keyring()
    with Emulator() as emu:
        s = Session(emu, emu.direct_env(credentials=False))
        try:
            check(device_code_login(s).status == 0, "login")
            control(emu, "/_emulator/refresh-tokens/revoke", {"user": emu["user"]})
            res = s.run(["list", "--vault", VAULT], timeout=60)
            check(res.status == 1, "list after revocation fails", res)
            check("sign in again" in res.stderr, "the user is told to sign in again", res)
            check(res.seconds < 20, "no retry loop (%.1f s)" % res.seconds, res)
            check(keyring_items(emu["user"]) == [], "the refused refresh token was removed")
            s.run(["logout"])
        finally:
            s.cleanup()


@tap.test
def test_service_principal_login():
    need_keyring()
    with Emulator() as emu:
        s = Session(emu, emu.direct_env(credentials=False))
        try:
            res = s.run(["login", "--service-principal", "--tenant", emu["tenant"],
                         "--client-id", emu["client_id"]], stdin=emu["client_secret"] + "\n")
            check(res.status == 0, "login --service-principal (secret on stdin)", res)
            items = keyring_items(emu["client_id"])
            check(len(items) == 1 and items[0]["attrs"]["kind"] == "client_secret", "secret stored %r" % items)
            check(items[0]["secret"] == emu["client_secret"], "the stored secret")
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0, "list with the stored service principal", res)
            s.assert_no_secret(emu["client_secret"])
            check(s.run(["logout"]).status == 0, "logout")
            check(keyring_items(emu["client_id"]) == [], "secret left after logout")

            # A certificate: nothing goes to the keyring, the path is remembered.
            res = s.run(["login", "--service-principal", "--tenant", emu["tenant"],
                         "--client-id", emu["client_id"], "--certificate", emu["client_certificate"]])
            check(res.status == 0, "login --service-principal --certificate", res)
            check(keyring_items(emu["client_id"]) == [], "no keyring item for a certificate")
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0, "list with the certificate", res)
            s.assert_no_secret(emu["client_secret"])
            s.run(["logout"])
        finally:
            s.cleanup()


def az_env(emu, config_dir):
    env = emu.proxy_env(credentials=False)
    env["AZURE_CONFIG_DIR"] = config_dir
    env["HTTPS_PROXY"] = emu["proxy"]
    env["REQUESTS_CA_BUNDLE"] = emu["ca"]
    env["AZURE_CORE_COLLECT_TELEMETRY"] = "false"
    env["AZURE_CORE_NO_COLOR"] = "true"
    return env


@tap.test
def test_azure_cli():
    need_keyring()
    if shutil.which("az") is None:
        raise Skip("azure-cli is not installed")
    with Emulator() as emu:
        azdir = tempfile.mkdtemp(prefix="kvbtest-az-")
        s = Session(emu, az_env(emu, azdir))
        try:
            # Not signed in yet: a clear message.
            res = s.run(["login", "--azure-cli", "--cloud", "public"], timeout=180)
            check(res.status == 1 and "az login" in res.stderr, "not signed in to az", res)

            # Recipe A of real-clients.md: az signed in to the stand-in through its proxy.
            proc = subprocess.run(["az", "login", "--service-principal", "-u", emu["client_id"],
                                   "-p", emu["client_secret"], "--tenant", emu["tenant"],
                                   "--allow-no-subscriptions", "--output", "none"],
                                  env=s.env, capture_output=True, text=True, timeout=180)
            check(proc.returncode == 0, "az login: %s" % proc.stderr[-2000:])

            res = s.run(["login", "--azure-cli", "--cloud", "public"], timeout=180)
            check(res.status == 0, "login --azure-cli", res)
            res = s.run(["accounts"])
            check("azure-cli" in res.stdout, "the Azure CLI account is listed", res)
            # The production cloud profile, through the proxy, with az's token.
            res = s.run(["list", "--cloud", "public", "--vault", VAULT], timeout=180)
            check(res.status == 0, "list with the Azure CLI's token", res)
            s.assert_no_secret(emu["client_secret"])
            s.run(["logout"])

            # az missing from PATH: a clear message.
            env = dict(s.env)
            env["PATH"] = s.dir
            res = kvbackup(["login", "--azure-cli", "--cloud", "public"], env, cwd=s.dir)
            check(res.status == 1 and "not installed" in res.stderr, "az missing", res)
        finally:
            s.cleanup()
            shutil.rmtree(azdir, ignore_errors=True)


if __name__ == "__main__":
    skip = None if kvbtest.have_kvbackup() else "kvbackup is not built"
    sys.exit(tap.run(skip))
