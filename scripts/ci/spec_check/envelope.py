"""SPEC.md §3 envelopes (build, parse, open) and §5 subject keys."""
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

# ------------------------------------------------------------------ §3 envelope


def header(algorithm: int, key_id: int, kind: str, check: bytes, nonce: bytes) -> bytes:
    return bytes([VERSION, algorithm]) + u32be(key_id) + u16be(KIND_CODES[kind]) + check + nonce


AAD_HEADER_LEN = 12  # header[0..12]: everything but the nonce


def aad(head: bytes, bound_enc: bytes, subject: str | None = None) -> bytes:
    """§3.4: header[0..12] || [enc(subject_id)] || bound_enc."""
    extra = enc(subject.encode()) if subject is not None else b""
    return head[:AAD_HEADER_LEN] + extra + bound_enc


def seal(secret: bytes, key_id: int, kind: str, pairs, plaintext: bytes, nonce: bytes,
         subject: str | None = None) -> bytes:
    """Build an envelope (algorithm 1, or 2 when `subject` is given)."""
    ctx_enc, scope_enc, bound_enc = context_encodings(pairs)
    alg = ALG_ROOT if subject is None else ALG_SUBJECT
    head = header(alg, key_id if subject is None else 0, kind, context_check(ctx_enc), nonce)
    key = sealing_key(secret, kind, scope_enc)
    return head + AESGCM(key).encrypt(nonce, plaintext, aad(head, bound_enc, subject))


def to_text(envelope: bytes) -> str:
    """§3.7: "dz1." + unpadded base64url."""
    return TEXT_PREFIX + base64.urlsafe_b64encode(envelope).decode().rstrip("=")


def from_text(text: str) -> bytes:
    """§3.7 strict decoding of the text form."""
    text = text.strip()
    if not text.startswith(TEXT_PREFIX):
        raise OpenError("Malformed(not a dz1 sealed value)")
    body = text[len(TEXT_PREFIX):]
    if len(body) > MAX_TEXT_BODY:
        raise OpenError("Malformed(envelope too large)")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", body) or len(body) % 4 == 1:
        raise OpenError("Malformed(invalid base64)")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except binascii.Error as e:
        raise OpenError("Malformed(invalid base64)") from e
    if to_text(raw)[len(TEXT_PREFIX):] != body:  # non-zero unused bits
        raise OpenError("Malformed(non-canonical base64)")
    return raw


def parse_envelope(env: bytes, expected_kind: str) -> dict:
    """§3.8 checks 1-7: structure, before any key is touched."""
    if len(env) == 0:
        raise OpenError("Truncated")
    if env[0] != VERSION:
        raise OpenError(f"UnsupportedVersion({env[0]})")
    if len(env) < HEADER_LEN + TAG_LEN:
        raise OpenError("Truncated")
    if len(env) > MAX_ENVELOPE:
        raise OpenError("Malformed(envelope too large)")
    alg = env[1]
    if alg not in (ALG_ROOT, ALG_SUBJECT):
        raise OpenError(f"UnsupportedAlgorithm({alg})")
    (key_id,) = struct.unpack(">I", env[2:6])
    (code,) = struct.unpack(">H", env[6:8])
    if code not in KINDS:
        raise OpenError("Malformed(unknown kind code)")
    if KINDS[code] != expected_kind or code in NEVER_SEALED:  # §3.3: password is never sealed
        raise OpenError("KindMismatch")
    return {"algorithm": alg, "key_id": key_id, "kind": KINDS[code], "check": env[8:12],
            "nonce": env[12:24]}


def open_envelope(env: bytes, kind: str, pairs, keyring: dict[int, bytes | None] | None = None,
                  subject: str | None = None, data_key: bytes | None = None) -> bytes:
    """§3.8: open with a keyring {id: root or None if destroyed} (algorithm 1)
    or with a subject id and its unwrapped data key (algorithm 2)."""
    h = parse_envelope(env, kind)
    ctx_enc, scope_enc, bound_enc = context_encodings(pairs)
    if subject is None:
        if h["algorithm"] != ALG_ROOT:
            raise OpenError("SubjectSealed")
        if h["key_id"] not in keyring:
            raise OpenError(f"UnknownKey({h['key_id']})")
        secret = keyring[h["key_id"]]
        if secret is None:
            raise OpenError(f"KeyDestroyed({h['key_id']})")
        if h["check"] != context_check(ctx_enc):
            raise OpenError("ContextMismatch")
    else:
        if h["algorithm"] != ALG_SUBJECT:
            raise OpenError("NotSubjectSealed")
        if h["check"] != context_check(ctx_enc):
            raise OpenError("ContextMismatch")
        secret = data_key
    key = sealing_key(secret, kind, scope_enc)
    try:
        return AESGCM(key).decrypt(h["nonce"], env[HEADER_LEN:], aad(env[:HEADER_LEN], bound_enc, subject))
    except InvalidTag as e:
        raise OpenError("AuthenticationFailed") from e


def expected_canonical(kind: str, plaintext: str) -> bytes:
    """§3.3 canonical bytes of the vectors' human-readable plaintexts."""
    if kind == "geo_point":
        lat, lon = (float(x) for x in plaintext.split(","))
        return struct.pack(">dd", lat + 0.0, lon + 0.0)  # + 0.0 turns -0.0 into +0.0
    if kind == "biometric":
        return base64.b64decode(plaintext, validate=True)
    return plaintext.encode()



# ------------------------------------------------------------------ §5 subject keys


def unwrap_subject_key(blob: bytes, subject: str, keyring: dict[int, bytes | None]) -> bytes:
    """§5.2, checks of §5.4 (steps 1, 4-6)."""
    if not 1 <= len(subject.encode()) <= MAX_SUBJECT_LEN:
        raise OpenError("Key(subject id must be 1 to 256 bytes)")
    if len(blob) != WRAP_LEN or blob[0] != WRAP_VERSION or blob[1] != WRAP_ALG:
        raise OpenError("Malformed(not a wrapped subject key)")
    (key_id,) = struct.unpack(">I", blob[2:6])
    if key_id not in keyring:
        raise OpenError(f"UnknownKey({key_id})")
    if keyring[key_id] is None:
        raise OpenError(f"KeyDestroyed({key_id})")
    wk = derive(keyring[key_id], WRAP_LABEL)
    head = blob[:WRAP_HEAD_LEN]
    try:
        return AESGCM(wk).decrypt(blob[6:18], blob[WRAP_HEAD_LEN:], head + enc(subject.encode()))
    except InvalidTag as e:
        raise OpenError("AuthenticationFailed") from e
