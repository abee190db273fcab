#!/usr/bin/python3
"""Key Vault Backup benchmarks: kvbackup against the local Azure stand-in with the real service's
latency-like delay (40 ms a request) and its real throttle (4,000 requests per 10 s per vault).

    /usr/bin/python3 benchmarks/run.py --build _build/base [--runs 3] [--secrets 5000]

Prints one table; every figure is a count or a ratio measured in this run. It is not a test: it is
not registered with meson and build-aux/test.sh does not run it. See docs/benchmarks.md.

Measurements (each a function below):
  backup   kvbackup backup --all of N secrets: objects/s, share of the throttle ceiling, 429s
  backup-keys   the same of a vault of 5,000 keys (--keys)
  backup-certs  the same of a vault of 1,000 certificates (--certs), each with its managed key
                and secret, which the backup records as covered by the certificate
  sdk      a sequential SecretClient.backup_secret loop in one Python process (first 200 objects)
  az       one `az rest` process per object (first 50 objects)
  restore  kvbackup restore of that backup into an empty vault
  list     kvbackup list of 10,000 secrets vs the serial floor (pages x measured round trip)
  memory   peak RSS of kvbackup backing up 1,000 and N secrets
  window   benchmarks/gui/bench-object-list with 100,000 objects, in the headless session
  startup  the application itself in the headless session: start to first frame, RSS at idle

Run with Debian's /usr/bin/python3: it sees python3-azure (for the SDK loop).
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LATENCY_MS = 40
THROTTLE_N, THROTTLE_S = 4000, 10
CEILING = THROTTLE_N / THROTTLE_S          # requests per second to one vault
PACER_STEADY = 0.95 * CEILING              # kvbackup's steady rate (kvb_pipeline_set_vault_rate_limit)
MASTER_KEY = "a3ZiLWJlbmNobWFyay1tYXN0ZXIta2V5LWZpeGVkISE="   # 32 bytes, fixed: blobs restore
TENANT = "6b1f0e2a-0000-4000-8000-00000000f001"
SUBSCRIPTION = "4e2c7a1b-0000-4000-8000-00000000f101"
SP_OBJECT = "1a2b3c4d-0000-4000-8000-00000000f201"
# In this order: restore is the slowest (one object at a time), so it comes last but the windows.
ALL = ("backup", "backup-keys", "backup-certs", "sdk", "az", "list", "memory", "restore", "window",
       "startup")

# Variables of the calling environment that would send clients elsewhere or sign them in as
# someone else (as tests/kvbtest.py scrubs them).
SCRUB = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
         "no_proxy", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "AZURE_TENANT_ID",
         "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
         "KVB_CLOUD_SAMPLE_URL", "KVB_CLOUD_SAMPLE_CA", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def log(*a):
    print("#", *a, file=sys.stderr, flush=True)


# The world ------------------------------------------------------------------------------------

def vault(name, secrets=(), location="westeurope"):
    return {"name": name, "subscription": SUBSCRIPTION, "location": location,
            "permissions": {SP_OBJECT: ["*"]}, "secrets": list(secrets)}


def counted(prefix, n):
    """Seed entries for n secrets; the stand-in makes at most 5,000 per entry."""
    return [{"name": "%s%d" % (prefix, i), "count": min(5000, n - i * 5000)}
            for i in range((n + 4999) // 5000)]


def write_seed(path, n_secrets, runs):
    """bench-kv holds the secrets to back up (s0-01 … s0-N), bench-1k-kv 1,000 for the memory
    figure, bench-list-kv 10,000 for the listing, and bench-empty-R-kv (same subscription and
    geography) receive one restore each."""
    vaults = [vault("bench-kv", counted("s", n_secrets)),
              vault("bench-1k-kv", counted("m", 1000)),
              vault("bench-list-kv", counted("l", 10000))]
    vaults += [vault("bench-empty-%d-kv" % r, location="northeurope") for r in range(runs)]
    write_world(path, vaults)


def write_kind_seed(path, kind, n):
    """One vault of n keys (bench-keys-kv) or n certificates (bench-certs-kv), in a seed of its
    own: the stand-in makes every key and certificate at start, and the other measurements'
    stand-ins need not. EC P-256, which the stand-in makes in well under a millisecond, where
    RSA 2048 would take minutes for thousands; a backup's requests are the same for both."""
    entries = [dict(e, kty="EC", crv="P-256") for e in counted(kind[0], n)]
    v = vault("bench-%s-kv" % kind, ())
    v["keys" if kind == "keys" else "certificates"] = entries
    write_world(path, [v])


def write_world(path, vaults):
    seed = {"master_key": MASTER_KEY,
            "tenants": [{"id": TENANT, "domain": "bench.example"}],
            "subscriptions": [{"id": SUBSCRIPTION, "display_name": "Benchmarks", "tenant": TENANT,
                               "providers": {"Microsoft.KeyVault": "Registered"}}],
            "identities": [{"object_id": SP_OBJECT, "kind": "service-principal", "sample": True,
                            "name": "kvb-bench", "tenant": TENANT,
                            "client_id": "5c6d7e8f-0000-4000-8000-00000000f301",
                            "client_secret": "bench-secret-not-real"}],
            "vaults": vaults}
    with open(path, "w") as f:
        json.dump(seed, f)


def secret_names(n):
    """The first n names of bench-kv in seed order (the stand-in numbers them %02d)."""
    return ["s0-%02d" % i for i in range(1, n + 1)]


# The stand-in ---------------------------------------------------------------------------------

class StandIn:
    def __init__(self, build, seed, work, number=0):
        self.exe = os.path.join(build, "src", "emulator", "kvb-emulator")
        self.state = os.path.join(work, "emulator-%d" % number)
        self.log_path = os.path.join(work, "requests-%d.jsonl" % number)
        os.makedirs(self.state)
        # The proxy stays on: the SDK and az reach the real host names through it.
        self.proc = subprocess.Popen(
            [self.exe, "--seed", seed, "--latency-ms", str(LATENCY_MS),
             "--throttle", "%d/%d" % (THROTTLE_N, THROTTLE_S), "--log", self.log_path,
             "--state-dir", self.state],
            stdout=subprocess.PIPE, stderr=open(os.path.join(work, "emulator-%d.err" % number), "w"),
            stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the stand-in did not start (exit %s)" % self.proc.wait())
        self.info = json.loads(line)
        self.ctx = ssl.create_default_context(cafile=self.info["ca"])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def control(self, path, body):
        req = urllib.request.Request(self.info["url"] + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=self.ctx))
        with opener.open(req, timeout=30) as r:
            r.read()

    def fresh_window(self):
        """Starts every vault's throttle window anew, so that one measurement does not pay for
        the requests of the one before."""
        self.control("/_emulator/faults", {"throttle": "%d/%d" % (THROTTLE_N, THROTTLE_S)})

    def mark(self):
        """A position in the request log, for requests_since()."""
        if not os.path.exists(self.log_path):
            return 0
        with open(self.log_path) as f:
            return sum(1 for _ in f)

    def requests_since(self, mark, vault_name=None):
        with open(self.log_path) as f:
            lines = f.readlines()[mark:]
        out = [json.loads(x) for x in lines if x.strip()]
        if vault_name:
            out = [r for r in out if (r.get("host") or "").split(".")[0] == vault_name]
        return out

    # Environments ----------------------------------------------------------------------------

    def kvbackup_env(self, work):
        """The sample cloud (NAME.vault.localhost:PORT on the stand-in's URL), as the tests do."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        env.update({"LC_ALL": "C.UTF-8", "LANGUAGE": "C", "XDG_DATA_HOME": os.path.join(work, "data"),
                    "AZURE_TENANT_ID": self.info["tenant"], "AZURE_CLIENT_ID": self.info["client_id"],
                    "AZURE_CLIENT_SECRET": self.info["client_secret"],
                    "KVB_CLOUD_SAMPLE_URL": self.info["url"], "KVB_CLOUD_SAMPLE_CA": self.info["ca"]})
        return env

    def proxy_env(self):
        """Real host names through the CONNECT proxy, trusting the stand-in's CA (SDK, az)."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        env.update({"LC_ALL": "C.UTF-8", "HTTPS_PROXY": self.info["proxy"],
                    "https_proxy": self.info["proxy"], "REQUESTS_CA_BUNDLE": self.info["ca"]})
        return env


def count_statuses(reqs):
    return {"requests": len(reqs), "429": sum(1 for r in reqs if r.get("status") == 429),
            "errors": sum(1 for r in reqs if (r.get("status") or 0) >= 500 or r.get("dropped"))}


def timed(argv, env, out_path=None, timeout=1800):
    """Runs argv under /usr/bin/time; returns (seconds, exit status, max RSS in MiB, stderr)."""
    rss_file = tempfile.mktemp(prefix="kvb-bench-rss-")
    out = open(out_path, "w") if out_path else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, env=env, stdout=out,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, timeout=timeout)
    seconds = time.monotonic() - t0
    if out_path:
        out.close()
    try:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1]) / 1024
        os.unlink(rss_file)
    except (OSError, ValueError, IndexError):
        rss = None
    return seconds, p.returncode, rss, p.stderr


def parse_time(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# Measurements ---------------------------------------------------------------------------------

def manifest_counts(folder):
    """Entries of the backup's manifest.json by status ("done", "covered", "failed", …); a
    key or secret counts as covered only when its certificate is done (the manifest also
    records them covered when their certificate's backup failed)."""
    try:
        with open(os.path.join(folder, "manifest.json")) as f:
            objects = json.load(f).get("objects", [])
    except (OSError, ValueError):
        return {}
    certs_done = {o.get("name") for o in objects
                  if o.get("kind") == "certificate" and o.get("status") == "done"}
    counts = {}
    for o in objects:
        status = o.get("status")
        if status == "covered" and o.get("name") not in certs_done:
            status = "covered-by-a-failed-certificate"
        counts[status] = counts.get(status, 0) + 1
    return counts


def backup_once(ctx, vault_name, n, tag, covered=0):
    """One kvbackup backup --all of n objects (one file each), plus @covered entries the
    manifest should record as backed up with their certificate; the figures come from its exit
    status, its folder, its manifest and the stand-in's log of the requests to that vault."""
    emu, work = ctx["emu"], ctx["work"]
    out = os.path.join(work, "backup-%s" % tag)
    emu.fresh_window()
    mark = emu.mark()
    seconds, rc, rss, err = timed([ctx["kvbackup"], "backup", "--vault", vault_name, "--all",
                                   "--output", out] + ctx["backup_args"], emu.kvbackup_env(work))
    reqs = emu.requests_since(mark, vault_name)
    st = count_statuses(reqs)
    # one file per object besides manifest.json (history and partial files are not objects)
    saved = sum(1 for _, _, files in os.walk(out) for f in files
                if f != "manifest.json" and not f.startswith("."))
    entries = manifest_counts(out)
    # an object is failed when its file is missing or the manifest does not record it done
    # (covered, for a certificate's key and secret)
    failed = max(0, n - saved, n - entries.get("done", 0)) + max(0, covered - entries.get("covered", 0))
    if rc != 0:
        log("kvbackup backup %s exit %d: %s" % (vault_name, rc, err[-800:]))
    return {"objects": n, "seconds": seconds, "rc": rc, "rss_mb": rss, "saved": saved,
            "covered": entries.get("covered", 0), "failed": failed,
            "objects_per_s": n / seconds, "vault_requests": st["requests"], "429": st["429"],
            "requests_per_s": st["requests"] / seconds, "folder": out, "log": reqs}


def measure_backup(ctx):
    n = ctx["n"]
    runs = [backup_once(ctx, "bench-kv", n, "%d-%d" % (n, r)) for r in range(ctx["runs"])]
    ctx["backup_folder"] = runs[0]["folder"]
    write_series(ctx, runs[0]["log"])
    for r in runs:
        del r["log"]
    ctx["results"]["backup"] = runs
    return runs


def measure_backup_keys(ctx):
    n = ctx["keys"]
    runs = [backup_once(ctx, "bench-keys-kv", n, "keys-%d-%d" % (n, r)) for r in range(ctx["runs"])]
    for r in runs:
        del r["log"]
    ctx["results"]["backup-keys"] = runs
    return runs


def measure_backup_certs(ctx):
    """Key Vault backs up a certificate with its key and secret (one blob); kvbackup lists all
    three kinds and records the managed key and secret as covered, without a request of their
    own beyond the lists."""
    n = ctx["certs"]
    # The stand-in makes a certificate's PFX (its secret's value) the first time it is asked
    # for it, and PKCS#12's key derivation costs it some 80 ms of CPU a certificate: a first
    # backup measures that, not kvbackup (the service keeps its PFX).  One backup that is not
    # counted makes them all.
    warm = backup_once(ctx, "bench-certs-kv", n, "certs-warm-up", covered=2 * n)
    log("certificates' PFX made by an uncounted backup in %.1f s" % warm["seconds"])
    runs = [backup_once(ctx, "bench-certs-kv", n, "certs-%d-%d" % (n, r), covered=2 * n)
            for r in range(ctx["runs"])]
    for r in runs:
        del r["log"]
    ctx["results"]["backup-certs"] = runs
    return runs


def write_series(ctx, reqs):
    """Backups answered per second over the first run, next to the ceiling: always the CSV, and
    a PNG drawn from it when matplotlib is there."""
    times = sorted(parse_time(r["time"]) for r in reqs if r.get("status") == 200 and
                   r.get("path", "").endswith("/backup"))
    allreq = sorted(parse_time(r["time"]) for r in reqs)
    if not allreq:
        return
    t0 = allreq[0]
    buckets = int(allreq[-1] - t0) + 1
    backups, requests, throttled = [0] * buckets, [0] * buckets, [0] * buckets
    for t in times:
        backups[int(t - t0)] += 1
    for r in reqs:
        i = int(parse_time(r["time"]) - t0)
        requests[i] += 1
        throttled[i] += r.get("status") == 429
    csv = ctx["csv"]
    with open(csv, "w") as f:
        f.write("second,backups_ok,vault_requests,throttled_429,ceiling_requests_per_s\n")
        for i in range(buckets):
            f.write("%d,%d,%d,%d,%d\n" % (i, backups[i], requests[i], throttled[i], CEILING))
    log("wrote", csv)
    draw_series(csv, ctx["started"].strftime("%Y-%m-%d"), ctx["n"])


def read_series(csv):
    cols = {"second": [], "backups_ok": [], "vault_requests": [], "throttled_429": []}
    with open(csv) as f:
        header = f.readline().strip().split(",")
        for line in f:
            if line.strip():
                row = dict(zip(header, line.strip().split(",")))
                for k in cols:
                    cols[k].append(int(float(row[k])))
    return cols


def csv_date(csv):
    """The date of a CSV drawn again with --plot-from: its last commit, else its modification."""
    p = subprocess.run(["git", "-C", os.path.dirname(csv) or ".", "log", "-1", "--format=%cs", "--",
                        os.path.basename(csv)], capture_output=True, text=True)
    if p.returncode == 0 and p.stdout.strip():
        return p.stdout.strip()
    return datetime.date.fromtimestamp(os.path.getmtime(csv)).isoformat()


def draw_series(csv, date, objects=None):
    """The PNG beside the CSV: requests and backups per second as steps (one bucket a second),
    429s as bars, the ceiling and the pacer's steady rate as labelled lines."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("python3-matplotlib is not installed (benchmarks/deps.sh): CSV only")
        return None
    c = read_series(csv)
    if not c["second"]:
        log("no rows in", csv)
        return None
    if objects is None:
        objects = sum(c["backups_ok"])
    # one more edge, so that the last second is drawn as a step of its own
    x = c["second"] + [c["second"][-1] + 1]
    n429 = sum(c["throttled_429"])
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.step(x, c["vault_requests"] + c["vault_requests"][-1:], where="post", color="tab:blue",
            linewidth=1.8, label="requests to the vault / s (lists, versions, backups, retries)")
    ax.step(x, c["backups_ok"] + c["backups_ok"][-1:], where="post", color="tab:green", linewidth=1.8,
            label="objects backed up / s (backup answered 200)")
    ax.bar(x[:-1], c["throttled_429"], width=1.0, align="edge", color="tab:red", alpha=0.6,
           label="429 answers / s (%s in all)" % ("{:,}".format(n429) if n429 else "none"))
    ax.axhline(CEILING, color="tab:red", linestyle="--", linewidth=1.2,
               label="throttle ceiling: 4,000 requests / 10 s = %d / s" % CEILING)
    ax.axhline(PACER_STEADY, color="0.35", linestyle=":", linewidth=1.5,
               label="kvbackup's pacer, steady rate: %d %% of the ceiling = %d / s" % (round(PACER_STEADY / CEILING * 100), PACER_STEADY))
    right = x[-1]
    box = {"facecolor": "white", "edgecolor": "none", "pad": 1}
    ax.text(right - 0.2, CEILING + 5, "ceiling %d / s" % CEILING, color="tab:red", ha="right",
            va="bottom", fontsize=9, bbox=box)
    ax.text(right - 0.2, PACER_STEADY - 5, "pacer %d / s" % PACER_STEADY, color="0.25", ha="right",
            va="top", fontsize=9, bbox=box)
    ax.set_xlim(0, right)
    ax.set_ylim(0, max(CEILING, max(c["vault_requests"])) * 1.15)
    ax.set_xlabel("seconds since the first request to the vault")
    ax.set_ylabel("per second")
    ax.set_title("kvbackup backup --all of {:,} secrets, {} (stand-in: {} ms latency, throttle "
                 "{:,}/{} s)".format(objects, date, LATENCY_MS, THROTTLE_N, THROTTLE_S), fontsize=11)
    ax.grid(axis="y", color="0.9")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, fontsize=8.5, frameon=False)
    fig.tight_layout()
    png = os.path.splitext(csv)[0] + ".png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    log("wrote", png)
    return png


SDK_LOOP = r"""
import json, sys, time
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient
a = json.loads(sys.argv[1])
client = SecretClient("https://bench-kv.vault.azure.net", ClientSecretCredential(a["tenant"], a["client_id"], a["client_secret"]))
client.backup_secret(a["names"][0])   # the challenge and the token, outside the timed loop
t0 = time.monotonic()
for name in a["names"]:
    client.backup_secret(name)
print(json.dumps({"seconds": time.monotonic() - t0}))
"""


def measure_sdk(ctx):
    """The SDK's sequential loop, timed inside its process: start-up, import and sign-in are left
    out, which favours the SDK."""
    emu, names = ctx["emu"], secret_names(ctx["sdk_objects"])
    runs = []
    for _ in range(ctx["runs"]):
        emu.fresh_window()
        arg = json.dumps({"tenant": emu.info["tenant"], "client_id": emu.info["client_id"],
                          "client_secret": emu.info["client_secret"], "names": names})
        p = subprocess.run(["/usr/bin/python3", "-c", SDK_LOOP, arg], env=emu.proxy_env(),
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            log("SDK loop failed:", p.stderr[-1500:])
            break
        s = json.loads(p.stdout.strip().splitlines()[-1])["seconds"]
        runs.append({"seconds": s, "objects": len(names), "objects_per_s": len(names) / s})
    ctx["results"]["sdk"] = runs
    return runs


def az(ctx, config, *args):
    env = ctx["emu"].proxy_env()
    env.update({"AZURE_CONFIG_DIR": config, "AZURE_CORE_COLLECT_TELEMETRY": "false",
                "AZURE_CORE_NO_COLOR": "true", "AZURE_CORE_SURVEY_MESSAGE": "false"})
    return subprocess.run(["/usr/bin/az"] + list(args) + ["--output", "json"], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def measure_az(ctx):
    """One `az rest` process per object, as a shell loop would do it; the sign-in (az login) is
    done once beforehand and not timed."""
    if not os.access("/usr/bin/az", os.X_OK):
        log("azure-cli is not installed: no az figure")
        return []
    emu = ctx["emu"]
    config = os.path.join(ctx["work"], "az")
    p = az(ctx, config, "login", "--service-principal", "-u", emu.info["client_id"], "-p",
           emu.info["client_secret"], "--tenant", emu.info["tenant"])
    if p.returncode != 0:
        log("az login failed:", p.stderr[-1500:])
        return []
    names = secret_names(ctx["az_objects"])
    runs = []
    for _ in range(ctx["az_runs"]):
        emu.fresh_window()
        t0 = time.monotonic()
        failed = 0
        for name in names:
            p = az(ctx, config, "rest", "--method", "post", "--url",
                   "https://bench-kv.vault.azure.net/secrets/%s/backup?api-version=7.4" % name,
                   "--resource", "https://vault.azure.net")
            failed += p.returncode != 0
        s = time.monotonic() - t0
        if failed:
            log("az rest: %d of %d failed: %s" % (failed, len(names), p.stderr[-500:]))
        runs.append({"seconds": s, "objects": len(names), "failed": failed,
                     "objects_per_s": len(names) / s})
    ctx["results"]["az"] = runs
    return runs


def measure_restore(ctx):
    """kvbackup restore of the first backup folder into a fresh empty vault each run."""
    emu, n = ctx["emu"], ctx["n"]
    if "backup_folder" not in ctx:
        backup_once(ctx, "bench-kv", n, "for-restore")
        ctx["backup_folder"] = os.path.join(ctx["work"], "backup-for-restore")
    runs = []
    for r in range(ctx["restore_runs"]):
        target = "bench-empty-%d-kv" % r
        emu.fresh_window()
        mark = emu.mark()
        seconds, rc, rss, err = timed([ctx["kvbackup"], "restore", "--vault", target,
                                       ctx["backup_folder"]], emu.kvbackup_env(ctx["work"]))
        reqs = emu.requests_since(mark, target)
        st = count_statuses(reqs)
        restored = sum(1 for x in reqs if x.get("status") == 200 and x.get("path", "").endswith("/restore"))
        if rc != 0:
            log("kvbackup restore exit %d: %s" % (rc, err[-800:]))
        runs.append({"objects": n, "seconds": seconds, "rc": rc, "restored": restored, "failed": n - restored,
                     "objects_per_s": restored / seconds, "vault_requests": st["requests"],
                     "429": st["429"], "requests_per_s": st["requests"] / seconds})
    ctx["results"]["restore"] = runs
    return runs


def page_round_trip(ctx, vault_name, samples=15):
    """Median time of one list page (25 secrets) over a kept-alive connection: the round trip
    of the serial floor."""
    emu = ctx["emu"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": emu.info["client_id"],
                                   "client_secret": emu.info["client_secret"],
                                   "scope": "https://vault.localhost/.default"}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=emu.ctx))
    with opener.open(emu.info["url"] + "/%s/oauth2/v2.0/token" % emu.info["tenant"], data=form) as r:
        token = json.load(r)["access_token"]
    port = int(emu.info["url"].rsplit(":", 1)[1])
    ctx_ = ssl.create_default_context(cafile=emu.info["ca"])
    ctx_.check_hostname = False    # Host header names the vault; the certificate is still verified
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx_)
    host = "%s.vault.localhost:%d" % (vault_name, port)
    times = []
    for _ in range(samples + 1):
        t0 = time.monotonic()
        conn.request("GET", "/secrets?api-version=7.4&maxresults=25",
                     headers={"Host": host, "Authorization": "Bearer " + token})
        resp = conn.getresponse()
        resp.read()
        times.append(time.monotonic() - t0)
    conn.close()
    return statistics.median(times[1:])   # the first pays for the TLS handshake


def measure_list(ctx):
    emu = ctx["emu"]
    emu.fresh_window()
    rtt = page_round_trip(ctx, "bench-list-kv")
    runs = []
    for r in range(ctx["runs"]):
        emu.fresh_window()
        mark = emu.mark()
        out = os.path.join(ctx["work"], "list-%d.txt" % r)
        seconds, rc, rss, err = timed([ctx["kvbackup"], "list", "--vault", "bench-list-kv",
                                       "--kind", "secret"], emu.kvbackup_env(ctx["work"]), out)
        reqs = emu.requests_since(mark, "bench-list-kv")
        pages = sum(1 for x in reqs if x.get("method") == "GET" and x.get("path") == "/secrets"
                    and x.get("status") == 200)
        with open(out) as f:
            rows = sum(1 for line in f if line.strip())
        if rc != 0:
            log("kvbackup list exit %d: %s" % (rc, err[-800:]))
        floor = pages * rtt
        runs.append({"seconds": seconds, "rc": rc, "rows": rows, "pages": pages, "page_rtt_ms": rtt * 1000,
                     "floor_s": floor, "over_floor": seconds / floor - 1 if floor else None,
                     "vault_requests": len(reqs), "429": count_statuses(reqs)["429"]})
    ctx["results"]["list"] = runs
    return runs


def measure_memory(ctx):
    """Peak RSS of kvbackup for 1,000 objects; the N-object figure is the backup runs' (or as
    many runs of its own when those were not measured)."""
    small = [backup_once(ctx, "bench-1k-kv", 1000, "1000-%d" % r) for r in range(ctx["runs"])]
    big = ctx["results"].get("backup") or [backup_once(ctx, "bench-kv", ctx["n"], "mem-%d-%d" % (ctx["n"], r))
                                           for r in range(ctx["runs"])]
    for r in small + big:
        r.pop("log", None)
    ctx["results"]["memory"] = {"1000": [r["rss_mb"] for r in small], str(ctx["n"]): [r["rss_mb"] for r in big]}
    return ctx["results"]["memory"]


def gui_env(ctx):
    """The tests' GTK environment (tests/meson.build's test_env) with private XDG folders."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    xdg = os.path.join(ctx["work"], "xdg")
    for d in ("data", "config", "cache", "state", "runtime"):
        os.makedirs(os.path.join(xdg, d), mode=0o700, exist_ok=True)
    env.update({"GSETTINGS_BACKEND": "memory", "GSETTINGS_SCHEMA_DIR": os.path.join(ctx["build"], "data"),
                "GSK_RENDERER": "cairo", "NO_AT_BRIDGE": "1", "GTK_A11Y": "none",
                "KVB_BUILD_ROOT": ctx["build"], "KVB_SOURCE_ROOT": ROOT,
                "XDG_DATA_HOME": os.path.join(xdg, "data"), "XDG_CONFIG_HOME": os.path.join(xdg, "config"),
                "XDG_CACHE_HOME": os.path.join(xdg, "cache"), "XDG_STATE_HOME": os.path.join(xdg, "state"),
                "XDG_RUNTIME_DIR": os.path.join(xdg, "runtime")})
    return env


def measure_startup(ctx):
    """The application (src/gui/key-vault-backup) started ctx["runs"] times in one headless
    session, after one start that is not counted (it fills the page cache), each with fresh
    XDG folders: no account, the welcome page.  The session's own start (Xvfb, D-Bus, keyring)
    is outside what is timed: this script runs itself inside it (--startup-inner)."""
    exe = os.path.join(ctx["build"], "src", "gui", "key-vault-backup")
    if not os.access(exe, os.X_OK):
        log("not built:", exe)
        return None
    env = gui_env(ctx)
    env.update({"KVB_LOCALEDIR": os.path.join(ctx["build"], "po"), "GDK_BACKEND": "x11",
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "KVB_BENCH_FIRST_FRAME": "1"})
    env.pop("LANGUAGE", None)
    p = subprocess.run(["bash", os.path.join(ROOT, "build-aux", "headless-session.sh"), sys.executable,
                        os.path.abspath(__file__), "--startup-inner", exe, str(ctx["runs"]),
                        os.path.join(ctx["work"], "startup")],
                       env=env, capture_output=True, text=True, timeout=600)
    doc = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            doc = json.loads(line)
    if doc is None or p.returncode != 0:
        log("startup exit %d: %s %s" % (p.returncode, p.stdout[-800:], p.stderr[-1500:]))
    ctx["results"]["startup"] = doc
    return doc


FIRST_FRAME = "kvb-bench: first-frame monotonic-us "


def read_lines(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def startup_inner(exe, runs, work, idle_s=2.0):
    """Inside the headless session: time from fork to the first frame the main window draws, as
    the application reports it (KVB_BENCH_FIRST_FRAME=1; its g_get_monotonic_time() and this
    time.monotonic() are both CLOCK_MONOTONIC, so the pipe's delay does not count), then its
    resident memory after idle_s seconds of idling, then SIGTERM."""
    import queue
    import threading
    first, rss = [], []
    for r in range(runs + 1):
        env = dict(os.environ)
        home = os.path.join(work, "run-%d" % r)
        for d in ("config", "data", "cache", "state"):
            os.makedirs(os.path.join(home, d), mode=0o700)
            env["XDG_%s_HOME" % d.upper()] = os.path.join(home, d)
        t0 = time.monotonic()
        proc = subprocess.Popen([exe], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        # a thread reads the application's stderr, so that it never blocks on a full pipe
        lines, other = queue.Queue(), []
        reader = threading.Thread(target=read_lines, args=(proc.stderr, lines), daemon=True)
        reader.start()
        stamp = None
        deadline = t0 + 60
        while stamp is None:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith(FIRST_FRAME):
                stamp = int(line[len(FIRST_FRAME):]) / 1e6
            else:
                other.append(line)
        if stamp is None:
            proc.kill()
            proc.wait()
            print("no first frame reported within 60 s (exit status %s; is the application built "
                  "with the KVB_BENCH_FIRST_FRAME hook?): %s" % (proc.returncode, "".join(other)[-1500:]),
                  file=sys.stderr)
            return 1
        time.sleep(idle_s)
        kib = None
        with open("/proc/%d/status" % proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    kib = int(line.split()[1])
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        if r == 0:
            continue    # the start that fills the page cache
        first.append(round((stamp - t0) * 1000, 1))
        rss.append(round(kib / 1024, 1))
    print(json.dumps({"first_frame_ms": first, "idle_rss_mb": rss, "idle_s": idle_s}))
    return 0


def measure_window(ctx):
    """bench-object-list in the headless session with the variables of the tests' environment
    (minus the malloc and GC checks, which would slow what is measured)."""
    exe = os.path.join(ctx["build"], "benchmarks", "gui", "bench-object-list")
    if not os.access(exe, os.X_OK):
        log("not built: ninja -C BUILD benchmarks/gui/bench-object-list")
        return None
    env = gui_env(ctx)
    # One headless session per run: each starts from a cold list, as a person's first look does.
    docs = []
    for _ in range(ctx["runs"]):
        p = subprocess.run(["bash", os.path.join(ROOT, "build-aux", "headless-session.sh"), exe,
                            str(ctx["window_objects"])], env=env, capture_output=True, text=True,
                           timeout=900)
        doc = None
        for line in p.stdout.splitlines():
            if line.startswith("{"):
                try:
                    doc = json.loads(line)
                except ValueError:
                    pass
        if doc is None:
            log("bench-object-list exit %d: %s %s" % (p.returncode, p.stdout[-800:], p.stderr[-800:]))
            continue
        docs.append(doc)
    if not docs:
        ctx["results"]["window"] = None
        return None
    # Each figure as the list of its runs.
    result = {key: [d.get(key) for d in docs] for key in docs[0]}
    ctx["results"]["window"] = result
    return result


# The table ------------------------------------------------------------------------------------

def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-", ""
    m = statistics.median(values)
    spread = (max(values) - min(values)) / 2
    return m, spread


def fmt(values, digits=1, pct=False):
    m, s = med(values)
    if m == "-":
        return "-"
    k = 100 if pct else 1
    unit = " %" if pct else ""
    if len([v for v in values if v is not None]) == 1:
        return "%.*f%s" % (digits, m * k, unit)
    return "%.*f ± %.*f%s" % (digits, m * k, digits, s * k, unit)


def table(ctx):
    res, n = ctx["results"], ctx["n"]
    rows = []

    def row(what, figure, target="", met=""):
        rows.append((what, figure, target, met))

    def backup_rows(b, what, short):
        ops = [r["objects_per_s"] for r in b]
        share = [r["requests_per_s"] / CEILING for r in b]
        r429 = [r["429"] / r["vault_requests"] if r["vault_requests"] else 0 for r in b]
        failed = sum(r["failed"] + (r["rc"] != 0) for r in b)
        row("%s %d %s: seconds (%d runs)" % (short, b[0].get("objects", n), what, len(b)),
            fmt([r["seconds"] for r in b]))
        row("%s: objects / s" % short, fmt(ops))
        row("%s: vault requests (lists included)" % short, fmt([r["vault_requests"] for r in b], 0))
        row("%s: requests / s vs ceiling (400 / s)" % short, fmt(share, 1, True), ">= 90 %",
            "yes" if med(share)[0] >= 0.9 else "no")
        row("%s: 429 share" % short, fmt(r429, 2, True), "< 1 %", "yes" if med(r429)[0] < 0.01 else "no")
        row("%s: failed objects or runs" % short, "%d" % failed, "0", "yes" if failed == 0 else "no")

    b = res.get("backup")
    if b:
        backup_rows(b, "secrets", "backup")
    bk = res.get("backup-keys")
    if bk:
        backup_rows(bk, "keys", "backup keys")
    bc = res.get("backup-certs")
    if bc:
        backup_rows(bc, "certificates", "backup certs")
        row("backup certs: keys and secrets covered by a backed-up certificate", fmt([r["covered"] for r in bc], 0),
            "%d" % (2 * bc[0]["objects"]), "yes" if all(r["covered"] == 2 * r["objects"] for r in bc) else "no")
    s = res.get("sdk")
    if s:
        row("SDK backup_secret loop, %d objects: objects / s (%d runs)" % (s[0]["objects"], len(s)),
            fmt([r["objects_per_s"] for r in s], 2))
        if b:
            ratio = med([r["objects_per_s"] for r in b])[0] / med([r["objects_per_s"] for r in s])[0]
            row("kvbackup / SDK loop", "%.1fx" % ratio, ">= 20x", "yes" if ratio >= 20 else "no")
    a = res.get("az")
    if a:
        row("az rest per object, %d objects: objects / s (%d runs)" % (a[0]["objects"], len(a)),
            fmt([r["objects_per_s"] for r in a], 3))
        if b:
            ratio = med([r["objects_per_s"] for r in b])[0] / med([r["objects_per_s"] for r in a])[0]
            row("kvbackup / az loop", "%.0fx" % ratio, ">= 100x", "yes" if ratio >= 100 else "no")
    r = res.get("restore")
    if r:
        share = [x["requests_per_s"] / CEILING for x in r]
        row("restore %d secrets: seconds (%d runs)" % (r[0].get("objects", n), len(r)), fmt([x["seconds"] for x in r]))
        row("restore: objects / s", fmt([x["objects_per_s"] for x in r]))
        row("restore: requests / s vs ceiling", fmt(share, 1, True), ">= 90 %",
            "yes" if med(share)[0] >= 0.9 else "no")
        row("restore: 429s / failed objects", "%d / %d" % (sum(x["429"] for x in r), sum(x["failed"] for x in r)),
            "0 failed", "yes" if sum(x["failed"] for x in r) == 0 else "no")
    li = res.get("list")
    if li:
        row("list 10,000 secrets: seconds (%d runs)" % len(li), fmt([x["seconds"] for x in li], 2))
        row("list: pages, page round trip ms", "%d, %.1f" % (li[0]["pages"], li[0]["page_rtt_ms"]))
        row("list: serial floor (pages x round trip) s", "%.2f" % li[0]["floor_s"])
        over = [x["over_floor"] for x in li]
        row("list: over the floor", fmt(over, 1, True), "<= 10 %", "yes" if med(over)[0] <= 0.10 else "no")
    m = res.get("memory")
    if m:
        small, big = med(m["1000"])[0], med(m[str(n)])[0]
        row("kvbackup max RSS, 1,000 objects: MiB", fmt(m["1000"]))
        row("kvbackup max RSS, %d objects: MiB" % n, fmt(m[str(n)]))
        grow = big / small - 1
        row("RSS growth 1,000 -> %d" % n, "%.1f %%" % (grow * 100), "<= 20 %", "yes" if grow <= 0.2 else "no")
    su = res.get("startup")
    if su and su.get("first_frame_ms"):
        ff = su["first_frame_ms"]
        row("application: start to first frame, ms (%d runs)" % len(ff), fmt(ff, 0), "< 500 ms",
            "yes" if med(ff)[0] < 500 else "no")
        row("application: RSS at idle (first frame + %d s), MiB" % su.get("idle_s", 2),
            fmt(su["idle_rss_mb"], 1))
    w = res.get("window")
    if w:
        for key, target, limit in (("first_rows_ms", "< 500 ms", 500), ("keystroke_worst_ms", "< 100 ms", 100),
                                   ("worst_stall_ms", "", None), ("rss_mb", "", None)):
            if key in w:
                # Earlier --json files hold one run's number, later ones the list of the runs.
                values = w[key] if isinstance(w[key], list) else [w[key]]
                m, _ = med(values)
                row("window, %d objects: %s (%d runs)" % (ctx["window_objects"], key, len(values)),
                    fmt(values, 1), target, ("yes" if m != "-" and m < limit else "no") if limit else "")
    return rows


def print_table(rows):
    widths = [max(len(str(r[i])) for r in rows + [("measure", "figure", "target", "met")]) for i in range(4)]
    line = "| " + " | ".join("%-*s" % (widths[i], h) for i, h in enumerate(("measure", "figure", "target", "met"))) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join("%-*s" % (widths[i], r[i]) for i in range(4)) + " |")


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, nproc %d" % (model, os.cpu_count())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "_build", "base"), help="the meson build folder")
    ap.add_argument("--runs", type=int, default=3, help="runs per kvbackup and SDK figure")
    ap.add_argument("--secrets", type=int, default=5000, help="secrets to back up and restore")
    ap.add_argument("--keys", type=int, default=5000, help="keys of the backup-keys vault")
    ap.add_argument("--certs", type=int, default=1000, help="certificates of the backup-certs vault")
    ap.add_argument("--sdk-objects", type=int, default=200)
    ap.add_argument("--az-objects", type=int, default=50)
    ap.add_argument("--az-runs", type=int, default=1, help="az is slow: one run by default")
    ap.add_argument("--restore-runs", type=int, default=1,
                    help="restore goes one object at a time (about 5 objects / s): one run by default")
    ap.add_argument("--window-objects", type=int, default=100000)
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated: " + ",".join(ALL))
    ap.add_argument("--concurrency", type=int, help="passed to kvbackup backup --concurrency")
    ap.add_argument("--csv", default=os.path.join(ROOT, "docs", "benchmarks-backup-throughput.csv"),
                    help="throughput over time of the first backup (a PNG beside it with matplotlib)")
    ap.add_argument("--json", help="also write every figure here (after each measurement)")
    ap.add_argument("--table-from", nargs="+", metavar="JSON",
                    help="measure nothing: print the table of earlier --json files, merged")
    ap.add_argument("--startup-inner", nargs=3, metavar=("EXE", "RUNS", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--plot-from", metavar="CSV",
                    help="measure nothing: draw the PNG beside this throughput CSV again")
    a = ap.parse_args()

    if a.table_from:
        return print_saved(a.table_from)
    if a.startup_inner:
        return startup_inner(a.startup_inner[0], int(a.startup_inner[1]), a.startup_inner[2])
    if a.plot_from:
        csv = os.path.abspath(a.plot_from)
        return 0 if draw_series(csv, csv_date(csv)) else 1
    build = os.path.abspath(a.build)
    only = [x for x in a.only.split(",") if x]
    work = tempfile.mkdtemp(prefix="kvb-bench-")
    ctx = {"build": build, "work": work, "n": a.secrets, "keys": a.keys, "certs": a.certs,
           "runs": a.runs, "sdk_objects": a.sdk_objects,
           "az_objects": a.az_objects, "az_runs": a.az_runs, "restore_runs": a.restore_runs, "window_objects": a.window_objects,
           "kvbackup": os.path.join(build, "src", "cli", "kvbackup"), "csv": os.path.abspath(a.csv),
           "backup_args": ["--concurrency", str(a.concurrency)] if a.concurrency else [],
           "results": {}}
    started = ctx["started"] = datetime.datetime.now(datetime.timezone.utc)
    emu = None
    try:
        seeds = {name: os.path.join(work, "seed.json") for name in ALL}
        write_seed(seeds["backup"], a.secrets, a.restore_runs)
        for kind, n in (("keys", a.keys), ("certs", a.certs)):
            if "backup-" + kind in only:
                seeds["backup-" + kind] = os.path.join(work, "seed-%s.json" % kind)
                write_kind_seed(seeds["backup-" + kind], kind, n)
        for number, name in enumerate(ALL):
            if name in only:
                # A fresh stand-in for every measurement: it keeps the sockets that clients
                # closed (CLOSE-WAIT) open, and after some 40,000 requests from many processes
                # it runs out of file descriptors and stops answering.  The backup folders
                # restore across stand-ins: the seed's master key is fixed.
                if emu is not None:
                    emu.stop()
                    emu = None
                if name not in ("window", "startup"):
                    t0 = time.monotonic()
                    emu = ctx["emu"] = StandIn(build, seeds[name], work, number)
                    log("stand-in seeded and started in %.1f s" % (time.monotonic() - t0))
                log("measuring", name)
                t0 = time.monotonic()
                try:
                    globals()["measure_" + name.replace("-", "_")](ctx)
                except Exception:
                    # one broken measurement should not cost the figures of the others
                    traceback.print_exc()
                log("%s took %.0f s" % (name, time.monotonic() - t0))
                if a.json:
                    save_json(a.json, started, ctx)
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("Key Vault Backup benchmarks, %s; %s" % (started.strftime("%Y-%m-%d %H:%M UTC"), machine()))
    print("Stand-in: --latency-ms %d --throttle %d/%d; build %s" % (LATENCY_MS, THROTTLE_N, THROTTLE_S,
                                                                     os.path.relpath(build, ROOT)))
    print()
    print_table(table(ctx))
    return 0


def print_saved(paths):
    """The table of one or more --json files (e.g. the window measured in a run of its own)."""
    ctx = {"results": {}}
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        ctx["results"].update({k: v for k, v in doc["results"].items() if v})
        if "n" in doc:
            ctx.setdefault("n", doc["n"])
        ctx.setdefault("window_objects", doc.get("window_objects", 100000))
        print("# %s: %s, %s" % (os.path.basename(p), doc["date"], doc["machine"]))
    print()
    print_table(table(ctx))
    return 0


def save_json(path, started, ctx):
    with open(path, "w") as f:
        json.dump({"date": started.isoformat(), "machine": machine(), "n": ctx["n"],
                   "keys": ctx["keys"], "certs": ctx["certs"],
                   "window_objects": ctx["window_objects"], "results": ctx["results"]}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
