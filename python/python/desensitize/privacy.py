"""The privacy model of a policy's ``[privacy]`` section over a whole Spark
DataFrame: k-anonymity, distinct / entropy l-diversity, t-closeness and a
cap on prosecutor risk, with a suppression budget. The definitions are
those of ``desensitize::risk`` (and ``desensitize run``): t is the earth
mover's distance to the whole table, with the equal distance for text and
the ordered distance when every value of the column is a number.

The classes come from Spark's own shuffles (a group-by on the
quasi-identifiers, and one on quasi-identifiers plus each sensitive column);
only the per-class value counts reach the Python function that measures a
class, never a row.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

_N = "__desensitize_n"
_FAIL = "__desensitize_fails"
_EPS = 1e-12


class PrivacyError(ValueError):
    """The table misses the privacy model beyond its suppression budget. The
    message names the largest failing class by its generalized key (as
    ``desensitize run`` does), never a sensitive value."""


def _emd(dist, total, glob, ranks):
    """Earth mover's distance of one class's value counts to the table's."""
    if ranks is None:
        inside = sum(abs(c / total - glob.get(v, 0.0)) for v, c in dist)
        outside = max(0.0, 1.0 - sum(glob.get(v, 0.0) for v, _ in dist))
        return 0.5 * (inside + outside)
    m = len(ranks)
    if m < 2:
        return 0.0
    r = [0.0] * m
    for v, g in glob.items():
        r[ranks[v]] -= g
    for v, c in dist:
        r[ranks[v]] += c / total
    acc = s = 0.0
    for x in r:
        acc += x
        s += abs(acc)
    return s / (m - 1)


def _ranks(values):
    """Rank of each value when every one is a finite number, else None."""
    nums = []
    for v in values:
        try:
            x = float(v) if v is not None else math.nan
        except (TypeError, ValueError):
            return None
        if not math.isfinite(x):
            return None
        nums.append((x, v))
    nums.sort(key=lambda p: p[0])
    return {v: i for i, (_, v) in enumerate(nums)}


def enforce_privacy(
    df,
    quasi_identifiers: Sequence[str],
    k: int = 1,
    l: Optional[int] = None,
    sensitive: Sequence[str] = (),
    t: Optional[float] = None,
    max_risk: Optional[float] = None,
    max_suppression: float = 0.05,
    diversity: str = "distinct",
):
    """The rows of ``df`` whose class (their values of ``quasi_identifiers``)
    meets the model; the classes that miss it are suppressed when their
    rows are at most ``max_suppression`` of the table, else ``PrivacyError``
    names the largest of them. Nulls form a class (and a value) of their own."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    qi = list(quasi_identifiers)
    if not qi:
        raise ValueError("privacy needs at least one quasi-identifier")
    if (l is not None or t is not None) != bool(sensitive):
        raise ValueError("sensitive names the columns l and t protect: give both, or neither")
    total = df.count()
    classes = df.groupBy(*qi).agg(F.count(F.lit(1)).alias(_N))
    reasons = [F.when(F.col(_N) < k, F.lit("k"))]
    if max_risk is not None:
        reasons.append(F.when(1.0 / F.col(_N) > max_risk + _EPS, F.lit("max_risk")))
    for i, s in enumerate(sensitive):
        glob_rows = df.groupBy(s).count().collect()
        glob = {r[0]: r[1] / total for r in glob_rows}
        ranks = _ranks(glob.keys())

        def fails(dist, l=l, t=t, glob=glob, ranks=ranks, s=s):
            n = sum(c for _, c in dist)
            if l is not None:
                if diversity == "entropy":
                    h = -sum((c / n) * math.log(c / n) for _, c in dist)
                    if math.exp(h) < l - 1e-9:
                        return f"l (entropy) of `{s}`"
                elif len(dist) < l:
                    return f"l (distinct) of `{s}`"
            if t is not None and _emd(dist, n, glob, ranks) > t + _EPS:
                return f"t of `{s}`"
            return None

        udf = F.udf(lambda rows, f=fails: f([(r[0], r[1]) for r in rows]), StringType())
        per_value = df.groupBy(*qi, s).agg(F.count(F.lit(1)).alias("c"))
        col = f"{_FAIL}{i}"
        dists = per_value.groupBy(*qi).agg(udf(F.collect_list(F.struct(F.col(s), F.col("c")))).alias(col))
        classes = _join_on_keys(classes, dists, qi, "inner")
        reasons.append(F.col(col))
    classes = classes.withColumn(_FAIL, F.coalesce(*reasons)).cache()
    failing = classes.where(F.col(_FAIL).isNotNull())
    stats = failing.agg(F.count(F.lit(1)), F.sum(_N)).collect()[0]
    n_failing, failing_rows = stats[0], stats[1] or 0
    budget = math.floor(max_suppression * total + 1e-9)
    if failing_rows > budget:
        worst = failing.orderBy(F.col(_N).desc(), *qi).first()
        key = ", ".join("" if worst[q] is None else str(worst[q]) for q in qi)
        raise PrivacyError(
            f"class ({key}) misses {worst[_FAIL]}; {n_failing} classes of {failing_rows} records miss the model, "
            f"the suppression budget is {budget} records"
        )
    kept = classes.where(F.col(_FAIL).isNull()).select(*qi)
    return _join_on_keys(df, kept, qi, "left_semi")


def _join_on_keys(left, right, qi, how):
    """``left`` joined with ``right`` on the quasi-identifiers, nulls equal.
    The right side's keys are renamed first: both sides descend from one
    DataFrame, and Spark would resolve ``left[q]`` and ``right[q]`` to the
    same column."""
    from pyspark.sql import functions as F

    keys = [f"__desensitize_key{j}" for j in range(len(qi))]
    right = right.select(*[F.col(q).alias(k) for q, k in zip(qi, keys)], *[c for c in right.columns if c not in qi])
    joined = left.join(right, on=[left[q].eqNullSafe(right[k]) for q, k in zip(qi, keys)], how=how)
    return joined if how == "left_semi" else joined.drop(*keys)
