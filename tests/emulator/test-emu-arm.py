#!/usr/bin/python3
# Resource Manager of the stand-in: tenants, subscriptions, Key Vault listing with nextLink paging,
# provider registration and the real error envelopes (TAP). Run with Debian's /usr/bin/python3.

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402

import requests  # noqa: E402

PROD = "3f2b8c1d-6e4a-4b9f-8d7c-5a1e2f3b4c6d"
DEV = "7a9e4d2c-1b3f-4e6a-9c8d-2f5b7e1a3c9d"
SANDBOX = "c4d8e2f1-9a7b-4c3e-8f6d-1b2a3c4d5e6f"
USER_OID = "e5a1c3f7-8b2d-4e6f-9a1c-3d5e7f9b1a2c"
API = "2023-07-01"

tap = kvbtest.Tap()
EMU = None
TOKENS = {}


def session(proxy=False):
    s = requests.Session()
    s.verify = EMU["ca"]
    s.trust_env = False
    if proxy:
        s.proxies = {"https": EMU["proxy"]}
    return s


def sp_token():
    if "sp" not in TOKENS:
        r = session().post(EMU["url"] + "/%s/oauth2/v2.0/token" % EMU["tenant"],
                           data={"grant_type": "client_credentials", "client_id": EMU["client_id"],
                                 "client_secret": EMU["client_secret"],
                                 "scope": "https://management.azure.com/.default"})
        assert r.status_code == 200, r.text
        TOKENS["sp"] = r.json()["access_token"]
    return TOKENS["sp"]


def user_token():
    # a token for the sample user without a browser (test control)
    if "user" not in TOKENS:
        r = session().post(EMU["url"] + "/_emulator/token",
                           json={"object_id": USER_OID, "resource": "https://management.core.windows.net/"})
        assert r.status_code == 200, r.text
        TOKENS["user"] = r.json()["access_token"]
    return TOKENS["user"]


def get(path, token=None, base=None, proxy=False, method="GET"):
    headers = {"Authorization": "Bearer " + (token or sp_token())}
    return session(proxy).request(method, (base or EMU["url"]) + path, headers=headers, timeout=30)


def assert_arm_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"], err


@tap.test
def test_tenants():
    r = get("/tenants?api-version=2022-12-01")
    assert r.status_code == 200, r.text
    t = r.json()["value"]
    assert len(t) == 1 and t[0]["tenantId"] == EMU["tenant"] and t[0]["id"] == "/tenants/" + EMU["tenant"]
    assert t[0]["defaultDomain"] == "contoso.onmicrosoft.com" and t[0]["tenantCategory"] == "Home"


@tap.test
def test_subscriptions():
    subs = get("/subscriptions?api-version=2022-12-01").json()["value"]
    ids = sorted(s["subscriptionId"] for s in subs)
    # the sandbox subscription is the user's alone
    assert ids == sorted([PROD, DEV]), ids
    for s in subs:
        assert s["id"] == "/subscriptions/" + s["subscriptionId"]
        assert s["tenantId"] == EMU["tenant"] and s["state"] == "Enabled" and s["displayName"]
    subs = get("/subscriptions?api-version=2019-11-01", token=user_token()).json()["value"]
    assert len(subs) == 3
    r = get("/subscriptions/%s?api-version=2022-12-01" % PROD)
    assert r.status_code == 200 and r.json()["displayName"] == "Contoso Production"
    assert_arm_error(get("/subscriptions/%s?api-version=2022-12-01" % SANDBOX), 403, "AuthorizationFailed")
    assert_arm_error(get("/subscriptions/00000000-1111-2222-3333-444444444444?api-version=2022-12-01"),
                     404, "SubscriptionNotFound")


def list_all(sub, proxy=False, top=None):
    base = "https://management.azure.com" if proxy else EMU["url"]
    path = "/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s" % (sub, API)
    if top:
        path += "&$top=%d" % top
    url = base + path
    pages = []
    while url:
        r = session(proxy).get(url, headers={"Authorization": "Bearer " + sp_token()}, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body["value"])
        url = body.get("nextLink")
        if url:
            assert url.startswith(base + "/"), url
    return pages


@tap.test
def test_vault_listing_pages():
    pages = list_all(PROD)
    assert len(pages) >= 2, pages
    vaults = [v for p in pages for v in p]
    names = [v["name"] for v in vaults]
    assert len(names) == len(set(names)) == 3, names
    assert set(names) == {"contoso-prod-kv", "contoso-app-kv", "contoso-paging-kv"}
    port = EMU["url"].rsplit(":", 1)[1]
    for v in vaults:
        assert v["type"] == "Microsoft.KeyVault/vaults"
        assert v["id"] == "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s" % (
            PROD, v["id"].split("/")[4], v["name"])
        assert v["location"] in ("westeurope", "northeurope")
        p = v["properties"]
        assert p["vaultUri"] == "https://%s.vault.localhost:%s/" % (v["name"], port)
        assert p["tenantId"] == EMU["tenant"] and p["sku"] == {"family": "A", "name": "standard"}
        assert isinstance(p["enableSoftDelete"], bool) and isinstance(p["enableRbacAuthorization"], bool)
        assert isinstance(p["softDeleteRetentionInDays"], int)
        assert isinstance(p["accessPolicies"], list)
    by = {v["name"]: v["properties"] for v in vaults}
    assert by["contoso-prod-kv"]["enablePurgeProtection"] is True
    assert "enablePurgeProtection" not in by["contoso-app-kv"]
    assert by["contoso-app-kv"]["enableRbacAuthorization"] is False
    policies = {a["objectId"]: a["permissions"] for a in by["contoso-app-kv"]["accessPolicies"]}
    sp = [k for k in policies if k != USER_OID][0]
    assert "backup" not in policies[sp]["keys"] and "get" in policies[sp]["keys"]
    assert policies[USER_OID]["secrets"] == ["all"]
    assert by["contoso-prod-kv"]["accessPolicies"] == []
    # $top pages too
    assert [len(p) for p in list_all(PROD, top=1)] == [1, 1, 1]
    # the development subscription has vaults in two geographies
    dev = [v for p in list_all(DEV) for v in p]
    assert {v["location"] for v in dev} >= {"eastus", "japaneast"}


@tap.test
def test_vault_listing_through_proxy():
    vaults = [v for p in list_all(PROD, proxy=True) for v in p]
    for v in vaults:
        assert v["properties"]["vaultUri"] == "https://%s.vault.azure.net/" % v["name"]


@tap.test
def test_vault_get():
    r = get("/subscriptions/%s/resourceGroups/rg-prod-security/providers/Microsoft.KeyVault/vaults/contoso-prod-kv"
            "?api-version=%s" % (PROD, API))
    assert r.status_code == 200 and r.json()["name"] == "contoso-prod-kv"
    r = get("/subscriptions/%s/resourceGroups/rg-prod-security/providers/Microsoft.KeyVault/vaults/nope"
            "?api-version=%s" % (PROD, API))
    assert_arm_error(r, 404, "ResourceNotFound")
    r = get("/subscriptions/%s/resourceGroups/rg-prod-security/providers/Microsoft.KeyVault/vaults?api-version=%s"
            % (PROD, API))
    names = [v["name"] for v in r.json()["value"]]
    assert set(names) == {"contoso-prod-kv", "contoso-paging-kv"}, names


@tap.test
def test_provider_registration():
    tok = user_token()
    path = "/subscriptions/%s/providers/Microsoft.KeyVault?api-version=2021-04-01" % SANDBOX
    r = get(path, token=tok)
    assert r.status_code == 200 and r.json()["registrationState"] == "NotRegistered", r.text
    assert r.json()["namespace"] == "Microsoft.KeyVault"
    r = get("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s" % (SANDBOX, API), token=tok)
    assert_arm_error(r, 409, "MissingSubscriptionRegistration")
    r = get("/subscriptions/%s/providers/Microsoft.KeyVault/register?api-version=2021-04-01" % SANDBOX,
            token=tok, method="POST")
    assert r.status_code == 200 and r.json()["registrationState"] == "Registering", r.text
    deadline = time.time() + 10
    state = None
    while time.time() < deadline:
        state = get(path, token=tok).json()["registrationState"]
        if state == "Registered":
            break
        time.sleep(0.5)
    assert state == "Registered"
    r = get("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s" % (SANDBOX, API), token=tok)
    assert r.status_code == 200 and r.json()["value"] == []
    r = get("/subscriptions/%s/providers/Microsoft.KeyVault?api-version=2021-04-01" % PROD)
    assert r.json()["registrationState"] == "Registered"
    assert_arm_error(get("/subscriptions/%s/providers/Microsoft.KeyVault/register?api-version=2021-04-01" % PROD),
                     405, "MethodNotAllowed")


@tap.test
def test_errors():
    s = session()
    r = s.get(EMU["url"] + "/subscriptions?api-version=2022-12-01")
    assert_arm_error(r, 401, "AuthenticationFailed")
    assert r.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    r = s.get(EMU["url"] + "/subscriptions?api-version=2022-12-01", headers={"Authorization": "Bearer x.y.z"})
    assert_arm_error(r, 401, "InvalidAuthenticationToken")
    assert_arm_error(get("/subscriptions"), 400, "MissingApiVersionParameter")
    assert_arm_error(get("/subscriptions?api-version=7.4"), 400, "InvalidApiVersionParameter")
    assert_arm_error(get("/subscriptions/%s/nonsense?api-version=%s" % (PROD, API)), 404, "InvalidResourceType")
    assert_arm_error(get("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s&$top=0" % (PROD, API)),
                     400, "InvalidTopValue")
    assert_arm_error(get("/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s&$skiptoken=zzz"
                         % (PROD, API)), 400, "InvalidSkipToken")


@tap.test
def test_metadata_endpoints():
    r = session().get(EMU["url"] + "/metadata/endpoints?api-version=2015-01-01")
    assert r.status_code == 200
    auth = r.json()["authentication"]
    assert auth["loginEndpoint"] == EMU["url"] + "/adfs"
    assert auth["audiences"] == ["https://management.core.windows.net/"]


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
