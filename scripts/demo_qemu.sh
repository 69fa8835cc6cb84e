#!/usr/bin/env bash
# The real firmware in QEMU (`make demo-qemu`, after `make firmware`):
#   1. sign build-fw/app.bin as 1.0.0 and 2.0.0 with the development key (scripts/qemu.sh sign)
#   2. install 1.0.0 into a new FLASH.img, boot the board in QEMU (scripts/qemu.sh run) with UART0
#      on a local TCP port and a copy of everything UART0 prints in a log
#   3. `dfukit image list`, `dfukit update` to 2.0.0 over tcp:, `dfukit image list`,
#      `dfukit bootloader --last-boot`
#   4. the boot lines the bootloader printed, then stop QEMU
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
X="$PWD/$BUILD/dfukit"
Q="$PWD/scripts/qemu.sh"
D=$(mktemp -d)
QEMU_PID=""
cleanup() {
    [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
for f in build-fw/boot.elf build-fw/app.bin; do
    [ -f "$f" ] || { echo "demo-qemu: $f missing: run 'make firmware'"; exit 1; }
done

step "sign the application as 1.0.0 and 2.0.0 (development key, this port's layout)"
bash "$Q" sign build-fw/app.bin "$D/v1.bin" 1.0.0
bash "$Q" sign build-fw/app.bin "$D/v2.bin" 2.0.0

step "install 1.0.0 into the primary slot of a new flash file"
bash "$Q" install "$D/FLASH.img" "$D/v1.bin"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "boot it: qemu-system-arm -M mps2-an386, UART0 on tcp:127.0.0.1:$PORT"
DFU_QEMU_LOG="$D/uart.log" bash "$Q" run "$D/FLASH.img" "$PORT" 2>"$D/qemu.err" &
QEMU_PID=$!
for _ in $(seq 100); do
    grep -q "waiting for connection" "$D/qemu.err" 2>/dev/null && break
    sleep 0.1
done
CONN="tcp:127.0.0.1:$PORT"

step "image list (before)"
"$X" image list --conn "$CONN"

step "dfukit update v2.bin --conn $CONN"
"$X" update "$D/v2.bin" --conn "$CONN"

step "image list (after)"
"$X" image list --conn "$CONN"

step "what the bootloader did (its boot outcome record, served by the application)"
"$X" bootloader --last-boot --conn "$CONN"

step "boot and application lines UART0 printed"
grep -a '^dfukit-' "$D/uart.log"
