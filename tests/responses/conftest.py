"""Helpers for the student flow: answers as a questionnaire page posts them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient

HIDDEN = re.compile(r'<input type="hidden" name="(token|instrument|version)" value="([^"]*)"')


def phq9(**answers: int) -> dict[str, str]:
    """PHQ-9 answers by item id: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 10)}
    data.update({k: str(v) for k, v in answers.items()})
    return data


def gad7(**answers: int) -> dict[str, str]:
    """GAD-7 answers by item id: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 8)}
    data.update({k: str(v) for k, v in answers.items()})
    return data


def page_of(client: FlaskClient, assignment_id: int) -> dict[str, str]:
    """The hidden fields (token, instrument, version) of the page the student is asked now."""
    html = client.get(f"/screening/{assignment_id}/take").get_data(as_text=True)
    return dict(HIDDEN.findall(html))


def form_of(page: Mapping[str, str], answers: Mapping[str, Any], action: str = "submit") -> dict:
    """A post of this page: its hidden fields and the answers under the page's field names."""
    data = {f"{page['instrument']}-{k}": str(v) for k, v in answers.items()}
    return {**data, **page, "action": action}


def answer(
    client: FlaskClient, assignment_id: int, answers: Mapping[str, Any], action: str = "submit"
) -> Any:
    """Open the page asked now and post these answers (by item id) from it."""
    page = page_of(client, assignment_id)
    return client.post(f"/screening/{assignment_id}/take", data=form_of(page, answers, action))
