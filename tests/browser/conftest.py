"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright; axe for accessibility."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page
from werkzeug.serving import make_server

from screening import create_app
from tests.conftest import app_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything here as a browser test; skip (or fail, in CI) without Chromium."""
    here = Path(__file__).parent
    missing = not Path(CHROMIUM).exists()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if missing and not os.environ.get("SCREENING_REQUIRE_BROWSER"):
                item.add_marker(
                    pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
                )


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Launch Debian's Chromium, never a downloaded browser, without network side traffic."""
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def live_app(instance: Path) -> Iterator[Flask]:
    """The app on a fresh database, served by a real HTTP server in a thread."""
    app = create_app(app_config(instance, WTF_CSRF_ENABLED=True))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["engine"].dispose()


@pytest.fixture
def base_url(live_app: Flask) -> str:
    """The live server's address."""
    return str(live_app.config["LIVE_URL"])


def _context(
    browser: Browser, base_url: str, viewport: dict[str, int], locale: str
) -> BrowserContext:
    return browser.new_context(
        base_url=base_url,
        viewport=viewport,
        locale=locale,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )


PageFactory = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[PageFactory]:
    """Open a page on a phone or desktop viewport; CSP violations and page errors fail the test."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(viewport: dict[str, int] = PHONE, locale: str = "zh-CN") -> Page:
        context = _context(browser, base_url, viewport, locale)
        contexts.append(context)
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Page) -> list[str]:
    """axe-core violations of serious or critical impact on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
