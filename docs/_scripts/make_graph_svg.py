"""Draw the lecture's computational graph as SVG from ``dc.to_dot``, without Graphviz.

    python docs/_scripts/make_graph_svg.py

Writes ``docs/_static/graph-abcd.dot`` (the DOT source exactly as ``dc.to_dot`` gives
it; ``tests/test_docs.py`` checks it stays so) and ``docs/_static/graph-abcd.svg``, a
drawing of that source: the DOT text is parsed (nodes, edges and their labels), each
node is put on the level of its longest path from an input (inputs at the bottom, as
``rankdir=BT`` asks), and boxes and labelled arrows are written as plain SVG. Only for
small graphs; with Graphviz installed, ``dot -Tsvg graph-abcd.dot`` draws the same.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import diffcheck as dc

STATIC = Path(__file__).resolve().parents[1] / "_static"
NODE = re.compile(r'^\s*(n\d+) \[label="(.*)"\];$')
EDGE = re.compile(r'^\s*(n\d+) -> (n\d+) \[label="(.*)"\];$')
BOX_H, LEVEL_GAP, COLUMN_GAP, CHAR_W, MARGIN = 34, 110, 170, 8.5, 30


def lecture_dot() -> str:
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    return dc.to_dot(d, names={"c": c, "d": d})


def parse(source: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    nodes, edges = {}, []
    for line in source.splitlines():
        if m := NODE.match(line):
            nodes[m[1]] = m[2].replace("\\n", " ")
        elif m := EDGE.match(line):
            edges.append((m[1], m[2], m[3]))
    return nodes, edges


def levels(nodes: dict[str, str], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    level = {n: 0 for n in nodes}
    for _ in nodes:  # longest path; the graph is small and acyclic
        for src, dst, _label in edges:
            level[dst] = max(level[dst], level[src] + 1)
    return level


def layout(nodes, edges) -> dict[str, tuple[float, float, float]]:
    """Centre x, centre y and width of each node's box."""
    level = levels(nodes, edges)
    top = max(level.values())
    rows: dict[int, list[str]] = {}
    for n in nodes:
        rows.setdefault(level[n], []).append(n)
    widest = max(len(r) for r in rows.values())
    place = {}
    for k, row in rows.items():
        offset = (widest - len(row)) * COLUMN_GAP / 2
        for i, n in enumerate(row):
            width = max(60.0, CHAR_W * len(nodes[n]) + 24)
            x = MARGIN + 110 + offset + i * COLUMN_GAP
            y = MARGIN + BOX_H / 2 + (top - k) * LEVEL_GAP
            place[n] = (x, y, width)
    return place


def svg(source: str) -> str:
    nodes, edges = parse(source)
    place = layout(nodes, edges)
    width = max(x + w / 2 for x, _, w in place.values()) + MARGIN + 60
    height = max(y for _, y, _ in place.values()) + BOX_H / 2 + MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="14">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    level = levels(nodes, edges)
    for src, dst, label in edges:
        (x1, y1, w1), (x2, y2, _) = place[src], place[dst]
        y1, y2 = y1 - BOX_H / 2, y2 + BOX_H / 2
        if level[dst] - level[src] > 1:  # skips a level: bend around the boxes in between
            x1 -= w1 / 4
            cx, cy = min(x1, x2) - COLUMN_GAP * 0.6, (y1 + y2) / 2
            out.append(f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2 - 10:.1f},{y2:.1f}" '
                       'fill="none" stroke="black" marker-end="url(#arrow)"/>')
            mx, my = 0.25 * x1 + 0.5 * cx + 0.25 * (x2 - 10) - 24, 0.25 * y1 + 0.5 * cy + 0.25 * y2
        else:
            out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                       'stroke="black" marker-end="url(#arrow)"/>')
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        if label:
            out.append(f'<text x="{mx + 8:.1f}" y="{my:.1f}" fill="#b03000" font-style="italic">'
                       f"{html.escape(label)}</text>")
    for n, text in nodes.items():
        x, y, w = place[n]
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{w:.1f}" '
                   f'height="{BOX_H}" rx="4" fill="#eef3fb" stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">{html.escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    source = lecture_dot()
    (STATIC / "graph-abcd.dot").write_text(source, encoding="utf-8")
    (STATIC / "graph-abcd.svg").write_text(svg(source), encoding="utf-8")
    print("wrote", STATIC / "graph-abcd.dot", "and", STATIC / "graph-abcd.svg")


if __name__ == "__main__":
    main()
