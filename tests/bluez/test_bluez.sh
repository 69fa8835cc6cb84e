#!/usr/bin/env bash
# `--conn ble:` end to end without a radio: a private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS for
# both sides), `dfukit sim --ble` devices running the field report's firmware, and the BlueZ
# stand-in (bluez-standin) owning org.bluez and bridging the SMP characteristic to the sims.
#   usage: test_bluez.sh BUILD_DIR [--valgrind]
# --valgrind: a short run (scan, pairing, update) with dfukit under valgrind memcheck.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
B=$(cd "${1:?usage: test_bluez.sh BUILD_DIR [--valgrind]}" && pwd)
MODE=${2:-}
X="$B/dfukit"
SI="$B/bluez-standin"
D=$(mktemp -d /tmp/dfukit-bluez.XXXXXX)
pass=0
fail=0
PIDS=()
VG=()
if [ "$MODE" = "--valgrind" ]; then
    VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --track-origins=yes)
fi

stop_all() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    PIDS=()
}
# Sanitizer builds: any report in a dfukit, stand-in or sim output fails the test.
sanitizer_check() {
    local hits
    hits=$(grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$D"/*.err "$D"/*.log \
        "$D"/*.out 2>/dev/null)
    check "no sanitizer reports${hits:+ (in: $hits)}" [ -z "$hits" ]
}
cleanup() {
    stop_all
    if [ "$fail" -eq 0 ]; then rm -rf "$D"; else echo "test_bluez: files kept in $D"; fi
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

# run NAME TIMEOUT dfukit-args...: stdout in $D/NAME.out, stderr in $D/NAME.err, exit in RC
run() {
    local name=$1 t=$2
    shift 2
    timeout "$t" "${VG[@]}" "$X" "$@" >"$D/$name.out" 2>"$D/$name.err"
    RC=$?
    if [ "$RC" -eq 99 ]; then bad "$name: valgrind memcheck errors"; cat "$D/$name.err"; fi
}
lines() { grep -c '' "$1"; }
has() { grep -q -- "$2" "$1"; }

wait_file_line() { # FILE PATTERN SECONDS
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "test_bluez: timed out waiting for '$2' in $1"
    return 1
}

# ---- set-up ---------------------------------------------------------------------------------

cat >"$D/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$D/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$D/bus.conf" --nofork --nopidfile 2>"$D/bus.err" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -S "$D/bus" ] && break; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/bus"

# Firmware of the field report: A needs an authenticated link for writes and notifications
# (Zephyr MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN, passkey 123456) and confirms itself; B is the same
# without bond storage and never confirms by itself.
SIGN=(-H 0x200 --pad-header --align 4 -S 0x32000)
SEC="security=3,cccd_security=3,passkey=123456"
head -c 24000 /dev/urandom >"$D/a.bin"
head -c 30000 /dev/urandom >"$D/b.bin"
head -c 4000 /dev/urandom >"$D/s.bin"
head -c 60000 /dev/urandom >"$D/l.bin"
"$X" image sign "${SIGN[@]}" -v 1.0.0 --sim-app "name=fw-a,$SEC,confirm=boot" "$D/a.bin" "$D/a.img" >/dev/null &&
    "$X" image sign "${SIGN[@]}" -v 2.0.0 --sim-app "name=fw-b,$SEC,bonds=no,confirm=never" \
        "$D/b.bin" "$D/b.img" >/dev/null &&
    "$X" image sign "${SIGN[@]}" -v 3.0.0 --sim-app "name=fw-s,$SEC,confirm=boot" "$D/s.bin" \
        "$D/s.img" >/dev/null &&
    "$X" image sign "${SIGN[@]}" -v 4.0.0 --sim-app "name=fw-l,$SEC,confirm=boot" "$D/l.bin" \
        "$D/l.img" >/dev/null || { bad "image sign"; exit 1; }

start_sim() { # TAG IMAGE [sim args...]
    local tag=$1 img=$2
    shift 2
    "$X" sim --flash "$D/$tag.flash" --ble "$D/$tag.sock" --install "$img" --log "$D/$tag.log" \
        "$@" >"$D/$tag.simout" 2>"$D/$tag.err" &
    PIDS+=($!)
    wait_file_line "$D/$tag.simout" "listening ble=" 10
}

STANDIN_PID=
start_standin() { # [stand-in args...]
    "$SI" --device "$D/dev1.sock,addr=C0:FF:EE:00:00:01" --device "$D/dev2.sock,addr=C0:FF:EE:00:00:02" \
        --device "$D/dev3.sock,addr=C0:FF:EE:00:00:03" --log "$D/standin.log" "$@" >"$D/standin.out" 2>>"$D/standin.err" &
    STANDIN_PID=$!
    PIDS+=("$STANDIN_PID")
    wait_file_line "$D/standin.out" "standin: ready" 10
}
stop_standin() {
    kill "$STANDIN_PID" 2>/dev/null
    wait "$STANDIN_PID" 2>/dev/null
    : >"$D/standin.out"
}

json_ok() { jq -e "$2" "$1" >/dev/null 2>&1; }

# ---- no BlueZ --------------------------------------------------------------------------------

t0=$(date +%s)
run nobluez 30 echo hi --conn ble:fw-a,passkey=123456
check "no BlueZ: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "no BlueZ: one line" [ "$(lines "$D/nobluez.err")" -eq 1 ]
check "no BlueZ: says so" has "$D/nobluez.err" "no BlueZ on the system bus"
check "no BlueZ: names the bus it looked at" has "$D/nobluez.err" "nothing owns org.bluez on the system bus (unix:path=$D/bus)"
check "no BlueZ: no claim about bluetoothd it did not see" bash -c "! grep -q 'not running' '$D/nobluez.err'"
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/no-such-bus" run nobus 30 scan --timeout 1
check "no system bus: scan exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "no system bus: one line" [ "$(lines "$D/nobus.err")" -eq 1 ]
check "no system bus: says no BlueZ" has "$D/nobus.err" "NO_BLUEZ"

# a bus whose policy denies calls to org.bluez (a distribution restricting BlueZ to a group)
sed -e 's#<allow send_type="method_call"/>#<allow send_type="method_call"/><deny send_destination="org.bluez"/>#' \
    -e "s#unix:path=$D/bus<#unix:path=$D/denybus<#" "$D/bus.conf" >"$D/denybus.conf"
dbus-daemon --config-file="$D/denybus.conf" --nofork --nopidfile 2>"$D/denybus.err" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -S "$D/denybus" ] && break; sleep 0.05; done
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/denybus" "$SI" --device "$D/none.sock" >"$D/denysi.out" 2>&1 &
PIDS+=($!)
wait_file_line "$D/denysi.out" "standin: ready" 10
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/denybus" run denied 30 echo x --conn ble:fw-a
check "D-Bus policy denies BlueZ: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "D-Bus policy denies BlueZ: one line" [ "$(lines "$D/denied.err")" -eq 1 ]
check "D-Bus policy denies BlueZ: BLUEZ_ACCESS_DENIED, names the policy file" \
    has "$D/denied.err" "BLUEZ_ACCESS_DENIED.*bluetooth.conf"

start_sim dev1 "$D/a.img" || exit 1
start_standin --temporary-timeout 0 || exit 1

# ---- scan ------------------------------------------------------------------------------------

run scan 30 scan --timeout 1
check "scan: exit 0" [ "$RC" -eq 0 ]
check "scan: lists fw-a" has "$D/scan.out" "C0:FF:EE:00:00:01 .* no  *fw-a"
run scanj 30 scan --timeout 1 --json
check "scan --json" json_ok "$D/scanj.out" \
    '.ok and .command=="scan" and (.devices|length)==1 and .devices[0].address=="C0:FF:EE:00:00:01"
     and .devices[0].name=="fw-a" and .devices[0].paired==false and (.devices[0].rssi|type)=="number"'

# ---- acceptance 1: the field report over ble: ---------------------------------------------------

run nopk 30 echo hi --conn ble:fw-a
check "no passkey: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "no passkey: one line" [ "$(lines "$D/nopk.err")" -eq 1 ]
check "no passkey: names the fix" has "$D/nopk.err" ",passkey=NNNNNN"
check "no passkey: PASSKEY_REQUIRED" has "$D/nopk.err" "PASSKEY_REQUIRED"
check "no passkey: the agent was asked" has "$D/standin.log" "agent answered RequestPasskey with org.bluez.Error.Rejected"
run nopkj 30 params --conn ble:fw-a --json
check "no passkey --json: exit 1" [ "$RC" -eq 1 ]
check "no passkey --json" json_ok "$D/nopkj.out" '.ok==false and .error.name=="PASSKEY_REQUIRED"'

run wrongpk 30 echo hi --conn ble:fw-a,passkey=654321
check "wrong passkey: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "wrong passkey: one line" [ "$(lines "$D/wrongpk.err")" -eq 1 ]
check "wrong passkey: PAIRING_FAILED" has "$D/wrongpk.err" "PAIRING_FAILED"
check "wrong passkey: AuthenticationFailed" has "$D/wrongpk.err" "org.bluez.Error.AuthenticationFailed"
check "wrong passkey: the meaning does not blame the link level alone" has "$D/wrongpk.err" \
    "): pairing failed: the passkey was not accepted"
check "wrong passkey: the passkey is masked in the message" has "$D/wrongpk.err" "connect to ble:fw-a,passkey=\*\*\*\*\*\* failed"
check "wrong passkey: the passkey is not echoed" bash -c "! grep -q 654321 '$D/wrongpk.err'"

run rightpk 30 echo paired --conn ble:fw-a,passkey=123456
check "right passkey: exit 0" [ "$RC" -eq 0 ]
check "right passkey: echo" has "$D/rightpk.out" "^paired$"
check "right passkey: bonded in the stand-in" has "$D/standin.log" "paired (passkey entry), L3, bonded"
check "agent registered with capability KeyboardOnly (a passkey given)" \
    has "$D/standin.log" "agent registered: .* capability 'KeyboardOnly'"
check "discovery filtered on the SMP service UUID" \
    has "$D/standin.log" "discovery filter from .*: UUIDs include the SMP service"

# the bond is reused: no passkey needed any more; doctor reports security and bond state
run doc 30 doctor --conn ble:C0:FF:EE:00:00:01 --json
check "doctor over the bond: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "doctor --json: bond state" json_ok "$D/doc.out" \
    '.link.bluez.paired and .link.bluez.bonded and .link.security==2 and .link.writes_allowed
     and .link.bluez.acquired and .link.bluez.att_mtu==247 and .healthy'
run doct 30 doctor --conn ble:fw-a
check "doctor text: bond line" has "$D/doct.out" "bond: paired, bonded (stored); security: L2+"
# the connection from DFUKIT_CONN (no --conn), with an explicit adapter
DFUKIT_CONN=ble:fw-a,adapter=hci0 run envconn 30 doctor --json
check "DFUKIT_CONN=ble:fw-a,adapter=hci0: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "DFUKIT_CONN: doctor over it" json_ok "$D/envconn.out" \
    '.link.bluez.adapter=="hci0" and .link.bluez.address=="C0:FF:EE:00:00:01" and .link.bluez.paired'

# ---- --json on every verb ---------------------------------------------------------------------

C=(--conn ble:fw-a --json)
if [ "$MODE" = "--valgrind" ]; then
    run up 120 image upload "$D/s.img" "${C[@]}"
    check "--json image upload" json_ok "$D/up.out" '.ok and .match==true and .bytes>0'
    run test 60 image test "$(jq -r .hash "$D/up.out")" "${C[@]}"
    run reset 60 reset "${C[@]}"
else
for v in "echo hi" params info bootloader "image list" "image slots"; do
    # shellcheck disable=SC2086
    run verb 30 $v "${C[@]}"
    check "--json $v: exit 0" [ "$RC" -eq 0 ]
    check "--json $v" json_ok "$D/verb.out" ".ok==true and .command==\"${v% hi}\""
done
run erase 30 image erase "${C[@]}"
check "--json image erase" json_ok "$D/erase.out" '.ok and .command=="image erase"'
run up 60 image upload "$D/s.img" "${C[@]}"
check "--json image upload" json_ok "$D/up.out" '.ok and .match==true and .bytes>0'
H=$(jq -r .hash "$D/up.out")
run test 30 image test "$H" "${C[@]}"
check "--json image test" json_ok "$D/test.out" '.ok and .images[1].pending'
run confirm 30 image confirm "${C[@]}"
check "--json image confirm while a test is pending: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "--json image confirm: err 28 explained" json_ok "$D/confirm.out" \
    '.ok==false and .error.group_rc==28 and .diagnosis.id=="pending_test"'
run reset 30 reset "${C[@]}"
fi
check "--json reset" json_ok "$D/reset.out" '.ok and .command=="reset"'
for ((i = 0; i < 40; i++)); do
    run back 10 echo back --conn ble:fw-s --timeout 1
    [ "$RC" -eq 0 ] && break
    sleep 0.25
done
check "device back after reset as fw-s (3.0.0)" [ "$RC" -eq 0 ]

# ---- acceptance 1+2: update A -> B -> A with the passkey; B has no bond storage ------------------

run updB 180 update "$D/b.img" --conn ble:fw-s,passkey=123456 --json
check "update -> B: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "update -> B: verdict" json_ok <(tail -1 "$D/updB.out") '.event=="verdict" and .ok and .version=="2.0.0"'
check "update -> B: device forgot the bond (key missing)" has "$D/standin.log" "encryption with the stored key failed: key missing"
check "update -> B: stale bond removed" has "$D/standin.log" "removed (bond deleted)"
check "update -> B: paired again, B keeps no bond" has "$D/standin.log" "not bonded (the device keeps no bond)"
run updA 180 update "$D/a.img" --conn ble:C0:FF:EE:00:00:01,passkey=123456
check "update -> A: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "update -> A: verdict" has "$D/updA.out" "VERDICT: OK: device runs 1.0.0"
run listA 30 image list --conn ble:fw-a --json
check "ends confirmed on A" json_ok "$D/listA.out" \
    '.images[0].version=="1.0.0" and .images[0].active and .images[0].confirmed'

# acceptance 2 without a passkey: the bond with A is reused, B forgets it at the reset
run updBnopk 180 update "$D/b.img" --conn ble:fw-a
check "forgotten bond, no passkey: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "forgotten bond, no passkey: STALE_BOND" has "$D/updBnopk.out" "STALE_BOND"
check "forgotten bond, no passkey: the exact fix" has "$D/updBnopk.out" "Fix: run again with the device's passkey: --conn ble:TARGET,passkey=NNNNNN"
check "forgotten bond, no passkey: stopped at 'wait'" has "$D/updBnopk.out" "failed at step 'wait'"
run updBpk 180 update "$D/b.img" --conn ble:C0:FF:EE:00:00:01,passkey=123456
check "re-run with the passkey: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "re-run with the passkey: continues at confirm" has "$D/updBpk.out" "starting at 'confirm'"
check "re-run with the passkey: confirmed B" has "$D/updBpk.out" "VERDICT: OK: device runs 2.0.0"

if [ "$MODE" = "--valgrind" ]; then
    stop_all
    echo "test_bluez (valgrind): $pass passed, $fail failed"
    exit $((fail > 0))
fi

# ---- acceptance 3: update across a reset on a slow link, killed and re-run ----------------------

start_sim dev2 "$D/a.img" --link ble,phy=1m,dle=27,ci=15,mtu=247 || exit 1
run pair2 30 echo x --conn ble:C0:FF:EE:00:00:02,passkey=123456
check "second device paired" [ "$RC" -eq 0 ]
"$X" update "$D/l.img" --conn ble:C0:FF:EE:00:00:02,passkey=123456 --json >"$D/kill.out" 2>&1 &
UPID=$!
wait_file_line "$D/kill.out" '"event":"progress"' 30
sleep 0.5
kill -9 "$UPID" 2>/dev/null
wait "$UPID" 2>/dev/null
check "killed during the upload" bash -c "! grep -q verdict '$D/kill.out'"
run resume 120 update "$D/l.img" --conn ble:C0:FF:EE:00:00:02,passkey=123456
check "re-run: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "re-run: upload resumed" has "$D/resume.out" "upload   ok .*resumed"
check "re-run: reconnected after the reset, verified, confirmed" has "$D/resume.out" "VERDICT: OK: device runs 4.0.0"
check "re-run: waited for the device" has "$D/resume.out" "wait     ok"

# another program holds the characteristic (a dfukit uploading on the slow link): BLUEZ_BUSY, and
# the holder is not disturbed
"$SI" --counts --reset >/dev/null
"$X" image upload "$D/l.img" --conn ble:C0:FF:EE:00:00:02 --json >"$D/hold.out" 2>&1 &
HPID=$!
for ((i = 0; i < 200; i++)); do # the holder has acquired the characteristic
    "$SI" --counts | grep -q '^AcquireWrite 1$' && break
    sleep 0.05
done
busy=0
for ((i = 0; i < 100; i++)); do
    run busy 30 echo x --conn ble:C0:FF:EE:00:00:02
    if grep -q BLUEZ_BUSY "$D/busy.err"; then busy=1; break; fi
    kill -0 "$HPID" 2>/dev/null || break
    sleep 0.1
done
wait "$HPID"
hrc=$?
check "characteristic held by another dfukit: BLUEZ_BUSY seen" [ "$busy" -eq 1 ]
check "characteristic held: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "characteristic held: one line" [ "$(lines "$D/busy.err")" -eq 1 ]
check "characteristic held: BlueZ's answer" has "$D/busy.err" 'GattCharacteristic1.AcquireNotify: Notify acquired'
check "the holder's upload completed (exit $hrc)" json_ok "$D/hold.out" '.ok and .match==true'

# ---- D-Bus method calls per upload chunk -----------------------------------------------------

counts() { # NAME [--reset]: method calls the stand-in received (per-method list in $D/NAME.counts)
    local name=$1
    shift
    "$SI" --counts "$@" >"$D/$name.counts"
    head -1 "$D/$name.counts" | sed 's/.*calls=\([0-9]*\).*/\1/'
}
chunks() { jq -r '((.bytes + .chunk - 1) / .chunk | floor)' "$1"; }
# device 2 is bonded and known to BlueZ: both uploads make the same connection calls
P2=(--conn ble:C0:FF:EE:00:00:02 --json)
"$SI" --counts --reset >/dev/null
run cs 60 image upload "$D/s.img" "${P2[@]}"
c_small=$(counts cs --reset)
run cl 60 image upload "$D/l.img" "${P2[@]}"
c_large=$(counts cl)
n_small=$(chunks "$D/cs.out")
n_large=$(chunks "$D/cl.out")
per_chunk=$(echo "scale=3; ($c_large - $c_small) / ($n_large - $n_small)" | bc 2>/dev/null ||
    awk "BEGIN{print ($c_large - $c_small) / ($n_large - $n_small)}")
echo "test_bluez: acquired sockets: $c_small calls for $n_small chunks, $c_large for $n_large: $per_chunk calls per chunk"
check "acquired fds: 0 D-Bus calls per chunk (small $c_small, large $c_large)" [ "$c_small" = "$c_large" ]
check "uploads counted ($n_small < $n_large chunks)" [ "$n_small" -lt "$n_large" ]
check "uploads made D-Bus calls to connect" [ "$c_small" -gt 0 ]

# device 1 runs B (no bond storage): every connection pairs again
P1=(--conn ble:C0:FF:EE:00:00:01,passkey=123456 --json)

# ---- a device that drops unauthenticated writes without telling ------------------------------
# Notifications open (CCCD at L1), writes need L3: the stand-in drops the write commands as a
# controller does; no pairing request ever comes. dfukit must not hang and must name the fix.
"$X" image sign "${SIGN[@]}" -v 1.0.0 --sim-app "name=fw-w,security=3,cccd_security=1,passkey=123456,confirm=boot" \
    "$D/s.bin" "$D/w.img" >/dev/null || bad "image sign fw-w"
start_sim dev3 "$D/w.img" || exit 1
run silent 60 echo x --conn ble:C0:FF:EE:00:00:03 --timeout 1 --retries 1
check "silently dropped writes: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "silently dropped writes: one line" [ "$(lines "$D/silent.err")" -eq 1 ]
check "silently dropped writes: names the passkey fix" has "$D/silent.err" "TIMEOUT.*ble:TARGET,passkey=NNNNNN"
check "silently dropped writes: the stand-in dropped them" has "$D/standin.log" "C0:FF:EE:00:00:03: write command dropped by the device"
run silentpk 60 echo paired --conn ble:C0:FF:EE:00:00:03,passkey=123456
check "silently dropped writes, with the passkey: exit 0 (got $RC)" [ "$RC" -eq 0 ]

# ---- fallback: no AcquireWrite/AcquireNotify (WriteValue, StartNotify + PropertiesChanged) ------

stop_standin
start_standin --temporary-timeout 0 --no-acquire || exit 1
"$SI" --counts --reset >/dev/null
run fbs 60 image upload "$D/s.img" "${P1[@]}"
f_small=$(counts fbs --reset)
check "fallback: upload works" json_ok "$D/fbs.out" '.ok and .match==true'
run fbl 60 image upload "$D/l.img" "${P1[@]}"
f_large=$(counts fbl)
check "fallback: larger upload works" json_ok "$D/fbl.out" '.ok and .match==true'
check "fallback: WriteValue per value costs calls ($f_small -> $f_large)" [ "$f_large" -gt "$f_small" ]
run fbdoc 30 doctor "${P1[@]}"
check "fallback: doctor says WriteValue/StartNotify" json_ok "$D/fbdoc.out" '.link.bluez.acquired==false'

# ---- adapter and target errors, usage ----------------------------------------------------------

run noad 30 echo x --conn ble:fw-a,adapter=hci7
check "unknown adapter: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "unknown adapter: NO_DEVICE, names hci7" has "$D/noad.err" "NO_DEVICE.*hci7"
run nodev 30 echo x --conn ble:no-such-device --timeout 1
check "unknown device: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "unknown device: one line, says what was searched" has "$D/nodev.err" "no device 'no-such-device' advertising the SMP service"
run badpk 30 echo x --conn ble:fw-a,passkey=12x
check "bad passkey syntax: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "bad passkey syntax: says what a passkey is" has "$D/badpk.err" "passkey= wants the passkey the device displays: up to 6 digits"
run badopt 30 echo x --conn ble:fw-a,passkey=123456,mtu=100
check "unknown ble: option: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "unknown ble: option: named, the passkey masked" has "$D/badopt.err" \
    "bad --conn 'ble:fw-a,passkey=\*\*\*\*\*\*,mtu=100': unknown option 'mtu' for ble:"
run badmany 30 update "$D/a.img" --conn ble:fw-a,passkey=123456,mtu=1 --conn ble:fw-s
check "update with several --conn, one bad: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "usage errors do not echo the passkey" bash -c "! grep -q 123456 '$D/badopt.err' '$D/badmany.err'"
run badscan 30 scan --timeout x
check "scan bad --timeout: exit 2 (got $RC)" [ "$RC" -eq 2 ]
stop_standin
start_standin --unpowered || exit 1
run off 30 echo x --conn ble:fw-a
check "powered-off adapter: exit 4 (got $RC)" [ "$RC" -eq 4 ]
check "powered-off adapter: says so" has "$D/off.err" "powered off"

stop_all
sanitizer_check
t1=$(date +%s)
echo "test_bluez: $((t1 - t0)) s"
echo "$pass passed, $fail failed"
exit $((fail > 0))
