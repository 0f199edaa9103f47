"""`make run`'s supervisor: web app, worker and mail sink start together and stop together."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from screening import ROOT
from screening.admin import devmail
from tests.smtp_server import free_port


def _wait(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
        return answer.status == 200


def test_ctrl_c_stops_the_web_app_the_worker_and_the_sink(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["SCREENING_ENVIRONMENT"] = "development"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    init = subprocess.run([*flask, "init"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    port, mail_port = free_port(), free_port()
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screening.devserver",
            "--port",
            str(port),
            "--mail-port",
            str(mail_port),
            "--interval",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(supervisor.stdout.readline, "")))
    reader.start()
    try:
        assert _wait(lambda: _healthy(port)), "the web app did not answer"
        assert _wait(lambda: "Worker started" in "".join(lines)), "the worker did not start"
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.edu", "b@example.edu", "hello"
        mail.set_content("body")
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=5) as smtp:
            smtp.send_message(mail)
        folder = devmail.folder_of(tmp_path / "instance")
        assert _wait(lambda: [m.subject for m in devmail.received(folder)] == ["hello"], 10)
    finally:
        os.killpg(supervisor.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        supervisor.wait(timeout=30)
        reader.join(timeout=10)
    supervisor.stdout.close()
    output = "".join(lines)
    assert supervisor.returncode == 0, output
    assert "Worker started" in output and "Development mail sink" in output
    assert f"http://127.0.0.1:{port}" in output
    # Everything is gone: nothing listens any more and no child is left in the group.
    assert not _wait(lambda: _healthy(port), 1)
    try:
        os.killpg(supervisor.pid, 0)
        leftover = True
    except ProcessLookupError:
        leftover = False
    assert not leftover, output


def test_the_children_use_the_served_address_and_the_sink() -> None:
    from screening.devserver import environment

    env = environment("127.0.0.1", 5170, 8025, 5)
    # Links in e-mail and the CAS/OIDC callbacks name the address actually served.
    assert env["SCREENING_BASE_URL"] == "http://127.0.0.1:5170"
    assert (env["SCREENING_MAIL_SERVER"], env["SCREENING_MAIL_PORT"]) == ("127.0.0.1", "8025")
    assert env["SCREENING_ENVIRONMENT"] == "development"
    assert env["SCREENING_WORKER_INTERVAL_SECONDS"] == "5"


def test_cas_login_redirects_to_the_configured_base_url(instance) -> None:
    from screening import create_app
    from tests.conftest import app_config

    app = create_app(
        app_config(
            instance, BASE_URL="http://127.0.0.1:5170", CAS_SERVER_URL="https://cas.example.edu/cas"
        )
    )
    try:
        answer = app.test_client().get("/auth/sso/cas")
        assert answer.status_code == 302
        assert "service=http%3A%2F%2F127.0.0.1%3A5170%2F" in answer.headers["Location"]
    finally:
        app.extensions["engine"].dispose()
