#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/<component>/fuzz_*.c) with clang + ASan + UBSan and runs each
# for FUZZ_SECONDS (first argument, default 60) from its committed seed corpus
# (fuzz/<component>/corpus/<target>/). New inputs go to a scratch corpus, never into the repo.
# Prints the final coverage per target; fails on any crash, leak, timeout or sanitizer finding.
set -euo pipefail
SECS=${1:-${FUZZ_SECONDS:-60}}
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=build-fuzz
CC=clang cmake -S . -B $OUT -DDFU_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build $OUT -j "$(nproc)" >/dev/null
shopt -s nullglob
status=0
for bin in $OUT/fuzz/fuzz_*; do
    name=$(basename "$bin")
    src=$(ls fuzz/*/"$name".c | head -1)
    comp=$(basename "$(dirname "$src")")
    seeds="fuzz/$comp/corpus/$name"
    work=$(mktemp -d)
    args=("$work")
    [ -d "$seeds" ] && args+=("$seeds")
    # The imgtool vectors beside the repository are extra read-only seeds (never copied in).
    if [ "$name" = fuzz_image ] && [ -d ../shared/vectors/imgtool/images ]; then
        args+=(../shared/vectors/imgtool/images)
    fi
    log="$OUT/$name.log"
    if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/$name-" "${args[@]}" >"$log" 2>&1; then
        cov=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || echo "cov: ?")
        seedcov=$(grep -E 'INITED' "$log" | grep -oE 'cov: [0-9]+' | head -1 || echo "cov: ?")
        echo "fuzz $name: ok after ${SECS}s; seed corpus ${seedcov:-cov: ?} -> final $cov"
    else
        echo "fuzz $name: FINDING (see $log)"; tail -30 "$log"; status=1
    fi
    rm -rf "$work"
done
exit $status
