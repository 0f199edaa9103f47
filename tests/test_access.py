"""Every route declares who may reach it, and the server enforces it for every role."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.auth.access import AUTHENTICATED, PUBLIC, access_rule

ROLES = ("student", "counselor", "supervisor", "dean", "admin")

#: Every endpoint and who may reach it. A new route must be added here, or this test fails.
EXPECTED: dict[str, object] = {
    "main.index": PUBLIC,
    "main.home": AUTHENTICATED,
    "main.healthz": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": AUTHENTICATED,
    "auth.language": PUBLIC,
    "auth.password": AUTHENTICATED,
    "auth.forgot": PUBLIC,
    "auth.reset_link": PUBLIC,
    "auth.reset": PUBLIC,
    "mfa.verify": AUTHENTICATED,
    "mfa.setup": AUTHENTICATED,
    "mfa.start": AUTHENTICATED,
    "mfa.qr": AUTHENTICATED,
    "mfa.recovery_codes": AUTHENTICATED,
    "sso.cas_login": PUBLIC,
    "sso.cas_callback": PUBLIC,
    "sso.oidc_login": PUBLIC,
    "sso.oidc_callback": PUBLIC,
    "admin.index": {"admin"},
    "admin.users": {"admin"},
    "admin.toggle_active": {"admin"},
    "admin.assignments": {"admin"},
    "admin.faculties": {"admin"},
    "admin.dev_mail": {"admin"},
    "admin.roster_upload": {"admin"},
    "admin.roster_import": {"admin"},
    "admin.people": {"admin"},
    "admin.person_edit": {"admin"},
    "admin.reset_mfa": {"admin"},
    "audit.index": {"admin"},
    "audit.export": {"admin"},
    "audit.verify_chains": {"admin"},
    "admin.keys": {"admin"},
    "audit.security_events": {"admin"},
    "campaigns.index": {"admin"},
    "campaigns.create": {"admin"},
    "campaigns.detail": {"admin"},
    "campaigns.sync": {"admin"},
    "campaigns.instruments": {"admin"},
    "campaigns.enable": {"admin"},
    "campaigns.crisis_lines": {"admin"},
    "campaigns.edit": {"admin"},
    "campaigns.extend": {"admin"},
    "campaigns.open_now": {"admin"},
    "campaigns.close": {"admin"},
    "campaigns.preview": {"admin"},
    "campaigns.consent_notices": {"admin"},
    "responses.index": {"student"},
    "responses.consent": {"student"},
    "responses.take": {"student"},
    "responses.receipt": {"student"},
    "responses.done": {"student"},
    "responses.download": {"student"},
    "responses.record": {"student"},
    "responses.record_download": {"student"},
    "cases.queue": {"counselor", "supervisor"},
    "cases.detail": {"counselor", "supervisor"},
    "cases.claim": {"counselor", "supervisor"},
    "cases.acknowledge": {"counselor", "supervisor"},
    "cases.note": {"counselor", "supervisor"},
    "cases.close": {"counselor", "supervisor"},
    "cases.schedule_followup": {"counselor", "supervisor"},
    "cases.student": {"counselor", "supervisor"},
    "cases.print_summary": {"counselor", "supervisor"},
    "cases.signoff": {"supervisor"},
    "cases.reassign": {"supervisor"},
    "cases.register": {"supervisor", "admin"},
    "cases.register_export": {"supervisor", "admin"},
    "cases.break_glass": {"counselor", "supervisor"},
    "cases.measures": {"supervisor", "admin"},
    "caseadmin.rota": {"admin"},
    "retention.policy": {"admin"},
    "retention.hold": {"supervisor"},
    "retention.lift": {"supervisor"},
    "caseadmin.rota_remove": {"admin"},
    "caseadmin.tier_index": {"admin"},
    "caseadmin.tier_edit": {"admin"},
    "caseadmin.academic_import": {"admin"},
    "notify.inbox": {"counselor", "supervisor", "dean", "admin"},
    "notify.acknowledge": {"counselor", "supervisor", "dean", "admin"},
    "notify.acknowledge_many": {"counselor", "supervisor", "dean", "admin"},
    "referrals.talk": {"student"},
    "referrals.talk_received": {"student"},
    "referrals.concern": {"student", "counselor", "supervisor"},
    "referrals.concern_received": {"student", "counselor", "supervisor"},
    "referrals.mine": {"student", "counselor", "supervisor"},
    "referrals.unfounded": {"counselor", "supervisor"},
    "referrals.reporters": {"admin"},
    "referrals.reporter_remove": {"admin"},
    "referrals.ask_class_counselor": {"counselor", "supervisor"},
    "referrals.class_notices": {"counselor", "supervisor", "admin"},
    "stats.index": {"dean", "supervisor", "admin"},
    "stats.campaign": {"dean", "supervisor", "admin"},
    "stats.chart": {"dean", "supervisor", "admin"},
    "stats.campaign_export": {"dean", "supervisor", "admin"},
    "stats.trend": {"dean", "supervisor", "admin"},
    "stats.trend_chart": {"dean", "supervisor", "admin"},
    "stats.trend_export": {"dean", "supervisor", "admin"},
    "stats.cases": {"dean", "supervisor", "admin"},
    "stats.cases_export": {"dean", "supervisor", "admin"},
    "stats.pooled": {"dean", "supervisor", "admin"},
    "stats.pooled_chart": {"dean", "supervisor", "admin"},
    "stats.pooled_export": {"dean", "supervisor", "admin"},
}


def _endpoints(app: Flask) -> list[str]:
    return sorted(r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static")


def test_every_endpoint_has_a_declared_and_expected_rule(app: Flask) -> None:
    for endpoint in _endpoints(app):
        rule = access_rule(app, endpoint)
        assert rule is not None, f"{endpoint} declares no access rule"
        assert endpoint in EXPECTED, f"{endpoint} is missing from the access table of this test"
        expected = EXPECTED[endpoint]
        assert rule == (frozenset(expected) if isinstance(expected, set) else expected), endpoint
    assert set(EXPECTED) <= set(_endpoints(app)), "the access table names routes that do not exist"


def _url(app: Flask, endpoint: str) -> tuple[str, str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
    path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", path)
    method = "GET" if "GET" in (rule.methods or set()) else "POST"
    return path, method


@pytest.mark.parametrize("role", ROLES)
def test_roles_are_refused_outside_their_routes(
    app: Flask, client: FlaskClient, logged_in, role: str
) -> None:
    logged_in(role)
    for endpoint in _endpoints(app):
        expected = EXPECTED[endpoint]
        if not isinstance(expected, set) or role in expected:
            continue
        path, method = _url(app, endpoint)
        response = client.open(path, method=method)
        assert response.status_code == 403, f"{role} reached {endpoint} ({response.status_code})"


def test_anonymous_is_sent_to_log_in(app: Flask, client: FlaskClient) -> None:
    for endpoint in _endpoints(app):
        if EXPECTED[endpoint] == PUBLIC:
            continue
        path, method = _url(app, endpoint)
        response = client.open(path, method=method)
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/auth/login"), endpoint


def test_a_view_without_a_rule_is_unreachable(app: Flask, client: FlaskClient, logged_in) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    logged_in("admin")
    assert client.get("/forgotten").status_code == 403
