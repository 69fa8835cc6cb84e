#!/usr/bin/env bash
# Cortex-M4 footprint of two real device configurations, linked with --gc-sections:
#   boot: bootloader = boot core (swap-move) + image validation, ECDSA-P256/SHA-256 via mbedTLS
#   smp:  SMP server (OS + Image groups, own CBOR codec) + serial framing + flash + boot app API
# Reports .text/.data/.bss per configuration and component, and the worst-case stack per entry
# point (from -fcallgraph-info=su; port calls through function pointers are resolved to the port
# functions listed in the harness). Compares with bench/footprint-budget.txt: any figure more than
# 5 % above its budget fails (update the budget in the same commit when growth is intended).
# mbedTLS for the target comes from Debian's source package (apt-get source, deb-src entry).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${FP_OUT:-build-arm/footprint}
TP=build-arm/third_party
mkdir -p "$OUT" "$TP"

# ---- mbedTLS source (Debian source package) ------------------------------------------------
fetch_mbedtls() {
    [ -d "$TP/mbedtls/library" ] && return 0
    local ver
    ver=$(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null | sed 's/-[^-]*$//')
    if ! grep -rqs '^[^#]*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "footprint: adding a deb-src entry for Debian's source packages"
        local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
            $SUDO tee /etc/apt/sources.list.d/dfukit-src.sources >/dev/null
        $SUDO apt-get update -qq
    fi
    (cd "$TP" && apt-get source --download-only "mbedtls=${ver}-1" >/dev/null 2>&1 ||
                 apt-get source --download-only mbedtls >/dev/null 2>&1)
    local tarball
    tarball=$(ls "$TP"/mbedtls_*.orig.tar.* | head -1)
    mkdir -p "$TP/mbedtls"
    tar xf "$tarball" -C "$TP/mbedtls" --strip-components=1
    cp "$TP/mbedtls/include/mbedtls/config.h" "$TP/mbedtls/include/mbedtls/config_upstream.h"
    echo "footprint: mbedTLS source $(basename "$tarball")"
}
fetch_mbedtls

CC=arm-none-eabi-gcc
ARCH=(-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections)
MBED_FLAGS=("${ARCH[@]}" -std=c99 -I"$TP/mbedtls/include" -Ibench/footprint
            "-DMBEDTLS_CONFIG_FILE=\"fp_mbedtls_config.h\"")
MBED_OBJ="$ROOT/$OUT/mbedtls"
if [ ! -f "$MBED_OBJ/.done" ]; then
    mkdir -p "$MBED_OBJ"
    ls "$TP"/mbedtls/library/*.c | xargs -P "$(nproc)" -I{} sh -c \
        "$CC ${MBED_FLAGS[*]@Q} -c {} -o $MBED_OBJ/\$(basename {} .c).o"
    arm-none-eabi-ar rcs "$MBED_OBJ/libmbedcrypto-fp.a" "$MBED_OBJ"/*.o
    touch "$MBED_OBJ/.done"
fi
echo "footprint: mbedTLS built for Cortex-M4"

# ---- dfukit device sources for the target --------------------------------------------------
DFU_FLAGS=("${ARCH[@]}" -std=c11 -fcallgraph-info=su -Wall -Wextra -Werror -Wno-unused-parameter
           -I"$ROOT/include" -I"$ROOT/src" -I"$ROOT/src/crypto" -I"$ROOT/bench/footprint"
           -I"$ROOT/$TP/mbedtls/include" -isystem "$ROOT/build-arm/sysinc"
           "-DMBEDTLS_CONFIG_FILE=\"fp_mbedtls_config.h\"")
[ -d build-arm/sysinc ] || bash scripts/cross_build.sh >/dev/null
OBJ="$ROOT/$OUT/obj"
rm -rf "$OBJ"; mkdir -p "$OBJ"
compile() { # src -> obj named <component>__<file>.o (the report groups by the prefix)
    local s=$1 comp
    comp=$(echo "$s" | cut -d/ -f2)
    [ "$comp" = footprint ] && comp=harness
    local o="$OBJ/${comp}__$(basename "$s" .c).o"
    local extra=()
    case "$s" in src/crypto/mbedtls/*) extra=(-DFP_BACKEND_DECLS) ;; esac
    (cd "$OBJ" && $CC "${DFU_FLAGS[@]}" "${extra[@]}" -c "$ROOT/$s" -o "$o") || return 1
}
for s in $(find src/common src/image src/flash src/boot src/smp src/transport/framing \
               src/crypto/mbedtls src/crypto/crypto_default.c -name '*.c' -not -path '*/host/*' | sort) \
         bench/footprint/fp_nrf52.c; do
    compile "$s"
done
LINK=(-mcpu=cortex-m4 -mthumb -Os -nostartfiles -specs=nano.specs -specs=nosys.specs
      -Wl,--gc-sections -T bench/footprint/fp.ld)
report=()
for cfg in boot smp; do
    compile bench/footprint/fp_$cfg.c
    (cd "$OBJ" && $CC "${DFU_FLAGS[@]}" -DFP_ENTRY=fp_${cfg}_main \
        -c "$ROOT/bench/footprint/fp_start.c" -o "harness__fp_start_$cfg.o")
    objs=("$OBJ"/*__*.o)
    objs=($(printf '%s\n' "${objs[@]}" | grep -v -E "harness__fp_(boot|smp|start_(boot|smp))\.o$"))
    objs+=("$OBJ/harness__fp_$cfg.o" "$OBJ/harness__fp_start_$cfg.o")
    $CC "${LINK[@]}" -Wl,-Map="$OUT/fp_$cfg.map" -o "$OUT/fp_$cfg.elf" \
        "${objs[@]}" "$MBED_OBJ/libmbedcrypto-fp.a" -lc -lnosys
    if arm-none-eabi-nm "$OUT/fp_$cfg.elf" | grep -qE ' T (malloc|_malloc_r|calloc|free)$'; then
        echo "footprint: $cfg links the libc heap (malloc); device code must not"; exit 1
    fi
done
python3 scripts/footprint_report.py "$OUT" bench/footprint-budget.txt
