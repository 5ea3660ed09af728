"""Intake accuracy and calibration: scores every scored corpus in-process (the same scoring as
`../shared/tools/score_intake.py`) and prints per-corpus means and a confidence calibration table.

Run `.venv/bin/python bench/intake_accuracy.py [--docs] [CORPUS ...]`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from xsc_desktop.intake.extract import IntakeError, extract_file  # noqa: E402
from xsc_desktop.intake.pipeline import analyze  # noqa: E402

CORPORA = [REPO / "tests/fixtures/postingdocs", REPO / "tests/fixtures/postingdocs_blind",
           REPO / "tests/fixtures/postingdocs_blind2", REPO / "tests/fixtures/postingdocs_blind3",
           REPO.parent / "shared/samples/postingdocs",
           REPO / "tests/fixtures/postingdocs_hard"]
SCORER = REPO.parent / "shared/tools/score_intake.py"
BANDS = [(0.9, 1.01), (0.8, 0.9), (0.6, 0.8), (0.0, 0.6)]


def _label(corpus: Path) -> str:
    return f"{corpus.parent.name}/{corpus.name}"


def _score_fn():
    if SCORER.exists():
        spec = importlib.util.spec_from_file_location("score_intake", SCORER)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.score
    from tests.e2e.test_intake_cli import score  # pragma: no cover - a checkout without ../shared

    return score


def results(corpora: list[Path]) -> list[tuple[str, str, float, float, dict]]:
    """(corpus, doc, score, confidence, weak parts) for every expected.json in the corpora."""
    score = _score_fn()
    out = []
    for corpus in corpora:
        for exp_path in sorted(corpus.glob("*.expected.json")):
            exp = json.loads(exp_path.read_text())
            try:
                got = analyze(extract_file(corpus / exp["file"]), exp["file"])
            except IntakeError:
                out.append((_label(corpus), exp["file"], 0.0, 0.0, {}))
                continue
            total, parts = score(got, exp)
            out.append((_label(corpus), exp["file"], total, float(got.get("confidence") or 0), parts))
    return out


def calibration(rows: list[tuple[str, str, float, float, dict]]) -> list[str]:
    lines = ["| confidence | drafts | mean score | scoring ≥ 95 | scoring < 85 |", "|---|---|---|---|---|"]
    for lo, hi in BANDS:
        band = [r for r in rows if lo <= r[3] < hi]
        if not band:
            lines.append(f"| {lo:.1f}–{min(hi, 1.0):.1f} | 0 | – | – | – |")
            continue
        good = sum(r[2] >= 95 for r in band)
        bad = sum(r[2] < 85 for r in band)
        mean = sum(r[2] for r in band) / len(band)
        lines.append(f"| {lo:.1f}–{min(hi, 1.0):.1f} | {len(band)} | {mean:.1f} | {good} ({100 * good / len(band):.0f}%)"
                     f" | {bad} |")
    return lines


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpora = [Path(a).resolve() for a in args] or [c for c in CORPORA if c.exists()]
    rows = results(corpora)
    if "--docs" in sys.argv:
        for corpus, doc, total, conf, parts in rows:
            weak = ", ".join(f"{k}={v:.2f}" for k, v in parts.items() if v < 1)
            print(f"{corpus}/{doc}: {total:.1f} conf {conf:.2f}" + (f"  ({weak})" if weak else ""))
    print("| corpus | docs | mean score | min |")
    print("|---|---|---|---|")
    for corpus in corpora:
        mine = [r[2] for r in rows if r[0] == _label(corpus)]
        if mine:
            print(f"| {_label(corpus)} | {len(mine)} | {sum(mine) / len(mine):.1f} | {min(mine):.1f} |")
    print()
    print("\n".join(calibration(rows)))
    high = [r for r in rows if r[3] >= 0.9]
    ok = sum(r[2] >= 95 for r in high)
    print(f"\nconfidence ≥ 0.9: {len(high)} drafts, {ok} score ≥ 95 ({100 * ok / max(1, len(high)):.1f}%); "
          f"scoring < 85 with confidence ≥ 0.9: {sum(r[2] < 85 for r in high)}")


if __name__ == "__main__":
    main()
