#!/usr/bin/python3
# test-interchange.py: backup files move between kvbackup and Microsoft's Python SDK (Debian's
# python3-azure), whose backup_* calls return exactly the bytes `az … backup --file` writes.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Both talk to the stand-in with the real host names through its CONNECT proxy, trusting its CA
# (the SDK through REQUESTS_CA_BUNDLE, kvbackup through SSL_CERT_FILE).  What is restored is
# compared with the source: the secret value, the key's public key, the certificate.

import json
import os
import ssl
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import Emulator, check, kvbackup  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed-cli.json")

tap = kvbtest.Tap()
emu = None
sdk = {}


class TokenCredential:
    """A token from the stand-in's Entra ID (client credentials), for the SDK clients."""

    def __init__(self):
        self.token = None

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        if self.token is None:
            ctx = ssl.create_default_context(cafile=emu["ca"])
            form = urllib.parse.urlencode({
                "grant_type": "client_credentials", "client_id": emu["client_id"],
                "client_secret": emu["client_secret"],
                "scope": scopes[0] if scopes else "https://vault.azure.net/.default"}).encode()
            url = "%s/%s/oauth2/v2.0/token" % (emu["url"], emu["tenant"])
            # Straight to the stand-in's own URL, not through the proxy.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                 urllib.request.HTTPSHandler(context=ctx))
            with opener.open(url, data=form, timeout=30) as resp:
                doc = json.load(resp)
            self.token = AccessToken(doc["access_token"], int(time.time()) + int(doc["expires_in"]))
        return self.token


def clients(vault):
    from azure.keyvault.certificates import CertificateClient
    from azure.keyvault.keys import KeyClient
    from azure.keyvault.secrets import SecretClient

    url = "https://%s.vault.azure.net" % vault
    cred = sdk.setdefault("credential", TokenCredential())
    return (SecretClient(url, cred, api_version="7.3"), KeyClient(url, cred, api_version="7.3"),
            CertificateClient(url, cred, api_version="7.3"))


def run_kvbackup(*args):
    return kvbackup(list(args), emu.proxy_env())


@tap.test
def test_sdk_backup_restored_by_kvbackup():
    secrets, keys, certs = clients("cli-kv")
    with tempfile.TemporaryDirectory() as out:
        # Written as az does: open(file, 'wb').write(client.backup_…(name)).  Names as az users
        # give them; the key and certificate get --kind, the secret needs nothing.
        files = []
        for name, data in (("db-password.bak", secrets.backup_secret("db-password")),
                           ("signing.key.bak", keys.backup_key("signing")),
                           ("web-cert.blob", certs.backup_certificate("web"))):
            path = os.path.join(out, name)
            with open(path, "wb") as f:
                f.write(data)
            files.append(path)

        res = run_kvbackup("restore", "--cloud", "public", "--vault", "xchg-a-kv", *files)
        check(res.status == 0, "kvbackup could not restore the SDK's files", res)

    t_secrets, t_keys, t_certs = clients("xchg-a-kv")
    check(t_secrets.get_secret("db-password").value == secrets.get_secret("db-password").value,
          "the restored secret has another value")
    versions = [p.version for p in t_secrets.list_properties_of_secret_versions("db-password")]
    check(len(versions) == 2, "not both versions restored: %r" % versions)
    src_key, dst_key = keys.get_key("signing"), t_keys.get_key("signing")
    check(dst_key.key.x == src_key.key.x and dst_key.key.y == src_key.key.y,
          "the restored key is another key")
    check(dst_key.properties.version == src_key.properties.version, "version ids not kept")
    check(t_certs.get_certificate("web").cer == certs.get_certificate("web").cer,
          "the restored certificate differs")


@tap.test
def test_kvbackup_backup_restored_by_sdk():
    secrets, keys, certs = clients("cli-kv")
    t_secrets, t_keys, t_certs = clients("xchg-b-kv")
    with tempfile.TemporaryDirectory() as out:
        for kind, name in (("secret", "api-token"), ("key", "signing"), ("certificate", "web")):
            res = run_kvbackup("backup", "--cloud", "public", "--vault", "cli-kv", "--kind", kind,
                               "--name", name, "--output", out)
            check(res.status == 0, "kvbackup backup %s" % name, res)

        def read(name, kind):
            with open(os.path.join(out, "cli-kv.%s.%s.kvbackup" % (name, kind)), "rb") as f:
                return f.read()

        # Read as az restore does: open(file, 'rb').read() handed to the SDK.
        t_secrets.restore_secret_backup(read("api-token", "secret"))
        t_keys.restore_key_backup(read("signing", "key"))
        t_certs.restore_certificate_backup(read("web", "certificate"))

    check(t_secrets.get_secret("api-token").value == secrets.get_secret("api-token").value,
          "the SDK restored another secret value")
    check(t_keys.get_key("signing").key.x == keys.get_key("signing").key.x,
          "the SDK restored another key")
    check(t_certs.get_certificate("web").cer == certs.get_certificate("web").cer,
          "the SDK restored another certificate")


@tap.test
def test_same_bytes_as_the_sdk():
    # A backup is encrypted afresh each time, so compare the parts that do not change: the
    # header and the JWE protected header (kid, alg, enc) of the SDK's bytes and of our file.
    secrets, _, _ = clients("cli-kv")
    sdk_bytes = secrets.backup_secret("api-token")
    with tempfile.TemporaryDirectory() as out:
        res = run_kvbackup("backup", "--cloud", "public", "--vault", "cli-kv", "--kind", "secret",
                           "--name", "api-token", "--output", out)
        check(res.status == 0, "backup", res)
        with open(os.path.join(out, "cli-kv.api-token.secret.kvbackup"), "rb") as f:
            ours = f.read()
    check(isinstance(sdk_bytes, bytes), "the SDK did not return bytes")
    # One length byte, the header, then the JWE (whose parts are separated by dots).
    check(ours[:1 + ours[0]] == sdk_bytes[:1 + sdk_bytes[0]], "blob headers differ")
    ours_jwe = ours[1 + ours[0]:].split(b".")
    sdk_jwe = sdk_bytes[1 + sdk_bytes[0]:].split(b".")
    check(len(ours_jwe) == len(sdk_jwe) == 5, "not a 5-part JWE")
    check(ours_jwe[0] == sdk_jwe[0], "JWE protected headers differ")
    check(all(32 <= c < 127 for c in ours), "our file is not the raw (ASCII) blob")


if __name__ == "__main__":
    skip = None
    try:
        import azure.keyvault.secrets  # noqa: F401
    except ImportError:
        skip = "python3-azure is not installed"
    if skip is None and not kvbtest.have_kvbackup():
        skip = "kvbackup is not built yet"
    if skip is None:
        try:
            emu = Emulator("--seed", SEED)
            emu.start()
            # The SDK goes through the stand-in's proxy and trusts its CA.
            os.environ["HTTPS_PROXY"] = emu["proxy"]
            os.environ["REQUESTS_CA_BUNDLE"] = emu["ca"]
            os.environ.pop("NO_PROXY", None)
            os.environ.pop("no_proxy", None)
        except kvbtest.Skip as e:
            skip = str(e)
    try:
        status = tap.run(skip)
    finally:
        if emu is not None:
            emu.stop()
    sys.exit(status)
