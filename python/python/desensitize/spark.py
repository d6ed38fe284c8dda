"""Spark helpers: a policy per partition through ``mapInArrow``, and
k-anonymity over the whole DataFrame with a window (one shuffle).

What runs where: ``protect_df`` and the column functions in Arrow UDFs run
inside each task on its own batches (no shuffle); the keyring is opened once
per executor process (it pickles as its path, never its keys) and the plan
compiled once per policy and header. ``k_anonymize`` needs the size of every
class across all partitions: its window partitions by the quasi-identifiers,
which is a shuffle.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Sequence

import pyarrow as pa

from ._desensitize import Keyring, Policy, protect
from .privacy import PrivacyError, enforce_privacy  # noqa: F401 (re-exported)

_CLASS_SIZE = "__desensitize_class_size"


def protect_batches(
    batches: Iterable[pa.RecordBatch], policy: Policy, keyring: Optional[Keyring] = None
) -> Iterator[pa.RecordBatch]:
    """Apply ``policy`` to every batch: the function ``mapInArrow`` runs."""
    for batch in batches:
        yield protect(batch, policy, keyring)


def output_schema(columns: Sequence[str], policy: Policy, keyring: Optional[Keyring] = None):
    """The Spark schema of the protected rows: every output column a nullable string."""
    from pyspark.sql.types import StringType, StructField, StructType

    names = policy.output_names(list(columns), keyring)
    return StructType([StructField(n, StringType(), True) for n in names])


def protect_df(df, policy: Policy, keyring: Optional[Keyring] = None):
    """``df`` (string columns, named as the policy's header) protected by
    ``policy`` with ``mapInArrow``: per partition, no shuffle. A policy with
    a k-anonymity step runs without it here; follow with ``k_anonymize``."""
    if policy.k_anonymity is not None:
        policy = policy.without_k_anonymity()
    schema = output_schema(df.columns, policy, keyring)
    return df.mapInArrow(lambda batches: protect_batches(batches, policy, keyring), schema)


def k_anonymize(df, k: int, quasi_identifiers: Sequence[str]):
    """Rows of ``df`` whose class (their values of ``quasi_identifiers``,
    already generalized) holds at least ``k`` rows; smaller classes are
    suppressed. The class sizes come from a window partitioned by the
    quasi-identifiers (one shuffle), so this is exact across partitions:
    the same rows as the library's own k-anonymity step
    (``[k_anonymity]`` in a policy, ``desensitize run``). Nulls form a class
    of their own, as empty cells do in the library."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if k < 2:
        raise ValueError("k-anonymity needs k >= 2")
    if not quasi_identifiers:
        raise ValueError("k-anonymity needs at least one quasi-identifier")
    window = Window.partitionBy(*[F.col(q) for q in quasi_identifiers])
    sized = df.withColumn(_CLASS_SIZE, F.count(F.lit(1)).over(window))
    return sized.where(F.col(_CLASS_SIZE) >= k).drop(_CLASS_SIZE)


def protect_and_k_anonymize(df, policy: Policy, keyring: Optional[Keyring] = None):
    """The whole policy on a DataFrame: ``protect_df``, then the policy's own
    privacy step (if any): ``enforce_privacy`` with its ``[privacy]`` model,
    which refuses (``PrivacyError``) a table that misses it beyond its
    suppression budget, or ``k_anonymize`` for ``[k_anonymity]``."""
    protected = protect_df(df, policy, keyring)
    if policy.k_anonymity is None:
        return protected
    privacy = policy.privacy
    if privacy is not None:
        return enforce_privacy(protected, **privacy)
    k, quasi_identifiers = policy.k_anonymity
    return k_anonymize(protected, k, quasi_identifiers)
