"""The instruments page and the tier editor speak the admin's language, placeholders filled."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def _zh(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"


def _text(page: str) -> str:
    """The visible text outside elements marked as another language's quotation."""
    body = page.split("<main", 1)[1].split("</main>", 1)[0]
    body = re.sub(r'<(\w+)[^>]*lang="en"[^>]*>.*?</\1>', "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_instruments_page_in_chinese_without_sourcing_notes(client: FlaskClient, logged_in) -> None:
    logged_in("admin")
    _zh(client)
    page = client.get("/campaigns/instruments").get_data(as_text=True)
    assert "NIMH PDF not opened" not in page and "not checked against" not in page
    assert "unverified" not in _text(page).lower()  # only inside the quoted licence text
    assert "免费使用" in page and "中文" in page
    text = _text(page)
    for english in ("Licence", "Languages", "Validated", "free", "Enabled"):
        assert english not in text, english


def test_tier_editor_fills_placeholders_and_translates(client: FlaskClient, logged_in) -> None:
    logged_in("admin")
    _zh(client)
    page = client.get("/cases/admin/tiers/phq9").get_data(as_text=True)
    assert "{q9}" not in page and "{" not in _text(page)
    assert "第 9 题" in page and "好几天" in page  # the rule's question and answer wording
    assert "中重度" in page and "Moderately severe" not in page
    refused = client.post("/cases/admin/tiers/phq9", data={"rule:q9_self_harm_thoughts": "high"})
    assert "关键规则（自杀相关题目）永远不能设为低于危机" in refused.get_data(as_text=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = client.post("/cases/admin/tiers/phq9", data={"rule:q9_self_harm_thoughts": "high"})
    assert "Critical rules (suicide items) can never be set below crisis" in refused.get_data(
        as_text=True
    )
