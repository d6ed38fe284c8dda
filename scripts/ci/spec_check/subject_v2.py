"""SPEC.md §5.3 version 2: subject-sealed envelopes under XAES-256-GCM with
the subject data key in the place of an `aes` root key (§3a), checked from
the formulas alone."""
from __future__ import annotations

from cryptography.exceptions import InvalidTag

from spec_check.common import KIND_CODES, context_encodings, enc
from spec_check.suites import gcm_decrypt, keyed_check, message_key, scope_keys

HEADER_LEN_V2 = 36


class SubjectOpenError(Exception):
    pass


def open_subject_v2(env: bytes, kind: str, pairs, subject: str, data_key: bytes) -> bytes:
    """§5.3 v2 / §3a.5: decrypt; on failure tell ContextMismatch from AuthenticationFailed."""
    if len(env) < HEADER_LEN_V2 + 16 or env[0] != 2:
        raise SubjectOpenError("Truncated or not version 2")
    if env[1] != 2:
        raise SubjectOpenError("NotSubjectSealed")
    if env[2:6] != b"\0\0\0\0" or int.from_bytes(env[6:8], "big") != KIND_CODES[kind]:
        raise SubjectOpenError("header")
    _, scope_enc, bound_enc = context_encodings(pairs)
    seal_key, check_key = scope_keys("aes", data_key, kind, scope_enc)
    head = env[:HEADER_LEN_V2]
    aad = head[:12] + enc(subject.encode()) + bound_enc
    try:
        return gcm_decrypt("aes", message_key("aes", seal_key, head[12:24]), head[24:36], env[HEADER_LEN_V2:], aad)
    except InvalidTag:
        if keyed_check("aes", check_key, bound_enc) != head[8:12]:
            raise SubjectOpenError("ContextMismatch") from None
        raise SubjectOpenError("AuthenticationFailed") from None


def check_subject_v2(env: bytes, v: dict, data_key: bytes) -> None:
    kind, pairs, subject = v["kind"], v["context"], v["subject"]
    plain = open_subject_v2(env, kind, pairs, subject, data_key)
    assert plain.hex() == v["plaintext_canonical_hex"], "opened plaintext differs"
    moved = [[n, x + "x" if n == "row" else x] for n, x in pairs]
    tampered = env[:-1] + bytes([env[-1] ^ 1])
    for args, why in [
        ((tampered, kind, pairs, subject, data_key), "AuthenticationFailed"),
        ((env, kind, pairs, subject + "x", data_key), "AuthenticationFailed"),  # subject bound in the AAD
        ((env, kind, moved, subject, data_key), "ContextMismatch"),
        ((env[:1] + b"\x01" + env[2:], kind, pairs, subject, data_key), "NotSubjectSealed"),
    ]:
        try:
            open_subject_v2(*args)
        except SubjectOpenError as e:
            assert str(e) == why, f"{why} expected, got {e}"
        else:
            raise AssertionError(f"{why} expected, opened")
