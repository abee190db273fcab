#!/usr/bin/env bash
# Runs a command in a private headless desktop session: its own Xvfb display, its own D-Bus
# session bus, and an unlocked gnome-keyring "login" collection, so that the keyring and the
# accessibility bus are real and nothing of the caller's desktop is touched.
#
#   headless-session.sh COMMAND [ARG...]
#
# The caller sets XDG_* to private folders first: services started on the bus inherit the bus
# daemon's environment, not the command's.
set -euo pipefail

if [ -z "${KVB_IN_BUS:-}" ]; then
  export KVB_IN_BUS=1
  # -noreset: without it Xvfb resets when the last client leaves and the next one fails to connect.
  exec xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp -noreset" \
    dbus-run-session -- "$0" "$@"
fi

# Inside the bus: create and unlock a fresh login keyring, then start the secrets component on it.
echo -n kvb-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
exec "$@"
