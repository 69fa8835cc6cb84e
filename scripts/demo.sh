#!/usr/bin/env bash
# The main job, end to end on the simulated device (nothing else needed):
#   1. make a signing key and two firmware images (1.0.0 runs first; 2.0.0 confirms itself)
#   2. start `dfukit sim` in the background: nRF52832 flash file, swap-using-move, SMP over UDP
#      on 127.0.0.1, and a BLE timing model so the progress is visible
#   3. `dfukit image list` before, `dfukit update` (upload, test, reset, wait, check, confirm),
#      `dfukit image list` after, `dfukit doctor`
#   4. stop the sim
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
X="$PWD/$BUILD/dfukit"
D=$(mktemp -d)
SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "firmware images (key ecdsa-p256, header 0x200, slot 0x32000)"
head -c 120000 /dev/urandom >"$D/app-a.bin"
head -c 150000 /dev/urandom >"$D/app-b.bin"
"$X" image keygen -k "$D/key.pem" -t ecdsa-p256
"$X" image getpub -k "$D/key.pem" -e pem -o "$D/key.pub.pem"
"$X" image sign -k "$D/key.pem" -H 0x200 --pad-header -S 0x32000 --align 4 -v 1.0.0 \
    --sim-app name=demo-a,confirm=boot "$D/app-a.bin" "$D/a.signed.bin"
"$X" image sign -k "$D/key.pem" -H 0x200 --pad-header -S 0x32000 --align 4 -v 2.0.0 \
    --sim-app name=demo-b,confirm=boot "$D/app-b.bin" "$D/b.signed.bin"
"$X" image verify -k "$D/key.pem" "$D/b.signed.bin"

step "start the simulated device (nrf52832, swap-using-move, UDP, BLE 2M timing model)"
"$X" sim --flash "$D/flash.bin" --geometry nrf52832 --strategy move -k "$D/key.pub.pem" \
    --install "$D/a.signed.bin" --udp 127.0.0.1:0 --link ble,phy=2m,dle=251,ci=7.5,mtu=247 \
    >"$D/sim.out" 2>"$D/sim.log" &
SIM_PID=$!
for _ in $(seq 100); do
    grep -q 'sim: listening udp=' "$D/sim.out" "$D/sim.log" 2>/dev/null && break
    sleep 0.1
done
ADDR=$(grep -ho 'sim: listening udp=[^ ]*' "$D/sim.out" "$D/sim.log" | head -1 | sed 's/.*udp=//')
[ -n "$ADDR" ] || { echo "demo: the simulator did not start"; cat "$D/sim.log"; exit 1; }
cat "$D/sim.log"
CONN="udp:$ADDR"

step "image list (before)"
"$X" image list --conn "$CONN"

step "dfukit update b.signed.bin (test-confirm)"
"$X" update "$D/b.signed.bin" --conn "$CONN"

step "image list (after)"
"$X" image list --conn "$CONN"

step "doctor"
"$X" doctor --conn "$CONN"

step "simulator log"
cat "$D/sim.log"
