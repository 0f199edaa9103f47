"""The measured flows: a class logging in, students submitting, the reference app's submit."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from bench import load
from bench.seed import PASSWORD

ASSIGNMENT = re.compile(r'href="/screening/(\d+)/consent"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def _summary(result: load.Result) -> dict[str, Any]:
    return {
        "per_second": round(result.throughput, 1),
        "p50_ms": round(result.p50, 1),
        "p99_ms": round(result.pct(99), 1),
        "errors": result.errors,
        "count": len(result.latencies),
    }


def log_in_class(
    port: int, students: int, clients: int
) -> tuple[dict[str, Any], dict[int, dict[str, str]]]:
    """Every student logs in at once; returns figures and each student's cookies."""
    pool = [load.Client("127.0.0.1", port) for _ in range(clients)]
    jars: dict[int, dict[str, str]] = {}
    lock = threading.Lock()

    busy = [0]

    def log_in(client: load.Client, n: int) -> None:
        client.cookies = {}
        token, _ = client.csrf("/auth/login")
        form = {"csrf_token": token, "login": f"B{n:07d}", "password": PASSWORD}
        status, _, headers = client.request("POST", "/auth/login", form)
        while status == 503:  # busy: the student waits as asked and presses Log in again
            with lock:
                busy[0] += 1
            time.sleep(float(headers.get("Retry-After", "1")))
            status, _, headers = client.request("POST", "/auth/login", form)
        if status != 302:
            raise RuntimeError(f"log-in answered {status}")
        with lock:
            jars[n] = dict(client.cookies)

    observer = load.Client("127.0.0.1", port)
    others: list[float] = []
    stop = threading.Event()

    def observe() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            observer.request("GET", "/auth/login")
            others.append(time.perf_counter() - start)
            time.sleep(0.02)

    watcher = threading.Thread(target=observe)
    watcher.start()
    result = load.run("login", pool, log_in, students // clients)
    stop.set()
    watcher.join()
    for client in [*pool, observer]:
        client.close()
    figures = _summary(result)
    figures["busy"] = busy[0]
    other = load.Result("other", others, 0, 1.0)
    figures["other_page_p99_ms"] = round(other.pct(99), 1)
    return figures, jars


def consent_all(port: int, jars: dict[int, dict[str, str]], clients: int) -> dict[int, int]:
    """Untimed set-up: each student opens the campaign and agrees; returns assignment ids."""
    assignments: dict[int, int] = {}
    lock = threading.Lock()
    students = sorted(jars)
    pool = [load.Client("127.0.0.1", port) for _ in range(clients)]

    def consent(client: load.Client, index: int) -> None:
        n = students[index]
        client.cookies = dict(jars[n])
        _, page, _ = client.request("GET", "/screening/")
        match = ASSIGNMENT.search(page)
        if match is None:
            raise RuntimeError("no assignment")
        assignment = int(match.group(1))
        token, _ = client.csrf(f"/screening/{assignment}/consent")
        client.request(
            "POST", f"/screening/{assignment}/consent", {"csrf_token": token, "agree": "1"}
        )
        with lock:
            assignments[n] = assignment
            jars[n] = dict(client.cookies)

    load.run("consent", pool, consent, len(students) // clients)
    for client in pool:
        client.close()
    return assignments


def submit(
    port: int,
    jars: dict[int, dict[str, str]],
    assignments: dict[int, int],
    clients: int,
    rate: float | None = None,
) -> dict[str, Any]:
    """Each student loads the PHQ-9 page and posts answers; 1 in 10 answers item 9 (a case).

    Back to back by default (closed loop: the server's capacity), or `rate` pairs a second.
    Latency is reported per pair and per request (form load, post).
    """
    students = sorted(assignments)
    pool = [load.Client("127.0.0.1", port) for _ in range(clients)]

    def answer(client: load.Client, index: int) -> None:
        n = students[index]
        client.cookies = dict(jars[n])
        token, page = client.csrf(f"/screening/{assignments[n]}/take")
        form_token = TOKEN.search(page)
        data = {f"phq9-q{i}": str((n + i) % 3) for i in range(1, 9)}
        data.update(
            {
                "csrf_token": token,
                "token": form_token.group(1) if form_token else str(n),
                "instrument": "phq9",
                "version": "1",
                "action": "submit",
                "phq9-q9": "1" if n % 10 == 0 else "0",
                "phq9-q10": "1",
            }
        )
        status, _, headers = client.request("POST", f"/screening/{assignments[n]}/take", data)
        if status != 302 or "/receipt/" not in headers.get("Location", ""):
            raise RuntimeError(f"submit answered {status}")

    result = load.run("submit", pool, answer, len(students) // clients, rate=rate)
    for client in pool:
        client.close()
    figures = _summary(result)
    figures["form_load"] = load.request_percentiles(pool, "GET")
    figures["post"] = load.request_percentiles(pool, "POST")
    return figures


def reference_submit(port: int, operations: int, clients: int) -> dict[str, Any]:
    """The reference app: load the form, post the same fields, one row inserted."""
    pool = [load.Client("127.0.0.1", port) for _ in range(clients)]

    def answer(client: load.Client, n: int) -> None:
        status, _, _ = client.request("GET", "/form")
        data = {f"q{i}": str((n + i) % 3) for i in range(1, 10)}
        status, _, _ = client.request("POST", "/form", data)
        if status != 302:
            raise RuntimeError(f"reference answered {status}")

    result = load.run("reference", pool, answer, operations // clients)
    for client in pool:
        client.close()
    return _summary(result)
