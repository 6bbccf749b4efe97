#!/usr/bin/env python3
"""Report module cycles inside each crate of the workspace.

Why: `cargo` forbids cycles between crates but not between the modules of one crate, and a
module A that uses B while B uses A is two modules that cannot be read, tested or moved alone.
The fix is to move the shared piece into a module both depend on (a data/model module), not to
hide the edge; this script is how we see the edges.

What it reads: every crate under `crates/` (the `src/lib.rs` and `src/main.rs` trees, following
`mod` declarations; a `#[path]` module is reported on stderr, not followed), as text. Per module it collects the modules it names through
`use` trees and through `crate::`/`super::`/`self::` paths (and paths through names it imported
or child modules it declares), resolving imports and re-exports (`pub use`) to the module that
defines the item. Comments, strings, doc links and test-only code (`#[cfg(test)]`, `#[test]`)
are left out unless `--include-tests`.

What counts as a cycle: for every module P, take its child modules as nodes; a child X depends
on a child Y when anything inside X names anything inside Y. A strongly connected set of two or
more children is reported, with the lines that make each edge. A child naming its parent's own
items (and the parent naming its children) is the usual `mod.rs` shape and is not counted.

Usage:
    tools/module-cycles.py                 # report; exit 0
    tools/module-cycles.py --check         # exit 1 if any crate has a cycle (used by a test)
    tools/module-cycles.py --crate sekisho-audit --edges   # also list every edge

Run from anywhere; `--root` names the workspace (default: this script's parent directory).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Lexing: enough of Rust to find paths outside comments, strings and char literals.

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RAW_IDENT = re.compile(r"r#([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Tok:
    text: str
    line: int


def lex(src: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    line += src[i] == "\n"
                    i += 1
        elif (m := re.compile(r'(?:b|c)?r(#*)"').match(src, i)) and (
            i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")
        ):
            end = src.find('"' + m.group(1), m.end())
            end = n if end < 0 else end + 1 + len(m.group(1))
            line += src.count("\n", i, end)
            i = end
        elif c == '"' or (c in "bc" and src.startswith('"', i + 1)):
            i += 1 if c == '"' else 2
            while i < n and src[i] != '"':
                if src[i] == "\\":
                    i += 1
                line += src[i] == "\n" if i < n else 0
                i += 1
            i += 1
        elif c == "'" or (c == "b" and src.startswith("'", i + 1)):
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime/label ('a, 'static).
            j = i + (2 if c == "b" else 1)
            m = re.compile(r"\\(?:u\{[0-9a-fA-F_]*\}|x[0-9a-fA-F]{2}|.)'|[^\\']'", re.S).match(src, j)
            if m:
                i = m.end()
            else:
                i = j
                while i < n and (src[i].isalnum() or src[i] == "_"):
                    i += 1
        elif m := RAW_IDENT.match(src, i):
            toks.append(Tok(m.group(1), line))
            i = m.end()
        elif m := IDENT.match(src, i):
            toks.append(Tok(m.group(0), line))
            i = m.end()
        elif src.startswith("::", i):
            toks.append(Tok("::", line))
            i += 2
        else:
            toks.append(Tok(c, line))
            i += 1
    return toks


# --------------------------------------------------------------------------------------------
# The module tree.


@dataclass
class Module:
    path: tuple[str, ...]  # from the crate root, () for the root
    file: Path
    toks: list[Tok]  # this module's own tokens (child inline modules cut out)
    children: dict[str, "Module"] = field(default_factory=dict)
    # name -> absolute path segments it imports (`use a::b as name`, `use a::b::name`)
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    globs: list[tuple[str, ...]] = field(default_factory=list)
    # (line, absolute segments, how) for every path this module names
    refs: list[tuple[int, tuple[str, ...], str]] = field(default_factory=list)
    is_dir_owner: bool = False  # lib.rs / main.rs / mod.rs: children live beside it

    @property
    def name(self) -> str:
        return "::".join(self.path) or "crate"


def skip_group(toks: list[Tok], i: int) -> int:
    """toks[i] opens a bracket; return the index after its match."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[toks[i].text]]
    i += 1
    while i < len(toks) and stack:
        t = toks[i].text
        if t in pairs:
            stack.append(pairs[t])
        elif stack and t == stack[-1]:
            stack.pop()
        i += 1
    return i


def skip_item(toks: list[Tok], i: int) -> int:
    """Skip one item starting at toks[i]: to a `;` or the end of the first `{…}` at depth 0."""
    while i < len(toks):
        t = toks[i].text
        if t == ";":
            return i + 1
        if t == "{":
            return skip_group(toks, i)
        if t in "([":
            i = skip_group(toks, i)
            continue
        i += 1
    return i


def is_test_attr(attr: list[Tok]) -> bool:
    words = [t.text for t in attr]
    if words[:1] == ["test"]:
        return True
    return words[:1] == ["cfg"] and "test" in words and "not" not in words


def parse_module(
    path: tuple[str, ...],
    file: Path,
    toks: list[Tok],
    is_dir_owner: bool,
    include_tests: bool,
    problems: list[str],
) -> Module:
    own: list[Tok] = []
    mod = Module(path, file, own, is_dir_owner=is_dir_owner)
    attrs: list[list[Tok]] = []
    i = 0
    at_item_start = True
    while i < len(toks):
        t = toks[i].text
        if t == "#" and i + 1 < len(toks) and toks[i + 1].text in ("[", "!"):
            j = i + 1 + (toks[i + 1].text == "!")
            end = skip_group(toks, j)
            inner = toks[j + 1 : end - 1]
            if toks[i + 1].text == "!":
                own.extend(toks[i:end])
            else:
                attrs.append(inner)
            i = end
            continue
        if at_item_start and not include_tests and any(is_test_attr(a) for a in attrs):
            attrs = []
            i = skip_item(toks, i)
            continue
        # `mod name;` / `mod name { … }` (after optional visibility).
        if t == "mod" and i + 2 < len(toks) and IDENT.fullmatch(toks[i + 1].text):
            name = toks[i + 1].text
            nxt = toks[i + 2].text
            path_attr = next(
                (a for a in attrs if a and a[0].text == "path"),
                None,
            )
            if nxt == ";":
                child_file = child_file_for(mod, name, path_attr, problems)
                if child_file is not None:
                    sub = load_file(path + (name,), child_file, include_tests, problems)
                    if sub is not None:
                        mod.children[name] = sub
                i += 3
                attrs = []
                at_item_start = True
                continue
            if nxt == "{":
                end = skip_group(toks, i + 2)
                sub = parse_module(path + (name,), file, toks[i + 3 : end - 1], False, include_tests, problems)
                # An inline module's own children would live in a directory named after it.
                mod.children[name] = sub
                i = end
                attrs = []
                at_item_start = True
                continue
        own.append(toks[i])
        attrs = [] if t not in ("pub", "(", ")", "crate", "in", "super", "self") else attrs
        at_item_start = t in (";", "{", "}", "pub", ")", "crate", "in", "super", "self") or (
            t == "]" and not attrs
        )
        i += 1
    return mod


def child_file_for(parent: Module, name: str, path_attr, problems: list[str]) -> Path | None:
    if path_attr is not None:
        problems.append(f"{parent.file}: #[path] on mod {name} is not followed; its edges are not counted")
        return None
    base = parent.file.parent if parent.is_dir_owner else parent.file.parent / parent.file.stem
    for cand in (base / f"{name}.rs", base / name / "mod.rs"):
        if cand.is_file():
            return cand
    problems.append(f"{parent.file}: mod {name}: no file found")
    return None


def load_file(path, file: Path, include_tests: bool, problems: list[str]) -> Module | None:
    try:
        src = file.read_text(encoding="utf-8")
    except OSError as e:
        problems.append(f"{file}: {e}")
        return None
    owner = file.name in ("lib.rs", "main.rs", "mod.rs") or not path
    return parse_module(path, file, lex(src), owner, include_tests, problems)


# --------------------------------------------------------------------------------------------
# Paths: `use` trees and path expressions.


def parse_use_tree(toks: list[Tok], i: int, prefix: list[str], out: list[tuple[list[str], str | None, int]]) -> int:
    """Parse one use tree at toks[i]; append (segments, alias, line). Return the next index."""
    segs = list(prefix)
    line = toks[i].line if i < len(toks) else 0
    if i < len(toks) and toks[i].text == "::":  # `use ::foo` (extern)
        i += 1
        segs.append("::")
    while i < len(toks):
        t = toks[i].text
        if t == "{":
            i += 1
            while i < len(toks) and toks[i].text != "}":
                i = parse_use_tree(toks, i, segs, out)
                if i < len(toks) and toks[i].text == ",":
                    i += 1
            return i + 1
        if t == "*":
            out.append((segs + ["*"], None, toks[i].line))
            return i + 1
        if IDENT.fullmatch(t):
            segs.append(t)
            line = toks[i].line
            i += 1
            if i < len(toks) and toks[i].text == "::":
                i += 1
                continue
            alias = None
            if i + 1 < len(toks) and toks[i].text == "as":
                alias = toks[i + 1].text
                i += 2
            out.append((segs, alias, line))
            return i
        return i + 1
    return i


def absolutize(mod: Module, segs: list[str]) -> tuple[str, ...] | None:
    """Turn a path as written in `mod` into crate-root segments, or None if it is external."""
    if not segs:
        return None
    base = list(mod.path)
    k = 0
    if segs[0] == "crate":
        base, k = [], 1
    elif segs[0] in ("self", "super"):
        while k < len(segs) and segs[k] in ("self", "super"):
            if segs[k] == "super":
                if not base:
                    return None
                base.pop()
            k += 1
    elif segs[0] in mod.children:
        pass  # a child module: relative
    elif segs[0] in mod.imports:
        return mod.imports[segs[0]] + tuple(segs[1:])
    else:
        return None
    return tuple(base + segs[k:])


def collect_refs(mod: Module) -> None:
    toks = mod.toks
    uses: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if toks[i].text == "use" and (i == 0 or toks[i - 1].text != "$"):
            out: list[tuple[list[str], str | None, int]] = []
            end = parse_use_tree(toks, i + 1, [], out)
            while end < len(toks) and toks[end - 1].text != ";" and toks[end].text != ";":
                end += 1
            uses.append((i, end))
            for segs, alias, line in out:
                if segs[-1] == "*":
                    ab = absolutize(mod, segs[:-1])
                    if ab is not None:
                        mod.globs.append(ab)
                        mod.refs.append((line, ab, "use"))
                    continue
                name = alias or segs[-1]
                if segs[-1] == "self":
                    segs = segs[:-1]
                    name = alias or (segs[-1] if segs else "self")
                ab = absolutize(mod, segs)
                if ab is None:
                    continue
                if name != "_":
                    mod.imports[name] = ab
                mod.refs.append((line, ab, "use"))
            i = end
            continue
        i += 1
    in_use = set()
    for a, b in uses:
        in_use.update(range(a, b + 1))
    i = 0
    while i < len(toks):
        t = toks[i]
        prev = toks[i - 1].text if i else ""
        if (
            i not in in_use
            and prev not in ("::", "$", ".")
            and i + 1 < len(toks)
            and toks[i + 1].text == "::"
            and IDENT.fullmatch(t.text)
        ):
            segs = [t.text]
            j = i + 1
            while j + 1 < len(toks) and toks[j].text == "::" and IDENT.fullmatch(toks[j + 1].text):
                segs.append(toks[j + 1].text)
                j += 2
            ab = absolutize(mod, segs)
            if ab is not None:
                mod.refs.append((t.line, ab, "path"))
            i = j
            continue
        i += 1
    for child in mod.children.values():
        collect_refs(child)


def find(root: Module, path: tuple[str, ...]) -> Module | None:
    m = root
    for s in path:
        m = m.children.get(s)
        if m is None:
            return None
    return m


def resolve(root: Module, segs: tuple[str, ...], depth: int = 0) -> tuple[str, ...]:
    """The path of the module that defines what `segs` names (following imports/re-exports)."""
    m = root
    for k, s in enumerate(segs):
        if s in m.children:
            m = m.children[s]
            continue
        if depth < 16 and s in m.imports and m.imports[s] != m.path + (s,):
            return resolve(root, m.imports[s] + segs[k + 1 :], depth + 1)
        if depth < 16:
            for g in m.globs:
                gm = find(root, resolve(root, g, depth + 1))
                if gm is not None and (s in gm.children or s in gm.imports):
                    return resolve(root, gm.path + segs[k:], depth + 1)
        break
    return m.path


def walk(m: Module):
    yield m
    for c in m.children.values():
        yield from walk(c)


# --------------------------------------------------------------------------------------------
# Cycles.


def sccs(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
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
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            strong(v)
    return out


@dataclass
class Edge:
    src: tuple[str, ...]
    dst: tuple[str, ...]
    file: Path
    line: int
    how: str


def crate_edges(root: Module) -> list[Edge]:
    edges = []
    for m in walk(root):
        for line, segs, how in m.refs:
            dst = resolve(root, segs)
            if dst != m.path:
                edges.append(Edge(m.path, dst, m.file, line, how))
    return edges


def sibling_cycles(root: Module, edges: list[Edge]):
    """Yield (parent, [children in a cycle], {(a, b): [Edge]})."""
    for p in walk(root):
        n = len(p.path)
        by_pair: dict[tuple[str, str], list[Edge]] = {}
        for e in edges:
            if len(e.src) > n and len(e.dst) > n and e.src[:n] == p.path and e.dst[:n] == p.path:
                a, b = e.src[n], e.dst[n]
                if a != b:
                    by_pair.setdefault((a, b), []).append(e)
        graph: dict[str, set[str]] = {}
        for a, b in by_pair:
            graph.setdefault(a, set()).add(b)
        for comp in sccs(sorted(p.children), graph):
            yield p, comp, {k: v for k, v in by_pair.items() if k[0] in comp and k[1] in comp}


def crates(root: Path) -> list[tuple[str, Path]]:
    out = []
    for manifest in sorted(root.glob("crates/*/Cargo.toml")):
        text = manifest.read_text(encoding="utf-8")
        m = re.search(r'^\s*name\s*=\s*"([^"]+)"', text, re.M)
        name = m.group(1) if m else manifest.parent.name
        for rootfile in ("src/lib.rs", "src/main.rs"):
            f = manifest.parent / rootfile
            if f.is_file():
                out.append((name if rootfile == "src/lib.rs" else f"{name} (bin)", f))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--crate", action="append", help="only this crate (repeatable)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a cycle is found")
    ap.add_argument("--edges", action="store_true", help="also print every module edge")
    ap.add_argument("--include-tests", action="store_true", help="count test-only code too")
    args = ap.parse_args()

    total = 0
    checked = 0
    problems: list[str] = []
    found_crates = crates(args.root)
    if not found_crates:
        print(f"module-cycles: no crates under {args.root}/crates", file=sys.stderr)
        return 2
    for name, rootfile in found_crates:
        if args.crate and name.split(" ")[0] not in args.crate:
            continue
        root = load_file((), rootfile, args.include_tests, problems)
        if root is None:
            continue
        checked += 1
        collect_refs(root)
        edges = crate_edges(root)
        rel = lambda p: p.relative_to(args.root) if p.is_relative_to(args.root) else p  # noqa: E731
        if args.edges:
            for e in sorted(edges, key=lambda e: (e.src, e.dst, e.line)):
                print(f"{name}: {'::'.join(e.src) or 'crate'} -> {'::'.join(e.dst) or 'crate'}  ({rel(e.file)}:{e.line} {e.how})")
        for parent, comp, pairs in sibling_cycles(root, edges):
            total += 1
            where = parent.name
            print(f"{name}: cycle in {where}: {' <-> '.join(comp)}")
            for (a, b), es in sorted(pairs.items()):
                places = sorted({(str(rel(e.file)), e.line) for e in es})
                shown = ", ".join(f"{f}:{n}" for f, n in places[:4])
                more = f" (+{len(places) - 4} more)" if len(places) > 4 else ""
                print(f"    {a} -> {b}: {shown}{more}")
    for p in problems:
        print(f"module-cycles: warning: {p}", file=sys.stderr)
    if total == 0:
        print(f"module-cycles: no module cycles in {checked} crate roots")
    else:
        print(f"module-cycles: {total} cycle(s)")
    return 1 if args.check and total else 0


if __name__ == "__main__":
    sys.exit(main())
