#!/usr/bin/env python3
"""Independent check of desensitize's wire format against SPEC.md.

Written from SPEC.md alone (not from the Rust sources), with the Python
standard library and the `cryptography` package:

* for every vector of tests/vectors/seal.json (SPEC.md §7.1): derive the
  sealing key (§2), build the envelope with the vector's nonce (§3) and
  compare it with `envelope_hex` and `envelope_text` byte for byte; then parse
  `envelope_text` on its own (§3.7, §3.8), recompute the AAD, decrypt and
  compare with `plaintext_canonical_hex`; and check that tampered copies fail;
* for tests/vectors/keyring.json (§7.2), if present: unwrap each wrapped
  subject key and open its subject-sealed envelope (§5), and open each
  protected keyring file with its passphrase (§6);
* check §6.4's reader cost limits (`CostTooHigh` after the bounds, before any
  Argon2id run) and §6.2's pins rules (§6.3 check 12, `InvalidPins`) on
  keyring files the script writes itself from §6 (valid tag and checksum);
* check that the reader's structural checks fail in the order of §3.8;
* check §3.3's canonical forms: every vector's plaintext is canonical, and
  envelopes crafted around valid values in non-canonical spellings (upper-case
  e-mail domain, `-0.0`, uncompressed IPv6, ...) authenticate but are refused
  by check 12; the 15-digit ID number upgrade;
* recompute the §9.2 token (tests/vectors/token.txt) and the §9.3 blind index
  (tests/vectors/blind_index.txt) from their documented inputs;
* envelope v2 and the cipher suites (§3a, §12; tests/vectors/seal_v2.json):
  rebuild every `aes` (XAES-256-GCM) and `gm` (SM4-GCM, HKDF-SM3, HMAC-SM3)
  vector byte for byte, open it, and check the keyed context check's two
  refusals; run the C2SP XAES-256-GCM vectors (the two fixed ones and the
  10 000-iteration accumulated one); open the `python_sealed` envelopes, which
  `--write-python-sealed` writes for the crate's test to open
  (tests/crypto/vectors_v2.rs); open the grouped envelopes of
  tests/vectors/seal_v2_grouped.json (one batch call per suite, one nonce
  group each, SPEC.md §3a.3) and check that each group shares N[0..12] and
  draws N[12..24] afresh;
* the `gm` suite's analytics (§12.3; tests/vectors/gm_analytics.json): an
  HMAC-SM3 token and blind index under HKDF-SM3 keys, and FF1-SM4 (a Python
  FF1, checked on NIST's FF1-AES256 sample first).

The implementation lives in `scripts/ci/spec_check/`, one module per part of
SPEC.md (`common`: §1, §2, §4; `envelope`: §3, §5; `canonical`: §3.3 and
check 12; `keyring_file`: §6; `checks`: what is checked against the vectors);
this file runs it.

Usage:
    python3 scripts/ci/verify_vectors.py              # verify everything
    python3 scripts/ci/verify_vectors.py --explain 0  # SPEC.md §7.3 walk-through
    python3 scripts/ci/verify_vectors.py --write-python-sealed  # refresh seal_v2.json's python_sealed

Prints one line per vector and finally `N passed, M failed`; exits non-zero
if anything failed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import struct
import sys
import unicodedata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spec_check.common import *  # noqa: F403
from spec_check.envelope import *  # noqa: F403
from spec_check.canonical import *  # noqa: F403
from spec_check.keyring_file import *  # noqa: F403
from spec_check.checks import *  # noqa: F403
from spec_check import gm_keys, suites


# ------------------------------------------------------------------ --explain


def explain(v: dict) -> None:
    """Print the SPEC.md §7.3 intermediate values for vector `v`."""
    root = bytes.fromhex(v["root_key_hex"])
    nonce = bytes.fromhex(v["nonce_hex"])
    plain = bytes.fromhex(v["plaintext_canonical_hex"])
    ctx_enc, scope_enc, bound_enc = context_encodings(v["context"])
    info = seal_info(v["kind"], scope_enc)
    prk = hkdf_prk(root)
    key = sealing_key(root, v["kind"], scope_enc)
    assert key == hmac.new(prk, info + b"\x01", hashlib.sha256).digest()
    check_input = CONTEXT_DOMAIN + ctx_enc
    check = context_check(ctx_enc)
    head = header(ALG_ROOT, v["key_id"], v["kind"], check, nonce)
    ad = aad(head, bound_enc)
    sealed = AESGCM(key).encrypt(nonce, plain, ad)
    env = head + sealed
    rows = [
        ("note", v["note"]),
        ("root key (IKM)", root.hex()),
        ("key id", f"{v['key_id']} -> {u32be(v['key_id']).hex()}"),
        ("kind", f"{v['kind']} (code {KIND_CODES[v['kind']]} -> {u16be(KIND_CODES[v['kind']]).hex()})"),
        ("context", " ".join(f"{n}={x}" for n, x in v["context"])),
        ("ctx_enc", f"{ctx_enc.hex()} ({len(ctx_enc)} bytes)"),
        ("scope_enc", f"{scope_enc.hex()} ({len(scope_enc)} bytes)"),
        ("bound_enc", f"{bound_enc.hex()} ({len(bound_enc)} bytes)"),
        ("HKDF salt", HKDF_SALT.hex()),
        ("HKDF info", f"{info.hex()} ({len(info)} bytes)"),
        ("HKDF PRK", prk.hex()),
        ("sealing key", key.hex()),
        ("check input", f"{check_input.hex()} ({len(check_input)} bytes)"),
        ("SHA-256", hashlib.sha256(check_input).hexdigest()),
        ("context check", check.hex()),
        ("nonce", nonce.hex()),
        ("header", head.hex()),
        ("AAD", f"{ad.hex()} ({len(ad)} bytes)"),
        ("plaintext", f"{plain.hex()} ({len(plain)} bytes)"),
        ("ciphertext", sealed[:-TAG_LEN].hex()),
        ("tag", sealed[-TAG_LEN:].hex()),
        ("envelope", f"{env.hex()} ({len(env)} bytes)"),
        ("text", to_text(env)),
    ]
    for name, value in rows:
        print(f"{name:>14}: {value}")
    print("matches envelope_hex:", env.hex() == v["envelope_hex"])


# ------------------------------------------------------------------ main


def check_token(expected: str) -> None:
    """§9.2: token of mobile 13800138000, domain `analytics`, key id 1, root 11 x 32."""
    key = derive(b"\x11" * 32, [b"desensitize.pseudonym", b"analytics"])
    mac = hmac.new(key, enc(b"cn.mobile_phone", b"13800138000"), hashlib.sha256).digest()[:16]
    got = "tk1.1." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    if got != expected:
        raise AssertionError(f"token {got} != {expected}")


def check_blind_index(expected: str) -> None:
    """§9.3: 18-bit `full` index `users.phone` of mobile 13800138000, root 11 x 32."""
    key = derive(b"\x11" * 32, [b"desensitize.blind_index", b"users.phone", b"cn.mobile_phone", b"full"])
    part = b"13800138000"
    mac = hmac.new(key, u16be(len(part)) + part, hashlib.sha256).digest()
    bits = 18
    got = format(int.from_bytes(mac[:8], "big") >> (64 - bits), f"0{(bits + 3) // 4}x")
    if got != expected:
        raise AssertionError(f"blind index {got} != {expected}")


def check_python_sealed(v: dict) -> None:
    """An envelope this script sealed earlier (random nonce) opens again."""
    if suites.open_v2(v, bytes.fromhex(v["envelope_hex"])) != bytes.fromhex(v["plaintext_canonical_hex"]):
        raise AssertionError("does not open")


def add_gm_key_checks(checks: list) -> None:
    """§5.2 v2, §5.3, §6.4, §6.5 under `gm` (tests/vectors/gm_keys.json)."""
    doc = json.loads(gm_keys.GM_KEYS_VECTORS.read_text(encoding="utf-8"))
    for i, v in enumerate(doc["subject_sealed"]):
        checks.append((f"gm_keys subject[{i}]: {v['note']}", gm_keys.check_gm_subject_vector, v))
    for i, v in enumerate(doc["keyring_files"]):
        checks.append((f"gm_keys keyring_file[{i}]: {v['note']}", gm_keys.check_gm_keyring_file, v))


def check_grouped(group: list) -> None:
    """Envelopes of one nonce group (SPEC.md §3a.3) open like any other and
    share N[0..12], each with its own N[12..24]."""
    envelopes = [bytes.fromhex(v["envelope_hex"]) for v in group]
    for v, env in zip(group, envelopes):
        if suites.open_v2(v, env) != bytes.fromhex(v["plaintext_canonical_hex"]):
            raise AssertionError("does not open")
    if len({env[12:24] for env in envelopes}) != 1:
        raise AssertionError("the group's envelopes do not share N[0..12]")
    if len({env[24:36] for env in envelopes}) != len(envelopes):
        raise AssertionError("two envelopes of the group repeat N[12..24]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--explain", type=int, metavar="N", help="print the §7.3 walk-through of vector N")
    ap.add_argument("--write-python-sealed", action="store_true", help="seal seal_v2.json's vectors afresh in Python")
    args = ap.parse_args()

    v2_doc = json.loads(suites.SEAL_V2_VECTORS.read_text(encoding="utf-8"))
    if args.write_python_sealed:
        v2_doc["python_sealed"] = suites.python_sealed(v2_doc["vectors"])
        suites.SEAL_V2_VECTORS.write_text(json.dumps(v2_doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        return 0

    vectors = json.loads(SEAL_VECTORS.read_text(encoding="utf-8"))["vectors"]
    if args.explain is not None:
        explain(vectors[args.explain])
        return 0

    checks = [(f"seal[{i}] {v['kind']}: {v['note']}", check_seal_vector, v) for i, v in enumerate(vectors)]
    checks.append(("§3.8 error order (vector 0)", check_error_order, vectors[0]))
    checks.append(("§3.3 canonical forms, §3.8 check 12", check_canonical_forms, vectors))
    if KEYRING_VECTORS.exists():
        extra = json.loads(KEYRING_VECTORS.read_text(encoding="utf-8"))
        for i, v in enumerate(extra.get("subject_sealed", [])):
            checks.append((f"subject[{i}] {v['kind']} for {v['subject']!r}", check_subject_vector, v))
        for i, v in enumerate(extra.get("keyring_files", [])):
            checks.append((f"keyring_file[{i}]: {v['note']}", check_keyring_file, v))
    published = extra["keyring_files"][0] if KEYRING_VECTORS.exists() and extra.get("keyring_files") else None
    checks.append(("§6.4 reader cost limits (CostTooHigh before Argon2id)", check_cost_limits, published))
    checks.append(("§6.2/§6.3 pins: crafted files refused with InvalidPins", check_pins, None))

    vectors_dir = SEAL_VECTORS.parent
    checks.append(("§9.2 token", check_token, (vectors_dir / "token.txt").read_text(encoding="utf-8").strip()))
    checks.append(
        ("§9.3 blind index", check_blind_index, (vectors_dir / "blind_index.txt").read_text(encoding="utf-8").strip())
    )

    for i, v in enumerate(v2_doc["vectors"]):
        checks.append((f"seal_v2[{i}] {v['suite']} {v['kind']}: {v['note']}", suites.check_v2_vector, v))
    for i, v in enumerate(v2_doc.get("python_sealed", [])):
        checks.append((f"python_sealed[{i}] {v['suite']} opens", check_python_sealed, v))
    grouped = suites.SEAL_V2_VECTORS.with_name("seal_v2_grouped.json")
    groups: dict = {}
    for v in json.loads(grouped.read_text(encoding="utf-8"))["envelopes"]:
        groups.setdefault(v["group"], []).append(v)
    for g, members in sorted(groups.items()):
        name = f"seal_v2_grouped[{g}] {members[0]['suite']}: {len(members)} envelopes of one nonce group open"
        checks.append((name, check_grouped, members))
    checks.append(("C2SP XAES-256-GCM vectors (2 fixed, 10 000 accumulated)", lambda _: suites.c2sp_xaes(), None))
    gm_analytics = json.loads(suites.GM_ANALYTICS.read_text(encoding="utf-8"))
    checks.append(("§12.2-11.3 gm HKDF-SM3, token, blind index (HMAC-SM3) and FF1-SM4", suites.check_gm_analytics, gm_analytics))

    add_gm_key_checks(checks)

    passed = failed = 0
    for name, fn, v in checks:
        try:
            fn(v)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
