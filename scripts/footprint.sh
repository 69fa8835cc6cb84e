#!/usr/bin/env bash
# Cortex-M4 footprint of the real firmware, linked with --gc-sections: the bootloader and the SMP
# application of every board port (ports/qemu-mps2-an386, which the QEMU tests run, and
# ports/nrf52832, built for an nRF52832 memory map), built by scripts/firmware.sh into
# build-arm/footprint/<board>/ with the development key (the key does not change the sizes).
#   boot.elf: swap-using-move boot core + image validation, ECDSA-P256/SHA-256 via mbedTLS
#   app.elf:  SMP server (OS + Image groups) + console framing + flash port + boot app API
# Reports .text/.data/.bss per image and component, the worst-case stack from the reset handler
# (scripts/footprint_report.py: -fcallgraph-info=su call graphs, indirect calls resolved) against
# the stack each linker script configures, and compares with bench/footprint-budget.txt: a
# figure more than 5 % above its budget fails, so does a bootloader above 32 KiB of .text or a
# worst-case stack above the configured one.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${FP_OUT:-build-arm/footprint}
rm -rf "$OUT"
mkdir -p "$OUT"
for board in $(ls ports); do
    [ -f "ports/$board/board.h" ] || continue
    bash scripts/firmware.sh --board "$board" --out "$OUT/$board" > "$OUT/$board.log" 2>&1 ||
        { cat "$OUT/$board.log"; echo "footprint: firmware build for $board failed"; exit 1; }
done
python3 scripts/footprint_report.py "$OUT" bench/footprint-budget.txt
