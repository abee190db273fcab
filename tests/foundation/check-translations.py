#!/usr/bin/env python3
"""Checks the translations as a translator and a Japanese user would notice them.

1. Every source file that marks strings for translation is listed in po/POTFILES.in, and every file
   listed exists.
2. po/ja.po passes msgfmt --check.
3. Extracting the strings afresh (xgettext with the glib preset's keywords) and merging them into
   ja.po leaves no untranslated and no fuzzy message.

Prints TAP.  Usage: check-translations.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys
import tempfile

root = sys.argv[1]
po_dir = os.path.join(root, 'po')
results = []


def check(name, ok, detail=''):
    results.append((name, ok, detail))


with open(os.path.join(po_dir, 'POTFILES.in'), encoding='utf-8') as f:
    listed = [l.strip() for l in f if l.strip() and not l.startswith('#')]

missing_files = [p for p in listed if not os.path.exists(os.path.join(root, p))]
check('every file in POTFILES.in exists', not missing_files, ', '.join(missing_files))

marked = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|ngettext)\s*\(\s*"|translatable="yes"')
unlisted = []
for area in ('src/core', 'src/gui', 'src/cli'):
    for dirpath, _dirs, files in os.walk(os.path.join(root, area)):
        for name in files:
            if not name.endswith(('.c', '.ui')):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path, encoding='utf-8', errors='replace') as f:
                if marked.search(f.read()) and rel not in listed:
                    unlisted.append(rel)
check('every file with translatable strings is in POTFILES.in', not unlisted, ', '.join(unlisted))

ja = os.path.join(po_dir, 'ja.po')
r = subprocess.run(['msgfmt', '--check', '-o', os.devnull, ja], capture_output=True, text=True)
check('msgfmt --check po/ja.po', r.returncode == 0, r.stderr.strip())

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, 'messages.pot')
    cmd = ['xgettext', '--from-code=UTF-8', '--add-comments', '--directory', root,
           '--files-from', os.path.join(po_dir, 'POTFILES.in'), '--output', pot,
           '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
           '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
           '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
           '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
           '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
           '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
           '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
           '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
           '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format',
           '--flag=g_snprintf:3:c-format']
    r = subprocess.run(cmd, capture_output=True, text=True)
    check('xgettext extracts the strings', r.returncode == 0 and os.path.exists(pot), r.stderr.strip())
    if os.path.exists(pot):
        merged = os.path.join(tmp, 'ja.po')
        r = subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '--output-file', merged, ja, pot],
                           capture_output=True, text=True)
        check('msgmerge of the fresh template into ja.po', r.returncode == 0, r.stderr.strip())
        if r.returncode == 0:
            # msgfmt's statistics count every message, however msgmerge wrapped it.
            stats = subprocess.run(['msgfmt', '--statistics', '-o', os.devnull, merged],
                                   capture_output=True, text=True).stderr
            n_fuzzy = int((re.search(r'(\d+) fuzzy', stats) or [0, 0])[1])
            n_untranslated = int((re.search(r'(\d+) untranslated', stats) or [0, 0])[1])
            entries = subprocess.run(['msgattrib', '--untranslated', '--no-obsolete', '--no-wrap', merged],
                                     capture_output=True, text=True).stdout
            ids = [i for i in re.findall(r'^msgid "(.*)"$', entries, re.M) if i]
            check('ja has no untranslated message', n_untranslated == 0,
                  f'{n_untranslated} untranslated, e.g. ' + '; '.join(ids[:5]))
            entries = subprocess.run(['msgattrib', '--only-fuzzy', '--no-obsolete', '--no-wrap', merged],
                                     capture_output=True, text=True).stdout
            ids = [i for i in re.findall(r'^msgid "(.*)"$', entries, re.M) if i]
            check('ja has no fuzzy message', n_fuzzy == 0, f'{n_fuzzy} fuzzy, e.g. ' + '; '.join(ids[:5]))

print(f'1..{len(results)}')
for i, (name, ok, detail) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {name}')
    if not ok and detail:
        for line in detail.splitlines():
            print(f'# {line}')
