#!/usr/bin/env bash
# valgrind memcheck over the host tools' main paths: keygen, sign, verify, info, boot.
# Any memcheck error (invalid read/write, uninitialised use, definite leak) fails.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --track-origins=yes)
X="$BUILD/dfukit"
head -c 30000 /dev/urandom >"$D/app.bin"
run() {
    local rc=0
    "${VG[@]}" "$@" >"$D/out.txt" 2>"$D/err.txt" || rc=$?
    if [ $rc -eq 99 ]; then
        echo "valgrind: memcheck errors in: $*"; cat "$D/err.txt"; exit 1
    fi
    echo "valgrind: clean (exit $rc): ${*#$X }"
}
run "$X" image keygen -k "$D/k.pem" -t ecdsa-p256
run "$X" image sign -k "$D/k.pem" -H 0x200 --pad-header -S 0x32000 --align 4 -v 1.0.0 \
    "$D/app.bin" "$D/app.signed.bin"
run "$X" image verify -k "$D/k.pem" "$D/app.signed.bin"
run "$X" image info --json "$D/app.signed.bin"
run "$X" boot --flash "$D/flash.bin" --geometry nrf52832 --strategy move
