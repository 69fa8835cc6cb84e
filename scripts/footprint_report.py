#!/usr/bin/env python3
"""Footprint report for scripts/footprint.sh.

Reads build-arm/footprint/fp_<cfg>.map (sizes per input object, after --gc-sections) and the
-fcallgraph-info=su .ci files (stack frame per function + call edges), prints per configuration
the .text/.data/.bss per component and the worst-case stack of the entry point, and compares
every figure with the budget file (fails if a figure exceeds its budget by more than 5 %).

Calls through function pointers (__indirect_call) are resolved to the port functions that the
harness installs (INDIRECT below): flash port, crypto port entries, SMP handlers and send.
"""
import glob
import os
import re
import sys

OUT, BUDGET = sys.argv[1], sys.argv[2]
ENTRIES = {"boot": "fp_boot_main", "smp": "fp_smp_main"}
SECTION_RE = re.compile(r"^\s*\.(text|rodata|data|bss|sbss|sdata)[.\w$]*\s*$")
LINE_RE = re.compile(r"^\s*(?:\.(text|rodata|data|bss)\S*)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.(?:o|a)\S*)")


def component_of(path):
    base = os.path.basename(path)
    if "libmbedcrypto" in path:
        return "mbedtls"
    if re.search(r"lib(c|nosys|g|gcc)", path) or "libc_a" in path:
        return "libc"
    m = re.match(r"([a-z]+)__", base)
    return m.group(1) if m else "other"


def map_sizes(path):
    """Returns {component: {text, data, bss}} from a GNU ld map (discarded sections excluded)."""
    sizes = {}
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
            m = re.match(r"^ \.(text|rodata|data|bss)\S*(\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?", line)
            if m:
                kind = m.group(1)
                if m.group(2) is None:
                    continue  # name on its own line; figures follow on the next
                size, obj = int(m.group(4), 16), m.group(5)
            else:
                m2 = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.(?:o|a)\S*)", line)
                if not m2 or kind is None:
                    kind = None
                    continue
                size, obj = int(m2.group(2), 16), m2.group(3)
                m = m2
            k = {"text": "text", "rodata": "text", "data": "data", "bss": "bss"}[kind]
            comp = component_of(obj)
            sizes.setdefault(comp, {"text": 0, "data": 0, "bss": 0})[k] += size
            kind = None
    return sizes


def callgraph(ci_dir):
    frames, edges = {}, {}
    # Static functions of different files may share a name: they are merged, conservatively
    # (largest frame, union of calls), and files are read in a fixed order, so the figure does
    # not depend on directory order.
    for ci in sorted(glob.glob(os.path.join(ci_dir, "*.ci"))):
        text = open(ci).read()
        for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
            title, label = m.group(1), m.group(2)
            fm = re.search(r"\\n(\d+) bytes \((static|dynamic[^)]*)\)", label)
            if fm:
                name = title.split(":")[-1]
                frames[name] = max(frames.get(name, 0), int(fm.group(1)))
        for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
            edges.setdefault(m.group(1).split(":")[-1], set()).add(m.group(2).split(":")[-1])
    return frames, edges


INDIRECT = {
    "boot": ["fp_nrf52_read", "fp_nrf52_write", "fp_nrf52_erase", "dfu_mbed_hash_init",
             "dfu_mbed_hash_update", "dfu_mbed_hash_finish", "dfu_mbed_ecdsa_verify", "fp_now_ms"],
    "smp": ["fp_nrf52_read", "fp_nrf52_write", "fp_nrf52_erase", "dfu_mbed_hash_init",
            "dfu_mbed_hash_update", "dfu_mbed_hash_finish", "fp_send", "fp_reset"],
}


def worst_stack(entry, frames, edges, indirect):
    memo, unknown = {}, set()

    def walk(fn, stack):
        if fn in memo:
            return memo[fn]
        if fn in stack:
            return 0  # recursion (none expected in device code): counted once
        own = frames.get(fn)
        if own is None:
            unknown.add(fn)
            own = 0
        best = 0
        targets = set(edges.get(fn, ()))
        if "__indirect_call" in targets:
            targets.discard("__indirect_call")
            targets |= set(indirect) | handler_like
        for t in sorted(targets):
            best = max(best, walk(t, stack | {fn}))
        memo[fn] = own + best
        return memo[fn]

    handler_like = {f for f in frames if re.match(r"(os|img|smp_img|smp_os)_\w+", f)}
    return walk(entry, frozenset()), sorted(unknown)


def load_budget(path):
    budget = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#")[0].split()
            if len(line) == 2:
                budget[line[0]] = int(line[1])
    return budget


def main():
    frames, edges = callgraph(os.path.join(OUT, "obj"))
    budget = load_budget(BUDGET)
    figures = {}
    for cfg, entry in ENTRIES.items():
        sizes = map_sizes(os.path.join(OUT, f"fp_{cfg}.map"))
        tot = {k: sum(v[k] for v in sizes.values()) for k in ("text", "data", "bss")}
        print(f"footprint {cfg}: text={tot['text']} data={tot['data']} bss={tot['bss']}")
        for comp in sorted(sizes):
            s = sizes[comp]
            print(f"  {comp:10s} text={s['text']:7d} data={s['data']:5d} bss={s['bss']:6d}")
        stack, unknown = worst_stack(entry, frames, edges, INDIRECT[cfg])
        libc_note = " (+ libc/builtins without frame info)" if unknown else ""
        print(f"  stack-worst {entry}: {stack} bytes{libc_note}")
        figures[f"{cfg}.text"] = tot["text"]
        figures[f"{cfg}.data"] = tot["data"]
        figures[f"{cfg}.bss"] = tot["bss"]
        figures[f"{cfg}.stack"] = stack
    failed = False
    for key, val in sorted(figures.items()):
        lim = budget.get(key)
        if lim is None:
            print(f"footprint budget: {key}={val} has no budget in {BUDGET}")
            failed = True
        elif val > lim * 1.05:
            print(f"footprint budget: {key}={val} exceeds budget {lim} by more than 5 % "
                  f"(update {BUDGET} in the same commit if intended)")
            failed = True
        else:
            print(f"footprint budget: {key}={val} within budget {lim} ({100.0 * val / lim:.1f} %)")
    if os.environ.get("FP_WRITE_BUDGET") == "1":
        with open(BUDGET, "w") as f:
            f.write("# Cortex-M4 -Os footprint budget (scripts/footprint.sh); CI fails above +5 %.\n")
            for key, val in sorted(figures.items()):
                f.write(f"{key} {val}\n")
        print(f"footprint: wrote {BUDGET}")
        failed = False
    sys.exit(1 if failed else 0)


main()
