#!/usr/bin/python3
"""Requests per second of kvb-emulator on one core, over keep-alive loopback HTTPS.

Starts the stand-in pinned to one CPU (the load clients run on the other CPUs), opens several
keep-alive TLS connections that each send simple requests back to back, and prints one JSON line per
kind of request with requests per second and latency percentiles.

    /usr/bin/python3 benchmarks/emulator/bench.py [--emulator PATH] [--seconds 10] [--connections 4]

Not part of the test run. The stand-in's own throttle is turned off for the run.
"""
import argparse
import json
import multiprocessing
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def default_emulator():
    for build in (os.environ.get("KVB_BUILD_ROOT"), os.path.join(ROOT, "build")):
        if build and os.access(os.path.join(build, "src", "emulator", "kvb-emulator"), os.X_OK):
            return os.path.join(build, "src", "emulator", "kvb-emulator")
    return "kvb-emulator"


def read_response(sock_file):
    status = sock_file.readline()
    if not status:
        raise ConnectionError("closed")
    length = 0
    while True:
        line = sock_file.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    body = sock_file.read(length) if length else b""
    return int(status.split()[1]), body


def worker(args):
    port, ca, host, path, token, seconds, cpus = args
    if cpus:
        os.sched_setaffinity(0, cpus)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False   # Host is set per request; the certificate is still verified
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock = ctx.wrap_socket(raw, server_hostname="localhost")
    f = sock.makefile("rb")
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n%s\r\n"
           % (path, host, ("Authorization: Bearer %s\r\n" % token) if token else "")).encode()
    lat = []
    statuses = {}
    end = time.monotonic() + seconds
    while True:
        t0 = time.monotonic()
        if t0 >= end:
            break
        sock.sendall(req)
        status, _ = read_response(f)
        lat.append(time.monotonic() - t0)
        statuses[status] = statuses.get(status, 0) + 1
    sock.close()
    return lat, statuses


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(kind, pid, port, ca, host, path, token, seconds, connections, client_cpus):
    with multiprocessing.Pool(connections) as pool:
        c0 = cpu_seconds(pid)
        t0 = time.monotonic()
        results = pool.map(worker, [(port, ca, host, path, token, seconds, client_cpus)] * connections)
        elapsed = time.monotonic() - t0
        server_cpu = cpu_seconds(pid) - c0
    lat = sorted(x for r in results for x in r[0])
    statuses = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    n = len(lat)

    def pct(p):
        return round(lat[min(n - 1, int(n * p))] * 1000, 3) if n else None
    return {"kind": kind, "connections": connections, "seconds": round(elapsed, 2), "requests": n,
            "requests_per_second": round(n / seconds, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "server_cpu_busy": round(server_cpu / elapsed, 2),
            "requests_per_server_cpu_second": round(n / server_cpu, 1) if server_cpu else None,
            "statuses": statuses}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emulator", default=default_emulator())
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--server-cpu", type=int, default=0)
    a = ap.parse_args()

    cpus = sorted(os.sched_getaffinity(0))
    client_cpus = [c for c in cpus if c != a.server_cpu] or cpus
    state = tempfile.mkdtemp(prefix="kvb-bench-")
    # taskset pins every thread of the stand-in (the server runs in a thread of its own)
    proc = subprocess.Popen(["taskset", "-c", str(a.server_cpu), a.emulator, "--no-proxy", "--throttle", "off",
                             "--state-dir", state], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        port = int(info["url"].rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=info["ca"])
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": info["client_id"],
                                       "client_secret": info["client_secret"],
                                       "scope": "https://vault.localhost/.default"}).encode()
        req = urllib.request.Request(info["url"] + "/%s/oauth2/v2.0/token" % info["tenant"], data=form)
        token = json.load(urllib.request.urlopen(req, context=ctx))["access_token"]
        print(json.dumps({"server_cpu": a.server_cpu, "client_cpus": client_cpus, "nproc": len(cpus)}))
        cases = [
            ("entra-instance-discovery", "127.0.0.1:%d" % port, "/common/discovery/instance?api-version=1.1", None),
            ("keyvault-list-secrets-401-challenge", "contoso-prod-kv.vault.localhost:%d" % port,
             "/secrets?api-version=7.4", None),
            ("keyvault-get-secret", "contoso-prod-kv.vault.localhost:%d" % port,
             "/secrets/%s?api-version=7.4" % os.environ.get("KVB_BENCH_SECRET", "db-password"), token),
        ]
        for kind, host, path, tok in cases:
            print(json.dumps(run(kind, proc.pid, port, info["ca"], host, path, tok, a.seconds, a.connections, client_cpus)),
                  flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
