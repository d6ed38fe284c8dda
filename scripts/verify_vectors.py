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
  (tests/vectors/blind_index.txt) from their documented inputs.

Usage:
    python3 scripts/verify_vectors.py              # verify everything
    python3 scripts/verify_vectors.py --explain 0  # SPEC.md §7.3 walk-through

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

ROOT = Path(__file__).resolve().parent.parent
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


# ------------------------------------------------------------------ §3.3 canonical forms
# Check 12 of §3.8: an authenticated plaintext that is not the canonical form
# of its kind is refused. Each function returns None for a canonical
# plaintext, else the name of the first rule it breaks (the crate's
# `Invalid` reason where §3.3 names one, `NonCanonical` for a valid value in
# a non-canonical spelling).

ID_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
PLATE_PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"
PLATE_SUFFIXES = "学警挂领港澳"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
NAME_DOTS = "\u2022\u30fb\u2027\uff0e"


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def upgrade_id15(legacy: str) -> str:
    """§3.3: a 15-digit number gets `19` before its 2-digit year and a check character."""
    assert len(legacy) == 15 and legacy.isascii() and legacy.isdigit()
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + id_check_char(first17)


def real_date(y: int, m: int, d: int) -> bool:
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= m <= 12 and 1 <= d <= days[m - 1]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def rfc5952(groups: list[int]) -> str:
    """IPv6 text per RFC 5952 (§3.3 kind 9), IPv4-mapped as ::ffff:a.b.c.d."""
    if groups[:6] == [0, 0, 0, 0, 0, 0xFFFF]:
        return "::ffff:" + ".".join(str(b) for g in groups[6:] for b in (g >> 8, g & 0xFF))
    best, best_len, i = -1, 1, 0
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len:
                best, best_len = i, j - i
            i = j
        else:
            i += 1
    hexes = [format(g, "x") for g in groups]
    if best < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len:])


def canonical_ip(text: str) -> str | None:
    """The canonical text of an IPv4/IPv6 address, or None if it is none."""
    import ipaddress
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 4:
        return str(ip)
    b = ip.packed
    return rfc5952([b[i] << 8 | b[i + 1] for i in range(0, 16, 2)])


def canonical_refusal(kind: str, plain: bytes) -> str | None:
    """None if `plain` is the canonical plaintext of a `kind` value (§3.3), else why not."""
    if kind == "geo_point":
        if len(plain) != 16:
            return "Length"
        lat, lon = struct.unpack(">dd", plain)
        if not all(map(math.isfinite, (lat, lon))):
            return "NotFinite"
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return "OutOfRange"
        if plain[0] == 0x80 and lat == 0 or plain[8] == 0x80 and lon == 0:
            return "NonCanonical"  # -0.0
        return None
    if kind == "biometric":
        return None if 1 <= len(plain) <= 1 << 20 else ("Empty" if not plain else "TooLong")
    try:
        s = plain.decode("utf-8")
    except UnicodeDecodeError:
        return "Character"
    if kind == "cn.id_number":
        if len(s) != 18:
            return "Length"
        if not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
            return "Character"
        if int(s[:2]) not in ID_PROVINCES:
            return "Province"
        y, m, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
        if y < 1800 or not real_date(y, m, d):
            return "BirthDate"
        return None if id_check_char(s[:17]) == s[17] else "CheckDigit"
    if kind == "cn.mobile_phone":
        if not (s.isascii() and s.isdigit()):
            return "Character"
        if len(s) != 11:
            return "Length"
        return None if s[0] == "1" and s[1] in "3456789" else "Prefix"
    if kind in ("bank_card", "imei"):
        if not (s.isascii() and s.isdigit()):
            # The crate validates card digits directly; an IMEI it re-parses,
            # so separators there make a valid value in another spelling.
            spelled = kind == "imei" and re.fullmatch(r"[0-9][0-9 \t-]*", s.strip()) is not None
            return "NonCanonical" if spelled else "Character"
        if not (12 <= len(s) <= 19 if kind == "bank_card" else len(s) == 15):
            return "Length"
        return None if luhn_ok(s) else "Luhn"
    if kind == "cn.landline":
        # AREA: 010 and 02x are 3 digits, every other 0[1-9]x is 4.
        m = re.fullmatch(r"0(?:10|2\d|1[1-9]\d|[3-9]\d\d)-[2-9]\d{6,7}(?:-\d{1,6})?", s)
        return None if m else "NonCanonical"
    if kind == "email":
        if s.count("@") != 1 or len(plain) > 254:
            return "Malformed"
        local, domain = s.split("@")
        if not 1 <= len(local) <= 64 or any(c.isspace() or unicodedata.category(c) == "Cc" for c in local):
            return "Malformed"
        labels = domain.split(".")
        if (len(domain.encode()) > 253 or len(labels) < 2
                or any(not 1 <= len(lb.encode()) <= 63 or lb[0] == "-" or lb[-1] == "-"
                       or not all(c.isalpha() or c in "0123456789-" for c in lb) for lb in labels)):
            return "Malformed"
        return None if domain == domain.lower() else "NonCanonical"
    if kind == "person_name":
        if not 1 <= len(s) <= 64:
            return "Length"
        if not all(c.isalpha() or c in " \u00b7'-." for c in s):
            return "NonCanonical" if any(c.isspace() or c in NAME_DOTS for c in s) else "Character"
        if s != s.strip() or "  " in s:
            return "NonCanonical"
        return None
    if kind == "address":
        if not 1 <= len(s) <= 256:
            return "Length"
        if any(unicodedata.category(c) == "Cc" for c in s):
            return "Character"
        return None if s == s.strip() else "NonCanonical"
    if kind == "ip_address":
        return None if canonical_ip(s) == s else "NonCanonical"
    if kind == "mac_address":
        return None if re.fullmatch(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}", s) else "NonCanonical"
    if kind == "passport":
        return None if re.fullmatch(r"[0-9A-Z]{5,20}", s) else "NonCanonical"
    if kind == "cn.license_plate":
        serial = "[0-9A-HJ-NP-Z]"
        ok = re.fullmatch(f"[{PLATE_PROVINCES}][A-Z](?:{serial}{{4}}(?:{serial}|[{PLATE_SUFFIXES}])|{serial}{{6}})", s)
        return None if ok else "NonCanonical"
    if kind == "cn.credit_code":
        if len(s) != 18 or any(c not in CREDIT_ALPHABET for c in s):
            return "NonCanonical"
        total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(s, CREDIT_WEIGHTS))
        return None if CREDIT_ALPHABET[(31 - total % 31) % 31] == s[17] else "CheckDigit"
    raise AssertionError(f"no canonical form for {kind}")


# Valid values in a non-canonical spelling (and a few invalid ones): each must
# be refused when opened, although it authenticates (§3.8 check 12).
CRAFTED = [
    ("cn.id_number", b"11010519491231002x", "Character"),
    ("cn.id_number", b"110105491231002", "Length"),
    ("cn.id_number", b"11010517991231002X", "BirthDate"),
    ("cn.mobile_phone", b"+8613800138000", "Character"),
    ("cn.mobile_phone", b"8613800138000", "Length"),
    ("bank_card", b"6222 0212 3456 7894", "Character"),
    ("cn.landline", b"0755 8765432", "NonCanonical"),
    ("cn.landline", b"075587654328", "NonCanonical"),
    ("geo_point", struct.pack(">dd", -0.0, 116.4), "NonCanonical"),
    ("geo_point", struct.pack(">dd", 39.9, -0.0), "NonCanonical"),
    ("email", b"ZhangSan@163.COM", "NonCanonical"),
    ("person_name", b"Li  Lei", "NonCanonical"),
    ("person_name", "阿依•古丽".encode(), "NonCanonical"),
    ("address", " 北京市朝阳区建国路88号".encode(), "NonCanonical"),
    ("ip_address", b"2001:DB8::1", "NonCanonical"),
    ("ip_address", b"2001:0db8:0:0:0:0:0:1", "NonCanonical"),
    ("ip_address", b"2001:db8:0:0::1", "NonCanonical"),
    ("mac_address", b"ac:de:48:00:11:22", "NonCanonical"),
    ("imei", b"49-015420-323751-8", "NonCanonical"),
    ("passport", b"e12345678", "NonCanonical"),
    ("cn.license_plate", "京a12345".encode(), "NonCanonical"),
    ("cn.license_plate", "京A·12345".encode(), "NonCanonical"),
    ("cn.credit_code", b"91350100m000100y43", "NonCanonical"),
]


def open_value(env: bytes, kind: str, pairs, keyring: dict[int, bytes | None]) -> bytes:
    """§3.8 checks 1-12: open, then refuse a non-canonical plaintext."""
    plain = open_envelope(env, kind, pairs, keyring)
    reason = canonical_refusal(kind, plain)
    if reason is not None:
        raise OpenError(f"Invalid({kind}, {reason})")
    return plain


def check_canonical_forms(vectors: list[dict]) -> None:
    """§3.3 / §3.8 check 12: every vector's plaintext is canonical; crafted
    non-canonical plaintexts authenticate but are refused; 15-digit upgrade."""
    for i, v in enumerate(vectors):
        reason = canonical_refusal(v["kind"], bytes.fromhex(v["plaintext_canonical_hex"]))
        assert reason is None, f"vector {i} ({v['kind']}) plaintext not canonical: {reason}"
    root, pairs, ring = b"\x42" * 32, [["table", "t"], ["column", "c"]], {3: b"\x42" * 32}
    for kind, plain, want in CRAFTED:
        env = seal(root, 3, kind, pairs, plain, b"\x07" * NONCE_LEN)
        assert open_envelope(env, kind, pairs, ring) == plain, "crafted envelope authenticates"
        expect_error(f"Invalid({kind}, {want})", open_value, env, kind, pairs, ring)
    assert upgrade_id15("110105491231002") == "11010519491231002X"
    assert canonical_refusal("cn.id_number", upgrade_id15("440524800101001").encode()) is None
    assert canonical_refusal("cn.id_number", b"11010519000229002X") == "BirthDate"  # 1900 is not leap
    assert canonical_refusal("ip_address", b"::ffff:10.1.2.3") is None
    assert canonical_refusal("ip_address", b"2001:db8:0:1:0:0:0:1") == "NonCanonical"
    assert canonical_refusal("ip_address", b"2001:db8:0:1::1") is None
    assert canonical_refusal("cn.license_plate", "粤BD1234学".encode()) == "NonCanonical"
    assert canonical_refusal("cn.license_plate", "京A1234学".encode()) is None
    assert canonical_refusal("cn.landline", b"010-62345678-1") is None
    assert canonical_refusal("cn.landline", b"0101-2345678") == "NonCanonical"  # 010 is a 3-digit area
    assert canonical_refusal("cn.landline", b"0201-2345678") == "NonCanonical"
    assert canonical_refusal("cn.landline", b"0755-12345678") == "NonCanonical"  # local starts with 1


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


# ------------------------------------------------------------------ §6 keyring file


class Reader:
    """Cursor whose short reads are `Truncated`."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if len(self.data) - self.pos < n:
            raise OpenError("KeyringFile(Truncated)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def rest(self) -> int:
        return len(self.data) - self.pos


ARGON2_RUNS = [0]  # how many times Argon2id ran: refusals of §6.4 step 2a must not run it


def argon2id_kek(passphrase: str, salt: bytes, m: int, t: int, p: int) -> bytes:
    """§6.4: KEK = Argon2id(passphrase, salt, m KiB, t passes, p lanes, 32 bytes, v0x13)."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    ARGON2_RUNS[0] += 1
    return Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(passphrase.encode())


def within_bounds(m: int, t: int, p: int) -> bool:
    """§6.4: 1 <= t <= 64, 1 <= p <= 64, 8·p <= m <= 4 194 304."""
    return 1 <= t <= ARGON2_BOUNDS["t"] and 1 <= p <= ARGON2_BOUNDS["p"] and 8 * p <= m <= ARGON2_BOUNDS["m"]


def within_cost_limits(m: int, t: int, p: int, limits: dict = DEFAULT_COST_LIMITS) -> bool:
    """§6.4 reader cost limits: m <= max m, t <= max t, p <= max p, m·t <= max work."""
    return m <= limits["m"] and t <= limits["t"] and p <= limits["p"] and m * t <= limits["work"]


def unwrap_passphrase_dek(blob: bytes, passphrase: str, limits: dict = DEFAULT_COST_LIMITS) -> bytes:
    """§6.4: bounds, cost limits, Argon2id KEK, check value, then AES-256-GCM unwrap of the DEK."""
    r = Reader(blob)
    m, t, p = r.uint(4), r.uint(4), r.uint(4)
    if not within_bounds(m, t, p):
        raise OpenError("KeyringFile(Parameters)")
    if not within_cost_limits(m, t, p, limits):  # step 2a: before any Argon2id work
        raise OpenError("KeyringFile(CostTooHigh)")
    salt, check = r.take(16), r.take(16)
    aad_len = r.pos
    nonce, ct = r.take(12), r.take(32 + 16)
    if r.rest():
        raise OpenError("KeyringFile(Malformed)")
    kek = argon2id_kek(passphrase, salt, m, t, p)
    if not hmac.compare_digest(derive(kek, KEYRING_CHECK_LABEL)[:16], check):
        raise OpenError("KeyringFile(WrongPassphrase)")
    try:
        return AESGCM(derive(kek, KEYRING_WRAP_LABEL)).decrypt(nonce, ct, blob[:aad_len])
    except InvalidTag as e:
        raise OpenError("KeyringFile(Tampered)") from e


def pins_error(why: str) -> OpenError:
    return OpenError(f"KeyringFile(InvalidPins({why}))")


def check_pin_name(name: str) -> None:
    """§6.2 pins rule 2: `namespace:domain`, split at the first `:` (as the crate
    does; a name without `:` has no known namespace)."""
    ns, colon, domain = name.partition(":")
    if not colon or ns not in PIN_NAMESPACES:
        raise pins_error("unknown pin namespace")
    if not DOMAIN_RE.fullmatch(domain):
        raise pins_error("invalid domain name")


def read_keyring_file(data: bytes, passphrase: str,
                      limits: dict = DEFAULT_COST_LIMITS) -> tuple[list[dict], dict[str, int]]:
    """§6.1-§6.3 with the passphrase provider; returns the keys and pins of §6.2."""
    if len(data) > MAX_FILE:
        raise OpenError("KeyringFile(Malformed)")
    if data[:4] != FILE_MAGIC:
        raise OpenError("KeyringFile(NotAKeyringFile)")
    r = Reader(data)
    r.take(4)
    version = r.uint(1)
    if version != FILE_VERSION:
        raise OpenError(f"KeyringFile(UnsupportedVersion({version}))")
    provider = r.take(r.uint(1))
    wrapped = r.take(r.uint(2))
    header_len = r.pos
    nonce = r.take(12)
    if r.rest() < 16 + 32:
        raise OpenError("KeyringFile(Truncated)")
    body, checksum = data[r.pos:-32], data[-32:]
    if not hmac.compare_digest(hashlib.sha256(data[:-32]).digest(), checksum):
        raise OpenError("KeyringFile(Corrupted)")
    if provider != PASSPHRASE_PROVIDER.encode():
        raise OpenError("KeyringFile(ProviderMismatch)")
    dek = unwrap_passphrase_dek(wrapped, passphrase, limits)
    try:
        payload = AESGCM(dek).decrypt(nonce, body, data[:header_len])
    except InvalidTag as e:
        raise OpenError("KeyringFile(Tampered)") from e
    p = Reader(payload)
    keys, seen, active = [], set(), 0
    # §6.3 rows 10-11: each key's fields are read, then checked, in turn.
    for _ in range(p.uint(4)):
        key_id, state, seals = p.uint(4), p.uint(1), p.uint(8)
        if state not in STATES or key_id == 0 or key_id in seen or (state == 1 and active):
            raise OpenError("KeyringFile(Malformed)")
        seen.add(key_id)
        active += state == 1
        material = None if state == 3 else p.take(32)
        keys.append({"id": key_id, "state": STATES[state], "seal_count": seals, "material": material})
    # Optional pins section (§6.2): whatever follows the keys, read whole
    # (short reads are `Truncated`, a name that is not UTF-8 `Malformed`)...
    section = p.rest() > 0
    raw_pins: list[tuple[str, int]] = []
    if section:
        for _ in range(p.uint(4)):
            raw = p.take(p.uint(2))
            key_id = p.uint(4)
            try:
                raw_pins.append((raw.decode("utf-8"), key_id))
            except UnicodeDecodeError as e:
                raise OpenError("KeyringFile(Malformed)") from e
    if p.rest():
        raise OpenError("KeyringFile(Malformed)")
    # ... then row 12: rule 1, rules 2-3 per pin in file order, rule 4 per pin in file order.
    if section and not raw_pins:
        raise pins_error("empty pins section")
    pins: dict[str, int] = {}
    for name, key_id in raw_pins:
        check_pin_name(name)
        if name in pins:
            raise pins_error("duplicate pin")
        pins[name] = key_id
    states = {k["id"]: k["state"] for k in keys}
    for _, key_id in raw_pins:
        if key_id not in states:
            raise pins_error("pin to a missing key")
        if states[key_id] == "destroyed":
            raise pins_error("pin to a destroyed key")
    return keys, pins


def open_keyring_file(data: bytes, passphrase: str, limits: dict = DEFAULT_COST_LIMITS) -> list[dict]:
    """§6.1-§6.3 with the passphrase provider; returns the keys of §6.2."""
    return read_keyring_file(data, passphrase, limits)[0]


# ------------------------------------------------------------------ §6 writer (crafted files)


def wrap_passphrase_dek(dek: bytes, passphrase: str, m: int, t: int, p: int,
                        salt: bytes = b"\x5a" * 16, nonce: bytes = b"\x6b" * 12) -> bytes:
    """§6.4: the 104-byte wrapped DEK m || t || p || salt || check || nonce || GCM(KWK, DEK)."""
    kek = argon2id_kek(passphrase, salt, m, t, p)
    head = u32be(m) + u32be(t) + u32be(p) + salt + derive(kek, KEYRING_CHECK_LABEL)[:16]
    return head + nonce + AESGCM(derive(kek, KEYRING_WRAP_LABEL)).encrypt(nonce, dek, head)


def keyring_payload(keys: list[tuple[int, int, int]], pins: list[tuple] | None = None,
                    pins_count: int | None = None) -> bytes:
    """§6.2: keys as (id, state code, seal_count), material `id` x 32 unless
    destroyed; then, if `pins` is not None, the pins section announcing
    `pins_count` (default: how many are given). A pin name may be bytes."""
    out = u32be(len(keys))
    for key_id, state, seals in keys:
        out += u32be(key_id) + bytes([state]) + struct.pack(">Q", seals)
        out += b"" if state == 3 else bytes([key_id & 0xFF]) * 32
    if pins is not None:
        out += u32be(len(pins) if pins_count is None else pins_count)
        for name, key_id in pins:
            raw = name if isinstance(name, bytes) else name.encode()
            out += u16be(len(raw)) + raw + u32be(key_id)
    return out


def write_keyring_file(payload: bytes, passphrase: str, m: int = 8, t: int = 1, p: int = 1,
                       dek: bytes = b"\x3c" * 32, nonce: bytes = b"\x4d" * 12) -> bytes:
    """§6.1: a passphrase-provider file around `payload`, with a valid tag and checksum."""
    wrapped = wrap_passphrase_dek(dek, passphrase, m, t, p)
    provider = PASSPHRASE_PROVIDER.encode()
    head = FILE_MAGIC + bytes([FILE_VERSION, len(provider)]) + provider + u16be(len(wrapped)) + wrapped
    out = head + nonce + AESGCM(dek).encrypt(nonce, payload, head)
    return out + hashlib.sha256(out).digest()


# Offset of m in a passphrase file: magic, version, P, provider id, W (§6.1, §6.4).
PARAMS_AT = 4 + 1 + 1 + len(PASSPHRASE_PROVIDER) + 2


def with_costs(data: bytes, m: int, t: int, p: int) -> bytes:
    """A passphrase file whose stored Argon2id parameters are replaced, checksum fixed."""
    body = data[:PARAMS_AT] + u32be(m) + u32be(t) + u32be(p) + data[PARAMS_AT + 12:-32]
    return body + hashlib.sha256(body).digest()


# ------------------------------------------------------------------ checks


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--explain", type=int, metavar="N", help="print the §7.3 walk-through of vector N")
    args = ap.parse_args()

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
