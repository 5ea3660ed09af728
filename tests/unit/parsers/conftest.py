"""Fixtures for the posting engine tests: a recording HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.helpers.endpoint import RecordingEndpoint


@pytest.fixture
def endpoint():
    """A fresh RecordingEndpoint (see tests/helpers/endpoint.py), closed after the test."""
    with RecordingEndpoint() as server:
        yield server
