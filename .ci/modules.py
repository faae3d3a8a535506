#!/usr/bin/env python3
"""Checks that no crate's top-level modules import each other in a loop.

Reads every crate's src/: each top-level module (a file or a folder of the crate root) and the
`crate::NAME` paths it uses outside its tests, then looks for strongly connected components.
Prints each cycle and exits 1 when there is one.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATES = [ROOT / "src", ROOT / "crates" / "core" / "src", ROOT / "crates" / "store" / "src"]
PATH = re.compile(r"\bcrate::(\w+)")
GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


TESTS = re.compile(r"#\[cfg\(test\)\]\s*\n\s*(pub(\(\w+\))? )?mod \w+\s*\{")


def without_tests(text):
    # A file's test module sits at its end; tests may use anything.
    m = TESTS.search(text)
    return text if m is None else text[: m.start()]


def is_test_file(p):
    # Test modules kept in files of their own: `tests.rs`, or a `tests/` folder.
    return p.stem == "tests" or "tests" in p.parent.parts[-1:]


def modules(src):
    mods = {}
    for p in sorted(src.iterdir()):
        if p.name in ("lib.rs", "main.rs"):
            continue
        if p.is_dir():
            mods[p.name] = sorted(p.rglob("*.rs"))
        elif p.suffix == ".rs":
            mods.setdefault(p.stem, []).append(p)
            d = src / p.stem
            if d.is_dir():
                mods[p.stem] += sorted(d.rglob("*.rs"))
    return mods


def graph(src):
    mods = modules(src)
    edges = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            if is_test_file(f):
                continue
            text = without_tests(f.read_text(encoding="utf-8"))
            names = set(PATH.findall(text))
            for g in GROUP.findall(text):
                names |= {n.strip().split("::")[0] for n in g.split(",") if n.strip()}
            edges[m] |= {n for n in names if n in mods and n != m}
    return edges


def cycles(edges):
    # Tarjan's strongly connected components; a component of more than one module is a cycle.
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

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
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    bad = False
    for src in CRATES:
        edges = graph(src)
        for comp in cycles(edges):
            bad = True
            links = [f"{a} → {b}" for a in comp for b in sorted(edges[a]) if b in comp]
            print(f"{src.relative_to(ROOT)}: modules in a cycle: {', '.join(links)}")
    if bad:
        sys.exit(1)
    print("no module cycles")


if __name__ == "__main__":
    main()
