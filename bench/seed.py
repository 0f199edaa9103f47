"""Seed a benchmark instance: students sharing one password hash (log-in cost is verification)."""

from __future__ import annotations

import sys

from screening import create_app
from screening import db as dbmod
from screening.auth.models import Role
from screening.auth.services import create_user, get_or_create_cohort, get_or_create_faculty, hasher

PASSWORD = "bench-student-password"  # noqa: S105 - a throwaway benchmark instance


def main(students: int) -> None:
    """Create the students in batches of 500."""
    app = create_app()
    with app.app_context():
        s = dbmod.session()
        faculties = [get_or_create_faculty(s, f"F{i}") for i in range(4)]
        cohort = get_or_create_cohort(s, 2025)
        shared = hasher(s).hash(PASSWORD)
        for n in range(students):
            create_user(
                s,
                role=Role.STUDENT,
                student_number=f"B{n:07d}",
                name=f"Bench {n}",
                email=f"b{n}@bench.example",
                faculty=faculties[n % 4],
                cohort=cohort,
                password_hash=shared,
            )
            if n % 500 == 499:
                s.commit()
        s.commit()
        from datetime import timedelta

        from screening.campaigns.services import create_campaign
        from screening.db import utcnow

        create_campaign(
            s,
            app.extensions["library"],
            name="bench",
            instruments=["phq9"],
            steps={},
            faculties=faculties,
            cohorts=[cohort],
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=30),
            show_results=False,
            consent_version="v1",
            reminder_days="",
            created_by=None,
        )
        counselor = create_user(
            s,
            role=Role.COUNSELOR,
            username="bench.counselor",
            password_hash=shared,
            faculties=faculties,
            name="c",
            email="c@x.y",
        )
        s.commit()
        del counselor


if __name__ == "__main__":
    main(int(sys.argv[1]))
