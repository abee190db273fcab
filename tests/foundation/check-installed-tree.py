#!/usr/bin/env python3
"""Checks what `meson install` puts into a prefix, as a distribution package would ship it.

The build is installed into a private DESTDIR and:

1. the installed files are exactly those of installed-files.txt (relative to the prefix);
2. programs are executable and everything else is not, and nothing is writable by others;
3. the desktop file names the installed icon, the MIME type of the installed shared-mime-info
   XML, and the D-Bus service that is installed;
4. the metainfo's launchable is the installed desktop file, and it provides both programs;
5. the installed schema compiles (--strict) where GLib looks for it;
6. update-mime-database accepts the installed MIME XML and registers *.kvbackup;
7. the Japanese catalogue is a valid .mo file with messages in it;
8. the installed kvbackup runs and reads its manual from the installed man page.

Prints TAP.  Usage: check-installed-tree.py BUILD_DIR EXPECTED_LIST
"""

import configparser
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

APP_ID = 'io.github.kvbackup.KeyVaultBackup'
MIME_TYPE = 'application/x-azure-keyvault-backup'

build, expected_list = sys.argv[1], sys.argv[2]
results = []


def check(name, ok, detail=''):
    results.append((name, ok, detail))


def prefix_of(build):
    out = subprocess.run(['meson', 'introspect', build, '--buildoptions'], check=True,
                         capture_output=True, text=True).stdout
    import json
    return [o['value'] for o in json.loads(out) if o['name'] == 'prefix'][0]


def main():
    dest = tempfile.mkdtemp(prefix='kvb-install-')
    try:
        run(dest)
    finally:
        shutil.rmtree(dest, ignore_errors=True)

    print('1..%d' % len(results))
    failed = 0
    for n, (name, ok, detail) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
        if not ok:
            failed += 1
            for line in str(detail).splitlines():
                print('# ' + line)
    return 1 if failed else 0


def run(dest):
    proc = subprocess.run(['meson', 'install', '-C', build, '--destdir', dest, '--no-rebuild',
                           '--quiet'], capture_output=True, text=True)
    if proc.returncode != 0:
        check('meson install', False, proc.stdout + proc.stderr)
        return
    root = os.path.join(dest, prefix_of(build).lstrip('/'))

    installed = set()
    for top, _dirs, files in os.walk(dest):
        for f in files:
            installed.add(os.path.relpath(os.path.join(top, f), root))
    with open(expected_list, encoding='utf-8') as f:
        expected = {l.strip() for l in f if l.strip() and not l.startswith('#')}
    check('the installed files are the expected ones', installed == expected,
          'not installed: %s\nnot expected: %s' % (sorted(expected - installed),
                                                    sorted(installed - expected)))

    bad_modes = []
    for rel in sorted(installed):
        mode = os.stat(os.path.join(root, rel)).st_mode
        program = rel.startswith('bin/')
        if bool(mode & stat.S_IXUSR) != program or mode & stat.S_IWOTH or mode & stat.S_IWGRP:
            bad_modes.append('%s %o' % (rel, stat.S_IMODE(mode)))
    check('programs are executable, data is not, nothing is writable by others', not bad_modes,
          '\n'.join(bad_modes))

    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(os.path.join(root, 'share/applications', APP_ID + '.desktop'), encoding='utf-8')
    entry = desktop['Desktop Entry'] if desktop.has_section('Desktop Entry') else {}
    icon = entry.get('Icon', '')
    check('the desktop file names the installed icon',
          icon == APP_ID and
          os.path.exists(os.path.join(root, 'share/icons/hicolor/scalable/apps', icon + '.svg')),
          'Icon=%r' % icon)
    mime_types = [t for t in entry.get('MimeType', '').split(';') if t]
    mime_xml = os.path.join(root, 'share/mime/packages', APP_ID + '.xml')
    declared = []
    if os.path.exists(mime_xml):
        ns = '{http://www.freedesktop.org/standards/shared-mime-info}'
        declared = [e.get('type') for e in ET.parse(mime_xml).getroot().iter(ns + 'mime-type')]
    check('the desktop file opens the installed MIME type',
          MIME_TYPE in mime_types and MIME_TYPE in declared,
          'MimeType=%r, the XML declares %r' % (mime_types, declared))
    service = os.path.join(root, 'share/dbus-1/services', APP_ID + '.service')
    service_text = open(service, encoding='utf-8').read() if os.path.exists(service) else ''
    check('the desktop file is D-Bus activatable and the service is installed',
          entry.get('DBusActivatable') == 'true' and ('Name=' + APP_ID) in service_text and
          os.path.join(prefix_of(build), 'bin', 'key-vault-backup') in service_text,
          'DBusActivatable=%r, service: %r' % (entry.get('DBusActivatable'), service_text))

    metainfo = os.path.join(root, 'share/metainfo', APP_ID + '.metainfo.xml')
    ok, detail = False, 'no metainfo'
    if os.path.exists(metainfo):
        tree = ET.parse(metainfo).getroot()
        launchable = [e.text for e in tree.iter('launchable')]
        binaries = sorted(e.text for e in tree.iter('binary'))
        ok = launchable == [APP_ID + '.desktop'] and binaries == ['key-vault-backup', 'kvbackup']
        detail = 'launchable %r, binaries %r' % (launchable, binaries)
    check('the metainfo launches the installed desktop file and provides both programs', ok,
          detail)

    schemas = os.path.join(root, 'share/glib-2.0/schemas')
    proc = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schemas],
                          capture_output=True, text=True)
    check('the installed schema compiles', proc.returncode == 0, proc.stdout + proc.stderr)

    mime_root = tempfile.mkdtemp(prefix='kvb-mime-')
    try:
        os.makedirs(os.path.join(mime_root, 'packages'))
        shutil.copy(mime_xml, os.path.join(mime_root, 'packages'))
        proc = subprocess.run(['update-mime-database', '-n', mime_root], capture_output=True,
                              text=True)
        globs = ''
        if os.path.exists(os.path.join(mime_root, 'globs2')):
            globs = open(os.path.join(mime_root, 'globs2'), encoding='utf-8').read()
        check('update-mime-database registers *.kvbackup from the installed XML',
              proc.returncode == 0 and (MIME_TYPE + ':*.kvbackup') in globs,
              proc.stderr + globs)
    finally:
        shutil.rmtree(mime_root, ignore_errors=True)

    mo = os.path.join(root, 'share/locale/ja/LC_MESSAGES/key-vault-backup.mo')
    proc = subprocess.run(['msgunfmt', mo], capture_output=True, text=True)
    check('the Japanese catalogue is installed and readable',
          proc.returncode == 0 and proc.stdout.count('msgid "') > 100,
          proc.stderr[:500])

    env = dict(os.environ, MANPATH=os.path.join(root, 'share/man'), MANWIDTH='80',
               MAN_KEEP_FORMATTING='0', LC_ALL='C.UTF-8')
    env.pop('KVB_LOCALEDIR', None)
    kvbackup = os.path.join(root, 'bin/kvbackup')
    proc = subprocess.run([kvbackup, '--version'], capture_output=True, text=True, env=env)
    man = subprocess.run(['man', '-P', 'cat', 'kvbackup'], capture_output=True, text=True, env=env)
    check('the installed kvbackup runs, and its manual is found under the prefix',
          proc.returncode == 0 and 'kvbackup' in proc.stdout and
          (shutil.which('man') is None or 'incremental' in man.stdout),
          proc.stdout + proc.stderr + man.stderr[:300])


if __name__ == '__main__':
    sys.exit(main())
