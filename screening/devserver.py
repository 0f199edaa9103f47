"""`make run`: the web app, the worker and a local mail sink together, stopped together.

Development runs like production: the worker escalates cases, queues reminders and sends
e-mail every few seconds to a sink on loopback, whose messages an admin reads on the
"Development mail" page. Ctrl-C (or SIGTERM) stops all three; if one of them dies, the others
are stopped too and its exit code is returned.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The instance folder the app will use (the same rule as `create_app`)."""
    return Path(os.environ.get("SCREENING_INSTANCE_PATH") or ROOT / "instance").resolve()


def environment(host: str, port: int, mail_port: int, interval: int) -> dict[str, str]:
    """The children's environment: development, the sink as mail server, a short interval."""
    env = dict(os.environ)
    env.update(
        SCREENING_ENVIRONMENT="development",
        SCREENING_BASE_URL=f"http://{host}:{port}",
        SCREENING_MAIL_SERVER="127.0.0.1",
        SCREENING_MAIL_PORT=str(mail_port),
        SCREENING_MAIL_STARTTLS="false",
        SCREENING_WORKER_INTERVAL_SECONDS=str(interval),
        PYTHONUNBUFFERED="1",
    )
    for name in ("SCREENING_MAIL_USERNAME", "SCREENING_MAIL_PASSWORD"):
        env.pop(name, None)  # the sink needs no log-in
    return env


def commands(host: str, port: int, mail_port: int) -> list[tuple[str, list[str]]]:
    """(name, argv) of the three processes, the mail sink first."""
    python = sys.executable
    flask = [python, "-m", "flask", "--app", "wsgi"]
    folder = str(instance_path() / "devmail")
    return [
        (
            "mail",
            [python, "-m", "screening.admin.devmail", "--folder", folder, "--port", str(mail_port)],
        ),
        ("web", [*flask, "run", "--host", host, "--port", str(port)]),
        ("worker", [*flask, "worker"]),
    ]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 15) -> bool:
    """True once something listens on 127.0.0.1:port; False if the process died first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _stop(children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM every child still running, then wait; kill any that lingers past ten seconds."""
    for _name, child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for _name, child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run(host: str, port: int, mail_port: int, interval: int) -> int:
    """Start the three processes and supervise them until a signal or until one exits."""
    env = environment(host, port, mail_port, interval)
    stopping = {"signal": 0}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    code = 0
    try:
        for name, argv in commands(host, port, mail_port):
            child = subprocess.Popen(argv, cwd=ROOT, env=env)  # noqa: S603 - our own commands
            children.append((name, child))
            if name == "mail" and not _wait_for_port(mail_port, child):
                print(f"The mail sink could not listen on port {mail_port}.", file=sys.stderr)
                return 1
        print(
            f"Screening runs at http://{host}:{port} with the worker (every {interval} s) and a "
            f"mail sink on 127.0.0.1:{mail_port}. Received e-mail: log in as admin, "
            "Development mail. Ctrl-C stops all three.",
            flush=True,
        )
        while not stopping["signal"]:
            for name, child in children:
                if child.poll() is not None:
                    print(f"{name} stopped (exit {child.returncode}); stopping the others.")
                    code = child.returncode or 1
                    stopping["signal"] = -1
                    break
            time.sleep(0.2)
    finally:
        _stop(children)
    return code


def main(argv: list[str] | None = None) -> int:
    """`python -m screening.devserver [--host H] [--port P] [--mail-port M] [--interval S]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--mail-port", type=int, default=8025)
    parser.add_argument("--interval", type=int, default=5, help="worker interval in seconds")
    args = parser.parse_args(argv)
    return run(args.host, args.port, args.mail_port, args.interval)


if __name__ == "__main__":
    sys.exit(main())
