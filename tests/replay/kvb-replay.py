#!/usr/bin/python3
# kvb-replay.py: answers Key Vault requests with the responses recorded from the real service.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# It listens on 127.0.0.1 (ports the system picks) with a certificate of its own:
#   - an HTTPS port, and
#   - an HTTP CONNECT proxy port that terminates TLS itself, so that clients keep the recorded
#     host names (REDACTED.vault.azure.net, login.microsoftonline.com) with the production
#     cloud profile, https_proxy and SSL_CERT_FILE.
# It prints one JSON line once it listens:
#   {"url": …, "proxy": …, "ca": …, "log": …, "tenant": …, "client_id": …, "client_secret": …}
# and stops on SIGTERM.
#
# Replay: the Key Vault calls of the recordings (the ones that create objects are left out, the
# client under test does not make them) are kept in their recorded order.  An authorized request
# is answered with the first remaining call of the same method and path (the query is ignored:
# the client sends its own api-version); calls passed over on the way are dropped, so the order
# holds.  A request without a token gets the recorded 401 challenge (or the one the real service
# sent in 2023 when the recording has none).  A next page that the recording did not capture is
# answered as an empty last page (marked "synthetic" in the log).  Entra ID's token endpoint
# hands out test tokens.  A create refused with 409 (the name is soft-deleted or being deleted)
# answers the next restore of that collection instead.  The calls in answer order are written
# to plan.json in the state folder.
# Every request is logged to a JSON-lines file with its body (tokens are never logged).

import argparse
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "replay-client"
CLIENT_SECRET = "replay-client-secret"
DEFAULT_CHALLENGE = ('Bearer authorization="https://login.windows.net/%s", '
                     'resource="https://vault.azure.net"' % TENANT)
VAULT_URL = re.compile(r"https://[A-Za-z0-9-]+\.vault\.azure\.net")
UNAUTHORIZED_BODY = ('{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a '
                     'Bearer or PoP token."}}')

# Recorded calls that only create test objects: a backup tool never makes them.
def is_setup_call(method, path):
    parts = [p for p in path.split("/") if p]
    if method == "PUT" and len(parts) == 2 and parts[0] == "secrets":
        return True
    if method == "POST" and len(parts) == 3 and parts[2] in ("create", "import"):
        return True
    if method == "GET" and len(parts) == 3 and parts[0] == "certificates" and parts[2] == "pending":
        return True
    return False


def load_recording(path):
    """Normalises the three recording formats into a list of dicts."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    calls = []
    name = os.path.basename(path)

    if "networkCallRecords" in doc:            # azure-sdk-for-cpp and -java
        for r in doc["networkCallRecords"]:
            resp = r["Response"]
            status = int(resp.get("STATUS_CODE") or resp.get("StatusCode"))
            body = resp.get("BODY")
            if body is None:
                body = resp.get("Body", "")
            headers = {k.lower(): v for k, v in resp.items()
                       if k not in ("BODY", "Body", "STATUS_CODE", "StatusCode")}
            calls.append(dict(method=r["Method"], url=r.get("Url") or r.get("Uri"),
                              status=status, headers=headers, body=body or "",
                              request_body=None, recording=name))
    elif "Entries" in doc:                      # test-proxy format (Python, newer Java)
        for e in doc["Entries"]:
            body = e.get("ResponseBody")
            if isinstance(body, (dict, list)):
                body = json.dumps(body, separators=(",", ":"))
            headers = {k.lower(): v for k, v in (e.get("ResponseHeaders") or {}).items()}
            calls.append(dict(method=e["RequestMethod"], url=e["RequestUri"],
                              status=int(e["StatusCode"]), headers=headers, body=body or "",
                              request_body=e.get("RequestBody"), recording=name))
    elif "responses" in doc:                    # a REST API spec example (BackupSecret)
        params = doc.get("parameters", {})
        base = params.get("vaultBaseUrl", "https://myvault.vault.azure.net/").rstrip("/")
        name_param = params.get("secret-name", "testsecret")
        for status, resp in doc["responses"].items():
            calls.append(dict(method="POST", url="%s/secrets/%s/backup" % (base, name_param),
                              status=int(status), headers={"content-type": "application/json"},
                              body=json.dumps(resp.get("body", {}), separators=(",", ":")),
                              request_body=None, recording=name))
    return calls


class Replay:
    def __init__(self, recordings, log_path):
        self.lock = threading.Lock()
        self.calls = []
        self.challenge = None
        for path in recordings:
            for c in load_recording(path):
                u = urllib.parse.urlsplit(c["url"])
                c["path"] = u.path
                c["host"] = u.hostname
                if u.hostname and u.hostname.startswith("login."):
                    continue
                if c["status"] == 401:
                    if self.challenge is None:
                        self.challenge = (c["headers"].get("www-authenticate"), c["body"])
                    continue
                if is_setup_call(c["method"], u.path):
                    parts = [p for p in u.path.split("/") if p]
                    # A create that the service refused because of the name (409: soft-deleted
                    # or being deleted) is the answer a restore onto that name gets.
                    if c["status"] == 409 and parts[-1] == "create":
                        c["path"] = "/%s/restore" % parts[0]
                        c["as_restore"] = True
                        self.calls.append(c)
                    continue
                self.calls.append(c)
        self.next = 0
        self.log = open(log_path, "a", encoding="utf-8")

    def write_log(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def take(self, method, path):
        with self.lock:
            for i in range(self.next, len(self.calls)):
                c = self.calls[i]
                if c["method"] == method and c["path"].rstrip("/") == path.rstrip("/"):
                    skipped = i - self.next
                    self.next = i + 1
                    return c, i, skipped
        return None, -1, 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kvb-replay"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def reply(self, status, body, headers=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data and not any(k.lower() == "content-type" for k in (headers or {})):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_CONNECT(self):
        host = self.path.split(":")[0]
        self.server.replay.write_log({"method": "CONNECT", "host": host, "path": self.path})
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = self.server.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        # Serve the tunnelled connection with the same handler, as if it came to the HTTPS port.
        Handler(tls, self.client_address, self.server)
        self.close_connection = True

    def handle_any(self):
        replay = self.server.replay
        u = urllib.parse.urlsplit(self.path)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        body = self.read_body()
        entry = {"method": self.command, "host": host, "path": u.path, "query": u.query,
                 "authorization": "Authorization" in self.headers,
                 "user_agent": self.headers.get("User-Agent")}

        # Entra ID: client credentials and the like get a test token.
        if u.path.endswith("/oauth2/v2.0/token") or u.path.endswith("/oauth2/token"):
            entry["status"] = 200
            entry["entra"] = True
            replay.write_log(entry)
            self.reply(200, json.dumps({"token_type": "Bearer", "expires_in": 3600,
                                        "ext_expires_in": 3600,
                                        "access_token": "replay-access-token"}))
            return

        try:
            text = body.decode("utf-8")
            entry["body"] = json.loads(text) if text else None
        except (UnicodeDecodeError, ValueError):
            entry["body_bytes"] = len(body)

        if "Authorization" not in self.headers:
            challenge, challenge_body = replay.challenge or (DEFAULT_CHALLENGE, UNAUTHORIZED_BODY)
            entry["status"] = 401
            replay.write_log(entry)
            self.reply(401, challenge_body or UNAUTHORIZED_BODY,
                       {"WWW-Authenticate": challenge or DEFAULT_CHALLENGE})
            return

        call, index, skipped = replay.take(self.command, u.path)
        if call is None and self.command == "GET" and "skiptoken" in u.query:
            # A next page the recording did not capture (the SDK's test stopped after the first
            # page): answered as an empty last page, and marked so in the log.
            entry.update(status=200, synthetic=True)
            replay.write_log(entry)
            self.reply(200, '{"value":[],"nextLink":null}')
            return
        if call is None:
            entry["status"] = 404
            entry["unmatched"] = True
            replay.write_log(entry)
            self.reply(404, json.dumps({"error": {"code": "ReplayMismatch",
                                                  "message": "no recorded call left for %s %s"
                                                  % (self.command, u.path)}}))
            return

        entry.update(status=call["status"], recording=call["recording"], index=index,
                     skipped=skipped)
        if call["request_body"] is not None:
            entry["recorded_request_body"] = call["request_body"]
        replay.write_log(entry)

        # The recordings' URLs were redacted (REDACTED.vault.azure.net) but the ids and
        # nextLinks in their bodies kept the real vault's name; the real service names its own
        # host there, so the body is given the host the request came to.
        response_body = VAULT_URL.sub("https://" + host, call["body"]) if host else call["body"]

        headers = {}
        for k in ("content-type", "retry-after", "x-ms-keyvault-region",
                  "x-ms-keyvault-service-version", "x-ms-request-id"):
            if k in call["headers"]:
                headers[k] = call["headers"][k]
        self.reply(call["status"], response_body, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def make_certificates(state_dir):
    ca_key = os.path.join(state_dir, "ca.key")
    ca = os.path.join(state_dir, "ca.pem")
    key = os.path.join(state_dir, "server.key")
    csr = os.path.join(state_dir, "server.csr")
    cert = os.path.join(state_dir, "server.pem")
    ext = os.path.join(state_dir, "server.ext")
    if os.path.exists(cert):
        return ca, cert, key
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                    "-out", ca, "-days", "30", "-subj", "/CN=kvb-replay test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:*.vault.azure.net,"
                "DNS:login.microsoftonline.com,DNS:login.windows.net,DNS:management.azure.com\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=kvb-replay"], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext], **quiet)
    return ca, cert, key


def die_with_parent():
    """A test killed by its time-out must not leave the server behind (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main():
    die_with_parent()
    parser = argparse.ArgumentParser(description="Replay recorded Key Vault responses.")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--recording", action="append", default=[],
                        help="a recording file (repeat for several; replayed in this order)")
    args = parser.parse_args()

    os.makedirs(args.state_dir, mode=0o700, exist_ok=True)
    ca, cert, key = make_certificates(args.state_dir)
    log_path = os.path.join(args.state_dir, "requests.jsonl")

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    replay = Replay(args.recording, log_path)
    # The calls in the order they will be answered, for tests that walk them.
    plan_path = os.path.join(args.state_dir, "plan.json")
    with open(plan_path, "w", encoding="utf-8") as f:
        json.dump([{k: c.get(k) for k in ("method", "path", "status", "body", "request_body",
                                           "recording", "as_restore")} for c in replay.calls], f)

    https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    https.daemon_threads = True
    https.replay = replay
    https.tls = tls
    https.socket = tls.wrap_socket(https.socket, server_side=True)

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.daemon_threads = True
    proxy.replay = replay
    proxy.tls = tls

    for server in (https, proxy):
        threading.Thread(target=server.serve_forever, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())

    print(json.dumps({"url": "https://127.0.0.1:%d" % https.server_address[1],
                      "proxy": "http://127.0.0.1:%d" % proxy.server_address[1],
                      "ca": ca, "log": log_path, "plan": plan_path, "tenant": TENANT,
                      "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                      "calls": len(replay.calls)}), flush=True)

    # SIGTERM may reach one of the servers' threads instead of this one: Python then runs the
    # handler only when this thread next wakes, and a wait without a time limit never wakes (the
    # test's stop then waited for ever).  Waiting in slices bounds that to a fraction of a second.
    while not stop.wait(0.2):
        pass
    https.shutdown()
    proxy.shutdown()


if __name__ == "__main__":
    sys.exit(main())
