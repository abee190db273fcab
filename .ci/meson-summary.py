#!/usr/bin/env python3
"""Print the closing line "N passed, N failed, N skipped" from meson's testlog.json files.

TAP tests count per subtest: "ok" passed, "ok ... # SKIP" skipped, "not ok ... # TODO" skipped, any other
"not ok" failed.  A test without TAP lines counts once by its result.  A TAP test that crashed, timed out
or failed without a "not ok" line adds one failure, and a missing or empty log is a failure: a run that
tested nothing never reads as a pass.
"""

import json
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\b(.*)$')


def tail(test, n=12):
    """The last lines a failed test printed, to go with its name."""
    out = (test.get('stdout') or test.get('stdo') or '') + (test.get('stderr') or '')
    lines = [l for l in out.splitlines() if l.strip()]
    return ['    ' + l[:300] for l in lines[-n:]]


def count(path, failures):
    passed = failed = skipped = 0
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = [line for line in f if line.strip()]
    except OSError as e:
        print(f'{path}: {e}', file=sys.stderr)
        return 0, 1, 0
    if not lines:
        print(f'{path}: empty test log', file=sys.stderr)
        return 0, 1, 0

    for line in lines:
        test = json.loads(line)
        result = test.get('result', 'ERROR')
        tap = [TAP_LINE.match(l) for l in (test.get('stdout') or test.get('stdo') or '').splitlines()]
        tap = [m for m in tap if m]
        before = len(failures)
        if tap:
            had_failure = False
            for m in tap:
                verdict, rest = m.group(1), m.group(2)
                directive = rest.split('#', 1)[1].strip().upper() if '#' in rest else ''
                if verdict == 'ok':
                    if directive.startswith('SKIP'):
                        skipped += 1
                    else:
                        passed += 1
                elif directive.startswith('TODO'):
                    skipped += 1
                else:
                    failed += 1
                    had_failure = True
                    failures.append(f'{test.get("name")}: not ok{rest}')
            if result in ('FAIL', 'ERROR', 'TIMEOUT', 'UNEXPECTEDPASS', 'INTERRUPT') and not had_failure:
                failures.append(f'{test.get("name")}: {result} without a failing subtest')
                failed += 1
        elif result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
        else:
            failed += 1
            failures.append(f'{test.get("name")}: {result}')
        if len(failures) > before:
            failures.extend(tail(test))
    return passed, failed, skipped


def main():
    totals = [0, 0, 0]
    failures = []
    for path in sys.argv[1:]:
        for i, n in enumerate(count(path, failures)):
            totals[i] += n
    # Named again just above the closing line: a reader who sees only the end of a long run
    # still learns which test failed.
    for line in failures:
        print(line if line.startswith('    ') else f'FAILED {line}')
    if not sys.argv[1:]:
        totals[1] += 1
    print(f'{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped')
    return 1 if totals[1] else 0


if __name__ == '__main__':
    sys.exit(main())
