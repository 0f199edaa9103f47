"""Envelope encryption: round trips, tampering, moved ciphertexts, wrong keys, nonces."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from screening.crypto import (
    Aad,
    UnreadableError,
    open_json,
    open_sealed,
    open_text,
    seal,
    seal_json,
    seal_text,
)
from screening.crypto.envelope import HEADER_BYTES, NONCE_BYTES, TAG_BYTES, VERSION

KEY = bytes(range(32))
AAD = Aad(table="answers", column="text", row="42", subject="student-7")

fields = st.text(min_size=1, max_size=40)


def test_round_trip_bytes() -> None:
    blob = seal(KEY, b"I have felt low for two weeks", AAD)
    assert open_sealed(KEY, blob, AAD) == b"I have felt low for two weeks"


def test_format_is_version_nonce_ciphertext_tag() -> None:
    blob = seal(KEY, b"abc", AAD)
    assert blob[0] == VERSION
    assert len(blob) == 1 + NONCE_BYTES + 3 + TAG_BYTES


def test_empty_plaintext_round_trips() -> None:
    assert open_sealed(KEY, seal(KEY, b"", AAD), AAD) == b""


def test_text_and_json_round_trip() -> None:
    assert open_text(KEY, seal_text(KEY, "心情低落 — ünïcode", AAD), AAD) == "心情低落 — ünïcode"
    value = {"b": [1, 2, None], "a": "x", "n": 3}
    assert open_json(KEY, seal_json(KEY, value, AAD), AAD) == value


def test_json_is_canonical() -> None:
    key_order_a = open_sealed(KEY, seal_json(KEY, {"a": 1, "b": 2}, AAD), AAD)
    key_order_b = open_sealed(KEY, seal_json(KEY, {"b": 2, "a": 1}, AAD), AAD)
    assert key_order_a == key_order_b == b'{"a":1,"b":2}'


def test_every_single_byte_tamper_is_detected() -> None:
    blob = seal(KEY, b"PHQ-9 item 9: 2", AAD)
    for position in range(len(blob)):
        for mask in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[position] ^= mask
            with pytest.raises(UnreadableError):
                open_sealed(KEY, bytes(tampered), AAD)


def test_every_truncation_is_detected() -> None:
    blob = seal(KEY, b"some answer", AAD)
    for length in range(len(blob)):
        with pytest.raises(UnreadableError):
            open_sealed(KEY, blob[:length], AAD)
    with pytest.raises(UnreadableError):
        open_sealed(KEY, blob + b"\x00", AAD)


def test_unknown_version_is_refused() -> None:
    blob = seal(KEY, b"x", AAD)
    with pytest.raises(UnreadableError, match="version"):
        open_sealed(KEY, bytes([VERSION + 1]) + blob[1:], AAD)


@pytest.mark.parametrize(
    "moved",
    [
        Aad(table="notes", column="text", row="42", subject="student-7"),
        Aad(table="answers", column="comment", row="42", subject="student-7"),
        Aad(table="answers", column="text", row="43", subject="student-7"),
        Aad(table="answers", column="text", row="42", subject="student-8"),
    ],
)
def test_ciphertext_moved_to_other_table_column_row_or_subject_fails(moved: Aad) -> None:
    blob = seal(KEY, b"confidential", AAD)
    with pytest.raises(UnreadableError):
        open_sealed(KEY, blob, moved)


def test_wrong_key_fails_without_leaking_content() -> None:
    blob = seal(KEY, b"secret-answer-text", AAD)
    with pytest.raises(UnreadableError) as info:
        open_sealed(secrets.token_bytes(32), blob, AAD)
    assert "secret-answer-text" not in str(info.value)
    assert "student-7" not in str(info.value)


def test_nonces_never_repeat() -> None:
    nonces = {seal(KEY, b"same", AAD)[1:HEADER_BYTES] for _ in range(20_000)}
    assert len(nonces) == 20_000


def test_same_plaintext_gives_different_ciphertexts() -> None:
    assert seal(KEY, b"same", AAD) != seal(KEY, b"same", AAD)


def test_aad_encoding_is_unambiguous() -> None:
    assert (
        Aad("ab", "c", "1", "s").encode() != Aad("a", "bc", "1", "s").encode()
    )  # a plain join would make these equal
    assert bytes(AAD) == AAD.encode()


def test_aad_refuses_empty_or_non_str_fields() -> None:
    with pytest.raises(ValueError, match="row"):
        Aad("answers", "text", "", "s")
    with pytest.raises(TypeError, match="row"):
        Aad("answers", "text", 42, "s")  # type: ignore[arg-type]


def test_bad_key_size_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        seal(b"short", b"x", AAD)


def test_accepts_memoryview_from_database_drivers() -> None:
    blob = seal(KEY, b"x", AAD)
    assert open_sealed(KEY, memoryview(blob), AAD) == b"x"


@settings(max_examples=200)
@given(plaintext=st.binary(max_size=2048), t=fields, c=fields, r=fields, s=fields)
def test_property_round_trip(plaintext: bytes, t: str, c: str, r: str, s: str) -> None:
    aad = Aad(t, c, r, s)
    assert open_sealed(KEY, seal(KEY, plaintext, aad), aad) == plaintext


@settings(max_examples=200)
@given(
    plaintext=st.binary(max_size=256),
    first=st.tuples(fields, fields, fields, fields),
    second=st.tuples(fields, fields, fields, fields),
)
def test_property_other_aad_fails(
    plaintext: bytes, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    assume(first != second)
    blob = seal(KEY, plaintext, Aad(*first))
    with pytest.raises(UnreadableError):
        open_sealed(KEY, blob, Aad(*second))


@settings(max_examples=200)
@given(plaintext=st.binary(max_size=256), data=st.data())
def test_property_any_byte_flip_fails(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(seal(KEY, plaintext, AAD))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(UnreadableError):
        open_sealed(KEY, bytes(blob), AAD)
