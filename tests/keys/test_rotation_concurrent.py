"""Rotation while another app process keeps creating students and sealing values: nothing lost."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.auth.models import Faculty, Role, User
from screening.auth.services import create_user, get_or_create_cohort, person
from screening.crypto import KeyRing
from screening.db import new_session
from screening.keys.models import SubjectKey
from screening.keys.rotation import rewrap_all, start_rotation
from screening.keys.services import vault_of
from tests.conftest import PASSWORD, app_config


def test_rotation_with_concurrent_writers_loses_nothing(
    app: Flask, instance: Path, make_user, db: Session, faculty: Faculty
) -> None:
    existing = {
        u.id: f"Person {i + 1}" for i, u in enumerate(make_user("student") for _ in range(30))
    }
    web = create_app(app_config(instance))  # another "process" with its own copy of the ring
    web.extensions["vault"].refresh_interval = 0.05
    stop, errors, created = threading.Event(), [], {}

    def writer(n: int) -> None:
        i = 0
        try:
            while not stop.is_set() or i < 5:
                i += 1
                with new_session(web) as s:
                    user = create_user(
                        s,
                        role=Role.STUDENT,
                        student_number=f"R{n}{i:05d}",
                        password=PASSWORD,
                        name=f"写入者 {n}-{i}",
                        cohort=get_or_create_cohort(s, 2024),
                        faculty=s.get(Faculty, faculty.id),
                    )
                    s.commit()
                    created[user.id] = f"写入者 {n}-{i}"
                with new_session(web) as s:
                    for user_id, name in list(existing.items())[i % 30 :: 7]:
                        assert person(s, s.get(User, user_id)).name == name
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    with new_session(app) as s:
        assert start_rotation(s) == "k2"
        s.commit()
    moved = rewrap_all(lambda: new_session(app), size=7, pause=0.02, settle=0.5)
    stop.set()
    for t in threads:
        t.join()
    moved += rewrap_all(lambda: new_session(app), size=7, settle=0)
    assert errors == []
    assert moved >= 30 and len(created) >= 15
    assert KeyRing.load(instance / "keyring.json").active_kek_id == "k2"
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    assert {r.kek_id for r in db.scalars(select(SubjectKey))} == {"k2"}
    vault_of(db).ring.retire("k1")  # prove every value opens without the old KEK
    everyone = {**existing, **created}
    for user_id, name in everyone.items():
        assert person(db, db.get(User, user_id)).name == name
    web.extensions["engine"].dispose()
