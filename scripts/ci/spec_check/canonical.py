"""SPEC.md §3.3 canonical forms and §3.8 check 12 on crafted envelopes."""
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
