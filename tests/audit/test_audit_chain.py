"""Audit HMAC chain: valid chains verify; edits, deletions and reordering are named."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from screening.audit.chain import (
    GENESIS,
    ChainEntry,
    entry_mac,
    next_entry,
    verify_chain,
)

KEY = b"k" * 32


def build(count: int, key: bytes = KEY) -> list[ChainEntry]:
    entries: list[ChainEntry] = []
    for i in range(count):
        fields = {"actor": f"staff-{i % 3}", "action": "view_case", "case": i, "note": None}
        entries.append(next_entry(key, entries[-1] if entries else None, fields))
    return entries


def test_valid_chain_verifies() -> None:
    result = verify_chain(KEY, build(10))
    assert result.ok
    assert result.first_broken_seq is None
    assert result.checked == 10


def test_chain_starts_at_one_from_genesis() -> None:
    first = build(1)[0]
    assert first.seq == 1
    assert first.prev_mac == GENESIS == "0" * 64


def test_empty_chain_is_ok() -> None:
    assert verify_chain(KEY, []).ok


def test_mac_is_canonical_and_covers_seq_and_prev() -> None:
    fields = {"b": 2, "a": "x", "c": None}
    mac = entry_mac(KEY, GENESIS, 1, fields)
    assert mac == entry_mac(KEY, GENESIS, 1, dict(reversed(list(fields.items()))))
    assert mac != entry_mac(KEY, GENESIS, 2, fields)
    assert mac != entry_mac(KEY, "1" * 64, 1, fields)
    assert mac != entry_mac(KEY, GENESIS, 1, {**fields, "c": ""})
    assert mac != entry_mac(KEY, GENESIS, 1, {**fields, "b": "2"})
    assert len(mac) == 64


def test_edited_entry_is_named() -> None:
    entries = build(10)
    entries[3] = dataclasses.replace(entries[3], fields={**entries[3].fields, "action": "none"})
    result = verify_chain(KEY, entries)
    assert not result.ok
    assert result.first_broken_seq == 4
    assert "altered" in result.reason


def test_edited_mac_is_named() -> None:
    entries = build(10)
    entries[6] = dataclasses.replace(entries[6], mac="f" * 64)
    result = verify_chain(KEY, entries)
    assert (result.ok, result.first_broken_seq) == (False, 7)


def test_deleted_entry_is_named() -> None:
    entries = build(10)
    del entries[4]
    result = verify_chain(KEY, entries)
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "missing" in result.reason


def test_deleted_and_renumbered_entry_is_named() -> None:
    entries = build(10)
    del entries[4]
    entries[4:] = [dataclasses.replace(e, seq=e.seq - 1) for e in entries[4:]]
    result = verify_chain(KEY, entries)
    assert (result.ok, result.first_broken_seq) == (False, 5)


def test_reordered_entries_are_named() -> None:
    entries = build(10)
    entries[2], entries[3] = entries[3], entries[2]
    result = verify_chain(KEY, entries)
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_swapped_sequence_numbers_are_named() -> None:
    entries = build(10)
    third, fourth = entries[2], entries[3]
    entries[2] = dataclasses.replace(fourth, seq=3)
    entries[3] = dataclasses.replace(third, seq=4)
    result = verify_chain(KEY, entries)
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_inserted_entry_is_named() -> None:
    entries = build(10)
    forged = ChainEntry(seq=6, prev_mac=entries[4].mac, mac="a" * 64, fields={"x": 1})
    entries.insert(5, forged)
    assert verify_chain(KEY, entries).first_broken_seq == 6


def test_wrong_key_breaks_at_the_first_entry() -> None:
    assert verify_chain(b"x" * 32, build(5)).first_broken_seq == 1


def test_truncated_tail_is_found_against_an_expected_last_seq() -> None:
    entries = build(10)[:8]
    assert verify_chain(KEY, entries).ok  # the chain alone cannot see a cut tail
    result = verify_chain(KEY, entries, expected_last_seq=10)
    assert (result.ok, result.first_broken_seq) == (False, 9)


def test_fields_are_frozen() -> None:
    entry = build(1)[0]
    with pytest.raises(TypeError):
        entry.fields["action"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize("value", [True, 1.5, b"bytes", ["list"]])
def test_values_that_do_not_round_trip_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        entry_mac(KEY, GENESIS, 1, {"field": value})  # type: ignore[dict-item]


field_values = st.one_of(st.none(), st.integers(), st.text(max_size=20))
field_maps = st.dictionaries(st.text(min_size=1, max_size=10), field_values, max_size=5)


@settings(max_examples=100)
@given(all_fields=st.lists(field_maps, min_size=1, max_size=8), data=st.data())
def test_property_any_field_change_is_named(
    all_fields: list[dict[str, str | int | None]], data: st.DataObject
) -> None:
    entries: list[ChainEntry] = []
    for fields in all_fields:
        entries.append(next_entry(KEY, entries[-1] if entries else None, fields))
    assert verify_chain(KEY, entries).ok
    index = data.draw(st.integers(0, len(entries) - 1))
    changed = {**entries[index].fields, "tampered": data.draw(field_values)}
    assume(changed != dict(entries[index].fields))
    entries[index] = dataclasses.replace(entries[index], fields=changed)
    assert verify_chain(KEY, entries).first_broken_seq == index + 1
