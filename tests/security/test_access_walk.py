"""Vertical access, the MFA gate and horizontal access, for every rule of the URL map."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.auth.access import MFA_PENDING_ALLOWED
from tests.conftest import login_as
from tests.security.conftest import B_NUMBER, World
from tests.security.urlmap import ROLES, calls, routes


def test_every_method_of_every_rule_refuses_other_roles(app: Flask, act_as, world) -> None:
    """Not just one method with id 1: every method, with ids of real rows."""
    ids = [world.student_b.id, world.users["admin"].id, 1]
    for role in ROLES:
        client = act_as(role)
        for route, method in calls(app):
            allowed = route.allowed
            if not isinstance(allowed, set) or role in allowed:
                continue
            for value in ids if route.has_ids else [1]:
                response = client.open(route.path(value), method=method)
                assert response.status_code == 403, (role, route.endpoint, method, value)


def test_dean_reaches_no_identified_route(app: Flask, act_as) -> None:
    """Deans see anonymised statistics only: every counselor/supervisor/admin route is 403."""
    client = act_as("dean")
    for route, method in calls(app):
        allowed = route.allowed
        if isinstance(allowed, set) and "dean" not in allowed:
            assert client.open(route.path(), method=method).status_code == 403, route.endpoint


def test_staff_reach_nothing_before_the_second_factor(
    app: Flask, client: FlaskClient, world: World
) -> None:
    for role in ("counselor", "supervisor", "dean", "admin"):
        browser = app.test_client()
        user = world.users[role]
        assert login_as(browser, user.username or "").headers["Location"] == "/auth/mfa"
        for route, method in calls(app):
            if route.allowed == "public" or route.endpoint in MFA_PENDING_ALLOWED:
                continue
            response = browser.open(route.path(), method=method)
            assert response.status_code == 302, (role, route.endpoint, method)
            assert response.headers["Location"] == "/auth/mfa", (role, route.endpoint)


def test_pending_second_factor_allows_only_the_listed_pages(app: Flask) -> None:
    endpoints = {r.endpoint for r in routes(app)}
    assert endpoints >= MFA_PENDING_ALLOWED
    assert {
        "mfa.verify",
        "mfa.setup",
        "mfa.start",
        "mfa.qr",
        "auth.logout",
    } == MFA_PENDING_ALLOWED


def _leaks(body: str, world: World) -> list[str]:
    return [secret for secret in world.secrets() if secret in body]


def test_horizontal_access_leaks_nothing_of_another_student(
    app: Flask, act_as, world: World, db: Session
) -> None:
    """For every rule with an id, other people's ids: refused or empty, never B's data, no 500.

    Actors are student A and staff without B in their scope (CS counselor, a dean). Admins and
    supervisors see every faculty by design. As features add routes with ids, this covers them.
    """
    candidates = sorted({world.student_b.id, *range(1, 12)})
    text_values = [B_NUMBER, "..%2F..%2Fadmin", "-1", "0"]
    for role in ("student", "counselor", "dean"):
        client = act_as(role)
        for route, method in calls(app):
            if not route.has_ids:
                continue
            numeric = all(conv == "int" for conv, _ in route.converters)
            for value in candidates if numeric else [*candidates, *text_values]:
                response = client.open(route.path(value), method=method)
                assert response.status_code != 500, (role, route.endpoint, value)
                # The page may echo the path it was asked for (the language form's `next`).
                body = response.get_data(as_text=True).replace(route.path(value), "")
                location = response.headers.get("Location", "")
                assert not _leaks(body + location, world), (role, route.endpoint, value)
