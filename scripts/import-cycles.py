#!/usr/bin/env python3
"""Import cycles among the hand-written Rust modules of each crate of the workspace.

    scripts/import-cycles.py [--self-test]

For every crate (src/, invent-spec/src/, invent-cli/src/) each file module (`a/b.rs` or `a/b/mod.rs` is
`a::b`) is a node; every `crate::…`, `super::…` or `self::…` path in its code (in `use` items, braces
expanded, and inline) is an edge to the deepest module that path names. A module and its own
submodules are one unit: edges between a module and its ancestors do not count (a parent declares and
re-exports its children). Tests are left out (`#[cfg(test)] mod tests { … }` blocks and tests/), and so
is generated code (it is `include!`d from OUT_DIR, never a file here). An edge between modules in
different branches is lifted to the sibling units under their closest common ancestor, so a submodule
of `a` using `b` while `b` uses `a` is a cycle of `a` and `b`. Prints each cycle with the names
that tie it and exits 1 when there is one, 0 when the graph is acyclic.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = ["src", "invent-spec/src", "invent-cli/src"]


def module_of(rel):
    """`a/b.rs` → ('a', 'b'); `a/mod.rs` → ('a',); `lib.rs` → ()."""
    parts = rel[:-3].split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip(code):
    """The code without comments, string literals and `#[cfg(test)]` modules."""
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    code = re.sub(r'r#*"(?:.|\n)*?"#*', '""', code)
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', code)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", code):
        if m.start() < i:
            continue
        out.append(code[i:m.start()])
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        i = j
    out.append(code[i:])
    return "".join(out)


def use_paths(code):
    """Every path of `use` items (braces expanded) and every inline `crate::`/`super::`/`self::` path."""
    paths = []

    def expand(prefix, tree):
        tree = tree.strip()
        m = re.match(r"^([\w:]*?)(?:::)?\{(.*)\}$", tree, re.S)
        if m:
            head = (prefix + "::" + m.group(1)) if prefix and m.group(1) else (m.group(1) or prefix)
            depth, item, items = 0, "", []
            for ch in m.group(2):
                if ch == "," and depth == 0:
                    items.append(item)
                    item = ""
                    continue
                depth += {"{": 1, "}": -1}.get(ch, 0)
                item += ch
            items.append(item)
            for it in items:
                if it.strip():
                    expand(head, it)
        else:
            path = re.split(r"\s+as\s+", tree)[0].strip()
            paths.append((prefix + "::" + path) if prefix else path)

    for m in re.finditer(r"\buse\s+([^;]+);", code):
        expand("", m.group(1))
    for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", code):
        paths.append(m.group(1))
    return paths


def resolve(current, path, modules):
    segs = [s for s in path.split("::") if s]
    if not segs or segs[0] not in ("crate", "super", "self"):
        return None
    base = list(current)
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super":
            base = base[:-1]
        segs = segs[1:]
    for s in segs:
        if tuple(base + [s]) in modules:
            base.append(s)
        else:
            break
    return tuple(base)


def related(a, b):
    return a[: len(b)] == b or b[: len(a)] == a


def cycles(files):
    """`files`: {module: code}. Returns [(units, ["a -> b: name", …])] for each strongly connected set."""
    modules = set(files)
    edges = {}
    for m, code in files.items():
        for path in use_paths(strip(code)):
            target = resolve(m, path, modules)
            if target is None or related(m, target):
                continue
            # Lifted to the two sibling units under the modules' closest common ancestor: `a::x` using
            # `b` and `b` using `a` is a cycle between `a` and `b`.
            common = 0
            while m[common] == target[common]:
                common += 1
            a, b = m[: common + 1], target[: common + 1]
            edges.setdefault(a, {}).setdefault(b, set()).add(f"{name(m)} -> {name(target)}: {path.split('::')[-1]}")
            edges.setdefault(b, {})
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                members = set(scc)
                ties = [t for a in sorted(members) for b, n in sorted(edges[a].items()) if b in members for t in sorted(n)]
                out.append((sorted(members), ties))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def read_crate(src):
    files = {}
    for dirpath, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                if rel == "main.rs":
                    continue
                with open(full, encoding="utf-8") as f:
                    files[module_of(rel)] = f.read()
    return files


def name(m):
    return "::".join(m) or "crate"


def self_test():
    acyclic = {(): "mod a; mod b;", ("a",): "use crate::b::X;", ("b",): "pub struct X; use super::a;"}
    assert len(cycles(acyclic)) == 1, "a -> b -> a is a cycle"
    fixed = {(): "", ("a",): "use crate::b::X;", ("b",): "pub struct X;"}
    assert cycles(fixed) == []
    braces = {(): "", ("a",): "use crate::{b::X, c};", ("b",): "", ("c",): "fn f() { crate::a::g(); }"}
    assert [m for m, _ in cycles(braces)] == [[("a",), ("c",)]]
    family = {(): "", ("a",): "pub use b::Y; mod b;", ("a", "b"): "use super::Z;"}
    assert cycles(family) == [], "a module and its submodule are one unit"
    lifted = {(): "", ("a",): "use crate::b::X;", ("b",): "", ("b", "c"): "use crate::a::Y;"}
    assert [m for m, _ in cycles(lifted)] == [[("a",), ("b",)]], "a submodule's use counts for its unit"
    tested = {(): "", ("a",): "#[cfg(test)]\nmod tests { use crate::b::X; }", ("b",): "use crate::a::Y;"}
    assert cycles(tested) == [], "test modules are left out"
    commented = {(): "", ("a",): "// use crate::b::X;\nfn f() { let s = \"crate::b::x\"; }", ("b",): "use crate::a::Y;"}
    assert cycles(commented) == [], "comments and strings are not code"
    print("import-cycles self-test: ok")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    found = 0
    for crate in CRATES:
        src = os.path.join(ROOT, crate)
        files = read_crate(src)
        result = cycles(files)
        print(f"{crate}: {len(files)} modules, {len(result)} cycle(s)")
        for members, ties in result:
            found += 1
            print("  cycle: " + ", ".join(name(m) for m in members))
            for tie in ties:
                print(f"    {tie}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
