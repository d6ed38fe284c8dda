"""SPEC.md constants, value-free errors, encodings, §2 key derivation and §4 contexts."""
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

ROOT = Path(__file__).resolve().parent.parent.parent.parent
SEAL_VECTORS = ROOT / "tests" / "vectors" / "seal.json"
KEYRING_VECTORS = ROOT / "tests" / "vectors" / "keyring.json"

# ---------------------------------------------------------------- SPEC.md §2
HKDF_SALT = b"desensitize/v1"
SEAL_LABEL = b"desensitize.seal"
WRAP_LABEL = [b"desensitize.wrap", b"subject"]
KEYRING_CHECK_LABEL = [b"desensitize.keyring.check"]
KEYRING_WRAP_LABEL = [b"desensitize.keyring.wrap"]

# ---------------------------------------------------------------- SPEC.md §3
VERSION = 1
ALG_ROOT = 1
ALG_SUBJECT = 2
HEADER_LEN = 24
NONCE_LEN = 12
TAG_LEN = 16
MAX_ENVELOPE = (1 << 20) + 4096
TEXT_PREFIX = "dz1."
MAX_TEXT_BODY = 1_403_566
CONTEXT_DOMAIN = b"desensitize.context.v1"

# §3.3: code -> kind id. Code 15 (password) is never sealed.
KINDS = {
    1: "cn.id_number",
    2: "cn.mobile_phone",
    3: "cn.landline",
    4: "bank_card",
    5: "geo_point",
    6: "email",
    7: "person_name",
    8: "address",
    9: "ip_address",
    10: "mac_address",
    11: "imei",
    12: "passport",
    13: "cn.license_plate",
    14: "cn.credit_code",
    15: "password",
    16: "biometric",
}
KIND_CODES = {name: code for code, name in KINDS.items()}
NEVER_SEALED = {15}

# ---------------------------------------------------------------- SPEC.md §5, §6
WRAP_VERSION, WRAP_ALG, WRAP_HEAD_LEN, WRAP_LEN = 1, 3, 18, 66
MAX_SUBJECT_LEN = 256
FILE_MAGIC = b"DZKR"
FILE_VERSION = 1
MAX_FILE = 16 << 20
PASSPHRASE_PROVIDER = "passphrase-argon2id"
STATES = {1: "active", 2: "decrypt-only", 3: "destroyed"}
# §6.4: bounds every file must meet (else `Parameters`), then the reader's cost
# limits (else `CostTooHigh`), the crate's defaults: m KiB, t, p, m·t.
ARGON2_BOUNDS = {"t": 64, "p": 64, "m": 4 << 20}
DEFAULT_COST_LIMITS = {"m": 1 << 20, "t": 10, "p": 16, "work": 2 << 20}
# §6.2 pins: `namespace:domain`, namespace one of these; §9.1 domain names.
PIN_NAMESPACES = ("pseudonym", "blind_index", "fpe")
DOMAIN_RE = re.compile(r"[a-z0-9._-]{1,64}")


class OpenError(Exception):
    """A refused envelope, keyring file or wrapped key; `.args[0]` names the SPEC error."""


# ------------------------------------------------------------------ encoding


def u16be(n: int) -> bytes:
    return struct.pack(">H", n)


def u32be(n: int) -> bytes:
    return struct.pack(">I", n)


def enc(*fields: bytes) -> bytes:
    """§1 field encoding: u16be(n) || (u16be(len) || bytes)*."""
    if len(fields) > 0xFFFF or any(len(f) > 0xFFFF for f in fields):
        raise ValueError("field list too long to encode")
    return u16be(len(fields)) + b"".join(u16be(len(f)) + f for f in fields)


# ------------------------------------------------------------------ §2 keys


def hkdf_prk(secret: bytes) -> bytes:
    """HKDF-Extract with the fixed salt (shown by --explain)."""
    return hmac.new(HKDF_SALT, secret, hashlib.sha256).digest()


def derive(secret: bytes, labels: list[bytes]) -> bytes:
    """derive(S, labels) = HKDF-SHA256(salt, IKM = S, info = enc(labels), L = 32)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=enc(*labels)).derive(secret)


def seal_info(kind: str, scope_enc: bytes) -> bytes:
    return enc(SEAL_LABEL, kind.encode(), scope_enc)


def sealing_key(secret: bytes, kind: str, scope_enc: bytes) -> bytes:
    return derive(secret, [SEAL_LABEL, kind.encode(), scope_enc])


# ------------------------------------------------------------------ §4 context


def context_encodings(pairs: list[list[str]]) -> tuple[bytes, bytes, bytes]:
    """(ctx_enc, scope_enc, bound_enc) of a context given as [[name, value], ...].

    The scope is the first two pairs when the names are `table`, `column`,
    and empty otherwise (the interoperability rule of §4); the bound fields
    are the pairs after the scope.
    """
    flat = [s.encode() for pair in pairs for s in pair]
    scoped = len(pairs) >= 2 and pairs[0][0] == "table" and pairs[1][0] == "column"
    split = 4 if scoped else 0
    return enc(*flat), enc(*flat[:split]), enc(*flat[split:])


def context_check(ctx_enc: bytes) -> bytes:
    """§3.5: first 4 bytes of SHA-256("desensitize.context.v1" || ctx_enc)."""
    return hashlib.sha256(CONTEXT_DOMAIN + ctx_enc).digest()[:4]


# ------------------------------------------------------------------ test helpers


def expect_error(name: str, fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except OpenError as e:
        if e.args[0] != name:
            raise AssertionError(f"expected {name}, got {e.args[0]}") from e
        return
    raise AssertionError(f"expected {name}, but it succeeded")


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
