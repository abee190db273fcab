#!/usr/bin/python3
"""The stand-in's backup blobs have the shape of the real ones: every backup value recorded from
Azure ($KVB_RECORDINGS) is decoded and measured, and a blob of the same kind from the stand-in must
match it part for part: the header byte and string, an all-ASCII compact JWE of five parts, the
protected header's members and algorithms, and the sizes of the wrapped key, IV and tag, with a
ciphertext of whole AES blocks."""
import base64
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sdk_common import Emulator, Tap  # noqa: E402


def b64url(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def measure(value):
    raw = b64url(value)
    n = raw[0]
    header = raw[1:1 + n].decode('ascii')
    jwe = raw[1 + n:]
    parts = jwe.split(b'.')
    prot = json.loads(b64url(parts[0].decode()))
    return {
        'header': header,
        'ascii': all(32 <= c < 127 for c in raw[1:]),
        'parts': len(parts),
        'members': sorted(prot),
        'alg': prot.get('alg'), 'enc': prot.get('enc'),
        'ek': len(b64url(parts[1].decode())),
        'iv': len(b64url(parts[2].decode())),
        'ct_blocks': len(b64url(parts[3].decode())) % 16 == 0,
        'tag': len(b64url(parts[4].decode())),
        'padded': '=' in value,
    }


def recorded_blobs(folder):
    """(file, kind, value) for every backup answer in the recordings."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, '*.json'))):
        with open(path) as f:
            d = json.load(f)
        entries = d.get('networkCallRecords') or d.get('Entries') or []
        for e in entries:
            url = e.get('Url') or e.get('Uri') or e.get('RequestUri') or ''
            m = re.search(r'/(secrets|keys|certificates)/[^/?]+/backup', url)
            if not m:
                continue
            resp = e.get('Response') or {}
            body = resp.get('BODY', resp.get('Body')) if resp else e.get('ResponseBody')
            if isinstance(body, str):
                body = json.loads(body) if body.strip() else None
            if isinstance(body, dict) and 'value' in body:
                out.append((os.path.basename(path), m.group(1), body['value']))
        if 'responses' in d and 'BackupSecret' in path:
            out.append((os.path.basename(path), 'secrets', d['responses']['200']['body']['value']))
    return out


def main():
    tap = Tap()
    folder = os.environ.get('KVB_RECORDINGS')
    # The recordings ship with the project (tests/data/recordings): without them this test
    # would prove nothing, so their absence is a failure.
    found = sorted(glob.glob(os.path.join(folder, '*.json'))) if folder else []
    if not found:
        tap.check(False, 'recordings found', 'no recordings in %r (KVB_RECORDINGS)' % folder)
        return tap.done()
    recorded = recorded_blobs(folder)
    tap.check({k for _, k, _ in recorded} == {'secrets', 'keys', 'certificates'},
              'the recordings hold backups of every kind (%d blobs)' % len(recorded))
    emu = Emulator()
    try:
        headers = {'Authorization': 'Bearer ' + emu.token(), 'Content-Type': 'application/json'}
        base = emu.vault_url('kvb-weu')
        ours = {}
        for kind, name in (('secrets', 'db-password'), ('keys', 'signing-key'), ('certificates', 'web-tls')):
            r = emu.direct('POST', '%s/%s/%s/backup?api-version=7.4' % (base, kind, name), headers=headers)
            ours[kind] = measure(r.json()['value'])
            tap.check(r.status_code == 200 and not ours[kind]['padded'], '%s: the stand-in backs up (unpadded)' % kind)
        for label, kind, value in recorded:
            real = measure(value)
            got = ours[kind]
            diffs = []
            for key in ('header', 'ascii', 'parts', 'members', 'ct_blocks', 'ek', 'iv', 'padded'):
                if real[key] != got[key]:
                    diffs.append('%s: recorded %r, stand-in %r' % (key, real[key], got[key]))
            # The tag size follows the content encryption; the older RSA-OAEP/A128CBC-HS256 pair
            # of the 2019-2020 blobs is not what the service writes now.
            if real['enc'] == got['enc'] and (real['alg'], real['tag']) != (got['alg'], got['tag']):
                diffs.append('alg/tag: recorded %r, stand-in %r' % ((real['alg'], real['tag']), (got['alg'], got['tag'])))
            tap.check(not diffs, '%s blob of %s has the recorded shape (%s, %s)' % (kind, label, real['alg'], real['enc']),
                      '\n'.join(diffs))
    finally:
        emu.stop()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
