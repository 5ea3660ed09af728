"""Icons, templates and demo data shipped with the app."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource file."""
    return RESOURCES.joinpath(*parts)
