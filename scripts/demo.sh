#!/usr/bin/env bash
# The main job on the simulated device. Until the simulator lands this runs the image tool on a
# sample: make a key, sign a sample application, verify it and print its info.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
head -c 40000 /dev/urandom > "$D/app.bin"
set -x
"$BUILD/dfukit" image keygen -k "$D/key.pem" -t ecdsa-p256
"$BUILD/dfukit" image sign -k "$D/key.pem" --header-size 0x200 --pad-header -S 0x32000 \
    --align 4 -v 1.2.3 "$D/app.bin" "$D/app.signed.bin"
"$BUILD/dfukit" image verify -k "$D/key.pem" "$D/app.signed.bin"
"$BUILD/dfukit" image info "$D/app.signed.bin"
