#!/usr/bin/env python3
"""Mutation testing of the Python package's Rust code (python/src) against
its pytest suite, which cargo-mutants cannot run (it runs `cargo test`).

cargo-mutants lists the mutants (`cargo mutants --list --json --diff -p
desensitize-python -f FILE`); this script applies each one to the working
tree, rebuilds the extension (a debug `cargo build` of the cdylib, copied
over the `_desensitize` module of the package installed in development mode
by `maturin develop`), runs the chosen pytest files (no Spark), restores the
file and tallies caught / missed / unviable / timeout, as cargo-mutants does.

    maturin develop -m python/Cargo.toml          # once, in the venv below
    python3 scripts/tools/mutants_python.py --venv target/mut-venv \\
        -f python/src/cache.rs -t python/tests/test_keyring_cache.py \\
        -o target/mutants-python/cache

Options: `--re REGEX` runs only the mutants whose name matches (a re-run of
the survivors), `--timeout S` per pytest run, `--no-baseline` skips the
unmutated run. The mutated file is restored after every mutant, on an error
and on Ctrl-C; the extension is rebuilt from the restored tree at the end.
Outcomes go to OUT/outcomes.json and OUT/{caught,missed,unviable,timeout}.txt.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULE = ROOT / "python/python/desensitize/_desensitize.abi3.so"


def cargo_env(venv: pathlib.Path) -> dict:
    env = dict(os.environ)
    # Debug info off: the extension links faster (the same settings for every build).
    env.setdefault("CARGO_PROFILE_DEV_DEBUG", "0")
    env.setdefault("CARGO_PROFILE_TEST_DEBUG", "0")
    env["PYO3_PYTHON"] = str(venv / "bin/python")
    return env


def list_mutants(files: list, env: dict) -> list:
    cmd = ["cargo", "mutants", "--list", "--json", "--diff", "-p", "desensitize-python"]
    for f in files:
        cmd += ["-f", f]
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def build(env: dict) -> bool:
    """Build the extension and install it over the package's module."""
    done = subprocess.run(
        ["cargo", "build", "-q", "-p", "desensitize-python", "--lib", "--features", "pyo3/extension-module"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    if done.returncode != 0:
        return False
    target = pathlib.Path(env.get("CARGO_TARGET_DIR", ROOT / "target"))
    shutil.copyfile(target / "debug/lib_desensitize.so", MODULE)
    return True


def run_tests(venv: pathlib.Path, tests: list, timeout: float, env: dict) -> str:
    cmd = [str(venv / "bin/python"), "-m", "pytest", "-x", "-q", "-p", "no:warnings", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode not in (0, 1):
        # 2: collection error or interrupted, 3: internal error, 4: usage,
        # 5: no tests: the tests did not judge the mutant; stop, do not count it.
        tail = done.stdout.decode(errors="replace")[-2000:]
        raise RuntimeError(f"pytest exited {done.returncode} (not a verdict):\n{tail}")
    return "missed" if done.returncode == 0 else "caught"


def apply(mutant: dict) -> None:
    """Apply a mutant's diff (its `+++` line names the mutation, not a file)."""
    lines = mutant["diff"].splitlines(keepends=True)
    name = mutant["file"]
    lines[0] = f"--- {name}\n"
    lines[1] = f"+++ {name}\n"
    subprocess.run(
        ["patch", "-p0", "--silent", "--forward", "--no-backup-if-mismatch", "-r", "-"],
        cwd=ROOT,
        input="".join(lines),
        text=True,
        check=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-f", "--file", action="append", required=True, help="python/src file to mutate")
    ap.add_argument("-t", "--tests", action="append", required=True, help="pytest file or argument")
    ap.add_argument("-o", "--out", required=True, help="folder for the outcomes")
    ap.add_argument("--venv", default=str(ROOT / "target/mut-venv"), help="venv with pytest, pyarrow and the package")
    ap.add_argument("--re", help="only mutants whose name matches")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()

    venv = pathlib.Path(args.venv).resolve()
    env = cargo_env(venv)
    env.setdefault("DESENSITIZE_CLI", str(ROOT / "target/debug/desensitize"))
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mutants = list_mutants(args.file, env)
    if args.re:
        mutants = [m for m in mutants if re.search(args.re, m["name"])]

    if not args.no_baseline:
        if not build(env) or run_tests(venv, args.tests, args.timeout * 3, env) != "missed":
            print("baseline failed: the unmutated tree does not build or its tests fail", file=sys.stderr)
            return 2

    outcomes = []
    originals = {f: (ROOT / f).read_bytes() for f in {m["file"] for m in mutants}}
    try:
        for i, mutant in enumerate(mutants, 1):
            start = time.monotonic()
            apply(mutant)
            try:
                result = run_tests(venv, args.tests, args.timeout, env) if build(env) else "unviable"
            finally:
                (ROOT / mutant["file"]).write_bytes(originals[mutant["file"]])
            outcomes.append({"name": mutant["name"], "outcome": result})
            print(f"[{i}/{len(mutants)}] {result:8} {time.monotonic() - start:5.1f}s {mutant['name']}", flush=True)
    finally:
        for f, text in originals.items():
            (ROOT / f).write_bytes(text)
        (out / "outcomes.json").write_text(json.dumps(outcomes, indent=1))
        for kind in ("caught", "missed", "unviable", "timeout"):
            names = [o["name"] for o in outcomes if o["outcome"] == kind]
            (out / f"{kind}.txt").write_text("".join(n + "\n" for n in names))
        build(env)  # the module again from the restored source

    tally = {k: sum(o["outcome"] == k for o in outcomes) for k in ("caught", "missed", "unviable", "timeout")}
    print(f"{len(outcomes)} mutants: " + ", ".join(f"{v} {k}" for k, v in tally.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
