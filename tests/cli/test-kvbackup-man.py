#!/usr/bin/python3
# test-kvbackup-man.py: data/kvbackup.1 describes every command of "kvbackup --help" and, in the
# command's own section, every option of "kvbackup COMMAND --help"; the options every command has
# are in COMMON OPTIONS; groff reads the page without a warning.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import kvbtest  # noqa: E402
from kvbtest import check, kvbackup  # noqa: E402

MAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "kvbackup.1")
COMMON = {"--help", "-h", "--cloud", "--json"}

tap = kvbtest.Tap()


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    e["LC_ALL"] = "C.UTF-8"
    e["LANGUAGE"] = "C"
    return e


def plain(roff):
    """The page's text without font changes and escapes, "\\-" as "-"."""
    text = re.sub(r"\\f[BIRP]|\\f\(..", "", roff)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\(em", "-")
    return text


def sections():
    """{"COMMANDS/kvbackup list": text, "COMMON OPTIONS": text, …} from .SH and .SS lines."""
    with open(MAN, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, name, top = {}, None, None
    for line in lines:
        if line.startswith(".SH "):
            top = plain(line[4:]).strip('"')
            name = top
        elif line.startswith(".SS "):
            sub = plain(line[4:]).strip('"').split()
            name = "%s/%s" % (top, " ".join(sub[:2]))
        if name is not None:
            out.setdefault(name, []).append(plain(line))
    return {k: "\n".join(v) for k, v in out.items()}


def words(text):
    """What roff puts together: ".BR -v , --vault" reads "-v, --vault"."""
    return re.sub(r'\s+', " ", re.sub(r'^\.[A-Z]+ ?', "", text, flags=re.M).replace('"', ""))


def commands():
    res = kvbackup(["--help"], env())
    check(res.status == 0, "--help", res)
    block = res.stdout.split("Commands:")[1]
    names = [line.split()[0] for line in block.splitlines() if line.startswith("  ")]
    check(len(names) >= 10, "commands: %r" % names)
    return names


def options(command):
    res = kvbackup([command, "--help"], env())
    check(res.status == 0, "%s --help" % command, res)
    found = set()
    for line in res.stdout.splitlines():
        m = re.match(r"^\s+(?:(-\w), )?(--[\w-]+)", line)
        if m:
            found.update(o for o in m.groups() if o)
    return found


@tap.test
def test_every_command_and_option():
    secs = sections()
    common = words(secs.get("COMMON OPTIONS", ""))
    for option in COMMON:
        check(re.search(r"(^|[\s,=])%s([\s,=]|$)" % re.escape(option), common),
              "%s is not in COMMON OPTIONS" % option)
    for command in commands():
        key = "COMMANDS/kvbackup %s" % command
        check(key in secs, "no section for “kvbackup %s”" % command)
        text = words(secs[key])
        for option in sorted(options(command) - COMMON):
            check(re.search(r"(^|[\s,=\[])%s([\s,=\]]|$)" % re.escape(option), text),
                  "kvbackup %s %s is not in its section of the manual page" % (command, option))


@tap.test
def test_groff_reads_it():
    if shutil.which("groff") is None:
        print("# groff is not installed: not checked", flush=True)
        return
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True,
                          text=True, timeout=60)
    check(proc.returncode == 0 and proc.stderr == "", "groff: %s" % proc.stderr)


def main():
    if not kvbtest.have_kvbackup():
        return tap.run(setup_skip="kvbackup is not built")
    return tap.run()


if __name__ == "__main__":
    sys.exit(main())
