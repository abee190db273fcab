#!/usr/bin/python3
# test-kvbackup.py: kvbackup against the local Azure stand-in over HTTPS, addressed directly (the
# sample cloud) and through its CONNECT proxy with the production public-cloud profile.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The stand-in runs with tests/cli/seed-cli.json: vault cli-kv holds secrets (one with two
# versions, 60 more for paging, one soft-deleted), keys and a certificate; cli-target-kv (same
# subscription, same geography) receives restores and has api-token soft-deleted; cli-far-kv is
# in another subscription; cli-limited-kv (RBAC) and cli-policy-kv (access policies) only let the
# test identity list and read secrets.

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, check, kvbackup  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-cli.json")
SECRET_HEADER = b")AzureKeyVaultSecretBackupV1.microsoft.com"
KEY_HEADER = b"&AzureKeyVaultKeyBackupV1.microsoft.com"

tap = kvbtest.Tap()
emu = None


class Mode:
    """How kvbackup reaches the stand-in."""

    def __init__(self, name):
        self.name = name

    def env(self):
        return emu.direct_env() if self.name == "direct" else emu.proxy_env()

    def args(self, command, vault, *rest):
        cloud = [] if self.name == "direct" else ["--cloud", "public"]
        return [command] + cloud + ["--vault", vault] + list(rest)

    def run(self, command, vault, *rest, cwd=None):
        return kvbackup(self.args(command, vault, *rest), self.env(), cwd=cwd)


DIRECT = Mode("direct")
PROXY = Mode("proxy")
MODES = (DIRECT, PROXY)


def list_objects(mode, vault, *args):
    res = mode.run("list", vault, "--json", *args)
    check(res.status == 0, "list %s failed (%s)" % (vault, mode.name), res)
    return {(o["kind"], o["name"]): o for o in res.json()["objects"]}


def vault_requests(method=None, path_prefix=None):
    out = []
    for r in emu.requests():
        path = r.get("path") or ""
        if method is not None and r.get("method") != method:
            continue
        if path_prefix is not None and not path.startswith(path_prefix):
            continue
        out.append(r)
    return out


@tap.test
def test_list_all_kinds_with_paging():
    for mode in MODES:
        before = len(vault_requests("GET", "/secrets"))
        objs = list_objects(mode, "cli-kv")
        names = {n for k, n in objs if k == "secret"}
        check({"db-password", "api-token"} <= names, "secrets missing (%s): %r" % (mode.name, names))
        check(len([n for n in names if n.startswith("page-")]) == 60,
              "not all 60 paged secrets (%s)" % mode.name)
        check(("key", "signing") in objs and ("certificate", "web") in objs,
              "key or certificate missing (%s)" % mode.name)
        check("old-secret" not in names, "a deleted secret is listed as live")
        # The key and secret behind the certificate are flagged.
        check(objs[("secret", "web")]["managed"] and objs[("key", "web")]["managed"],
              "the certificate's key and secret are not flagged as managed")
        check(not objs[("secret", "db-password")]["managed"], "db-password flagged as managed")
        check(objs[("secret", "db-password")].get("tags") == {"env": "test"}, "tags")
        check(objs[("secret", "db-password")].get("contentType") == "text/plain", "content type")
        # 63+ secrets take at least three pages of 25.
        pages = len(vault_requests("GET", "/secrets")) - before
        check(pages >= 3, "secrets came in %d requests (%s)" % (pages, mode.name))


@tap.test
def test_list_table_and_kind():
    res = DIRECT.run("list", "cli-kv", "--kind", "key")
    check(res.status == 0, "list --kind key", res)
    lines = res.stdout.splitlines()
    check(lines[0].split()[0] == "KIND", "header", res)
    check(all(line.split()[0] == "key" for line in lines[1:]), "only keys", res)
    check(any(line.endswith("signing") for line in lines), "signing missing", res)


@tap.test
def test_list_deleted():
    for mode in MODES:
        objs = list_objects(mode, "cli-kv", "--deleted")
        check(("secret", "old-secret") in objs and ("key", "old-key") in objs,
              "deleted objects missing (%s): %r" % (mode.name, sorted(objs)))
        check(("secret", "db-password") not in objs, "a live secret is listed as deleted")
        o = objs[("secret", "old-secret")]
        check(o.get("deletedDate") and o.get("scheduledPurgeDate") and o.get("recoveryId"),
              "deleted dates or recovery id missing: %r" % o)


def backup(mode, vault, kind, name, out, *extra):
    res = mode.run("backup", vault, "--kind", kind, "--name", name, "--output", out, *extra)
    return res


@tap.test
def test_backup_and_restore_each_kind():
    for mode in MODES:
        with tempfile.TemporaryDirectory() as out:
            for kind, name, header in (("secret", "db-password", SECRET_HEADER),
                                       ("key", "signing", KEY_HEADER),
                                       ("certificate", "web", KEY_HEADER)):
                res = backup(mode, "cli-kv", kind, name, out)
                check(res.status == 0, "backup %s %s (%s)" % (kind, name, mode.name), res)
                path = os.path.join(out, "cli-kv.%s.%s.kvbackup" % (name, kind))
                with open(path, "rb") as f:
                    data = f.read()
                check(data.startswith(header), "%s does not start with the blob header" % path)
                check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "mode of %s" % path)

            # Restore all three into an empty vault of the same subscription and geography, then
            # they are listed there.
            vault = "cli-other-kv" if mode is DIRECT else "xchg-b-kv"
            files = sorted(os.path.join(out, f) for f in os.listdir(out))
            res = mode.run("restore", vault, *files)
            check(res.status == 0, "restore into %s (%s)" % (vault, mode.name), res)
            for f in files:
                check(os.path.basename(f) in res.stderr, "%s not reported" % f, res)
            objs = list_objects(mode, vault)
            for key in (("secret", "db-password"), ("key", "signing"), ("certificate", "web")):
                check(key in objs, "%r not in %s after restore" % (key, vault))
            check(("secret", "web") in objs and objs[("secret", "web")]["managed"],
                  "the certificate's secret did not come with it")


@tap.test
def test_backup_default_name_and_force():
    with tempfile.TemporaryDirectory() as cwd:
        res = DIRECT.run("backup", "cli-kv", "--kind", "secret", "--name", "api-token", cwd=cwd)
        check(res.status == 0, "backup into the current folder", res)
        path = os.path.join(cwd, "cli-kv.api-token.secret.kvbackup")
        check(os.path.exists(path), "no %s" % path, res)
        with open(path, "rb") as f:
            first = f.read()

        res = DIRECT.run("backup", "cli-kv", "--kind", "secret", "--name", "api-token", cwd=cwd)
        check(res.status == 2 and "--force" in res.stderr, "overwrote without --force", res)
        res = DIRECT.run("backup", "cli-kv", "--kind", "secret", "--name", "api-token", "--force",
                         "--output", path, cwd=cwd)
        check(res.status == 0, "--force", res)
        with open(path, "rb") as f:
            second = f.read()
        # A fresh backup: same header, new encryption.
        check(second.startswith(SECRET_HEADER) and second != first, "the file was not replaced")
        check(os.listdir(cwd) == [os.path.basename(path)], "temporary files left")


@tap.test
def test_restore_conflicts():
    with tempfile.TemporaryDirectory() as out:
        res = backup(DIRECT, "cli-kv", "secret", "api-token", out)
        check(res.status == 0, "backup", res)
        path = os.path.join(out, "cli-kv.api-token.secret.kvbackup")
        for mode in MODES:
            # The name is live in the vault the backup came from.
            res = mode.run("restore", "cli-kv", path)
            check(res.status == 1, "restore over a live object (%s)" % mode.name, res)
            check(res.stderr.strip() and res.stdout == "", "no message", res)
            # The name is soft-deleted in cli-target-kv: recover or purge first.
            res = mode.run("restore", "cli-target-kv", path)
            check(res.status == 1, "restore over a soft-deleted name (%s)" % mode.name, res)
            check(("recover" in res.stderr.lower() or "purge" in res.stderr.lower()),
                  "the message does not say recover or purge", res)


@tap.test
def test_restore_other_subscription():
    with tempfile.TemporaryDirectory() as out:
        res = backup(DIRECT, "cli-kv", "secret", "db-password", out)
        check(res.status == 0, "backup", res)
        path = os.path.join(out, "cli-kv.db-password.secret.kvbackup")
        res = DIRECT.run("restore", "cli-far-kv", path)
        check(res.status == 1, "restore into another subscription did not fail", res)
        check("subscription" in res.stderr.lower(), "the message does not say why", res)


@tap.test
def test_vaults():
    # Every subscription of the sign-in with its vaults, in both modes; as a table and as JSON.
    for mode in MODES:
        cloud = [] if mode.name == "direct" else ["--cloud", "public"]
        res = kvbackup(["vaults", "--json"] + cloud, mode.env())
        check(res.status == 0, "vaults --json (%s)" % mode.name, res)
        doc = res.json()
        subs = {s["subscription"]: s for s in doc["subscriptions"]}
        check(set(subs) == {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                            "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"}, "subscriptions", res)
        main = subs["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
        check(main["displayName"] == "Fabrikam Backup Tests" and
              main["tenant"] == emu["tenant"], "subscription fields", res)
        names = [v["name"] for v in main["vaults"]]
        check(names == sorted(names) and "cli-kv" in names and "cli-target-kv" in names and
              "cli-far-kv" not in names, "vaults of the subscription: %r" % names)
        kv = [v for v in main["vaults"] if v["name"] == "cli-kv"][0]
        check(kv["location"] == "westeurope" and kv["resourceGroup"] == "rg-keyvaults" and
              kv["vaultUri"].startswith("https://cli-kv.") and
              "/resourceGroups/rg-keyvaults/" in kv["id"], "vault fields: %r" % kv)
        far = subs["9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"]
        check([v["name"] for v in far["vaults"]] == ["cli-far-kv"], "other subscription", res)
        check(doc["exitStatus"] == 0 and res.stdout.count("{") >= 1 and res.stdout.strip()[-1] == "}",
              "one document", res)

        res = kvbackup(["vaults"] + cloud, mode.env())
        check(res.status == 0, "vaults (%s)" % mode.name, res)
        line = [x for x in res.stdout.splitlines() if x.strip().startswith("cli-target-kv")]
        check(len(line) == 1 and "northeurope" in line[0] and "rg-keyvaults" in line[0],
              "the table", res)
        check("Fabrikam Other" in res.stdout and "vaults in 2 subscriptions" in res.stderr,
              "subscription lines", res)


@tap.test
def test_not_found_and_forbidden():
    with tempfile.TemporaryDirectory() as out:
        for mode in MODES:
            res = backup(mode, "cli-kv", "secret", "no-such-secret", out)
            check(res.status == 1 and res.stderr.strip(), "not found (%s)" % mode.name, res)
            for vault in ("cli-limited-kv", "cli-policy-kv"):
                res = backup(mode, vault, "secret", "locked", out)
                check(res.status == 1, "forbidden backup from %s (%s)" % (vault, mode.name), res)
                check("backup" in res.stderr.lower(), "the message does not name the permission",
                      res)
        check(os.listdir(out) == [], "files written for failed backups: %r" % os.listdir(out))


@tap.test
def test_list_with_one_kind_forbidden():
    # The access policy of cli-policy-kv lets the identity list secrets only.
    res = DIRECT.run("list", "cli-policy-kv")
    check(res.status == 1, "exit status", res)
    check(any(line.startswith("secret") and line.endswith("locked")
              for line in res.stdout.splitlines()), "the secrets were not listed", res)
    check("keys" in res.stderr and "certificates" in res.stderr, "the refusals are not reported",
          res)
    # A vault that does not exist is reported once, not once per kind.
    res = DIRECT.run("list", "no-such-kv")
    check(res.status == 1 and len(res.stderr.strip().splitlines()) == 1, "unknown vault", res)


@tap.test
def test_backup_managed_key():
    with tempfile.TemporaryDirectory() as out:
        res = backup(DIRECT, "cli-kv", "key", "web", out)
        check(res.status == 1 and "certificate" in res.stderr,
              "the certificate's own key was not refused with a hint", res)
        check(os.listdir(out) == [], "a file was written", res)


@tap.test
def test_malformed_blob():
    with tempfile.TemporaryDirectory() as out:
        res = backup(DIRECT, "cli-kv", "secret", "db-password", out)
        check(res.status == 0, "backup", res)
        path = os.path.join(out, "cli-kv.db-password.secret.kvbackup")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        # Change one character of the ciphertext (the 4th part of the JWE after the header):
        # the shape holds, the content does not.
        header, payload = bytes(data[:1 + data[0]]), bytes(data[1 + data[0]:])
        parts = payload.split(b".")
        ct = bytearray(parts[3])
        ct[len(ct) // 2] = ord("A") if ct[len(ct) // 2] != ord("A") else ord("B")
        parts[3] = bytes(ct)
        tampered = os.path.join(out, "tampered.secret.kvbackup")
        with open(tampered, "wb") as f:
            f.write(header + b".".join(parts))
        res = DIRECT.run("restore", "xchg-a-kv", tampered)
        check(res.status == 1 and "tampered" in res.stderr, "a tampered blob was not refused", res)


@tap.test
def test_custom_cloud_profile():
    # --cloud FILE: a custom profile that names the stand-in as authority, Resource Manager and
    # vault suffix, with its CA.
    port = int(emu["url"].rsplit(":", 1)[1])
    with tempfile.TemporaryDirectory() as folder:
        profile = os.path.join(folder, "standin.json")
        with open(profile, "w") as f:
            f.write('{"name": "Stand-in", "authorityHost": "%s", "resourceManager": "%s", '
                    '"keyVaultDnsSuffix": "vault.localhost", "keyVaultResource": '
                    '"https://vault.localhost", "keyVaultPort": %d, "caFile": "%s"}'
                    % (emu["url"], emu["url"], port, emu["ca"]))
        env = emu.base_env()
        res = kvbackup(["list", "--cloud", profile, "--vault", "cli-kv", "--kind", "key"], env)
        check(res.status == 0 and "signing" in res.stdout, "list with a custom profile", res)


@tap.test
def test_interrupt():
    # Ctrl+C or SIGTERM while the stand-in takes a minute to answer: kvbackup cancels the call,
    # says so, leaves no file (not even a temporary one) and ends as a shell reports the signal.
    with Emulator("--seed", SEED, "--latency-ms", "60000") as slow:
        for signo, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            with tempfile.TemporaryDirectory() as out:
                proc = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "cli-kv",
                                         "--kind", "secret", "--name", "db-password",
                                         "--output", out],
                                        env=slow.direct_env(), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                time.sleep(1.5)
                check(proc.poll() is None, "kvbackup did not wait for the stand-in")
                start = time.monotonic()
                proc.send_signal(signo)
                stdout, stderr = proc.communicate(timeout=30)
                took = time.monotonic() - start
                check(took < 1.5, "kvbackup took %.1f s to stop on %s" % (took, signo.name))
                check(proc.returncode == status, "exit status %d on %s (not %d): %s" %
                      (proc.returncode, signo.name, status, stderr))
                check(stderr.strip() == "kvbackup: Interrupted.",
                      "not reported as interrupted: %s" % stderr)
                check(os.listdir(out) == [], "files left: %r" % os.listdir(out))


@tap.test
def test_interrupt_stuck():
    # A run stuck where cancelling cannot reach: the sign-in of a service principal waits for
    # its secret on standard input, and nobody writes it.  SIGTERM or Ctrl+C still ends kvbackup
    # within a second and a half, with the status of the signal.
    for signo, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        env = emu.direct_env()
        env.pop("AZURE_CLIENT_SECRET", None)
        proc = subprocess.Popen([kvbtest.KVBACKUP, "login", "--service-principal", "--tenant",
                                 "contoso.example", "--client-id",
                                 "00000000-0000-0000-0000-000000000001"],
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)
            check(proc.poll() is None, "kvbackup did not wait for the secret")
            start = time.monotonic()
            proc.send_signal(signo)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                raise AssertionError("kvbackup still runs 10 s after %s" % signo.name)
            took = time.monotonic() - start
            stderr = proc.stderr.read()
            check(took < 1.5, "kvbackup took %.1f s to stop on %s" % (took, signo.name))
            check(proc.returncode == status, "exit status %d on %s (not %d): %s" %
                  (proc.returncode, signo.name, status, stderr))
            check(stderr.strip().endswith("kvbackup: Interrupted."),
                  "not reported as interrupted: %s" % stderr)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdin.close()
            proc.stdout.close()
            proc.stderr.close()


@tap.test
def test_bad_sign_in():
    env = DIRECT.env()
    env["AZURE_CLIENT_SECRET"] = "wrong"
    res = kvbackup(DIRECT.args("list", "cli-kv"), env)
    check(res.status == 1 and res.stderr.strip(), "a wrong secret did not fail", res)
    check("wrong" not in res.stderr, "the secret is shown in a message", res)


@tap.test
def test_no_secret_in_output():
    res = kvbackup(DIRECT.args("list", "cli-kv", "--json"),
                   dict(DIRECT.env(), G_MESSAGES_DEBUG="all"))
    check(res.status == 0, "list", res)
    for text in (emu["client_secret"], "hunter1", "hunter2", "token-value-1"):
        check(text not in res.stdout and text not in res.stderr, "a secret was printed", res)
    # The debug log goes to stderr: stdout stays one JSON document.
    check("-DEBUG" in res.stderr, "no debug log on stderr", res)
    res.json()
    # No access token (a JWT, "eyJ…") in the debug log of a backup and a restore either.
    with tempfile.TemporaryDirectory() as out:
        env = dict(DIRECT.env(), G_MESSAGES_DEBUG="all")
        res = kvbackup(DIRECT.args("backup", "cli-kv", "--kind", "secret", "--name", "api-token",
                                   "--output", out), env)
        check(res.status == 0 and "eyJ" not in res.stdout + res.stderr, "a token was printed", res)
        path = os.path.join(out, "cli-kv.api-token.secret.kvbackup")
        res = kvbackup(DIRECT.args("restore", "cli-kv", path), env)
        check("eyJ" not in res.stdout + res.stderr, "a token or blob was printed", res)


@tap.test
def test_restore_existing_through_drops():
    """Restores onto names in use, through a stand-in that drops connections before and after it
    acts: never "Restored", and the blob is never sent (the name is checked first)."""
    flaky = Emulator("--seed", SEED, "--drop", "0.15", "--drop-after", "0.15",
                     "--fail-5xx", "0.1", "--fail-retry-after", "0")
    flaky.start()
    try:
        with tempfile.TemporaryDirectory() as out:
            paths = []
            for name in ("db-password", "api-token"):
                res = backup(DIRECT, "cli-kv", "secret", name, out)
                check(res.status == 0, "backup of %s" % name, res)
                paths.append(os.path.join(out, "cli-kv.%s.secret.kvbackup" % name))
            for attempt in range(4):
                # Both names are live in cli-kv; api-token is soft-deleted in cli-target-kv.
                for vault, files, needle in (("cli-kv", paths, "already exists"),
                                             ("cli-target-kv", paths[1:], "recover")):
                    res = kvbackup(["restore", "--vault", vault] + files, flaky.direct_env())
                    check(res.status == 1, "restore onto names in use did not fail", res)
                    check("Restored" not in res.stderr + res.stdout,
                          "a restore was reported that never happened", res)
                    check(needle in res.stderr.lower() or needle in res.stderr,
                          "the message does not say %r" % needle, res)
            sent = [r for r in flaky.requests()
                    if r.get("method") == "POST" and (r.get("path") or "").endswith("/restore")]
            check(not sent, "a blob was sent for a name in use: %r" % sent[:3])
            dropped = [r for r in flaky.requests() if r.get("dropped")]
            check(dropped, "the stand-in dropped no connection")
    finally:
        flaky.stop()


if __name__ == "__main__":
    skip = None
    if not kvbtest.have_kvbackup():
        skip = "kvbackup is not built yet"
    else:
        try:
            emu = Emulator("--seed", SEED)
            emu.start()
        except kvbtest.Skip as e:
            skip = str(e)
    try:
        status = tap.run(skip)
    finally:
        if emu is not None:
            emu.stop()
    sys.exit(status)
