"""Print the import graph between vidlib's layers (the modules named in .importlinter) as a Mermaid diagram, for
docs/design.md: an arrow A --> B means some module of A imports one of B (counted).

    .venv/bin/python scripts/layer_graph.py
"""

from __future__ import annotations

import configparser
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def layers() -> list[list[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    lines = config["importlinter:contract:layers"]["layers"].strip().splitlines()
    return [[m.strip() for m in line.split("|")] for line in lines]


def main() -> None:
    order = layers()
    members = [m for line in order for m in line]
    graph = grimp.build_graph("vidlib")

    def owner(module: str) -> str | None:
        found = [m for m in members if module == m or module.startswith(m + ".")]
        return max(found, key=len) if found else None

    edges: Counter[tuple[str, str]] = Counter()
    for module in graph.modules:
        src = owner(module)
        for imported in graph.find_modules_directly_imported_by(module):
            dst = owner(imported)
            if src and dst and src != dst:
                edges[(src, dst)] += 1
    rank = {m: i for i, line in enumerate(order) for m in line}
    print("```mermaid\nflowchart TD")
    for (src, dst), n in sorted(edges.items(), key=lambda e: (rank[e[0][0]], rank[e[0][1]], e[0])):
        print(f"    {src.replace('.', '_')}[{src}] -->|{n}| {dst.replace('.', '_')}[{dst}]")
    print("```")
    against = [(s, d) for (s, d) in edges if rank[s] > rank[d]]
    print(f"\n{len(edges)} arrows between layers, {len(against)} against the layer order.")


if __name__ == "__main__":
    main()
