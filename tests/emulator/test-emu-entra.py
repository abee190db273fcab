#!/usr/bin/python3
# Entra ID of the stand-in: every grant and its errors, as a client sees them (TAP).
#
# Run with Debian's /usr/bin/python3 (it sees python3-azure, requests, cryptography and PyJWT).

import base64
import hashlib
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402

try:
    import requests
    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    import datetime
except ImportError as e:  # pragma: no cover
    print("1..0 # SKIP %s" % e)
    sys.exit(0)

AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
tap = kvbtest.Tap()
EMU = None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def session():
    s = requests.Session()
    s.verify = EMU["ca"]
    s.trust_env = False
    return s


def url(path):
    return EMU["url"] + path


def token_url(tenant=None):
    return url("/%s/oauth2/v2.0/token" % (tenant or EMU["tenant"]))


def post_token(data, tenant=None):
    return session().post(token_url(tenant), data=data, timeout=30)


def assert_oauth_error(r, status, error, code=None):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error"] == error, body
    assert "error_description" in body and "trace_id" in body and "correlation_id" in body, body
    if code is not None:
        assert body["error_codes"] == [code], body
        assert body["error_description"].startswith("AADSTS%d:" % code), body


def client_secret_token(scope="https://vault.localhost/.default"):
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "client_secret": EMU["client_secret"], "scope": scope})
    assert r.status_code == 200, r.text
    return r.json()


def vault_url(vault, path):
    port = int(EMU["url"].rsplit(":", 1)[1])
    return "https://%s.vault.localhost:%d%s" % (vault, port, path)


def vault_get(token, vault="contoso-prod-kv", path="/secrets?api-version=7.4"):
    # Python cannot resolve *.localhost here: connect to 127.0.0.1 with the vault's Host header.
    port = int(EMU["url"].rsplit(":", 1)[1])
    headers = {"Host": "%s.vault.localhost:%d" % (vault, port)}
    if token:
        headers["Authorization"] = "Bearer " + token
    return session().get(url(path), headers=headers, timeout=30)


def arm_get(token, path="/subscriptions?api-version=2022-12-01"):
    return session().get(url(path), headers={"Authorization": "Bearer " + token}, timeout=30)


# -- client credentials ------------------------------------------------------------------------

@tap.test
def test_client_secret_token():
    body = client_secret_token("https://vault.localhost/.default")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 120, body
    assert "refresh_token" not in body
    c = claims(body["access_token"])
    assert c["aud"] == "https://vault.localhost"
    assert c["tid"] == EMU["tenant"] and c["appid"] == EMU["client_id"] and c["oid"]
    assert c["exp"] - c["iat"] == 120
    # the token opens the vault, and Resource Manager refuses it
    assert vault_get(body["access_token"]).status_code == 200
    r = arm_get(body["access_token"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"
    arm = client_secret_token("https://management.core.windows.net//.default")
    assert claims(arm["access_token"])["aud"] == "https://management.core.windows.net/"
    assert arm_get(arm["access_token"]).status_code == 200


@tap.test
def test_client_secret_errors():
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "client_secret": "wrong", "scope": "https://vault.azure.net/.default"})
    assert_oauth_error(r, 401, "invalid_client", 7000215)
    assert "wrong" not in r.text
    r = post_token({"grant_type": "client_credentials", "client_id": str(uuid.uuid4()),
                    "client_secret": "x", "scope": "https://vault.azure.net/.default"})
    assert_oauth_error(r, 400, "unauthorized_client", 700016)
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "client_secret": EMU["client_secret"], "scope": "https://vault.azure.net/.default"},
                   tenant="11111111-2222-3333-4444-555555555555")
    assert_oauth_error(r, 400, "invalid_request", 90002)
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "client_secret": EMU["client_secret"], "scope": "https://vault.azure.net/secrets.read"})
    assert_oauth_error(r, 400, "invalid_scope", 1002012)
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "client_secret": EMU["client_secret"], "scope": "https://storage.azure.com/.default"})
    assert_oauth_error(r, 400, "invalid_resource", 500011)
    r = post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                    "scope": "https://vault.azure.net/.default"})
    assert_oauth_error(r, 401, "invalid_client", 7000218)
    r = post_token({"grant_type": "password", "client_id": EMU["client_id"]})
    assert_oauth_error(r, 400, "unsupported_grant_type", 70003)


@tap.test
def test_client_secret_basic_auth():
    r = session().post(token_url(), auth=(EMU["client_id"], EMU["client_secret"]),
                       data={"grant_type": "client_credentials", "scope": "https://vault.azure.net/.default"})
    assert r.status_code == 200, r.text


def make_assertion(key, cert, alg="RS256", aud=None, exp_delta=600, header_kind=None):
    der = cert.public_bytes(serialization.Encoding.DER)
    headers = {"typ": "JWT"}
    if (header_kind or ("x5t#S256" if alg == "PS256" else "x5t")) == "x5t#S256":
        headers["x5t#S256"] = b64url(hashlib.sha256(der).digest())
    else:
        headers["x5t"] = b64url(hashlib.sha1(der).digest())
    now = int(time.time())
    payload = {"aud": aud or token_url(), "iss": EMU["client_id"], "sub": EMU["client_id"],
               "jti": str(uuid.uuid4()), "nbf": now, "iat": now, "exp": now + exp_delta}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def assertion_grant(assertion):
    return post_token({"grant_type": "client_credentials", "client_id": EMU["client_id"],
                       "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                       "client_assertion": assertion, "scope": "https://vault.azure.net/.default"})


def registered_certificate():
    with open(EMU["client_certificate"], "rb") as f:
        pem = f.read()
    key = serialization.load_pem_private_key(pem, password=None)
    cert = x509.load_pem_x509_certificate(pem)
    return key, cert


def other_certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not registered")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert


@tap.test
def test_client_assertion_registered_certificate():
    key, cert = registered_certificate()
    for alg in ("RS256", "PS256"):
        r = assertion_grant(make_assertion(key, cert, alg))
        assert r.status_code == 200, (alg, r.text)
        assert claims(r.json()["access_token"])["appid"] == EMU["client_id"]
    # the SHA-256 thumbprint with RS256 is accepted too
    r = assertion_grant(make_assertion(key, cert, "RS256", header_kind="x5t#S256"))
    assert r.status_code == 200, r.text


@tap.test
def test_client_assertion_refused():
    key, cert = registered_certificate()
    okey, ocert = other_certificate()
    # another certificate: its thumbprint is unknown
    assert_oauth_error(assertion_grant(make_assertion(okey, ocert, "RS256")), 401, "invalid_client", 700027)
    assert_oauth_error(assertion_grant(make_assertion(okey, ocert, "PS256")), 401, "invalid_client", 700027)
    # the registered thumbprint but signed with another key
    forged = make_assertion(okey, cert, "RS256")
    assert_oauth_error(assertion_grant(forged), 401, "invalid_client", 700027)
    # expired, wrong audience, garbage
    assert_oauth_error(assertion_grant(make_assertion(key, cert, "RS256", exp_delta=-3600)),
                       401, "invalid_client", 700024)
    assert_oauth_error(assertion_grant(make_assertion(key, cert, "RS256", aud="https://example.org/token")),
                       401, "invalid_client")
    assert_oauth_error(assertion_grant("not.a.jwt"), 401, "invalid_client", 50027)


@tap.test
def test_azure_identity_certificate_credential():
    from azure.identity import CertificateCredential
    os.environ["REQUESTS_CA_BUNDLE"] = EMU["ca"]
    cred = CertificateCredential(EMU["tenant"], EMU["client_id"], certificate_path=EMU["client_certificate"],
                                 authority=EMU["url"], instance_discovery=False)
    tok = cred.get_token("https://vault.azure.net/.default")
    assert claims(tok.token)["aud"] == "https://vault.azure.net"


@tap.test
def test_azure_identity_client_secret_through_proxy():
    # Debian's python3-azure, unchanged, signing in at login.microsoftonline.com through the proxy
    from azure.identity import ClientSecretCredential
    saved = {k: os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "REQUESTS_CA_BUNDLE", "NO_PROXY", "no_proxy")}
    os.environ.update({"HTTPS_PROXY": EMU["proxy"], "https_proxy": EMU["proxy"], "REQUESTS_CA_BUNDLE": EMU["ca"],
                       "NO_PROXY": "", "no_proxy": ""})
    try:
        cred = ClientSecretCredential(EMU["tenant"], EMU["client_id"], EMU["client_secret"])
        tok = cred.get_token("https://vault.azure.net/.default")
        c = claims(tok.token)
        assert c["aud"] == "https://vault.azure.net" and c["tid"] == EMU["tenant"]
        assert tok.expires_on > time.time() + 60
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    # the log line is written once the answer has gone out, which may be just after the client has it
    want = ("login.microsoftonline.com", "/%s/oauth2/v2.0/token" % EMU["tenant"])
    for _ in range(100):
        paths = [(e["host"], e["path"]) for e in EMU.requests()]
        if want in paths:
            break
        time.sleep(0.05)
    assert want in paths, paths


# -- device code ------------------------------------------------------------------------------

def device_code(scope="https://vault.localhost/.default offline_access openid profile"):
    r = session().post(url("/organizations/oauth2/v2.0/devicecode"), data={"client_id": AZ_CLI, "scope": scope})
    assert r.status_code == 200, r.text
    body = r.json()
    for k in ("user_code", "device_code", "verification_uri", "expires_in", "interval", "message"):
        assert k in body, body
    assert body["user_code"] in body["message"]
    return body


def poll(dc):
    return session().post(url("/organizations/oauth2/v2.0/token"),
                          data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                "client_id": AZ_CLI, "device_code": dc["device_code"]})


def control(path, body):
    r = session().post(url("/_emulator/" + path), json=body)
    return r


@tap.test
def test_device_code_approved():
    dc = device_code()
    assert_oauth_error(poll(dc), 400, "authorization_pending", 70016)
    # polled faster than the interval
    assert_oauth_error(poll(dc), 400, "slow_down")
    time.sleep(dc["interval"] + 0.2)
    assert_oauth_error(poll(dc), 400, "authorization_pending", 70016)
    assert control("devicecode/approve", {"user_code": dc["user_code"]}).status_code == 200
    time.sleep(dc["interval"] + 0.2)
    r = poll(dc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["refresh_token"] and body["id_token"]
    c = claims(body["access_token"])
    assert c["upn"] == EMU["user"] and c["aud"] == "https://vault.localhost"
    assert claims(body["id_token"])["preferred_username"] == EMU["user"]
    assert vault_get(body["access_token"]).status_code == 200
    # a device code is good for one sign-in
    time.sleep(dc["interval"] + 0.2)
    assert_oauth_error(poll(dc), 400, "bad_verification_code")


@tap.test
def test_device_code_declined_and_expired():
    dc = device_code()
    assert control("devicecode/decline", {"user_code": dc["user_code"]}).status_code == 200
    assert_oauth_error(poll(dc), 400, "authorization_declined")
    dc = device_code()
    assert control("devicecode/expire", {"user_code": dc["user_code"]}).status_code == 200
    assert_oauth_error(poll(dc), 400, "expired_token", 70019)
    # approving an expired or unknown code fails
    assert control("devicecode/approve", {"user_code": dc["user_code"]}).status_code == 404
    assert control("devicecode/approve", {"user_code": "NOSUCHCODE"}).status_code == 404
    # only public clients may ask for a device code
    r = session().post(url("/organizations/oauth2/v2.0/devicecode"),
                       data={"client_id": EMU["client_id"], "scope": "openid"})
    assert_oauth_error(r, 400, "unauthorized_client", 700016)


# -- authorization code with PKCE -------------------------------------------------------------

def pkce():
    verifier = b64url(os.urandom(32))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def authorize(redirect, challenge, state, decision="approve",
              scope="https://management.core.windows.net//.default offline_access openid profile"):
    params = {"client_id": AZ_CLI, "response_type": "code", "redirect_uri": redirect, "scope": scope,
              "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
              "prompt": "select_account"}
    path = "/organizations/oauth2/v2.0/authorize"
    s = session()
    page = s.get(url(path), params=params)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"], page.text
    assert 'method="post"' in page.text and "Approve" in page.text and "Decline" in page.text
    assert EMU["user"] in page.text
    # the form posts every parameter back to the same path
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    assert fields["redirect_uri"] == redirect and fields["state"] == state
    fields["decision"] = decision
    r = s.post(url(path), data=fields, allow_redirects=False)
    assert r.status_code == 302, r.text
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == redirect.split("?")[0]
    return dict(urllib.parse.parse_qsl(loc.query))


def redeem(code, redirect, verifier, scope="https://management.core.windows.net//.default offline_access"):
    return session().post(url("/organizations/oauth2/v2.0/token"),
                          data={"grant_type": "authorization_code", "client_id": AZ_CLI, "code": code,
                                "redirect_uri": redirect, "code_verifier": verifier, "scope": scope,
                                "client_info": "1"})


@tap.test
def test_authorization_code_pkce():
    redirect = "http://localhost:38765/"
    verifier, challenge = pkce()
    q = authorize(redirect, challenge, "st-123")
    assert q["state"] == "st-123" and q["code"]
    r = redeem(q["code"], redirect, verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["refresh_token"] and body["client_info"]
    assert claims(body["access_token"])["upn"] == EMU["user"]
    assert arm_get(body["access_token"]).status_code == 200
    # single use
    assert_oauth_error(redeem(q["code"], redirect, verifier), 400, "invalid_grant", 54005)


@tap.test
def test_authorization_code_errors():
    redirect = "http://127.0.0.1:40001/callback"
    verifier, challenge = pkce()
    q = authorize(redirect, challenge, "s1")
    # PKCE mismatch
    assert_oauth_error(redeem(q["code"], redirect, pkce()[0]), 400, "invalid_grant")
    # redirect URI differs from the authorize request
    assert_oauth_error(redeem(q["code"], "http://127.0.0.1:40002/callback", verifier), 400, "invalid_grant")
    # the right verifier still works once
    assert redeem(q["code"], redirect, verifier).status_code == 200
    # declining redirects with access_denied and the state
    q = authorize(redirect, challenge, "s2", decision="decline")
    assert q["error"] == "access_denied" and q["state"] == "s2" and "code" not in q
    # a redirect URI that is not loopback is refused on the page itself
    r = session().get(url("/organizations/oauth2/v2.0/authorize"),
                      params={"client_id": AZ_CLI, "response_type": "code", "redirect_uri": "https://evil.example/",
                              "scope": "openid", "state": "x"}, allow_redirects=False)
    assert r.status_code == 400 and "AADSTS50011" in r.text
    # an unknown code
    assert_oauth_error(redeem("bogus", redirect, verifier), 400, "invalid_grant")


# -- refresh tokens ---------------------------------------------------------------------------

def refresh(rt, scope):
    return session().post(url("/organizations/oauth2/v2.0/token"),
                          data={"grant_type": "refresh_token", "client_id": AZ_CLI, "refresh_token": rt,
                                "scope": scope})


@tap.test
def test_refresh_rotation_and_revocation():
    redirect = "http://localhost:38766/"
    verifier, challenge = pkce()
    q = authorize(redirect, challenge, "r")
    rt1 = redeem(q["code"], redirect, verifier).json()["refresh_token"]
    # another resource from the same refresh token
    r = refresh(rt1, "https://vault.azure.net/.default offline_access")
    assert r.status_code == 200, r.text
    body = r.json()
    assert claims(body["access_token"])["aud"] == "https://vault.azure.net"
    rt2 = body["refresh_token"]
    assert rt2 != rt1
    # the old one stopped working
    assert_oauth_error(refresh(rt1, "https://vault.azure.net/.default"), 400, "invalid_grant")
    r = refresh(rt2, "https://management.core.windows.net//.default offline_access")
    assert r.status_code == 200
    rt3 = r.json()["refresh_token"]
    assert claims(r.json()["access_token"])["aud"] == "https://management.core.windows.net/"
    # revoked for the user
    r = control("refresh-tokens/revoke", {"user": EMU["user"]})
    assert r.status_code == 200 and r.json()["revoked"] >= 1
    assert_oauth_error(refresh(rt3, "https://vault.azure.net/.default"), 400, "invalid_grant", 50173)


# -- tokens as the other endpoints see them ---------------------------------------------------

@tap.test
def test_forged_and_expired_tokens():
    tok = client_secret_token()["access_token"]
    h, p, s = tok.split(".")
    c = claims(tok)
    c["oid"] = "00000000-0000-0000-0000-000000000000"
    forged = ".".join([h, b64url(json.dumps(c).encode()), s])
    r = vault_get(forged)
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert r.json()["error"]["code"] == "Unauthorized"
    assert vault_get(None).status_code == 401
    assert vault_get("garbage").status_code == 401
    # a token of another tenant is refused by the vault
    with kvbtest.Emulator("--token-lifetime", "2", "--no-proxy") as short:
        s2 = requests.Session()
        s2.verify = short["ca"]
        s2.trust_env = False
        r = s2.post(short["url"] + "/%s/oauth2/v2.0/token" % short["tenant"],
                    data={"grant_type": "client_credentials", "client_id": short["client_id"],
                          "client_secret": short["client_secret"],
                          "scope": "https://management.azure.com/.default"})
        assert r.status_code == 200 and r.json()["expires_in"] == 2
        t = r.json()["access_token"]
        r = s2.get(short["url"] + "/subscriptions?api-version=2022-12-01", headers={"Authorization": "Bearer " + t})
        assert r.status_code == 200, r.text
        time.sleep(3.1)
        r = s2.get(short["url"] + "/subscriptions?api-version=2022-12-01", headers={"Authorization": "Bearer " + t})
        assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken", r.text
    # a token from one run of the stand-in means nothing to another
    assert vault_get(t).status_code == 401


@tap.test
def test_discovery_documents():
    s = session()
    r = s.get(url("/common/discovery/instance"),
              params={"api-version": "1.1",
                      "authorization_endpoint": "https://login.microsoftonline.com/%s/oauth2/v2.0/authorize" % EMU["tenant"]})
    assert r.status_code == 200
    assert r.json()["tenant_discovery_endpoint"] == url("/%s/v2.0/.well-known/openid-configuration" % EMU["tenant"])
    for tenant in (EMU["tenant"], "contoso.onmicrosoft.com", "organizations", "common"):
        cfg = s.get(url("/%s/v2.0/.well-known/openid-configuration" % tenant)).json()
        for k in ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint", "issuer"):
            assert cfg[k].startswith(EMU["url"] + "/"), (k, cfg[k])
    cfg = s.get(url("/adfs/.well-known/openid-configuration")).json()
    assert cfg["token_endpoint"] == url("/adfs/oauth2/token")
    r = s.post(url("/adfs/oauth2/token"), data={"grant_type": "client_credentials", "client_id": EMU["client_id"],
                                                "client_secret": EMU["client_secret"],
                                                "scope": "https://management.core.windows.net//.default"})
    assert r.status_code == 200, r.text
    r = s.get(url("/no-such-tenant.example/v2.0/.well-known/openid-configuration"))
    assert_oauth_error(r, 400, "invalid_request", 90002)


def main():
    global EMU
    try:
        EMU = kvbtest.Emulator("--token-lifetime", "120")
        EMU.start()
    except kvbtest.Skip as e:
        return tap.run(setup_skip=str(e))
    try:
        return tap.run()
    finally:
        EMU.stop()


if __name__ == "__main__":
    sys.exit(main())
