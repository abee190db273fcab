#!/usr/bin/env python3
"""Checks that the shared-mime-info type of backup files is recognised as a file manager would.

The type's XML is put into a private XDG_DATA_HOME, update-mime-database builds the database there,
and GIO (the file manager's own guess) is asked about:

1. a real blob (taken from a recorded Key Vault answer) in a file without an extension, as az writes it;
2. the same blob as base64url text, also without an extension;
3. a file named *.kvbackup whose content tells nothing;
4. an unrelated JSON file without an extension, which must not be taken for a backup.

Prints TAP.  Usage: check-mime.py MIME_XML RECORDING_JSON
(MIME_XML may have any name; it is installed as mime/packages/kvbackup.xml.)
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

MIME_TYPE = 'application/x-azure-keyvault-backup'

mime_xml, recording = sys.argv[1], sys.argv[2]
results = []


def check(name, ok, detail=''):
    results.append((name, ok, detail))


def find_value(node):
    """The first "value" string in the recording that decodes to a Key Vault blob."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'value' and isinstance(v, str) and len(v) > 100:
                return v
            if isinstance(v, str) and v.lstrip().startswith('{'):
                try:
                    found = find_value(json.loads(v))
                except ValueError:
                    found = None
            else:
                found = find_value(v)
            if found:
                return found
    elif isinstance(node, list):
        for v in node:
            found = find_value(v)
            if found:
                return found
    return None


with open(recording, encoding='utf-8') as f:
    text = find_value(json.load(f))
if text is None:
    print('1..0 # SKIP no backup blob in the recording')
    sys.exit(0)
blob = base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))

tmp = tempfile.mkdtemp(prefix='kvb-mime-')
try:
    data_home = os.path.join(tmp, 'data')
    os.makedirs(os.path.join(data_home, 'mime', 'packages'))
    shutil.copy(mime_xml, os.path.join(data_home, 'mime', 'packages', 'kvbackup.xml'))
    env = dict(os.environ, XDG_DATA_HOME=data_home, XDG_DATA_DIRS='/usr/local/share:/usr/share')
    r = subprocess.run(['update-mime-database', os.path.join(data_home, 'mime')],
                       env=env, capture_output=True, text=True)
    check('update-mime-database accepts the type', r.returncode == 0 and not r.stderr.strip(),
          r.stderr.strip())

    files = {
        'raw blob without extension': ('backup', blob),
        'base64url text without extension': ('backup-text', text.encode()),
        # Content that says nothing, so that only the name can tell.
        '.kvbackup file by its name': ('contoso.db-password.secret.kvbackup', b'\x00\x01\x02 cut short'),
    }
    unrelated = ('settings', json.dumps({'value': 'not a backup', 'id': 1}, indent=2).encode())
    for name, content in list(files.values()) + [unrelated]:
        with open(os.path.join(tmp, name), 'wb') as f:
            f.write(content)

    # GIO reads the database once per process, so ask it in a process that sees only this one
    # besides the system's.
    probe = '''
import sys
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio
for path in sys.argv[1:]:
    info = Gio.File.new_for_path(path).query_info("standard::content-type", 0, None)
    print(info.get_content_type())
'''
    paths = [os.path.join(tmp, n) for n, _ in list(files.values()) + [unrelated]]
    r = subprocess.run([sys.executable, '-c', probe] + paths, env=env, capture_output=True, text=True)
    types = r.stdout.split()
    if r.returncode != 0 or len(types) != len(paths):
        check('GIO answers for every file', False, r.stderr.strip())
    else:
        for (what, _), found in zip(files.items(), types):
            check(f'GIO takes the {what} for {MIME_TYPE}', found == MIME_TYPE, f'found {found}')
        check('GIO does not take an unrelated JSON file for a backup', types[-1] != MIME_TYPE,
              f'found {types[-1]}')
finally:
    shutil.rmtree(tmp)

print(f'1..{len(results)}')
for i, (name, ok, detail) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {name}')
    if not ok and detail:
        for line in detail.splitlines():
            print(f'# {line}')
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
