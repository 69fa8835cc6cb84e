#!/usr/bin/env python3
"""Compares `dfukit image info --json` output (argv[1]) with imgtool's `dumpinfo -f json`
(argv[2]): header, TLV area and trailer must be equal, and dfukit's extra "hash" must be the
data of the image's hash TLV. Prints one line per difference; exit 1 if any."""
import json
import sys

mine = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))
errors = []
for key in ("header", "tlv_area", "trailer"):
    if mine.get(key) != ref.get(key):
        errors.append(f"{key} differs:\n  dfukit: {mine.get(key)}\n  imgtool: {ref.get(key)}")
hashes = [t["data"] for t in ref["tlv_area"]["tlvs"] if t["type"] in (0x10, 0x11, 0x12)]
if not hashes or mine.get("hash") != hashes[0]:
    errors.append(f"hash {mine.get('hash')} != hash TLV {hashes[:1]}")
if mine.get("version") != ref["header"]["version"]:
    errors.append(f"version {mine.get('version')} != {ref['header']['version']}")
for e in errors:
    print(f"{sys.argv[2]}: {e}")
sys.exit(1 if errors else 0)
