#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test headless, and end
# with one line "N passed, N failed, N skipped".  Exit status non-zero on any failure.
#
# Two builds: the normal one with -Werror runs the whole suite; an AddressSanitizer +
# UndefinedBehaviorSanitizer build runs the C tests (the Python-driven suites exercise the same
# binaries through Microsoft's clients and the accessibility bus, and are too slow under ASan).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$PWD
export LC_ALL=C.UTF-8 LANG=C.UTF-8

bash build-aux/deps.sh

# Private XDG folders: nothing is written to $HOME and no state is shared between runs.
T=$(mktemp -d -t kvb-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR=$T/run XDG_DATA_HOME=$T/data XDG_CONFIG_HOME=$T/config XDG_CACHE_HOME=$T/cache
export XDG_STATE_HOME=$T/state HOME=$T/home
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME" "$HOME"
chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
# Tests talk to 127.0.0.1 only; a proxy of the caller's must not capture their traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

BUILD=${KVB_BUILD_DIR:-$SRC/_build/test}
ASAN_BUILD=${KVB_ASAN_BUILD_DIR:-$SRC/_build/asan}

setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

rc=0
logs=()

echo "== build (-Werror)"
setup "$BUILD" --buildtype=debug -Dwerror=true
meson compile -C "$BUILD"
echo "== tests"
bash build-aux/headless-session.sh \
  meson test -C "$BUILD" --print-errorlogs --num-processes 2 || rc=1
logs+=("$BUILD/meson-logs/testlog.json")

if [ "${KVB_SANITIZE:-1}" = 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  setup "$ASAN_BUILD" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
  meson compile -C "$ASAN_BUILD"
  echo "== C tests under the sanitizers"
  # The slow unwinder is needed only where LeakSanitizer must match the suppressions of the
  # graphics stack (GTK tests); elsewhere it makes TLS-heavy tests many times slower for nothing.
  export LSAN_OPTIONS=suppressions=$SRC/tests/sanitizers/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
  # intercept_tls_get_addr=0: GCC 12's LeakSanitizer misreads glibc's dynamic TLS vector once
  # GnuTLS's threads exist and its tracer crashes at exit ("Tracer caught signal 11").
  asan_common=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1:intercept_tls_get_addr=0
  ASAN_OPTIONS=fast_unwind_on_malloc=1:$asan_common \
    bash build-aux/headless-session.sh \
      meson test -C "$ASAN_BUILD" --print-errorlogs --num-processes 2 \
        --no-suite python --no-suite slow --no-suite gui \
      || rc=1
  cp "$ASAN_BUILD/meson-logs/testlog.json" "$ASAN_BUILD/meson-logs/testlog-nongui.json"
  logs+=("$ASAN_BUILD/meson-logs/testlog-nongui.json")
  ASAN_OPTIONS=fast_unwind_on_malloc=0:$asan_common GSK_RENDERER=cairo \
    bash build-aux/headless-session.sh \
      meson test -C "$ASAN_BUILD" --print-errorlogs --num-processes 2 \
        --suite gui --no-suite python \
      || rc=1
  logs+=("$ASAN_BUILD/meson-logs/testlog.json")
fi

/usr/bin/python3 .ci/meson-summary.py "${logs[@]}" || rc=1
exit $rc
