#!/usr/bin/env python3
"""Counts the hand-written public items of src/ and how many have an example in their rustdoc.

An item is a line `pub fn|struct|enum|trait|type|const|static|mod NAME` (not `pub(crate)`/`pub(super)`,
not `pub use`), outside `#[cfg(test)]` modules and test files. It has an example when the `///` block
right above it (attributes may sit between) contains a code fence "```". Generated code is in OUT_DIR,
so everything under src/ is hand-written. Fields and enum variants are not counted.

    python3 scripts/doc-examples.py                  # totals
    python3 scripts/doc-examples.py --list           # plus every item without an example
    python3 scripts/doc-examples.py --src OTHER/src  # another checkout (e.g. to compare with main)

src/guide.rs is not counted: its modules are the guide's pages, not API items. src/limiter/proptests.rs
is test code.
"""
import pathlib
import re
import sys

ITEM = re.compile(r"^\s*pub\s+(?:async\s+)?(?:unsafe\s+)?(fn|struct|enum|trait|type|const|static|mod)\s+([A-Za-z_][A-Za-z0-9_]*)")


def items(path):
    lines = path.read_text().splitlines()
    skip_depth = None  # brace depth at which a #[cfg(test)] module started
    depth = 0
    pending_test = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if skip_depth is None and stripped.startswith("#[cfg(test)]"):
            pending_test = True
        elif pending_test and re.match(r"^(pub(\([a-z]+\))?\s+)?mod\s", stripped):
            if stripped.endswith(";"):
                pending_test = False
            else:
                skip_depth = depth
                pending_test = False
        elif pending_test and stripped and not stripped.startswith("#["):
            pending_test = False
        code = stripped.split("//")[0]
        if skip_depth is None and not stripped.startswith("//"):
            m = ITEM.match(line)
            if m:
                yield m.group(1), m.group(2), i + 1, has_example(lines, i)
        if not stripped.startswith("//"):
            depth += code.count("{") - code.count("}")
        if skip_depth is not None and depth <= skip_depth and "}" in code:
            skip_depth = None


def has_example(lines, i):
    j = i - 1
    doc = []
    while j >= 0:
        s = lines[j].strip()
        if s.startswith("///"):
            doc.append(s)
        elif s.startswith("#[") or s.startswith("#!") or (s.endswith(")]") and not s.startswith("//")):
            pass
        else:
            break
        j -= 1
    return any("```" in d for d in doc)


def main():
    args = sys.argv[1:]
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    if "--src" in args:
        root = pathlib.Path(args[args.index("--src") + 1]).resolve()
    listing = "--list" in args
    total = with_example = 0
    missing = []
    for path in sorted(root.rglob("*.rs")):
        if path.name in ("proptests.rs", "guide.rs"):
            continue
        for kind, name, line, example in items(path):
            total += 1
            if example:
                with_example += 1
            else:
                missing.append(f"{path.relative_to(root.parent)}:{line}: {kind} {name}")
    if listing:
        print("\n".join(missing))
    print(f"hand-written public items: {total}; with an example in their rustdoc: {with_example}")


if __name__ == "__main__":
    main()
