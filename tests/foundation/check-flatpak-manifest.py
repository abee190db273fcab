#!/usr/bin/env python3
"""Offline lint of the Flatpak manifest: flatpak-builder parses it (--show-manifest, with GLib
warnings fatal), and the rules of the project hold: a numbered org.gnome.Platform runtime, the
application id, a meson module that builds this tree, and finish-args limited to network, ipc,
wayland, fallback-x11 and dri (files go through portals; no secrets hole).  Prints TAP.

Usage: check-flatpak-manifest.py MANIFEST APP_ID
"""

import json
import os
import shutil
import subprocess
import sys

manifest, app_id = sys.argv[1], sys.argv[2]
results = []


def check(name, ok, detail=''):
    results.append((name, ok, detail))


with open(manifest, encoding='utf-8') as f:
    data = json.load(f)

builder = shutil.which('flatpak-builder')
if builder:
    env = dict(os.environ, G_DEBUG='fatal-warnings')
    r = subprocess.run([builder, '--show-manifest', manifest], capture_output=True, text=True, env=env)
    check('flatpak-builder --show-manifest parses the manifest', r.returncode == 0, r.stderr.strip())
else:
    results.append(('flatpak-builder --show-manifest parses the manifest # SKIP flatpak-builder missing',
                    True, ''))

check('app id', data.get('id', data.get('app-id')) == app_id, str(data.get('id')))
check('org.gnome.Platform runtime and Sdk',
      data.get('runtime') == 'org.gnome.Platform' and data.get('sdk') == 'org.gnome.Sdk')
check('numbered runtime version', str(data.get('runtime-version', '')).isdigit(),
      str(data.get('runtime-version')))
check('command is the GUI executable', data.get('command') == 'key-vault-backup')
allowed = {'--share=network', '--share=ipc', '--socket=wayland', '--socket=fallback-x11', '--device=dri'}
args = set(data.get('finish-args', []))
check('finish-args are network, ipc, wayland, fallback-x11 and dri only', args == allowed,
      'extra: %s; missing: %s' % (sorted(args - allowed), sorted(allowed - args)))
modules = data.get('modules', [])
last = modules[-1] if modules else {}
check('the last module builds this project with meson',
      last.get('buildsystem') == 'meson' and last.get('name') == 'key-vault-backup')

print(f'1..{len(results)}')
for i, (name, ok, detail) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {name}')
    if not ok and detail:
        for line in detail.splitlines():
            print(f'# {line}')
