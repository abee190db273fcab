#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/) from the recordings of
the real service (tests/data/recordings) and a few hand-written answers of the kinds the
recordings lack (Entra ID, Resource Manager, manifests).

    extract-seeds.py [--check]

Each seed is named by the SHA-1 of its contents, as libFuzzer names its own.  Run it again after
adding recordings; --check fails when the committed corpora are not what it would write.
"""

import base64
import glob
import hashlib
import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.join(HERE, '..', 'data', 'recordings')
MAX_SEED = 16 * 1024   # big bodies teach the fuzzer nothing the small ones do not


def requests():
    """(method, path and query) of every recorded request."""
    for path in sorted(glob.glob(os.path.join(RECORDINGS, '*.json'))):
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        for r in data.get('networkCallRecords', []) + data.get('Entries', []):
            url = r.get('Url') or r.get('Uri')
            if r.get('Method') and url:
                parts = urllib.parse.urlsplit(url)
                yield r['Method'], parts.path + ('?' + parts.query if parts.query else '')


def records():
    """(status, headers, body) of every recorded answer, whatever the recorder's format."""
    for path in sorted(glob.glob(os.path.join(RECORDINGS, '*.json'))):
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        for r in data.get('networkCallRecords', []):
            resp = {k.lower(): v for k, v in r.get('Response', {}).items()}
            yield resp.get('status_code', resp.get('statuscode')), resp, resp.get('body')
        for e in data.get('Entries', []):
            headers = {k.lower(): v for k, v in (e.get('ResponseHeaders') or {}).items()}
            body = e.get('ResponseBody')
            if body is not None and not isinstance(body, str):
                body = json.dumps(body)
            yield str(e.get('StatusCode')), headers, body
        for status, resp in (data.get('responses') or {}).items():
            body = resp.get('body')
            yield status, resp.get('headers') or {}, json.dumps(body) if body is not None else None


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b'=')


def backup_values():
    """The "value" of every recorded backup answer: base64url text of a blob, whose first byte
    is the length of an "AzureKeyVault…" header."""
    for _, _, body in records():
        if not body:
            continue
        try:
            obj = json.loads(body)
            value = obj.get('value') if isinstance(obj, dict) else None
            raw = base64.urlsafe_b64decode(value + '=' * (-len(value) % 4)) if \
                isinstance(value, str) else b''
        except ValueError:
            continue
        if raw[1:14] == b'AzureKeyVault':
            yield value


def seeds():
    out = {t: set() for t in ('challenge', 'keyvault-json', 'entra-json', 'arm-json',
                              'backup-file', 'manifest', 'emulator')}

    for _, headers, body in records():
        challenge = headers.get('www-authenticate')
        if challenge:
            out['challenge'].add(challenge.encode())
        if body and body.lstrip().startswith(('{', '[')):
            out['keyvault-json'].add(body.encode())

    out['challenge'] |= {
        b'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", '
        b'resource="https://vault.azure.net"',
        b'Bearer authorization="https://login.microsoftonline.com/common", '
        b'scope="https://vault.azure.net/.default"',
        b'Bearer authorization_uri=https://login.chinacloudapi.cn/tenant, '
        b'resource=https://vault.azure.cn/',
        b'Bearer realm="", authorization="https://login.microsoftonline.com/t\\"x", scope=""',
        b'PoP nonce="abc", Bearer resource="https://vault.azure.net"',
    }

    out['keyvault-json'] |= {
        b'{"value":[{"id":"https://contoso.vault.azure.net/secrets/a","attributes":{"enabled":true,'
        b'"created":1,"updated":2}}],"nextLink":"https://contoso.vault.azure.net:443/secrets?'
        b'api-version=7.4&$skiptoken=abc"}',
        b'{"value":[{"kid":"https://contoso.vault.azure.net/keys/k/0123","tags":{"a":"b"},'
        b'"managed":true}],"nextLink":null}',
        b'{"value":[{"id":"https://contoso.vault.azure.net/certificates/c","x5t":"3q2-7w"}],'
        b'"nextLink":"https://elsewhere.example/certificates?x=1"}',
        b'{"recoveryId":"https://contoso.vault.azure.net/deletedsecrets/a",'
        b'"deletedDate":1700000000,"scheduledPurgeDate":1707776000,'
        b'"id":"https://contoso.vault.azure.net/secrets/a/v1"}',
        b'{"error":{"code":"Forbidden","message":"The user is not authorized",'
        b'"innererror":{"code":"ForbiddenByRbac"}}}',
        b'{"error":{"code":"Conflict","message":"Secret a is currently being deleted.",'
        b'"innererror":{"code":"ObjectIsBeingDeleted"}}}',
        b'{"error":{"code":"BadParameter","message":"There was an error restoring the secret '
        b'\'a\'. Cannot decrypt backup blob"}}',
    }

    out['entra-json'] |= {
        b'{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,'
        b'"access_token":"eyJ0eXAi.eyJhdWQi.c2ln"}',
        b'{"token_type":"Bearer","scope":"https://management.azure.com/.default offline_access",'
        b'"expires_in":"3600","access_token":"a.b.c","refresh_token":"r",'
        b'"id_token":"eyJhbGciOiJub25lIn0.' + b64url(json.dumps(
            {'preferred_username': 'ana@contoso.example', 'tid': '72f988bf',
             'oid': '00000000-0000-0000-0000-000000000001'}).encode()) + b'."}',
        b'{"device_code":"DAQABAAEAAA","user_code":"ABCD1234",'
        b'"verification_uri":"https://microsoft.com/devicelogin","expires_in":900,'
        b'"interval":5,"message":"To sign in, use a web browser..."}',
        b'{"device_code":"d","user_code":"u","verification_url":"https://x","interval":"99",'
        b'"expires_in":"abc"}',
        b'{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device '
        b'flow error.\\r\\nTrace ID: 1","error_codes":[70016]}',
        b'{"error":"invalid_grant","error_description":"AADSTS50173: The provided grant has '
        b'expired."}',
        b'{"error":"invalid_client"}',
    }

    out['arm-json'] |= {
        b'{"value":[{"id":"/tenants/72f988bf","tenantId":"72f988bf","displayName":"Contoso",'
        b'"defaultDomain":"contoso.example","tenantCategory":"Home"}]}',
        b'{"value":[{"id":"/subscriptions/0000","subscriptionId":"0000","tenantId":"72f988bf",'
        b'"displayName":"Dev","state":"Enabled"}],"count":{"type":"Total","value":1}}',
        b'{"value":[{"id":"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/'
        b'vaults/contoso","name":"contoso","location":"westeurope","properties":{"vaultUri":'
        b'"https://contoso.vault.azure.net/","tenantId":"72f988bf","enableSoftDelete":true,'
        b'"softDeleteRetentionInDays":7,"enableRbacAuthorization":true,"publicNetworkAccess":'
        b'"Enabled"}}],"nextLink":"https://management.azure.com/subscriptions/0000/providers/'
        b'Microsoft.KeyVault/vaults?api-version=2023-07-01&$skiptoken=x"}',
        b'{"error":{"code":"MissingSubscriptionRegistration","message":"The subscription is not '
        b'registered to use namespace \'Microsoft.KeyVault\'."}}',
        b'{"namespace":"Microsoft.KeyVault","registrationState":"Registered"}',
    }

    for value in backup_values():
        raw = base64.urlsafe_b64decode(value + '=' * (-len(value) % 4))
        if len(raw) > MAX_SEED:
            continue
        out['backup-file'] |= {raw, value.encode(), json.dumps({'value': value}).encode(),
                               b'\xef\xbb\xbf  ' + value.encode() + b'\n'}

    entry = {'kind': 'secret', 'name': 'db', 'status': 'done',
             'file': 'secrets/contoso.db.secret.kvbackup', 'size': 1234,
             'sha256': '00' * 32, 'versions': 2, 'updated': '2026-01-31T12:00:00Z'}
    manifest = {'format': 'kvbackup-vault', 'formatVersion': 1, 'toolVersion': '0.1.0',
                'vaultUri': 'https://contoso.vault.azure.net/', 'subscription': '0000',
                'location': 'westeurope', 'tenant': '72f988bf', 'cloud': 'public',
                'started': '2026-01-31T12:00:00Z', 'finished': '2026-01-31T12:01:00Z',
                'objects': [entry,
                            dict(entry, kind='key', name='k', file='keys/contoso.k.key.kvbackup'),
                            dict(entry, kind='certificate', name='c', status='failed',
                                 reason='x', file='../outside')]}
    out['manifest'] |= {
        json.dumps(manifest, indent=2).encode(),
        json.dumps(dict(manifest, incrementalFrom='../earlier', objects=[])).encode(),
        json.dumps(dict(manifest, formatVersion=2)).encode(),
    }

    # The stand-in gets the requests the SDKs sent, with a body where one belongs.
    values = sorted(v for v in backup_values() if len(v) < MAX_SEED // 2)
    for method, path in requests():
        body = b''
        if path.split('?')[0].endswith('/restore') and values:
            body = json.dumps({'value': min(values, key=len)}).encode()
        elif method in ('PUT', 'PATCH', 'POST'):
            body = b'{"value":"v","contentType":"text/plain","attributes":{"enabled":true,' \
                   b'"exp":1900000000},"tags":{"a":"b"}}'
        out['emulator'].add(f'{method} {path}\n'.encode() + body)
    out['emulator'] |= {
        b'GET /secrets?api-version=7.4&maxresults=2\n',
        b'GET /deletedsecrets?api-version=7.4\n',
        b'PUT /secrets/fuzz?api-version=7.4\n{"value":"x"}',
        b'POST /keys/restore?api-version=7.4\n{"value":"AAAA"}',
        b'OPTIONS /secrets?api-version=7.4\n',
    }

    return out


def main():
    check = '--check' in sys.argv[1:]
    stale = []
    for target, contents in seeds().items():
        folder = os.path.join(HERE, 'corpus', target)
        want = {hashlib.sha1(c).hexdigest(): c for c in contents if len(c) <= MAX_SEED}
        have = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        if check:
            if have != set(want):
                stale.append(target)
            continue
        os.makedirs(folder, exist_ok=True)
        for name in have - set(want):
            os.unlink(os.path.join(folder, name))
        for name, c in want.items():
            with open(os.path.join(folder, name), 'wb') as f:
                f.write(c)
        print(f'{target}: {len(want)} seeds')
    if stale:
        print('stale corpora: ' + ', '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
