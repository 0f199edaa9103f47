"""The lock file pins every requirement at its stated version, each with its hashes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (comments and -r lines skipped)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_name(match.group(1))] = match.group(2)
    return found


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of requirements.lock."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            entries[_name(match.group(1))] = (match.group(2), block.count("--hash=sha256:"))
    return entries


def test_every_requirement_is_locked_at_its_pinned_version() -> None:
    locked = _locked()
    wanted = {**_pins(ROOT / "requirements.txt"), **_pins(ROOT / "requirements-dev.txt")}
    stale = {n: v for n, v in wanted.items() if locked.get(n, ("", 0))[0] != v}
    assert not stale, f"run `make lock`: {stale}"


def test_every_locked_package_has_hashes() -> None:
    locked = _locked()
    assert len(locked) > 40  # the transitive dependencies are there too
    assert {n for n, (_v, hashes) in locked.items() if hashes == 0} == set()
