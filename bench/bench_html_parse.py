"""HTML posting docs: the parser behind extraction, side by side.

Times reading the HTML fixture docs (every event/node visited, nothing else done) with the standard
`html.parser`, lxml's HTML parser with an event target (what extraction uses) and, when installed,
selectolax (Lexbor, tree then walk); then the hostile shapes that made `html.parser` quadratic (unclosed tags
and comments), each at two sizes so the growth shows as a ratio. Ends with the full extraction of the fixtures.
Run `.venv/bin/python bench/bench_html_parse.py`.
"""

from __future__ import annotations

import sys
import time
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from xsc_desktop.intake.extract import extract_bytes  # noqa: E402

FOLDERS = [REPO / "tests" / "fixtures" / "postingdocs", REPO / "tests" / "fixtures" / "postingdocs_blind"]


class _Count(HTMLParser):
    n = 0

    def handle_starttag(self, tag, attrs):
        self.n += 1

    def handle_endtag(self, tag):
        self.n += 1

    def handle_data(self, data):
        self.n += 1


def stdlib(html: str) -> int:
    p = _Count(convert_charrefs=True)
    p.feed(html)
    p.close()
    return p.n


class _Target:
    n = 0

    def start(self, tag, attrib):
        self.n += 1

    def end(self, tag):
        self.n += 1

    def data(self, data):
        self.n += 1

    def close(self):
        return self.n


def lxml_target(html: str) -> int:
    from lxml import etree

    parser = etree.HTMLParser(target=_Target(), recover=True, huge_tree=True, no_network=True)
    for i in range(0, len(html), 65536):
        parser.feed(html[i:i + 65536])
    return parser.close()


def lexbor_tree(html: str) -> int:
    from selectolax.lexbor import LexborHTMLParser

    return sum(1 for _ in LexborHTMLParser(html).root.traverse(include_text=True))


def _best(fn, arg, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parsers = {"html.parser": stdlib, "lxml target": lxml_target}
    try:
        import selectolax.lexbor  # noqa: F401

        parsers["selectolax"] = lexbor_tree
    except ImportError:
        print("(selectolax not installed: `pip install selectolax` to compare it too)")
    docs = [p.read_text(errors="replace") for folder in FOLDERS for p in sorted(folder.glob("*.html"))]
    corpus = "".join(docs)
    print(f"{len(docs)} HTML fixture docs, {len(corpus) / 1024:.0f} KB")
    print(f"{'shape':<34}" + "".join(f"{name:>14}" for name in parsers))
    rows = [("fixtures, each doc", lambda fn: sum(_best(fn, d) for d in docs)),
            ("fixtures joined ×50 (one page)", lambda fn: _best(fn, corpus * 50))]
    for label, unit, n in (("unclosed tags '<a x'", "<a x", 5000), ("unclosed comments '<!--'", "<!--", 5000),
                           ("end tags '</div>'", "</div>", 100000)):
        for k in (1, 2):
            html = "<html><body>" + unit * (n * k)
            rows.append((f"{label} ×{n * k}", lambda fn, h=html: _best(fn, h, 1)))
    for label, run in rows:
        print(f"{label:<34}" + "".join(f"{run(fn) * 1000:>12.1f}ms" for fn in parsers.values()), flush=True)
    start = time.perf_counter()
    for folder in FOLDERS:
        for p in sorted(folder.glob("*.html")):
            extract_bytes(p.read_bytes(), p.name)
    print(f"extraction of the fixtures (lxml): {(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
