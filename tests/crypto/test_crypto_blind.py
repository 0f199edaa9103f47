"""Blind indexes: stable, normalised, separated by purpose and by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.crypto import EMAIL, STUDENT_NUMBER, KeyRing, blind_index, normalise


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.create(tmp_path / "keyring.json")


def test_stable_across_loads(ring: KeyRing) -> None:
    again = KeyRing.load(ring.path)  # type: ignore[arg-type]
    assert blind_index(ring, EMAIL, "a@uni.edu") == blind_index(again, EMAIL, "a@uni.edu")


def test_hex_sha256(ring: KeyRing) -> None:
    index = blind_index(ring, STUDENT_NUMBER, "20240001")
    assert len(index) == 64
    int(index, 16)


def test_email_is_stripped_and_casefolded(ring: KeyRing) -> None:
    assert blind_index(ring, EMAIL, "  Alice.Chen@Uni.EDU \n") == blind_index(
        ring, EMAIL, "alice.chen@uni.edu"
    )
    assert normalise(EMAIL, " STRASSE@uni.edu ") == "strasse@uni.edu"


def test_student_number_is_stripped_not_casefolded(ring: KeyRing) -> None:
    assert blind_index(ring, STUDENT_NUMBER, " 20240001 ") == blind_index(
        ring, STUDENT_NUMBER, "20240001"
    )
    assert normalise(STUDENT_NUMBER, "\u200920240001\t") == "20240001"
    assert normalise(STUDENT_NUMBER, " ab12 ") == "ab12"
    assert normalise(STUDENT_NUMBER, "２０２４０００１") == "20240001"  # full-width digits


def test_different_values_differ(ring: KeyRing) -> None:
    assert blind_index(ring, STUDENT_NUMBER, "20240001") != blind_index(
        ring, STUDENT_NUMBER, "20240002"
    )


def test_purposes_are_separated(ring: KeyRing) -> None:
    assert blind_index(ring, EMAIL, "12345") != blind_index(ring, STUDENT_NUMBER, "12345")


def test_different_key_gives_different_index(ring: KeyRing, tmp_path: Path) -> None:
    other = KeyRing.create(tmp_path / "other.json")
    assert blind_index(ring, EMAIL, "a@uni.edu") != blind_index(other, EMAIL, "a@uni.edu")


def test_kek_rotation_does_not_change_indexes(ring: KeyRing) -> None:
    before = blind_index(ring, EMAIL, "a@uni.edu")
    ring.add_kek()
    assert blind_index(ring, EMAIL, "a@uni.edu") == before


def test_unknown_purpose_and_empty_value_are_refused(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="purpose"):
        blind_index(ring, "e-mail", "a@uni.edu")
    with pytest.raises(ValueError, match="empty"):
        blind_index(ring, EMAIL, "   ")
