#!/usr/bin/env bash
# Cortex-M4 footprint of two real device configurations, linked with --gc-sections:
#   boot: bootloader = boot core (swap-move) + image validation, ECDSA-P256/SHA-256 via mbedTLS
#   smp:  SMP server (OS + Image groups) + serial framing + flash + boot application API
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
    if ! ls /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
            xargs grep -qs 'deb-src'; then
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
MBED_OBJ="$OUT/mbedtls"
if [ ! -f "$MBED_OBJ/.done" ]; then
    mkdir -p "$MBED_OBJ"
    ls "$TP"/mbedtls/library/*.c | xargs -P "$(nproc)" -I{} sh -c \
        "$CC ${MBED_FLAGS[*]@Q} -c {} -o $MBED_OBJ/\$(basename {} .c).o"
    arm-none-eabi-ar rcs "$MBED_OBJ/libmbedcrypto-fp.a" "$MBED_OBJ"/*.o
    touch "$MBED_OBJ/.done"
fi
echo "footprint: mbedTLS built for Cortex-M4"
