"""Two app processes and two workers on one PostgreSQL behave as one system.

Each app process is a gunicorn master started with the deployment's configuration
(deploy/gunicorn.conf.py), production settings, rate limits in Redis and the same instance
folder; two `flask worker` processes deliver the outbox to a real SMTP server. Runs only when
the suite runs against PostgreSQL (SCREENING_TEST_DATABASE_URL): SQLite is the one-machine
default, never several hosts.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import harness
from bench.load import Client
from screening import create_app
from screening.auth.models import Role, User
from screening.auth.services import create_user, get_or_create_cohort, get_or_create_faculty
from screening.campaigns.services import create_campaign
from screening.cases.models import Case, OnCallShift
from screening.db import make_engine, utcnow
from screening.notify.models import OutboxMessage
from screening.notify.services import enqueue
from tests.conftest import PASSWORD, PG_URL, enrol_mfa, temporary_database, totp_code
from tests.smtp_server import Mailbox, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="several processes share PostgreSQL, not SQLite"),
]

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = re.compile(r'href="/screening/(\d+)/consent"')
FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')
STUDENTS = 8
EXTRA_MESSAGES = 120


@dataclass
class Cluster:
    """The running system: two app ports, the shared database, the mailbox, the workers."""

    ports: tuple[int, int]
    env: dict[str, str]
    app: Flask
    db: Session
    mailbox: Mailbox
    counselors: list[tuple[User, str]] = field(default_factory=list)
    students: list[str] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    browsers: list[Client] = field(default_factory=list)

    def client(self, node: int) -> Client:
        """A browser talking to app process 0 or 1 (closed after the test)."""
        browser = Client("127.0.0.1", self.ports[node])
        self.browsers.append(browser)
        return browser


@pytest.fixture(autouse=True)
def _close_browsers(cluster: Cluster) -> Iterator[None]:
    yield
    while cluster.browsers:
        cluster.browsers.pop().close()


def _seed(db: Session, library: object) -> tuple[list[tuple[User, str]], list[str]]:
    """Two counselors with authenticators (the first on call), students, an open campaign.

    The counselors serve no faculty yet, so the cases the students open wait unassigned
    for someone to claim them.
    """
    faculty = get_or_create_faculty(db, "CS", "Computer Science", "计算机学院")
    cohort = get_or_create_cohort(db, 2025)
    counselors = []
    for n in (1, 2):
        user = create_user(
            db,
            role=Role.COUNSELOR,
            username=f"counselor{n}",
            password=PASSWORD,
            faculties=[],
            name=f"Counselor {n}",
            email=f"counselor{n}@example.edu",
        )
        db.commit()
        counselors.append((user, enrol_mfa(db, user)))
    now = utcnow()
    db.add(
        OnCallShift(
            user_id=counselors[0][0].id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )
    )
    numbers = [f"C{n:07d}" for n in range(STUDENTS)]
    for number in numbers:
        create_user(
            db,
            role=Role.STUDENT,
            student_number=number,
            password=PASSWORD,
            name=f"Student {number}",
            email=f"{number.lower()}@example.edu",
            faculty=faculty,
            cohort=cohort,
        )
    create_campaign(
        db,
        library,
        name="cluster",
        instruments=["phq9"],
        steps={},
        faculties=[faculty],
        cohorts=[cohort],
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        show_results=False,
        consent_version="v1",
        reminder_days="",
        created_by=None,
    )
    db.commit()
    return counselors, numbers


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Start the system on a database of its own; stop every process afterwards."""
    assert PG_URL
    folder = tmp_path_factory.mktemp("cluster") / "instance"
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with ExitStack() as stack:
        stack.callback(smtp.stop)
        url = stack.enter_context(temporary_database(PG_URL, "cluster"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
        env.update(
            SCREENING_ENVIRONMENT="production",
            SCREENING_INSTANCE_PATH=str(folder),
            SCREENING_DATABASE_URL=url,
            SCREENING_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            SCREENING_RATELIMIT_KEY_PREFIX=f"cluster-test-{os.getpid()}-{time.time_ns()}",
            SCREENING_LOGIN_ACCOUNT_ATTEMPTS="4",
            SCREENING_MAIL_SERVER="127.0.0.1",
            SCREENING_MAIL_PORT=str(smtp.port),
            SCREENING_WORKER_INTERVAL_SECONDS="1",
            PYTHONPATH=str(ROOT),
        )
        harness.flask(env, "init")
        app = create_app({"ENVIRONMENT": "test", "INSTANCE_PATH": str(folder), "DATABASE_URL": url})
        stack.callback(app.extensions["engine"].dispose)
        engine = make_engine(url, immediate=False)
        stack.callback(engine.dispose)
        db = Session(engine, expire_on_commit=False, info={"app": app})
        stack.callback(db.close)
        counselors, students = _seed(db, app.extensions["library"])
        first = stack.enter_context(harness.gunicorn(env, workers=1, threads=4))
        second = stack.enter_context(harness.gunicorn(env, workers=1, threads=4))
        system = Cluster((first.port, second.port), env, app, db, mailbox, counselors, students)
        stack.callback(_stop, system)
        yield system


def _stop(system: Cluster) -> None:
    for worker in system.workers:
        worker.terminate()
    for worker in system.workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _start_workers(system: Cluster, count: int) -> None:
    for _ in range(count):
        system.workers.append(
            subprocess.Popen(
                harness.unit_command(harness.WORKER_UNIT),
                cwd=ROOT,
                env=system.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )


def _csrf_post(client: Client, page: str, path: str, form: dict[str, str]) -> tuple[int, str]:
    """Load a page for its CSRF token, post a form; return the status and the Location."""
    token, _ = client.csrf(page)
    status, _, headers = client.request("POST", path, {"csrf_token": token, **form})
    return status, headers.get("Location", "")


def _log_in(client: Client, login: str, password: str = PASSWORD) -> int:
    status, _ = _csrf_post(
        client, "/auth/login", "/auth/login", {"login": login, "password": password}
    )
    return status


def _log_in_counselor(system: Cluster, node: int, index: int) -> Client:
    user, secret = system.counselors[index]
    client = system.client(node)
    status, location = _csrf_post(
        client, "/auth/login", "/auth/login", {"login": user.username or "", "password": PASSWORD}
    )
    assert (status, location) == (302, "/auth/mfa")
    status, _ = _csrf_post(
        client, "/auth/mfa", "/auth/mfa", {"code": totp_code(system.db, user, secret)}
    )
    assert status == 302
    return client


def _answer_crisis(client: Client) -> None:
    """Consent and submit a PHQ-9 whose item 9 is positive (a crisis case)."""
    _, page, _ = client.request("GET", "/screening/")
    match = ASSIGNMENT.search(page)
    assert match, page
    assignment = match.group(1)
    consent = f"/screening/{assignment}/consent"
    assert _csrf_post(client, consent, consent, {"agree": "1"})[0] == 302
    take = f"/screening/{assignment}/take"
    token, page = client.csrf(take)
    form_token = FORM_TOKEN.search(page)
    assert form_token
    answers = {f"phq9-q{i}": "1" for i in range(1, 9)}
    answers.update(csrf_token=token, token=form_token.group(1), instrument="phq9", action="submit")
    answers.update({"version": "1", "phq9-q9": "2", "phq9-q10": "1"})
    status, _, headers = client.request("POST", take, answers)
    assert status == 302 and "/receipt/" in headers["Location"]
    _, receipt, _ = client.request("GET", headers["Location"])
    assert "crisis" in receipt.lower() or "help" in receipt.lower()


def test_a_session_started_on_one_process_is_honoured_and_ended_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.client(0), cluster.client(1)
    assert _log_in(a, cluster.students[0]) == 302
    b.cookies = dict(a.cookies)
    status, page, _ = b.request("GET", "/screening/")
    assert status == 200 and "/screening/" in page
    status, _ = _csrf_post(b, "/screening/", "/auth/logout", {})
    assert status == 302
    status, _, headers = a.request("GET", "/screening/")  # the cookie a still holds is dead
    assert status == 302 and "/auth/login" in headers["Location"]


def test_failed_log_ins_are_counted_across_processes(cluster: Cluster) -> None:
    login = cluster.students[1]
    statuses = []
    for attempt in range(5):  # a, b, a, b, a: each process alone has seen at most three
        client = cluster.client(attempt % 2)
        statuses.append(_log_in(client, login, "wrong password"))
    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4] == 429
    refused = cluster.client(1)
    assert _log_in(refused, login, "wrong password") == 429


def test_two_counselors_on_two_processes_claim_a_case_and_exactly_one_wins(
    cluster: Cluster,
) -> None:
    for number in cluster.students[2:]:
        student = cluster.client(int(number[-1]) % 2)
        assert _log_in(student, number) == 302
        _answer_crisis(student)
    cases = cluster.db.scalars(select(Case.id).where(Case.assignee_id.is_(None))).all()
    assert len(cases) == STUDENTS - 2
    faculty = get_or_create_faculty(cluster.db, "CS")
    for user, _ in cluster.counselors:  # the faculty's counselors arrive
        cluster.db.merge(user).faculties.append(faculty)
    cluster.db.commit()
    first, second = _log_in_counselor(cluster, 0, 0), _log_in_counselor(cluster, 1, 1)
    tokens = [c.csrf(f"/cases/{cases[0]}")[0] for c in (first, second)]
    for case_id in cases:
        barrier = threading.Barrier(2)
        landed: dict[int, str] = {}

        def claim(
            index: int,
            client: Client,
            case_id: int = case_id,
            barrier: threading.Barrier = barrier,
            landed: dict[int, str] = landed,
        ) -> None:
            barrier.wait()
            status, _, headers = client.request(
                "POST", f"/cases/{case_id}/claim", {"csrf_token": tokens[index]}
            )
            assert status == 302
            _, page, _ = client.request("GET", headers["Location"])
            landed[index] = page

        threads = [
            threading.Thread(target=claim, args=(i, c)) for i, c in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken = [i for i, page in landed.items() if "Another counselor claimed this case" in page]
        assert len(landed) == 2 and len(taken) == 1, f"case {case_id}: {taken}"
        cluster.db.expire_all()
        case = cluster.db.get(Case, case_id)
        assert case is not None
        winner = cluster.counselors[1 - taken[0]][0]
        assert case.assignee_id == winner.id


def test_two_workers_deliver_every_outbox_message_exactly_once(cluster: Cluster) -> None:
    counselor = cluster.counselors[1][0]
    for n in range(EXTRA_MESSAGES):
        enqueue(cluster.db, recipient_id=counselor.id, kind="case.new", link_path=f"/cases/{n}")
    cluster.db.commit()
    total = cluster.db.scalar(select(func.count()).select_from(OutboxMessage))
    assert total is not None and total > EXTRA_MESSAGES  # and the crisis alerts of the cases
    _start_workers(cluster, 2)
    deadline = time.monotonic() + 60
    while len(cluster.mailbox.messages) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # two more rounds of both workers: nothing may go out twice
    ids = [m["Message-ID"] for m in cluster.mailbox.messages]
    assert len(ids) == total
    assert len(set(ids)) == total
    pending = cluster.db.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
    )
    assert pending == 0


def test_the_audit_chain_written_by_every_process_verifies(cluster: Cluster) -> None:
    out = harness.flask(cluster.env, "audit", "verify")
    assert "BROKEN" not in out
    assert re.search(r"chain \d+: \d+ entries, OK", out)
