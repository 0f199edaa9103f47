"""Several threads and processes append at once: every chain stays valid, no seq repeats."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.audit.services import append, verify
from screening.db import new_session
from tests.conftest import app_config

ROOT = Path(__file__).resolve().parent.parent.parent

WRITER = """
import json, sys
from screening import create_app
from screening.audit.services import append
from screening.db import new_session
app = create_app(json.loads(sys.argv[1]))
for i in range(int(sys.argv[2])):
    with new_session(app) as s:
        append(s, actor_id=None, action="faculty.create", target_type="proc", target_id=str(i))
        s.commit()
app.extensions["engine"].dispose()
"""


def _assert_valid(db: Session, expected: int) -> None:
    reports = verify(db)
    assert all(r.ok for r in reports), [r for r in reports if not r.ok]
    assert sum(r.entries for r in reports) == expected
    pairs = db.execute(select(AuditEntry.chain, AuditEntry.seq)).all()
    assert len(pairs) == len(set(pairs)) == expected
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == expected


def test_threads_appending_at_once_keep_every_chain_valid(app: Flask, db: Session) -> None:
    threads, per_thread, errors = 8, 25, []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                with new_session(app) as s:
                    append(s, actor_id=None, action="login", target_type="t", target_id=f"{n}-{i}")
                    s.commit()
        except Exception as exc:
            errors.append(repr(exc))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    _assert_valid(db, threads * per_thread)


def test_processes_appending_at_once_keep_every_chain_valid(
    app: Flask, instance: Path, db: Session
) -> None:
    config = json.dumps(app_config(instance))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, config, "15"], cwd=ROOT, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    _assert_valid(db, 60)
