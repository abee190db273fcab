#!/usr/bin/python3
# Garbage never brings the stand-in down: random methods, paths, hosts, headers and bodies on its
# HTTPS port and its proxy port; every answer it gives is JSON or HTML, and it still serves (TAP).

import json
import os
import random
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402

tap = kvbtest.Tap()
EMU = None


def cases():
    port = int(EMU["url"].rsplit(":", 1)[1])
    t = EMU["tenant"]
    paths = ["/", "//", "/%s/oauth2/v2.0/token" % t, "/%s/oauth2/v2.0/devicecode" % t,
             "/%s/oauth2/v2.0/authorize" % t, "/common/oauth2/v2.0/token", "/adfs/oauth2/token",
             "/x/oauth2/v2.0/token", "/common/discovery/instance", "/subscriptions", "/subscriptions/%2F..%2F",
             "/tenants", "/_emulator/devicecode/approve", "/_emulator/refresh-tokens/revoke", "/_emulator/token",
             "/secrets", "/secrets/a/b/c/d", "/keys/restore", "/certificates/x/backup", "/deletedsecrets/x",
             "/metadata/endpoints", "/devicelogin", "/%ff%fe",
             "/subscriptions/3f2b8c1d-6e4a-4b9f-8d7c-5a1e2f3b4c6d/resourceGroups//providers/Microsoft.KeyVault/vaults/"]
    hosts = ["127.0.0.1:%d" % port, "contoso-prod-kv.vault.localhost:%d" % port, "a.b.vault.localhost",
             ".vault.localhost", "nosuch.vault.azure.net", "[::1]:%d" % port, "", "management.azure.com",
             "x:y:z", "[bad", "\xe9t\xe9.vault.localhost"]
    cid = EMU["client_id"].encode()
    bodies = [b"", b"{", b"null", b"[]", b'{"user_code":5}', b'{"value":"!!!"}',
              b"grant_type=client_credentials&client_id=",
              b"grant_type=refresh_token&refresh_token=&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46",
              b"grant_type=authorization_code&code=x&client_id=%ff",
              b"grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=",
              b"grant_type=client_credentials&client_id=" + cid + b"&client_assertion_type="
              b"urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=a.b.c&scope=x",
              b"grant_type=client_credentials&client_id=" + cid + b"&client_assertion_type="
              b"urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=eyJhbGciOiJQUzI1NiJ9.e30.AAAA"
              b"&scope=https://vault.azure.net/.default",
              b"grant_type=client_credentials&client_id=%ff%fe&client_secret=x&scope=%ff/.default",
              bytes(range(256)), b"\xff\xfe" * 50]
    auths = [None, "Bearer", "Bearer ", "Bearer a.b.c", "Bearer ...", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
             "Basic !!!", "Basic QQ==", "Basic Og=="]
    qs = ["", "?api-version=7.4", "?api-version=2022-12-01", "?api-version=", "?%zz=1", "?$skiptoken=%00",
          "?$top=-1&api-version=2022-12-01", "?api-version=2022-12-01&$skiptoken=dmF1bHRzOjk5OTk5OTk5OTk5",
          "?client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&redirect_uri=http://localhost/&response_type=code"
          "&code_challenge=x&code_challenge_method=weird&decision=approve",
          "?authorization_endpoint=%ff"]
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"]
    rnd = random.Random(20261128)
    for _ in range(600):
        yield (rnd.choice(methods), rnd.choice(paths) + rnd.choice(qs), rnd.choice(hosts), rnd.choice(auths),
               rnd.choice(bodies))


def send(method, target, host, auth, body):
    ctx = ssl.create_default_context(cafile=EMU["ca"])
    ctx.check_hostname = False
    port = int(EMU["url"].rsplit(":", 1)[1])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                         server_hostname="localhost") as s:
        head = "%s %s HTTP/1.1\r\n" % (method, target)
        if host:
            head += "Host: %s\r\n" % host
        if auth:
            head += "Authorization: %s\r\n" % auth
        head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        s.sendall(head.encode("latin-1") + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


@tap.test
def test_random_requests():
    answered = 0
    for method, target, host, auth, body in cases():
        data = send(method, target, host, auth, body)
        assert data.startswith(b"HTTP/1.1 "), (method, target, data[:200])
        answered += 1
        head, _, payload = data.partition(b"\r\n\r\n")
        if payload and b"application/json" in head:
            json.loads(payload)   # always a valid document
    assert answered == 600


@tap.test
def test_proxy_garbage():
    pport = int(EMU["proxy"].rsplit(":", 1)[1])
    for junk in [b"GET / HTTP/1.1\r\n\r\n", b"CONNECT\r\n\r\n", b"CONNECT x HTTP/1.1\r\n\r\n", b"x" * 9000,
                 b"\r\n\r\n", b"CONNECT a:1 HTTP/1.1\r\n\r\n\x16\x03\x01garbage"]:
        with socket.create_connection(("127.0.0.1", pport), timeout=10) as s:
            s.sendall(junk)
            try:
                s.recv(100)
            except OSError:
                pass


@tap.test
def test_still_serving():
    data = send("GET", "/common/discovery/instance", "127.0.0.1", None, b"")
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    log = EMU.requests()   # every line of the log is still valid JSON
    assert len(log) >= 600


def main():
    global EMU
    try:
        EMU = kvbtest.Emulator()
        EMU.start()
    except kvbtest.Skip as e:
        return tap.run(setup_skip=str(e))
    try:
        return tap.run()
    finally:
        EMU.stop()


if __name__ == "__main__":
    sys.exit(main())
