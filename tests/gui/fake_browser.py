#!/usr/bin/python3
# fake_browser.py: the "system browser" of the GUI tests.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installed by test_browser.py as the default handler of https: links in the application's
# private XDG folders, so that the application's own "open the browser" call starts it.  It does
# what a person does on the stand-in's sign-in page: opens the address, approves, and follows
# the redirect to the application's loopback listener.  What happened goes, one line per step,
# to the file named by KVB_FAKE_BROWSER_LOG.

import html.parser
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main():
    url = sys.argv[1]
    log = open(os.environ["KVB_FAKE_BROWSER_LOG"], "a")

    def say(line):
        log.write(line + "\n")
        log.flush()

    say("opened " + url)
    time.sleep(float(os.environ.get("KVB_FAKE_BROWSER_DELAY", "0")))
    ctx = ssl.create_default_context(cafile=os.environ["KVB_FAKE_BROWSER_CA"])
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        form = Form()
        form.feed(r.read().decode())
    say(f"approval page with {len(form.fields)} fields")

    form.fields["decision"] = os.environ.get("KVB_FAKE_BROWSER_DECISION", "approve")
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect())
    try:
        opener.open(urllib.request.Request(url, data=urllib.parse.urlencode(form.fields).encode()), timeout=10)
        say("no redirect")
        return 1
    except urllib.error.HTTPError as e:
        location = e.headers.get("Location")
    target = urllib.parse.urlsplit(location)
    say(f"redirected to {target.scheme}://{target.netloc}{target.path}")
    with urllib.request.urlopen(location, timeout=10) as r:
        say(f"listener answered {r.status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
