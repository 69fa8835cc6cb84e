#!/usr/bin/env bash
# Instruction counts under callgrind (deterministic for a given binary and input):
#   validation instructions per byte vs raw mbedTLS SHA-256 over the same bytes (validate_cost)
#   SMP server instructions per upload chunk (smp_chunk_cost, when built)
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ir() { # total instructions of one run
    if ! valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" "$@" >"$T/cg.log" 2>"$T/cg.err"; then
        echo "bench_callgrind: run failed: $*" >&2; cat "$T/cg.log" >&2; exit 1
    fi
    grep -E '^summary:|^totals:' "$T/cg.out" | head -1 | awk '{print $2}'
}
if [ -x "$BUILD/bench/validate_cost" ]; then
    B=$((0x200 + 200 * 1024))
    n=$(ir "$BUILD/bench/validate_cost" noop)
    s=$(ir "$BUILD/bench/validate_cost" sha256)
    v=$(ir "$BUILD/bench/validate_cost" validate)
    awk -v n="$n" -v s="$s" -v v="$v" -v b="$B" 'BEGIN {
        sp = (s - n) / b; vp = (v - n) / b;
        printf "validate-cost bytes=%d validate_ir_per_byte=%.2f sha256_ir_per_byte=%.2f ratio=%.3f\n", b, vp, sp, vp / sp }'
fi
if [ -x "$BUILD/bench/smp_chunk_cost" ]; then
    n=$(ir "$BUILD/bench/smp_chunk_cost" 0)
    c=$(ir "$BUILD/bench/smp_chunk_cost" 200)
    w=$(ir "$BUILD/bench/smp_chunk_cost" flashonly)
    awk -v n="$n" -v c="$c" -v w="$w" 'BEGIN {
        per = (c - n) / 200; fl = (w - n) / 200;
        printf "smp-chunk-cost chunks=200 server_ir_per_chunk=%.0f flash_write_ir_per_chunk=%.0f ratio=%.2f\n", per, fl, per / fl }'
fi
