#!/usr/bin/env python3
"""Every crate the workspace builds, at the versions Cargo.lock pins, must accept the workspace's MSRV.

cargo refuses to build a package whose `rust-version` is above the toolchain's, so a dependency that
raised its minimum breaks the MSRV build even when our own code is fine. Other toolchains cannot be
installed on the development machines, so this reads the `rust-version` every package declares
(`cargo metadata --locked --all-features`, all targets and platforms) instead of building with the old
toolchain; CI's MSRV job then builds with it.

Walks the resolve graph from the workspace members: their normal, build and dev dependencies, and the
normal and build dependencies of everything below. Prints each package above the MSRV and exits 1, or a
one-line summary and exits 0. Exit 2: cargo metadata failed or a member states no rust-version.

    scripts/msrv-deps.py [--rust-version X.Y]   (default: the members' own rust-version)
"""

import argparse
import json
import subprocess
import sys


def version_tuple(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rust-version", help="check against this version instead of the members' rust-version")
    args = parser.parse_args()

    try:
        out = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
            check=True, capture_output=True, text=True,
        ).stdout
    except subprocess.CalledProcessError as e:
        print(f"msrv-deps: cargo metadata failed:\n{e.stderr}", file=sys.stderr)
        return 2
    meta = json.loads(out)
    packages = {p["id"]: p for p in meta["packages"]}
    members = meta["workspace_members"]

    stated = {packages[m]["name"]: packages[m].get("rust_version") for m in members}
    missing = [name for name, rv in stated.items() if not rv]
    if missing:
        print(f"msrv-deps: no rust-version in {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.rust_version:
        msrv = args.rust_version
    else:
        distinct = set(stated.values())
        if len(distinct) != 1:
            print(f"msrv-deps: members state different rust-versions: {stated}", file=sys.stderr)
            return 2
        msrv = distinct.pop()

    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    seen, queue = set(members), list(members)
    while queue:
        node = nodes[queue.pop()]
        is_member = node["id"] in members
        for dep in node["deps"]:
            kinds = {k["kind"] or "normal" for k in dep["dep_kinds"]}
            if not is_member:
                kinds.discard("dev")
            if kinds and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                queue.append(dep["pkg"])

    too_new, undeclared = [], 0
    for pid in seen:
        pkg = packages[pid]
        rv = pkg.get("rust_version")
        if not rv:
            undeclared += 1
        elif version_tuple(rv) > version_tuple(msrv):
            too_new.append((version_tuple(rv), rv, pkg["name"], pkg["version"]))
    if too_new:
        print(f"msrv-deps: {len(too_new)} of {len(seen)} packages need a Rust newer than the MSRV {msrv}:")
        for _, rv, name, version in sorted(too_new, reverse=True):
            print(f"  {name} {version}: rust-version {rv}")
        print("hold them back in Cargo.lock (cargo update -p NAME --precise VERSION) or raise rust-version")
        return 1
    print(f"msrv-deps: all {len(seen)} packages accept Rust {msrv} ({undeclared} declare no rust-version)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
