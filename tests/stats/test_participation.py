"""Participation: assigned and completed students per faculty, counted from assignments alone."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.auth.services import get_or_create_faculty
from screening.campaigns.models import Assignment
from screening.campaigns.services import sync_assignments
from screening.stats import queries, reports
from screening.stats.queries import Scope
from tests.stats.releasing import publish_release


def test_participation_counts_each_faculty_as_it_was_when_assigned(
    app: Flask, db: Session, make_user, make_campaign, faculty
) -> None:
    students = [make_user("student") for _ in range(20)]
    campaign = make_campaign(["phq9"])
    sync_assignments(db, campaign)  # every targeted student, however the campaign was made
    assigned = db.scalars(select(Assignment).where(Assignment.campaign_id == campaign.id)).all()
    assert len(assigned) == 20 and {a.faculty_id for a in assigned} == {faculty.id}
    for assignment in assigned:
        if assignment.student_id in {s.id for s in students[:14]}:
            assignment.status = "completed"
    # A student transfers after being assigned: the campaign's counts stay where they were.
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    students[0].faculty_id = law.id
    db.commit()
    assert queries.participation_by_faculty(db, campaign.id, Scope()) == {}  # not released yet
    publish_release(db)

    counts = queries.participation_by_faculty(db, campaign.id, Scope())
    assert counts == {(faculty.id, "assigned"): 20, (faculty.id, "completed"): 14}
    assert queries.participation_by_faculty(db, campaign.id, Scope(law.id)) == {}

    with app.test_request_context():
        view = reports.participation_view(db, campaign.id, Scope(), lang="en", minimum=5)
    assert view is not None and view.rates == (0.7,)
