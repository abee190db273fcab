#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start Key Vault Backup from
# the build tree (its GSettings schema and translations included).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash build-aux/deps.sh

BUILD=${KVB_BUILD_DIR:-_build/run}
if [ -f "$BUILD/build.ninja" ]; then
  meson setup --reconfigure "$BUILD" --buildtype=debugoptimized >/dev/null
else
  meson setup "$BUILD" --buildtype=debugoptimized >/dev/null
fi
meson compile -C "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

# Run from the build tree: the schema compiled there, the icon from the source tree.
export GSETTINGS_SCHEMA_DIR=$BUILD/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}
# The translations compiled in the build tree (LANGUAGE=ja shows Japanese).
export KVB_LOCALEDIR=$BUILD/po
export XDG_DATA_DIRS=$PWD/data:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}
exec "$BUILD/src/gui/key-vault-backup" "$@"
