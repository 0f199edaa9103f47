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


#: Worker counts whose submit throughput is compared on PostgreSQL (8 threads each).
SCALING_WORKERS = (1, 2)


def _part(assignments: dict[int, int], index: int, size: int) -> dict[int, int]:
    """The index-th slice of size students (in student order) and their assignments."""
    ids = sorted(assignments)[index * size : (index + 1) * size]
    return {n: assignments[n] for n in ids}


def bench_database(kind: str, students: int, clients: int) -> dict[str, Any]:
    """Every measurement on one database."""
    scaling = SCALING_WORKERS if kind == "postgresql" else ()
    seeded = students * (1 + len(scaling))
    with harness.instance(kind) as inst:
        harness.python(
            inst.env,
            f"import sys; sys.argv=['seed']; from bench.seed import main; main({seeded})",
        )
        figures: dict[str, Any] = {
            "database": kind,
            "startup_s": round(startup_seconds(inst.env), 3),
        }
        with harness.gunicorn(inst.env) as server:
            figures["gunicorn_ready_s"] = round(server.ready_seconds, 2)
            figures["login"], jars = flows.log_in_class(server.port, seeded, clients)
            assignments = flows.consent_all(server.port, jars, clients)
            figures["submit"] = flows.submit(
                server.port, jars, _part(assignments, 0, students), clients
            )
            figures["peak_rss_mb_per_worker"] = [round(x, 1) for x in server.peak_rss_mb()]
        # More workers must mean more throughput: nothing may serialise every writer.
        figures["scaling"] = {}
        for index, workers in enumerate(scaling, 1):
            with harness.gunicorn(inst.env, workers=workers) as server:
                part = _part(assignments, index, students)
                result = flows.submit(server.port, jars, part, clients)
            figures["scaling"][str(workers)] = result["per_second"]
        with harness.gunicorn(inst.env, app="bench.reference_app:app") as reference:
            figures["reference"] = flows.reference_submit(reference.port, students, clients)
        figures["submit_vs_reference"] = round(
            figures["submit"]["per_second"] / max(figures["reference"]["per_second"], 0.001), 2
        )
        return figures


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of the figures, one column per database."""
    keys = [
        ("start-up (create_app), s", lambda f: f["startup_s"], "< 1"),
        ("log-ins per second", lambda f: f["login"]["per_second"], ">= 17 (2,000 in 2 min)"),
        ("log-in p99, ms", lambda f: f["login"]["p99_ms"], ""),
        ("other page p99 during log-ins, ms", lambda f: f["login"]["other_page_p99_ms"], ""),
        ("submits per second (form + post)", lambda f: f["submit"]["per_second"], ""),
        ("submit p50, ms", lambda f: f["submit"]["p50_ms"], ""),
        ("submit p99, ms", lambda f: f["submit"]["p99_ms"], "< 100"),
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
                f"submits per second, {w} worker{'s' if w > 1 else ''}",
                lambda f, w=w: f["scaling"].get(str(w), "-"),
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
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [bench_database(kind, args.students, args.clients) for kind in kinds]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(rows, indent=2))
    print(table(rows))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
