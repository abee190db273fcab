#!/usr/bin/python3
"""Replays every recording of the real Key Vault in $KVB_RECORDINGS against the stand-in and checks
that each answer has the recorded status, the same headers that matter (WWW-Authenticate,
Retry-After, Content-Type) and the same JSON field names and value types.

Request bodies the recordings left out are rebuilt from what the recorded responses show (the
secret value, the key type, a self-signed certificate policy); a restore sends the blob the
stand-in itself returned for the same object earlier in the sequence.  Eventual consistency
(right after a delete, recover or certificate create) is met the way SDKs meet it: a request whose
answer does not match yet is repeated for a few seconds."""
import glob
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sdk_common import Emulator, Tap  # noqa: E402

NOT_COMPARED = object()   # a request the example implies, whose answer it does not show
HEADERS = ('www-authenticate', 'retry-after', 'content-type')
CERT_POLICY = {'key_props': {'exportable': True, 'kty': 'RSA', 'key_size': 2048, 'reuse_key': False},
               'secret_props': {'contentType': 'application/x-pkcs12'},
               'x509_props': {'subject': 'CN=xyz', 'ekus': [], 'key_usage': ['digitalSignature', 'keyEncipherment'],
                              'validity_months': 12},
               'issuer': {'name': 'Self'}}


def load(path):
    """[(method, url, request_body or None, status, headers(lower-case), body or None)]"""
    with open(path) as f:
        d = json.load(f)
    out = []
    if 'networkCallRecords' in d:
        for r in d['networkCallRecords']:
            resp = r['Response']
            status = int(resp.get('STATUS_CODE') or resp.get('StatusCode'))
            raw = resp.get('BODY', resp.get('Body')) or ''
            headers = {k.lower(): v for k, v in resp.items() if k not in ('BODY', 'Body', 'STATUS_CODE', 'StatusCode')}
            out.append((r['Method'], r.get('Url') or r.get('Uri'), None, status, headers,
                        json.loads(raw) if raw.strip() else None))
    elif 'Entries' in d:
        for r in d['Entries']:
            headers = {k.lower(): v for k, v in r['ResponseHeaders'].items()}
            out.append((r['RequestMethod'], r['RequestUri'], r.get('RequestBody'), int(r['StatusCode']), headers,
                        r.get('ResponseBody')))
    elif 'responses' in d:
        # A REST API example: set the secret it names, then back it up.
        p = d['parameters']
        name = p.get('secret-name')
        base = p['vaultBaseUrl'].rstrip('/')
        out.append(('PUT', '%s/secrets/%s?api-version=%s' % (base, name, p['api-version']), {'value': 'example'},
                    200, {'content-type': 'application/json; charset=utf-8'}, NOT_COMPARED))
        out.append(('POST', '%s/secrets/%s/backup?api-version=%s' % (base, name, p['api-version']), None, 200,
                    {'content-type': 'application/json; charset=utf-8'}, d['responses']['200']['body']))
    return out


def shape(v):
    """The JSON type of a value; null and string count as one for nextLink-style members."""
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, float):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if v is None:
        return 'null'
    if isinstance(v, list):
        return 'array'
    return 'object'


def compare(rec, got, path='$'):
    """Differences in field names and value types, as a list of strings."""
    diffs = []
    if path.endswith('.nextLink') and {shape(rec), shape(got)} <= {'string', 'null'}:
        return diffs
    if shape(rec) != shape(got):
        return ['%s: recorded %s, got %s' % (path, shape(rec), shape(got))]
    if isinstance(rec, dict):
        for k in sorted(set(rec) | set(got)):
            if k not in got:
                diffs.append('%s.%s: missing' % (path, k))
            elif k not in rec:
                diffs.append('%s.%s: not in the recording' % (path, k))
            else:
                diffs += compare(rec[k], got[k], path + '.' + k)
    elif isinstance(rec, list) and rec and got:
        # List items vary (ordinary and certificate-backed secrets); each item the stand-in returns
        # must have the shape of some recorded item.
        for i, item in enumerate(got):
            best = min((compare(r, item, '%s[%d]' % (path, i)) for r in rec), key=len)
            diffs += best
    return diffs


def header_diffs(rec_headers, got_headers):
    diffs = []
    for h in HEADERS:
        rv, gv = rec_headers.get(h), got_headers.get(h)
        if h == 'retry-after':
            # "Retry-After: 0" on some recorded 400/404 answers does not ask the client to wait.
            rv = rv if rv not in (None, '0') else None
            gv = gv if gv not in (None, '0') else None
        if (rv is None) != (gv is None):
            diffs.append('header %s: recorded %r, got %r' % (h, rv, gv))
        elif h == 'www-authenticate' and rv is not None:
            if not re.match(r'^Bearer authorization="[^"]+/[0-9a-f-]+", resource="[^"]+"$', gv):
                diffs.append('header WWW-Authenticate has not the recorded format: %r' % gv)
    return diffs


class Replayer:
    def __init__(self, emu, tap):
        self.emu = emu
        self.tap = tap
        self.backups = {}      # (kind, name) -> value
        self.next_links = {}   # path -> nextLink from the stand-in

    def request_body(self, method, kind, name, tail, rec_body, status, body):
        if rec_body is not None:
            return rec_body
        if method == 'PUT' and kind == 'secrets':
            return {'value': (body or {}).get('value', 'secretValue')}
        if method == 'POST' and kind == 'keys' and tail == 'create':
            key = (body or {}).get('key', {})
            if key.get('kty', 'EC').startswith('EC'):
                return {'kty': key.get('kty', 'EC'), 'crv': key.get('crv', 'P-256')}
            return {'kty': key.get('kty', 'RSA'), 'key_size': 2048}
        if method == 'POST' and kind == 'certificates' and tail == 'create':
            return {'policy': CERT_POLICY}
        if method == 'POST' and name == 'restore':
            return None
        return None

    def replay_entra(self, name, u, status, rec_headers, body):
        """The recorded client's Entra ID discovery calls, on the stand-in's Entra ID (the sanitized
        all-zero tenant becomes the seed's), held to the same standard as the Key Vault answers."""
        path = re.sub(r'/0{8}-0{4}-0{4}-0{4}-0{12}/', '/%s/' % self.emu.info['tenant'], u.path)
        resp = self.emu.direct_session.get(self.emu.info['url'] + path, params=urllib.parse.parse_qsl(u.query))
        diffs = []
        if resp.status_code != status:
            diffs.append('status: recorded %d, got %d' % (status, resp.status_code))
        else:
            diffs += header_diffs(rec_headers, {k.lower(): v for k, v in resp.headers.items()})
            diffs += compare(body, resp.json())
        self.tap.check(not diffs, name, '\n'.join(diffs))

    def replay_file(self, path, vault):
        entries = load(path)
        label = os.path.basename(path)
        if not entries:
            self.tap.check(False, label, 'no request sequence found')
            return
        for i, (method, url, rec_body, status, rec_headers, body) in enumerate(entries):
            u = urllib.parse.urlsplit(url)
            host = u.hostname or ''
            name = '%s step %d: %s %s -> %d' % (label, i + 1, method, u.path, status)
            if host == 'login.microsoftonline.com' and method == 'GET':
                self.replay_entra(name, u, status, rec_headers, body)
                continue
            if not (host.endswith('.vault.azure.net') or host == 'redacted'):
                self.tap.skip(name, 'not a Key Vault or Entra ID request')
                continue
            segs = [s for s in u.path.split('/') if s]
            kind = segs[0] if segs else ''
            obj = segs[1] if len(segs) > 1 else ''
            tail = segs[2] if len(segs) > 2 else ''
            query = urllib.parse.parse_qs(u.query)
            target = self.emu.vault_url(vault) + u.path
            params = {'api-version': query.get('api-version', ['7.3'])[0]}
            if '$skiptoken' in query:
                link = self.next_links.get(u.path)
                if not link:
                    self.tap.skip(name, 'the stand-in has fewer objects than the recorded vault: no further page')
                    continue
                target, params = link, {}
            req_body = self.request_body(method, kind, obj, tail, rec_body, status, body)
            if method == 'POST' and obj == 'restore' and kind in ('secrets', 'keys', 'certificates'):
                if status == 400:
                    req_body = {'value': 'JkF6dXJlS2V5VmF1bHRLZXlCYWNrdXBWMS5taWNyb3NvZnQuY29tbm90LWEtamV3ZQ'}
                else:
                    blob = [v for (k, n), v in self.backups.items() if k == kind]
                    req_body = {'value': blob[-1] if blob else ''}
            anonymous = status == 401
            deadline = time.monotonic() + 15
            while True:
                headers = {}
                if not anonymous:
                    headers['Authorization'] = 'Bearer ' + self.emu.token()
                if anonymous:
                    data = b''
                    headers['Content-Type'] = 'application/json'
                else:
                    data = json.dumps(req_body).encode() if req_body is not None else b''
                    if req_body is not None:
                        headers['Content-Type'] = 'application/json'
                resp = self.emu.direct(method, target, params=params, data=data, headers=headers)
                try:
                    got = resp.json() if resp.content else None
                except ValueError:
                    got = '<not JSON>'
                got_headers = {k.lower(): v for k, v in resp.headers.items()}
                diffs = []
                if resp.status_code != status:
                    diffs.append('status: recorded %d, got %d: %s' % (status, resp.status_code, resp.text[:300]))
                else:
                    diffs += header_diffs(rec_headers, got_headers)
                    if body is not NOT_COMPARED and (body is not None or got is not None):
                        diffs += compare(body, got)
                # GETs, and requests the stand-in refused (a refusal changes nothing), are repeated
                # while the answer does not match yet: after a purge the real SDK tests waited
                # 20 s to 4 min before restoring; SDKs poll GETs after deletes and recovers.
                if not diffs or time.monotonic() > deadline:
                    break
                if method != 'GET' and not (resp.status_code >= 400 and status < 400):
                    break
                time.sleep(0.25)
            if isinstance(got, dict):
                if tail == 'backup' and 'value' in got:
                    self.backups[(kind, obj.lower())] = got['value']
                if got.get('nextLink'):
                    self.next_links[u.path] = got['nextLink']
                elif 'nextLink' in got:
                    self.next_links.pop(u.path, None)
            self.tap.check(not diffs, name, '\n'.join(diffs))


def main():
    folder = os.environ.get('KVB_RECORDINGS')
    tap = Tap()
    # The recordings ship with the project (tests/data/recordings): without them this test
    # would prove nothing, so their absence is a failure.
    found = sorted(glob.glob(os.path.join(folder, '*.json'))) if folder else []
    if not found:
        tap.check(False, 'recordings found', 'no recordings in %r (KVB_RECORDINGS)' % folder)
        return tap.done()
    files = sorted(glob.glob(os.path.join(folder, '*.json')))
    emu = Emulator()
    try:
        rep = Replayer(emu, tap)
        tap.check(len(files) >= 20, 'found the recordings (%d files)' % len(files))
        # Each recording gets a fresh vault of its own, as each SDK test ran on its own names.
        # The recorded vault of TestGetPropertiesOfSecret held about 140 secrets (six pages); its
        # stand-in vault is filled likewise so that every recorded page is replayed.
        for i, f in enumerate(files):
            big = 'TestGetPropertiesOfSecret' in os.path.basename(f)
            rep.replay_file(f, 'kvbrec-big' if big else 'kvbrec-%02d' % (i % 30 + 1))
    finally:
        emu.stop()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
