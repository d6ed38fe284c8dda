"""SPEC.md §5.2 version 2, §5.3 (subject keys follow the wrapping key's
suite), §6.4 (the passphrase wrap of a `gm` file) and §6.5 (file version 2),
checked from the text alone against tests/vectors/gm_keys.json.

Python `cryptography` gives SM4 in GCM mode, `hashlib` SM3 (through
`spec_check.suites`: HKDF over the suite's hash, the extended-nonce KDF,
the keyed CMAC check)."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidTag

from spec_check.common import (
    FILE_MAGIC, KIND_CODES, PASSPHRASE_PROVIDER, ROOT, STATES, OpenError, context_encodings, enc,
)
from spec_check.envelope import from_text
from spec_check.keyring_file import Reader, argon2id_kek, within_bounds, within_cost_limits
from spec_check.suites import gcm_decrypt, hkdf, keyed_check, message_key, scope_keys

GM_KEYS_VECTORS = ROOT / "tests" / "vectors" / "gm_keys.json"
SUITE_CODES = {1: "aes", 2: "gm"}
WRAP_ALGS = {3: "aes", 4: "gm"}  # §5.2: 3 AES-256-GCM, 4 SM4-GCM
WRAP_LABEL = [b"desensitize.wrap", b"subject"]
HEADER_LEN_V2 = 36


def suite_key(suite: str, okm: bytes) -> bytes:
    """An SM4 key is the first 16 bytes of the 32-byte HKDF output (§12.2)."""
    return okm if suite == "aes" else okm[:16]


def suites_of(mask: int) -> list[str]:
    return [name for code, name in SUITE_CODES.items() if mask & (1 << (code - 1))]


# ------------------------------------------------------------------ §5.2, §5.4


def unwrap_subject_key_v2(blob: bytes, subject: str, ring: dict[int, tuple[str, bytes | None]]):
    """§5.2 version 2 with §5.4's checks: returns (DK, sealing suite, suites)."""
    if not (len(blob) == 67 and blob[0] == 2 and blob[1] in WRAP_ALGS):
        raise OpenError("Malformed(not a wrapped subject key)")
    wraps_in, mask = WRAP_ALGS[blob[1]], blob[6]
    if mask == 0 or mask & ~0b11 or wraps_in not in suites_of(mask):
        raise OpenError("Malformed(not a wrapped subject key)")
    key_id = int.from_bytes(blob[2:6], "big")
    if key_id not in ring:
        raise OpenError(f"UnknownKey({key_id})")
    suite, root = ring[key_id]
    if root is None:
        raise OpenError(f"KeyDestroyed({key_id})")
    if suite != wraps_in:
        raise OpenError("Malformed(not a wrapped subject key)")
    wk = suite_key(suite, hkdf(suite, root, WRAP_LABEL))
    try:
        dk = gcm_decrypt(suite, wk, blob[7:19], blob[19:], blob[:19] + enc(subject.encode()))
    except InvalidTag as e:
        raise OpenError("AuthenticationFailed") from e
    return dk, wraps_in, suites_of(mask)


# ------------------------------------------------------------------ §5.3


def open_subject_in(suite: str, env: bytes, kind: str, pairs, subject: str, dk: bytes) -> bytes:
    """§5.3 version 2 under the keys of a `suite` root key with DK as its secret."""
    if len(env) < HEADER_LEN_V2 + 16 or env[0] != 2 or env[1] != 2 or env[2:6] != bytes(4):
        raise OpenError("not a v2 subject envelope")
    if int.from_bytes(env[6:8], "big") != KIND_CODES[kind]:
        raise OpenError("KindMismatch")
    _, scope_enc, bound_enc = context_encodings(pairs)
    seal_key, check_key = scope_keys(suite, dk, kind, scope_enc)
    head = env[:HEADER_LEN_V2]
    aad = head[:12] + enc(subject.encode()) + bound_enc
    try:
        return gcm_decrypt(suite, message_key(suite, seal_key, head[12:24]), head[24:36], env[HEADER_LEN_V2:], aad)
    except InvalidTag:
        if keyed_check(suite, check_key, bound_enc) != head[8:12]:
            raise OpenError("ContextMismatch") from None
        raise OpenError("AuthenticationFailed") from None


def open_subject_any(env: bytes, kind: str, pairs, subject: str, dk: bytes, order: list[str]) -> bytes:
    """§5.3: the sealing suite first, then the key's other suites; AuthenticationFailed
    if any suite's keyed check matched, else ContextMismatch."""
    errors = []
    for suite in order:
        try:
            return open_subject_in(suite, env, kind, pairs, subject, dk)
        except OpenError as e:
            errors.append(str(e))
    raise OpenError("AuthenticationFailed" if "AuthenticationFailed" in errors else errors[0])


def check_gm_subject_vector(v: dict) -> None:
    ring = {v["key_id"]: (v["suite"], bytes.fromhex(v["root_key_hex"]))}
    blob, subject = bytes.fromhex(v["wrapped_key_hex"]), v["subject"]
    dk, seals_in, suites = unwrap_subject_key_v2(blob, subject, ring)
    assert seals_in == v["suite"], "the wrap follows the root key's suite"
    order = [seals_in] + [s for s in suites if s != seals_in]
    for e in v["envelopes"]:
        env, kind, pairs = from_text(e["envelope_text"]), e["kind"], e["context"]
        assert e["sealed_in"] in suites, "every sealing suite is recorded in the wrap"
        plain = open_subject_in(e["sealed_in"], env, kind, pairs, subject, dk)
        assert plain.hex() == e["plaintext_canonical_hex"], "opened plaintext differs"
        other = "aes" if e["sealed_in"] == "gm" else "gm"
        try:
            open_subject_in(other, env, kind, pairs, subject, dk)
        except OpenError:
            pass
        else:
            raise AssertionError(f"opened under {other} too")
        assert open_subject_any(env, kind, pairs, subject, dk, order) == plain
        moved = [[n, x + "x" if n == "row" else x] for n, x in pairs]
        tampered = env[:-1] + bytes([env[-1] ^ 1])
        for args, why in [((env, kind, moved), "ContextMismatch"), ((tampered, kind, pairs), "AuthenticationFailed")]:
            try:
                open_subject_any(args[0], args[1], args[2], subject, dk, order)
            except OpenError as err:
                assert str(err) == why, f"{why} expected, got {err}"
            else:
                raise AssertionError(f"{why} expected, opened")
    refusals = [
        (blob, subject + "x", ring, "AuthenticationFailed"),  # the subject is bound
        (blob[:6] + bytes([blob[6] ^ 0b11]) + blob[7:], subject, ring, "Malformed(not a wrapped subject key)"),
        (blob[:1] + b"\x03" + blob[2:], subject, ring, "Malformed(not a wrapped subject key)"),  # AES wrap, gm key
        (blob[:-1] + bytes([blob[-1] ^ 1]), subject, ring, "AuthenticationFailed"),
        (blob, subject, {v["key_id"]: (v["suite"], None)}, f"KeyDestroyed({v['key_id']})"),
    ]
    if blob[6] == 0b11:  # the suites byte is authenticated
        refusals.append((blob[:6] + b"\x02" + blob[7:], subject, ring, "AuthenticationFailed"))
    for b, s, r, why in refusals:
        try:
            unwrap_subject_key_v2(b, s, r)
        except OpenError as err:
            assert str(err) == why, f"{why} expected, got {err}"
        else:
            raise AssertionError(f"{why} expected, unwrapped")


# ------------------------------------------------------------------ §6.4, §6.5


def unwrap_passphrase_dek_any(blob: bytes, passphrase: str) -> bytes:
    """§6.4: a blob starting with 0x02 is `gm` (HKDF-SM3, SM4-GCM), else `aes`."""
    suite = "gm" if blob[:1] == b"\x02" else "aes"
    body = blob[1:] if suite == "gm" else blob
    r = Reader(body)
    m, t, p = r.uint(4), r.uint(4), r.uint(4)
    if not within_bounds(m, t, p):
        raise OpenError("KeyringFile(Parameters)")
    if not within_cost_limits(m, t, p):
        raise OpenError("KeyringFile(CostTooHigh)")
    salt, check = r.take(16), r.take(16)
    aad_len = len(blob) - (len(body) - r.pos)
    nonce, ct = r.take(12), r.take(48)
    if r.rest():
        raise OpenError("KeyringFile(Malformed)")
    kek = argon2id_kek(passphrase, salt, m, t, p)
    if not hmac.compare_digest(hkdf(suite, kek, [b"desensitize.keyring.check"])[:16], check):
        raise OpenError("KeyringFile(WrongPassphrase)")
    kwk = suite_key(suite, hkdf(suite, kek, [b"desensitize.keyring.wrap"]))
    try:
        return gcm_decrypt(suite, kwk, nonce, ct, blob[:aad_len])
    except InvalidTag as e:
        raise OpenError("KeyringFile(Tampered)") from e


def read_keyring_file_v2(data: bytes, passphrase: str) -> tuple[str, str, list[dict]]:
    """§6.1 with §6.5's suite bytes (no pins in these vectors): returns the
    file's suite, the wrap's suite and the keys."""
    r = Reader(data)
    if r.take(4) != FILE_MAGIC or r.uint(1) != 2:
        raise OpenError("not a version-2 keyring file")
    file_suite = SUITE_CODES[r.uint(1)]
    provider = r.take(r.uint(1))
    wrapped = r.take(r.uint(2))
    header_len = r.pos
    nonce = r.take(12)
    if not hmac.compare_digest(hashlib.sha256(data[:-32]).digest(), data[-32:]):
        raise OpenError("KeyringFile(Corrupted)")
    assert provider == PASSPHRASE_PROVIDER.encode()
    dek = unwrap_passphrase_dek_any(wrapped, passphrase)
    try:
        payload = gcm_decrypt(file_suite, suite_key(file_suite, dek), nonce, data[r.pos:-32], data[:header_len])
    except InvalidTag as e:
        raise OpenError("KeyringFile(Tampered)") from e
    p = Reader(payload)
    keys = []
    for _ in range(p.uint(4)):
        key_id, state, suite, seals = p.uint(4), p.uint(1), SUITE_CODES[p.uint(1)], p.uint(8)
        material = None if state == 3 else p.take(32)
        keys.append({"id": key_id, "state": STATES[state], "suite": suite, "seal_count": seals, "material": material})
    if p.rest():
        raise OpenError("KeyringFile(Malformed)")
    return file_suite, "gm" if wrapped[:1] == b"\x02" else "aes", keys


def check_gm_keyring_file(v: dict) -> None:
    data, pw = bytes.fromhex(v["file_hex"]), v["passphrase"]
    file_suite, wrap_suite, keys = read_keyring_file_v2(data, pw)
    active = [k["suite"] for k in keys if k["state"] == "active"]
    assert file_suite == wrap_suite == (active[0] if active else "gm"), "payload and wrap follow the active key"
    got = [{k: x[k] for k in ("id", "state", "suite", "seal_count")} for x in keys]
    assert got == v["keys"], f"keys differ: {got}"
    for k in keys:
        assert k["material"].hex() == v["root_keys_hex"][str(k["id"])], f"material of key {k['id']}"
    try:
        read_keyring_file_v2(data, pw + "!")
    except OpenError as e:
        assert str(e) == "KeyringFile(WrongPassphrase)", str(e)
    else:
        raise AssertionError("a wrong passphrase opened the file")
