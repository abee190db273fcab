#!/usr/bin/python3
# notification-server.py: a desktop notification server on the session bus, for the Flatpak test.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Owns org.freedesktop.Notifications, as a desktop's notification daemon does, and writes each
# Notify call it gets as one JSON line on stdout: {"id", "app_name", "summary", "body",
# "actions": {key: label}}.  A line "invoke ID KEY" on stdin does what a click on the
# notification does: the ActionInvoked signal, then NotificationClosed.  The first line on
# stdout, {"ready": true}, says that the name is owned.

import json
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  </interface>
</node>
"""
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"

loop = GLib.MainLoop()
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
serial = 0


def emit(line):
    print(json.dumps(line), flush=True)


def method_call(connection, sender, path, iface, method, params, invocation):
    global serial
    if method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("kvb-test", "kvbackup", "1", "1.2")))
    elif method == "Notify":
        app_name, replaces, _icon, summary, body, actions, _hints, _timeout = params.unpack()
        if replaces:
            number = replaces
        else:
            serial += 1
            number = serial
        # Actions come as a flat list: key, label, key, label...
        emit({"id": number, "app_name": app_name, "summary": summary, "body": body,
              "actions": dict(zip(actions[0::2], actions[1::2]))})
        invocation.return_value(GLib.Variant("(u)", (number,)))
    elif method == "CloseNotification":
        invocation.return_value(None)
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def command(channel, condition):
    line = sys.stdin.readline()
    if not line:
        loop.quit()
        return False
    words = line.split()
    if len(words) == 3 and words[0] == "invoke":
        number = int(words[1])
        bus.emit_signal(None, PATH, IFACE, "ActionInvoked",
                        GLib.Variant("(us)", (number, words[2])))
        # 2: dismissed by the user, as a click on a notification does.
        bus.emit_signal(None, PATH, IFACE, "NotificationClosed", GLib.Variant("(uu)", (number, 2)))
        bus.flush_sync(None)
        emit({"invoked": number, "action": words[2]})
    return True


node = Gio.DBusNodeInfo.new_for_xml(XML)
bus.register_object(PATH, node.interfaces[0], method_call, None, None)


def acquired(connection, name):
    emit({"ready": True})


def lost(connection, name):
    emit({"lost": name})
    loop.quit()


Gio.bus_own_name_on_connection(bus, IFACE, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, acquired, lost)
GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT,
                  GLib.IOCondition.IN | GLib.IOCondition.HUP, command)
loop.run()
