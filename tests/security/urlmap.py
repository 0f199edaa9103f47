"""Walking the URL map: every rule, how to call it, who may, and what the database holds.

The hostile tests are written against the URL map, not against a list of pages, so a route
that a feature adds later is attacked by every test here without anyone remembering to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from screening.db import Base
from tests.test_access import EXPECTED

ROLES = ("student", "counselor", "supervisor", "dean", "admin")
_ARG = re.compile(r"<(?:(?P<conv>[^:>(]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[^>]+)>")

#: Tables that record reads (the audit log of every view of identified data), not state.
READ_LOGS = frozenset({"audit_entries", "audit_heads"})


def _fill(match: re.Match[str], value: object) -> str:
    """An `any(a, b)` argument takes its first choice (a word, not an id); others take value."""
    if match.group("conv") == "any":
        return match.group("args").split(",")[0].strip().strip("'\"")
    return str(value)


@dataclass(frozen=True)
class Route:
    """One URL rule and how to reach it."""

    endpoint: str
    rule: str
    methods: frozenset[str]
    converters: tuple[tuple[str, str], ...]  # (converter, argument name)

    def path(self, value: object = 1) -> str:
        """The path with every argument set to value."""
        return _ARG.sub(lambda m: _fill(m, value), self.rule)

    @property
    def has_ids(self) -> bool:
        return bool(self.converters)

    @property
    def allowed(self) -> object:
        return EXPECTED[self.endpoint]

    def role_allowed(self) -> str | None:
        """A role that may reach it (None for public)."""
        rule = self.allowed
        if isinstance(rule, set):
            return sorted(rule)[0]
        return None if rule == "public" else "student"


def routes(app: Flask) -> list[Route]:
    """Every rule but static files, with its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = frozenset((rule.methods or set()) - {"HEAD", "OPTIONS"})
        converters = tuple(
            (m.group("conv") or "default", m.group("name"))
            for m in _ARG.finditer(rule.rule)
            if m.group("conv") != "any"
        )
        found.append(Route(rule.endpoint, rule.rule, methods, converters))
    return sorted(found, key=lambda r: (r.endpoint, r.rule))


def calls(app: Flask) -> Iterator[tuple[Route, str]]:
    """(route, method) for every method of every rule."""
    for route in routes(app):
        for method in sorted(route.methods):
            yield route, method


def row_counts(db: Session, skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """How many rows each table holds (the database's state, coarsely)."""
    db.expire_all()
    return {
        table.name: int(db.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
        if table.name not in skip
    }


def snapshot(db: Session, skip: frozenset[str] = READ_LOGS) -> dict[str, list[tuple]]:
    """Every row of every table (but read logs): detects updates as well as inserts."""
    db.expire_all()
    with db.bind.connect() as conn:  # type: ignore[union-attr]
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr
            )
            for table in Base.metadata.sorted_tables
            if table.name not in skip
        }


def form_fields(client: FlaskClient, path: str) -> list[str]:
    """The names of the inputs of the page's forms (to fill every field with hostile data)."""
    response = client.get(path)
    if response.status_code != 200 or response.mimetype != "text/html":
        return []
    names = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', response.text)
    return sorted(set(names) - {"csrf_token"})


def rule_of(app: Flask, endpoint: str) -> Rule:
    """The werkzeug rule of an endpoint."""
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
