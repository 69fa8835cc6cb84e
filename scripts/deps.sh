#!/usr/bin/env bash
# Installs the Debian packages dfukit needs (idempotent). Prints what it installs.
# Works as root on a fresh Debian 12 machine; uses sudo when not root.
set -euo pipefail
PKGS=(build-essential cmake pkg-config git
      libmbedtls-dev libcbor-dev libsodium-dev libssl-dev liblzma-dev
      gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
      clang libclang-rt-14-dev libfuzzer-14-dev clang-tidy clang-format cppcheck valgrind
      jq python3 python3-cryptography socat groff-base
      qemu-system-arm libsystemd-dev dbus-daemon)
missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PKGS[@]} Debian packages present"
    exit 0
fi
echo "deps: installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed: ${missing[*]}"
