"""Consent notices: both languages, each save a version, used versions frozen, shown and kept."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from screening.campaigns import consent
from screening.campaigns.models import Assignment, Consent

ZH = "## 新的说明\n这是第二版知情同意书。"
EN = "## New notice\nThis is the second consent notice."


def test_each_save_is_a_new_version_and_students_read_and_keep_it(
    app, client: FlaskClient, logged_in, make_user, make_campaign, db
) -> None:
    logged_in("admin")
    saved = client.post("/campaigns/consent", data={"text_zh": ZH, "text_en": EN})
    assert saved.status_code == 302
    client.post("/campaigns/consent", data={"text_zh": ZH + "更正", "text_en": EN + " Fixed."})
    assert [n.label for n in consent.versions(db)] == ["v3", "v2", "v1"]
    make_campaign(["phq9"], consent_version="v2")
    client.post("/auth/logout")
    student = logged_in("student")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    page = client.get(f"/screening/{assignment.id}/consent").get_data(as_text=True)
    assert "这是第二版知情同意书。" in page and "<h2>新的说明</h2>" in page
    assert "谁能看到您的回答" not in page  # v1's text is not shown for a v2 campaign
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    decision = db.scalar(select(Consent).where(Consent.assignment_id == assignment.id))
    assert decision.version == "v2" and decision.agreed


def test_a_version_in_use_cannot_be_changed_in_place(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    logged_in("admin")
    client.post("/campaigns/consent", data={"text_zh": ZH, "text_en": EN})
    client.post("/campaigns/consent", data={"text_zh": ZH, "text_en": EN})  # v3, unused
    make_campaign(["phq9"], consent_version="v2")
    refused = client.post(
        "/campaigns/consent", data={"text_zh": "改", "text_en": "changed", "replace": "v2"}
    )
    assert refused.status_code == 200
    assert "Version v2 is in use" in refused.get_data(as_text=True)
    assert consent.notice(db, "v2").text_en == EN
    corrected = client.post(
        "/campaigns/consent", data={"text_zh": "改", "text_en": "changed", "replace": "v3"}
    )
    assert corrected.status_code == 302
    db.expire_all()
    assert consent.notice(db, "v3").text_en == "changed"
    # The shipped version never changes either.
    shipped = client.post(
        "/campaigns/consent", data={"text_zh": "改", "text_en": "changed", "replace": "v1"}
    )
    assert "Only a version written here" in shipped.get_data(as_text=True)


def test_a_notice_needs_both_languages(client: FlaskClient, logged_in, db) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.post("/campaigns/consent", data={"text_zh": ZH, "text_en": "  "})
    assert page.status_code == 200 and consent.count(db) == 0


def test_the_command_line_refuses_an_unknown_consent_version(
    runner: FlaskCliRunner, faculty, db
) -> None:
    from screening.auth.services import get_or_create_cohort

    get_or_create_cohort(db, 2024)
    db.commit()
    result = runner.invoke(
        args=[
            "campaigns",
            "create",
            "--name",
            "x",
            "--instrument",
            "phq9",
            "--faculty",
            "CS",
            "--cohort",
            "2024",
            "--opens",
            "2026-09-01 08:00",
            "--closes",
            "2030-09-01 08:00",
            "--consent-version",
            "v9",
        ]
    )
    assert result.exit_code != 0 and "No consent notice version v9" in result.output


def test_the_shipped_notice_is_split_into_headings_and_paragraphs() -> None:
    shown = consent.blocks(consent.BUILT_IN_EN)
    assert shown[0].heading and shown[0].text == "What we ask and why"
    assert "five to ten minutes." in shown[1].text and "\n" not in shown[1].text
    assert consent.blocks("第一行\n第二行")[0].text == "第一行第二行"
