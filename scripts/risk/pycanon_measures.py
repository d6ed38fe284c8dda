#!/usr/bin/env python3
"""pyCANON's k, l-diversity (distinct and entropy) and t-closeness of a CSV,
one sensitive attribute at a time, printed as JSON for tests/risk/pycanon.rs:

    python3 scripts/risk/pycanon_measures.py FILE --quasi a,b --sensitive s1,s2

{"k": 3, "sensitive": {"s1": {"l": 2, "entropy_l": 1, "t": 0.25}, ...}}

Exits 3 with one line on stderr when pycanon (pip install pycanon) is absent.
"""

import argparse
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--quasi", required=True)
    parser.add_argument("--sensitive", required=True)
    args = parser.parse_args()
    try:
        import pandas as pd
        from pycanon import anonymity
    except ImportError:
        print("pycanon is not installed (pip install pycanon)", file=sys.stderr)
        return 3
    quasi = args.quasi.split(",")
    sensitive = args.sensitive.split(",")
    # Quasi-identifiers as text (they define classes only); sensitive columns
    # as pandas reads them: numbers are numeric (pyCANON's ordered distance),
    # the rest text (its equal distance).
    data = pd.read_csv(args.file, dtype={q: str for q in quasi}, keep_default_na=False)
    out = {"k": int(anonymity.k_anonymity(data, quasi)), "sensitive": {}}
    for s in sensitive:
        out["sensitive"][s] = {
            "l": int(anonymity.l_diversity(data, quasi, [s])),
            "entropy_l": int(anonymity.entropy_l_diversity(data, quasi, [s])),
            "t": float(anonymity.t_closeness(data, quasi, [s])),
        }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
