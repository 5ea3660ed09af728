"""Posting-doc intake speed: 10 KB of long unbroken words and a 1 MB text doc (target < 2 s each), a generated
50-page PDF analysed (target < 3 s) and typical 2–5 page docs extracted and analysed (target < 1 s).
Prints a table; run `.venv/bin/python bench/bench_intake.py`."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.unit.intake.postingdoc_makers import make_docx, make_pdf, make_xlsx, table_lines  # noqa: E402
from xsc_desktop.intake.extract import extract_bytes  # noqa: E402
from xsc_desktop.intake.pipeline import analyze  # noqa: E402

PROSE = ("Leads must be posted in real time. Duplicate leads within 30 days are rejected. The firm reviews every "
         "lead within one business hour; please do not resend a lead that was accepted.")


def _page(n: int) -> list:
    lines: list = [f"Section {n}: posting rules and field definitions"]
    if n == 1:
        lines += ["Endpoint: https://api.firm.example/v2/leads", "Method: POST", "Format: JSON",
                  "X-Api-Key: bench_key_0001", "CampaignId: 7781"]
    rows = [["Field", "Required", "Type", "Example", "Description"]]
    rows += [[f"field_{n}_{k}", "Yes" if k % 2 else "No", "string", f"value{k}", "Lead detail"] for k in range(12)]
    lines += table_lines(rows, [56, 180, 250, 310, 400])
    lines += [PROSE[i:i + 95] for i in range(0, len(PROSE), 95)] * 3
    return lines


def _long_words(size: int) -> str:
    """Text made of long unbroken words: the shape that once made a prose regex backtrack for seconds."""
    import random
    import string

    rng = random.Random(1)
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < size:
        out.append("".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(500, 3000))))
    return " ".join(out)


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Run each case a few times and print the best time against its target."""
    big_pdf = make_pdf([_page(n) for n in range(1, 51)])
    huge_pdf = make_pdf([_page(n) for n in range(1, 201)])
    small_pdf = make_pdf([_page(n) for n in range(1, 4)])
    rows = [["Field", "Required", "Type", "Example", "Description"]] + [
        [f"f{k}", "Y", "text", f"v{k}", "detail"] for k in range(30)]
    docx = make_docx(["Endpoint: https://api.firm.example/v2/leads", "Method: POST", rows, PROSE * 20])
    xlsx = make_xlsx({"Spec": [["URL", "https://api.firm.example/v2/leads"], [], *rows]})
    words = _long_words(10_000)
    megabyte = (PROSE + "\n") * (1_000_000 // (len(PROSE) + 1))
    cases = [
        ("10 KB long words", words.encode(), "words.txt", 2.0),
        ("1 MB text", megabyte.encode(), "big.txt", 2.0),
        ("20 KB blank run", ("name" + " " * 20_000 + "x\n").encode(), "blanks.txt", 2.0),
        ("20 KB open braces", ("{" * 20_000 + "\n").encode(), "braces.txt", 2.0),
        ("50-page PDF", big_pdf, "big.pdf", 3.0),
        ("200-page PDF", huge_pdf, "huge.pdf", 3.0),
        ("3-page PDF", small_pdf, "small.pdf", 1.0),
        ("DOCX, 30 fields", docx, "doc.docx", 1.0),
        ("XLSX, 30 fields", xlsx, "doc.xlsx", 1.0),
    ]
    print(f"{'case':<18} {'size':>9} {'extract':>9} {'analyse':>9} {'total':>9} {'target':>7}  fields")
    for label, data, name, target in cases:
        extracted = extract_bytes(data, name)
        result = analyze(extracted, name)
        t_extract = _time(lambda d=data, n=name: extract_bytes(d, n))
        t_analyse = _time(lambda e=extracted, n=name: analyze(e, n))
        total = t_extract + t_analyse
        verdict = "ok" if total < target else "SLOW"
        print(f"{label:<18} {len(data) / 1024:>7.0f}KB {t_extract:>8.3f}s {t_analyse:>8.3f}s {total:>8.3f}s "
              f"{target:>6.1f}s  {len(result['fields'])} {verdict}")
    print("(best of 3 runs; the machine is shared, so figures are noisy)")
    # Baseline in the same run: the bare library reading every page of the 200-page PDF the way extraction does.
    from pypdf import PdfReader

    def bare() -> None:
        for page in PdfReader(io.BytesIO(huge_pdf)).pages:
            page.extract_text(extraction_mode="layout")

    print(f"baseline: pypdf layout text of all 200 pages {_time(bare, 1):.3f}s")


if __name__ == "__main__":
    main()
