"""`questionnaires check | list | score | export-fhir`: the instrument library from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from screening.instruments import (
    AnswerError,
    DefinitionError,
    Library,
    answer_errors,
    format_problems,
    load_library,
    score,
)
from screening.instruments.fhir import to_fhir_questionnaire


@click.group("questionnaires")
def questionnaires_group() -> None:
    """Check, list, score and export questionnaire definitions."""


def _library(path: Path | None) -> Library:
    """Load the library from a folder (default: the configured one), or stop with the report."""
    folder = path or Path(current_app.config["QUESTIONNAIRES_PATH"])
    try:
        return load_library(folder)
    except DefinitionError as exc:
        click.echo(format_problems(exc.problems), err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the definitions.") from exc


@questionnaires_group.command("check")
@click.option("--path", type=click.Path(file_okay=False, path_type=Path), default=None)
@with_appcontext
def check_command(path: Path | None) -> None:
    """Validate every definition file; print every problem; exit non-zero on any."""
    library = _library(path)
    click.echo(f"{len(library.all())} definition file(s) valid.")


@questionnaires_group.command("list")
@with_appcontext
def list_command() -> None:
    """Show the installed instruments: version, validated, enabled, languages, provenance."""
    library = _library(None)
    enabled = {i.id for i in library.latest() if i.enabled_by_default}
    click.echo(f"{'id':<26}{'ver':>4}  {'validated':<10}{'enabled':<9}{'languages':<14}provenance")
    for inst in library.latest():
        provenance = ", ".join(f"{k}={v}" for k, v in inst.provenance.items())
        click.echo(
            f"{inst.id:<26}{inst.version:>4}  {'yes' if inst.validated else 'no':<10}"
            f"{'yes' if inst.id in enabled else 'no':<9}{','.join(inst.languages):<14}{provenance}"
        )


def score_line(library: Library, line: str) -> tuple[dict[str, Any], bool]:
    """Score one JSON line; return the output object and whether it was valid."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"errors": [f"not JSON: {exc.msg} at column {exc.colno}"]}, False
    if not isinstance(request, dict):
        return {"errors": ["each line must be a JSON object"]}, False
    instrument_id = request.get("instrument")
    answers = request.get("answers")
    context = request.get("context") or {}
    errors = []
    if not isinstance(instrument_id, str):
        errors.append("instrument: missing or not a string")
    if not isinstance(answers, dict):
        errors.append("answers: missing or not an object")
    if not isinstance(context, dict):
        errors.append("context: not an object")
    if errors or not isinstance(answers, dict):
        return {"errors": errors}, False
    try:
        version = request.get("version")
        inst = library.get(str(instrument_id), int(version) if version is not None else None)
    except (KeyError, ValueError, TypeError):
        return {"errors": [f"instrument: unknown instrument {instrument_id!r}"]}, False
    problems = answer_errors(inst, answers, context=context)
    if problems:
        return {"errors": [f"{item}: {p.message}" for item, p in problems.items()]}, False
    try:
        result = score(inst, answers, context=context).to_json()
    except AnswerError as exc:
        return {"errors": [f"{item}: {p.message}" for item, p in exc.problems.items()]}, False
    keys = (
        "instrument",
        "version",
        "total",
        "subscales",
        "band",
        "critical",
        "alert_level",
        "fired",
    )
    return {k: result[k] for k in keys}, True


@questionnaires_group.command("score")
@with_appcontext
def score_command() -> None:
    """Score JSON lines from standard input: {"instrument", "answers", "context"} per line."""
    library = _library(None)
    failed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        output, ok = score_line(library, line)
        failed = failed or not ok
        click.echo(json.dumps(output, ensure_ascii=False, sort_keys=True))
    if failed:
        sys.exit(1)


@questionnaires_group.command("export-fhir")
@click.argument("instrument_id")
@click.option("--version", type=int, default=None)
@click.option("--lang", default=None, help="Language of the texts (default: the first declared).")
@with_appcontext
def export_fhir_command(instrument_id: str, version: int | None, lang: str | None) -> None:
    """Write a FHIR R4 Questionnaire (JSON) for an instrument to standard output."""
    library = _library(None)
    try:
        inst = library.get(instrument_id, version)
    except KeyError as exc:
        raise click.ClickException(f"No instrument {instrument_id!r}.") from exc
    document = to_fhir_questionnaire(inst, lang or inst.languages[0])
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))
