"""Key tests add and retire KEKs: put the shared check values back afterwards (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, update

from screening.db import make_engine
from screening.keys.models import KekCheck
from tests.conftest import PG_URL


@pytest.fixture(autouse=True)
def _restore_check_values() -> Iterator[None]:
    """The template's check values (k1, blind index, audit) survive the truncation between tests."""
    yield
    if not PG_URL:
        return
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(delete(KekCheck).where(KekCheck.kek_id.not_in(["k1", "blind-index", "audit"])))
        conn.execute(update(KekCheck).values(retired_at=None))
    engine.dispose()
