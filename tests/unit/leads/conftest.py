"""Fixtures for lead import and delivery tests: a recording endpoint on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.helpers.endpoint import RecordingEndpoint


@pytest.fixture
def endpoint():
    """A fresh RecordingEndpoint (tests/helpers/endpoint.py), closed after the test."""
    with RecordingEndpoint() as server:
        yield server
