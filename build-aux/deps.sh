#!/usr/bin/env bash
# Installs the Debian packages that building and testing Key Vault Backup needs, and only
# those that are missing, so that a second run costs a second.  Works as root or with sudo.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build gettext
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libsecret-1-dev
  libgnutls28-dev
  # data validation
  appstream desktop-file-utils flatpak-builder
  # the Flatpak test: flatpak-builder runs appstream-compose (appstream-util) inside the SDK
  # and eu-strip (elfutils) on the host; the sandboxed keyring goes through the Secret portal
  # (gnome-keyring is its backend), notifications through the Notification portal (its GTK
  # backend hands them to the session's notification server), the start with the session of
  # scheduled backups through the Background portal (GNOME's backend has it, GTK's does not)
  flatpak appstream-util elfutils xdg-desktop-portal xdg-desktop-portal-gtk
  xdg-desktop-portal-gnome
  # headless session: display, private bus, keyring, accessibility bus
  xvfb xauth dbus gnome-keyring libsecret-tools at-spi2-core
  python3-pyatspi python3-dogtail python3-gi
  # real pointer input for drag and drop (XTEST), as a person drags a file onto the window
  xdotool
  fonts-dejavu-core adwaita-icon-theme gsettings-desktop-schemas librsvg2-common shared-mime-info
  # the Japanese test: its locale is generated with localedef, its text needs a CJK font
  locales fonts-ipafont-gothic
  # Microsoft's own clients, used to check the local Azure stand-in
  python3-azure azure-cli
  # the replay server of the recorded Key Vault answers makes its own test certificate
  openssl
  # memcheck of the parsers and file tests
  valgrind
  # the fuzz targets: clang with libFuzzer and its sanitizer runtimes
  clang libclang-rt-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
((${#missing[@]})) || exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
