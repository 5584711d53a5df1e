"""Fixtures for the corpus tests."""

from __future__ import annotations

import pytest
from corpus_stubs import StubResolver


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver()
