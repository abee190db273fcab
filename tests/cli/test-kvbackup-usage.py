#!/usr/bin/python3
# test-kvbackup-usage.py: the command line itself: commands, --help, exit status, and files that
# are refused before any request is sent.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import ctypes
import os
import random
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Replay, check, kvbackup  # noqa: E402

tap = kvbtest.Tap()

SECRET_HEADER = b")AzureKeyVaultSecretBackupV1.microsoft.com"
KEY_HEADER = b"&AzureKeyVaultKeyBackupV1.microsoft.com"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def make_blob(header, ciphertext_len=4096):
    """A blob shaped like the service's: header, then a compact JWE (A256CBC-HS512)."""
    prot = b64url(b'{"kid":"2aff6aa1-76bd-44a7-a734-6f5ad0b5a898","alg":"RSA-OAEP-256",'
                  b'"enc":"A256CBC-HS512"}')
    parts = [prot] + [b64url(os.urandom(n)) for n in (256, 16, ciphertext_len, 32)]
    return header + b".".join(parts)


def offline_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env["LC_ALL"] = "C.UTF-8"
    env["LANGUAGE"] = "C"
    # Nothing may leave the machine: a request would go to this closed port.
    env["https_proxy"] = "http://127.0.0.1:9"
    return env


@tap.test
def test_help():
    res = kvbackup(["--help"], offline_env())
    check(res.status == 0, "--help", res)
    for command in ("list", "backup", "restore"):
        check(command in res.stdout, "%s is not listed" % command, res)

    for command, options in (("list", ["--vault", "--kind", "--deleted", "--json", "--cloud"]),
                             ("backup", ["--vault", "--kind", "--name", "--output", "--force",
                                         "--cloud"]),
                             ("restore", ["--vault", "--kind", "--cloud", "FILE"])):
        res = kvbackup([command, "--help"], offline_env())
        check(res.status == 0, "%s --help" % command, res)
        for option in options:
            check(option in res.stdout, "%s --help does not show %s" % (command, option), res)
        check("AZURE_CLIENT_SECRET" in res.stdout, "sign-in is not explained", res)
        # Every exit status that kvbackup uses is documented, the interrupted ones too.
        for status in ("0 when", "1 when", "2 when", "130 when", "143 when"):
            check(status in " ".join(res.stdout.split()),
                  "%s --help does not document exit status “%s”" % (command, status), res)

    res = kvbackup(["help", "restore"], offline_env())
    check(res.status == 0 and "--vault" in res.stdout, "help restore", res)


# Every command, with --json: one document on stdout (nothing else there), its "exitStatus" the
# process's, the messages of stderr in "errors".
@tap.test
def test_json_everywhere():
    with tempfile.TemporaryDirectory() as folder:
        env = offline_env()
        env["XDG_DATA_HOME"] = os.path.join(folder, "data")
        cases = [
            (["backup", "--vault", "contoso-kv", "--json"], 2),
            (["backup", "--vault", "contoso-kv", "--all", "--json"], 2),
            (["backup", "--vault", "contoso-kv", "--all", "--output", folder, "--incremental",
              folder, "--json"], 2),
            (["restore", "--json"], 2),
            (["verify", folder, "--json"], 2),
            (["compare", folder, "--json"], 2),
            (["list", "--json", "--no-such-option"], 2),
            (["list", "--vault", "contoso-kv", "--json"], 1),
            (["vaults", "--json"], 1),
            (["history", "--json"], 0),
            (["history", "--vault", "contoso-kv", "--json"], 0),
            (["accounts", "--json"], 0),
            (["frobnicate", "--json"], 2),
        ]
        for args, status in cases:
            res = kvbackup(args, env)
            check(res.status == status, "exit status of %r" % args, res)
            try:
                doc = res.json()
            except ValueError:
                raise AssertionError("stdout is not one JSON document: %r" % res)
            check(isinstance(doc, dict) and doc.get("exitStatus") == status,
                  "exitStatus of %r" % args, res)
            if status != 0:
                check(res.stderr.strip() and doc.get("errors") and
                      all(e in res.stderr for e in doc["errors"]), "errors of %r" % args, res)
        res = kvbackup(["history", "--vault", "contoso-kv", "--json"], env)
        check(res.json()["entries"] == [] and res.json()["lastSuccessfulBackup"] is None,
              "an empty history", res)


@tap.test
def test_usage_errors_exit_2():
    cases = [
        [],
        ["frobnicate"],
        ["list"],
        ["list", "--vault", "contoso-kv", "--kind", "password"],
        ["list", "--vault", "contoso-kv", "--no-such-option"],
        ["list", "--vault", "contoso-kv", "extra"],
        ["backup", "--vault", "contoso-kv", "--name", "x"],
        ["backup", "--vault", "contoso-kv", "--kind", "all", "--name", "x"],
        ["backup", "--vault", "contoso-kv", "--kind", "secret"],
        ["restore", "--vault", "contoso-kv"],
        ["restore", "x.kvbackup"],
        ["restore", "--vault", "contoso-kv", "--kind", "folder", "x.kvbackup"],
        ["list", "--vault", "contoso-kv", "--cloud", "mars"],
        ["list", "--vault", "not a vault!"],
        ["list", "--vault", "https://contoso.example.com/"],
    ]
    for args in cases:
        res = kvbackup(args, offline_env())
        check(res.status == 2, "exit status is not 2", res)
        check(res.stderr.strip(), "no message", res)
        check(res.stdout == "", "usage errors go to stderr", res)


@tap.test
def test_no_credentials():
    env = offline_env()
    res = kvbackup(["list", "--vault", "contoso-kv"], env)
    check(res.status == 1, "exit status is not 1", res)
    check("AZURE_CLIENT_ID" in res.stderr, "the message does not say how to sign in", res)


def bad_files(folder):
    """(file name, contents, words the message must contain)."""
    blob = make_blob(SECRET_HEADER)
    rnd = random.Random(4)
    garbage = bytes(rnd.randrange(256) for _ in range(3000))
    files = [
        ("empty.kvbackup", b"", "empty"),
        ("blank.kvbackup", b"\n  \n", "empty"),
        ("random.kvbackup", b"\x80" + garbage, "not a Key Vault backup"),
        ("garbage.b64", b64url(b"\x80" + garbage), "not a Key Vault backup"),
        ("novalue.json", b'{"id": "https://v.vault.azure.net/secrets/x"}', "value"),
        ("truncated.kvbackup", blob[: len(blob) - 20], "damaged"),
        ("truncated-header.kvbackup", blob[:20], "damaged"),
        ("key.pem", b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
         "not a Key Vault backup"),
    ]
    out = []
    for name, data, words in files:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        out.append((path, words))
    big = os.path.join(folder, "huge.kvbackup")
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    out.append((big, "too large"))
    return out


@tap.test
def test_bad_files_refused_before_any_request():
    with Replay() as server, tempfile.TemporaryDirectory() as folder:
        files = bad_files(folder)
        for path, words in files:
            res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv", path],
                           server.proxy_env())
            check(res.status == 1, "exit status is not 1 for %s" % path, res)
            check(words in res.stderr, "message for %s lacks “%s”" % (path, words), res)
            check(os.path.basename(path) in res.stderr, "message does not name the file", res)
        # All at once: each reported, the run goes on to the end.
        res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv"]
                       + [p for p, _ in files], server.proxy_env())
        check(res.status == 1, "exit status", res)
        for path, _ in files:
            check(os.path.basename(path) in res.stderr, "%s not reported" % path, res)
        reqs = [r for r in server.requests() if r["method"] != "CONNECT"]
        check(reqs == [], "requests were sent for bad files: %r" % reqs)


def without_file_access_override():
    """In the child, before kvbackup starts: a process of root keeps the power to read any file
    whatever its mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH); dropping both from the bounding set
    makes the mode bits count for kvbackup as they do for any user."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop capability %d" % cap)


@tap.test
def test_special_files_refused_promptly():
    # Reading any of these would block for ever (a named pipe with no writer), never end
    # (/dev/zero, also behind a symlink) or fail late; each is refused at once with what it is
    # and what to choose, as a wrong command line (2), and nothing is sent.
    with Replay() as server, tempfile.TemporaryDirectory() as folder:
        fifo = os.path.join(folder, "pipe.kvbackup")
        os.mkfifo(fifo)
        link = os.path.join(folder, "zero.kvbackup")
        os.symlink("/dev/zero", link)
        sock_path = os.path.join(folder, "socket.kvbackup")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(sock_path)
        sock.listen(1)
        sub = os.path.join(folder, "backups.kvbackup")
        os.mkdir(sub)
        locked = os.path.join(folder, "locked.kvbackup")
        with open(locked, "wb") as f:
            f.write(make_blob(SECRET_HEADER))
        os.chmod(locked, 0)
        cases = [
            (fifo, [], "is a named pipe, not a backup file"),
            ("/dev/zero", [], "is a device, not a backup file"),
            (link, [], "is a device, not a backup file"),
            (sock_path, [], "is a socket, not a backup file"),
            (sub, [], "is a folder, not a backup file"),
            (locked, [], "permission denied"),
            (os.path.join(folder, "missing.kvbackup"), [], "does not exist"),
        ]
        try:
            for path, _, words in cases:
                res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv", path],
                               server.proxy_env(), timeout=30,
                               preexec_fn=without_file_access_override)
                check(res.seconds < 5, "%s took %.1f s" % (path, res.seconds), res)
                check(res.status == 2, "exit status is not 2 for %s" % path, res)
                check(words in res.stderr, "message for %s lacks “%s”" % (path, words), res)
                check(os.path.basename(path) in res.stderr, "message does not name the file", res)
                if "backup file" in words:
                    check("Download Backup" in res.stderr and "az keyvault" in res.stderr,
                          "the message does not say what to choose", res)
            # Several at once: each is refused, and the status says the command line was wrong.
            res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv", fifo, link],
                           server.proxy_env(), timeout=30)
            check(res.seconds < 5 and res.status == 2, "two special files", res)
        finally:
            sock.close()
        reqs = [r for r in server.requests() if r["method"] != "CONNECT"]
        check(reqs == [], "requests were sent for special files: %r" % reqs)


@tap.test
def test_special_profile_and_certificate_refused_promptly():
    # The other files a person names: a cloud profile and a service principal's certificate.
    with tempfile.TemporaryDirectory() as folder:
        fifo = os.path.join(folder, "pipe.json")
        os.mkfifo(fifo)
        for args, words in (
                (["list", "--cloud", fifo, "--vault", "contoso-kv"], "Name a cloud profile"),
                (["list", "--cloud", "/dev/zero", "--vault", "contoso-kv"], "is a device"),
                (["login", "--service-principal", "--tenant", "contoso.example", "--client-id",
                  "00000000-0000-0000-0000-000000000001", "--certificate", fifo],
                 "is a named pipe")):
            res = kvbackup(args, offline_env(), timeout=30)
            check(res.seconds < 5, "%r took %.1f s" % (args, res.seconds), res)
            check(res.status == 2, "exit status is not 2", res)
            check(words in res.stderr, "message lacks “%s”" % words, res)


@tap.test
def test_ambiguous_kind_refused_before_any_request():
    with Replay() as server, tempfile.TemporaryDirectory() as folder:
        # PowerShell's default name: VAULT-NAME-SECONDS, no kind in it.
        path = os.path.join(folder, "contoso-kv-signing-1527029447.01191")
        with open(path, "wb") as f:
            f.write(make_blob(KEY_HEADER))
        res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv", path],
                       server.proxy_env())
        check(res.status == 1, "exit status", res)
        check("--kind key" in res.stderr and "--kind certificate" in res.stderr,
              "the message does not say how to tell the kind", res)
        # A secret blob cannot be restored as a key.
        secret = os.path.join(folder, "s.kvbackup")
        with open(secret, "wb") as f:
            f.write(make_blob(SECRET_HEADER))
        res = kvbackup(["restore", "--cloud", "public", "--vault", "contoso-kv", "--kind", "key",
                        secret], server.proxy_env())
        check(res.status == 1 and "secret" in res.stderr, "kind contradiction not refused", res)
        reqs = [r for r in server.requests() if r["method"] != "CONNECT"]
        check(reqs == [], "requests were sent: %r" % reqs)


@tap.test
def test_backup_refuses_existing_file_before_any_request():
    with Replay() as server, tempfile.TemporaryDirectory() as folder:
        existing = os.path.join(folder, "contoso-kv.db.secret.kvbackup")
        with open(existing, "wb") as f:
            f.write(b"precious")
        for output in (existing, folder):
            res = kvbackup(["backup", "--cloud", "public", "--vault", "contoso-kv", "--kind",
                            "secret", "--name", "db", "--output", output], server.proxy_env())
            check(res.status == 2, "exit status", res)
            check("--force" in res.stderr, "the message does not say how to replace it", res)
        with open(existing, "rb") as f:
            check(f.read() == b"precious", "the existing file was changed")
        reqs = [r for r in server.requests() if r["method"] != "CONNECT"]
        check(reqs == [], "requests were sent: %r" % reqs)


if __name__ == "__main__":
    sys.exit(tap.run(None if kvbtest.have_kvbackup() else "kvbackup is not built yet"))
