"""`make bench`: start-up, memory and log-in throughput under gunicorn on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import harness, load
from bench.seed import PASSWORD

RESULTS = Path(__file__).resolve().parent / "results"


def startup_seconds(env: dict[str, str]) -> float:
    """Time to import the app and run create_app (key ring, questionnaires, checks)."""
    code = (
        "import time; t=time.perf_counter(); from screening import create_app; "
        "create_app(); print(time.perf_counter()-t)"
    )
    return min(float(harness.python(env, code)) for _ in range(3))


def login_bench(server: harness.Server, students: int, clients: int) -> dict[str, Any]:
    """A class logging in at once: log-ins per second, and a page's latency meanwhile."""
    pool = [load.Client("127.0.0.1", server.port) for _ in range(clients)]
    per_client = students // clients

    def log_in(client: load.Client, n: int) -> None:
        client.cookies.clear()
        token, _ = client.csrf("/auth/login")
        status, _, _ = client.request(
            "POST", "/auth/login", {"csrf_token": token, "login": f"B{n:07d}", "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"log-in answered {status}")

    # Meanwhile one other client keeps loading a light page: hashing must not starve it.
    observer = load.Client("127.0.0.1", server.port)
    latencies: list[float] = []
    stop = {"flag": False}

    def observe() -> None:
        while not stop["flag"]:
            start = time.perf_counter()
            observer.request("GET", "/auth/login")
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)

    import threading

    watcher = threading.Thread(target=observe)
    watcher.start()
    result = load.run("login", pool, log_in, per_client)
    stop["flag"] = True
    watcher.join()
    other = load.Result("other", latencies, 0, 1.0)
    for client in [*pool, observer]:
        client.close()
    return {
        "logins_per_second": round(result.throughput, 1),
        "login_p50_ms": round(result.p50, 1),
        "login_p99_ms": round(result.pct(99), 1),
        "errors": result.errors,
        "other_page_p50_ms": round(other.p50, 1),
        "other_page_p99_ms": round(other.pct(99), 1),
    }


def bench_database(kind: str, students: int, clients: int) -> dict[str, Any]:
    """Every measurement on one database."""
    with harness.instance(kind) as inst:
        harness.python(
            inst.env,
            f"import sys; sys.argv=['seed']; from bench.seed import main; main({students})",
        )
        figures: dict[str, Any] = {
            "database": kind,
            "startup_s": round(startup_seconds(inst.env), 3),
        }
        with harness.gunicorn(inst.env) as server:
            figures["gunicorn_ready_s"] = round(server.ready_seconds, 2)
            figures["login"] = login_bench(server, students, clients)
            figures["peak_rss_mb_per_worker"] = [round(x, 1) for x in server.peak_rss_mb()]
        return figures


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of the figures, one column per database."""
    keys = [
        ("start-up (create_app), s", lambda f: f["startup_s"], "< 1"),
        ("log-ins per second", lambda f: f["login"]["logins_per_second"], ">= 17 (2,000 in 2 min)"),
        ("log-in p99, ms", lambda f: f["login"]["login_p99_ms"], ""),
        ("other page p99 during log-ins, ms", lambda f: f["login"]["other_page_p99_ms"], ""),
        ("peak RSS per worker, MB", lambda f: max(f["peak_rss_mb_per_worker"] or [0]), "< 150"),
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
