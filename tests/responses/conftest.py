"""Fixtures for the student flow: an open campaign for the test faculty's 2024 cohort."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from screening.auth.services import get_or_create_cohort
from screening.campaigns.models import Campaign
from screening.campaigns.services import create_campaign
from screening.db import utcnow


@pytest.fixture
def make_campaign(app: Flask, db, faculty):
    """Create a campaign (open now by default) for faculty CS, cohort 2024."""

    def make(
        instruments: list[str], steps: dict[str, str] | None = None, **kwargs: Any
    ) -> Campaign:
        now = utcnow()
        options: dict[str, Any] = {
            "name": "Autumn screening",
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=14),
            "show_results": True,
            "consent_version": "v1",
            "reminder_days": "",
            "created_by": None,
        }
        options.update(kwargs)
        campaign = create_campaign(
            db,
            app.extensions["library"],
            instruments=instruments,
            steps=steps or {},
            faculties=[faculty],
            cohorts=[get_or_create_cohort(db, 2024)],
            **options,
        )
        db.commit()
        return campaign

    return make


def phq9(**answers: int) -> dict[str, str]:
    """A PHQ-9 form post: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 10)}
    data.update({k: str(v) for k, v in answers.items()})
    return data


def gad7(**answers: int) -> dict[str, str]:
    """A GAD-7 form post: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 8)}
    data.update({k: str(v) for k, v in answers.items()})
    return data
