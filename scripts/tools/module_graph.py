#!/usr/bin/env python3
"""The library's module graph, read from the source (no build, no dependencies).

A top-level module is src/NAME.rs or src/NAME/. An edge A -> B is any `use crate::B...`,
`crate::B::` path or `crate::{B::.., b}` group in A's files (comments and `#[cfg(test)]`
tails left out, as tests may reach anywhere). Prints the modules in layers (layer 0 imports
no other module; layer n imports only layers below n) and exits 1 when

  - the graph has a cycle (the modules on it are printed), or
  - a module names another module's non-`pub` submodule: `crate::seal::envelope` while
    src/seal/mod.rs declares `mod envelope;` or `pub(crate) mod envelope;`. Such code must
    go through what the owning module re-exports at its root.

Usage: module_graph.py [PROJECT_ROOT]   (default: .; runs the self-test quietly first)
       module_graph.py --self-test      (checks the checker on fixture trees in a temp dir)
"""
import os
import re
import shutil
import sys
import tempfile

IDENT = r"[a-z_][a-z0-9_]*"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def cut_tests(text):
    """The text before the first `#[cfg(test)] mod` (a test-only `use` cuts nothing)."""
    m = re.search(r"#\[cfg\(test\)\]\s*(?:pub(?:\s*\([^)]*\))?\s+)?mod\b", text)
    return text if m is None else text[: m.start()]


def rust_files(base):
    for dp, dn, fn in os.walk(base):
        dn[:] = sorted(x for x in dn if x not in ("target", ".git"))
        for f in sorted(fn):
            if f.endswith(".rs"):
                yield os.path.join(dp, f)


def top_module(src, path):
    first = os.path.relpath(path, src).split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def submodules(src, module):
    """{name: visibility} of the submodules `module` declares in src/module/mod.rs."""
    decl = os.path.join(src, module, "mod.rs")
    if not os.path.isfile(decl):
        return {}
    text = strip_comments(open(decl, encoding="utf-8").read())
    found = {}
    for vis, name in re.findall(r"^\s*(pub(?:\s*\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*[;{]", text, re.M):
        found[name] = re.sub(r"\s+", "", vis)
    return found


def paths_in(text):
    """Every `crate::a::b...` path, groups expanded one level: [(a, b or None)]."""
    out = []
    for m in re.finditer(r"\bcrate::(" + NAME + r")(?:::(" + IDENT + r"|\{[^}]*\}))?", text):
        head, tail = m.group(1), m.group(2)
        if tail and tail.startswith("{"):
            for part in tail[1:-1].split(","):
                first = re.match(r"\s*(" + IDENT + r")", part)
                out.append((head, first.group(1) if first else None))
        else:
            out.append((head, tail))
    # `use crate::{a::X, b}` groups at the crate root
    for grp in re.findall(r"\bcrate::\{([^}]*)\}", text):
        for part in grp.split(","):
            names = re.findall(NAME, part.strip().split(" as ")[0])
            if names:
                out.append((names[0], names[1] if len(names) > 1 and "::" in part else None))
    return out


def root_reexports(src, mods):
    """{name: module} for what lib.rs re-exports (`pub use kind::{Kind, ..}`), so that
    `crate::Kind` is an edge to `kind` like `crate::kind::Kind`."""
    lib = os.path.join(src, "lib.rs")
    if not os.path.isfile(lib):
        return {}
    text = strip_comments(open(lib, encoding="utf-8").read())
    found = {}
    for head, rest in re.findall(r"\bpub\s+use\s+(" + IDENT + r")::([^;]*);", text):
        if head in mods:
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:[,}]|$)", rest.strip()):
                found[name] = head
    return found


def analyse(root):
    src = os.path.join(root, "src")
    mods = {top_module(src, p) for p in rust_files(src)} - {"lib", "main"}
    reexports = root_reexports(src, mods)
    edges = {m: set() for m in mods}
    private_uses = []
    subs = {m: submodules(src, m) for m in mods}
    for p in rust_files(src):
        m = top_module(src, p)
        if m not in mods:
            continue
        text = cut_tests(strip_comments(open(p, encoding="utf-8").read()))
        for head, tail in paths_in(text):
            head = reexports.get(head, head)
            if head not in mods or head == m:
                continue
            edges[m].add(head)
            vis = subs[head].get(tail)
            if vis is not None and vis != "pub":
                private_uses.append((os.path.relpath(p, root), f"crate::{head}::{tail}", vis or "private"))
    return mods, edges, sorted(set(private_uses))


def cycles(mods, edges):
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(mods):
        if v not in index:
            strong(v)
    return sccs


def layers(mods, edges):
    level, left = {}, set(mods)
    while left:
        ready = {m for m in left if all(d in level for d in edges[m])}
        if not ready:
            break  # the rest is on or above a cycle
        for m in ready:
            level[m] = 1 + max((level[d] for d in edges[m]), default=-1)
        left -= ready
    return level, left


def check(root, out=print):
    mods, edges, private_uses = analyse(root)
    level, stuck = layers(mods, edges)
    for n in range(max(level.values(), default=-1) + 1):
        row = sorted(m for m in level if level[m] == n)
        out(f"layer {n}: " + ", ".join(f"{m} -> {{{', '.join(sorted(edges[m]))}}}" if edges[m] else m for m in row))
    sccs = cycles(mods, edges)
    for c in sccs:
        out("cycle: " + " <-> ".join(c))
    if stuck and not sccs:
        out("unplaced: " + ", ".join(sorted(stuck)))
    for path, used, vis in private_uses:
        out(f"private submodule: {path} uses {used} (declared {vis})")
    bad = len(sccs) + len(private_uses)
    out(f"module graph: {len(mods)} modules, {len(sccs)} cycles, {len(private_uses)} private-submodule imports")
    return 1 if bad or stuck else 0


def self_test(out=print):
    made = []

    def tree(files):
        d = tempfile.mkdtemp(prefix="module_graph_")
        made.append(d)
        for rel, text in files.items():
            path = os.path.join(d, "src", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return d

    quiet = lambda *_: None
    base = {
        "lib.rs": "mod a; mod b; mod c;\n",
        "a.rs": "// use crate::c::X; a comment is no edge\n",
        "b/mod.rs": "pub mod open;\nmod hidden;\npub(crate) mod inner;\npub use hidden::Y;\nuse crate::a::X;\n",
        "b/open.rs": "", "b/hidden.rs": "", "b/inner.rs": "",
        "c.rs": "use crate::{a::X, b::Y};\nuse crate::b::open::Z;\n#[cfg(test)]\nmod t { use crate::c; }\n",
    }
    cases = [
        ("layered tree passes", {}, 0),
        ("a cycle through a path fails", {"a.rs": "fn f() { crate::c::g(); }\n"}, 1),
        ("a cycle through a group fails", {"a.rs": "use crate::{b::Y, c};\n"}, 1),
        ("a private submodule import fails", {"c.rs": "use crate::b::hidden::Y;\n"}, 1),
        ("a pub(crate) submodule import fails", {"c.rs": "use crate::b::{inner::W};\n"}, 1),
        ("a submodule named in a group fails", {"c.rs": "use crate::b::{Y, hidden};\n"}, 1),
        ("a test-only use cuts nothing", {"c.rs": "#[cfg(test)]\nuse crate::b::Y;\nuse crate::b::hidden::Z;\n"}, 1),
        ("test code may reach up", {"a.rs": "#[cfg(test)]\nmod t { use crate::c::g; }\n"}, 0),
        ("a cycle through a crate-root re-export fails",
         {"lib.rs": "mod a; mod b; mod c;\npub use c::{Top, other};\n", "a.rs": "use crate::Top;\n"}, 1),
    ]
    failed = 0
    for name, change, want in cases:
        got = check(tree({**base, **change}), out=quiet)
        ok = got == want
        failed += not ok
        out(f"{'ok  ' if ok else 'FAIL'} {name} (exit {got}, want {want})")
    lv, _ = layers(*analyse(tree(base))[:2])
    if lv != {"a": 0, "b": 1, "c": 2}:
        failed += 1
        out(f"FAIL layers of the fixture: {lv}")
    out(f"self-test: {len(cases) + 1 - failed} passed, {failed} failed")
    for d in made:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    # A checker that passes everything is worse than none: check it first.
    if self_test(out=lambda *_: None) != 0:
        print("module_graph.py: its own self-test fails; run it with --self-test", file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else "."))
