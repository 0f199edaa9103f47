"""Single sign-on against CAS and OpenID Connect providers served on loopback by the tests."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.models import AuditEntry
from tests.auth.sso_providers import CasProvider, OidcProvider, serve
from tests.conftest import UserFactory, app_config, enrol_mfa, pass_mfa

BASE = "http://localhost"


@pytest.fixture
def cas() -> Iterator[tuple[CasProvider, str]]:
    provider = CasProvider(service=f"{BASE}/auth/sso/cas/callback")
    with serve(provider) as url:
        yield provider, url


@pytest.fixture
def oidc() -> Iterator[OidcProvider]:
    provider = OidcProvider()
    with serve(provider) as url:
        provider.issuer = url
        yield provider


def _app(instance: Path, **extra: Any) -> Flask:
    return create_app(app_config(instance, BASE_URL=BASE, **extra))


@pytest.fixture
def cas_app(instance: Path, cas: tuple[CasProvider, str]) -> Iterator[Flask]:
    application = _app(instance, CAS_SERVER_URL=cas[1])
    yield application
    application.extensions["engine"].dispose()


@pytest.fixture
def oidc_app(instance: Path, oidc: OidcProvider) -> Iterator[Flask]:
    application = _app(
        instance,
        OIDC_ISSUER=oidc.issuer,
        OIDC_CLIENT_ID=oidc.client_id,
        OIDC_CLIENT_SECRET=oidc.client_secret,
    )
    yield application
    application.extensions["engine"].dispose()


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_buttons_only_when_configured(client: FlaskClient, cas_app: Flask) -> None:
    assert b"/auth/sso/" not in client.get("/auth/login").data
    assert client.get("/auth/sso/cas").status_code == 404
    assert client.get("/auth/sso/oidc/callback").status_code == 404
    assert b"/auth/sso/cas" in _browser(cas_app).get("/auth/login").data


def test_cas_student_logs_in_with_student_number(
    cas_app: Flask, cas: tuple[CasProvider, str], make_user: UserFactory
) -> None:
    provider, url = cas
    make_user("student", student_number="2024700001")
    browser = _browser(cas_app)
    start = browser.get("/auth/sso/cas?next=/home")
    assert start.headers["Location"] == (
        f"{url}/login?service=http%3A%2F%2Flocalhost%2Fauth%2Fsso%2Fcas%2Fcallback"
    )
    ticket = provider.ticket_for("2024700001")
    done = browser.get(f"/auth/sso/cas/callback?ticket={ticket}")
    assert done.headers["Location"] == "/home"
    assert browser.get("/home").status_code == 200
    replay = _browser(cas_app).get(f"/auth/sso/cas/callback?ticket={ticket}")
    assert replay.headers["Location"] == "/auth/login"  # a ticket is single use


def test_cas_staff_still_owe_the_second_factor(
    cas_app: Flask, cas: tuple[CasProvider, str], make_user: UserFactory, db: Session
) -> None:
    provider, _url = cas
    user = make_user("counselor")
    secret = enrol_mfa(db, user)
    browser = _browser(cas_app)
    browser.get("/auth/sso/cas")
    done = browser.get(f"/auth/sso/cas/callback?ticket={provider.ticket_for(user.username)}")
    assert done.headers["Location"] == "/auth/mfa"
    assert browser.get("/home").headers["Location"] == "/auth/mfa"
    assert pass_mfa(browser, db, user, secret).status_code == 302
    assert browser.get("/home").status_code == 200


def test_sso_never_creates_accounts(
    cas_app: Flask, cas: tuple[CasProvider, str], db: Session
) -> None:
    provider, _url = cas
    browser = _browser(cas_app)
    response = browser.get(f"/auth/sso/cas/callback?ticket={provider.ticket_for('stranger')}")
    assert response.headers["Location"] == "/auth/login"
    assert b"Single sign-on did not succeed" in browser.get("/auth/login").data
    assert browser.get("/home").status_code == 302
    from screening.auth.models import User

    assert db.scalar(select(User)) is None
    assert db.scalar(select(AuditEntry.action)) == "login.failed"


def test_cas_forged_ticket_refused(cas_app: Flask, make_user: UserFactory) -> None:
    make_user("student", student_number="2024700002")
    browser = _browser(cas_app)
    for ticket in ("ST-forged", "not-a-ticket", "ST-" + "x" * 300):
        assert browser.get(f"/auth/sso/cas/callback?ticket={ticket}").headers["Location"] == (
            "/auth/login"
        )
    assert browser.get("/home").status_code == 302


def _oidc_round_trip(browser: FlaskClient, state: str | None = None) -> Any:
    start = browser.get("/auth/sso/oidc")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(authorize)
        raise AssertionError("the provider should redirect")
    except urllib.error.HTTPError as answer:
        back = answer.headers["Location"]
    parts = urlsplit(back)
    assert back.startswith(f"{BASE}/auth/sso/oidc/callback?")
    params = parse_qs(parts.query)
    if state is not None:
        params["state"] = [state]
    return browser.get(parts.path, query_string={k: v[0] for k, v in params.items()})


def test_oidc_code_flow_with_pkce(
    oidc_app: Flask, oidc: OidcProvider, make_user: UserFactory
) -> None:
    make_user("student", student_number="2024800001")
    oidc.user = "2024800001"
    browser = _browser(oidc_app)
    done = _oidc_round_trip(browser)
    assert done.headers["Location"] == "/"
    assert browser.get("/home").status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        {"iss": "https://evil.example"},
        {"aud": "another-client"},
        {"exp": 1_000_000_000},
        {"nonce": "replayed-nonce"},
        {"aud": ["screening", "another-client"]},  # several audiences without azp
        "other-key",
        "wrong-state",
    ],
    ids=["issuer", "audience", "expired", "nonce", "azp", "signature", "state"],
)
def test_oidc_refuses_bad_tokens(
    oidc_app: Flask, oidc: OidcProvider, make_user: UserFactory, tamper: Any
) -> None:
    make_user("student", student_number="2024800002")
    oidc.user = "2024800002"
    state = None
    if tamper == "other-key":
        oidc.sign_with_other_key = True
    elif tamper == "wrong-state":
        state = "attacker-state"
    else:
        oidc.tamper = tamper
    browser = _browser(oidc_app)
    done = _oidc_round_trip(browser, state=state)
    assert done.headers["Location"] == "/auth/login"
    assert browser.get("/home").status_code == 302


def test_oidc_callback_without_a_started_flow(oidc_app: Flask) -> None:
    browser = _browser(oidc_app)
    response = browser.get("/auth/sso/oidc/callback?code=abc&state=abc")
    assert response.headers["Location"] == "/auth/login"


def test_unreachable_provider_is_a_clear_refusal(instance: Path) -> None:
    app = _app(instance, OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", SSO_TIMEOUT=2)
    try:
        browser = _browser(app)
        assert browser.get("/auth/sso/oidc").headers["Location"] == "/auth/login"
        assert b"Single sign-on did not succeed" in browser.get("/auth/login").data
    finally:
        app.extensions["engine"].dispose()
