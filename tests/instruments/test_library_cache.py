"""The questionnaire library is parsed once per process for the same files, again after an edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening import ROOT
from screening.instruments import DefinitionError
from screening.instruments.loader import cached_library


def test_the_same_files_give_the_same_library_and_an_edit_a_new_one(tmp_path: Path) -> None:
    folder = tmp_path / "questionnaires"
    shutil.copytree(ROOT / "questionnaires" / "phq9", folder / "phq9")
    first = cached_library(folder)
    assert cached_library(folder) is first
    definition = next((folder / "phq9").glob("*.toml"))
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text + "\n# a comment changes the bytes\n", encoding="utf-8")
    edited = cached_library(folder)
    assert edited is not first
    assert edited.get("phq9").digest != first.get("phq9").digest
    definition.write_text(text.replace("[scoring]", "[scoring\n", 1), encoding="utf-8")
    with pytest.raises(DefinitionError):
        cached_library(folder)  # a broken edit is reported, never served from the cache
