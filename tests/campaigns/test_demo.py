"""The demo has an open campaign answered through the real submit service, crises included."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from screening.campaigns.models import Assignment, Campaign
from screening.cases.models import Case, CaseEvent
from screening.responses.models import Draft, Submission
from screening.responses.services import open_score
from screening.stats.models import ScoreRecord
from tests.conftest import login_as


def test_demo_campaign_is_complete(app, runner: FlaskCliRunner, db) -> None:
    result = runner.invoke(args=["demo", "--students", "120"])
    assert result.exit_code == 0, result.output
    campaign = db.scalar(select(Campaign))
    assert [i.instrument_id for i in campaign.instruments] == ["phq9", "gad7"]
    assert campaign.languages == "zh-Hans,en"
    assert campaign.show_results and campaign.consent_version == "v1"
    statuses = dict(
        db.execute(select(Assignment.status, func.count()).group_by(Assignment.status)).all()
    )
    # Every student who began finished: demo answers are valid, none is left half-done.
    assert statuses.get("started", 0) == 0 and statuses["completed"] > 30
    assert db.scalar(select(func.count()).select_from(Draft)) == 0
    submissions = db.scalar(select(func.count()).select_from(Submission))
    assert submissions == 2 * statuses["completed"]
    assert db.scalar(select(func.count()).select_from(ScoreRecord)) == submissions
    critical = db.scalar(select(func.count()).where(ScoreRecord.critical.is_(True)))
    assert critical >= 2
    # Every critical answer of the demo has its case, opened or joined by that submission.
    flagged = {
        s.id for s in db.scalars(select(Submission)) if (open_score(db, s) or {}).get("critical")
    }
    assert len(flagged) == critical
    traced = set(
        db.scalars(select(CaseEvent.submission_id).where(CaseEvent.submission_id.in_(flagged)))
    )
    assert traced == flagged
    assert db.scalar(select(func.count()).where(Case.tier == "crisis")) >= 1
    # The first demo student has the campaign waiting on their home page.
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    first = result.output.split("student", 1)[1].split()[0]
    assert login_as(client, first, "demo-student-password").status_code == 302
    assert "Autumn 2026 wellbeing screening" in client.get("/home").data.decode()
