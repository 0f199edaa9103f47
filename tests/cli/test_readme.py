"""Every command the README's tables show works as written from the repository root."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from screening import ROOT

PREFIX = [".venv/bin/flask", "--app", "wsgi"]
#: Words a reader replaces, and commands that do not end by themselves.
PLACEHOLDER = re.compile(r"^(\[.*|[A-Z][A-Z_.]*(\.csv)?|…|.*….*)$")
LONG_RUNNING = {("worker",)}


def readme_commands() -> list[list[str]]:
    """Each backticked cell of a README table that starts with the flask command."""
    found = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        for cell in re.findall(r"`([^`]+)`", line):
            if ".venv/bin/flask" in cell:
                found.append(shlex.split(cell))
    return found


def _run(argv: list[str], instance: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env["SCREENING_INSTANCE_PATH"] = str(instance)
    while argv and re.match(r"^[A-Z_]+=", argv[0]):  # VAR=value before the command
        name, _, value = argv[0].partition("=")
        env[name] = value
        argv = argv[1:]
    assert argv[:3] == PREFIX, argv
    flask = ROOT / PREFIX[0]
    command = [
        str(flask) if flask.exists() else sys.executable,
        *([] if flask.exists() else ["-m", "flask"]),
    ]
    return subprocess.run(
        [*command, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_readme_commands_run_as_written(tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) >= 20  # both tables were read
    # As after `make run`: the instance folder and the demo first, then the rest in order.
    commands.sort(key=lambda argv: argv[3:] not in (["init"], ["demo"]))
    instance = tmp_path / "instance"
    ran = []
    for argv in commands:
        words = [w for w in argv if not re.match(r"^[A-Z_]+=", w)][3:]
        literal = [w for w in words if not w.startswith("-")]
        concrete = not any(PLACEHOLDER.match(w) for w in words)
        if words == ["demo"]:
            argv = [*argv, "--students", "12"]  # the same command, with fewer demo students
        if concrete and tuple(literal) not in LONG_RUNNING:
            result = _run(argv, instance)
            output = result.stdout + result.stderr
            if words == ["notify", "deliver"]:  # no mail server here: it must say so
                assert "No mail server answers" in output, output
            else:
                assert result.returncode == 0, f"{shlex.join(argv)}\n{output}"
            ran.append(" ".join(words))
        else:  # the command and every option it names exist
            path = [w for w in literal if not PLACEHOLDER.match(w)]
            path = path[
                : 2 if path and path[0] in {"users", "campaigns", "notify", "cases", "stats"} else 1
            ]
            result = _run([*argv[: argv.index(".venv/bin/flask") + 3], *path, "--help"], instance)
            assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stderr}"
            for option in re.findall(r"--[a-z-]+", " ".join(words)):
                if option != "--help":
                    assert option in result.stdout, f"{shlex.join(argv)}: {option} is not an option"
    assert "init" in ran and "demo" in ran and "demo-code admin" in ran, ran
