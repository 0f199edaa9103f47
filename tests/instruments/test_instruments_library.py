"""The shipped library loads cleanly and carries the metadata admins rely on."""

from __future__ import annotations

import hashlib

import pytest

from screening.instruments import Library, load_file

from .helpers import QUESTIONNAIRES

SHIPPED = {
    "phq9": ("en", "zh-Hans"),
    "phq2": ("en", "zh-Hans"),
    "gad7": ("en", "zh-Hans"),
    "gad2": ("en", "zh-Hans"),
    "who5": ("en",),
    "k10": ("en",),
    "k6": ("en",),
    "asq": ("en",),
    "auditc": ("en",),
    "ucla3": ("en",),
    "cbi_s": ("en",),
    "upi": ("zh-Hans",),
    "local-employment-worries": ("en", "zh-Hans"),
}

#: Instruments with more than one published version, and their latest version.
LATEST_VERSION = {"asq": 2, "auditc": 2, "upi": 2}


def test_whole_library_loads_with_zero_problems(library: Library) -> None:
    assert library.ids() == sorted(SHIPPED)
    for inst in library.latest():
        assert inst.languages == SHIPPED[inst.id]
        assert set(inst.provenance) == set(inst.languages)


def test_licensed_instruments_are_not_shipped(library: Library) -> None:
    for forbidden in ("pss10", "cssrs_screen"):
        with pytest.raises(KeyError):
            library.get(forbidden)


def test_unclear_licences_are_disabled_by_default(library: Library) -> None:
    disabled = {i.id for i in library.latest() if not i.enabled_by_default}
    assert disabled == {"upi", "ucla3"}
    for inst_id in disabled:
        assert "acknowledge" in library.get(inst_id).licence.text


def test_digest_is_sha256_of_file_bytes(library: Library) -> None:
    inst = library.get("phq9", 1)
    data = (QUESTIONNAIRES / "phq9" / "1.toml").read_bytes()
    assert inst.digest == hashlib.sha256(data).hexdigest()
    assert load_file(QUESTIONNAIRES / "phq9" / "1.toml").digest == inst.digest


def test_unverified_wording_is_recorded(library: Library) -> None:
    assert library.get("phq9").provenance == {"en": "verified", "zh-Hans": "secondary"}
    assert library.get("cbi_s").provenance["en"] == "unverified"
    assert library.get("cbi_s").item("s1").provenance["en"] == "unverified"
    assert library.get("upi").provenance == {"zh-Hans": "secondary"}
    assert library.get("local-employment-worries").validated is False


def test_loinc_codes(library: Library) -> None:
    phq9 = library.get("phq9").loinc
    assert (phq9.panel, phq9.total, phq9.items["q9"]) == ("44249-1", "44261-6", "44260-8")
    auditc = library.get("auditc").loinc
    assert (auditc.panel, auditc.total) == ("72109-2", "75626-2")
    assert library.get("gad7").loinc.total == "70274-6"


def test_library_get_latest_and_missing(library: Library) -> None:
    assert library.get("phq9").version == 1
    assert library.get("phq9", 1).id == "phq9"
    with pytest.raises(KeyError):
        library.get("phq9", 2)
    assert [i.id for i in library.latest()] == library.ids()
    assert len(library.all()) == sum(LATEST_VERSION.get(i, 1) for i in SHIPPED)
    for inst_id, version in LATEST_VERSION.items():
        assert library.get(inst_id).version == version
        assert library.get(inst_id, 1).version == 1  # published versions stay loadable
