#!/usr/bin/env python3
"""Builds a small RSA-3072-PSS signed MCUboot image (no imgtool vector covers RSA-3072).

Usage: gen_rsa3072.py OUTDIR  -> OUTDIR/rsa3072.bin, OUTDIR/rsa3072.pub.der (PKCS#1 RSAPublicKey).
Layout per ../shared/docs/mcuboot-format.md: 32-byte header, payload, unprotected TLVs
SHA256 | KEYHASH (SHA-256 of the key DER) | RSA3072_PSS (PSS, SHA-256, MGF1-SHA-256, salt 32).
Exits 2 if python3-cryptography is unavailable."""
import hashlib
import os
import struct
import sys

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:
    sys.exit(2)

out = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                    serialization.PublicFormat.PKCS1)
payload = bytes((i * 13 + 5) & 0xff for i in range(1000))
hdr = struct.pack('<IIHHIIBBHII', 0x96f3b83d, 0, 32, 0, len(payload), 0, 3, 1, 4, 9, 0)
region = hdr + payload
digest = hashlib.sha256(region).digest()
sig = key.sign(region, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
               hashes.SHA256())  # PSS over SHA-256(region) = over the digest
assert len(sig) == 384
tlvs = struct.pack('<HH', 0x10, 32) + digest
tlvs += struct.pack('<HH', 0x01, 32) + hashlib.sha256(pub).digest()
tlvs += struct.pack('<HH', 0x23, 384) + sig
img = region + struct.pack('<HH', 0x6907, 4 + len(tlvs)) + tlvs
with open(os.path.join(out, 'rsa3072.bin'), 'wb') as f:
    f.write(img)
with open(os.path.join(out, 'rsa3072.pub.der'), 'wb') as f:
    f.write(pub)
