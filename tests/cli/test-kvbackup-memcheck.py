#!/usr/bin/python3
# test-kvbackup-memcheck.py: kvbackup itself under valgrind memcheck, against the stand-in over
# real HTTPS: a listing, a whole-vault backup, verify, and a folder restore into another vault.
# No definite leak, and no invalid read or write (valgrind's exit status 99), in a program that
# signs in, speaks TLS, paces requests and writes files — what the file-only memcheck step of
# the test command does not reach.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, Skip, check  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-cli.json")
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--track-fds=no", "--num-callers=30"]

tap = kvbtest.Tap()
work = None


def memcheck(args, env, timeout=300):
    """kvbackup ARGS under valgrind; fails on any memcheck error with valgrind's report."""
    env = dict(env)
    env["G_SLICE"] = "always-malloc"
    start = time.monotonic()
    proc = subprocess.run(VALGRIND + [kvbtest.KVBACKUP] + list(args), env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    res = kvbtest.Result(proc, list(args), time.monotonic() - start)
    check(res.status != 99, "memcheck reports errors in kvbackup %s" % " ".join(args), res)
    return res


@tap.test
def test_list_backup_verify_restore():
    if shutil.which("valgrind") is None:
        raise Skip("valgrind is not installed")
    emu = Emulator("--seed", SEED)
    emu.start()
    try:
        env = emu.direct_env()
        env["XDG_DATA_HOME"] = os.path.join(work, "data")
        res = memcheck(["list", "--vault", "cli-kv"], env)
        check(res.status == 0 and "api-token" in res.stdout, "list under memcheck", res)
        folder = os.path.join(work, "backup")
        res = memcheck(["backup", "--vault", "cli-kv", "--all", "--output", folder], env)
        check(res.status == 0, "whole-vault backup under memcheck", res)
        res = memcheck(["verify", folder], env)
        check(res.status == 0, "verify under memcheck", res)
        res = memcheck(["restore", "--vault", "cli-other-kv", folder], env)
        check(res.status == 0, "folder restore under memcheck", res)
        res = kvbtest.kvbackup(["list", "--vault", "cli-other-kv"], env)
        check("api-token" in res.stdout, "the restored vault lists the secret", res)
    finally:
        emu.stop()


def main():
    global work
    if not kvbtest.have_kvbackup():
        return tap.run(setup_skip="kvbackup is not built")
    work = tempfile.mkdtemp(prefix="kvbtest-memcheck-")
    try:
        return tap.run()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
