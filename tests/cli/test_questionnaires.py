"""`questionnaires check | list | score | export-fhir` through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flask.testing import FlaskCliRunner

ROOT = Path(__file__).resolve().parents[2]


def _phq9(**answers: int) -> dict[str, int]:
    base = {f"q{i}": 0 for i in range(1, 10)}
    base.update(answers)
    return base


def test_check_passes_on_the_library(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_check_reports_every_broken_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    shutil.copytree(ROOT / "questionnaires" / "phq9", folder / "phq9")
    shutil.copytree(ROOT / "questionnaires" / "gad7", folder / "gad7")
    phq9 = folder / "phq9" / "1.toml"
    phq9.write_text(phq9.read_text(encoding="utf-8") + "\nsurprise = 1\n", encoding="utf-8")
    (folder / "gad7" / "1.toml").write_text("id = \n", encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "check", "--path", str(folder)])
    assert result.exit_code != 0
    assert "phq9/1.toml" in result.output and "surprise" in result.output
    assert "gad7/1.toml" in result.output


def test_list_shows_languages_and_enabled(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaires", "list"])
    assert result.exit_code == 0
    phq9 = next(line for line in result.output.splitlines() if line.startswith("phq9 "))
    assert "en,zh-Hans" in phq9 and " yes " in phq9
    upi = next(line for line in result.output.splitlines() if line.startswith("upi "))
    assert "zh-Hans" in upi and " no " in upi


def test_score_lines_and_bad_line(runner: FlaskCliRunner) -> None:
    lines = [
        {"instrument": "phq9", "answers": _phq9(q9=1)},
        {"instrument": "phq9", "answers": _phq9(q1=3, q2=3, q3=3, q4=3, q5=3, q6=3, q7=3, q8=3)},
        {"instrument": "phq9", "answers": {"q1": 7}},
        {
            "instrument": "auditc",
            "answers": {"q1": 1, "q2": 1, "q3": 1},
            "context": {"sex": "male"},
        },
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    result = runner.invoke(args=["questionnaires", "score"], input=text)
    assert result.exit_code == 1
    out = [json.loads(x) for x in result.output.splitlines()]
    assert out[0]["total"] == 1 and out[0]["critical"] is True and out[0]["alert_level"] == "crisis"
    assert out[0]["fired"]
    assert out[1]["total"] == 24 and out[1]["critical"] is False
    assert out[1]["band"] == "severe"
    assert "errors" in out[2] and any(e.startswith("q1") for e in out[2]["errors"])
    assert any(e.startswith("q2") for e in out[2]["errors"])
    assert out[3]["total"] == 3 and out[3]["instrument"] == "auditc"
    assert "errors" in out[4]
    assert set(out[0]) == {
        "instrument",
        "version",
        "total",
        "subscales",
        "band",
        "critical",
        "alert_level",
        "fired",
    }


def test_export_fhir(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaires", "export-fhir", "phq9"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["resourceType"] == "Questionnaire"
    assert "44249-1" in json.dumps(doc)
    assert runner.invoke(args=["questionnaires", "export-fhir", "nope"]).exit_code != 0
