"""Type stubs of the extension module (re-exported by ``desensitize``)."""

from os import PathLike
from typing import List, Literal, Optional, Protocol, Tuple, Union, overload

import pyarrow as pa

_Path = Union[str, PathLike]
_Strings = pa.Array  # a string, large_string or string_view array
_Reasons = pa.Array  # string: null where the value was accepted, else the reason (never the value)

class DesensitizeError(ValueError):
    """A value, key or policy was refused; the message never holds a value."""

class KeyProvider(Protocol):
    """The library's KeyProvider seam (AWS KMS, Vault Transit...): wraps and
    unwraps 32-byte data keys. Must pickle to reach Spark executors.

    A provider may also define ``wrap_in(key, suite)``: when it does,
    ``Keyring.save`` calls it instead of ``wrap`` with the keyring file's
    suite (``"aes"``, or ``"gm"`` when the active key is a 国密 key), so that
    a ``gm`` deployment can wrap under an SM4 key of its KMS."""

    id: str
    def wrap(self, key: bytes) -> bytes: ...
    def unwrap(self, wrapped: bytes) -> bytes: ...

class Keyring:
    """Root keys, loaded once per process and cached by source; a cached
    keyring is served only to a caller who shows the same passphrase (read
    on every ``open``) or the very provider object that unwrapped it, and
    ``from_env`` reads the environment every time. ``repr`` shows key ids
    and states only; pickles as its source, never its keys."""

    @staticmethod
    def open(
        path: _Path,
        *,
        passphrase_file: Optional[_Path] = None,
        passphrase_env: Optional[str] = None,
        provider: Optional[KeyProvider] = None,
        audit_log: Optional[_Path] = None,
        access: Optional[_Path] = None,
        counter: Optional[_Path] = None,
    ) -> Keyring: ...
    def save(self, path: _Path, provider: KeyProvider) -> None: ...
    @staticmethod
    def from_env(
        key_var: str = "DESENSITIZE_ROOT_KEY",
        id_var: str = "DESENSITIZE_ROOT_KEY_ID",
        *,
        audit_log: Optional[_Path] = None,
        access: Optional[_Path] = None,
        counter: Optional[_Path] = None,
    ) -> Keyring: ...
    def keys(self) -> List[Tuple[int, str, str]]:
        """(id, state, suite) of each key, e.g. ``(2, "active", "gm")``."""
        ...
    def active_key_id(self) -> Optional[int]: ...

class Policy:
    """A record policy (``desensitize run --policy``), checked when read."""

    @staticmethod
    def from_toml(text: str) -> Policy: ...
    @staticmethod
    def from_json(text: str) -> Policy: ...
    @property
    def k_anonymity(self) -> Optional[Tuple[int, List[str]]]: ...
    @property
    def privacy(self) -> Optional[dict]: ...
    def without_k_anonymity(self) -> Policy: ...
    def output_names(self, header: List[str], keyring: Optional[Keyring] = None) -> List[str]: ...

@overload
def protect(
    batch: pa.RecordBatch, policy: Policy, keyring: Optional[Keyring] = None, *, first_row: int = 1,
    rejects: Literal[False] = False,
) -> pa.RecordBatch: ...
@overload
def protect(
    batch: pa.RecordBatch, policy: Policy, keyring: Optional[Keyring] = None, *, first_row: int = 1,
    rejects: Literal[True],
) -> Tuple[pa.RecordBatch, List[Tuple[int, str, str]]]: ...

# Every column function: nulls stay null; an invalid value becomes null
# with its reason (on_invalid="null", returns (values, reasons)) or raises
# DesensitizeError("row N: reason") (on_invalid="raise", returns values).

@overload
def validate(values: _Strings, kind: str, *, today: Optional[str] = None, on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def validate(values: _Strings, kind: str, *, today: Optional[str] = None, on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def mask(values: _Strings, kind: str, *, level: str = "standard", on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def mask(values: _Strings, kind: str, *, level: str = "standard", on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def seal(values: _Strings, kind: str, keyring: Keyring, *, table: str, column: str, row_ids: Optional[_Strings] = None, on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def seal(values: _Strings, kind: str, keyring: Keyring, *, table: str, column: str, row_ids: Optional[_Strings] = None, on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def open(values: _Strings, kind: str, keyring: Keyring, *, table: str, column: str, purpose: str, row_ids: Optional[_Strings] = None, on_invalid: Literal["null"] = "null", principal: Optional[str] = None) -> Tuple[pa.Array, _Reasons]: ...
@overload
def open(values: _Strings, kind: str, keyring: Keyring, *, table: str, column: str, purpose: str, row_ids: Optional[_Strings] = None, on_invalid: Literal["raise"], principal: Optional[str] = None) -> pa.Array: ...
@overload
def pseudonym(values: _Strings, kind: str, keyring: Keyring, *, domain: str, on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def pseudonym(values: _Strings, kind: str, keyring: Keyring, *, domain: str, on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def blind_index(values: _Strings, kind: str, keyring: Keyring, *, domain: str, bits: int, transform: str = "full", on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def blind_index(values: _Strings, kind: str, keyring: Keyring, *, domain: str, bits: int, transform: str = "full", on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def fpe(values: _Strings, kind: str, keyring: Keyring, *, domain: str, on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def fpe(values: _Strings, kind: str, keyring: Keyring, *, domain: str, on_invalid: Literal["raise"]) -> pa.Array: ...
@overload
def reidentify(values: _Strings, kind: str, keyring: Keyring, *, domain: str, purpose: str, on_invalid: Literal["null"] = "null", principal: Optional[str] = None) -> Tuple[pa.Array, _Reasons]: ...
@overload
def reidentify(values: _Strings, kind: str, keyring: Keyring, *, domain: str, purpose: str, on_invalid: Literal["raise"], principal: Optional[str] = None) -> pa.Array: ...
@overload
def generalize(values: _Strings, kind: str, fact: str, *, today: Optional[str] = None, band_width: int = 5, precision: int = 5, grid_km: float = 1.0, on_invalid: Literal["null"] = "null") -> Tuple[pa.Array, _Reasons]: ...
@overload
def generalize(values: _Strings, kind: str, fact: str, *, today: Optional[str] = None, band_width: int = 5, precision: int = 5, grid_km: float = 1.0, on_invalid: Literal["raise"]) -> pa.Array: ...
def detect(values: _Strings, *, kinds: Optional[List[str]] = None, min_confidence: float = 0.5) -> pa.Array: ...
def redact(values: _Strings, *, action: Literal["mask", "placeholder"] = "mask", level: str = "standard", kinds: Optional[List[str]] = None, min_confidence: float = 0.5) -> pa.Array: ...
