"""Setting up a benchmark instance and serving it with gunicorn on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
WEB_UNIT = "screening-web.service"
WORKER_UNIT = "screening-worker.service"


@dataclass
class Instance:
    """A prepared instance folder and the environment that selects it."""

    folder: Path
    env: dict[str, str]
    kind: str


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True
    )


@contextmanager
def instance(kind: str) -> Iterator[Instance]:
    """A fresh instance (secret, key ring, schema) on SQLite or a new PostgreSQL database."""
    with tempfile.TemporaryDirectory(prefix="screening-bench-") as tmp:
        folder = Path(tmp) / "instance"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
        # Bytecode is cached as on any installed server (here outside the source tree), so
        # start-up is measured without compiling every module again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            {
                "SCREENING_INSTANCE_PATH": str(folder),
                "SCREENING_ENVIRONMENT": "production",
                "PYTHONPATH": str(ROOT),
                "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"),
            }
        )
        database = f"screening_bench_{os.getpid()}"
        if kind == "postgresql":
            _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            _psql(f"CREATE DATABASE {database}")
            env["SCREENING_DATABASE_URL"] = f"{PG}/{database}"
        try:
            flask(env, "init")
            yield Instance(folder, env, kind)
        finally:
            if kind == "postgresql":
                _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def unit_command(unit: str) -> list[str]:
    """The command line a systemd unit of deploy/ runs, with this checkout's Python: the
    tests and benchmarks start exactly what the deployment guide installs."""
    for line in (ROOT / "deploy" / unit).read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            program, *args = line.removeprefix("ExecStart=").split()
            return [sys.executable, "-m", Path(program).name, *args]
    raise ValueError(f"deploy/{unit} has no ExecStart")


def flask(env: dict[str, str], *args: str, stdin: str = "") -> str:
    """Run a flask command of the app; raise with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def python(env: dict[str, str], code: str) -> str:
    """Run a Python snippet in the app's environment; return its standard output."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running gunicorn master."""

    process: subprocess.Popen[bytes]
    port: int
    ready_seconds: float

    def worker_pids(self) -> list[int]:
        """The master's worker processes."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, including workers the
        master has already replaced (max_requests): those count in the master's cutime."""
        ticks = os.sysconf("SC_CLK_TCK")

        def stat(pid: int) -> list[str]:
            try:
                return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                return []

        master = stat(self.process.pid)
        total = (int(master[13]) + int(master[14])) / ticks if master else 0.0
        for pid in self.worker_pids():
            fields = stat(pid)
            if fields:
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total

    def peak_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker, in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks


@contextmanager
def gunicorn(
    env: dict[str, str], app: str = "wsgi:app", workers: int = 2, threads: int = 16
) -> Iterator[Server]:
    """Serve an app under gunicorn with the deployment's configuration; wait until it answers."""
    port = free_port()
    run_env = dict(
        env,
        SCREENING_BIND=f"127.0.0.1:{port}",
        SCREENING_WORKERS=str(workers),
        SCREENING_THREADS=str(threads),
    )
    start = time.perf_counter()
    # The log goes to a file: an unread pipe would block gunicorn once its buffer is full.
    with tempfile.TemporaryFile() as log:
        command = [app if arg == "wsgi:app" else arg for arg in unit_command(WEB_UNIT)]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(run_env, GUNICORN_CMD_ARGS="--access-logfile /dev/null"),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        err = log.read().decode(errors="replace")
                        raise RuntimeError(f"gunicorn did not start:\n{err[-3000:]}") from None
                    time.sleep(0.05)
            yield Server(process, port, time.perf_counter() - start)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
