"""Profile the submit path in one process: where a student's form load and post spend time.

    python -m bench.profile_submit [--db sqlite|postgresql] [--students 60] [--top 30]
                                   [--statements]

Seeds a benchmark instance, logs every student in and consents through the test client, then
runs each student's PHQ-9 form load and post under cProfile and prints the milliseconds per
form load + post and the functions that cost most (cumulative time). With --statements it
first lists the SQL statements one student's form load and post send to the database.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import time
from typing import Any

from bench import harness
from bench.flows import ASSIGNMENT, TOKEN
from bench.seed import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(html: str) -> str:
    """The CSRF token of a page's form."""
    match = CSRF.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _ready_clients(app: Any, students: int) -> list[tuple[Any, int]]:
    """A logged-in test client per student, consented; (client, assignment id)."""
    ready = []
    for n in range(students):
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        client.post(
            "/auth/login",
            data={"csrf_token": _csrf(page), "login": f"B{n:07d}", "password": PASSWORD},
        )
        match = ASSIGNMENT.search(client.get("/screening/").get_data(as_text=True))
        if match is None:
            raise RuntimeError("no assignment")
        assignment = int(match.group(1))
        page = client.get(f"/screening/{assignment}/consent").get_data(as_text=True)
        client.post(
            f"/screening/{assignment}/consent", data={"csrf_token": _csrf(page), "agree": "1"}
        )
        ready.append((client, assignment))
    return ready


def _submit(client: Any, assignment: int, n: int) -> None:
    """One form load and post, as bench.flows.submit does over HTTP."""
    page = client.get(f"/screening/{assignment}/take").get_data(as_text=True)
    form_token = TOKEN.search(page)
    data = {f"phq9-q{i}": str((n + i) % 3) for i in range(1, 9)}
    data |= {
        "csrf_token": _csrf(page),
        "token": form_token.group(1) if form_token else str(n),
        "instrument": "phq9",
        "version": "1",
        "action": "submit",
        "phq9-q9": "1" if n % 10 == 0 else "0",
        "phq9-q10": "1",
    }
    response = client.post(f"/screening/{assignment}/take", data=data)
    if response.status_code != 302:
        raise RuntimeError(f"submit answered {response.status_code}")


def _list_statements(app: Any, client: Any, assignment: int) -> None:
    """Print the statements of one form load and one post, numbered, one line each."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:160])

    engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        _submit(client, assignment, 0)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    print(f"{len(seen)} statements for one form load + post:")
    for n, statement in enumerate(seen, 1):
        print(f"{n:>3} {statement}")


def main() -> None:
    """Seed, prepare the students, profile their submissions, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--statements", action="store_true", help="list one pair's SQL")
    args = parser.parse_args()
    with harness.instance(args.db) as inst:
        harness.python(
            inst.env,
            f"import sys; sys.argv=['seed']; from bench.seed import main; main({args.students})",
        )
        os.environ.update(inst.env)
        from screening import create_app

        app = create_app()
        clients = _ready_clients(app, args.students)
        if args.statements:
            _list_statements(app, *clients.pop())
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        for n, (client, assignment) in enumerate(clients):
            _submit(client, assignment, n)
        profiler.disable()
        elapsed = time.perf_counter() - start
        print(f"{args.db}: {elapsed / len(clients) * 1000:.1f} ms per form load + post (profiled)")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
