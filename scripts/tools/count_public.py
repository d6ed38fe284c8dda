#!/usr/bin/env python3
"""Count the public API of a crate from rustdoc JSON (nightly):
items reachable through public paths from the crate root (modules, types, traits, functions,
macros, constants, statics, type aliases, re-exports resolved), plus the public inherent
methods/associated items of reachable types, their public fields and enum variants.
Usage (nightly rustdoc writes the JSON):
    cargo +nightly rustdoc -p desensitize --lib [--features stream] -- -Z unstable-options --output-format json
    python3 scripts/tools/count_public.py target/doc/desensitize.json [--list]
Items hidden with #[doc(hidden)] and trait impls are not counted; re-exports count once."""
import json, sys
doc = json.load(open(sys.argv[1]))
idx = doc["index"]
root = doc["root"]
seen, counts, names = set(), {}, []
def kind_of(item):
    return next(iter(item["inner"])) if isinstance(item["inner"], dict) else item["inner"]
def visit(iid, path):
    iid = str(iid)
    if iid in seen or iid not in idx:
        return
    item = idx[iid]
    if item.get("crate_id", 0) != 0:
        return
    seen.add(iid)
    k = kind_of(item)
    inner = item["inner"][k] if isinstance(item["inner"], dict) else {}
    name = item.get("name") or ""
    if k == "use":
        tgt = inner.get("id")
        if tgt is not None:
            visit(tgt, path)
        return
    if item.get("visibility") not in ("public", "default") and k not in ("variant", "struct_field"):
        return
    if any(a for a in item.get("attrs", []) if "doc(hidden)" in str(a)):
        return
    full = path + "::" + name if name else path
    counts[k] = counts.get(k, 0) + 1
    names.append(f"{k} {full}")
    if k == "module":
        for c in inner.get("items", []):
            visit(c, full)
    elif k in ("struct", "enum", "union", "trait"):
        if k == "struct":
            kinddef = inner.get("kind", {})
            if isinstance(kinddef, dict):
                for key in ("plain",):
                    if key in kinddef:
                        for f in kinddef[key].get("fields", []):
                            fi = idx.get(str(f))
                            if fi and fi.get("visibility") == "public":
                                visit(f, full)
        if k == "enum":
            for v in inner.get("variants", []):
                visit(v, full)
        if k == "trait":
            for c in inner.get("items", []):
                visit(c, full)
        for impl_id in inner.get("impls", []):
            impl = idx.get(str(impl_id))
            if not impl: continue
            ii = impl["inner"]["impl"]
            if ii.get("trait") is None and not ii.get("is_synthetic") and not ii.get("blanket_impl"):
                for c in ii.get("items", []):
                    visit(c, full)
visit(root, "")
total = sum(counts.values())
print(f"total {total}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
if "--list" in sys.argv:
    print("\n".join(sorted(names)))
