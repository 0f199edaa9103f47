"""Each definition check, proven with a broken copy of a valid file; all problems come at once."""
# ruff: noqa: E501  (the table of broken cases reads best one case per line)

from __future__ import annotations

from pathlib import Path

import pytest

from screening.instruments import DefinitionError, Problem, format_problems, load_library
from screening.instruments.loader import load_file

from .helpers import QUESTIONNAIRES


def source(inst_id: str) -> str:
    """The text of a shipped definition file."""
    return (QUESTIONNAIRES / inst_id / "1.toml").read_text(encoding="utf-8")


def broken(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace text that must exist exactly `count` times."""
    assert text.count(old) == count, old
    return text.replace(old, new)


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[Problem]:
    """Write files under tmp_path and return every problem the loader reports."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_library(tmp_path)
    return err.value.problems


PHQ2 = "phq2/1.toml"
CASES = [
    ("unknown key", PHQ2, "phq2", 'version = 1\n', 'version = 1\ncolour = "red"\n',
     "colour", "unknown key 'colour'"),
    ("missing key", PHQ2, "phq2", "citation = ", "# citation = ",
     "citation", "missing required key 'citation'"),
    ("wrong type", PHQ2, "phq2", "version = 1\n", 'version = "1"\n',
     "version", "wrong type: expected int"),
    ("wrong nested type", PHQ2, "phq2", 'method = "sum"', "method = 3",
     "scoring.method", "wrong type: expected str"),
    ("duplicate item", PHQ2, "phq2", 'id = "q2"', 'id = "q1"',
     "items", "duplicate item id 'q1'"),
    ("item id not a field name", PHQ2, "phq2", 'id = "q2"', 'id = "q.2"',
     "items[1].id", "item id 'q.2' must be a letter, then letters, digits or '_'"),
    ("bad LOINC answer code", PHQ2, "phq2", '{ value = 0, label', '{ value = 0, loinc = "44250-9", label',
     "option_sets.frequency.options[0].loinc", "'44250-9' is no LA code"),
    ("duplicate option", PHQ2, "phq2", "value = 3,", "value = 2,",
     "option_sets.frequency.options", "duplicate option value '2'"),
    ("duplicate band", PHQ2, "phq2", 'id = "positive"\ntier', 'id = "negative"\ntier',
     "bands", "duplicate band 'negative'"),
    ("band gap", PHQ2, "phq2", "min = 3", "min = 4",
     "bands", "gap: total score 3 is in no band"),
    ("band overlap", PHQ2, "phq2", "max = 2", "max = 3",
     "bands[1]", "band 'positive' overlaps band 'negative'"),
    ("band range", PHQ2, "phq2", "max = 6", "max = 5",
     "bands", "bands do not cover the total range 0-6"),
    ("band min above max", PHQ2, "phq2", "max = 2", "max = -1",
     "bands[0]", "min 0 is above max -1"),
    ("missing title translation", PHQ2, "phq2", 'zh-Hans = "患者健康问卷-2（PHQ-2）"\n', "",
     "title", "title has no text for declared language 'zh-Hans'"),
    ("missing item translation", PHQ2, "phq2", ', zh-Hans = "做事时提不起劲或没有兴趣"', "",
     "items[0].text", "item text has no text for declared language 'zh-Hans'"),
    ("missing option label", PHQ2, "phq2", ', zh-Hans = "几乎每天"', "",
     "option_sets.frequency.options[3].label", "label has no text for declared language 'zh-Hans'"),
    ("missing band label", PHQ2, "phq2", ', zh-Hans = "阴性"', "",
     "bands[0].label", "band label has no text for declared language 'zh-Hans'"),
    ("undeclared language", PHQ2, "phq2", 'en = "Negative"', 'en = "Negative", fr = "Négatif"',
     "bands[0].label", "band label has text for undeclared language 'fr'"),
    ("bands on non-validated", PHQ2, "phq2", "validated = true", "validated = false",
     "bands", "a non-validated instrument may not declare bands"),
    ("unknown option set", PHQ2, "phq2", 'options = "frequency"\n\n[[items]]\nid = "q2"',
     'options = "freq"\n\n[[items]]\nid = "q2"', "items[0].options", "unknown option set 'freq'"),
    ("rule with missing item", "phq9/1.toml", "phq9", 'item = "q9", op', 'item = "q99", op',
     "rules[0].when.item", "unknown item 'q99'"),
    ("rule with impossible value", "phq9/1.toml", "phq9", 'item = "q9", op = ">=", value = 1 }', 'item = "q9", op = ">=", value = 4 }',
     "rules[0].when.value", "impossible: q9 >= 4"),
    ("rule with impossible option", "asq/1.toml", "asq", 'item = "q5", op = "==", value = 1',
     'item = "q5", op = "==", value = 2', "rules[1].when.value", "impossible value 2 for item 'q5'"),
    ("critical rule not crisis", "phq9/1.toml", "phq9", 'tier = "crisis"\ncritical', 'tier = "high"\ncritical',
     "rules[0].tier", "a critical rule must have tier 'crisis'"),
    ("rule placeholder", "phq9/1.toml", "phq9", "answered {q9}", "answered {q11}",
     "rules[0].description", "unknown placeholder '{q11}'"),
    ("condition on later item", "asq/1.toml", "asq", 'condition = { count = ["q1"', 'condition = { count = ["q5"',
     "items[4].condition.count", "item 'q5' is not an earlier item"),
    ("condition on missing item", "asq/1.toml", "asq", 'condition = { count = ["q1"', 'condition = { count = ["q0"',
     "items[4].condition.count", "unknown item 'q0'"),
    ("condition on a score", "asq/1.toml", "asq",
     'condition = { count = ["q1", "q2", "q3", "q4"], matching = [1, "refused"], op = ">=", value = 1 }',
     'condition = { score = "total", op = ">=", value = 1 }',
     "items[4].condition.score", "conditions may only depend on earlier answers"),
    ("test with two kinds", "asq/1.toml", "asq", 'when = { item = "q5", op', 'when = { score = "x", item = "q5", op',
     "rules[1].when", "a test needs exactly one of item, score, count, any, all, band_in"),
    ("unknown tier", PHQ2, "phq2", 'tier = "moderate"', 'tier = "orange"',
     "bands[1].tier", "unknown tier 'orange'"),
    ("context default", "auditc/1.toml", "auditc", 'default = "female"', 'default = "other"',
     "context.sex.default", "default 'other' is not a listed value"),
    ("mean minimum", "cbi_s/1.toml", "cbi_s", "min_answered = 3", "min_answered = 9",
     "scoring.subscales.personal.min_answered", "min_answered 9 impossible"),
    ("provenance", PHQ2, "phq2", 'zh-Hans = "secondary"', 'zh-Hans = "maybe"',
     "provenance", "provenance for 'zh-Hans' must be one of"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "target", "inst_id", "old", "new", "key_path", "message"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_each_check_reports_file_key_path_and_message(
    tmp_path: Path,
    name: str,
    target: str,
    inst_id: str,
    old: str,
    new: str,
    key_path: str,
    message: str,
) -> None:
    problems = problems_of(tmp_path, {target: broken(source(inst_id), old, new)})
    found = [(p.file, p.key_path) for p in problems if p.message.startswith(message)]
    assert (target, key_path) in found, format_problems(problems)


def test_id_and_version_must_match_path(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, {"phq3/1.toml": source("phq2"), "phq2/2.toml": source("phq2")})
    assert (
        Problem("phq3/1.toml", "id", "id 'phq2' does not match the folder name 'phq3'") in problems
    )
    assert Problem("phq2/2.toml", "version", "version 1 does not match the file name") in problems


def test_instrument_id_must_make_a_valid_fhir_id(tmp_path: Path) -> None:
    text = broken(source("phq2"), 'id = "phq2"', 'id = "PHQ 2"')
    problems = problems_of(tmp_path, {"PHQ 2/1.toml": text})
    message = "id 'PHQ 2' must be 1-50 of a-z, 0-9, '_' and '-', starting a-z/0-9"
    assert Problem("PHQ 2/1.toml", "id", message) in problems


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, {"phq2/1.toml": "id = \n"})
    assert problems[0].file == "phq2/1.toml" and "not valid UTF-8 TOML" in problems[0].message


def test_all_problems_in_all_files_are_reported_at_once(tmp_path: Path) -> None:
    phq2 = broken(source("phq2"), "version = 1\n", 'version = 1\ncolour = "red"\n')
    phq2 = broken(phq2, "citation = ", "# citation = ")
    gad2 = broken(source("gad2"), "min = 3", "min = 4")
    gad2 = broken(gad2, ', zh-Hans = "阴性"', "")
    files = {"phq2/1.toml": phq2, "gad2/1.toml": gad2, "phq9/1.toml": source("phq9")}
    problems = problems_of(tmp_path, files)
    where = {(p.file, p.key_path) for p in problems}
    assert {
        ("phq2/1.toml", "colour"),
        ("phq2/1.toml", "citation"),
        ("gad2/1.toml", "bands"),
        ("gad2/1.toml", "bands[0].label"),
    } <= where
    assert not any(p.file == "phq9/1.toml" for p in problems)
    report = format_problems(problems)
    assert "phq2/1.toml: colour: unknown key 'colour'" in report.splitlines()


def test_load_file_raises_for_one_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "phq2" / "1.toml"
    path.parent.mkdir()
    path.write_text(broken(source("phq2"), "min = 3", "min = 4"), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_file(path)
    assert err.value.problems[0].file == "phq2/1.toml"
