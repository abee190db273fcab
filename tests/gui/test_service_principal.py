#!/usr/bin/python3
# test_service_principal.py: service-principal sign-in from the welcome page.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the stand-in and the application with a cloud profile that points at it.  Over the
# accessibility bus: the service-principal form takes the tenant, the client id and a wrong
# secret, and the page says why the sign-in failed; with the stand-in's real secret the account
# shows in the sidebar with its subscriptions, and no secret is kept in the page.

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbgui  # noqa: E402
from kvbgui import by, click, find, find_all, wait_for  # noqa: E402

kvbgui.require_session()

standin = kvbgui.Standin("test-service-principal")
info = standin.info

tap = kvbgui.Tap(5)
app = kvbgui.App("test-service-principal", {"KVB_TEST_CLOUD_PROFILE": standin.profile})
try:
    app.accessible()
    frame = app.toplevel("Key Vault Backup")

    def entry(title):
        # An AdwEntryRow is a text field named by its title.
        return wait_for(lambda: find(frame, lambda a: a.getRoleName() in ("text", "password text") and
                                     a.name == title), what=title)

    def submit_button():
        return find(frame, lambda a: a.getRoleName() == "push button" and
                    a.name.startswith("_Sign In as Service Principal"))

    def open_form():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                    a.name.startswith("Sign in as a service principal") and
                                    "click" in kvbgui.actions(a)), what="the service principal button"))
        return entry("Client secret")

    def fill(secret):
        kvbgui.set_text(entry("Tenant ID or domain"), info["tenant"])
        kvbgui.set_text(entry("Application (client) ID"), info["client_id"])
        kvbgui.set_text(entry("Client secret"), secret)
        click(wait_for(lambda: (lambda b: b if b and "sensitive" in kvbgui.states(b) else None)(submit_button()),
                       what="an enabled Sign In button"))

    def form_fields():
        open_form()
        ok = all(entry(t) for t in ("Tenant ID or domain", "Application (client) ID", "Client secret"))
        # Nothing entered yet: Sign In is not offered.
        button = submit_button()
        return ok and button is not None and "sensitive" not in kvbgui.states(button)

    tap.check("“Sign in as a service principal” asks for tenant, client id and secret, "
              "and offers Sign In only when they are there", form_fields)

    def wrong_secret():
        fill("not-the-secret")
        # The core's message for people, with Entra ID's own error code.
        msg = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and "AADSTS7000215" in a.name),
                       20, what="the error in the page")
        print(f"# the page says: {msg.name}")
        return find(frame, by("label", info["client_id"])) is None and kvbgui.text_of(entry("Client secret")) == ""

    tap.check("a wrong secret: the page says why, forgets the secret, and no account is added", wrong_secret)

    def right_secret():
        fill(info["client_secret"])
        return wait_for(lambda: find(frame, by("label", info["client_id"])), 20, what="the account")

    tap.check("the stand-in's secret: the service principal's account is in the sidebar", right_secret)

    def listed():
        return wait_for(lambda: "Contoso Production" in
                        [a.name for a in find_all(find(frame, by("list", "Subscriptions and vaults")), by("label"))],
                        20, what="subscriptions")

    tap.check("its subscriptions are listed", listed)

    def secret_forgotten():
        # The form keeps tenant and client id for next time, but not the secret.
        open_form()
        return (kvbgui.text_of(entry("Client secret")) == "" and
                kvbgui.text_of(entry("Tenant ID or domain")) == info["tenant"])

    tap.check("the page keeps tenant and client id for next time, but not the secret", secret_forgotten)
finally:
    app.stop()
    standin.stop()

sys.exit(tap.finish())
