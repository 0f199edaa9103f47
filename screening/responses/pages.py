"""Questionnaire page integrity: field names per instrument and a signed page token.

A questionnaire page says which assignment, instrument and version it asks, in a token signed
with the app's secret key; a post is used only when that token, the posted instrument and
version, and the page the student should answer now all agree. Field names carry the
instrument id, so a browser restoring one questionnaire's answers into another (Back, Forward,
autofill) fills nothing. Pure: no Flask, no database.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer

from screening.instruments.model import AllTest, AnyTest, CountTest, ItemTest, Test

SALT = "screening.responses.page"

#: Why a post was refused: a token that is not ours (or of another assignment, or not matching
#: the fields posted with it), a page of another questionnaire, or of another version.
Mismatch = Literal["invalid", "other_instrument", "other_version"]


@dataclass(frozen=True)
class Page:
    """What one questionnaire page asked: assignment, instrument, version; nonce: one submit."""

    assignment_id: int
    instrument_id: str
    version: int
    nonce: str


def field_name(instrument_id: str, item_id: str) -> str:
    """The form field name of an item: no two instruments share one."""
    return f"{instrument_id}-{item_id}"


def new_page(assignment_id: int, instrument_id: str, version: int) -> Page:
    """A page with a fresh nonce (the submission's idempotency token)."""
    return Page(assignment_id, instrument_id, version, secrets.token_urlsafe(24))


def issue(secret: str | bytes, page: Page) -> str:
    """The signed token of a page, for its hidden field."""
    serializer = URLSafeSerializer(secret, salt=SALT)
    return str(serializer.dumps([page.assignment_id, page.instrument_id, page.version, page.nonce]))


def read(secret: str | bytes, token: str) -> Page | None:
    """The page a token was issued for; None when it is missing, forged or malformed."""
    if not token or len(token) > 512:
        return None
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 4):
        return None
    assignment_id, instrument_id, version, nonce = data
    if not (
        isinstance(assignment_id, int)
        and isinstance(instrument_id, str)
        and isinstance(version, int)
        and isinstance(nonce, str)
        and 0 < len(nonce) <= 64
    ):
        return None
    return Page(assignment_id, instrument_id, version, nonce)


def mismatch(
    page: Page | None,
    posted: Mapping[str, str],
    *,
    assignment_id: int,
    instrument_id: str,
    version: int,
) -> Mismatch | None:
    """None when a post answers the page the student should answer now; otherwise why not.

    `posted` holds the page's hidden `instrument` and `version` fields; they must agree with
    the signed token, which must be this assignment's.
    """
    if page is None or page.assignment_id != assignment_id:
        return "invalid"
    if posted.get("instrument") != page.instrument_id or posted.get("version") != str(page.version):
        return "invalid"
    if page.instrument_id != instrument_id:
        return "other_instrument"
    if page.version != version:
        return "other_version"
    return None


def show_when(instrument_id: str, test: Test) -> dict[str, Any]:
    """A condition as the page's script evaluates it, with field names for item ids.

    Tests the page cannot evaluate (scores, bands) become {"always": true}: shown, and the
    server decides, as it does for every post.
    """
    if isinstance(test, ItemTest):
        value = list(test.value) if isinstance(test.value, tuple) else test.value
        return {"item": field_name(instrument_id, test.item), "op": test.op, "value": value}
    if isinstance(test, CountTest):
        return {
            "count": [field_name(instrument_id, i) for i in test.items],
            "matching": list(test.matching),
            "op": test.op,
            "value": test.value,
        }
    if isinstance(test, AnyTest):
        return {"any": [show_when(instrument_id, t) for t in test.tests]}
    if isinstance(test, AllTest):
        return {"all": [show_when(instrument_id, t) for t in test.tests]}
    return {"always": True}
