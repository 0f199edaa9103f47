"""Audit entries cannot change on PostgreSQL; the worker anchors the heads outside the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.models import AuditEntry, AuditHead
from screening.audit.services import append
from screening.cli.worker import anchor_round
from screening.notify.models import Alert
from tests.conftest import PG_URL, app_config


@pytest.fixture
def anchored_app(instance: Path, tmp_path: Path) -> Iterator[Flask]:
    """The app with its anchor file in a folder of its own (as on another mount)."""
    application = create_app(
        app_config(instance, AUDIT_ANCHOR_PATH=str(tmp_path / "elsewhere" / "anchors.jsonl"))
    )
    yield application
    application.extensions["engine"].dispose()


def _entries(db: Session, count: int) -> None:
    for i in range(count):
        append(db, actor_id=None, action="faculty.create", target_type="faculty", target_id=f"F{i}")
    db.commit()


@pytest.mark.skipif(not PG_URL, reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_of_audit_entries(
    db: Session, runner: FlaskCliRunner
) -> None:
    _entries(db, 3)
    for statement in (
        "UPDATE audit_entries SET target_id = 'EDITED'",
        "DELETE FROM audit_entries",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    assert len(list(db.scalars(select(AuditEntry)))) == 3
    _entries(db, 1)  # appending still works
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Append-only trigger: present." in result.output


def test_the_worker_anchors_and_alerts_admins_when_the_log_was_cut(
    anchored_app: Flask, make_user, db: Session
) -> None:
    admin = make_user("admin")
    path = Path(anchored_app.config["AUDIT_ANCHOR_PATH"])
    _entries(db, 20)
    assert anchor_round(anchored_app) is True
    _entries(db, 5)
    assert anchor_round(anchored_app) is True
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and oct(path.stat().st_mode)[-3:] == "600"
    # Someone with the database's write rights removes the newest entry and rewinds the head.
    rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq)))
    last = max(rows, key=lambda r: r.id)
    chain_rows = [r for r in rows if r.chain == last.chain]
    head = db.get(AuditHead, last.chain)
    if len(chain_rows) > 1:
        head.seq, head.mac = chain_rows[-2].seq, chain_rows[-2].mac
    if db.get_bind().dialect.name == "postgresql":
        with db.no_autoflush:  # past the trigger, as a superuser could
            db.execute(text("SET LOCAL session_replication_role = replica"))
    db.delete(last)
    db.commit()
    assert anchor_round(anchored_app) is False
    assert path.read_text().splitlines() == lines  # nothing anchored over the cut
    db.expire_all()
    kinds = list(db.scalars(select(Alert.kind).where(Alert.recipient_id == admin.id)))
    assert kinds == ["system.anchor"]
    result = anchored_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain {last.chain}:" in result.output and "BROKEN" in result.output
    assert f"Anchor: checked against the last line of {path}." in result.output
