#!/usr/bin/env python3
"""QEMU firmware tests (`make test-qemu`): the real bootloader and SMP application built for
Cortex-M4 (build-fw/, `make firmware`) run in qemu-system-arm `mps2-an386` over a file-backed
flash, driven by `dfukit` over `--conn tcp:` exactly as a user would (scripts/qemu.sh).

  1. update   v1 -> v2 with `dfukit update` (test, reset, swap on ARM, v2 confirms itself);
              then v3 that never confirms (`--mode test-only`): the next reset reverts to v2.
  2. powercut v4 marked for test; QEMU killed with SIGKILL at >= 20 moments spread over the swap
              (stratified over its status records, delays drawn from a logged seed), restarted on
              the same FLASH.img each time; every few cuts a copy of the flash is booted to the
              end; finally the device runs v4, `dfukit doctor` explains the state.
  3. wrongkey v5 signed with another key, uploaded and marked for test: refused at boot, v4 keeps
              running; the boot line, `dfukit update`, the boot record and `dfukit doctor` say
              why.
  Boot records (issue 14) along the way: `dfukit bootloader --last-boot` after each outcome
  (test swap, revert, swap resumed after power cuts, refused signature) and `--log` (the history
  kept in flash across the power cuts, newest first).
  4. stack    the worst-case stack from the footprint analysis fits the stacks of the linker
              scripts; every stack high-water mark the firmware reported (boot lines, app resets)
              stays inside its stack, the painted guard words untouched, and within the static
              worst case; a probe program that recurses into its stack is stopped by the MPU
              guard region with a MemManage fault.
  5. flash    a probe program runs the board's flash port on ARM against the NOR rules the boot
              core is tested with on the host (erase to 0xFF, aligned writes of erased bytes only,
              violations refused with DFU_ERR_FLASH_RULE and no byte changed); its stores land in
              the flash file.
  6. key      the firmware built for another key (scripts/firmware.sh --key PUB.pem, what
              `make firmware KEY=PUB.pem` runs, given a public key): its bootloader boots an
              image signed with that key and refuses one signed with the development key.
  7. downgrade + permanent: the firmware built with downgrade prevention (scripts/firmware.sh
              --downgrade version, what `make firmware DOWNGRADE=version` runs) reports it; an
              older image uploaded and marked for test is refused by the bootloader at boot
              (boot record, doctor); a newer one installed with `update --mode confirm-only` is
              swapped in permanently (boot record, doctor).

Usage: test_qemu.py [--dfukit build/dfukit] [--fw build-fw] [--seed N] [--cuts N] [--keep]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU_SH = os.path.join(ROOT, "scripts", "qemu.sh")
BOARD_H = os.path.join(ROOT, "ports", "qemu-mps2-an386", "board.h")

# Swap-using-move trailer of the primary slot (docs/SPEC-trailer.md section 2): write size 4,
# BOOT_MAX_ALIGN 8, 128 sectors: status records of 4 bytes start 0x630 bytes before the slot end,
# the 48 bytes of fields (swap_size ... magic) close it.
TRAILER_SIZE = 0x630
TRAILER_FIELDS = 48
STATUS_W = 4
COPY_DONE_FROM_END = 32
IMAGE_OK_FROM_END = 24


def board_defines():
    vals = {}
    for line in open(BOARD_H):
        m = re.match(r"#define\s+(BOARD_\w+)\s+(0x[0-9A-Fa-f]+|\d+)\b", line)
        if m:
            vals[m.group(1)] = int(m.group(2), 0)
    return vals


BOARD = board_defines()


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)
    print(f"  ok: {what}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Qemu:
    """One run of the board: scripts/qemu.sh run (it execs QEMU, so our child is QEMU itself)."""

    def __init__(self, flash, log, wait=True, boot=None):
        self.port = free_port()
        self.log = log
        env = dict(os.environ, DFU_QEMU_LOG=log, DFU_QEMU_WAIT="on" if wait else "off")
        if boot:
            env["DFU_QEMU_BOOT"] = boot
        self.proc = subprocess.Popen(["bash", QEMU_SH, "run", flash, str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.conn = f"tcp:127.0.0.1:{self.port}"
        if wait:
            self._wait_listening()

    def _wait_listening(self):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise TestFailure(f"QEMU exited at start: {self.proc.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return  # the first client starts the board; dfukit connects again
            except OSError:
                time.sleep(0.05)
        raise TestFailure("QEMU did not listen on its TCP port within 20 s")

    def cut(self):
        """Power cut: SIGKILL, no chance to flush anything but what already is in the file."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def uart(self):
        try:
            return open(self.log, "rb").read().decode("latin-1")
        except FileNotFoundError:
            return ""


class Env:
    def __init__(self, args):
        self.dfukit = os.path.abspath(args.dfukit)
        self.fw = os.path.abspath(args.fw)
        self.work = tempfile.mkdtemp(prefix="dfukit-qemu-")
        self.keep = args.keep
        self.logs = []  # every UART log, for the stack check
        self.flash = os.path.join(self.work, "FLASH.img")
        self.nlog = 0

    def path(self, name):
        return os.path.join(self.work, name)

    def newlog(self, tag):
        self.nlog += 1
        p = self.path(f"uart-{self.nlog:02d}-{tag}.log")
        self.logs.append(p)
        return p

    def run(self, argv, timeout=180, env=None):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})), cwd=self.work)
        return p.returncode, p.stdout + p.stderr

    def dfukit_cmd(self, q, *args, timeout=180):
        rc, out = self.run([self.dfukit, *args, "--conn", q.conn], timeout=timeout)
        return rc, out

    def image_list(self, q):
        rc, out = self.dfukit_cmd(q, "image", "list", "--json", timeout=60)
        if rc != 0:
            raise TestFailure(f"image list failed ({rc}): {out}")
        return {img["slot"]: img for img in json.loads(out)["images"]}

    def last_boot(self, q):
        rc, out = self.dfukit_cmd(q, "bootloader", "--last-boot", "--json", timeout=60)
        if rc != 0:
            raise TestFailure(f"bootloader --last-boot failed ({rc}): {out}")
        doc = json.loads(out)
        if not doc.get("supported"):
            raise TestFailure(f"the firmware does not serve boot records: {out}")
        return doc["last_boot"]

    def doctor(self, q):
        """`dfukit doctor`: exit code, output, its first line."""
        rc, out = self.dfukit_cmd(q, "doctor")
        return rc, out, out.strip().split("\n")[0]

    def build_firmware(self, name, *opts):
        """scripts/firmware.sh OPTS into the work dir (what `make firmware KEY=/DOWNGRADE=` runs);
        returns the exit code, its output and the output directory."""
        out = self.path(name)
        rc, txt = self.run(["bash", os.path.join(ROOT, "scripts", "firmware.sh"), *opts, "--out",
                            out], timeout=600, env={"DFUKIT": self.dfukit})
        return rc, txt, out

    def boot_log(self, q):
        rc, out = self.dfukit_cmd(q, "bootloader", "--log", "--json", timeout=60)
        if rc != 0:
            raise TestFailure(f"bootloader --log failed ({rc}): {out}")
        return json.loads(out)

    def sign(self, raw, out, version, key=None):
        env = {"SIGN_KEY": key} if key else None
        rc, txt = self.run(["bash", QEMU_SH, "sign", os.path.join(self.fw, raw), self.path(out),
                            version], env=env)
        if rc != 0:
            raise TestFailure(f"sign {out}: {txt}")
        return self.path(out)


def boot_lines(text):
    return [l for l in text.replace("\r", "").split("\n") if l.startswith("dfukit-boot: ")]


def done_boot_lines(text):
    """The boot lines printed to the end (the reason's closing quote): one per finished boot."""
    return [l for l in boot_lines(text) if l.endswith('"')]


def runs_confirmed(s, version):
    """`image list` (by slot): slot 0 runs `version`, active and confirmed."""
    return s[0]["version"] == version and s[0]["active"] and s[0]["confirmed"]


def record_is(lb, swap, code, version, other):
    """The boot record says: `swap`, reason `code`, now runs `version`, the other image `other`."""
    return (lb["swap"] == swap and lb["reason_code"] == code and lb["version"] == version
            and lb["other_version"] == other)


def wait_for(pred, timeout, what, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise TestFailure(f"timed out after {timeout} s waiting for {what}")


def trailer_progress(flash):
    """(status records, copy_done set) of the primary slot's trailer, from the file. Records:
    every non-erased status unit (move-up records, then the swap records further on)."""
    end = BOARD["BOARD_SLOT0_OFF"] + BOARD["BOARD_SLOT_SIZE"]
    with open(flash, "rb") as f:
        f.seek(end - TRAILER_SIZE)
        area = f.read(TRAILER_SIZE)
    units = (TRAILER_SIZE - TRAILER_FIELDS) // STATUS_W
    erased = b"\xff" * STATUS_W
    recs = sum(1 for i in range(units) if area[i * STATUS_W:(i + 1) * STATUS_W] != erased)
    return recs, area[TRAILER_SIZE - COPY_DONE_FROM_END] == 0x01


def status_records(flash):
    """Progress of the swap in progress: a trailer whose copy_done is set belongs to a swap that
    already finished (the next one has not re-initialised it yet): 0."""
    recs, done = trailer_progress(flash)
    return 0 if done else recs


# ---- 1. update and revert ----------------------------------------------------------------------


def test_update(e, imgs):
    print("test 1: update v1 -> v2 over tcp, then v3 (never confirms) reverts to v2")
    rc, out = e.run(["bash", QEMU_SH, "install", e.flash, imgs["v1"]])
    check(rc == 0, "scripts/qemu.sh install wrote v1 into the primary slot of a new FLASH.img")
    q = Qemu(e.flash, e.newlog("update"))
    try:
        rc, out = e.dfukit_cmd(q, "update", imgs["v2"])
        print("    " + "\n    ".join(out.strip().split("\n")[-4:]))
        check(rc == 0 and "VERDICT: OK" in out, "dfukit update v2 over tcp: verdict OK")
        s = e.image_list(q)
        check(runs_confirmed(s, "2.0.0"),
              "image list: slot 0 runs 2.0.0, confirmed")
        check(s.get(1, {}).get("version") == "1.0.0", "image list: slot 1 holds 1.0.0 (revert copy)")
        lb = e.last_boot(q)
        check(record_is(lb, "test", 1, "2.0.0", "1.0.0"),
              f"boot record: test swap 1.0.0 -> 2.0.0 ({lb['reason']})")
        check(lb["flash_erases"] > 0 and lb["flash_bytes"] > 0 and lb["time_ms"] > 1000,
              f"boot record: {lb['flash_erases']} erases, {lb['flash_bytes']} bytes programmed, "
              f"{lb['time_ms']} ms in the bootloader (QEMU timer 0)")
        rc, out = e.dfukit_cmd(q, "update", imgs["v3"], "--mode", "test-only")
        check(rc == 0 and "VERDICT: OK" in out, "dfukit update v3 --mode test-only: verdict OK")
        s = e.image_list(q)
        check(s[0]["version"] == "3.0.0" and s[0]["active"] and not s[0]["confirmed"],
              "image list: slot 0 runs 3.0.0, not confirmed (it never confirms itself)")
        check("revert" in s[0]["next_reset"] or "revert" in json.dumps(s),
              "image list: the next reset reverts")
        rc, out = e.dfukit_cmd(q, "reset")
        check(rc == 0, "dfukit reset accepted")
        wait_for(lambda: any("swap=revert" in l for l in done_boot_lines(q.uart())), 60,
                 "the revert boot line")
        s = wait_for(lambda: _list_or_none(e, q), 60, "the device after the revert")
        check(runs_confirmed(s, "2.0.0"),
              "after the reset: slot 0 runs 2.0.0 again, confirmed (reverted)")
        lb = e.last_boot(q)
        check(record_is(lb, "revert", 3, "2.0.0", "3.0.0"),
              f"boot record: reverted 3.0.0 -> 2.0.0 ({lb['reason']})")
        check("never confirmed" in lb["explanation"] or "not confirmed" in lb["explanation"],
              f"boot record explanation: {lb['explanation']}")
        lines = boot_lines(q.uart())
        check(any("swap=test" in l and "version=2.0.0" in l for l in lines),
              "boot line: swap=test installed 2.0.0")
        check(any("swap=test" in l and "version=3.0.0" in l for l in lines),
              "boot line: swap=test installed 3.0.0")
        check(any("swap=revert" in l and "version=2.0.0" in l for l in lines),
              "boot line: swap=revert back to 2.0.0")
        uart = q.uart()
        check("version=2.0.0+0 confirmed=now" in uart, "app line: 2.0.0 confirmed itself")
        check("version=3.0.0+0 confirmed=no" in uart, "app line: 3.0.0 left itself unconfirmed")
    finally:
        q.cut()


def _list_or_none(e, q):
    try:
        return e.image_list(q)
    except TestFailure:
        return None


# ---- 2. power cuts during a swap ---------------------------------------------------------------


def boot_once(e, flash, tag, timeout=60):
    """Boots `flash` with no client until the application's start line; returns the UART text."""
    q = Qemu(flash, e.newlog(tag), wait=False)
    try:
        wait_for(lambda: "dfukit-app: " in q.uart() and q.uart().endswith("\n"), timeout,
                 f"the application to start ({tag})")
        return q.uart()
    finally:
        q.cut()


def calibrate(e):
    """Times the swap on a copy of the flash: marker -> first record, time per record, total."""
    cal = e.path("calibrate.img")
    shutil.copyfile(e.flash, cal)
    q = Qemu(cal, e.newlog("calibrate"), wait=False)
    try:
        t_mark = wait_for(lambda: time.monotonic() if "dfukit-boot: " in q.uart() else None, 30,
                          "the boot marker")
        seen = []  # (time, records)
        last, started = -1, False
        while not boot_lines(q.uart()) or not boot_lines(q.uart())[-1].endswith('"'):
            recs, done = trailer_progress(cal)
            started = started or not done  # the old swap's trailer was re-initialised
            n = recs if started else 0
            if n != last:
                seen.append((time.monotonic(), n))
                last = n
            if time.monotonic() - t_mark > 60:
                raise TestFailure("calibration: the swap did not finish in 60 s")
            time.sleep(0.003)
        t_end = time.monotonic()
    finally:
        q.cut()
    total = trailer_progress(cal)[0]
    line = boot_lines(q.uart())[-1]
    if "swap=test" not in line or total < 4:
        raise TestFailure(f"calibration: expected a test swap, got: {line} ({total} records)")
    firsts = [t for t, n in seen if n >= 1]
    pre = (firsts[0] - t_mark) if firsts else 0.0
    lasts = [t for t, n in seen if n >= total]
    span = (lasts[0] - firsts[0]) if firsts and lasts else (t_end - t_mark)
    t_rec = span / max(1, total - 1)
    print(f"  calibration: swap {t_end - t_mark:.2f} s, {total} status records, "
          f"{pre * 1000:.0f} ms before the first, {t_rec * 1000:.0f} ms per record")
    return total, pre, t_rec


def image_ok_set(flash):
    """image_ok of the primary slot's trailer (the running test image confirmed itself)."""
    end = BOARD["BOARD_SLOT0_OFF"] + BOARD["BOARD_SLOT_SIZE"]
    with open(flash, "rb") as f:
        f.seek(end - IMAGE_OK_FROM_END)
        return f.read(1) == b"\x01"


def test_powercut(e, imgs, seed, ncuts):
    """Returns the version the device runs afterwards."""
    print(f"test 2: {ncuts} power cuts (kill -9) spread over a swap, seed {seed}")
    rng = random.Random(seed)
    q = Qemu(e.flash, e.newlog("upload-v4"))
    try:
        rc, out = e.dfukit_cmd(q, "update", imgs["v4"], "--mode", "upload-only")
        check(rc == 0, "v4 uploaded into slot 1")
        s = e.image_list(q)
        rc, out = e.dfukit_cmd(q, "image", "test", s[1]["hash"])
        check(rc == 0, "v4 marked for a test boot")
    finally:
        q.cut()  # a power cut while the application idles: harmless
    total, pre, t_rec = calibrate(e)
    # Targets: stratified over the swap's records, the last two left out so a cut does not land
    # after the swap's end (it can still: a run goes as fast as it goes).
    span = total - 2
    cuts, completed_at = [], None
    for i in range(ncuts):
        p = status_records(e.flash)
        target = int((i + rng.random()) * span / ncuts)
        delay = (pre if p == 0 else 0.0) + max(0, target - p) * t_rec + rng.random() * t_rec
        q = Qemu(e.flash, e.newlog(f"cut{i + 1:02d}"), wait=False)
        try:
            wait_for(lambda: "dfukit-boot: " in q.uart(), 30, "the boot marker")
            time.sleep(delay)
        finally:
            q.cut()
        after, done = trailer_progress(e.flash)
        finished = done or bool(done_boot_lines(q.uart()))
        cuts.append((after, finished))
        print(f"  cut {i + 1:2d}: {delay * 1000:5.0f} ms after the marker, status records "
              f"{p:2d} -> {after:2d} of {total}"
              f"{' (the swap had finished: copy_done set)' if finished else ''}")
        if finished:
            completed_at = i + 1
            break
        if (i + 1) % 6 == 0:
            # From this state the device must still boot a valid image: boot a copy to the end.
            probe = e.path("probe.img")
            shutil.copyfile(e.flash, probe)
            uart = boot_once(e, probe, f"probe{i + 1:02d}")
            line = boot_lines(uart)[-1]
            check("version=4.0.0" in line and "start=" in line,
                  f"a copy of the flash after cut {i + 1} boots to the end and runs v4")
    during = [a for a, f in cuts if not f]
    check(len(during) >= 20, f"{len(during)} of {len(cuts)} cuts landed inside the swap (>= 20)")
    quarters = {min(3, 4 * a // total) for a in during}
    check(quarters == {0, 1, 2, 3}, "the cuts are spread over all four quarters of the swap")
    # What the next boot must do: finish the interrupted swap and run v4 (which confirms itself),
    # or, if a cut came after the swap's end but before v4 confirmed itself, revert to v2.
    reverts = completed_at is not None and not image_ok_set(e.flash)
    expect = "2.0.0" if reverts else "4.0.0"
    if reverts:
        print(f"  note: cut {completed_at} came after the swap's end, before v4 confirmed itself: "
              f"MCUboot reverts at the next boot")
    q = Qemu(e.flash, e.newlog("after-cuts"))
    try:
        s = wait_for(lambda: _list_or_none(e, q), 90, "the device after the cuts")
        lines = boot_lines(q.uart())
        last = lines[-1] if lines else ""
        check(f"version={expect}" in last and "start=" in last, f"final boot runs {expect}: {last}")
        check(runs_confirmed(s, expect),
              f"image list: slot 0 runs {expect}, confirmed")
        lb = e.last_boot(q)
        if reverts:
            check(lb["swap"] == "revert" and lb["version"] == "2.0.0",
                  f"boot record: the unconfirmed v4 was reverted ({lb['reason']})")
        else:
            check(s.get(1, {}).get("version") == "2.0.0", "image list: slot 1 holds 2.0.0")
            check(lb["swap"] == "test" and lb["version"] == "4.0.0" and
                  (lb["resumed"] or completed_at is not None),
                  f"boot record: the swap was resumed after the power cuts ({lb['reason']})")
        log = e.boot_log(q)
        recs = log["boot_log"]
        boots = [r["boot"] for r in recs]
        uart_boots = [int(m) for t in map(_read, e.logs) for m in re.findall(r"boot=(\d+) ", t)]
        check(boots == sorted(boots, reverse=True) and boots[0] == lb["boot"] == max(uart_boots),
              f"record log: {log['total']} records, newest first, newest = boot #{boots[0]} "
              f"(the highest number on the UART)")
        swaps = [r["swap"] for r in recs]
        check("revert" in swaps and swaps.count("test") >= 2,
              "record log keeps the earlier outcomes (test swaps, the revert) across power cuts")
        rc, out = e.dfukit_cmd(q, "doctor")
        print("    " + "\n    ".join(out.strip().split("\n")))
        check(rc == 0 and f"slot 0: version {expect}" in out and "verdict: healthy" in out,
              f"dfukit doctor explains the state: {expect} running, healthy")
    finally:
        q.cut()
    return expect


# ---- 3. wrong key --------------------------------------------------------------------------------


def test_wrongkey(e, imgs, running):
    print(f"test 3: v5 signed with a wrong key is refused at boot, {running} keeps running")
    q = Qemu(e.flash, e.newlog("wrongkey"))
    try:
        rc, out = e.dfukit_cmd(q, "update", imgs["v5"], "--mode", "test-only")
        print("    " + "\n    ".join(out.strip().split("\n")[-4:]))
        check(rc == 1 and "refused 5.0.0 because its signature is invalid" in out,
              "dfukit update: fails at verify, says the bootloader refused the signature")
        lines = boot_lines(q.uart())
        check(any("swap=fail secondary_err=" in l and 'reason="secondary signature invalid' in l
                  for l in lines), "boot line: the bootloader refused slot 1 (signature)")
        check(f"version={running}" in lines[-1], f"boot line: it booted {running} instead")
        s = e.image_list(q)
        check(runs_confirmed(s, running),
              f"image list: slot 0 still runs {running}, confirmed")
        check(1 not in s or not s[1].get("bootable", False), "image list: slot 1 was scrambled")
        lb = e.last_boot(q)
        check(record_is(lb, "fail", 5, running, "5.0.0"),
              f"boot record: 5.0.0 refused, signature ({lb['reason']}; {lb['refused_err_text']})")
        rc, out, first = e.doctor(q)
        print("    " + "\n    ".join(out.strip().split("\n")))
        check(rc == 0 and f"slot 0: version {running}" in out and "refused 5.0.0" in first
              and "signature" in first, f"dfukit doctor says why: {first}")
    finally:
        q.cut()


# ---- 4. stacks -------------------------------------------------------------------------------------


def test_stack(e, static):
    print("test 4: stacks")
    for name, (worst, size) in static.items():
        check(worst <= size, f"{name}: worst-case stack {worst} B fits the configured {size} B")
    seen = {"boot": [], "app": []}
    faults = []
    for log in e.logs:
        text = open(log, "rb").read().decode("latin-1") if os.path.exists(log) else ""
        for m in re.finditer(r"dfukit-(boot|app): .*?stack=(\d+)/(\d+) guard=(\w+)", text):
            seen[m.group(1)].append((int(m.group(2)), int(m.group(3)), m.group(4)))
        faults += [l for l in text.split("\n") if "dfukit-fault" in l]
    check(not faults, f"no fault reported in {len(e.logs)} UART logs {faults[:1]}")
    for name in ("boot", "app"):
        figs = seen[name]
        check(len(figs) > 0, f"{name}: {len(figs)} run-time stack reports")
        worst, size = static[name]
        hw = max(u for u, _, _ in figs)
        check(all(s == size for _, s, _ in figs), f"{name}: reported stack size {size} B")
        check(all(g == "ok" for _, _, g in figs), f"{name}: stack guard intact in every report")
        check(hw < size, f"{name}: run-time high-water mark {hw} B < {size} B")
        check(hw <= worst, f"{name}: run-time high-water mark {hw} B <= static worst case {worst} B")


def test_guard(e):
    """The MPU guard really stops an overflow on this QEMU: the probe recurses into it."""
    log = e.path("stackprobe.log")
    env = dict(os.environ, DFU_QEMU_BOOT=os.path.join(e.fw, "stackprobe.elf"), DFU_QEMU_LOG=log,
               DFU_QEMU_WAIT="off")
    p = subprocess.Popen(["bash", QEMU_SH, "run", e.flash, str(free_port())], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        text = wait_for(lambda: _read(log) if "halted" in _read(log) or "missed" in _read(log)
                        else None, 30, "the stack probe's report")
    finally:
        p.kill()
        p.wait()
    line = [l for l in text.split("\n") if "dfukit-fault" in l or "missed" in l][0]
    print(f"    {line}")
    check("(stack overflow: store into the stack guard)" in line and "cfsr=0x00000082" in line,
          "stack probe: the MPU guard stopped the overflow (MemManage, data access at the guard)")


FLASHPROBE_CHECKS = ["init", "erase-sets-erased", "write-aligned", "rewrite-refused",
                     "partial-rewrite-refused", "write-misaligned-offset-refused",
                     "write-misaligned-length-refused", "erase-misaligned-offset-refused",
                     "erase-misaligned-length-refused", "write-out-of-range-refused",
                     "erase-out-of-range-refused", "erase-again", "write-marker", "counted"]


def test_flashprobe(e):
    """The flash port's NOR rules on the target (firmware/flashprobe_main.c)."""
    print("test 5: the flash port's NOR rules, on ARM")
    flash = e.path("flashprobe.img")
    off = BOARD["BOARD_BOOTLOG_OFF"] - 2 * BOARD["BOARD_FLASH_SECTOR"]
    with open(flash, "wb") as f:
        f.write(b"\xff" * (16 << 20))
        f.seek(off)
        f.write(b"\x5a" * BOARD["BOARD_FLASH_SECTOR"])  # not erased: the erase must do it
    log = e.path("flashprobe.log")
    env = dict(os.environ, DFU_QEMU_BOOT=os.path.join(e.fw, "flashprobe.elf"), DFU_QEMU_LOG=log,
               DFU_QEMU_WAIT="off")
    p = subprocess.Popen(["bash", QEMU_SH, "run", flash, str(free_port())], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        text = wait_for(lambda: _read(log) if "dfukit-flashprobe: done" in _read(log) else None,
                        30, "the flash probe's report")
    finally:
        p.kill()
        p.wait()
    lines = [l for l in text.replace("\r", "").split("\n") if l.startswith("dfukit-flashprobe:")]
    fails = [l for l in lines if " FAIL " in l]
    check(not fails, f"flash probe: no check failed {fails[:2]}")
    for name in FLASHPROBE_CHECKS:
        check(f"dfukit-flashprobe: ok {name}" in lines, f"flash probe: {name}")
    n = len(FLASHPROBE_CHECKS)
    check(f"dfukit-flashprobe: done {n}/{n}" in lines, f"flash probe: {n}/{n} checks passed")
    with open(flash, "rb") as f:
        f.seek(off)
        sector = f.read(BOARD["BOARD_FLASH_SECTOR"])
    check(sector[:8] == b"NORPROBE" and sector[8:] == b"\xff" * (len(sector) - 8),
          "flash probe: its erase and write landed in the flash file (marker, rest erased)")


def boot_line_of(e, boot_elf, flash, tag):
    """Boots `flash` with `boot_elf` until the boot line is complete; returns it."""
    log = e.newlog(tag)
    env = dict(os.environ, DFU_QEMU_BOOT=boot_elf, DFU_QEMU_LOG=log, DFU_QEMU_WAIT="off")
    p = subprocess.Popen(["bash", QEMU_SH, "run", flash, str(free_port())], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return wait_for(lambda: next(iter(done_boot_lines(_read(log))), None), 60,
                        f"the boot line ({tag})")
    finally:
        p.kill()
        p.wait()


def test_key(e, imgs, pub):
    """`make firmware KEY=pub.pem`: the bootloader trusts the named key instead."""
    print("test 6: firmware built for another key (KEY=public key)")
    rc, txt, out = e.build_firmware("fw-otherkey", "--key", pub)
    check(rc == 0 and f"bootloader key from {pub}" in txt,
          "scripts/firmware.sh --key PUB.pem built the firmware for that key")
    boot = os.path.join(out, "boot.elf")
    for img, ver, ok in ((imgs["v5"], "5.0.0", True), (imgs["v1"], "1.0.0", False)):
        flash = e.path(f"key-{ver}.img")
        rc, txt = e.run(["bash", QEMU_SH, "install", flash, img])
        if rc != 0:
            raise TestFailure(f"install {img}: {txt}")
        line = boot_line_of(e, boot, flash, f"key-{ver}")
        if ok:
            check(f"version={ver}" in line and "start=" in line,
                  f"it boots {ver}, signed with that key: {line}")
        else:
            check("no bootable image" in line and "halted" in line and "start=" not in line,
                  f"it refuses {ver}, signed with the development key: {line}")
    # and the development-key bootloader refuses the other key's image in the primary slot
    line = boot_line_of(e, os.path.join(e.fw, "boot.elf"), e.path("key-5.0.0.img"), "key-dev")
    check("no bootable image" in line and "halted" in line,
          f"the development-key bootloader refuses 5.0.0: {line}")


def test_downgrade(e):
    """`make firmware DOWNGRADE=version`: the bootloader refuses an older image; and a
    permanent swap (`update --mode confirm-only`) on the same device (issue 14 outcomes)."""
    print("test 7: downgrade prevention (DOWNGRADE=version) refuses 1.5.0; 3.0.0 installed "
          "permanently")
    rc, txt, out = e.build_firmware("fw-nodowngrade", "--downgrade", "version")
    check(rc == 0 and "downgrade prevention version" in txt,
          "scripts/firmware.sh --downgrade version built the firmware")
    app = os.path.join(out, "app.bin")
    v2, v15, v3 = (e.sign(app, f"down-{v}.bin", v) for v in ("2.0.0", "1.5.0", "3.0.0"))
    flash = e.path("down.img")
    rc, txt = e.run(["bash", QEMU_SH, "install", flash, v2])
    check(rc == 0, "scripts/qemu.sh install wrote 2.0.0 into the primary slot")
    q = Qemu(flash, e.newlog("downgrade"), boot=os.path.join(out, "boot.elf"))
    try:
        rc, txt = e.dfukit_cmd(q, "doctor")
        check(rc == 0 and "downgrades refused" in txt,
              "doctor: the application reports the bootloader's downgrade prevention")
        # dfukit's update refuses it before uploading; the bootloader is what is tested here
        rc, txt = e.dfukit_cmd(q, "update", v15)
        check(rc != 0 and "downgrade" in txt,
              f"dfukit update 1.5.0 refused before the upload (exit {rc})")
        rc, txt = e.dfukit_cmd(q, "image", "upload", v15)
        check(rc == 0, "image upload 1.5.0 into slot 1")
        h = e.image_list(q)[1]["hash"]
        rc, txt = e.dfukit_cmd(q, "image", "test", h)
        check(rc == 0, "image test: 1.5.0 marked for a test boot")
        nboot = len(done_boot_lines(q.uart()))
        rc, txt = e.dfukit_cmd(q, "reset")
        check(rc == 0, "dfukit reset accepted")
        wait_for(lambda: len(done_boot_lines(q.uart())) > nboot, 60,
                 "the boot line after the reset")
        line = boot_lines(q.uart())[-1]
        check("version=2.0.0" in line and "downgrade" in line,
              f"boot line: 1.5.0 refused as a downgrade, 2.0.0 booted: {line}")
        s = wait_for(lambda: _list_or_none(e, q), 60, "the device after the reset")
        check(runs_confirmed(s, "2.0.0"),
              "image list: slot 0 still runs 2.0.0, confirmed")
        lb = e.last_boot(q)
        check(record_is(lb, "none", 9, "2.0.0", "1.5.0") and lb["reason"] == "downgrade refused",
              f"boot record: 1.5.0 refused as a downgrade ({lb['reason']})")
        rc, txt, first = e.doctor(q)
        check(rc == 0 and first.startswith("doctor: at the last reset the bootloader refused "
                                           "1.5.0 as a downgrade"), f"doctor says why: {first}")
        # a permanent swap: marked confirm-only, no test boot, no revert possible
        rc, txt = e.dfukit_cmd(q, "update", v3, "--mode", "confirm-only")
        print("    " + "\n    ".join(txt.strip().split("\n")[-2:]))
        check(rc == 0 and "VERDICT: OK" in txt, "dfukit update 3.0.0 --mode confirm-only: OK")
        s = e.image_list(q)
        check(runs_confirmed(s, "3.0.0"),
              "image list: slot 0 runs 3.0.0, confirmed")
        lb = e.last_boot(q)
        check(record_is(lb, "perm", 2, "3.0.0", "2.0.0"),
              f"boot record: permanent swap 2.0.0 -> 3.0.0 ({lb['reason']})")
        rc, txt, first = e.doctor(q)
        check(rc == 0 and first.startswith("doctor: at the last reset the bootloader installed "
                                           "3.0.0 permanently"), f"doctor says why: {first}")
    finally:
        q.cut()


def _read(path):
    return open(path, "rb").read().decode("latin-1") if os.path.exists(path) else ""


def static_stacks(fw):
    """Worst-case stack per firmware image and its configured size (footprint analysis)."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "footprint_report.py"),
                          "--stack", fw], capture_output=True, text=True)
    if out.returncode != 0:
        raise TestFailure(f"footprint_report.py --stack {fw}: {out.stdout}{out.stderr}")
    figs = {}
    for m in re.finditer(r"stack (\w+): worst (\d+) configured (\d+)", out.stdout):
        figs[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    if set(figs) != {"boot", "app"}:
        raise TestFailure(f"footprint_report.py --stack: unexpected output {out.stdout}")
    return figs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dfukit", default=os.path.join(ROOT, "build", "dfukit"))
    ap.add_argument("--fw", default=os.path.join(ROOT, "build-fw"))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--cuts", type=int, default=24)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    for f in ("boot.elf", "app.bin", "app-noconfirm.bin", "stackprobe.elf", "flashprobe.elf"):
        if not os.path.exists(os.path.join(args.fw, f)):
            print(f"test_qemu: {args.fw}/{f} missing: run 'make firmware' first")
            return 2
    e = Env(args)
    t0 = time.monotonic()
    print(f"test_qemu: work dir {e.work}, power-cut seed {seed} (--seed {seed} replays it)")
    ok = False
    try:
        static = static_stacks(e.fw)
        wrong = e.path("wrong-key.pem")
        wrong_pub = e.path("wrong-key.pub.pem")
        rc, out = e.run([e.dfukit, "image", "keygen", "-k", wrong, "-t", "ecdsa-p256", "-e",
                         wrong_pub])
        if rc != 0:
            raise TestFailure(f"keygen: {out}")
        imgs = {"v1": e.sign("app.bin", "v1.bin", "1.0.0"),
                "v2": e.sign("app.bin", "v2.bin", "2.0.0"),
                "v3": e.sign("app-noconfirm.bin", "v3.bin", "3.0.0"),
                "v4": e.sign("app.bin", "v4.bin", "4.0.0"),
                "v5": e.sign("app.bin", "v5.bin", "5.0.0", key=wrong)}
        test_update(e, imgs)
        running = test_powercut(e, imgs, seed, args.cuts)
        test_wrongkey(e, imgs, running)
        test_stack(e, static)
        test_guard(e)
        test_flashprobe(e)
        test_key(e, imgs, wrong_pub)
        test_downgrade(e)
        ok = True
    except (TestFailure, subprocess.TimeoutExpired) as x:
        print(f"FAIL: {x}")
        for log in e.logs[-3:]:
            if os.path.exists(log):
                print(f"--- {os.path.basename(log)} (last lines)")
                txt = open(log, "rb").read().decode("latin-1")
                print("\n".join(l for l in txt.split("\n") if l.startswith("dfukit-"))[-2000:])
        print(f"(power-cut seed {seed}; work dir kept: {e.work})")
        e.keep = True
    if not e.keep:
        shutil.rmtree(e.work, ignore_errors=True)
    print(f"test_qemu: {'all passed' if ok else 'FAILED'} in {time.monotonic() - t0:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
