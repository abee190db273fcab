#!/usr/bin/python3
# Debian's azure-cli against the stand-in through its CONNECT proxy, unchanged (real host names,
# private AZURE_CONFIG_DIR, REQUESTS_CA_BUNDLE, HTTPS_PROXY, telemetry off) (TAP).

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402

AZ = shutil.which("az", path="/usr/bin:/bin")
tap = kvbtest.Tap()
EMU = None
CONFIG = None


def az(*args, check=True, proxy=True, config=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
                        "all_proxy", "ALL_PROXY")}
    env.update({"AZURE_CONFIG_DIR": config or CONFIG, "REQUESTS_CA_BUNDLE": EMU["ca"],
                "AZURE_CORE_COLLECT_TELEMETRY": "false", "AZURE_CORE_NO_COLOR": "true",
                "AZURE_CORE_SURVEY_MESSAGE": "false", "LC_ALL": "C.UTF-8"})
    if proxy:
        env.update({"HTTPS_PROXY": EMU["proxy"], "https_proxy": EMU["proxy"]})
    p = subprocess.run([AZ] + list(args) + ["--output", "json"], env=env, capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("az %s -> %d\n%s\n%s" % (" ".join(args[:2]), p.returncode, p.stdout[-2000:],
                                                       p.stderr[-2000:]))
    return p


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@tap.test
def test_login_service_principal():
    p = az("login", "--service-principal", "-u", EMU["client_id"], "-p", EMU["client_secret"],
           "--tenant", EMU["tenant"])
    subs = json.loads(p.stdout)
    names = sorted(s["name"] for s in subs)
    assert names == ["Contoso Development", "Contoso Production"], names
    assert all(s["tenantId"] == EMU["tenant"] and s["user"]["type"] == "servicePrincipal" for s in subs)
    assert EMU["client_secret"] not in p.stdout + p.stderr


@tap.test
def test_get_access_token_for_key_vault():
    p = az("account", "get-access-token", "--resource", "https://vault.azure.net")
    out = json.loads(p.stdout)
    c = claims(out["accessToken"])
    assert c["aud"] == "https://vault.azure.net" and c["tid"] == EMU["tenant"]
    assert c["appid"] == EMU["client_id"]
    assert out["tenant"] == EMU["tenant"]


def kv(method, vault, path, body=None):
    args = ["rest", "--method", method, "--url", "https://%s.vault.azure.net%s" % (vault, path),
            "--resource", "https://vault.azure.net"]
    if body is not None:
        args += ["--body", body]
    p = az(*args, check=False)
    if p.returncode != 0 and ("501" in p.stderr or "Not Implemented" in p.stderr):
        raise kvbtest.Skip("the Key Vault data plane is not built into this stand-in")
    if p.returncode != 0:
        raise AssertionError("az rest %s %s -> %d\n%s" % (method, path, p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout) if p.stdout.strip() else None


@tap.test
def test_rest_backup_and_restore():
    name = "az-cli-%s" % uuid.uuid4().hex[:8]
    kv("put", "contoso-prod-kv", "/secrets/%s?api-version=7.3" % name, json.dumps({"value": "from-az-cli"}))
    backup = kv("post", "contoso-prod-kv", "/secrets/%s/backup?api-version=7.3" % name)
    blob = base64.urlsafe_b64decode(backup["value"] + "=" * (-len(backup["value"]) % 4))
    assert b"AzureKeyVaultSecretBackupV1.microsoft.com" in blob[:60], blob[:60]
    # restore into another vault of the same subscription and geography
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=CONFIG, delete=False) as f:
        json.dump({"value": backup["value"]}, f)
        body_file = f.name
    restored = kv("post", "contoso-app-kv", "/secrets/restore?api-version=7.3", "@" + body_file)
    assert restored["id"].startswith("https://contoso-app-kv.vault.azure.net"), restored
    assert "/secrets/%s/" % name in restored["id"]
    got = kv("get", "contoso-app-kv", "/secrets/%s?api-version=7.3" % name)
    assert got["value"] == "from-az-cli", got


@tap.test
def test_custom_cloud_without_proxy():
    # real-clients.md recipe B: a custom cloud whose authority is <url>/adfs, found through
    # /metadata/endpoints, so MSAL needs no instance discovery at login.microsoftonline.com
    config = os.path.join(CONFIG, "recipe-b")
    os.makedirs(config, exist_ok=True)
    port = EMU["url"].rsplit(":", 1)[1]
    az("cloud", "register", "-n", "StandIn", "--endpoint-resource-manager", EMU["url"] + "/",
       "--suffix-keyvault-dns", ":" + port, proxy=False, config=config)
    az("cloud", "set", "-n", "StandIn", proxy=False, config=config)
    p = az("login", "--service-principal", "-u", EMU["client_id"], "-p", EMU["client_secret"],
           "--tenant", EMU["tenant"], proxy=False, config=config)
    assert sorted(s["name"] for s in json.loads(p.stdout)) == ["Contoso Development", "Contoso Production"]
    p = az("account", "get-access-token", "--resource", "https://vault.azure.net", proxy=False, config=config)
    assert claims(json.loads(p.stdout)["accessToken"])["aud"] == "https://vault.azure.net"


@tap.test
def test_requests_came_through_the_proxy_with_real_names():
    log = EMU.requests()
    hosts = {e["host"].split(":")[0] for e in log}
    assert "login.microsoftonline.com" in hosts and "management.azure.com" in hosts, hosts
    with open(EMU.log_file) as f:
        text = f.read()
    assert EMU["client_secret"] not in text


def main():
    global EMU, CONFIG
    if AZ is None:
        return tap.run(setup_skip="azure-cli is not installed")
    try:
        EMU = kvbtest.Emulator()
        EMU.start()
    except kvbtest.Skip as e:
        return tap.run(setup_skip=str(e))
    CONFIG = tempfile.mkdtemp(prefix="kvb-az-")
    try:
        return tap.run()
    finally:
        EMU.stop()
        shutil.rmtree(CONFIG, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
