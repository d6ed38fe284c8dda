#!/usr/bin/env python3
"""One ratio table from criterion's own JSON estimates.

Reads target/criterion/**/new/{benchmark,estimates}.json (written by any
`cargo bench` run, full or short) and prints a Markdown table: operation,
ours, raw primitive, ratio, target. In each criterion group the benchmark
whose name ends in "(bare)" is the raw primitive; every other benchmark of
the group is one row. A benchmark with an element throughput (a fixed input
set per iteration) is reported per element: the mean per value.

The table is the one in benches/README.md, between its
`<!-- bench-table:begin -->` and `<!-- bench-table:end -->` markers.

Usage: scripts/bench/bench-table.py [--write] [CRITERION_DIR]   (default target/criterion)
    without --write: print the table (what scripts/ci/ci-bench.sh does);
    with --write:    replace the table in benches/README.md, the rest of the file unchanged.
Exit status 1 only when no estimates are found or the markers are missing; never on a timing.
"""

import fnmatch
import json
import pathlib
import sys

# (group glob, benchmark glob, target): ratio targets end in "x", absolute
# ones in a time unit. First match wins; no match prints no target.
TARGETS = [
    ("seal/*", "seal text*", "<= 1.4x"),
    ("seal/*", "seal binary", "<= 1.25x"),
    ("open/*", "open text", "<= 1.4x"),
    ("open/*", "open binary", "<= 1.3x"),
    ("token/*", "token text", "<= 1.2x"),
    ("token/*", "token text, reused buffer", "<= 1.2x"),
    # Issue 18: envelope v2 (XAES-256-GCM) on the batch/plan path, where one
    # fork check covers the call. The "(floor)" rows are the per-message key
    # any XAES / XSM4 implementation pays over the bare GCM (no target).
    # The batch seal draws N[0..12] once per nonce group (SPEC.md §3a.3) and
    # the batch open keeps the message key of the group it is reading: the
    # rows the targets are for. "one by one" / "(miss)" rows show the same
    # work with a message key per value (no target: they sit at the floor).
    ("seal-batch/*", "seal_text_all*", "<= 1.5x"),
    ("seal-batch/*", "seal_all, binary*", "<= 1.5x"),
    ("seal-batch/*", "plan seal column*", "<= 1.5x"),
    ("seal-batch-gm/*", "gm seal_text_all*", "<= 1.4x"),
    ("open-batch/*", "open_text_all, batch-sealed*", "<= 1.3x"),
    ("open-batch-gm/*", "gm open_text_all, batch-sealed*", "<= 1.3x"),
    ("seal-gm/*", "gm seal*", "<= 1.4x"),
    ("open-gm/*", "gm open*", "<= 1.3x"),
    ("token-gm/*", "token text*", "<= 1.2x"),
    ("fpe/mobile_phone", "pre-keyed*", "<= 0.8 µs"),
    ("fpe/bank_card", "pre-keyed*", "<= 0.8 µs"),
    ("fpe/id_number", "pre-keyed*", "<= 2 µs"),
    ("mask/*", "mask *", "< 50 ns"),
    # Issue 18: string in, typed value out (validation included), and
    # parse + mask of a phone at least 5x faster than npm maskdata's
    # unvalidated maskPhone (248 ns).
    ("parse/mobile_phone", "parse", "<= 25 ns"),
    ("parse/mobile_phone", "parse then mask", "< 49.6 ns"),
    ("parse/id_number", "parse", "<= 40 ns"),
    # Issue 18: keyring.pseudonym per value near a kept pseudonymizer.
    ("pseudonym/*", "keyring.pseudonym*", "<= 1.2x"),
]


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns" if ns >= 10 else f"{ns:.1f} ns"


def target_for(group, name):
    for g, n, t in TARGETS:
        if fnmatch.fnmatchcase(group, g) and fnmatch.fnmatchcase(name, n):
            return t
    return ""


def met(target, ours, ratio):
    """'yes'/'no' for a target, '' when there is none."""
    if not target:
        return ""
    op, value = target.split(" ", 1)
    if value.endswith("x"):
        if ratio is None:
            return ""
        got, limit = ratio, float(value[:-1])
    else:
        num, unit = value.split(" ")
        got, limit = ours, float(num) * {"ns": 1, "µs": 1e3, "ms": 1e6}[unit]
    ok = got <= limit if op == "<=" else got < limit
    return "yes" if ok else "no"


def load(root):
    groups = {}
    for bench in sorted(root.glob("**/new/benchmark.json")):
        est = bench.with_name("estimates.json")
        if not est.exists():
            continue
        meta = json.loads(bench.read_text())
        mean = json.loads(est.read_text())["mean"]["point_estimate"]
        per = 1
        throughput = meta.get("throughput") or {}
        if "Elements" in throughput:
            per = max(1, int(throughput["Elements"]))
        name = meta.get("function_id") or meta.get("value_str") or ""
        groups.setdefault(meta["group_id"], []).append((name, mean / per))
    return groups


README = pathlib.Path(__file__).resolve().parent.parent.parent / "benches" / "README.md"
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"


def table(groups):
    """The Markdown table's lines."""
    lines = ["| operation | ours | raw primitive | ratio | target | met |", "|---|---|---|---|---|---|"]
    for group in sorted(groups):
        rows = groups[group]
        bare = next(((n, t) for n, t in rows if n.endswith("(bare)")), None)
        for name, ns in rows:
            if bare and name == bare[0]:
                continue
            ratio = ns / bare[1] if bare else None
            raw = f"{bare[0][: -len('(bare)')].strip()} {fmt_time(bare[1])}" if bare else "—"
            target = target_for(group, name)
            lines.append(
                f"| {group}: {name} | {fmt_time(ns)} | {raw} | "
                f"{f'{ratio:.2f}x' if ratio is not None else ''} | {target} | {met(target, ns, ratio)} |"
            )
    return lines


def write(lines):
    """Replace the table between the markers of benches/README.md."""
    text = README.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        print(f"{README}: no {BEGIN} ... {END} markers", file=sys.stderr)
        return 1
    head, tail = text[: start + len(BEGIN)], text[end:]
    README.write_text(head + "\n" + "\n".join(lines) + "\n" + tail, encoding="utf-8")
    print(f"wrote {len(lines) - 2} rows into {README}")
    return 0


def main():
    args = sys.argv[1:]
    to_file = "--write" in args
    args = [a for a in args if a != "--write"]
    root = pathlib.Path(args[0] if args else "target/criterion")
    groups = load(root)
    if not groups:
        print(f"no criterion estimates under {root}: run cargo bench first", file=sys.stderr)
        return 1
    lines = table(groups)
    if to_file:
        return write(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
