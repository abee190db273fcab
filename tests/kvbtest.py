# kvbtest.py: what the Python tests share.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# - Emulator: starts the local Azure stand-in (kvb-emulator) with a private --state-dir, reads
#   its JSON line and stops it (SIGTERM).
# - Replay: the same for the replay server of recorded Key Vault responses (tests/replay).
# - kvbackup(): runs the command line with an environment that reaches either of them, directly
#   (the sample cloud) or through the CONNECT proxy with the production public cloud profile.
# - control(), play_browser(): the stand-in's control API, and a person approving a sign-in in
#   the browser.
# - Tap: prints TAP (1..N, ok / not ok) for meson.
#
# Run with Debian's /usr/bin/python3 (it sees python3-azure).

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import ssl
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

SOURCE_ROOT = os.environ.get("KVB_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_ROOT = os.environ.get("KVB_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
RECORDINGS = os.environ.get("KVB_RECORDINGS",
                            os.path.join(SOURCE_ROOT, "tests", "data", "recordings"))


def recordings():
    """The recording files (*.json) in RECORDINGS, sorted; empty when there are none."""
    if not os.path.isdir(RECORDINGS):
        return []
    return sorted(f for f in os.listdir(RECORDINGS) if f.endswith(".json"))


EMULATOR = os.path.join(BUILD_ROOT, "src", "emulator", "kvb-emulator")
KVBACKUP = os.path.join(BUILD_ROOT, "src", "cli", "kvbackup")
REPLAY = os.path.join(SOURCE_ROOT, "tests", "replay", "kvb-replay.py")

# Variables of the calling environment that would change where kvbackup goes or whom it is.
_SCRUB = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
          "no_proxy", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "AZURE_TENANT_ID",
          "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
          "KVB_CLOUD_SAMPLE_URL", "KVB_CLOUD_SAMPLE_CA", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Skip(Exception):
    """Raised by a test (or a fixture) that cannot run here."""


class _Server:
    """A subprocess that prints one JSON line once it listens and stops on SIGTERM."""

    def __init__(self, argv, name, timeout=60):
        self.state_dir = tempfile.mkdtemp(prefix="kvbtest-%s-" % name)
        self.argv = argv + ["--state-dir", self.state_dir]
        self.name = name
        self.timeout = timeout
        self.proc = None
        self.info = None
        self.stderr_path = os.path.join(self.state_dir, "stderr.log")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            with open(self.stderr_path) as f:
                err = f.read()
            raise RuntimeError("%s did not start (exit %s): %s" % (self.name, self.proc.returncode,
                                                                  err[-2000:]))
        self.info = json.loads(line)
        return self.info

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
            self._stderr.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def __getitem__(self, key):
        return self.info[key]

    # Environments for kvbackup (and other clients) ------------------------------------------

    def base_env(self, credentials=True):
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env["LC_ALL"] = "C.UTF-8"
        env["LANGUAGE"] = "C"
        if credentials:
            env["AZURE_TENANT_ID"] = self.info["tenant"]
            env["AZURE_CLIENT_ID"] = self.info["client_id"]
            env["AZURE_CLIENT_SECRET"] = self.info["client_secret"]
        return env

    def direct_env(self, credentials=True):
        """The sample cloud: vaults are NAME.vault.localhost:PORT on the stand-in's own URL."""
        env = self.base_env(credentials)
        env["KVB_CLOUD_SAMPLE_URL"] = self.info["url"]
        env["KVB_CLOUD_SAMPLE_CA"] = self.info["ca"]
        return env

    def proxy_env(self, credentials=True):
        """The production public cloud through the CONNECT proxy (use with --cloud public)."""
        env = self.base_env(credentials)
        env["https_proxy"] = self.info["proxy"]
        env["SSL_CERT_FILE"] = self.info["ca"]
        return env

    def requests(self):
        """The server's request log (JSON lines), when it writes one."""
        path = self.info.get("log") or os.path.join(self.state_dir, "requests.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]


class Emulator(_Server):
    def __init__(self, *options):
        if not os.access(EMULATOR, os.X_OK):
            raise Skip("the stand-in (src/emulator/kvb-emulator) is not built")
        self.log_file = None
        argv = [EMULATOR] + list(options)
        super().__init__(argv, "emulator")
        self.log_file = os.path.join(self.state_dir, "requests.jsonl")
        self.argv += ["--log", self.log_file]

    def start(self):
        info = super().start()
        info.setdefault("log", self.log_file)
        return info


class Replay(_Server):
    def __init__(self, *recordings):
        if shutil.which("openssl") is None:
            raise Skip("openssl is not installed")
        argv = [sys.executable, REPLAY]
        for r in recordings:
            argv += ["--recording", r if os.path.isabs(r) else os.path.join(RECORDINGS, r)]
        super().__init__(argv, "replay")


def have_kvbackup():
    return os.access(KVBACKUP, os.X_OK)


class Result:
    def __init__(self, proc, argv, seconds):
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.argv = argv
        self.seconds = seconds

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return "kvbackup %s -> %d\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(self.argv), self.status, self.stdout[-3000:], self.stderr[-3000:])


def kvbackup(args, env, cwd=None, timeout=120, preexec_fn=None):
    """Runs kvbackup; returns a Result (status, stdout, stderr)."""
    if not have_kvbackup():
        raise Skip("kvbackup is not built")
    start = time.monotonic()
    proc = subprocess.run([KVBACKUP] + list(args), env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          preexec_fn=preexec_fn)
    return Result(proc, list(args), time.monotonic() - start)


def check(condition, what, result=None):
    """assert with a message that shows kvbackup's output."""
    if not condition:
        raise AssertionError("%s%s" % (what, "\n" + repr(result) if result is not None else ""))


def ssl_context(emu):
    return ssl.create_default_context(cafile=emu["ca"])


def control(emu, path, body):
    """POSTs @body (JSON) to the stand-in's control API; returns the HTTP status."""
    req = urllib.request.Request(emu["url"] + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ssl_context(emu), timeout=30) as r:
        return r.status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def play_browser(emu, authorize_url):
    """Opens the authorize address, presses Approve, follows the redirect to the listener.
    Returns (status of the listener's page, the authorization code seen on the way)."""
    ctx = ssl_context(emu)
    with urllib.request.urlopen(authorize_url, context=ctx, timeout=30) as r:
        page = r.read().decode()
    form = {html.unescape(k): html.unescape(v) for k, v in
            re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)}
    form["decision"] = "approve"
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=ctx))
    try:
        opener.open(urllib.request.Request(authorize_url, data=urllib.parse.urlencode(form).encode()),
                    timeout=30)
        raise AssertionError("the approval did not redirect")
    except urllib.error.HTTPError as e:
        check(e.code == 302, "approval answered %d" % e.code)
        location = e.headers["Location"]
    loc = urllib.parse.urlsplit(location)
    check(loc.scheme == "http" and loc.hostname == "localhost", "redirect to " + location)
    code = urllib.parse.parse_qs(loc.query)["code"][0]
    # Tests talk to 127.0.0.1 only; the listener is there.
    target = urllib.parse.urlunsplit(("http", "127.0.0.1:%d" % loc.port, loc.path or "/", loc.query, ""))
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(target, timeout=30) as r:
        return r.status, code


class Tap:
    """Collects tests and prints TAP."""

    def __init__(self):
        self.tests = []

    def test(self, func):
        self.tests.append(func)
        return func

    def run(self, setup_skip=None):
        if setup_skip is not None:
            print("1..0 # SKIP %s" % setup_skip, flush=True)
            return 0
        print("1..%d" % len(self.tests), flush=True)
        failed = 0
        for n, func in enumerate(self.tests, 1):
            name = func.__name__.replace("test_", "", 1).replace("_", "-")
            try:
                func()
                print("ok %d - %s" % (n, name), flush=True)
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (n, name, e), flush=True)
            except Exception:
                failed += 1
                print("not ok %d - %s" % (n, name), flush=True)
                for line in traceback.format_exc().splitlines():
                    print("# " + line, flush=True)
        return 1 if failed else 0
