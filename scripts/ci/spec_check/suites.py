"""SPEC.md §3a (envelope v2) and §12 (cipher suites), from the text alone.

`aes`: HKDF-SHA256, XAES-256-GCM (C2SP), AES-256-CMAC context check.
`gm`:  HKDF-SM3, the same extended-nonce construction over SM4 (one key
block), SM4-GCM, SM4-CMAC context check.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from spec_check.common import HKDF_SALT, KIND_CODES, ROOT, context_encodings, enc, u16be, u32be

SEAL_V2_VECTORS = ROOT / "tests" / "vectors" / "seal_v2.json"
SEAL_V2_LABEL = b"desensitize.seal.v2"
CONTEXT_CHECK_LABEL = b"desensitize.context.check"
VERSION_2 = 2
HEADER_LEN_V2 = 36
HASHES = {"aes": "sha256", "gm": "sm3"}


def hkdf(suite: str, secret: bytes, labels: list[bytes], length: int = 32) -> bytes:
    """§12.2: RFC 5869 HKDF over the suite's hash, salt `desensitize/v1`."""
    h = HASHES[suite]
    prk = hmac.new(HKDF_SALT, secret, h).digest()
    info = enc(*labels)
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), h).digest()
        okm += t
        i += 1
    return okm[:length]


def block_encrypt(suite: str, key: bytes, block: bytes) -> bytes:
    algo = algorithms.AES(key) if suite == "aes" else algorithms.SM4(key)
    e = Cipher(algo, modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def message_key(suite: str, key: bytes, n12: bytes) -> bytes:
    """§3a.3: K1 = dbl(E(K, 0^128)); block i = E(K, (00 || i || "X" || 00 || N[0:12]) ^ K1)."""
    l = int.from_bytes(block_encrypt(suite, key, bytes(16)), "big")
    k1 = ((l << 1) & ((1 << 128) - 1)) ^ (0x87 if l >> 127 else 0)
    blocks = 2 if suite == "aes" else 1
    out = b""
    for i in range(1, blocks + 1):
        m = int.from_bytes(bytes([0, i]) + b"X" + bytes([0]) + n12, "big") ^ k1
        out += block_encrypt(suite, key, m.to_bytes(16, "big"))
    return out


def gcm_encrypt(suite: str, key: bytes, nonce: bytes, plain: bytes, aad: bytes) -> bytes:
    algo = algorithms.AES(key) if suite == "aes" else algorithms.SM4(key)
    e = Cipher(algo, modes.GCM(nonce)).encryptor()
    e.authenticate_additional_data(aad)
    return e.update(plain) + e.finalize() + e.tag


def gcm_decrypt(suite: str, key: bytes, nonce: bytes, ct_tag: bytes, aad: bytes) -> bytes:
    algo = algorithms.AES(key) if suite == "aes" else algorithms.SM4(key)
    d = Cipher(algo, modes.GCM(nonce, ct_tag[-16:])).decryptor()
    d.authenticate_additional_data(aad)
    return d.update(ct_tag[:-16]) + d.finalize()


def scope_keys(suite: str, root: bytes, kind: str, scope_enc: bytes) -> tuple[bytes, bytes]:
    """§3a.2: the v2 sealing key (16 bytes for SM4) and the context-check key."""
    seal = hkdf(suite, root, [SEAL_V2_LABEL, kind.encode(), scope_enc])
    check = hkdf(suite, root, [CONTEXT_CHECK_LABEL, kind.encode(), scope_enc])
    return (seal if suite == "aes" else seal[:16]), check


def keyed_check(suite: str, check_key: bytes, bound_enc: bytes) -> bytes:
    """§3a.4: CMAC(check key, bound_enc)[0:4], AES-256-CMAC or SM4-CMAC (key: first 16 bytes)."""
    from cryptography.hazmat.primitives import cmac

    algo = algorithms.AES(check_key) if suite == "aes" else algorithms.SM4(check_key[:16])
    c = cmac.CMAC(algo)
    c.update(bound_enc)
    return c.finalize()[:4]


def seal_v2(v: dict, xnonce: bytes) -> bytes:
    suite, root, kind = v["suite"], bytes.fromhex(v["root_key_hex"]), v["kind"]
    _, scope_enc, bound_enc = context_encodings(v["context"])
    seal_key, check_key = scope_keys(suite, root, kind, scope_enc)
    check = keyed_check(suite, check_key, bound_enc)
    header = bytes([VERSION_2, 1]) + u32be(v["key_id"]) + u16be(KIND_CODES[kind]) + check + xnonce
    aad = header[:12] + bound_enc
    kx = message_key(suite, seal_key, xnonce[:12])
    return header + gcm_encrypt(suite, kx, xnonce[12:], bytes.fromhex(v["plaintext_canonical_hex"]), aad)


def open_v2(v: dict, envelope: bytes) -> bytes:
    """§3a.6: parse, decrypt; on failure tell ContextMismatch from AuthenticationFailed."""
    suite, root, kind = v["suite"], bytes.fromhex(v["root_key_hex"]), v["kind"]
    if envelope[0] != VERSION_2 or envelope[1] != 1 or len(envelope) < HEADER_LEN_V2 + 16:
        raise ValueError("not a v2 root-key envelope")
    if int.from_bytes(envelope[6:8], "big") != KIND_CODES[kind]:
        raise ValueError("KindMismatch")
    _, scope_enc, bound_enc = context_encodings(v["context"])
    seal_key, check_key = scope_keys(suite, root, kind, scope_enc)
    header = envelope[:HEADER_LEN_V2]
    kx = message_key(suite, seal_key, header[12:24])
    try:
        return gcm_decrypt(suite, kx, header[24:36], envelope[HEADER_LEN_V2:], header[:12] + bound_enc)
    except InvalidTag:
        if keyed_check(suite, check_key, bound_enc) != header[8:12]:
            raise ValueError("ContextMismatch") from None
        raise ValueError("AuthenticationFailed") from None


def c2sp_xaes() -> None:
    """The two C2SP XAES-256-GCM vectors and the 10 000-iteration accumulated one."""
    n = b"ABCDEFGHIJKLMNOPQRSTUVWX"
    for key, aad, want in [
        (b"\x01" * 32, b"", "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"),
        (b"\x03" * 32, b"c2sp.org/XAES-256-GCM", "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"),
    ]:
        got = gcm_encrypt("aes", message_key("aes", key, n[:12]), n[12:], b"XAES-256-GCM", aad)
        if got.hex() != want:
            raise AssertionError(f"C2SP XAES vector: {got.hex()} != {want}")
    s, d = hashlib.shake_128(), hashlib.shake_128()
    stream = b""
    pos = 0

    def read(k: int) -> bytes:
        nonlocal stream, pos
        while len(stream) < pos + k:
            stream = s.copy().digest(len(stream) * 2 + 4096)
        out = stream[pos : pos + k]
        pos += k
        return out

    for _ in range(10_000):
        key, nonce = read(32), read(24)
        plain = read(read(1)[0])
        aad = read(read(1)[0])
        ct = gcm_encrypt("aes", message_key("aes", key, nonce[:12]), nonce[12:], plain, aad)
        if gcm_decrypt("aes", message_key("aes", key, nonce[:12]), nonce[12:], ct, aad) != plain:
            raise AssertionError("XAES round trip")
        d.update(ct)
    want = "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939"
    if d.hexdigest(32) != want:
        raise AssertionError(f"C2SP accumulated XAES vector {d.hexdigest(32)} != {want}")


def check_v2_vector(v: dict) -> None:
    env = seal_v2(v, bytes.fromhex(v["xnonce_hex"]))
    if env.hex() != v["envelope_hex"]:
        raise AssertionError(f"envelope {env.hex()} != {v['envelope_hex']}")
    if open_v2(v, env) != bytes.fromhex(v["plaintext_canonical_hex"]):
        raise AssertionError("does not open")
    moved = [[n, x + "x" if n == "row" else x] for n, x in v["context"]]
    if moved == v["context"]:
        moved = moved + [["row", "elsewhere"]]
    other_row = dict(v, context=moved)
    for bad, why in [(env[:-1] + bytes([env[-1] ^ 1]), "AuthenticationFailed"), (env, "ContextMismatch")]:
        try:
            open_v2(v if why == "AuthenticationFailed" else other_row, bad)
        except ValueError as e:
            if str(e) != why:
                raise AssertionError(f"{why} expected, got {e}") from None
        else:
            raise AssertionError(f"{why} expected, opened")


def python_sealed(vectors: list[dict]) -> list[dict]:
    """Fresh envelopes with random nonces, for the crate to open."""
    import base64

    out = []
    for v in vectors:
        env = seal_v2(v, os.urandom(24))
        text = "dz1." + base64.urlsafe_b64encode(env).rstrip(b"=").decode()
        keep = {k: v[k] for k in ("suite", "root_key_hex", "key_id", "kind", "context", "plaintext_canonical_hex")}
        out.append(dict(keep, note="sealed by scripts/ci/verify_vectors.py", envelope_hex=env.hex(), envelope_text=text))
    return out


GM_ANALYTICS = ROOT / "tests" / "vectors" / "gm_analytics.json"


def ff1_encrypt(suite: str, key: bytes, radix: int, tweak: bytes, x: list[int]) -> list[int]:
    """NIST SP 800-38G Rev. 1 FF1 (encrypt), PRF = CBC-MAC over the suite's block cipher."""
    n, t = len(x), len(tweak)
    u, v = n // 2, n - n // 2
    a, b_half = x[:u], x[u:]
    b = ((radix**v - 1).bit_length() + 7) // 8
    d = 4 * ((b + 3) // 4) + 4
    p = bytes([1, 2, 1]) + radix.to_bytes(3, "big") + bytes([10, u % 256]) + n.to_bytes(4, "big") + t.to_bytes(4, "big")

    def num(xs: list[int]) -> int:
        r = 0
        for c in xs:
            r = r * radix + c
        return r

    def digits(value: int, m: int) -> list[int]:
        out = []
        for _ in range(m):
            out.append(value % radix)
            value //= radix
        return out[::-1]

    for i in range(10):
        q = tweak + bytes((-t - b - 1) % 16) + bytes([i]) + num(b_half).to_bytes(b, "big")
        r = bytes(16)
        msg = p + q
        for j in range(0, len(msg), 16):
            r = block_encrypt(suite, key, bytes(x ^ y for x, y in zip(r, msg[j : j + 16])))
        s = r
        j = 1
        while len(s) < d:
            s += block_encrypt(suite, key, bytes(x ^ y for x, y in zip(r, j.to_bytes(16, "big"))))
            j += 1
        y = int.from_bytes(s[:d], "big")
        m = u if i % 2 == 0 else v
        c = (num(a) + y) % radix**m
        a, b_half = b_half, digits(c, m)
    return a + b_half


def check_gm_analytics(doc: dict) -> None:
    """§12.2-11.3: HKDF-SM3, HMAC-SM3 token and blind index, FF1-SM4 (NIST FF1-AES sample 7 as a control)."""
    import base64

    h = doc["hkdf_sm3"]
    okm = hkdf("gm", bytes.fromhex(h["ikm_hex"]), [bytes.fromhex(x) for x in h["labels_hex"]])
    if okm.hex() != h["okm_hex"]:
        raise AssertionError(f"HKDF-SM3 {okm.hex()} != {h['okm_hex']}")
    root = bytes.fromhex(doc["root_key_hex"])
    tk = doc["token"]
    key = hkdf("gm", root, [b"desensitize.pseudonym", tk["domain"].encode()])
    mac = hmac.new(key, enc(tk["kind"].encode(), tk["value"].encode()), "sm3").digest()[:16]
    got = f"tk1.{doc['key_id']}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    if got != tk["token"]:
        raise AssertionError(f"gm token {got} != {tk['token']}")
    bi = doc["blind_index"]
    key = hkdf("gm", root, [b"desensitize.blind_index", bi["name"].encode(), bi["kind"].encode(), bi["transform"].encode()])
    part = bi["value"].encode()
    mac = hmac.new(key, u16be(len(part)) + part, "sm3").digest()
    got = format(int.from_bytes(mac[:8], "big") >> (64 - bi["bits"]), f"0{(bi['bits'] + 3) // 4}x")
    if got != bi["index"]:
        raise AssertionError(f"gm blind index {got} != {bi['index']}")
    # Control: NIST SP 800-38G FF1-AES256 sample 7 through the same code.
    nist_key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3cef4359d8d580aa4f7f036d6f04fc6a94")
    if ff1_encrypt("aes", nist_key, 10, b"", list(range(10))) != [6, 6, 5, 7, 6, 6, 7, 0, 0, 9]:
        raise AssertionError("FF1-AES256 NIST sample 7")
    for v in doc["ff1_sm4"]:
        pt = [int(c) for c in v["pt"]]
        got = "".join(map(str, ff1_encrypt("gm", bytes.fromhex(v["key_hex"]), v["radix"], bytes.fromhex(v["tweak_hex"]), pt)))
        if got != v["ct"]:
            raise AssertionError(f"FF1-SM4 {got} != {v['ct']}")
