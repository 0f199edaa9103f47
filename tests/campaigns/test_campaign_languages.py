"""A campaign offers only instruments its students can read; it steps past readable screens only."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from screening.campaigns.models import Campaign
from screening.campaigns.services import (
    CampaignError,
    LanguageCoverageError,
    MissingLanguages,
    SuicideScreenLanguageError,
)


def test_an_instrument_without_a_served_language_is_refused_and_named(make_campaign) -> None:
    with pytest.raises(LanguageCoverageError) as err:
        make_campaign(["phq9", "who5", "k6"])
    assert err.value.missing == (
        MissingLanguages("who5", ("zh-Hans",)),
        MissingLanguages("k6", ("zh-Hans",)),
    )
    assert "who5 has no validated wording in zh-Hans" in str(err.value)


def test_languages_served_decide_what_is_offered(make_campaign, db) -> None:
    english = make_campaign(["who5", "asq"], languages=["en"])
    assert english.languages == "en"
    both = make_campaign(["phq9", "gad7"], name="both")
    assert both.languages == "zh-Hans,en"  # the install's languages by default
    with pytest.raises(LanguageCoverageError) as err:
        make_campaign(["phq9"], languages=["zh-Hans", "en", "fr"])
    assert err.value.missing == (MissingLanguages("phq9", ("fr",)),)
    with pytest.raises(CampaignError, match="at least one language"):
        make_campaign(["phq9"], languages=[])


def test_stepping_needs_a_suicide_screen_in_every_served_language(make_campaign, db) -> None:
    with pytest.raises(SuicideScreenLanguageError) as err:
        make_campaign(["phq2", "asq", "phq9"], steps={"phq9": "phq2"})
    assert (err.value.target, err.value.trigger) == ("phq9", "phq2")
    assert err.value.screens == (MissingLanguages("asq", ("zh-Hans",)),)
    # PHQ-9 asked of everyone in both languages makes stepping into nothing else unsafe.
    safe = make_campaign(["phq2", "phq9", "gad2", "gad7"], steps={"gad7": "gad2"})
    assert [i.instrument_id for i in safe.instruments] == ["phq2", "phq9", "gad2", "gad7"]
    english = make_campaign(
        ["phq2", "asq", "phq9"], steps={"phq9": "phq2"}, languages=["en"], name="en"
    )
    assert english.instruments[2].when_positive_of == "phq2"
    assert db.scalar(select(func.count()).select_from(Campaign)) == 2


def _form(
    faculty: Any, cohort: Any, instruments: str, steps: str = "", **extra: Any
) -> dict[str, Any]:
    """The campaign builder's fields: questionnaires in order, ticked, and their stepping."""
    chosen = [i.strip() for i in instruments.split(",") if i.strip()]
    stepping = {}
    for part in steps.split(","):
        if part.strip():
            trigger, _sep, target = part.partition(":")
            stepping[f"step_{target.strip()}"] = trigger.strip()
    return {
        "name": "Spring",
        "order": ",".join(chosen),
        "use": chosen,
        **stepping,
        "faculties": [str(faculty.id)],
        "cohorts": [str(cohort.id)],
        "opens_at": "2026-03-01T08:00",
        "closes_at": "2030-03-20T18:00",
        "consent_version": "v1",
        "action": "save",
        **extra,
    }


@pytest.fixture
def cohort(db) -> Any:
    from screening.auth.services import get_or_create_cohort

    made = get_or_create_cohort(db, 2024)
    db.commit()
    return made


def test_web_form_says_which_instrument_lacks_which_language_in_the_admins_language(
    client, logged_in, faculty, cohort, db
) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    form = client.get("/campaigns/new").data.decode()
    assert "所服务学生使用的语言" in form and 'type="checkbox" value="zh-Hans"' in form
    refused = client.post("/campaigns/new", data=_form(faculty, cohort, "phq9, who5, k10"))
    page = refused.data.decode()
    assert refused.status_code == 200
    assert "who5 没有经过验证的简体中文版本。" in page
    assert "k10 没有经过验证的简体中文版本。" in page
    assert "phq9 没有" not in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    stepped = client.post(
        "/campaigns/new", data=_form(faculty, cohort, "phq2, asq, phq9", steps="phq2:phq9")
    ).data.decode()
    assert "phq9 asks about suicide risk and would be skipped when phq2 is negative" in stepped
    assert "asq has no validated wording in Simplified Chinese." in stepped
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0
    made = client.post(
        "/campaigns/new",
        data=_form(faculty, cohort, "phq2, asq, phq9", steps="phq2:phq9", languages=["en"]),
    )
    assert made.status_code == 302
    assert db.scalar(select(Campaign)).languages == "en"


def test_command_line_refuses_a_missing_language_and_accepts_a_served_one(
    runner: FlaskCliRunner, faculty, cohort, db
) -> None:
    base = ["campaigns", "create", "--name", "x", "--faculty", "CS", "--cohort", "2024"]
    base += ["--opens", "2026-01-01 08:00", "--closes", "2030-01-01 08:00"]
    refused = runner.invoke(args=[*base, "--instrument", "phq9", "--instrument", "auditc"])
    assert refused.exit_code != 0
    assert "auditc has no validated wording in zh-Hans" in refused.output
    plan = ["--instrument", "phq2", "--instrument", "asq", "--instrument", "phq9"]
    stepped = runner.invoke(args=[*base, *plan, "--step", "phq2:phq9"])
    assert stepped.exit_code != 0 and "asq has no wording in zh-Hans" in stepped.output
    chinese = runner.invoke(args=[*base, "--instrument", "phq9", "--language", "zh-Hans"])
    assert chinese.exit_code == 0, chinese.output
    assert db.scalar(select(Campaign)).languages == "zh-Hans"
