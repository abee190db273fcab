#!/usr/bin/python3
# test-kvbackup-faults.py: a whole-vault backup meets a full disk, tokens that expire while it
# runs, a sign-in revoked while it runs, connections cut in the middle of an answer, and a
# service that goes away and comes back — each ends with a clear message, nothing half-written,
# and a folder that a later run completes.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The vault is wv-kv of tests/cli/seed-vault.json (221 secrets, 61 keys, 9 certificates), at the
# local stand-in over HTTPS.  The full disk is a 300 KiB tmpfs mounted in a private mount
# namespace (unshare), which needs root, as the test command runs in CI.

import hashlib
import json
import os
import re
import shutil
import ssl
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, Skip, check, kvbackup  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-vault.json")
HEADERS = (b")AzureKeyVaultSecretBackupV1.microsoft.com", b"&AzureKeyVaultKeyBackupV1.microsoft.com")
N_OBJECTS = 221 + 61 + 9 + 2 * 9   # done and covered
SLOW_MS = 250

tap = kvbtest.Tap()
work = None


def env_for(emu):
    e = emu.direct_env()
    e["XDG_DATA_HOME"] = os.path.join(work, "data")
    return e


def backups_answered(emu):
    return [r for r in emu.requests() if r.get("method") == "POST" and
            r.get("path", "").endswith("/backup") and r.get("status") == 200]


def check_complete(folder, res):
    """Every object done or covered, the files as the manifest says, and verify agrees."""
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    statuses = [o["status"] for o in m["objects"]]
    check(len(statuses) == N_OBJECTS and set(statuses) <= {"done", "covered"},
          "objects %d, statuses %r" % (len(statuses), sorted(set(statuses))), res)
    for o in m["objects"]:
        if o["status"] == "done":
            with open(os.path.join(folder, o["file"]), "rb") as f:
                check(hashlib.sha256(f.read()).hexdigest() == o["sha256"], "SHA-256 of " + o["file"])


def check_no_false_backup(folder):
    """No half-written file, and every file named like a backup is a whole blob."""
    for kind in ("secrets", "keys", "certificates"):
        sub = os.path.join(folder, kind)
        if not os.path.isdir(sub):
            continue
        for name in os.listdir(sub):
            check(not name.startswith("."), "a half-written file was left: " + name)
            with open(os.path.join(sub, name), "rb") as f:
                data = f.read()
            header = [h for h in HEADERS if data.startswith(h)]
            check(header and len(data) > 200, "%s is not a whole backup (%d bytes)" % (name, len(data)))
            # After the header, a JWE in compact form: five base64url parts, the last one the
            # authentication tag.  Half a blob has fewer.
            parts = data[len(header[0]):].split(b".")
            check(len(parts) == 5 and all(parts[i] for i in (0, 2, 3, 4)) and
                  all(re.fullmatch(rb"[A-Za-z0-9_-]*", p) for p in parts),
                  "%s is not a whole backup: %d parts" % (name, len(parts)))


@tap.test
def test_disk_full():
    if os.geteuid() != 0:
        raise Skip("mounting a small tmpfs needs root (the CI runs as root)")
    copy = os.path.join(work, "full-copy")
    emu = Emulator("--seed", SEED)
    emu.start()
    try:
        # The backup fills the disk; what is on it is copied out before the namespace goes.
        script = ('mount -t tmpfs -o size=300k,mode=0700 kvbtest "$1" || exit 99; '
                  '"$2" backup --vault wv-kv --all --output "$1/out"; rc=$?; '
                  'cp -a "$1/out" "$3"; exit $rc')
        mnt = tempfile.mkdtemp(dir=work)
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                               "sh", mnt, kvbtest.KVBACKUP, copy],
                              env=env_for(emu), capture_output=True, text=True, timeout=240)
        check(proc.returncode != 99, "mounting a tmpfs in a private mount namespace: " + proc.stderr)
        check(proc.returncode == 1, "exit status %d" % proc.returncode, proc.stderr[-3000:])
        check("takes no more files: its disk is full" in proc.stderr and
              "Free some space" in proc.stderr, "the reason and what to do", proc.stderr[-3000:])
        answered = len(backups_answered(emu))
        # It stops: the vault is not asked for every object only to throw the answers away.
        check(answered < N_OBJECTS // 2, "%d backups fetched after the disk was full" % answered)
        check_no_false_backup(copy)

        # On a disk with room, the same folder is resumed and completed.
        res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", copy, "--resume"],
                       env_for(emu), timeout=240)
        check(res.status == 0, "resume on a disk with room", res)
        check_complete(copy, res)
        res = kvbackup(["verify", copy], env_for(emu), timeout=120)
        check(res.status == 0, "verify after the resume", res)
    finally:
        emu.stop()


@tap.test
def test_read_only_destination():
    if os.geteuid() != 0:
        raise Skip("mounting a read-only tmpfs needs root (the CI runs as root)")
    emu = Emulator("--seed", SEED)
    emu.start()
    try:
        # Root writes anywhere a mode forbids: only a read-only file system stops it.  The
        # backup's folder exists on it, made before the file system turned read-only.
        script = ('mount -t tmpfs -o size=1m,mode=0700 kvbtest "$1" || exit 99; mkdir -m 0700 "$1/out"; '
                  'mount -o remount,ro "$1" || exit 99; '
                  '"$2" backup --vault wv-kv --all --output "$1/out" --resume; rc=$?; '
                  'ls -A "$1/out"; exit $rc')
        mnt = tempfile.mkdtemp(dir=work)
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                               "sh", mnt, kvbtest.KVBACKUP],
                              env=env_for(emu), capture_output=True, text=True, timeout=240)
        check(proc.returncode != 99, "mounting a read-only tmpfs: " + proc.stderr)
        check(proc.returncode in (1, 2) and "read-only" in proc.stderr.lower(),
              "exit status %d and the reason" % proc.returncode, proc.stderr[-3000:])
        check(proc.stdout.strip() == "", "nothing was written: %r" % proc.stdout)
        check(len(backups_answered(emu)) == 0, "no backup was fetched for a folder that takes none")
    finally:
        emu.stop()


@tap.test
def test_token_expires_mid_job():
    # Tokens of 2 s and 15 ms per request: the job outlives many tokens and carries on.
    emu = Emulator("--seed", SEED, "--token-lifetime", "2", "--latency-ms", "40")
    emu.start()
    try:
        folder = os.path.join(work, "tokens")
        start = time.monotonic()
        res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", folder],
                       env_for(emu), timeout=300)
        took = time.monotonic() - start
        check(res.status == 0, "backup while tokens expire", res)
        check_complete(folder, res)
        tokens = [r for r in emu.requests() if "/oauth2/v2.0/token" in r.get("path", "")]
        check(took > 2 and len(tokens) >= 2,
              "%d tokens asked for in %.1f s (tokens last 2 s)" % (len(tokens), took))
    finally:
        emu.stop()


@tap.test
def test_service_restarts_mid_job():
    # The stand-in is killed after some backups and started again on the same port with the
    # same certificate authority: the job waits for it and finishes.  (The stand-in seeds its
    # vaults afresh, so the objects it made again are reported changed while the backup ran.)
    # A kill during a TLS handshake once ended an object as "certificate not trusted".
    state = tempfile.mkdtemp(dir=work)
    log = os.path.join(state, "requests.jsonl")
    argv = [kvbtest.EMULATOR, "--seed", SEED, "--latency-ms", "15", "--state-dir", state,
            "--log", log]

    def start(port):
        p = subprocess.Popen(argv + ["--port", str(port)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        return p, json.loads(p.stdout.readline())

    def answered():
        if not os.path.exists(log):
            return 0
        n = 0
        with open(log) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue   # the line being written
                n += r.get("path", "").endswith("/backup") and r.get("status") == 200
        return n

    emu, info = start(0)
    port = int(info["url"].rsplit(":", 1)[1])
    fake = Emulator.__new__(Emulator)
    fake.info = info
    env = env_for(fake)
    folder = os.path.join(work, "restart")
    job = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "wv-kv", "--all", "--output", folder],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while answered() < 40 and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.05)
        check(job.poll() is None and answered() >= 40, "the job was under way (%d answered)" % answered())
        emu.send_signal(signal.SIGKILL)
        emu.wait()
        down_at = answered()
        time.sleep(3)
        emu, _info = start(port)
        out, err = job.communicate(timeout=300)
        failures = [line for line in err.splitlines() if "not backed up" in line or "error" in line.lower()]
        check(job.returncode == 0, "exit status %d after the restart" % job.returncode,
              "\n".join(failures[:20]) + err[-1500:])
        check(answered() > down_at, "backups went on after the restart")
        res = kvbackup(["verify", folder], env, timeout=120)
        check(res.status == 0, "verify", res)
        check_complete(folder, res)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
        emu.send_signal(signal.SIGTERM)
        emu.wait(15)


def answered_backups(log):
    """Backups answered 200 so far, from a request log that may end in a line being written."""
    if not os.path.exists(log):
        return 0
    n = 0
    with open(log) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            n += r.get("path", "").endswith("/backup") and r.get("status") == 200
    return n


def control(emu, path, body):
    req = urllib.request.Request(emu["url"] + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    ctx = ssl.create_default_context(cafile=emu["ca"])
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return r.status


USER_ID = "7d3e5f1a-2b4c-4d6e-8f0a-1c3e5a7b9d2f"


def user_seed(n_app_secrets=200):
    """The vault seed with a user who may do everything in wv-kv and signs in interactively."""
    with open(SEED) as f:
        seed = json.load(f)
    for s in seed["vaults"][0]["secrets"]:
        if s["name"] == "app":
            s["count"] = n_app_secrets
    seed["identities"].append({"object_id": USER_ID, "kind": "user", "sample": True,
                               "name": "operator@fabrikam.onmicrosoft.com",
                               "tenant": seed["tenants"][0]["id"]})
    for v in seed["vaults"]:
        v["permissions"][USER_ID] = ["*"]
    seed["options"]["device_code_interval"] = 1   # the sign-ins poll every second
    path = os.path.join(work, "seed-user-%d.json" % n_app_secrets)
    with open(path, "w") as f:
        json.dump(seed, f)
    return path


def user_env(emu, home):
    """A user signed in with a refresh token: no service principal in the environment, the
    account list in a keyfile, the refresh token in the session's keyring."""
    e = emu.direct_env(credentials=False)
    e["XDG_DATA_HOME"] = os.path.join(home, "data")
    e["XDG_CONFIG_HOME"] = os.path.join(home, "config")
    e["XDG_CACHE_HOME"] = os.path.join(home, "cache")
    e["GSETTINGS_BACKEND"] = "keyfile"
    return e


def device_code_login(emu, env):
    proc = subprocess.Popen([kvbtest.KVBACKUP, "login", "--device-code"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        code = None
        deadline = time.monotonic() + 30
        while code is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"^Code: (\S+)", line)
            code = m.group(1) if m else None
        check(code is not None, "kvbackup login --device-code printed no code")
        time.sleep(1.2)   # it polls at least once before the approval
        check(control(emu, "/_emulator/devicecode/approve", {"user_code": code}) == 200, "approval")
        out, err = proc.communicate(timeout=60)
        check(proc.returncode == 0, "login --device-code: %d\n%s" % (proc.returncode, err))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def manifest_of(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


def check_saved_only(folder):
    """Every object the manifest calls done has its whole file; nothing else is called done."""
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    done = 0
    for o in m["objects"]:
        check(o["status"] in ("done", "covered", "pending"), "status %r of %s" % (o["status"], o["name"]))
        if o["status"] == "done":
            done += 1
            with open(os.path.join(folder, o["file"]), "rb") as f:
                data = f.read()
            check(len(data) == o["size"] and hashlib.sha256(data).hexdigest() == o["sha256"],
                  "the file of %s is not the one recorded" % o["name"])
    check_no_false_backup(folder)
    return done


@tap.test
def test_sign_in_revoked_mid_job():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise Skip("no D-Bus session bus (the test harness runs one with gnome-keyring)")
    # Access tokens of 4 s (renewed 2 s before they expire): the job redeems the refresh token
    # again and again, and finds it revoked a moment after the revocation.
    emu = Emulator("--seed", user_seed(), "--token-lifetime", "4", "--latency-ms", "80")
    emu.start()
    home = tempfile.mkdtemp(dir=work)
    env = user_env(emu, home)
    folder = os.path.join(work, "revoked")
    try:
        device_code_login(emu, env)
        job = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "wv-kv", "--all",
                                "--output", folder], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while answered_backups(emu.log_file) < 20 and time.monotonic() < deadline and job.poll() is None:
                time.sleep(0.05)
            check(job.poll() is None, "the job ended before the revocation")
            # From here each answer takes 250 ms: with the job's 8 objects at once, the 4 s
            # the current token may still work cannot see the vault through, whatever the
            # machine's speed.
            control(emu, "/_emulator/faults", {"latency_ms": SLOW_MS})
            at_revocation = answered_backups(emu.log_file)
            control(emu, "/_emulator/refresh-tokens/revoke", {"user": emu["user"]})
            out, err = job.communicate(timeout=120)
        finally:
            if job.poll() is None:
                job.kill()
                job.communicate()
        # (Progress lines come every few seconds when standard error is not a terminal.)
        lines = [line for line in err.splitlines() if line.strip() and "Backing up:" not in line]
        check(job.returncode == 1, "exit status %d" % job.returncode, err[-3000:])
        check(len(lines) == 1, "one message, not one per object left:\n" + "\n".join(lines[:20]))
        check("sign in again" in err and "resume" in err, "what to do: sign in again, then resume", err)
        # The current token works until it expires (at most 4 s); then what was in flight
        # finishes and nothing new starts: no more than 8 objects per answer time in that
        # while, and far from the whole vault.
        after = answered_backups(emu.log_file) - at_revocation
        check(after <= 8 * (4.5 / (SLOW_MS / 1000.0)) + 8,
              "%d backups fetched after the revocation" % after)
        control(emu, "/_emulator/faults", {"latency_ms": 0})
        done = check_saved_only(folder)
        check(0 < done < N_OBJECTS, "%d objects recorded as saved" % done)
        check(re.search(r"(\d+) objects were saved", err) and
              int(re.search(r"(\d+) objects were saved", err).group(1)) == done,
              "the message counts what the manifest records (%d)" % done, err)

        # Signed in again, the same folder is resumed and completed.
        device_code_login(emu, env)
        res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", folder, "--resume"],
                       env, timeout=240)
        check(res.status == 0, "resume after signing in again", res)
        check_complete(folder, res)
        res = kvbackup(["verify", folder], env, timeout=120)
        check(res.status == 0, "verify after the resume", res)
    finally:
        kvbackup(["logout"], env, timeout=60)
        emu.stop()


@tap.test
def test_sign_in_revoked_mid_restore():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise Skip("no D-Bus session bus (the test harness runs one with gnome-keyring)")
    # The stand-in is slowed (80 ms a request) only while the restore to stop runs.
    emu = Emulator("--seed", user_seed(), "--token-lifetime", "4")
    emu.start()
    home = tempfile.mkdtemp(dir=work)
    env = user_env(emu, home)
    folder = os.path.join(work, "to-restore")
    log = emu.log_file

    def restored():
        return len([r for r in emu.requests() if r.get("path", "").endswith("/restore") and
                    r.get("status") == 200])
    try:
        # The service principal backs the vault up; the user restores it into wv-empty-kv.
        for _attempt in range(3):
            res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", folder, "--resume"],
                           env_for(emu), timeout=240)
            if res.status == 0:
                break
        check(res.status == 0, "the backup to restore", res)
        n_files = len([o for o in manifest_of(folder)["objects"] if o["status"] == "done"])
        device_code_login(emu, env)
        control(emu, "/_emulator/faults", {"latency_ms": 80})
        job = subprocess.Popen([kvbtest.KVBACKUP, "restore", "--vault", "wv-empty-kv", folder],
                               env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            # Restores go fast (24 at once): the revocation comes with the first ones, and the
            # job learns of it when it next renews its token, up to 2 s later.
            while restored() < 1 and time.monotonic() < deadline and job.poll() is None:
                time.sleep(0.05)
            check(job.poll() is None, "the restore ended before the revocation")
            control(emu, "/_emulator/refresh-tokens/revoke", {"user": emu["user"]})
            at_revocation = restored()
            out, err = job.communicate(timeout=120)
        finally:
            if job.poll() is None:
                job.kill()
                job.communicate()
        lines = [line for line in err.splitlines() if line.strip() and "Restoring:" not in line]
        check(job.returncode == 1, "exit status %d" % job.returncode, err[-3000:])
        check(len(lines) == 1, "one message, not one per file left:\n" + "\n".join(lines[:20]))
        check("sign in again" in err and "skipping the names in use" in err, "what to do", err)
        n_restored = restored()
        check(n_restored < n_files, "%d restores of %d sent (%d after the revocation)"
              % (n_restored, n_files, n_restored - at_revocation))

        # Signed in again, the same folder restored again, the names in use skipped.
        control(emu, "/_emulator/faults", {"latency_ms": 0})
        device_code_login(emu, env)
        res = kvbackup(["restore", "--vault", "wv-empty-kv", folder, "--on-conflict", "skip"], env,
                       timeout=240)
        check(res.status == 0 and "Checked: every object" in res.stderr,
              "the restore completed after signing in again", res)
        check(restored() == n_files, "each file restored once: %d of %d" % (restored(), n_files))
        check(os.path.exists(log), "request log")
    finally:
        kvbackup(["logout"], env, timeout=60)
        emu.stop()


@tap.test
def test_network_cut_mid_body():
    # One Key Vault answer in eight stops halfway through its body and the connection closes
    # (the stand-in sends the whole Content-Length first).  A cut backup must never be saved as
    # a file: the job retries it, or reports that object as not backed up.
    emu = Emulator("--seed", SEED, "--cut-body", "0.125", "--latency-ms", "10")
    emu.start()
    try:
        folder = os.path.join(work, "cuts")
        res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", folder],
                       env_for(emu), timeout=240)
        cut = [r for r in emu.requests() if r.get("dropped") and r.get("status") == 200]
        cut_backups = [r for r in cut if r.get("path", "").endswith("/backup")]
        check(len(cut_backups) >= 5, "the stand-in cut %d backups' answers" % len(cut_backups))
        failed = [line for line in res.stderr.splitlines() if "was not backed up" in line]
        check(res.status == (1 if failed else 0), "exit status %d with %d objects reported failed"
              % (res.status, len(failed)), res)
        check(check_saved_only(folder) + len(failed) == N_OBJECTS - 2 * 9,
              "every object saved or reported", res)
        check_no_false_backup(folder)
        if not failed:
            check_complete(folder, res)
            res = kvbackup(["verify", folder], env_for(emu), timeout=120)
            check(res.status == 0, "verify after a backup through cut connections", res)

        # One object at a time (what Download Backup and `kvbackup backup --name` do): the same
        # rule, a whole blob in its file or a message and no file.
        single = os.path.join(work, "cuts-single", "secrets")
        os.makedirs(single)
        for i in range(1, 25):
            res = kvbackup(["backup", "--vault", "wv-kv", "--kind", "secret", "--name",
                            "app-%02d" % i, "--output", single], env_for(emu), timeout=60)
            written = os.path.exists(os.path.join(single, "wv-kv.app-%02d.secret.kvbackup" % i))
            check(res.status in (0, 1) and written == (res.status == 0),
                  "app-%02d: exit status %d, file written: %s" % (i, res.status, written), res)
        check_no_false_backup(os.path.dirname(single))
    finally:
        emu.stop()


def main():
    global work
    if not kvbtest.have_kvbackup():
        return tap.run(setup_skip="kvbackup is not built")
    work = tempfile.mkdtemp(prefix="kvbtest-faults-")
    try:
        return tap.run()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
