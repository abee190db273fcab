#!/usr/bin/python3
# test-kvbackup-replay.py: kvbackup against the recorded answers of the real service.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The replay server (tests/replay/kvb-replay.py) plays Key Vault with the recordings in
# tests/data/recordings, reached through its CONNECT proxy with the production public-cloud
# profile, so the recorded host names hold.  kvbackup must parse every answer, write exactly the
# base64url-decoded recorded value, and send exactly the recorded value when it restores.

import base64
import json
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Replay, check, kvbackup  # noqa: E402

tap = kvbtest.Tap()

CPP = "azure-sdk-for-cpp__"
PY_BACKUP = ("azure-sdk-for-python__test_samples_secrets.pyTestExamplesKeyVaulttest_example_"
             "secrets_backup_restore[7.3]@5899cf64.json")
SPEC_BACKUP = "azure-rest-api-specs__stable-2025-07-01__BackupSecret-example@878ccb66.json"


def recording(name):
    with open(os.path.join(kvbtest.RECORDINGS, name), encoding="utf-8") as f:
        return json.load(f)


def recorded_calls(name):
    """(method, path, status, body) of a recording, in order."""
    doc = recording(name)
    out = []
    for r in doc.get("networkCallRecords", []):
        resp = r["Response"]
        url = r.get("Url") or r.get("Uri")
        out.append((r["Method"], url.split("://", 1)[1].split("/", 1)[1].split("?")[0],
                    int(resp.get("STATUS_CODE") or resp.get("StatusCode")),
                    resp.get("BODY") or resp.get("Body") or ""))
    for e in doc.get("Entries", []):
        body = e.get("ResponseBody")
        out.append((e["RequestMethod"], e["RequestUri"].split("://", 1)[1].split("/", 1)[1].split("?")[0],
                    int(e["StatusCode"]), json.dumps(body) if isinstance(body, dict) else body or ""))
    return out


def recorded_list_items(name, path):
    """The items of every recorded page of a list (GET path)."""
    items = []
    for method, p, status, body in recorded_calls(name):
        if method == "GET" and "/" + p == path and status == 200:
            items += json.loads(body)["value"]
    return items


def item_name(item):
    return (item.get("id") or item.get("kid")).rstrip("/").split("/")[-1]


def recorded_backup_value(name, path):
    doc = recording(name)
    if "responses" in doc:
        return doc["responses"]["200"]["body"]["value"]
    for method, p, status, body in recorded_calls(name):
        if method == "POST" and "/" + p == path and status == 200:
            return json.loads(body)["value"]
    raise AssertionError("no backup in " + name)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vault_requests(server, method=None, path=None):
    return [r for r in server.requests()
            if r["method"] != "CONNECT" and not r.get("entra")
            and (method is None or r["method"] == method)
            and (path is None or r["path"] == path)]


def assert_clean_replay(server, result, lookups=()):
    """Every request found its recorded answer, and the first one to a vault had no token.
    @lookups: paths that may be asked with GET beyond the recording (the restore's look at the
    name before it sends the blob); the replay answers them 404, as the service does for a
    purged name (the key recording shows that GET right after its purge)."""
    reqs = vault_requests(server)
    check(reqs, "no request reached the replay", result)
    unmatched = [r for r in reqs if r.get("unmatched")
                 and not (r["method"] == "GET" and r["path"] in lookups and r["status"] == 404)]
    check(not unmatched, "requests with no recorded answer: %r" % unmatched, result)
    check(not reqs[0]["authorization"], "the first request carried a token before the challenge",
          result)
    check(any(r.get("entra") for r in server.requests()), "no token was requested", result)


def list_json(server, vault, *args):
    res = kvbackup(["list", "--cloud", "public", "--vault", vault, "--json"] + list(args),
                   server.proxy_env())
    check(res.status == 0, "list failed", res)
    return res, res.json()


# Lists --------------------------------------------------------------------------------------

@tap.test
def test_list_keys_three_pages():
    rec = CPP + "KeyVaultKeyClient.GetPropertiesOfKeysAllPages.json"
    expected = recorded_list_items(rec, "/keys")
    check(len(expected) == 59, "the recording changed: %d keys" % len(expected))
    with Replay(rec) as server:
        res, doc = list_json(server, "https://REDACTED.vault.azure.net/", "--kind", "key")
        assert_clean_replay(server, res)
        names = sorted(o["name"] for o in doc["objects"])
        check(names == sorted(item_name(i) for i in expected), "names differ from the recording",
              res)
        check(all(o["kind"] == "key" for o in doc["objects"]), "kinds", res)
        # Three pages: the first from the vault URL, then two nextLinks (on another host name).
        pages = vault_requests(server, "GET", "/keys")
        check(len([p for p in pages if p["authorization"]]) == 3, "not three pages: %r" % pages, res)
        check(all("api-version=7.6" in p["query"] for p in pages if p["authorization"]),
              "nextLink followed without our api-version", res)
        # The recorded dates are kept.
        first = expected[0]
        obj = next(o for o in doc["objects"] if o["name"] == item_name(first))
        check(obj.get("created") == first["attributes"]["created"], "created date", res)
        check(obj["id"].startswith("https://redacted.vault.azure.net/keys/"), "id: %r" % obj, res)


@tap.test
def test_list_secrets_six_pages_managed():
    rec = CPP + "KeyVaultSecretClientTest.TestGetPropertiesOfSecret.json"
    expected = recorded_list_items(rec, "/secrets")
    with Replay(rec) as server:
        res, doc = list_json(server, "https://redacted.vault.azure.net", "--kind", "secret")
        assert_clean_replay(server, res)
        check(len(doc["objects"]) == len(expected) > 125,
              "%d objects, %d recorded" % (len(doc["objects"]), len(expected)), res)
        managed = sorted(item_name(i) for i in expected if i.get("managed"))
        check(managed, "the recording has certificate-backed secrets")
        check(sorted(o["name"] for o in doc["objects"] if o["managed"]) == managed,
              "managed flags differ from the recording", res)


@tap.test
def test_list_table():
    rec = CPP + "KeyVaultCertificateClientTest.GetPropertiesOfCertificates.json"
    expected = recorded_list_items(rec, "/certificates")
    with Replay(rec) as server:
        res = kvbackup(["list", "--cloud", "public", "--vault", "redacted", "--kind", "certificate"],
                       server.proxy_env())
        check(res.status == 0, "list failed", res)
        lines = res.stdout.splitlines()
        check(lines[0].split()[0] == "KIND", "no header line", res)
        check(len(lines) == 1 + len(expected), "one line per certificate", res)
        for item in expected:
            check(any(line.startswith("certificate") and line.endswith(item_name(item))
                      for line in lines), "%s missing" % item_name(item), res)


@tap.test
def test_list_deleted():
    cases = [
        (CPP + "KeyVaultSecretClientTest.GetPropertiesOfSecret.json", "secret", "/deletedsecrets"),
        (CPP + "KeyVaultCertificateClientTest.GetDeletedCertificates.json", "certificate",
         "/deletedcertificates"),
    ]
    for rec, kind, path in cases:
        expected = recorded_list_items(rec, path)
        check(expected, "nothing deleted in " + rec)
        with Replay(rec) as server:
            res, doc = list_json(server, "redacted", "--kind", kind, "--deleted")
            assert_clean_replay(server, res)
            check(sorted(o["name"] for o in doc["objects"]) ==
                  sorted(item_name(i) for i in expected), "deleted names", res)
            for o in doc["objects"]:
                item = next(i for i in expected if item_name(i) == o["name"])
                check(o.get("scheduledPurgeDate") == item["scheduledPurgeDate"], "purge date", res)
                check(o.get("deletedDate") == item["deletedDate"], "deleted date", res)
                # (the replay names the vault's host in ids, see kvb-replay.py)
                check(o.get("recoveryId", "").split(".net")[-1] ==
                      item["recoveryId"].split(".net")[-1], "recovery id", res)


# Backup and restore ---------------------------------------------------------------------------

def backup_and_restore(rec, vault, kind, name, coll, restore_args=()):
    value = recorded_backup_value(rec, "/%s/%s/backup" % (coll, name))
    with Replay(rec) as server, tempfile.TemporaryDirectory() as out:
        res = kvbackup(["backup", "--cloud", "public", "--vault", vault, "--kind", kind,
                        "--name", name, "--output", out], server.proxy_env())
        check(res.status == 0, "backup failed", res)
        vault_name = vault.split("//")[-1].split(".")[0].lower()
        path = os.path.join(out, "%s.%s.%s.kvbackup" % (vault_name, name, kind))
        check(os.path.exists(path), "no %s" % path, res)
        with open(path, "rb") as f:
            data = f.read()
        check(data == b64url_decode(value), "the file is not the decoded recorded value", res)
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "file mode is not 0600", res)
        check(os.listdir(out) == [os.path.basename(path)], "other files left: %r" % os.listdir(out))

        res = kvbackup(["restore", "--cloud", "public", "--vault", vault] + list(restore_args)
                       + [path], server.proxy_env())
        check(res.status == 0, "restore failed", res)
        restores = [r for r in vault_requests(server, "POST", "/%s/restore" % coll)
                    if r["authorization"]]
        check(len(restores) == 1, "not one restore request: %r" % restores, res)
        body = restores[0].get("body")
        check(body == {"value": value}, "the restore request does not carry the recorded value",
              res)
        if "recorded_request_body" in restores[0]:
            check(body == restores[0]["recorded_request_body"],
                  "the restore request differs from the recorded one", res)
        check(name in res.stderr, "the restored name is not reported", res)
        # The name is looked up (live and deleted, sent together, so in either order) before
        # the blob is sent.
        # A first request without a token is answered with the challenge and sent again, so
        # only the requests that carried a token count, up to the restore.
        lookups = ("/%s/%s" % (coll, name), "/deleted%s/%s" % (coll, name))
        reqs = vault_requests(server)
        restore_at = max(i for i, r in enumerate(reqs)
                         if r["method"] == "POST" and r["path"] == "/%s/restore" % coll)
        looked = [r["path"] for r in reqs[:restore_at]
                  if r["method"] == "GET" and r["path"] in lookups and r["authorization"]]
        check(sorted(looked[-2:]) == sorted(lookups),
              "the name was not looked up before the restore: %r" % looked, res)
        assert_clean_replay(server, res, lookups)
        return server.requests()


@tap.test
def test_backup_restore_secret():
    backup_and_restore(CPP + "KeyVaultSecretClientTest.BackupRestore.json",
                       "https://REDACTED.vault.azure.net/", "secret", "BackupRestore", "secrets")


@tap.test
def test_backup_restore_key():
    backup_and_restore(CPP + "KeyVaultKeyClient.BackupKey.json", "redacted", "key", "BackupKey",
                       "keys")


@tap.test
def test_backup_restore_certificate():
    # The file name says "certificate": no --kind needed although the blob has the key header.
    backup_and_restore(CPP + "KeyVaultCertificateClientTest.BackupRestoreCertificate.json",
                       "redacted", "certificate", "BackupRestoreCertificate", "certificates")


@tap.test
def test_backup_restore_python_recording_with_challenge():
    # This recording has the real 401 challenge (authority login.windows.net) and the restore
    # request body as the Python SDK sent it.
    requests = backup_and_restore(PY_BACKUP, "https://vaultname.vault.azure.net/", "secret",
                                  "livekvtestsecret-name757a350d", "secrets")
    first = [r for r in requests if r["method"] == "POST"][0]
    check(first["status"] == 401 and not first["authorization"], "no challenge round: %r" % first)


@tap.test
def test_backup_spec_example():
    value = recorded_backup_value(SPEC_BACKUP, "/secrets/testsecret/backup")
    with Replay(SPEC_BACKUP) as server, tempfile.TemporaryDirectory() as out:
        target = os.path.join(out, "example.bin")
        res = kvbackup(["backup", "--cloud", "public", "--vault", "myvault", "--kind", "secret",
                        "--name", "testsecret", "--output", target], server.proxy_env())
        check(res.status == 0, "backup failed", res)
        with open(target, "rb") as f:
            check(f.read() == b64url_decode(value), "the file is not the decoded value", res)


# Errors the service answered -------------------------------------------------------------------

@tap.test
def test_backup_not_found():
    recs = ["azure-sdk-for-java__SecretClientTest.backupSecretNotFound[1]@21b840f6.json",
            "azure-sdk-for-java__SecretClientTest.backupSecretNotFound[1]@67615149.json"]
    with Replay(*recs) as server, tempfile.TemporaryDirectory() as out:
        res = kvbackup(["backup", "--cloud", "public", "--vault", "redacted", "--kind", "secret",
                        "--name", "non-existing", "--output", out], server.proxy_env())
        check(res.status == 1, "exit status is not 1", res)
        check(res.stderr.strip() and not res.stdout, "no message", res)
        check("AKV10000" not in res.stderr and "{" not in res.stderr,
              "raw service text shown instead of a message", res)
        check(os.listdir(out) == [], "a file was written", res)
        # 404 carries retry-after: 0; it must not be read as "retry".
        check(len([r for r in vault_requests(server, "POST") if r["authorization"]]) == 1,
              "the 404 was retried", res)


@tap.test
def test_restore_malformed():
    cases = [("azure-sdk-for-java__SecretClientTest.restoreSecretFromMalformedBackup[1]@0dd2f8f4.json",
              "secret", "secrets", CPP + "KeyVaultSecretClientTest.BackupRestore.json",
              "/secrets/BackupRestore/backup"),
             ("azure-sdk-for-java__KeyClientTest.restoreKeyFromMalformedBackup[1]@02f0936c.json",
              "key", "keys", CPP + "KeyVaultKeyClient.BackupKey.json", "/keys/BackupKey/backup")]
    for rec, kind, coll, source, path in cases:
        # A file that looks right to us, which the service then refuses (400 Malformed backup blob).
        blob = b64url_decode(recorded_backup_value(source, path))
        with Replay(rec) as server, tempfile.TemporaryDirectory() as out:
            f = os.path.join(out, "x.%s.kvbackup" % kind)
            with open(f, "wb") as fh:
                fh.write(blob)
            res = kvbackup(["restore", "--cloud", "public", "--vault", "redacted", f],
                           server.proxy_env())
            check(res.status == 1, "exit status is not 1", res)
            check(f in res.stderr, "the message does not name the file", res)
            check("Malformed backup blob" not in res.stderr or len(res.stderr) > 60,
                  "the raw service code is the only explanation", res)
            check(len([r for r in vault_requests(server, "POST", "/%s/restore" % coll)
                       if r["authorization"]]) == 1, "the 400 was retried", res)


@tap.test
def test_restore_onto_deleted_name():
    # The service's 409 for a soft-deleted name (recorded on create) answers the restore.
    rec = CPP + "KeyVaultKeyClient.CreateDeletedKey.json"
    blob = b64url_decode(recorded_backup_value(CPP + "KeyVaultKeyClient.BackupKey.json",
                                               "/keys/BackupKey/backup"))
    with Replay(rec) as server, tempfile.TemporaryDirectory() as out:
        f = os.path.join(out, "CreateDeletedKey.key.kvbackup")
        with open(f, "wb") as fh:
            fh.write(blob)
        res = kvbackup(["restore", "--cloud", "public", "--vault", "redacted", f],
                       server.proxy_env())
        check(res.status == 1, "exit status", res)
        text = res.stderr.lower()
        check("recover" in text and "purge" in text,
              "the message does not offer recover or purge", res)


@tap.test
def test_restore_several_files_one_bad():
    rec = CPP + "KeyVaultSecretClientTest.BackupRestore.json"
    value = recorded_backup_value(rec, "/secrets/BackupRestore/backup")
    with Replay(rec) as server, tempfile.TemporaryDirectory() as out:
        bad = os.path.join(out, "bad.kvbackup")
        good = os.path.join(out, "good.secret.kvbackup")
        with open(bad, "w") as f:
            f.write("this is not a backup\n")
        # base64url text with line breaks, as a user might paste it.
        with open(good, "w") as f:
            f.write("\n".join(value[i:i + 76] for i in range(0, len(value), 76)) + "\n")
        res = kvbackup(["restore", "--cloud", "public", "--vault", "redacted", bad, good],
                       server.proxy_env())
        check(res.status == 1, "exit status is not 1 when one file failed", res)
        check("bad.kvbackup" in res.stderr, "the bad file is not reported", res)
        check("BackupRestore" in res.stderr, "the good file was not restored", res)
        restores = [r for r in vault_requests(server, "POST", "/secrets/restore")
                    if r["authorization"]]
        check(len(restores) == 1 and restores[0]["body"] == {"value": value},
              "the good file was not restored with the recorded value", res)


if __name__ == "__main__":
    skip = None
    if not kvbtest.have_kvbackup():
        skip = "kvbackup is not built yet"
    elif not kvbtest.recordings():
        # The recordings ship with the project: without them nothing here is tested.
        print("1..1\nnot ok 1 - no recordings in %s (KVB_RECORDINGS)" % kvbtest.RECORDINGS)
        sys.exit(1)
    sys.exit(tap.run(skip))
