"""Configuration precedence and the refusal of insecure settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import create_app
from screening.config import ConfigError, validate
from tests.conftest import app_config


def test_precedence_defaults_instance_env_test(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (instance / "config.py").write_text(
        'MAIL_FROM = "from-instance@x"\nBASE_URL = "https://instance"\nSMALL_CELL_MINIMUM = 7\n'
    )
    monkeypatch.setenv("SCREENING_BASE_URL", "https://env")
    monkeypatch.setenv("SCREENING_SMALL_CELL_MINIMUM", "8")
    app = create_app(app_config(instance, SMALL_CELL_MINIMUM=9))
    assert app.config["MAIL_PORT"] == 25  # default
    assert app.config["MAIL_FROM"] == "from-instance@x"  # instance/config.py over default
    assert app.config["BASE_URL"] == "https://env"  # environment over instance
    assert app.config["SMALL_CELL_MINIMUM"] == 9  # test mapping over environment
    app.extensions["engine"].dispose()


def test_instance_path_from_environment(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(instance))
    config = app_config(instance)
    del config["INSTANCE_PATH"]
    app = create_app(config)
    assert Path(app.instance_path) == instance.resolve()
    app.extensions["engine"].dispose()


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "dev"}, "SECRET_KEY is missing or insecure"),
        ({"DEBUG": True}, "DEBUG is on"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ],
)
def test_production_refuses_insecure_settings(overrides: dict[str, object], fragment: str) -> None:
    config = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "x" * 40,
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
    }
    config.update(overrides)
    with pytest.raises(ConfigError, match=fragment):
        validate(config)


def test_production_app_refuses_to_start_without_secret(instance: Path) -> None:
    with pytest.raises(ConfigError, match="flask --app wsgi init"):
        create_app(
            app_config(
                instance, ENVIRONMENT="production", SECRET_KEY=None, SESSION_COOKIE_SECURE=True
            )
        )


def test_secure_production_config_is_accepted() -> None:
    validate(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "s" * 64,
            "DEBUG": False,
            "SESSION_COOKIE_SECURE": True,
        }
    )


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="SCREENING_ENVIRONMENT"):
        validate({"ENVIRONMENT": "staging"})
