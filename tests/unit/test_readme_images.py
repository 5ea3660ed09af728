"""The README's First day walk-through shows its screenshots: every image it links to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_image_the_readme_shows_is_there():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    assert len(images) >= 5  # the main steps of the first day
    missing = [path for path in images if not (REPO / path).is_file()]
    assert not missing, missing
    for path in images:
        assert (REPO / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
        assert (REPO / path).stat().st_size < 300_000, f"{path}: keep screenshots small"
