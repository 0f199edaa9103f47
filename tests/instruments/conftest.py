"""Fixtures for instrument tests: the shipped library and the licensed test-only definitions."""

from __future__ import annotations

import pytest

from screening.instruments import Library, load_library

from .helpers import LICENSED, QUESTIONNAIRES


@pytest.fixture(scope="session")
def library() -> Library:
    """The shipped questionnaire library."""
    return load_library(QUESTIONNAIRES)


@pytest.fixture(scope="session")
def licensed() -> Library:
    """Definitions we may not ship (PSS-10, C-SSRS), kept to prove the format."""
    return load_library(LICENSED)
