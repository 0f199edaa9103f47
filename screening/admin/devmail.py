"""Development mail sink: an SMTP server on loopback that keeps what it receives for a page.

Only `make run` starts it (development); the admin's "Development mail" page reads the
folder. Production sends through a real mail server and has neither the sink nor the page.
Each message is one .eml file (0600) in `<instance>/devmail` (0700); the newest 200 are kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

FOLDER = "devmail"
KEEP = 200
STAMP = "%Y%m%dT%H%M%S%f"  # file names start with the UTC time of receipt: sorted = by time


@dataclass(frozen=True)
class DevMail:
    """One received message as the page shows it."""

    key: str
    subject: str
    recipient: str
    received_at: datetime
    body: str


def folder_of(instance_path: str | Path) -> Path:
    """Where the sink of this instance folder keeps its messages."""
    return Path(instance_path) / FOLDER


def store(folder: Path, content: bytes, now: datetime | None = None) -> Path:
    """Write one received message (owner-only) and drop the oldest beyond KEEP."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime(STAMP)
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    for old in sorted(folder.glob("*.eml"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return path


def _parse(path: Path) -> DevMail:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    return DevMail(
        key=path.stem,
        subject=str(message["Subject"] or ""),
        recipient=str(message["To"] or ""),
        received_at=datetime.strptime(path.stem.split("-")[0], STAMP).replace(tzinfo=UTC),
        body=str(body),
    )


def received(folder: Path, limit: int = KEEP) -> list[DevMail]:
    """The messages the sink received, newest first."""
    if not folder.is_dir():
        return []
    return [_parse(p) for p in sorted(folder.glob("*.eml"), reverse=True)[:limit]]


class Sink:
    """aiosmtpd handler: accept every message and store it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message as received."""
        store(self.folder, bytes(envelope.content))
        return "250 OK"


def serve(folder: Path, host: str, port: int) -> None:
    """Run the sink until SIGINT or SIGTERM."""
    from aiosmtpd.controller import Controller  # development only: not loaded by the web app

    controller = Controller(Sink(folder), hostname=host, port=port)
    controller.start()
    print(f"Development mail sink on {host}:{port}, messages kept in {folder}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m screening.admin.devmail --folder DIR --port N`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    serve(args.folder, args.host, args.port)


if __name__ == "__main__":
    main()
