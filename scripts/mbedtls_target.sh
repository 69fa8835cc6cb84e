#!/usr/bin/env bash
# Sourced by scripts/firmware.sh (and through it scripts/footprint.sh): mbedTLS 2.28 for the
# Cortex-M4 target, from Debian's source package (apt-get source; a deb-src entry is added when
# none exists), built once per configuration with firmware/mbedtls_config.h.
#   mbedtls_target_lib OUTDIR   -> prints the path of libmbedcrypto-fw.a (built if missing or if
#                                  the configuration changed); the headers are in
#                                  $MBEDTLS_TP/mbedtls/include.
MBEDTLS_TP=${MBEDTLS_TP:-build-arm/third_party}

mbedtls_target_fetch() {
    [ -d "$MBEDTLS_TP/mbedtls/library" ] && return 0
    mkdir -p "$MBEDTLS_TP"
    local ver
    ver=$(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null | sed 's/-[^-]*$//')
    if ! grep -rqs '^[^#]*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "mbedtls: adding a deb-src entry for Debian's source packages" >&2
        local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
            $SUDO tee /etc/apt/sources.list.d/dfukit-src.sources >/dev/null
        $SUDO apt-get update -qq
    fi
    (cd "$MBEDTLS_TP" && apt-get source --download-only "mbedtls=${ver}-1" >/dev/null 2>&1 ||
                         apt-get source --download-only mbedtls >/dev/null 2>&1)
    local tarball
    tarball=$(ls "$MBEDTLS_TP"/mbedtls_*.orig.tar.* 2>/dev/null | head -1)
    if [ -z "$tarball" ]; then
        echo "mbedtls: could not fetch Debian's mbedtls source package (apt-get source mbedtls)" >&2
        return 1
    fi
    mkdir -p "$MBEDTLS_TP/mbedtls"
    tar xf "$tarball" -C "$MBEDTLS_TP/mbedtls" --strip-components=1
    echo "mbedtls: source $(basename "$tarball")" >&2
}

mbedtls_target_lib() {
    local out=$1 root
    root=$(pwd)
    mbedtls_target_fetch || return 1
    local flags=(-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -std=c99
                 -fcallgraph-info=su -fno-partial-inlining
                 -I"$root/$MBEDTLS_TP/mbedtls/include" -I"$root/firmware" -I"$root/src/crypto"
                 "-DMBEDTLS_CONFIG_FILE=\"mbedtls_config.h\"")
    local stamp
    stamp=$(cat firmware/mbedtls_config.h src/crypto/mbedtls/dfu_mbedtls_target.h \
                <(echo "${flags[*]}") | sha256sum | cut -c1-16)
    local lib="$out/libmbedcrypto-fw.a"
    if [ ! -f "$lib" ] || [ "$(cat "$out/.config" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$out"; mkdir -p "$out"
        ls "$MBEDTLS_TP"/mbedtls/library/*.c | xargs -P 2 -I{} sh -c \
            "arm-none-eabi-gcc ${flags[*]@Q} -c {} -o $out/\$(basename {} .c).o" || return 1
        arm-none-eabi-ar rcs "$lib" "$out"/*.o
        echo "$stamp" > "$out/.config"
        echo "mbedtls: built for Cortex-M4 ($lib)" >&2
    fi
    echo "$lib"
}
