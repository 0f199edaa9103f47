"""`make bench`: start-up, memory and log-in throughput under gunicorn on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import flows, harness

RESULTS = Path(__file__).resolve().parent / "results"


def startup_seconds(env: dict[str, str]) -> float:
    """Time to import the app and run create_app (key ring, questionnaires, checks)."""
    code = (
        "import time; t=time.perf_counter(); from screening import create_app; "
        "create_app(); print(time.perf_counter()-t)"
    )
    return min(float(harness.python(env, code)) for _ in range(3))


#: Worker counts whose submit throughput is compared on PostgreSQL.
SCALING_WORKERS = (1, 2)
#: Pairs a second of the paced run: a class of 2,000 finishing within 100 seconds.
PACED_RATE = 20.0


def _part(assignments: dict[int, int], index: int, size: int) -> dict[int, int]:
    """The index-th slice of size students (in student order) and their assignments."""
    ids = sorted(assignments)[index * size : (index + 1) * size]
    return {n: assignments[n] for n in ids}


def _measured_submit(
    server: harness.Server,
    jars: dict[int, dict[str, str]],
    part: dict[int, int],
    clients: int,
    rate: float | None = None,
) -> dict[str, Any]:
    """Warm the workers with the part's first students (untimed), then time the rest; adds the
    workers' CPU milliseconds per submission."""
    ids = sorted(part)
    warm = {n: part[n] for n in ids[: 2 * clients]}
    timed = {n: part[n] for n in ids[2 * clients :]}
    flows.submit(server.port, jars, warm, clients)
    cpu = server.cpu_seconds()
    figures = flows.submit(server.port, jars, timed, clients, rate=rate)
    figures["cpu_ms_per_submit"] = round(
        (server.cpu_seconds() - cpu) * 1000 / max(figures["count"], 1), 1
    )
    return figures


def bench_database(kind: str, students: int, clients: int, threads: int) -> dict[str, Any]:
    """Every measurement on one database."""
    # Parts of the students: closed loop, paced, and (PostgreSQL) one worker instead of two.
    parts = 3 if kind == "postgresql" else 2
    seeded = students * parts
    with harness.instance(kind) as inst:
        harness.python(
            inst.env,
            f"import sys; sys.argv=['seed']; from bench.seed import main; main({seeded})",
        )
        figures: dict[str, Any] = {
            "database": kind,
            "startup_s": round(startup_seconds(inst.env), 3),
            "threads": threads,
        }
        with harness.gunicorn(inst.env, threads=threads) as server:
            figures["gunicorn_ready_s"] = round(server.ready_seconds, 2)
            figures["login"], jars = flows.log_in_class(server.port, seeded, clients)
            assignments = flows.consent_all(server.port, jars, clients)
            part = _part(assignments, 0, students)
            figures["submit"] = _measured_submit(server, jars, part, clients)
            part = _part(assignments, 1, students)
            figures["paced"] = _measured_submit(server, jars, part, clients, rate=PACED_RATE)
            figures["peak_rss_mb_per_worker"] = [round(x, 1) for x in server.peak_rss_mb()]
        # More workers must mean more throughput: nothing may serialise every writer.
        figures["scaling"] = {}
        if kind == "postgresql":
            figures["scaling"]["2"] = figures["submit"]
            with harness.gunicorn(inst.env, workers=1, threads=threads) as server:
                part = _part(assignments, 2, students)
                figures["scaling"]["1"] = _measured_submit(server, jars, part, clients)
        with harness.gunicorn(
            inst.env, app="bench.reference_app:app", threads=threads
        ) as reference:
            figures["reference"] = flows.reference_submit(reference.port, students, clients)
        figures["submit_vs_reference"] = round(
            figures["submit"]["per_second"] / max(figures["reference"]["per_second"], 0.001), 2
        )
        return figures


def _pair(run: dict[str, Any]) -> str:
    return f"{run['form_load']['p99_ms']}/{run['post']['p99_ms']}"


def _scaling(figures: dict[str, Any], workers: int) -> str:
    run = figures["scaling"].get(str(workers))
    return f"{run['per_second']}, {run['cpu_ms_per_submit']}" if run else "-"


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of the figures, one column per database."""
    keys = [
        ("start-up (create_app), s", lambda f: f["startup_s"], "< 1"),
        ("log-ins per second", lambda f: f["login"]["per_second"], ">= 17 (2,000 in 2 min)"),
        ("log-in p99, ms", lambda f: f["login"]["p99_ms"], ""),
        ("log-ins told to retry (busy)", lambda f: f["login"]["busy"], ""),
        ("other page p99 during log-ins, ms", lambda f: f["login"]["other_page_p99_ms"], ""),
        ("submits per second (form + post)", lambda f: f["submit"]["per_second"], ""),
        ("submit pair p50, ms", lambda f: f["submit"]["p50_ms"], ""),
        ("submit pair p99, ms", lambda f: f["submit"]["p99_ms"], "< 100"),
        ("  form load p99, ms", lambda f: f["submit"]["form_load"]["p99_ms"], ""),
        ("  post p99, ms", lambda f: f["submit"]["post"]["p99_ms"], ""),
        ("worker CPU per submission, ms", lambda f: f["submit"]["cpu_ms_per_submit"], ""),
        (
            f"pair p99 at {PACED_RATE:g}/s (paced), ms",
            lambda f: f["paced"]["p99_ms"],
            "< 100",
        ),
        ("  form load / post p99 paced, ms", lambda f: _pair(f["paced"]), ""),
        ("reference submits per second", lambda f: f["reference"]["per_second"], ""),
        ("submit / reference", lambda f: f["submit_vs_reference"], ">= 0.6"),
        (
            "errors (log-in, submit)",
            lambda f: f"{f['login']['errors']},{f['submit']['errors']}",
            "0,0",
        ),
        ("peak RSS per worker, MB", lambda f: max(f["peak_rss_mb_per_worker"] or [0]), "< 150"),
        *[
            (
                f"submits/s, CPU ms each: {w} worker{'s' if w > 1 else ''}",
                lambda f, w=w: _scaling(f, w),
                "rises with workers" if w > 1 else "",
            )
            for w in SCALING_WORKERS
        ],
    ]
    lines = [f"{'measure':<40}" + "".join(f"{r['database']:>14}" for r in rows) + "  target"]
    for label, get, target in keys:
        lines.append(f"{label:<40}" + "".join(f"{get(r)!s:>14}" for r in rows) + f"  {target}")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and write bench/results/<time>.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=16, help="threads per gunicorn worker (two workers)"
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [bench_database(kind, args.students, args.clients, args.threads) for kind in kinds]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(rows, indent=2))
    print(table(rows))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
