#!/usr/bin/env bash
# Runs every benchmark and writes bench/results.md (figures + ratios measured in one run).
#   build/bench/<name>          each prints its own lines (figure and reference in the same run)
#   scripts/bench_callgrind.sh  instruction counts under callgrind (deterministic)
#   scripts/footprint.sh        Cortex-M4 sizes and worst-case stack vs the budget
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
OUT=bench/results.md
tmp=$(mktemp)
{
    echo "# dfukit benchmark results"
    echo
    echo "- commit: \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`, date: $(date -u +%F), machine: $(nproc) cores, $(uname -m)"
    echo "- reproduce: \`make bench\` (writes this file)"
    echo
} >"$tmp"
status=0
shopt -s nullglob
for b in "$BUILD"/bench/*; do
    [ -f "$b" ] && [ -x "$b" ] || continue
    name=$(basename "$b")
    # Instruction-count benches run under callgrind below, not directly.
    case "$name" in validate_cost | smp_chunk_cost) continue ;; esac
    echo "bench: running $name" >&2
    echo "## $name" >>"$tmp"; echo '```' >>"$tmp"
    if ! "$b" 2>&1 | tee -a "$tmp"; then status=1; fi
    echo '```' >>"$tmp"; echo >>"$tmp"
done
if [ -x scripts/bench_callgrind.sh ]; then
    echo "## instruction counts (callgrind)" >>"$tmp"; echo '```' >>"$tmp"
    bash scripts/bench_callgrind.sh "$BUILD" 2>&1 | tee -a "$tmp" || status=1
    echo '```' >>"$tmp"
fi
if command -v arm-none-eabi-gcc >/dev/null; then
    echo "## footprint (Cortex-M4 -Os, scripts/footprint.sh; budget bench/footprint-budget.txt)" >>"$tmp"
    echo '```' >>"$tmp"
    bash scripts/footprint.sh 2>&1 | grep -v '^footprint: mbedTLS' | tee -a "$tmp" || status=1
    echo '```' >>"$tmp"
fi
mv "$tmp" "$OUT"
echo "bench: wrote $OUT"
exit $status
