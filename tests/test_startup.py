"""The app refuses to start on an invalid questionnaire or an unsafe key ring, saying why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from screening import create_app
from screening.startup import StartupError
from tests.conftest import app_config

ROOT = Path(__file__).resolve().parent.parent


def test_invalid_questionnaire_stops_the_app(instance: Path, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    shutil.copytree(ROOT / "questionnaires" / "phq2", folder / "phq2")
    path = folder / "phq2" / "1.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[scoring]", "[scorin]"), "utf-8")
    with pytest.raises(StartupError, match=r"phq2/1\.toml"):
        create_app(app_config(instance, QUESTIONNAIRES_PATH=str(folder)))


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_readable_key_ring_stops_the_app(instance: Path, mode: int) -> None:
    os.chmod(instance / "keyring.json", mode)
    with pytest.raises(StartupError, match="chmod 600"):
        create_app(app_config(instance))


def test_missing_key_ring_stops_the_app(instance: Path) -> None:
    (instance / "keyring.json").unlink()
    with pytest.raises(StartupError, match="flask --app wsgi init"):
        create_app(app_config(instance))
