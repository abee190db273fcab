#!/usr/bin/python3
# test-kvbackup-abuse.py: files and folders given to kvbackup that are not what they claim to be —
# a device, a named pipe, a 4 GiB file, a folder where a file is expected, a huge manifest,
# manifest entries that are symbolic links out of the backup folder, a folder of 100,000 files.
# Each is refused with a message, in bounded time and memory, and nothing is sent to the vault.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The vault is a small copy of wv-kv (tests/cli/seed-vault.json); wv-empty-kv receives restores.
# Time and peak memory (ru_maxrss) are measured per kvbackup process with os.wait4().

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, Skip, check, kvbackup  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-vault.json")
GIB = 1024 * 1024 * 1024

tap = kvbtest.Tap()
emu = None
work = None
backup = None     # a whole-vault backup folder of the small vault, made once


class Measured:
    def __init__(self, argv, status, stdout, stderr, seconds, max_rss_kib):
        self.argv, self.status, self.stdout, self.stderr = argv, status, stdout, stderr
        self.seconds, self.max_rss_kib = seconds, max_rss_kib

    def __repr__(self):
        return "kvbackup %s -> %s in %.1f s, %d MiB\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(self.argv), self.status, self.seconds, self.max_rss_kib // 1024,
            self.stdout[-2000:], self.stderr[-2000:])


def measure(*args, timeout=60):
    """Runs kvbackup; its exit status, output, wall time and peak RSS.  Killed after @timeout:
    a hang is a failure, not a stuck test."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([kvbtest.KVBACKUP] + list(args), env=env(), stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, wstatus, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(wstatus)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        res = Measured(list(args), proc.returncode, out.read().decode(), err.read().decode(),
                       seconds, usage.ru_maxrss)
    check(res.status >= 0, "killed (a hang or a signal)", res)
    return res


def env():
    e = emu.direct_env()
    e["XDG_DATA_HOME"] = os.path.join(work, "data")
    return e


def restores():
    return [r for r in emu.requests() if r.get("path", "").endswith("/restore")]


def small_seed():
    with open(SEED) as f:
        seed = json.load(f)
    for v in seed["vaults"]:
        if v["name"] == "wv-kv":
            v["secrets"] = [s for s in v["secrets"] if s["name"] == "db-password"] + \
                           [{"name": "app", "count": 4}]
            v["keys"] = [k for k in v["keys"] if k["name"] == "signing"]
            v["certificates"] = v["certificates"][:1]
    path = os.path.join(work, "seed-small.json")
    with open(path, "w") as f:
        json.dump(seed, f)
    return path


def manifest_of(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


def write_manifest(folder, m):
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(m, f)


def copy_backup(name):
    folder = os.path.join(work, name)
    shutil.copytree(backup, folder)
    return folder


def first_done(m, kind="secret"):
    return next(o for o in m["objects"] if o["status"] == "done" and o["kind"] == kind)


@tap.test
def test_restore_file_that_is_not_a_file():
    cases = []
    zero = os.path.join(work, "zero.kvbackup")
    os.symlink("/dev/zero", zero)
    cases.append(("a symbolic link to /dev/zero", zero, "is a device"))
    fifo = os.path.join(work, "pipe.kvbackup")
    os.mkfifo(fifo, 0o600)
    cases.append(("a named pipe no one writes to", fifo, "is a named pipe"))
    sparse = os.path.join(work, "sparse.kvbackup")
    with open(sparse, "wb") as f:
        f.truncate(4 * GIB)
    cases.append(("a 4 GiB sparse file", sparse, "too large"))
    folder = os.path.join(work, "a-folder.kvbackup")
    os.mkdir(folder)
    cases.append(("a folder", folder, "folder"))

    before = len(restores())
    for what, path, says in cases:
        res = measure("restore", "--vault", "wv-empty-kv", path, timeout=30)
        print("# %s: exit %d in %.2f s, %d MiB" % (what, res.status, res.seconds,
                                                  res.max_rss_kib // 1024), flush=True)
        check(res.status in (1, 2), "%s: refused" % what, res)
        check(says in res.stderr, "%s: the message says what it is (%r)" % (what, says), res)
        check(res.seconds < 15, "%s: refused quickly" % what, res)
        check(res.max_rss_kib < 48 * 1024, "%s: not read into memory" % what, res)
    check(len(restores()) == before, "a restore was sent")


@tap.test
def test_huge_manifest():
    folder = copy_backup("huge-manifest")
    with open(os.path.join(folder, "manifest.json"), "r+b") as f:
        f.seek(0, os.SEEK_END)
        f.truncate(4 * GIB)   # the real manifest, then 4 GiB of zeros
    before = len(restores())
    for args in (["verify", folder], ["restore", "--vault", "wv-empty-kv", folder]):
        res = measure(*args, timeout=30)
        print("# %s: exit %d in %.2f s, %d MiB" % (args[0], res.status, res.seconds,
                                                  res.max_rss_kib // 1024), flush=True)
        check(res.status in (1, 2) and "manifest" in res.stderr, "a 4 GiB manifest is refused", res)
        check(res.seconds < 10 and res.max_rss_kib < 48 * 1024,
              "refused by its size, not read", res)
    check(len(restores()) == before, "a restore was sent")


@tap.test
def test_entries_that_leave_the_folder():
    folder = copy_backup("links-out")
    outside = os.path.join(work, "outside")
    os.makedirs(os.path.join(outside, "secrets"))
    m = manifest_of(folder)
    victim = first_done(m)
    # The entry's file becomes a symbolic link to a copy outside the folder — a copy whose size
    # and SHA-256 match the manifest, so that only the link tells it apart.
    inside = os.path.join(folder, victim["file"])
    target = os.path.join(outside, "secrets", os.path.basename(inside))
    shutil.move(inside, target)
    os.symlink(target, inside)

    # A second folder whose whole "secrets" sub-folder is a link out.
    folder2 = copy_backup("folder-link-out")
    shutil.rmtree(os.path.join(folder2, "secrets"))
    shutil.copytree(os.path.join(backup, "secrets"), os.path.join(outside, "all-secrets"))
    os.symlink(os.path.join(outside, "all-secrets"), os.path.join(folder2, "secrets"))
    n_secrets = len([o for o in m["objects"] if o["status"] == "done" and o["kind"] == "secret"])
    n_done = len([o for o in m["objects"] if o["status"] == "done"])

    for f, n_out in ((folder, 1), (folder2, n_secrets)):
        res = measure("verify", f)
        check(res.status == 1 and "symbolic link" in res.stdout, "verify reports the link", res)
        res = measure("restore", "--vault", "wv-empty-kv", f, "--dry-run")
        check(res.status == 1 and "symbolic link" in res.stderr,
              "the dry run leaves the linked files out and says why", res)
        planned = [line for line in res.stdout.splitlines() if line.endswith("restore")]
        check(len(planned) == n_done - n_out,
              "%d files planned, %d expected" % (len(planned), n_done - n_out), res)

    # A real restore sends every file but the linked one.
    before = len(restores())
    res = measure("restore", "--vault", "wv-empty-kv", folder, timeout=120)
    check(res.status == 1 and "symbolic link" in res.stderr, "the restore says what it left out", res)
    sent = [r for r in restores()[before:] if r.get("status") == 200]
    check(len(sent) == n_done - 1, "%d restores sent, %d expected" % (len(sent), n_done - 1), res)
    res = kvbackup(["list", "--vault", "wv-empty-kv", "--json"], env(), timeout=60)
    check(res.status == 0, "list the vault restored into", res)
    names = {(o["kind"], o["name"]) for o in res.json()["objects"]}
    check(("secret", victim["name"]) not in names, "the file behind the link was restored")
    others = [o["name"] for o in m["objects"] if o["status"] == "done" and o["kind"] == "secret"
              and o["name"] != victim["name"]]
    check(all(("secret", n) in names for n in others), "the other secrets were restored")


@tap.test
def test_folder_of_100000_files():
    folder = os.path.join(work, "many")
    m = manifest_of(backup)
    one = first_done(m)
    with open(os.path.join(backup, one["file"]), "rb") as f:
        blob = f.read()
    os.makedirs(os.path.join(folder, "secrets"), mode=0o700)
    objects = []
    start = time.monotonic()
    for i in range(100000):
        entry = copy.deepcopy(one)
        entry["name"] = "s-%06d" % i
        entry["file"] = "secrets/wv-kv.s-%06d.secret.kvbackup" % i
        # Hard links to one file (a file system allows some 65,000 links to a file).
        if i % 50000 == 0:
            src = os.path.join(folder, entry["file"])
            with open(src, "wb") as f:
                f.write(blob)
        else:
            os.link(src, os.path.join(folder, entry["file"]))
        objects.append(entry)
    m = dict(m)
    m["objects"] = objects
    write_manifest(folder, m)
    print("# 100,000 files made in %.1f s" % (time.monotonic() - start), flush=True)

    res = measure("verify", folder, timeout=120)
    print("# verify of 100,000 files: exit %d in %.1f s, %d MiB"
          % (res.status, res.seconds, res.max_rss_kib // 1024), flush=True)
    check(res.status == 0 and "100000 files match" in res.stdout, "verify of 100,000 files", res)
    check(res.seconds < 60 and res.max_rss_kib < 800 * 1024, "verify stays bounded", res)

    # A restore reads every file it sends, and keeps them until the end: the dry run of 20,000
    # of them (100,000 take some 25 s here) stays well below a file's size in memory each.
    m["objects"] = objects[:20000]
    write_manifest(folder, m)
    before = len(restores())
    res = measure("restore", "--vault", "wv-empty-kv", folder, "--dry-run", timeout=120)
    print("# restore --dry-run of 20,000 files: exit %d in %.1f s, %d MiB"
          % (res.status, res.seconds, res.max_rss_kib // 1024), flush=True)
    check(res.status == 0 and len(res.stdout.splitlines()) >= 20000, "dry run of 20,000 files", res)
    check(res.seconds < 45 and res.max_rss_kib < 300 * 1024, "the dry run stays bounded", res)
    check(len(restores()) == before, "the dry run sent a restore")
    shutil.rmtree(folder)


def main():
    global emu, work, backup
    if not kvbtest.have_kvbackup():
        return tap.run(setup_skip="kvbackup is not built")
    work = tempfile.mkdtemp(prefix="kvbtest-abuse-")
    try:
        emu = Emulator("--seed", small_seed())
        emu.start()
        backup = os.path.join(work, "backup")
        res = kvbackup(["backup", "--vault", "wv-kv", "--all", "--output", backup], env(), timeout=120)
        if res.status != 0:
            print("# the backup to abuse failed: %r" % res)
            return 1
        return tap.run()
    except Skip as e:
        return tap.run(setup_skip=str(e))
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
