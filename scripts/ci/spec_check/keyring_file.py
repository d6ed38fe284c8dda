"""SPEC.md §6 protected keyring files: the reader, and a writer for crafted files."""
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
