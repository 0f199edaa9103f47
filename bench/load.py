"""A small closed-loop HTTP load driver: N clients on keep-alive connections, latencies kept."""

from __future__ import annotations

import http.client
import re
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


class Client:
    """One browser-like client: a keep-alive connection and a cookie jar."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.conn: http.client.HTTPConnection = (
            http.client.HTTPSConnection(host, port, timeout=60, context=tls)
            if tls
            else http.client.HTTPConnection(host, port, timeout=60)
        )
        self.cookies: dict[str, str] = {}
        #: Headers sent with every request (a browser's Host and Referer, say).
        self.headers = dict(headers or {})
        #: (method, seconds) of every request, for per-request percentiles.
        self.timings: list[tuple[str, float]] = []

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        """Send a request; follow no redirects; return status, body and headers."""
        headers = {"Accept-Language": "en", **self.headers, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.timings.append((method, time.perf_counter() - start))
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, text, dict(response.headers)

    def csrf(self, path: str) -> tuple[str, str]:
        """GET a form page and return (csrf token, page)."""
        status, text, _ = self.request("GET", path)
        match = CSRF.search(text)
        if status != 200 or match is None:
            raise RuntimeError(f"no form at {path}: {status}")
        return match.group(1) or match.group(2), text

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


@dataclass
class Result:
    """Latencies (seconds) and errors of one load run."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        """Completed operations per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        """Median latency in milliseconds."""
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def run(
    name: str,
    clients: list[Client],
    operation: Callable[[Client, int], None],
    operations_per_client: int,
    rate: float | None = None,
) -> Result:
    """Each client performs its operations back to back (closed loop); or, given a rate, the
    operations start on a fixed schedule of `rate` per second in all (open loop), and each is
    timed from its scheduled start so a server that falls behind is not flattered."""
    result = Result(name)
    lock = threading.Lock()

    def worker(client: Client, offset: int) -> None:
        for n in range(operations_per_client):
            start = time.perf_counter()
            if rate:
                start = began + (n * len(clients) + offset) / rate
                time.sleep(max(0.0, start - time.perf_counter()))
            try:
                operation(client, offset * operations_per_client + n)
            except Exception:
                with lock:
                    result.errors += 1
                continue
            elapsed = time.perf_counter() - start
            with lock:
                result.latencies.append(elapsed)

    threads = [threading.Thread(target=worker, args=(c, i)) for i, c in enumerate(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


def request_percentiles(clients: list[Client], method: str) -> dict[str, float]:
    """p50 and p99 (ms) of the clients' requests of one method."""
    times = Result(method, [t for c in clients for m, t in c.timings if m == method])
    return {"p50_ms": round(times.p50, 1), "p99_ms": round(times.pct(99), 1)}
