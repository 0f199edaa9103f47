"""The statistics table cannot be joined back to a student or a submission."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import DateTime, inspect

FORBIDDEN = ("student", "user", "submission", "response")


def test_score_records_have_no_identifying_column(app: Flask) -> None:
    inspector = inspect(app.extensions["engine"])
    columns = inspector.get_columns("score_records")
    assert columns
    for column in columns:
        name = column["name"].lower()
        assert not any(word in name for word in FORBIDDEN), name
        assert not isinstance(column["type"], DateTime), name
    assert inspector.get_foreign_keys("score_records") == []
