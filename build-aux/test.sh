#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test headless, and end
# with one line "N passed, N failed, N skipped".  Exit status non-zero on any failure.
#
# Three builds: the normal one with -Werror runs the whole suite; an AddressSanitizer +
# UndefinedBehaviorSanitizer build runs the C tests (the Python-driven suites exercise the same
# binaries through Microsoft's clients and the accessibility bus, and are too slow under ASan);
# a clang build of only the core, the stand-in and the fuzz targets fuzzes each target of
# tests/fuzz for a few seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$PWD
export LC_ALL=C.UTF-8 LANG=C.UTF-8

bash build-aux/deps.sh

T=$(mktemp -d -t kvb-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
# Tests talk to 127.0.0.1 only; a proxy of the caller's must not capture their traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

# One `meson test` in a private headless session (its own display, bus and keyring) with private
# XDG folders: nothing is written to $HOME, no state is shared between runs, and two runs can go
# side by side.  The window's tests run one at a time (they share a display and the
# accessibility bus), so they run beside the other tests rather than alone after them.
run_tests() {
  local build=$1 logbase=$2 vars=$3 home
  shift 3
  home=$(mktemp -d "$T/$logbase.XXXXXX")
  (
    export XDG_RUNTIME_DIR=$home/run XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config
    export XDG_CACHE_HOME=$home/cache XDG_STATE_HOME=$home/state HOME=$home/home
    mkdir -p "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" \
      "$XDG_STATE_HOME" "$HOME"
    chmod 700 "$XDG_RUNTIME_DIR"
    # shellcheck disable=SC2086
    env $vars bash build-aux/headless-session.sh \
      meson test -C "$build" --no-rebuild --print-errorlogs --logbase "$logbase" "$@"
  )
}

# The window's tests in the background, their lines marked; the other tests in the foreground.
# Each part: extra environment (VAR=VALUE …, or "" for none), then meson test's options.
run_split() {
  local build=$1 gui_vars=$2 gui_args=$3 other_vars=$4 other_args=$5 status=0 gui_pid
  # shellcheck disable=SC2086
  ( set -o pipefail
    run_tests "$build" testlog-gui "$gui_vars" $gui_args 2>&1 | sed -u 's/^/[gui] /' ) &
  gui_pid=$!
  # xvfb-run -a picks the first free display; a second one started in the same instant can
  # pick the same number.
  sleep 2
  # shellcheck disable=SC2086
  run_tests "$build" testlog-other "$other_vars" $other_args || status=1
  wait "$gui_pid" || status=1
  return $status
}

BUILD=${KVB_BUILD_DIR:-$SRC/_build/test}
ASAN_BUILD=${KVB_ASAN_BUILD_DIR:-$SRC/_build/asan}
FUZZ_BUILD=${KVB_FUZZ_BUILD_DIR:-$SRC/_build/fuzz}

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
run_split "$BUILD" "" "--suite gui --num-processes 1" "" "--no-suite gui --num-processes 2" || rc=1
logs+=("$BUILD/meson-logs/testlog-other.json" "$BUILD/meson-logs/testlog-gui.json")

echo "== valgrind memcheck (the parsers' seeds and regressions, the file tests)"
# Definite leaks and invalid reads or writes fail; GLib's and GTK's one-time allocations are
# "still reachable" and not reported.
run_tests "$BUILD" testlog-memcheck "G_SLICE=always-malloc" --suite memcheck --num-processes 2 \
  --timeout-multiplier 4 \
  --wrapper "valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite" \
  || rc=1
# meson names the log after the wrapper.
logs+=("$BUILD/meson-logs/testlog-memcheck-valgrind.json")

if [ "${KVB_SANITIZE:-1}" = 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  setup "$ASAN_BUILD" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
  meson compile -C "$ASAN_BUILD"
  echo "== C tests under the sanitizers"
  export LSAN_OPTIONS=suppressions=$SRC/tests/sanitizers/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
  # intercept_tls_get_addr=0: GCC 12's LeakSanitizer misreads glibc's dynamic TLS vector once
  # GnuTLS's threads exist and its tracer crashes at exit ("Tracer caught signal 11").
  asan_common=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1:intercept_tls_get_addr=0
  # The slow unwinder is needed only where LeakSanitizer must match the suppressions of the
  # graphics stack (the window's tests); elsewhere it makes TLS-heavy tests many times slower
  # for nothing.
  run_split "$ASAN_BUILD" \
    "ASAN_OPTIONS=fast_unwind_on_malloc=0:$asan_common GSK_RENDERER=cairo" \
    "--suite gui --no-suite python --num-processes 1" \
    "ASAN_OPTIONS=fast_unwind_on_malloc=1:$asan_common" \
    "--no-suite python --no-suite slow --no-suite gui --num-processes 2" || rc=1
  logs+=("$ASAN_BUILD/meson-logs/testlog-other.json" "$ASAN_BUILD/meson-logs/testlog-gui.json")
fi

if [ "${KVB_FUZZ:-1}" = 1 ]; then
  echo "== build (libFuzzer, clang)"
  # Only the core, the stand-in and the fuzz targets (the alias fuzz-targets) are built here.
  CC=clang setup "$FUZZ_BUILD" --buildtype=debug -Dfuzzing=true \
    -Dfuzz_seconds="${KVB_FUZZ_SECONDS:-12}" -Db_sanitize=address,undefined -Db_lundef=false
  meson compile -C "$FUZZ_BUILD" fuzz-targets
  echo "== fuzzing"
  # The parsers need no display or bus; each target fuzzes for fuzz_seconds and fails on a crash,
  # a leak or a GLib warning, leaving the input in $FUZZ_BUILD/tests/fuzz/fuzz-TARGET.out/.
  ( export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
    export LSAN_OPTIONS=suppressions=$SRC/tests/sanitizers/lsan.supp:print_suppressions=0
    meson test -C "$FUZZ_BUILD" --no-rebuild --print-errorlogs --suite fuzz --logbase testlog-fuzz \
      --num-processes 2 ) || rc=1
  logs+=("$FUZZ_BUILD/meson-logs/testlog-fuzz.json")
fi

/usr/bin/python3 .ci/meson-summary.py "${logs[@]}" || rc=1
exit $rc
