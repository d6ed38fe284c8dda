"""The checks run against the published vectors and crafted inputs."""
from __future__ import annotations  # noqa: F401

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

# ------------------------------------------------------------------ checks


def check_seal_vector(v: dict) -> None:
    root = bytes.fromhex(v["root_key_hex"])
    nonce = bytes.fromhex(v["nonce_hex"])
    plain = bytes.fromhex(v["plaintext_canonical_hex"])
    kind, pairs = v["kind"], v["context"]
    assert expected_canonical(kind, v["plaintext"]) == plain, "canonical plaintext (§3.3)"

    # Seal with the given nonce and compare both forms byte for byte.
    env = seal(root, v["key_id"], kind, pairs, plain, nonce)
    assert env.hex() == v["envelope_hex"], f"envelope differs:\n  got  {env.hex()}\n  want {v['envelope_hex']}"
    assert to_text(env) == v["envelope_text"], "text form differs"

    # Open the published text form independently.
    keyring = {v["key_id"]: root}
    published = from_text(v["envelope_text"])
    assert open_envelope(published, kind, pairs, keyring) == plain, "opened plaintext differs"

    # Tampering with the header's nonce, the ciphertext or the tag fails authentication.
    for at in (12, 24, len(published) - 1):
        expect_error("AuthenticationFailed", open_envelope, flip(published, at), kind, pairs, keyring)
    # The context check catches another place (or a changed check byte) before decryption.
    other = pairs + [["x", "y"]]
    expect_error("ContextMismatch", open_envelope, published, kind, other, keyring)
    expect_error("ContextMismatch", open_envelope, flip(published, 8), kind, pairs, keyring)


def check_error_order(v: dict) -> None:
    """§3.8 checks 1-11 on vector `v`, each one failing on its own."""
    root = bytes.fromhex(v["root_key_hex"])
    env = bytes.fromhex(v["envelope_hex"])
    kind, pairs, kid = v["kind"], v["context"], v["key_id"]
    ring = {kid: root}
    ctx_enc = context_encodings(pairs)[0]
    other_kind = "email" if kind != "email" else "bank_card"
    expect_error("Truncated", open_envelope, b"", kind, pairs, ring)
    expect_error("UnsupportedVersion(2)", open_envelope, b"\x02" + env[1:3], kind, pairs, ring)
    expect_error("Truncated", open_envelope, env[:39], kind, pairs, ring)
    expect_error("Malformed(envelope too large)", open_envelope, env + bytes(MAX_ENVELOPE), kind, pairs, ring)
    expect_error("UnsupportedAlgorithm(3)", open_envelope, env[:1] + b"\x03" + env[2:], kind, pairs, ring)
    expect_error("Malformed(unknown kind code)", open_envelope, env[:6] + u16be(17) + env[8:], kind, pairs, ring)
    expect_error("Malformed(unknown kind code)", open_envelope, env[:6] + u16be(0) + env[8:], kind, pairs, ring)
    expect_error("KindMismatch", open_envelope, env[:6] + u16be(15) + env[8:], kind, pairs, ring)
    expect_error("KindMismatch", open_envelope, env[:6] + u16be(15) + env[8:], "password", pairs, ring)
    expect_error("KindMismatch", open_envelope, env, other_kind, pairs, ring)
    expect_error("SubjectSealed", open_envelope, env[:1] + b"\x02" + env[2:], kind, pairs, ring)
    expect_error(f"UnknownKey({kid})", open_envelope, env, kind, pairs, {kid ^ 1: root})
    expect_error(f"KeyDestroyed({kid})", open_envelope, env, kind, pairs, {kid: None})
    # A wrong context check with an otherwise valid key and header:
    bad = env[:8] + context_check(ctx_enc + b"!") + env[12:]
    expect_error("ContextMismatch", open_envelope, bad, kind, pairs, ring)
    expect_error("AuthenticationFailed", open_envelope, flip(env, 30), kind, pairs, ring)
    expect_error("AuthenticationFailed", open_envelope, env, kind, pairs, {kid: bytes(32)})
    # Text form: prefix, padding and alphabet are strict.
    text = v["envelope_text"]
    expect_error("Malformed(not a dz1 sealed value)", from_text, "dz2." + text[4:])
    expect_error("Malformed(invalid base64)", from_text, text + "=")
    expect_error("Malformed(invalid base64)", from_text, text.replace("A", "+", 1))
    assert from_text("  " + text + "\n") == env, "surrounding white space is trimmed"


def check_subject_vector(v: dict) -> None:
    ring = {v["key_id"]: bytes.fromhex(v["root_key_hex"])}
    blob = bytes.fromhex(v["wrapped_key_hex"])
    subject, kind, pairs = v["subject"], v["kind"], v["context"]
    assert len(blob) == WRAP_LEN and blob[:2] == b"\x01\x03", "wrapped key layout (§5.2)"
    dk = unwrap_subject_key(blob, subject, ring)
    env = from_text(v["envelope_text"])
    if env[:1] == b"\x02":  # §5.3 version 2
        from spec_check.subject_v2 import check_subject_v2

        return check_subject_v2(env, v, dk)
    h = parse_envelope(env, kind)
    assert (h["algorithm"], h["key_id"]) == (ALG_SUBJECT, 0), "subject envelope header (§5.3)"
    plain = open_envelope(env, kind, pairs, subject=subject, data_key=dk)
    assert plain.hex() == v["plaintext_canonical_hex"], "opened plaintext differs"
    # The subject id is bound twice: in the wrap AAD and in the envelope AAD.
    expect_error("AuthenticationFailed", unwrap_subject_key, blob, subject + "x", ring)
    expect_error("AuthenticationFailed", open_envelope, env, kind, pairs, subject=subject + "x", data_key=dk)
    expect_error("NotSubjectSealed", open_envelope, env[:1] + b"\x01" + env[2:], kind, pairs,
                 subject=subject, data_key=dk)
    expect_error("SubjectSealed", open_envelope, env, kind, pairs, ring)
    expect_error("Malformed(not a wrapped subject key)", unwrap_subject_key, blob[:-1], subject, ring)
    expect_error("KeyDestroyed({})".format(v["key_id"]), unwrap_subject_key, blob, subject, {v["key_id"]: None})


def check_keyring_file(v: dict) -> None:
    data, pw = bytes.fromhex(v["file_hex"]), v["passphrase"]
    keys = open_keyring_file(data, pw)
    got = [{k: x[k] for k in ("id", "state", "seal_count")} for x in keys]
    assert sorted(got, key=lambda k: k["id"]) == sorted(v["keys"], key=lambda k: k["id"]), f"keys differ: {got}"
    for k in keys:
        want = v["root_keys_hex"].get(str(k["id"]))
        assert (k["material"].hex() if k["material"] else None) == want, f"material of key {k['id']}"
    # Each failure of §6.3 / §6.4 is distinct.
    expect_error("KeyringFile(NotAKeyringFile)", open_keyring_file, b"DZK", pw)
    expect_error("KeyringFile(UnsupportedVersion(2))", open_keyring_file, data[:4] + b"\x02" + data[5:], pw)
    expect_error("KeyringFile(Truncated)", open_keyring_file, data[:40], pw)
    expect_error("KeyringFile(Corrupted)", open_keyring_file, flip(data, len(data) - 40), pw)
    expect_error("KeyringFile(WrongPassphrase)", open_keyring_file, data, pw + "!")
    body = flip(data[:-32], len(data) - 40)  # payload ciphertext, checksum recomputed
    expect_error("KeyringFile(Tampered)", open_keyring_file, body + hashlib.sha256(body).digest(), pw)


def check_cost_limits(published: dict | None) -> None:
    """§6.4 steps 2 and 2a: bounds (`Parameters`), then the reader's cost limits
    (`CostTooHigh`), both before any Argon2id work; files within them open.
    `published` is a keyring_files vector (§7.2), refused by a tighter reader."""
    pw = "correct horse"
    keys = [(1, 2, 5), (2, 1, 7)]
    good = write_keyring_file(keyring_payload(keys), pw)  # m = 8, t = 1, p = 1
    assert [k["id"] for k in open_keyring_file(good, pw)] == [1, 2], "crafted file opens"
    lim = DEFAULT_COST_LIMITS
    refused = [
        ((4 << 20, 1, 1), "CostTooHigh"),                    # 4 GiB: within the bounds, over the limits
        ((lim["m"] + 1, 1, 1), "CostTooHigh"),               # just over the memory limit
        ((64, lim["t"] + 1, 1), "CostTooHigh"),              # just over the passes limit
        ((8 * (lim["p"] + 1), 1, lim["p"] + 1), "CostTooHigh"),  # just over the lanes limit
        ((lim["m"], lim["t"], 1), "CostTooHigh"),            # each within, m·t over
        ((lim["work"] // 2 + 1, 2, 1), "CostTooHigh"),       # m·t just over 2 GiB·passes
        ((1 << 20, 64, 64), "CostTooHigh"),
        ((64, 0, 1), "Parameters"),                          # bounds are checked first...
        ((4, 1, 1), "Parameters"),                           # m < 8·p
        ((64, 65, 1), "Parameters"),                         # ...t over both: Parameters
        ((8 * 65, 1, 65), "Parameters"),
        (((4 << 20) + 1, 1, 1), "Parameters"),
    ]
    for (m, t, p), want in refused:
        before = ARGON2_RUNS[0]
        expect_error(f"KeyringFile({want})", open_keyring_file, with_costs(good, m, t, p), pw)
        assert ARGON2_RUNS[0] == before, f"Argon2id ran for m={m} t={t} p={p}"
    # The limits are inclusive (checked on the predicate: running them costs GiBs).
    for m, t, p in [(lim["m"], 2, 1), (lim["work"] // lim["t"], lim["t"], lim["p"]), (19456, 2, 1), (8, 1, 1)]:
        assert within_bounds(m, t, p) and within_cost_limits(m, t, p), f"m={m} t={t} p={p} is within"
    # The reader sets its limits: a tighter reader refuses the same file.
    files = [(good, pw)] + ([(bytes.fromhex(published["file_hex"]), published["passphrase"])] if published else [])
    for data, passphrase in files:
        for tight in ({**lim, "m": 7}, {**lim, "work": 7}):
            before = ARGON2_RUNS[0]
            expect_error("KeyringFile(CostTooHigh)", open_keyring_file, data, passphrase, tight)
            assert ARGON2_RUNS[0] == before, "Argon2id ran under tight limits"
    # A file within the limits but with a wrong passphrase still gets that far.
    expect_error("KeyringFile(WrongPassphrase)", open_keyring_file, good, pw + "!")


def check_pins(_: object) -> None:
    """§6.2 pins rules 1-4 and §6.3 check 12: crafted files (valid tag and
    checksum) that break one rule each are refused with its `InvalidPins`."""
    pw = "pins"
    keys = [(1, 2, 0), (2, 1, 0), (3, 3, 0)]  # decrypt-only, active, destroyed

    def read(pins, count=None, extra=b"", ring=keys):
        return read_keyring_file(write_keyring_file(keyring_payload(ring, pins, count) + extra, pw), pw)

    def refused(want, pins, count=None, extra=b"", ring=keys):
        expect_error(want if want.startswith("KeyringFile(") else f"KeyringFile(InvalidPins({want}))",
                     read, pins, count, extra, ring)

    # Accepted: no section, all three namespaces, one namespace only, a pin to the active key.
    assert read(None)[1] == {}
    good = [("blind_index:sales", 1), ("fpe:sales", 1), ("pseudonym:sales", 1)]
    assert read(good)[1] == dict(good)
    edge = "a" * 62 + ".-"
    assert read([("pseudonym:" + edge, 2), ("fpe:a_b", 1)])[1] == {"pseudonym:" + edge: 2, "fpe:a_b": 1}
    # Rule 1.
    refused("empty pins section", [])
    # Rule 2: the namespace, then the domain (§9.1: 1-64 of a-z 0-9 . _ -).
    refused("unknown pin namespace", [("tokens:sales", 1)])
    refused("unknown pin namespace", [("Pseudonym:sales", 1)])
    refused("unknown pin namespace", [(":sales", 1)])
    refused("unknown pin namespace", [("sales", 1)])  # no `:` at all (the crate's answer)
    refused("invalid domain name", [("pseudonym:Sales!", 1)])
    refused("invalid domain name", [("pseudonym:", 1)])
    refused("invalid domain name", [("fpe:" + "a" * 65, 1)])
    refused("invalid domain name", [("fpe:sales:x", 1)])  # split at the first `:`
    refused("invalid domain name", [("blind_index:sal es", 1)])
    # Rule 3.
    refused("duplicate pin", [("fpe:sales", 1), ("fpe:sales", 2)])
    # Rule 4.
    refused("pin to a missing key", [("pseudonym:sales", 9)])
    refused("pin to a missing key", [("pseudonym:sales", 0)])
    refused("pin to a destroyed key", [("pseudonym:sales", 3)])
    # Order: rules 2-3 per pin in file order, rule 4 once all pins are read.
    refused("unknown pin namespace", [("fpe:sales", 9), ("tokens:sales", 1)])
    refused("invalid domain name", [("fpe:sales", 1), ("fpe:Sales", 1), ("fpe:sales", 1)])
    refused("duplicate pin", [("fpe:sales", 9), ("fpe:sales", 1)])
    # Several pins breaking rule 4: the first in file order (§6.3 row 12).
    refused("pin to a missing key", [("pseudonym:sales", 9), ("fpe:sales", 3)])
    refused("pin to a destroyed key", [("pseudonym:sales", 3), ("fpe:sales", 9)])
    # Structure before rules: bytes after the section are Malformed even when a pin breaks a rule.
    refused("KeyringFile(Malformed)", [("tokens:sales", 1)], extra=b"\x00")
    refused("KeyringFile(Malformed)", [], extra=b"\x00")  # n = 0 and trailing bytes
    # Structure stays Truncated / Malformed: a short section, bytes after it, bad keys.
    refused("KeyringFile(Truncated)", [("fpe:sales", 1)], count=2)
    refused("KeyringFile(Truncated)", None, extra=b"\x00\x00")  # not even a count
    refused("KeyringFile(Malformed)", [("fpe:sales", 1)], extra=b"\x00")
    refused("KeyringFile(Malformed)", [("fpe:sales", 9)], extra=b"\x00")  # before rule 4
    refused("KeyringFile(Malformed)", [("tokens:x", 1)], ring=[(1, 1, 0), (2, 1, 0)])  # two active keys
    refused("KeyringFile(Malformed)", [(b"fpe:\xff", 1)])  # not UTF-8 (the crate's answer)
