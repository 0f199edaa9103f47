"""Hostile input: stored XSS and template injection, SQL injection, open redirects, bodies."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.auth import roster
from tests.security.urlmap import READ_LOGS, calls, form_fields, routes, row_counts

XSS = [
    "<script>alert(1)</script>",
    "{{7*7}}",
    '"><img src=x onerror=alert(1)>',
    "{% raw %}{{ config }}{% endraw %}",
]
SQLI = [
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    '" OR 1=1 --',
    "1' UNION SELECT password_hash FROM users --",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\x00\x00",
]
LEAK_MARKERS = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "OperationalError", "jinja2")


@dataclass(frozen=True)
class FreeText:
    """A place where people type free text, and the page that shows it again."""

    name: str
    role: str  # who writes it
    store: Callable[[FlaskClient, Session, str], None]
    shown_at: str  # path that renders it
    viewer: str  # role that views it


def _staff_name(client: FlaskClient, _db: Session, payload: str) -> None:
    client.post(
        "/admin/users",
        data={
            "username": f"u{abs(hash(payload)) % 10**8}",
            "name": payload,
            "email": "",
            "role": "counselor",
            "faculty": "",
            "password": "a long enough passphrase",
        },
    )


def _faculty_names(client: FlaskClient, _db: Session, payload: str) -> None:
    client.post(
        "/admin/faculties",
        data={"code": f"F{abs(hash(payload)) % 10**6}", "name_en": payload, "name_zh": payload},
    )


def _roster_name(_client: FlaskClient, db: Session, payload: str) -> None:
    quoted = '"' + payload.replace('"', '""') + '"'
    parsed = roster.parse(
        f"student_number,name,email,faculty,cohort\n2024{abs(hash(payload)) % 10**6:06d},"
        f"{quoted},,CS,2024\n"
    )
    assert not parsed.errors
    roster.apply(db, parsed.rows)
    db.commit()


#: Every free-text field: add one line when a feature adds a field people type into.
FREE_TEXT = [
    FreeText("staff name", "admin", _staff_name, "/admin/users", "admin"),
    FreeText("faculty names", "admin", _faculty_names, "/admin/faculties", "admin"),
    FreeText("faculty names in the user list", "admin", _faculty_names, "/admin/users", "admin"),
    FreeText("roster name", "admin", _roster_name, "/admin/users", "admin"),
]


@pytest.mark.parametrize("field", FREE_TEXT, ids=[f.name for f in FREE_TEXT])
def test_stored_payloads_render_inert(field: FreeText, act_as, world, db: Session) -> None:
    writer = act_as(field.role)
    for payload in XSS:
        field.store(writer, db, payload)
    page = act_as(field.viewer).get(field.shown_at)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for payload in XSS:
        assert payload not in body or payload == html.escape(payload), payload
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x onerror" not in body
    if field.store is not _roster_name:  # roster names are not shown on staff pages
        assert html.escape("<script>alert(1)</script>") in body
        assert "{{7*7}}" in body  # shown as typed, never evaluated
    assert ">49<" not in body


def _browsers(app: Flask, act_as) -> dict[str | None, FlaskClient]:
    """A browser for every kind of route: anonymous, and one logged-in user per role."""
    browsers: dict[str | None, FlaskClient] = {None: app.test_client()}
    for route in routes(app):
        role = route.role_allowed()
        if role not in browsers:
            browsers[role] = act_as(role)
    return browsers


def _hostile_args(names: list[str], payload: str) -> dict[str, str]:
    keys = [*names, "q", "id", "page", "sort", "next", "user_id", "lang", "login"]
    return {name: payload for name in keys}


def test_sql_injection_in_every_parameter(app: Flask, act_as, world, db: Session) -> None:
    """Query strings, form fields and string path arguments of every route, as allowed roles."""
    browsers = {None: app.test_client()}
    for route, method in calls(app):
        role = route.role_allowed()
        if role not in browsers:
            browsers[role] = act_as(role)
        browser = browsers[role]
        fields = form_fields(browser, route.path()) if "GET" in route.methods else []
        for payload in SQLI:
            path = route.path(payload.replace("/", "")) if route.has_ids else route.path()
            args = _hostile_args(fields, payload)
            response = (
                browser.get(path, query_string=args)
                if method == "GET"
                else browser.open(path, method=method, query_string=args, data=args)
            )
            assert response.status_code < 500, (route.endpoint, method, payload)
            body = response.get_data(as_text=True)
            assert not [m for m in LEAK_MARKERS if m in body], (route.endpoint, payload)
    assert row_counts(db)["users"] >= 6  # no table was dropped or emptied


OPEN_REDIRECTS = [
    "//evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https:evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "http://evil.example",
    "/%2F%2Fevil.example",
    " //evil.example",
    "javascript:alert(1)",
]


def _off_site(location: str) -> bool:
    """True when a browser would leave the site (it strips tabs and newlines first)."""
    cleaned = re.sub(r"[\t\r\n]", "", location).strip().replace("\\", "/")
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", cleaned, re.I))


def test_no_open_redirect_anywhere(app: Flask, act_as, world) -> None:
    """`next` in the query and the form of every route never sends the browser off-site."""
    browsers = {"anonymous": app.test_client(), "student": act_as("student")}
    browsers["admin"] = act_as("admin")
    for who, browser in browsers.items():
        for route, method in calls(app):
            for target in OPEN_REDIRECTS:
                response = browser.open(
                    route.path(),
                    method=method,
                    query_string={"next": target},
                    data={"next": target, "lang": "en"},
                )
                location = response.headers.get("Location", "")
                assert not _off_site(location), (who, route.endpoint, target, location)


def test_next_survives_only_as_a_local_path_through_log_in(app: Flask, world) -> None:
    browser = app.test_client()
    for target in OPEN_REDIRECTS:
        response = browser.post(
            f"/auth/login?next={target}", data={"login": "2024000111", "password": "x" * 20}
        )
        assert not _off_site(response.headers.get("Location", ""))


def test_oversized_bodies_are_refused_and_nothing_stored(
    app: Flask, act_as, world, db: Session
) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    browsers = _browsers(app, act_as)
    before = row_counts(db)
    for route, method in calls(app):
        if method == "GET":
            continue
        browser = browsers[route.role_allowed()]
        response = browser.open(
            route.path(),
            method=method,
            data=b"name=" + b"x" * (limit + 10),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 413, (route.endpoint, response.status_code)
        assert b"Traceback" not in response.data
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated',
            "multipart/form-data; boundary=x",
        ),
        (b"name=%ZZ%%&&=&csrf_token=%", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b'{"login": [1, 2', "application/json"),
        (
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
            "application/xml",
        ),
    ],
    ids=["multipart", "percent", "bytes", "json", "xml"],
)
def test_malformed_bodies_never_crash(
    app: Flask, act_as, world, db: Session, body: bytes, content_type: str
) -> None:
    browsers = _browsers(app, act_as)
    before = row_counts(db, skip=READ_LOGS)
    for route, method in calls(app):
        if method == "GET":
            continue
        browser = browsers[route.role_allowed()]
        response = browser.open(route.path(), method=method, data=body, content_type=content_type)
        assert response.status_code in {200, 302, 400, 401, 404, 413, 415, 422}, (
            route.endpoint,
            response.status_code,
        )
        assert not [m for m in LEAK_MARKERS if m in response.get_data(as_text=True)]
        assert "root:" not in response.get_data(as_text=True)
    assert row_counts(db, skip=READ_LOGS) == before  # (a log-out may be audited)


def test_every_route_is_walked(app: Flask) -> None:
    """The walkers above see every rule of the URL map (a guard against a silent empty walk)."""
    walked = {r.endpoint for r in routes(app)}
    all_endpoints = {r.endpoint for r in app.url_map.iter_rules()} - {"static"}
    assert walked == all_endpoints
