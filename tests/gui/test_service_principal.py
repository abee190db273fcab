#!/usr/bin/python3
# test_service_principal.py: service-principal sign-in from the welcome page.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the stand-in and the application with a cloud profile that points at it.  Over the
# accessibility bus: the service-principal dialog takes the tenant, the client id and a wrong
# secret, and the page says why the sign-in failed; with the stand-in's real secret the account
# shows in the sidebar with its subscriptions, and no secret is kept for the next dialog.

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

    def entry(dialog, title):
        # An AdwEntryRow is a text field named by its title.
        return wait_for(lambda: find(dialog, lambda a: a.getRoleName() in ("text", "password text") and
                                     a.name == title), what=title)

    def open_dialog():
        click(wait_for(lambda: find(frame, lambda a: a.getRoleName() == "push button" and
                                    a.name.startswith("Sign in as a service principal") and
                                    "click" in kvbgui.actions(a)), what="the service principal button"))
        return app.toplevel("Sign In as Service Principal")

    def fill(secret):
        dialog = open_dialog()
        kvbgui.set_text(entry(dialog, "Tenant ID or domain"), info["tenant"])
        kvbgui.set_text(entry(dialog, "Application (client) ID"), info["client_id"])
        kvbgui.set_text(entry(dialog, "Client secret"), secret)
        click(wait_for(lambda: find(dialog, lambda a: a.getRoleName() == "push button" and
                                    a.name.startswith("_Sign In") and "sensitive" in kvbgui.states(a)),
                       what="an enabled Sign In button"))
        app.toplevel_gone("Sign In as Service Principal")

    def dialog_fields():
        dialog = open_dialog()
        ok = all(entry(dialog, t) for t in ("Tenant ID or domain", "Application (client) ID", "Client secret"))
        # Nothing entered yet: Sign In is not offered.
        button = find(dialog, lambda a: a.getRoleName() == "push button" and a.name.startswith("_Sign In"))
        ok = ok and button is not None and "sensitive" not in kvbgui.states(button)
        click(find(dialog, lambda a: a.getRoleName() == "push button" and a.name.startswith("_Cancel")))
        app.toplevel_gone("Sign In as Service Principal")
        return ok

    tap.check("“Sign in as a service principal” asks for tenant, client id and secret, "
              "and offers Sign In only when they are there", dialog_fields)

    def wrong_secret():
        fill("not-the-secret")
        # The core's message for people, with Entra ID's own error code.
        msg = wait_for(lambda: find(frame, lambda a: a.getRoleName() == "label" and "AADSTS7000215" in a.name),
                       20, what="the error in the page")
        print(f"# the page says: {msg.name}")
        return find(frame, by("label", info["client_id"])) is None

    tap.check("a wrong secret: the page says why the sign-in failed, and no account is added", wrong_secret)

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
        # A new dialog keeps tenant and client id for the next attempt, but not the secret.
        dialog = open_dialog()
        ok = (kvbgui.text_of(entry(dialog, "Client secret")) == "" and
              kvbgui.text_of(entry(dialog, "Tenant ID or domain")) == info["tenant"])
        kvbgui.do_action(dialog, "window.close")
        app.toplevel_gone("Sign In as Service Principal")
        return ok

    tap.check("the page keeps tenant and client id for next time, but not the secret", secret_forgotten)
finally:
    app.stop()
    standin.stop()

sys.exit(tap.finish())
