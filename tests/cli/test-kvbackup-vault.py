#!/usr/bin/python3
# test-kvbackup-vault.py: whole-vault backups with kvbackup against the local Azure stand-in over
# HTTPS, with its real throttle and injected faults (10 % 503s, 1 % dropped connections).
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/cli/seed-vault.json: wv-kv holds 221 secrets (some with several versions), 61 keys and
# 9 certificates whose keys and secrets are managed; wv-empty-kv (same subscription, Europe)
# receives restores.

import hashlib
import http.client
import json
import os
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, check, kvbackup  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-vault.json")
SECRET_HEADER = b")AzureKeyVaultSecretBackupV1.microsoft.com"
KEY_HEADER = b"&AzureKeyVaultKeyBackupV1.microsoft.com"
FAULTS = ("--fail-5xx", "0.1", "--fail-retry-after", "0", "--drop", "0.01")

# What the seed makes of wv-kv.
N_SECRETS = 1 + 200 + 20
N_KEYS = 1 + 60
N_CERTS = 1 + 8
N_DONE = N_SECRETS + N_KEYS + N_CERTS
N_COVERED = 2 * N_CERTS
VERSIONS = {("secret", "db-password"): 3, ("secret", "multi-01"): 2, ("key", "signing"): 3,
            ("secret", "app-01"): 1, ("certificate", "web"): 1}

tap = kvbtest.Tap()
emu = None
work = None


def env():
    """The stand-in's sample cloud, with a data folder of this test's own (for the history)."""
    e = emu.direct_env()
    e["XDG_DATA_HOME"] = os.path.join(work, "data")
    return e


def run(*args, timeout=180):
    return kvbackup(list(args), env(), timeout=timeout)


def backup_requests(since=0):
    """The backup requests the stand-in answered 200 after the first @since log lines."""
    out = []
    for r in emu.requests()[since:]:
        if r.get("method") == "POST" and r.get("path", "").endswith("/backup") and \
                r.get("status") == 200 and r.get("host", "").startswith("wv-kv."):
            out.append(r["path"])
    return out


def manifest(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


def vault_call(method, vault, path, body=None, ok=(200,)):
    """A Key Vault request of our own (to change the vault between backups), retried through
    the injected faults."""
    port = int(emu["url"].rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=emu["ca"])

    def send(host, method, path, body, headers):
        for _ in range(40):
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
                conn.request(method, path, body=body, headers=dict(headers, Host=host))
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if resp.status not in (429, 503):
                    return resp.status, data
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise AssertionError("the stand-in did not answer %s %s" % (method, path))

    form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_id": emu["client_id"],
                                   "client_secret": emu["client_secret"],
                                   "scope": "https://vault.localhost/.default"})
    status, data = send("127.0.0.1:%d" % port, "POST", "/%s/oauth2/v2.0/token" % emu["tenant"],
                        form, {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 200, "token: %d %r" % (status, data[:200]))
    token = json.loads(data)["access_token"]
    status, data = send("%s.vault.localhost:%d" % (vault, port), method,
                        path + ("&" if "?" in path else "?") + "api-version=7.6", json.dumps(body) if body else None,
                        {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return status in ok, status, data


def check_folder(folder):
    """Every object done, files and manifest agree (SHA-256 recomputed), modes private."""
    m = manifest(folder)
    objs = {(o["kind"], o["name"]): o for o in m["objects"]}
    done = [o for o in m["objects"] if o["status"] == "done"]
    covered = [o for o in m["objects"] if o["status"] == "covered"]
    check(len(done) == N_DONE and len(covered) == N_COVERED and len(objs) == N_DONE + N_COVERED,
          "done %d, covered %d, objects %d" % (len(done), len(covered), len(objs)))
    check(stat.S_IMODE(os.stat(folder).st_mode) == 0o700, "folder mode")
    check(stat.S_IMODE(os.stat(os.path.join(folder, "manifest.json")).st_mode) == 0o600,
          "manifest mode")
    for o in done:
        path = os.path.join(folder, o["file"])
        check(o["file"].split("/")[0] == {"secret": "secrets", "key": "keys",
                                          "certificate": "certificates"}[o["kind"]],
              "kind folder of %r" % o)
        with open(path, "rb") as f:
            data = f.read()
        check(len(data) == o["size"], "size of %s" % o["file"])
        check(hashlib.sha256(data).hexdigest() == o["sha256"], "SHA-256 of %s" % o["file"])
        check(data.startswith(SECRET_HEADER if o["kind"] == "secret" else KEY_HEADER),
              "header of %s" % o["file"])
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "mode of %s" % path)
    for kind in ("secrets", "keys", "certificates"):
        sub = os.path.join(folder, kind)
        check(stat.S_IMODE(os.stat(sub).st_mode) == 0o700, "mode of %s" % sub)
        names = os.listdir(sub)
        check(not [n for n in names if n.startswith(".")], "half-written files left: %r" % names)
        check(len(names) == len([o for o in done if o["file"].startswith(kind + "/")]),
              "files of %s" % kind)
    for (kind, name), n in VERSIONS.items():
        check(objs[(kind, name)]["versions"] == n, "versions of %s %s" % (kind, name))
    for kind in ("key", "secret"):
        o = objs[(kind, "web")]
        check(o["status"] == "covered" and o["coveredBy"] == "web" and o["managed"],
              "the certificate's %s: %r" % (kind, o))
    db = objs[("secret", "db-password")]
    check(db["tags"] == {"env": "test", "team": "ops"} and db["contentType"] == "text/plain",
          "tags and content type: %r" % db)
    check(db["updated"].endswith("Z") and not db["managed"], "updated: %r" % db)
    check(m["subscription"] == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" and
          m["location"] == "westeurope" and m["tenant"] == emu["tenant"],
          "origin: %r" % {k: m[k] for k in ("subscription", "location", "tenant")})
    check(m["vaultUri"].startswith("https://wv-kv.vault.localhost:") and m["started"] and
          m["finished"] and m["formatVersion"] == 1, "header: %r" % m)
    return m


@tap.test
def test_backup_whole_vault():
    folder = os.path.join(work, "full")
    before = len(emu.requests())
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder)
    check(res.status == 0, "backup --all", res)
    print("# %d objects in %.1f s: %.0f objects/s" % (N_DONE, res.seconds, N_DONE / res.seconds),
          flush=True)
    check_folder(folder)
    # One backup per object, never one for a certificate's key or secret.
    paths = backup_requests(before)
    check(len(set(paths)) == N_DONE, "%d objects backed up" % len(set(paths)))
    check("/keys/web/backup" not in paths and "/secrets/web/backup" not in paths,
          "a managed key or secret was backed up alone")
    # A second run into the same folder is refused: nothing is overwritten by mistake.
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder)
    check(res.status == 2 and "--resume" in res.stderr, "second run refused", res)


@tap.test
def test_resume_after_sigkill():
    folder = os.path.join(work, "killed")
    start = len(emu.requests())
    proc = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "wv-kv", "--all", "--output",
                             folder, "--concurrency", "2"], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    done = []
    while time.monotonic() < deadline:
        try:
            done = [o for o in manifest(folder)["objects"] if o["status"] == "done"]
        except (OSError, ValueError):
            done = []
        if len(done) >= 60:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check(60 <= len(done) < N_DONE, "killed half-way: %d done" % len(done))

    # What the killed run recorded done is whole; nothing half-written has a final name.
    m = manifest(folder)
    recorded = {o["file"]: o for o in m["objects"] if o["status"] == "done"}
    for kind in ("secrets", "keys", "certificates"):
        for n in os.listdir(os.path.join(folder, kind)):
            if n.startswith("."):
                continue
            with open(os.path.join(folder, kind, n), "rb") as f:
                data = f.read()
            check(data.startswith(SECRET_HEADER if kind == "secrets" else KEY_HEADER),
                  "a file under a final name is not a whole backup: %s" % n)
            o = recorded.get("%s/%s" % (kind, n))
            if o is not None:
                check(hashlib.sha256(data).hexdigest() == o["sha256"], "%s" % n)

    killed_at = len(emu.requests())
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder, "--resume")
    check(res.status == 0, "resume", res)
    check_folder(folder)
    again = backup_requests(killed_at)
    kept = {"/%ss/%s/backup" % (o["kind"], o["name"]) for o in recorded.values()}
    check(not kept & set(again), "the resumed run backed up again %r" % sorted(kept & set(again)))
    check(len(set(again)) + len(kept) >= N_DONE and len(set(again)) <= N_DONE - len(kept),
          "resumed %d, kept %d" % (len(set(again)), len(kept)))
    check("%d kept" % len(kept) in res.stderr or "(%d kept" % len(kept) in res.stderr,
          "kept count not reported", res)
    del start


@tap.test
def test_verify_catches_damage():
    folder = os.path.join(work, "damaged")
    shutil.copytree(os.path.join(work, "full"), folder)
    res = run("verify", folder)
    check(res.status == 0 and "%d files" % N_DONE in res.stdout, "verify of a whole folder", res)

    m = manifest(folder)
    done = [o for o in m["objects"] if o["status"] == "done"]
    flipped, missing, edited = done[3]["file"], done[50]["file"], done[100]["file"]
    with open(os.path.join(folder, flipped), "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0x01]))
    os.unlink(os.path.join(folder, missing))
    for o in m["objects"]:
        if o.get("file") == edited:
            o["sha256"] = "0" * 64
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(m, f)
    with open(os.path.join(folder, "keys", "stray.kvbackup"), "wb") as f:
        f.write(b"x")

    res = run("verify", folder)
    check(res.status == 1, "verify of a damaged folder", res)
    for name in (flipped, missing, edited, "keys/stray.kvbackup"):
        lines = [line for line in res.stdout.splitlines() if name in line]
        check(len(lines) == 1, "%s not named once" % name, res)
    check("missing" in [line for line in res.stdout.splitlines() if missing in line][0],
          "missing file", res)
    check("4 problems" in res.stdout, "count", res)


def restore_requests(vault, since=0):
    return [r for r in emu.requests()[since:]
            if r.get("method") == "POST" and r.get("path", "").endswith("/restore") and
            r.get("host", "").startswith(vault + ".")]


@tap.test
def test_restore_folder():
    folder = os.path.join(work, "full")
    m = manifest(folder)

    # Another geography (Japan East against West Europe) is refused before anything is sent.
    before = len(emu.requests())
    res = run("restore", "--vault", "wv-far-kv", folder)
    check(res.status == 2 and "geography" in res.stderr, "restore into Japan East", res)
    check(not restore_requests("wv-far-kv", before), "a blob was sent to another geography")

    # The dry run prints one line per file and sends no restore.
    res = run("restore", "--vault", "wv-empty-kv", folder, "--dry-run")
    check(res.status == 0, "dry run", res)
    lines = [line for line in res.stdout.splitlines() if line.strip()]
    check(len(lines) == N_DONE and all(line.endswith("restore") for line in lines),
          "the plan of the dry run", res)
    check(not restore_requests("wv-empty-kv", before), "the dry run sent a restore")

    # Into an empty vault of the same subscription in North Europe: everything comes back, each
    # object with its versions (kvbackup checks them and says so).
    res = run("restore", "--vault", "wv-empty-kv", folder, timeout=240)
    check(res.status == 0 and "Restored %d objects" % N_DONE in res.stderr and
          "Checked: every object" in res.stderr, "restore of the folder", res)
    print("# %d objects restored in %.1f s" % (N_DONE, res.seconds), flush=True)
    listed = run("list", "--vault", "wv-empty-kv", "--json")
    check(listed.status == 0, "list", listed)
    got = {(o["kind"], o["name"]) for o in listed.json()["objects"]}
    want = {(o["kind"], o["name"]) for o in m["objects"]}
    check(got == want, "restored objects differ: %r" % sorted(got ^ want)[:10])
    sent = {r["path"] for r in restore_requests("wv-empty-kv", before) if r.get("status") == 200}
    check(len(sent) == 3 and len([r for r in restore_requests("wv-empty-kv", before)
                                  if r.get("status") == 200]) == N_DONE,
          "one restore per file: %r" % sorted(sent))

    # Again: every name is in use, so the default stops with nothing sent; skip skips them all.
    again = len(emu.requests())
    res = run("restore", "--vault", "wv-empty-kv", folder)
    check(res.status == 2 and "--on-conflict" in res.stderr, "names in use", res)
    res = run("restore", "--vault", "wv-empty-kv", folder, "--on-conflict", "skip")
    check(res.status == 0 and "Restored 0 objects" in res.stderr, "--on-conflict skip", res)
    check(not restore_requests("wv-empty-kv", again), "a restore was sent onto names in use")


@tap.test
def test_compare_names_changes():
    folder = os.path.join(work, "full")
    res = run("compare", folder, "--vault", "wv-kv")
    check(res.status == 0 and "matches" in res.stdout, "compare right after the backup", res)

    for call in (("DELETE", "/secrets/app-10"), ("DELETE", "/secrets/app-12"),
                 ("PUT", "/secrets/added-since", {"value": "new"}),
                 ("PUT", "/secrets/app-11", {"value": "changed"})):
        done, status, data = vault_call(call[0], "wv-kv", *call[1:])
        check(done, "%s %s: %d %r" % (call[0], call[1], status, data[:200]))
    # A purge is accepted once the deletion is complete.
    for _ in range(100):
        done, status, data = vault_call("DELETE", "wv-kv", "/deletedsecrets/app-12", ok=(200, 204))
        if done:
            break
        time.sleep(0.1)
    check(done, "purge of app-12: %d %r" % (status, data[:200]))
    before = len(emu.requests())
    res = run("compare", folder, "--vault", "wv-kv", "--json")
    check(res.status == 1, "compare after changes", res)
    doc = res.json()
    check(doc["onlyInVault"] == [{"kind": "secret", "name": "added-since"}], "added", res)
    check(sorted(doc["onlyInBackup"], key=lambda o: o["name"]) ==
          [{"kind": "secret", "name": "app-10", "state": "deleted"},
           {"kind": "secret", "name": "app-12", "state": "purged"}], "deleted and purged", res)
    check([(c["kind"], c["name"]) for c in doc["changed"]] == [("secret", "app-11")], "changed", res)
    check(not backup_requests(before), "compare downloaded a backup")
    res = run("compare", folder, "--vault", "wv-kv")
    check(res.status == 1 and "added-since" in res.stdout and "app-10" in res.stdout and
          "app-11" in res.stdout and "recovered" in res.stdout, "compare as text", res)


@tap.test
def test_changed_during_backup():
    folder = os.path.join(work, "moving")
    proc = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "wv-kv", "--all", "--output",
                             folder], env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    moved = None
    deadline = time.monotonic() + 60
    while moved is None and time.monotonic() < deadline and proc.poll() is None:
        try:
            done = [o for o in manifest(folder)["objects"]
                    if o["status"] == "done" and o["kind"] == "secret"]
        except (OSError, ValueError):
            done = []
        if done:
            moved = done[0]["name"]
        else:
            time.sleep(0.05)
    check(moved is not None, "no secret was backed up while the job ran")
    done, status, data = vault_call("PUT", "wv-kv", "/secrets/" + moved, {"value": "moved"})
    check(done, "new version of %s: %d" % (moved, status))
    _, err = proc.communicate(timeout=180)
    check(proc.returncode == 0, "backup while the vault changes: %d %s" % (proc.returncode, err))
    entry = [o for o in manifest(folder)["objects"] if o["name"] == moved and o["kind"] == "secret"]
    check(entry and entry[0].get("changedDuringBackup") is True, "not marked: %r" % entry)
    check("secret %s" % moved in err, "not named on the terminal: %s" % err)


@tap.test
def test_changed_after_pages_moved():
    """The second listing asks for all its pages at once with the first listing's links; secrets
    added meanwhile move the objects of a page into the next one's place, where neither page
    brings them.  Each such object is looked at on its own: one changed after its own backup is
    still reported, and only those are looked at (the rest came with the pages)."""
    vault = "wv-move-kv"
    done, status, data = vault_call("GET", vault, "/secrets?maxresults=25")
    check(done, "first page: %d" % status)
    first_page = [item["id"].rstrip("/").rsplit("/", 1)[1] for item in json.loads(data)["value"]]
    check(len(first_page) == 25, "a first page of 25: %r" % first_page)
    # Six secrets that sort before all others push the first page's last six out of it.
    pushed = first_page[-6:]
    moved = pushed[2]
    folder = os.path.join(work, "moved-pages")
    since = len(emu.requests())
    kvbtest.control(emu, "/_emulator/faults", {"latency_ms": 40})
    try:
        proc = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", vault, "--all",
                                 "--concurrency", "1", "--output", folder], env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen_done = False
        deadline = time.monotonic() + 60
        while not seen_done and time.monotonic() < deadline and proc.poll() is None:
            try:
                seen_done = any(o["name"] == moved and o["status"] == "done"
                                for o in manifest(folder)["objects"])
            except (OSError, ValueError, KeyError):
                pass
            if not seen_done:
                time.sleep(0.05)
        check(seen_done, "%s was not backed up while the job ran" % moved)
        for i in range(6):
            done, status, _ = vault_call("PUT", vault, "/secrets/0-added-%d" % i, {"value": "new"})
            check(done, "added secret %d: %d" % (i, status))
        done, status, _ = vault_call("PUT", vault, "/secrets/" + moved, {"value": "moved"})
        check(done, "new version of %s: %d" % (moved, status))
        check(proc.poll() is None, "the backup ended before the vault was changed: too fast")
        _, err = proc.communicate(timeout=180)
    finally:
        kvbtest.control(emu, "/_emulator/faults", {"latency_ms": 0})
    check(proc.returncode == 0, "backup while pages move: %d %s" % (proc.returncode, err))
    objects = manifest(folder)["objects"]
    flagged = sorted(o["name"] for o in objects if o.get("changedDuringBackup"))
    check(flagged == [moved], "changed during the backup: %r (expected %s)" % (flagged, moved))
    check("secret %s" % moved in err, "not named on the terminal: %s" % err)
    check(not any(o["name"].startswith("0-added-") for o in objects),
          "secrets added during the backup are in its manifest")
    looks = sorted(r["path"].rsplit("/", 1)[1] for r in emu.requests()[since:]
                   if r.get("method") == "GET" and r.get("status") == 200 and
                   r.get("host", "").startswith(vault + ".") and
                   r.get("path", "").startswith("/secrets/") and r["path"].count("/") == 2)
    check(set(looks) == set(pushed), "looked at one by one: %r (expected %r)" % (looks, pushed))
    lists = [r for r in emu.requests()[since:] if r.get("method") == "GET" and
             r.get("host", "").startswith(vault + ".") and r.get("path") == "/secrets"]
    # 120 secrets: 5 pages, twice, and what the injected faults made the client ask again.
    check(10 <= len(lists) <= 16, "list pages asked for: %d" % len(lists))


@tap.test
def test_certificate_failed_its_key_and_secret_too():
    """A certificate whose backup is refused takes its key and secret with it: the manifest
    calls them failed with the reason, not covered, and the summary counts them."""
    folder = os.path.join(work, "nocert")
    res = run("backup", "--vault", "wv-nocert-kv", "--all", "--output", folder)
    check(res.status == 1, "exit status %d with certificates refused" % res.status, res)
    objects = {(o["kind"], o["name"]): o for o in manifest(folder)["objects"]}
    certs = [name for (kind, name) in objects if kind == "certificate"]
    check(len(certs) == 2, "two certificates listed: %r" % certs)
    for name in certs:
        check(objects[("certificate", name)]["status"] == "failed", "certificate %s" % name)
        for kind in ("key", "secret"):
            entry = objects.get((kind, name))
            check(entry is not None and entry["status"] == "failed" and
                  name in entry.get("reason", "") and entry.get("coveredBy") == name,
                  "%s %s of a failed certificate: %r" % (kind, name, entry))
    check(objects[("secret", "plain")]["status"] == "done", "the plain secret was backed up")
    check("(0 kept from the earlier run, 0 covered by their certificate, 6 failed)" in res.stderr,
          "summary: %s" % res.stderr)


def other_file_system(folder):
    """A folder on another file system than @folder (for the copy that replaces a hard link),
    or None."""
    for candidate in ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR") or ""):
        try:
            if candidate and os.stat(candidate).st_dev != os.stat(folder).st_dev and \
                    os.access(candidate, os.W_OK):
                return tempfile.mkdtemp(prefix="kvbtest-inc-", dir=candidate)
        except OSError:
            pass
    return None


@tap.test
def test_incremental():
    base = os.path.join(work, "inc-base")
    res = run("backup", "--vault", "wv-kv", "--all", "--output", base)
    check(res.status == 0, "the full backup", res)
    m0 = manifest(base)
    check(all(o.get("versionsDigest") for o in m0["objects"] if o["status"] == "done"),
          "a done object without versionsDigest")

    # Three objects change (a new version, new tags, an older version disabled: only the version
    # list shows that one), one is added, one is deleted.
    ok, status, data = vault_call("GET", "wv-kv", "/secrets/db-password/versions")
    check(ok, "versions of db-password: %d" % status)
    versions = sorted(json.loads(data)["value"], key=lambda v: v["attributes"]["created"])
    oldest = versions[0]["id"].rsplit("/", 1)[1]
    for call in (("PUT", "/secrets/app-20", {"value": "changed"}),
                 ("PATCH", "/keys/ec-05", {"tags": {"rotated": "yes"}}),
                 ("PATCH", "/secrets/db-password/" + oldest, {"attributes": {"enabled": False}}),
                 ("PUT", "/secrets/inc-added", {"value": "added"}),
                 ("DELETE", "/secrets/app-21")):
        done, status, data = vault_call(call[0], "wv-kv", *call[1:])
        check(done, "%s %s: %d %r" % (call[0], call[1], status, data[:200]))
    want = {"/secrets/app-20/backup", "/keys/ec-05/backup", "/secrets/db-password/backup",
            "/secrets/inc-added/backup"}

    folder = os.path.join(work, "inc-next")
    before = len(emu.requests())
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder, "--incremental", base)
    check(res.status == 0, "the incremental backup", res)
    sent = backup_requests(before)
    print("# incremental: %d backup requests (%d answered 200, with the injected faults) in %.1f s"
          % (len(set(sent)), len(sent), res.seconds), flush=True)
    check(set(sent) == want, "backed up %r, not %r" % (sorted(set(sent)), sorted(want)))

    check("%d linked, 0 copied" % (len([o for o in manifest(base)["objects"]
                                         if o["status"] == "done"]) - 4) in res.stderr,
          "the counts", res)
    res = run("verify", folder)
    check(res.status == 0, "verify of the incremental folder", res)
    m = manifest(folder)
    check(m["incrementalFrom"] == os.path.abspath(base), "incrementalFrom: %r" % m.get("incrementalFrom"))
    earlier = {(o["kind"], o["name"]): o for o in m0["objects"]}
    objs = {(o["kind"], o["name"]): o for o in m["objects"]}
    check(("secret", "app-21") not in objs and ("secret", "inc-added") in objs,
          "added and deleted objects")
    changed = {("secret", "app-20"), ("key", "ec-05"), ("secret", "db-password"),
               ("secret", "inc-added")}
    n_linked = 0
    for key, o in objs.items():
        if o["status"] != "done":
            continue
        same = os.stat(os.path.join(base, earlier[key]["file"])).st_ino == \
            os.stat(os.path.join(folder, o["file"])).st_ino if key in earlier else False
        if key in changed:
            check(not same and "reused" not in o, "%s %s was reused" % key)
        else:
            check(same and o["reused"] == "link" and o["sha256"] == earlier[key]["sha256"],
                  "%s %s is not a hard link: %r" % (key + (o,)))
            n_linked += 1
    n_base = len([o for o in m0["objects"] if o["status"] == "done"])
    check(n_linked == n_base - 4, "%d linked of %d" % (n_linked, n_base))
    check(objs[("secret", "db-password")]["versionsDigest"] !=
          earlier[("secret", "db-password")]["versionsDigest"], "the version list's digest")

    # Without a change, on another file system: nothing is backed up, every file is a copy.
    other = other_file_system(work)
    if other is None:
        print("# no other file system: the copy instead of a hard link is not tested", flush=True)
        return
    try:
        target = os.path.join(other, "inc-copy")
        before = len(emu.requests())
        res = run("backup", "--vault", "wv-kv", "--all", "--output", target, "--incremental", folder)
        check(res.status == 0 and "0 linked, %d copied" % len([o for o in m["objects"] if o["status"] == "done"])
        in res.stderr,
              "incremental onto another file system", res)
        check(not backup_requests(before), "an unchanged object was backed up")
        mc = manifest(target)
        check(all(o.get("reused") == "copy" for o in mc["objects"] if o["status"] == "done"),
              "not all copies")
        res = run("verify", target)
        check(res.status == 0, "verify of the copied folder", res)
    finally:
        shutil.rmtree(other, ignore_errors=True)


def history_lines():
    path = os.path.join(work, "data", "key-vault-backup", "history.jsonl")
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "history mode")
    check(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700, "history folder mode")
    with open(path) as f:
        text = f.read()
    for secret in (emu["client_secret"], "Bearer", "access_token", "eyJ", "hunter"):
        check(secret not in text, "the history holds %r" % secret)
    return [json.loads(line) for line in text.splitlines()]


@tap.test
def test_history():
    # A recovery and a purge done by folder restores, each its own line with the names.
    for name, choice in (("app-30", "recover"), ("app-31", "purge")):
        done, status, data = vault_call("DELETE", "wv-empty-kv", "/secrets/" + name)
        check(done, "delete %s: %d" % (name, status))
        for _ in range(100):
            done, status, _data = vault_call("GET", "wv-empty-kv", "/deletedsecrets/" + name)
            if done:
                break
            time.sleep(0.1)
        res = run("restore", "--vault", "wv-empty-kv", os.path.join(work, "full"),
                  "--on-conflict", choice, timeout=240)
        check(res.status == 0, "restore --on-conflict %s" % choice, res)

    lines = history_lines()
    ops = [(e["operation"], e["vault"], e["result"]) for e in lines]
    # Every backup and restore of this file's tests, in order (a dry run sends nothing and is
    # not one); the geography refusal is there as failed.
    check(ops[0] == ("backup", "wv-kv", "succeeded"), "first line: %r" % (ops[:3],))
    check(("restore", "wv-far-kv", "failed") in ops, "the refused restore: %r" % ops)
    check(ops.count(("restore", "wv-empty-kv", "succeeded")) == 4, "restores: %r" % ops)
    check(("recover", "wv-empty-kv", "succeeded") in ops and
          ("purge", "wv-empty-kv", "succeeded") in ops, "recover and purge: %r" % ops)
    rec = [e for e in lines if e["operation"] == "recover"][0]
    pur = [e for e in lines if e["operation"] == "purge"][0]
    check(rec["names"] == ["app-30"] and rec["counts"]["done"] == 1, "recover line: %r" % rec)
    check(pur["names"] == ["app-31"], "purge line: %r" % pur)
    inc = [e for e in lines if e.get("incrementalFrom")][0]
    check(inc["counts"]["linked"] > 0 and inc["folder"].endswith("/inc-next"), "incremental: %r" % inc)
    for e in lines:
        check(e["account"] == "service principal " + emu["client_id"] and e["cloud"] and
              e["time"].endswith("Z") and e["finished"] >= e["time"], "line: %r" % e)
        check(e["operation"] != "restore" or e.get("folder") or e.get("files"), "where: %r" % e)

    # kvbackup history: newest first, by vault, with the last successful backup.
    res = run("history", "--vault", "wv-kv", "--json")
    check(res.status == 0, "history --json", res)
    doc = res.json()
    backups = [e for e in lines if e["vault"] == "wv-kv"]
    check(len(doc["entries"]) == len(backups) and doc["entries"][0] == backups[-1],
          "newest first", res)
    last = [e for e in backups if e["operation"] == "backup" and e["result"] == "succeeded"][-1]
    check(doc["lastSuccessfulBackup"] == last["finished"], "last successful backup", res)
    res = run("history", "--vault", "wv-empty-kv", "--limit", "2")
    check(res.status == 0 and len(res.stdout.splitlines()) == 2 and
          "purge" in res.stdout.splitlines()[0], "history as text", res)
    check("has no backup" in res.stderr, "no backup of wv-empty-kv", res)


@tap.test
def test_json_documents():
    # backup, verify, compare, restore (dry run) and list with --json: stdout is one document
    # whose exitStatus is the process's; the human lines stay on stderr.
    base = os.path.join(work, "inc-next")
    folder = os.path.join(work, "json-inc")
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder, "--incremental", base,
              "--json")
    check(res.status == 0, "backup --json", res)
    doc = res.json()
    m = manifest(folder)
    n_done = len([o for o in m["objects"] if o["status"] == "done"])
    check(doc["command"] == "backup" and doc["exitStatus"] == 0 and doc["result"] == "succeeded" and
          doc["counts"]["done"] == n_done and doc["counts"]["linked"] == n_done and
          doc["counts"]["failed"] == 0 and doc["failed"] == [] and
          doc["folder"] == os.path.abspath(folder) and doc["incrementalFrom"] == os.path.abspath(base),
          "backup document", res)
    check("Backed up" in res.stderr, "the summary left stderr", res)

    res = run("verify", folder, "--json")
    check(res.status == 0 and res.json()["whole"] and res.json()["checked"] == n_done and
          res.json()["problems"] == [], "verify --json", res)
    res = run("compare", folder, "--vault", "wv-kv", "--json")
    check(res.status == 0 and res.json()["matches"] and res.json()["exitStatus"] == 0,
          "compare --json", res)
    res = run("restore", "--vault", "wv-empty-kv", folder, "--dry-run", "--on-conflict", "skip",
              "--json")
    doc = res.json()
    check(res.status == 0 and doc["dryRun"] and len(doc["plan"]) == n_done and
          {p["action"] for p in doc["plan"]} == {"skip", "restore"} and
          {p["name"] for p in doc["plan"] if p["action"] == "restore"} == {"added-since", "inc-added"},
          "restore --dry-run --json", res)
    res = run("restore", "--vault", "wv-empty-kv", folder, "--json")
    doc = res.json()
    check(res.status == 2 and doc["exitStatus"] == 2 and doc["result"] == "failed" and
          "--on-conflict" in doc["errors"][0], "names in use, --json", res)
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder, "--json")
    check(res.status == 2 and res.json()["exitStatus"] == 2 and "--resume" in res.json()["errors"][0],
          "a folder with a backup, --json", res)


@tap.test
def test_progress():
    # In a pipe (cron, a log): plain lines, one per tenth at most, the last at 100 %.
    folder = os.path.join(work, "progress-lines")
    res = run("backup", "--vault", "wv-kv", "--all", "--output", folder)
    check(res.status == 0, "backup in a pipe", res)
    n_done = len([o for o in manifest(folder)["objects"] if o["status"] == "done"])
    n_all = len(manifest(folder)["objects"])
    lines = [x for x in res.stderr.splitlines() if x.startswith("kvbackup: Backing up: ")]
    check(1 <= len(lines) <= 12, "progress lines: %r" % lines)
    check(lines[-1] == "kvbackup: Backing up: %d of %d objects finished (100 %%), 0 failed"
          % (n_all, n_all), "the last line: %r" % lines[-1])
    check("\r" not in res.stderr and "\033" not in res.stderr, "terminal codes in a pipe", res)
    del n_done

    # On a terminal: a bar redrawn in place, cleared before the summary.
    import pty
    folder = os.path.join(work, "progress-bar")
    master, slave = pty.openpty()
    proc = subprocess.Popen([kvbtest.KVBACKUP, "backup", "--vault", "wv-kv", "--all", "--output",
                             folder], env=env(), stdout=subprocess.DEVNULL, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    proc.wait(timeout=180)
    os.close(master)
    text = out.decode("utf-8", "replace")
    check(proc.returncode == 0, "backup on a terminal: %d %s" % (proc.returncode, text[-2000:]))
    check("\rBacking up [" in text and "#" in text and "/s" in text, "no bar: %r" % text[-2000:])
    check("\r\033[K" in text.split("Backed up")[0][-200:], "the bar was not cleared: %r" % text[-500:])
    check("objects finished" not in text, "plain lines on a terminal: %r" % text[-2000:])


@tap.test
def test_several_vaults():
    # Two vaults at once, each into its own sub-folder, in parallel (their backups overlap in
    # time at the stand-in), each folder whole; one document with both.
    out = os.path.join(work, "multi")
    before = len(emu.requests())
    res = run("backup", "--all", "--vault", "wv-kv", "--vault", "wv-empty-kv", "--output", out,
              "--json", timeout=240)
    check(res.status == 0, "backup of two vaults", res)
    doc = res.json()
    check(doc["exitStatus"] == 0 and [d["vault"] for d in doc["vaults"]] == ["wv-kv", "wv-empty-kv"] and
          all(d["result"] == "succeeded" for d in doc["vaults"]), "document", res)
    spans = {}
    for r in emu.requests()[before:]:
        if r.get("method") == "POST" and r.get("path", "").endswith("/backup"):
            vault = r.get("host", "").split(".")[0]
            spans.setdefault(vault, []).append(r["time"])
    check(set(spans) == {"wv-kv", "wv-empty-kv"}, "backups sent: %r" % list(spans))
    check(min(spans["wv-empty-kv"]) < max(spans["wv-kv"]) and
          min(spans["wv-kv"]) < max(spans["wv-empty-kv"]), "the two vaults did not overlap")
    print("# two vaults at once: %d + %d backup requests (with retried 503s) in %.1f s" % (
        len(spans["wv-kv"]), len(spans["wv-empty-kv"]), res.seconds), flush=True)
    for vault in ("wv-kv", "wv-empty-kv"):
        folder = os.path.join(out, vault)
        m = manifest(folder)
        check(m["vaultUri"].startswith("https://%s." % vault), "manifest of %s" % vault)
        res = run("verify", folder)
        check(res.status == 0, "verify %s" % vault, res)

    # Incremental, from the same layout: nothing changed, nothing is backed up.
    before = len(emu.requests())
    res = run("backup", "--all", "--vault", "wv-kv", "--vault", "wv-empty-kv", "--output",
              os.path.join(work, "multi-next"), "--incremental", out)
    check(res.status == 0 and res.stderr.count("0 copied") == 2, "incremental of two vaults", res)
    check(not [r for r in emu.requests()[before:] if r.get("path", "").endswith("/backup")],
          "an unchanged object was backed up")

    # A vault named twice is a wrong command line.
    res = run("backup", "--all", "--vault", "wv-kv", "--vault", "WV-KV", "--output",
              os.path.join(work, "multi-twice"))
    check(res.status == 2 and "twice" in res.stderr, "a vault named twice", res)
    res = run("backup", "--vault", "wv-kv", "--vault", "wv-empty-kv", "--kind", "secret",
              "--name", "app-01")
    check(res.status == 2, "two vaults for one object", res)


def main():
    global emu, work
    if not kvbtest.have_kvbackup():
        return tap.run(setup_skip="kvbackup is not built")
    try:
        emu = Emulator("--seed", SEED, *FAULTS)
        emu.start()
    except kvbtest.Skip as e:
        return tap.run(setup_skip=str(e))
    work = tempfile.mkdtemp(prefix="kvbtest-vault-")
    try:
        return tap.run()
    finally:
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
