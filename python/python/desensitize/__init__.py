"""desensitize: typed, leak-proof personal data over Apache Arrow.

Column functions take a ``pyarrow`` string array and return one (with, under
``on_invalid="null"``, a parallel array of reasons: never the value). Record
policies (``Policy``) are the ones ``desensitize run`` reads; ``protect``
applies one to a ``pyarrow.RecordBatch``: the body of Spark's ``mapInArrow``
(see ``desensitize.spark``). Errors are ``DesensitizeError`` with the
crate's value-free messages.
"""

from ._desensitize import (
    DesensitizeError,
    Keyring,
    Policy,
    blind_index,
    detect,
    fpe,
    generalize,
    mask,
    open,
    protect,
    pseudonym,
    redact,
    reidentify,
    seal,
    validate,
)

__all__ = [
    "DesensitizeError",
    "Keyring",
    "Policy",
    "blind_index",
    "detect",
    "fpe",
    "generalize",
    "mask",
    "open",
    "protect",
    "pseudonym",
    "redact",
    "reidentify",
    "seal",
    "validate",
]
