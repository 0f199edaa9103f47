"""The statistics tables cannot be joined back to a student or a submission."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import DateTime, inspect

FORBIDDEN = ("student", "user", "submission", "response")


@pytest.mark.parametrize("table", ["score_records", "score_counts"])
def test_statistics_tables_have_no_identifying_column(app: Flask, table: str) -> None:
    inspector = inspect(app.extensions["engine"])
    columns = inspector.get_columns(table)
    assert columns
    for column in columns:
        name = column["name"].lower()
        assert not any(word in name for word in FORBIDDEN), name
        assert not isinstance(column["type"], DateTime), name
    assert inspector.get_foreign_keys(table) == []
