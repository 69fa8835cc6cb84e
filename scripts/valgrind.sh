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
# A flash file laid out like an nRF52832: image 1.0.0 in slot 0, a padded (pending test) 2.0.0
# in slot 1, so `dfukit boot` validates both and performs a swap-using-move.
run "$X" image sign -k "$D/k.pem" -H 0x200 --pad-header -S 0x32000 --align 4 -v 2.0.0 --pad \
    "$D/app.bin" "$D/app2.padded.bin"
head -c $((0x80000)) /dev/zero | tr '\0' '\377' >"$D/flash.bin"
dd if="$D/app.signed.bin" of="$D/flash.bin" bs=1 seek=$((0xC000)) conv=notrunc status=none
dd if="$D/app2.padded.bin" of="$D/flash.bin" bs=1 seek=$((0x3E000)) conv=notrunc status=none
"$X" image getpub -k "$D/k.pem" -e pem -o "$D/k.pub.pem"
run "$X" boot --flash "$D/flash.bin" --geometry nrf52832 --strategy move -k "$D/k.pub.pem"
grep -q '"swap_type":"test"' "$D/out.txt" && grep -q '"version":"2.0.0+0"' "$D/out.txt" ||
    { echo "valgrind: expected a test swap from dfukit boot:"; cat "$D/out.txt"; exit 1; }
# --conn ble: through the BlueZ stand-in on a private dbus-daemon: scan, pairing (no passkey,
# wrong, right), doctor, upload, update A -> B -> A with a forgotten bond, dfukit under memcheck.
if [ -x "$BUILD/bluez-standin" ] && command -v dbus-daemon >/dev/null; then
    if ! bash tests/bluez/test_bluez.sh "$BUILD" --valgrind >"$D/bluez.txt" 2>&1; then
        echo "valgrind: test_bluez --valgrind failed:"; tail -30 "$D/bluez.txt"; exit 1
    fi
    echo "valgrind: clean: dfukit over ble: ($(tail -1 "$D/bluez.txt"))"
fi
