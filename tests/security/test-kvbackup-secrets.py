#!/usr/bin/python3
# test-kvbackup-secrets.py: where secrets must never go.  kvbackup runs against the stand-in
# with a vault of known secret values, private XDG folders and debug output on; afterwards every
# line it printed and every file it wrote is searched for refresh tokens, access tokens, client
# secrets, device codes and the vault's secret values, and the modes of what it wrote are
# checked.  A fake `az` first on PATH records the command line and environment the Azure CLI
# credential gives it, and /proc shows what a running kvbackup exposes to other processes.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, Skip, check, KVBACKUP  # noqa: E402

# The sign-in test's helpers (its Session, keyring reading and device-code approval).
_spec = importlib.util.spec_from_file_location(
    "kvbsignin", os.path.join(HERE, "..", "signin", "test-kvbackup-signin.py"))
signin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(signin)

tap = kvbtest.Tap()
SEED = os.path.join(HERE, "seed-security.json")
VAULT = "sec-kv"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.")
# The stand-in's device codes, authorization codes and refresh tokens are base64url runs of 64
# and more characters; nothing kvbackup prints or keeps outside a backup blob is that long.
LONG_RUN = re.compile(r"[A-Za-z0-9_-]{60,}")


def seed_values():
    """Every secret value of the seeded vault, as text, base64 and base64url."""
    with open(SEED) as f:
        seed = json.load(f)
    values = []
    for vault in seed["vaults"]:
        for s in vault.get("secrets", []):
            for v in s.get("versions", []):
                values.append(v["value"])
    forms = []
    for v in values:
        raw = v.encode()
        forms += [v, base64.b64encode(raw).decode().rstrip("="),
                  base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return forms


class Private(signin.Session):
    """A Session whose data and state folders are private too (history, resume state)."""

    def __init__(self, emu, env):
        super().__init__(emu, env)
        for var, name in (("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                          ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
            self.env[var] = os.path.join(self.dir, name)
            os.makedirs(self.env[var], mode=0o700, exist_ok=True)
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out, mode=0o700)
        self.made_by_test = {self.dir, self.out} | {self.env[v] for v in
                                                   ("XDG_DATA_HOME", "XDG_STATE_HOME",
                                                    "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}

    def files(self):
        """(path, bytes) of every regular file under the session's folders."""
        found = []
        for root, dirs, names in os.walk(self.dir):
            for n in names:
                p = os.path.join(root, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as f:
                        found.append((p, f.read()))
        return found

    def assert_modes(self):
        """What kvbackup created: folders 0700, files 0600 (the settings keyfile too)."""
        for root, dirs, names in os.walk(self.dir):
            if root not in self.made_by_test:
                mode = stat.S_IMODE(os.stat(root).st_mode)
                check(mode == 0o700, "folder %s has mode %o, not 700" % (root, mode))
            for n in names:
                p = os.path.join(root, n)
                mode = stat.S_IMODE(os.lstat(p).st_mode)
                check(mode == 0o600, "file %s has mode %o, not 600" % (p, mode))

    def assert_clean(self, secrets):
        texts = [("output", t) for t in self.outputs]
        for path, data in self.files():
            texts.append((os.path.relpath(path, self.dir), data.decode("utf-8", "replace")))
        for name, text in texts:
            for s in secrets:
                if s:
                    check(s not in text, "a secret (%s…) appears in %s" % (s[:8], name))
            # A backup blob is itself a JWE (its header is base64url JSON, "eyJ…"), sealed by
            # Key Vault: only the values above are looked for in it.
            if name.endswith(".kvbackup"):
                continue
            check(JWT.search(text) is None, "a token appears in %s" % name)
            # Digests (hex) are fine; a base64url code or token is not.
            for m in LONG_RUN.finditer(text):
                check(re.fullmatch(r"[0-9a-f]+", m.group(0)) is not None,
                      "a long code or token (%s…) appears in %s" % (m.group(0)[:8], name))


@tap.test
def test_no_secret_in_output_or_files():
    signin.need_keyring()
    with Emulator("--seed", SEED) as emu:
        s = Private(emu, emu.direct_env(credentials=False))
        try:
            # A user: device code, a list, one secret, the whole vault.
            res = signin.device_code_login(s)
            check(res.status == 0, "login --device-code", res)
            rt1 = signin.stored_refresh_token(emu["user"])
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0 and "db-password" in res.stdout, "list", res)
            res = s.run(["backup", "--vault", VAULT, "--kind", "secret", "--name", "db-password",
                         "--output", s.out])
            check(res.status == 0, "backup of one secret", res)
            res = s.run(["backup", "--vault", VAULT, "--all", "--output",
                         os.path.join(s.out, "whole")])
            check(res.status == 0, "backup of the whole vault", res)
            rt2 = signin.stored_refresh_token(emu["user"])
            check(s.run(["logout"]).status == 0, "logout")

            # A service principal: its secret on stdin, then the same jobs.
            res = s.run(["login", "--service-principal", "--tenant", emu["tenant"],
                         "--client-id", emu["client_id"]], stdin=emu["client_secret"] + "\n")
            check(res.status == 0, "login --service-principal", res)
            res = s.run(["list", "--vault", VAULT, "--kind", "key"])
            check(res.status == 0, "list with the service principal", res)
            res = s.run(["backup", "--vault", VAULT, "--all", "--output",
                         os.path.join(s.out, "whole-sp")])
            check(res.status == 0, "whole-vault backup with the service principal", res)
            check(s.run(["logout"]).status == 0, "logout")

            blobs = [p for p, _ in s.files() if p.endswith(".kvbackup")]
            check(len(blobs) >= 11, "the backups were written: %r" % blobs)
            names = {os.path.relpath(p, s.dir) for p, _ in s.files()}
            for wanted in ("out/whole/manifest.json", "data/key-vault-backup/history.jsonl",
                           "config/glib-2.0/settings/keyfile"):
                check(wanted in names, "%s was written (and is searched): %r" % (wanted, names))
            s.assert_clean([rt1, rt2, emu["client_secret"]] + seed_values())
            s.assert_modes()
        finally:
            s.cleanup()


FAKE_AZ = r'''#!/usr/bin/python3
# A stand-in for the Azure CLI: records how it was started, answers like az.
import json, os, ssl, sys, time, urllib.request
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "fake-az.json")) as f:
    conf = json.load(f)
args = sys.argv[1:]
with open(conf["record"], "a") as f:
    f.write(json.dumps({"argv": sys.argv, "env": dict(os.environ)}) + "\n")
if args[:2] == ["account", "show"]:
    print(json.dumps({"user": {"name": conf["user"], "type": "user"}, "tenantId": conf["tenant"],
                      "id": conf["subscription"], "isDefault": True, "state": "Enabled"}))
elif args[:2] == ["account", "get-access-token"]:
    scope = args[args.index("--scope") + 1]
    req = urllib.request.Request(conf["url"] + "/_emulator/token", method="POST",
                                 data=json.dumps({"object_id": conf["object_id"],
                                                  "resource": scope[:-len("/.default")]}).encode(),
                                 headers={"Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=conf["ca"])
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        token = json.load(r)["access_token"]
    with open(conf["issued"], "a") as f:
        f.write(token + "\n")
    print(json.dumps({"accessToken": token, "expires_on": int(time.time()) + 3600,
                      "tenant": conf["tenant"], "tokenType": "Bearer"}))
else:
    sys.stderr.write("ERROR: unexpected command\n")
    sys.exit(2)
'''

# What a scheduled job may carry in its environment and az has no use for.
DECOYS = {"AZURE_CLIENT_SECRET": "env-secret-Zr8wT3nB5kQ1",
          "AZURE_CLIENT_CERTIFICATE_PASSWORD": "env-cert-pass-Yd4hM9cF2",
          "AZURE_PASSWORD": "env-password-Wq6jN1xL7"}


@tap.test
def test_azure_cli_child_gets_no_secret():
    # Decision: the Azure CLI keeps its own sign-in, so the child gets neither kvbackup's
    # secrets (none are ever put on its command line) nor the secret-bearing AZURE_*
    # variables of a scheduled job's environment, which it does not read.
    with Emulator("--seed", SEED) as emu:
        s = Private(emu, emu.direct_env(credentials=False))
        try:
            bindir = os.path.join(s.dir, "bin")
            os.makedirs(bindir)
            record, issued = os.path.join(s.dir, "az-runs.jsonl"), os.path.join(s.dir, "issued")
            with open(os.path.join(bindir, "fake-az.json"), "w") as f:
                json.dump({"record": record, "issued": issued, "url": emu["url"], "ca": emu["ca"],
                           "user": emu["user"], "tenant": emu["tenant"],
                           "object_id": "8a6c4e2f-0b9d-4c7a-8e5f-3d1b9f7a5c3e",
                           "subscription": "1e3a5c7b-9d0f-4b2a-8c4e-6f8a0b2c4d6e"}, f)
            az = os.path.join(bindir, "az")
            with open(az, "w") as f:
                f.write(FAKE_AZ)
            os.chmod(az, 0o700)
            s.env["PATH"] = bindir + os.pathsep + s.env.get("PATH", "/usr/bin:/bin")
            s.env["AZURE_CONFIG_DIR"] = os.path.join(s.dir, "azure")

            env_login = dict(s.env, **DECOYS)
            saved, s.env = s.env, env_login
            res = s.run(["login", "--azure-cli"])
            s.env = saved
            check(res.status == 0, "login --azure-cli", res)
            res = s.run(["list", "--vault", VAULT])
            check(res.status == 0 and "api-key" in res.stdout, "list with the Azure CLI's token", res)
            res = s.run(["backup", "--vault", VAULT, "--kind", "secret", "--name", "api-key",
                         "--output", s.out])
            check(res.status == 0, "backup with the Azure CLI's token", res)
            s.run(["logout"])

            with open(record) as f:
                runs = [json.loads(line) for line in f]
            with open(issued) as f:
                tokens = [t.strip() for t in f if t.strip()]
            check(any(r["argv"][1:3] == ["account", "get-access-token"] for r in runs),
                  "az was asked for a token: %r" % [r["argv"] for r in runs])
            check(tokens, "az gave out tokens")
            for r in runs:
                argv = " ".join(r["argv"])
                for word in r["argv"][1:]:
                    check(re.fullmatch(r"[A-Za-z0-9.:/_-]+", word) is not None,
                          "only plain words on az's command line: %r" % r["argv"])
                for name in DECOYS:
                    check(name not in r["env"], "%s was passed on to az" % name)
                values = "\n".join(r["env"].values())
                for secret in list(DECOYS.values()) + tokens + [emu["client_secret"]]:
                    check(secret not in argv and secret not in values,
                          "a secret (%s…) reached az's command line or environment" % secret[:8])
                check(JWT.search(argv + values) is None, "a token reached az: %r" % r["argv"])
            # The token az gave is not kept or printed by kvbackup either.
            os.remove(issued)
            os.remove(record)
            s.assert_clean(tokens + list(DECOYS.values()) + seed_values())
        finally:
            s.cleanup()


def proc_text(pid, what):
    with open("/proc/%d/%s" % (pid, what), "rb") as f:
        return f.read().replace(b"\0", b"\n").decode("utf-8", "replace")


@tap.test
def test_running_kvbackup_shows_no_secret():
    signin.need_keyring()
    # Slow answers keep a whole-vault backup running long enough to look at it.
    with Emulator("--seed", SEED, "--latency-ms", "300") as emu:
        s = Private(emu, emu.direct_env(credentials=False))
        try:
            # The secret goes in on stdin; while kvbackup waits for it, its argv has no room
            # for one, and the command line refuses an option that would carry it.
            proc = subprocess.Popen([KVBACKUP, "login", "--service-principal", "--tenant",
                                     emu["tenant"], "--client-id", emu["client_id"]],
                                    env=s.env, cwd=s.dir, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            check(emu["client_secret"] not in proc_text(proc.pid, "cmdline"), "argv")
            out, err = proc.communicate(emu["client_secret"] + "\n", timeout=60)
            s.outputs += [out, err]
            check(proc.returncode == 0, "login --service-principal: " + err)
            for option in ("--client-secret", "--secret", "--password"):
                res = s.run(["login", "--service-principal", "--tenant", emu["tenant"],
                             "--client-id", emu["client_id"], option, emu["client_secret"]])
                check(res.status == 2, "%s is refused" % option, res)

            # A job with the stored secret (from the keyring): nothing secret in /proc.
            proc = subprocess.Popen([KVBACKUP, "backup", "--vault", VAULT, "--all", "--output",
                                     os.path.join(s.out, "whole")],
                                    env=s.env, cwd=s.dir, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            seen = []
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    seen.append(proc_text(proc.pid, "cmdline") + proc_text(proc.pid, "environ"))
                except OSError:
                    break
                time.sleep(0.2)
            out, err = proc.communicate(timeout=60)
            s.outputs += [out, err]
            check(proc.returncode == 0, "whole-vault backup: " + err)
            check(len(seen) >= 3, "the running kvbackup was looked at (%d times)" % len(seen))
            for text in seen:
                check(emu["client_secret"] not in text, "the client secret is in /proc")
                check(JWT.search(text) is None, "a token is in /proc")
            s.run(["logout"])
            s.assert_clean([emu["client_secret"]] + seed_values())
        finally:
            s.cleanup()


@tap.test
def test_no_keyring_no_file():
    # Without a Secret Service the secret is not kept anywhere else (no file fallback).
    with Emulator("--seed", SEED) as emu:
        s = Private(emu, emu.direct_env(credentials=False))
        s.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + os.path.join(s.dir, "no-bus")
        try:
            res = s.run(["login", "--service-principal", "--tenant", emu["tenant"],
                         "--client-id", emu["client_id"]], stdin=emu["client_secret"] + "\n")
            check("keyring" in res.stderr.lower(), "the user is told about the keyring", res)
            res = s.run(["list", "--vault", VAULT])
            check(res.status != 0, "a new process has no stored secret to use", res)
            s.assert_clean([emu["client_secret"]])
            s.assert_modes()
        finally:
            s.cleanup()


class RefusingProxy:
    """A proxy on 127.0.0.1 that answers every CONNECT with 407 and records what it was sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            try:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                self.received.append(data.decode("latin-1"))
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass

    def close(self):
        self.sock.close()


@tap.test
def test_proxy_password():
    # A proxy named with a user and password: used, never printed; refused, it is asked a few
    # times, not thousands (libsoup alone would try again at once until the job's timeout,
    # enough to lock the account at the proxy), and the user is told what to check.
    with Emulator("--seed", SEED) as emu:
        working = emu["proxy"].replace("://", "://proxyuser:proxy-pass-Gh5tR8@", 1)
        env = dict(emu.proxy_env(), https_proxy=working, G_MESSAGES_DEBUG="all")
        res = kvbtest.kvbackup(["list", "--cloud", "public", "--vault", VAULT], env)
        check(res.status == 0, "list through a proxy with a password", res)
        check("proxy-pass-Gh5tR8" not in res.stdout + res.stderr, "the password was printed", res)

        login = ["login", "--service-principal", "--cloud", "public", "--tenant", emu["tenant"],
                 "--client-id", emu["client_id"]]
        for userinfo, says in (("proxyuser:proxy-pass-Gh5tR8@", "refused the user name and password"),
                               ("", "asks for a user name and password")):
            for args in (["list", "--cloud", "public", "--vault", VAULT], login):
                refusing = RefusingProxy()
                try:
                    env = dict(emu.proxy_env(credentials=args[0] == "list"), G_MESSAGES_DEBUG="all",
                               https_proxy="http://%s127.0.0.1:%d" % (userinfo, refusing.port))
                    start = time.monotonic()
                    proc = subprocess.run([KVBACKUP] + args, env=env, input=emu["client_secret"] + "\n",
                                          capture_output=True, text=True, timeout=60)
                    seconds = time.monotonic() - start
                finally:
                    refusing.close()
                what = "%s through a proxy that refuses %s" % (args[0], userinfo or "no password")
                check(proc.returncode == 1, "%s: exit %d, %s" % (what, proc.returncode, proc.stderr[-500:]))
                check(says in proc.stderr, "%s: the user is told: %s" % (what, proc.stderr[-500:]))
                check("proxy-pass-Gh5tR8" not in proc.stdout + proc.stderr, what + ": the password was printed")
                # The first request and 8 restarts (kvb-pipeline.c's MAX_RESTARTS); one or two
                # more may be on their way when the cancellation lands.
                check(seconds < 10 and len(refusing.received) <= 12,
                      "%s: %d requests to the proxy in %.1f s" % (what, len(refusing.received), seconds))


# A vault (or whoever answers in its place) that puts control characters in what kvbackup
# prints: an object name (its id is percent-encoded) and an error message.
HOSTILE = "\x1b]0;retitled\x07\x1b[2J\x1b]52;c;cGFzdGVk\x07\u009b31m\r"
HOSTILE_RECORDING = {"networkCallRecords": [
    {"Method": "GET", "Url": "https://REDACTED.vault.azure.net/secrets?api-version=7.3",
     "Response": {"STATUS_CODE": "200", "content-type": "application/json; charset=utf-8",
                  "BODY": json.dumps({"nextLink": None, "value": [
                      {"id": "https://REDACTED.vault.azure.net/secrets/ok" +
                             urllib.parse.quote(HOSTILE, safe=""),
                       "attributes": {"enabled": True, "created": 1700000000,
                                      "updated": 1700000000}}]})}},
    {"Method": "GET", "Url": "https://REDACTED.vault.azure.net/keys?api-version=7.3",
     "Response": {"STATUS_CODE": "400", "content-type": "application/json; charset=utf-8",
                  "BODY": json.dumps({"error": {"code": "BadParameter",
                                                "message": "Denied" + HOSTILE + "."}})}},
]}
# The listing once more, for --json (the replay answers each recorded call once).
HOSTILE_RECORDING["networkCallRecords"].append(HOSTILE_RECORDING["networkCallRecords"][0])


@tap.test
def test_no_control_characters_printed():
    work = tempfile.mkdtemp(prefix="kvbtest-hostile-")
    try:
        recording = os.path.join(work, "hostile.json")
        with open(recording, "w") as f:
            json.dump(HOSTILE_RECORDING, f)
        with kvbtest.Replay(recording) as server:
            for kind in ("secret", "key"):
                res = kvbtest.kvbackup(["list", "--cloud", "public", "--vault", "redacted",
                                        "--kind", kind], server.proxy_env())
                check(res.status == (0 if kind == "secret" else 1), "list of %ss" % kind, res)
                printed = res.stdout + res.stderr
                check(("retitled" in printed) if kind == "secret" else ("Denied" in printed),
                      "the hostile text was printed, made harmless", res)
                bad = [c for c in printed if (ord(c) < 0x20 and c not in "\n\t") or
                       0x7f <= ord(c) <= 0x9f]
                check(not bad, "control characters reached the terminal: %r" % bad, res)
            # --json keeps them, escaped by JSON.
            res = kvbtest.kvbackup(["list", "--cloud", "public", "--vault", "redacted", "--kind",
                                    "secret", "--json"], server.proxy_env())
            check(res.status == 0 and "\x1b" not in res.stdout, "--json", res)
            check(res.json()["objects"][0]["name"] == "ok" + HOSTILE, "the name in --json", res)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@tap.test
def test_manifest_cannot_point_outside_its_folder():
    # A backup folder is given to kvbackup by whoever made it: its manifest may name any path.
    with Emulator("--seed", SEED) as emu:
        s = Private(emu, emu.direct_env())
        try:
            folder = os.path.join(s.out, "whole")
            res = s.run(["backup", "--vault", VAULT, "--all", "--output", folder])
            check(res.status == 0, "whole-vault backup", res)
            manifest_path = os.path.join(folder, "manifest.json")
            with open(manifest_path) as f:
                original = json.load(f)
            entry = next(e for e in original["objects"] if e["name"] == "api-key")
            outside = os.path.join(s.dir, "outside.kvbackup")
            os.rename(os.path.join(folder, entry["file"]), outside)
            # Into an empty vault: every other object is restored, the one named outside not.
            for named in ("../../outside.kvbackup", outside):
                entry["file"] = named
                with open(manifest_path, "w") as f:
                    json.dump(original, f)
                res = s.run(["restore", "--vault", "sec-copy-kv", "--on-conflict", "skip", folder])
                check(res.status == 1, "a restore with a manifest naming %s fails" % named, res)
                check("api-key" in res.stderr and "inside the backup folder" in res.stderr,
                      "the user is told which entry and why", res)
                res = s.run(["list", "--vault", "sec-copy-kv"])
                check(res.status == 0 and "db-password" in res.stdout, "the others came", res)
                check("api-key" not in res.stdout, "the file outside the folder was not sent", res)
        finally:
            s.cleanup()


if __name__ == "__main__":
    skip = None if kvbtest.have_kvbackup() else "kvbackup is not built"
    sys.exit(tap.run(skip))
