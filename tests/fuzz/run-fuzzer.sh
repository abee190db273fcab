#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, as a test:
#   run-fuzzer.sh TARGET SECONDS OUTDIR SEED_DIR...
# New inputs are kept in OUTDIR/corpus (the next run starts from them), a crashing input is
# written to OUTDIR/ and named in the output.  Exit status 0 only when nothing crashed.
set -euo pipefail
target=$1 seconds=$2 out=$3
shift 3
mkdir -p "$out/corpus"
seeds=()
for d in "$@"; do
  [ -d "$d" ] && seeds+=("$d")
done
# -timeout: an input that takes seconds is a hang; -rss_limit_mb keeps two fuzzers and a build
# side by side on a small machine.
# libFuzzer's own exit status for a crash is 77, which meson reads as "skipped": 1 instead.
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1536 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$out/" "$out/corpus" "${seeds[@]}"
