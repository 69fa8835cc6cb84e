#!/usr/bin/env bash
# The QEMU reference port (ports/qemu-mps2-an386) from the command line:
#   scripts/qemu.sh sign IN.bin OUT.bin VERSION   sign a raw application (build-fw/app.bin) for
#                                                 this port's layout with the development key
#                                                 (SIGN_KEY=private.pem to use another one)
#   scripts/qemu.sh install FLASH.img SIGNED.bin  create FLASH.img (16 MiB, erased) if missing,
#                                                 erase the primary slot, write the image there
#   scripts/qemu.sh run FLASH.img PORT            run the board in the foreground: bootloader
#                                                 build-fw/boot.elf, flash = FLASH.img, UART0 on
#                                                 TCP 127.0.0.1:PORT (`dfukit --conn tcp:...`)
# `run` execs QEMU (same process): it exits when QEMU exits, and SIGTERM/SIGKILL of it is a power
# cut (the flash file keeps every store made before). By default QEMU waits for the first TCP
# client before the board starts (wait=on). Environment for `run`:
#   DFU_QEMU_LOG=FILE   also append everything UART0 sends (boot lines, app lines) to FILE
#   DFU_QEMU_WAIT=off   start at once, without waiting for a client (output before a client
#                       connects goes only to the log)
#   DFU_QEMU_BOOT=ELF   another bootloader ELF (default build-fw/boot.elf)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOARD_H=$ROOT/ports/qemu-mps2-an386/board.h
DFUKIT=${DFUKIT:-$ROOT/build/dfukit}

die() { echo "qemu.sh: $*" >&2; exit 2; }

# Value of a plain numeric #define of board.h.
board() {
    local v
    v=$(awk -v k="$1" '$1 == "#define" && $2 == k {print $3}' "$BOARD_H")
    [ -n "$v" ] || die "board.h has no $1"
    echo $((v))
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

cmd_sign() {
    [ $# -eq 3 ] || usage
    local in=$1 out=$2 ver=$3 key=${SIGN_KEY:-$ROOT/firmware/keys/dev-ecdsa-p256.pem}
    [ -f "$in" ] || die "sign: $in not found (build it with 'make firmware')"
    [ -x "$DFUKIT" ] || die "sign: $DFUKIT missing (make build)"
    local cmd=("$DFUKIT" image sign -k "$key" --header-size "$(board BOARD_IMG_HDR_SIZE)"
               --pad-header --align "$(board BOARD_FLASH_ALIGN)" --max-align 8
               --slot-size "$(board BOARD_SLOT_SIZE)" --version "$ver" "$in" "$out")
    echo "${cmd[*]}"
    "${cmd[@]}"
}

FLASH_BYTES=$((16 * 1024 * 1024))

cmd_install() {
    [ $# -eq 2 ] || usage
    local img=$1 signed=$2
    [ -f "$signed" ] || die "install: $signed not found (sign it first: scripts/qemu.sh sign)"
    local magic
    magic=$(od -An -tx4 -N4 "$signed" | tr -d ' ')
    [ "$magic" = 96f3b83d ] || die "install: $signed is not a signed MCUboot image (magic $magic; sign it with 'scripts/qemu.sh sign')"
    local size slot off
    size=$(stat -c %s "$signed")
    slot=$(board BOARD_SLOT_SIZE)
    off=$(board BOARD_SLOT0_OFF)
    [ "$size" -le "$slot" ] || die "install: $signed is $size bytes, larger than the slot ($slot)"
    if [ ! -e "$img" ]; then
        head -c "$FLASH_BYTES" /dev/zero | tr '\0' '\377' > "$img"
        echo "qemu.sh: created $img (16 MiB, erased)"
    fi
    [ "$(stat -c %s "$img")" -eq "$FLASH_BYTES" ] ||
        die "install: $img is not a 16 MiB flash file (remove it to start from an erased one)"
    local sector
    sector=$(board BOARD_FLASH_SECTOR)
    head -c "$slot" /dev/zero | tr '\0' '\377' |
        dd of="$img" bs="$sector" seek=$((off / sector)) conv=notrunc status=none
    dd if="$signed" of="$img" bs="$sector" seek=$((off / sector)) conv=notrunc status=none
    printf 'qemu.sh: installed %s (%d bytes) in the primary slot of %s (offset 0x%x)\n' \
        "$signed" "$size" "$img" "$off"
}

cmd_run() {
    [ $# -eq 2 ] || usage
    local img=$1 port=$2 boot=${DFU_QEMU_BOOT:-$ROOT/build-fw/boot.elf}
    [ -f "$img" ] || die "run: $img not found (scripts/qemu.sh install FLASH.img SIGNED.bin)"
    [ "$(stat -c %s "$img")" -eq "$FLASH_BYTES" ] || die "run: $img is not a 16 MiB flash file"
    [ -f "$boot" ] || die "run: $boot not found (make firmware)"
    [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "run: bad TCP port '$port'"
    command -v qemu-system-arm >/dev/null || die "run: qemu-system-arm missing (scripts/deps.sh)"
    local chardev="socket,id=uart0,host=127.0.0.1,port=$port,server=on,wait=${DFU_QEMU_WAIT:-on},nodelay=on"
    [ -z "${DFU_QEMU_LOG:-}" ] || chardev+=",logfile=$DFU_QEMU_LOG,logappend=on"
    exec qemu-system-arm -M mps2-an386,memory-backend=fl \
        -object "memory-backend-file,id=fl,size=16M,mem-path=$img,share=on" \
        -kernel "$boot" -display none -monitor none \
        -chardev "$chardev" -serial chardev:uart0
}

[ $# -ge 1 ] || usage
sub=$1; shift
case "$sub" in
sign) cmd_sign "$@" ;;
install) cmd_install "$@" ;;
run) cmd_run "$@" ;;
*) usage ;;
esac
