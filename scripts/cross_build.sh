#!/usr/bin/env bash
# Cross-builds every device-side source for Cortex-M4 (arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb
# -Os, C11, all warnings as errors), prints .text/.data/.bss per component, and fails if any
# device object references the heap (malloc/calloc/realloc/free) or OS calls.
# Device components: src/{common,image,crypto,flash,boot,smp,transport}, excluding any host/ folder.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${CROSS_OUT:-build-arm}
CC=arm-none-eabi-gcc
command -v $CC >/dev/null || { echo "cross: $CC missing (run scripts/deps.sh)"; exit 1; }
# Fresh outputs; the fetched third-party sources (mbedTLS for the firmware) are kept.
mkdir -p "$OUT"
find "$OUT" -mindepth 1 -maxdepth 1 ! -name third_party -exec rm -rf {} +
mkdir -p "$OUT/sysinc"
# Third-party headers only (no host libc): mbedTLS, PSA, libsodium. (CBOR is dfukit's own code.)
for h in mbedtls psa sodium sodium.h; do
    [ -e /usr/include/$h ] && cp -r /usr/include/$h "$OUT/sysinc/"
done
CFLAGS=(-mcpu=cortex-m4 -mthumb -Os -std=c11 -ffunction-sections -fdata-sections -fstack-usage
        -Wall -Wextra -Werror -Wconversion -Wsign-conversion -Wmissing-prototypes -Wshadow
        -Wno-unused-parameter -Iinclude -isystem "$OUT/sysinc" -DDFU_TARGET_CORTEX_M=1)
printf "%-10s %8s %8s %8s %6s\n" component text data bss files
status=0
for comp in common image crypto flash boot smp transport; do
    [ -d src/$comp ] || continue
    mapfile -t srcs < <(find src/$comp -name '*.c' -not -path '*/host/*' | sort)
    [ ${#srcs[@]} -gt 0 ] || continue
    objs=()
    for s in "${srcs[@]}"; do
        o="$OUT/$comp/$(echo "${s#src/$comp/}" | tr / _).o"
        mkdir -p "$(dirname "$o")"
        $CC "${CFLAGS[@]}" -Isrc/$comp -Isrc -c "$s" -o "$o"
        objs+=("$o")
    done
    read -r t d b < <(arm-none-eabi-size -t "${objs[@]}" | tail -1 | awk '{print $1, $2, $3}')
    printf "%-10s %8s %8s %8s %6s\n" "$comp" "$t" "$d" "$b" "${#objs[@]}"
    bad=$(arm-none-eabi-nm -u "${objs[@]}" | awk '{print $2}' |
          grep -E '^(malloc|calloc|realloc|free|fopen|printf|fprintf|open|read|write|time|exit|abort)$' | sort -u || true)
    if [ -n "$bad" ]; then
        echo "cross: component $comp references forbidden symbols: $bad"; status=1
    fi
done
# Worst stack frame per component (from -fstack-usage).
for comp in common image crypto flash boot smp transport; do
    [ -d "$OUT/$comp" ] || continue
    w=$(cat "$OUT/$comp"/*.su 2>/dev/null | sort -t$'\t' -k2 -n | tail -1 || true)
    [ -n "$w" ] && echo "stack-max $comp: $w"
done
[ $status -eq 0 ] && echo "cross: device code builds for Cortex-M4 with no heap/OS symbols"
exit $status
