#!/usr/bin/env python3
"""Footprint report of the linked firmware (scripts/footprint.sh, tests/qemu/test_qemu.py).

  footprint_report.py OUT BUDGET   every firmware directory OUT/<board>/ built by
                                   scripts/firmware.sh: .text/.data/.bss of each image (boot.elf,
                                   app.elf) per component, worst-case stack vs the stack its
                                   linker script configures, budget check (+5 % fails), targets
                                   (bootloader <= 32 KiB .text). FP_WRITE_BUDGET=1 rewrites BUDGET.
  footprint_report.py --stack FW   worst-case stack of each image of one firmware directory:
                                   "stack <image>: worst N configured M"

Sizes come from the GNU ld map (input sections kept after --gc-sections). The stack figure walks
the call graph GCC writes with -fcallgraph-info=su (dfukit, firmware and mbedTLS objects) from
the reset handler: frame sizes plus the deepest callee. Calls through function pointers are
resolved by INDIRECT: for each calling function, the address-taken functions (R_ARM_ABS32
relocations), by defining object and name, that its pointer can hold (flash port, UART, crypto
port, image readers, swap strategy, validator, boot clock, SMP handlers, mbedTLS allocator,
curve reduction). An indirect call from a reachable function without a rule, or a call cycle
(recursion, or a rule too wide), fails the report, so a new one must be accounted for.
libc/libgcc functions have no frame information: each is counted as LIBC_FRAME bytes.
"""
import glob
import os
import re
import subprocess
import sys

LIBC_FRAME = 32  # newlib-nano memcpy/memset/strlen, libgcc helpers: leaf functions, <= 8 pushes
BOOT_TEXT_TARGET = 32 * 1024
IMAGES = ("boot", "app")
ENTRY = "fw_reset_handler"

# caller (regex on the function name) -> [(object regex, function-name regex)]: the address-taken
# functions an indirect call in that caller may reach (port functions, tables' entries)
ANY = r"."
READERS = r"^(?!dfu_)\w*read$"  # dfu_image_reader_t.read implementations (static helpers)
INDIRECT = [
    (r"dfu_flash_(read|write|erase)$", [(r"board__flash_", ANY)]),
    (r"fw_put\w*$|fw_app_run$|fw_boot_run$|app_send$", [(r"board__uart_", ANY)]),
    (r"app_reset$", [(r"board__uart_", ANY), (r"firmware__fw_cortexm", r"^fw_cm_sysreset$")]),
    (r"dfu_image_\w+$|read_pair$", [(r"crypto__crypto_mbedtls", ANY),
                                    (r"boot__boot_validate|smp__img\w*|image__image_header",
                                     READERS)]),
    (r"bind_geometry$", [(r"boot__swap_", r"_check$")]),
    (r"dfu_boot_max_image_size$", [(r"boot__swap_", r"_max$")]),
    (r"start_new$|dfu_boot_go$",
     [(r"boot__swap_", r"_(read_status|run|hdr_loc)$"), (r"boot__boot_validate", r"^imgval_"),
      (r"main__boot_main", r"_ms$")]),  # + the boot clock
    (r"validate$", [(r"boot__boot_validate", r"^imgval_")]),
    (r"dfu_boot_copy$", [(r"boot__boot_validate", r"xcrypt$")]),
    (r"dfu_smp_img_upload$", [(r"crypto__crypto_mbedtls", ANY)]),
    (r"os_\w+$", [(r"firmware__fw_app", r"^app_")]),
    (r"dfu_smp_server_(handle|process|finish)$",
     [(r"smp__(os\w*|img\w*)$", r"^(os_|img_|dfu_smp_img_)"), (r"firmware__fw_app", r"^app_")]),
    (r"mbedtls_calloc$|mbedtls_free$", [(r"mbedtls__memory_buffer_alloc", ANY)]),
    (r"mbedtls_platform_zeroize$", []),  # memset through a volatile pointer: libc, below
    (r"mbedtls_mpi_mul_mod$|ecp_modp$", [(r"mbedtls__ecp_curves", ANY)]),
    (r"mpi_fill_random_internal$", []),  # f_rng: verification passes none
]
INDIRECT_LIBC = {"mbedtls_platform_zeroize": ["memset"]}


def component_of(path):
    base = os.path.basename(path)
    if "libmbedcrypto" in path:
        return "mbedtls"
    if re.search(r"lib(c|nosys|g|gcc|c_nano)\b", path) or "libc_a" in path:
        return "libc"
    m = re.match(r"([a-z]+)__", base)
    return m.group(1) if m else "other"


def map_sizes(path):
    """{component: {text, data, bss}} from a GNU ld map (discarded sections excluded)."""
    sizes = {}
    end_seen = {}
    in_discard = False
    kind = None
    with open(path) as f:
        for line in f:
            if line.startswith("Discarded input sections"):
                in_discard = True
            elif line.startswith("Memory Configuration") or line.startswith("Linker script"):
                in_discard = False
            if in_discard:
                continue
            m = re.match(r"^ \.(text|rodata|data|bss|isr_vector|ARM\.exidx)\S*"
                         r"(\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?", line)
            if m:
                kind = m.group(1)
                if m.group(2) is None:
                    continue  # name on its own line; figures follow on the next
                addr, size, obj = int(m.group(3), 16), int(m.group(4), 16), m.group(5)
            else:
                m2 = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.(?:o|a)\S*)", line)
                if not m2 or kind is None:
                    kind = None
                    continue
                addr, size, obj = int(m2.group(1), 16), int(m2.group(2), 16), m2.group(3)
            k = {"data": "data", "bss": "bss"}.get(kind, "text")
            # Merged string sections (.str1.1) are listed at one address with their sizes before
            # merging: count only what extends past the bytes already counted.
            if size and k != "bss":
                start = max(addr, end_seen.get(k, 0))
                end_seen[k] = max(end_seen.get(k, 0), addr + size)
                size = max(0, addr + size - start)
            sizes.setdefault(component_of(obj), {"text": 0, "data": 0, "bss": 0})[k] += size
            kind = None
    return sizes


def elf_sizes(elf):
    """Berkeley sizes of the linked image (arm-none-eabi-size): text includes constants and the
    vector table, data is initialised RAM (its values also occupy flash)."""
    out = subprocess.run(["arm-none-eabi-size", elf], capture_output=True, text=True,
                         check=True).stdout.split("\n")[1].split()
    return {"text": int(out[0]), "data": int(out[1]), "bss": int(out[2])}


def name_of(title):
    return title.split(":")[-1]


def read_ci(paths, tag):
    """Frames {title: bytes}, edges {title: set(titles)}, defining object {title: tag}."""
    frames, edges, owner = {}, {}, {}
    for ci in sorted(paths):
        obj = tag(ci)
        text = open(ci).read()
        for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
            fm = re.search(r"\\n(\d+) bytes \((static|dynamic[^)]*)\)", m.group(2))
            if fm:
                frames[m.group(1)] = max(frames.get(m.group(1), 0), int(fm.group(1)))
                owner[m.group(1)] = obj
        for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
            edges.setdefault(m.group(1), set()).add(m.group(2))
    return frames, edges, owner


def address_taken(objs, tag):
    """{object tag: set(symbol names)} whose address the object stores (R_ARM_ABS32
    relocations: tables, port structs, literal pools)."""
    taken = {}
    out = subprocess.run(["arm-none-eabi-objdump", "-r"] + sorted(objs), capture_output=True,
                         text=True, check=True).stdout
    cur = None
    for line in out.split("\n"):
        m = re.match(r"^(\S+\.o):\s+file format", line) or re.match(r"^In archive .*", line)
        if m and line.endswith("file format elf32-littlearm"):
            cur = tag(m.group(1))
            continue
        p = line.split()
        if cur and len(p) == 3 and p[1] == "R_ARM_ABS32":
            sym = re.sub(r"\+0x[0-9a-f]+$", "", p[2])
            sym = sym[len(".text."):] if sym.startswith(".text.") else sym
            taken.setdefault(cur, set()).add(sym)
    return taken


def linked_functions(elf):
    out = subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True,
                         check=True).stdout
    return {p[2] for p in (l.split() for l in out.split("\n")) if len(p) == 3 and p[1] in "tTW"}


def stack_figure(fw, image):
    """(worst-case bytes, configured bytes, notes) of one image of a firmware directory."""
    mbed = open(os.path.join(fw, "mbedtls.dir")).read().strip()

    def tag(path):
        base = os.path.basename(path)
        base = re.sub(r"\.(ci|o)$", "", base)
        return base if path.find(mbed) < 0 else f"mbedtls__{base}"

    cis = glob.glob(os.path.join(fw, "obj", "lib", "*.ci")) + \
        glob.glob(os.path.join(fw, "obj", image, "*.ci")) + glob.glob(os.path.join(mbed, "*.ci"))
    objs = [c[:-3] + ".o" for c in cis]
    frames, edges, owner = read_ci(cis, tag)
    taken = address_taken(objs, tag)
    elf = os.path.join(fw, f"{image}.elf")
    linked = linked_functions(elf)
    all_taken = set().union(*taken.values()) if taken else set()

    def resolve(title):
        """Titles of the functions an indirect call in `title` may reach: address-taken, linked,
        defined in an object (and named as) a rule says."""
        name = name_of(title)
        for pat, targets in INDIRECT:
            if re.search(pat, name):
                out = set(INDIRECT_LIBC.get(name, []))
                for t, obj in owner.items():
                    fn = name_of(t)
                    if fn in all_taken and fn in linked and any(
                            re.search(op, obj) and re.search(np, fn) for op, np in targets):
                        out.add(t)
                return out
        return None

    memo, unknown, unresolved, cycles = {}, set(), set(), set()

    def walk(t, stack):
        """(worst bytes from t, whether a call cycle was cut below t). Results reached through a
        cut cycle depend on the path, so only cut-free results are memoised."""
        if t in memo:
            return memo[t], False
        if t in stack:
            cycles.add(name_of(t))
            return 0, True
        own = frames.get(t)
        if own is None:
            unknown.add(name_of(t))
            own = LIBC_FRAME
        best, cut = 0, False
        callees = set()
        for callee in edges.get(t, ()):
            if callee == "__indirect_call":
                targets = resolve(t)
                if targets is None:
                    unresolved.add(name_of(t))
                    continue
                callees |= targets
            else:
                callees.add(callee)
        for x in sorted(callees):
            v, c = walk(x, stack | {t})
            best, cut = max(best, v), cut or c
        if not cut:
            memo[t] = own + best
        return own + best, cut

    worst = walk(ENTRY, frozenset())[0]
    syms = subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True).stdout
    m = re.search(r"^([0-9a-f]+) A _stack_size$", syms, re.M)
    configured = int(m.group(1), 16) if m else 0
    if unresolved:
        raise SystemExit(f"footprint: {elf}: indirect calls without a rule in "
                         f"scripts/footprint_report.py INDIRECT: {', '.join(sorted(unresolved))}")
    if cycles:
        raise SystemExit(f"footprint: {elf}: call cycles through {', '.join(sorted(cycles))}: "
                         f"recursion (or an INDIRECT rule too wide); the stack has no bound")
    return worst, configured, sorted(unknown)


def stack_mode(fw):
    for image in IMAGES:
        worst, configured, unknown = stack_figure(fw, image)
        print(f"stack {image}: worst {worst} configured {configured} "
              f"(libc without frame info, {LIBC_FRAME} B each: {' '.join(unknown) or 'none'})")


def load_budget(path):
    budget = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#")[0].split()
            if len(line) == 2:
                budget[line[0]] = int(line[1])
    return budget


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--stack":
        stack_mode(sys.argv[2])
        return 0
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    out, budget_path = sys.argv[1], sys.argv[2]
    budget = load_budget(budget_path)
    figures, failed = {}, False
    for fw in sorted(glob.glob(os.path.join(out, "*", "mbedtls.dir"))):
        fw = os.path.dirname(fw)
        board = os.path.basename(fw)
        for image in IMAGES:
            sizes = map_sizes(os.path.join(fw, f"{image}.map"))
            tot = elf_sizes(os.path.join(fw, f"{image}.elf"))
            for k in ("text", "data", "bss"):  # alignment padding, the NOLOAD shared area
                rest = tot[k] - sum(v[k] for v in sizes.values())
                if rest:
                    sizes.setdefault("(linker)", {"text": 0, "data": 0, "bss": 0})[k] = rest
            worst, configured, unknown = stack_figure(fw, image)
            print(f"footprint {board} {image}.elf: text={tot['text']} data={tot['data']} "
                  f"bss={tot['bss']}")
            for comp in sorted(sizes, key=lambda c: -sizes[c]["text"]):
                s = sizes[comp]
                print(f"  {comp:10s} text={s['text']:7d} data={s['data']:5d} bss={s['bss']:6d}")
            print(f"  stack-worst {ENTRY}: {worst} bytes of {configured} configured "
                  f"(libc without frame info counted {LIBC_FRAME} B each: {' '.join(unknown)})")
            key = f"{board}.{image}"
            for k in ("text", "data", "bss"):
                figures[f"{key}.{k}"] = tot[k]
            figures[f"{key}.stack"] = worst
            if worst > configured:
                print(f"footprint: {key}: worst-case stack {worst} B exceeds the {configured} B "
                      f"the linker script configures (ports/{board}/board.h)")
                failed = True
            if image == "boot" and tot["text"] > BOOT_TEXT_TARGET:
                print(f"footprint: {key}: .text {tot['text']} B exceeds the bootloader target "
                      f"{BOOT_TEXT_TARGET} B")
                failed = True
    if not figures:
        print(f"footprint: no firmware directories under {out}")
        return 1
    for key, val in sorted(figures.items()):
        lim = budget.get(key)
        if lim is None:
            print(f"footprint budget: {key}={val} has no budget in {budget_path}")
            failed = True
        elif val > lim * 1.05:
            print(f"footprint budget: {key}={val} exceeds budget {lim} by more than 5 % "
                  f"(update {budget_path} in the same commit if intended)")
            failed = True
        else:
            print(f"footprint budget: {key}={val} within budget {lim} ({100.0 * val / lim:.1f} %)")
    if os.environ.get("FP_WRITE_BUDGET") == "1":
        with open(budget_path, "w") as f:
            f.write("# Cortex-M4 -Os footprint budget of the linked firmware (scripts/footprint.sh);"
                    " CI fails above +5 %.\n")
            for key, val in sorted(figures.items()):
                f.write(f"{key} {val}\n")
        print(f"footprint: wrote {budget_path}")
        failed = False
    return 1 if failed else 0


sys.exit(main())
