"""Key-ring file: creation, safe loading with helpful errors, saving, rotation, check values."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from screening.crypto import KeyRing, KeyRingError

MODE_FIX = "chmod 600"


@pytest.fixture
def ring_path(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "keyring.json"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rewrite(path: Path, change: dict[str, object] | None = None, drop: str = "") -> None:
    doc = json.loads(path.read_text())
    doc.update(change or {})
    doc.pop(drop, None)
    path.write_text(json.dumps(doc))


def test_create_writes_owner_only_file_that_loads(ring_path: Path) -> None:
    created = KeyRing.create(ring_path)
    assert _mode(ring_path) == 0o600
    loaded = KeyRing.load(ring_path)
    assert loaded.active_kek_id == created.active_kek_id == "k1"
    assert loaded.kek("k1") == created.kek("k1")
    assert loaded.blind_index_key == created.blind_index_key
    assert loaded.audit_key == created.audit_key
    assert len({loaded.kek("k1"), loaded.blind_index_key, loaded.audit_key}) == 3


def test_create_is_0600_even_with_a_permissive_umask(ring_path: Path) -> None:
    old = os.umask(0)
    try:
        KeyRing.create(ring_path)
    finally:
        os.umask(old)
    assert _mode(ring_path) == 0o600


def test_create_without_hard_links_still_works(
    ring_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    KeyRing.create(ring_path)
    assert _mode(ring_path) == 0o600
    assert KeyRing.load(ring_path).active_kek_id == "k1"
    assert [p.name for p in ring_path.parent.iterdir()] == ["keyring.json"]


def test_file_format(ring_path: Path) -> None:
    KeyRing.create(ring_path)
    doc = json.loads(ring_path.read_text())
    assert doc["format"] == "screening-keyring"
    assert doc["version"] == 1
    assert doc["active_kek"] == "k1"
    (kek,) = doc["keks"]
    assert set(kek) == {"id", "key", "created", "status"}
    assert kek["status"] == "active"
    assert len(base64.b64decode(kek["key"])) == 32
    assert len(base64.b64decode(doc["blind_index_key"])) == 32
    assert len(base64.b64decode(doc["audit_key"])) == 32


def test_create_twice_is_refused_and_keeps_the_first(ring_path: Path) -> None:
    KeyRing.create(ring_path)
    before = ring_path.read_bytes()
    with pytest.raises(KeyRingError, match="already exists"):
        KeyRing.create(ring_path)
    assert ring_path.read_bytes() == before
    assert [p.name for p in ring_path.parent.iterdir()] == ["keyring.json"]


def test_missing_ring_says_to_run_init(ring_path: Path) -> None:
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(ring_path)
    assert "flask --app wsgi init" in str(info.value)
    assert "backup" in str(info.value)


@pytest.mark.parametrize(("mode", "shown"), [(0o640, "0640"), (0o604, "0604"), (0o644, "0644")])
def test_group_or_world_readable_ring_is_refused(ring_path: Path, mode: int, shown: str) -> None:
    KeyRing.create(ring_path)
    ring_path.chmod(mode)
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(ring_path)
    message = str(info.value)
    assert shown in message
    assert f"{MODE_FIX} {ring_path}" in message


def test_malformed_json_is_refused(ring_path: Path) -> None:
    KeyRing.create(ring_path)
    ring_path.write_text('{"format": "screening-keyring",')
    with pytest.raises(KeyRingError, match="not valid JSON"):
        KeyRing.load(ring_path)


@pytest.mark.parametrize(
    ("drop", "change", "expected"),
    [
        ("audit_key", None, "audit_key is missing"),
        ("blind_index_key", None, "blind_index_key is missing"),
        ("keks", None, "holds no KEKs"),
        ("", {"audit_key": "not base64!"}, "not valid base64"),
        ("", {"audit_key": base64.b64encode(b"short").decode()}, "5 bytes"),
        ("", {"active_kek": "k9"}, "active_kek"),
        ("", {"format": "something-else"}, "not a Screening key ring"),
        ("", {"version": 99}, "format version"),
    ],
)
def test_incomplete_ring_is_refused(
    ring_path: Path, drop: str, change: dict[str, object] | None, expected: str
) -> None:
    KeyRing.create(ring_path)
    _rewrite(ring_path, change, drop)
    with pytest.raises(KeyRingError, match=expected) as info:
        KeyRing.load(ring_path)
    assert "backup" in str(info.value) or "Upgrade" in str(info.value)


def test_duplicate_keys_are_refused(ring_path: Path) -> None:
    KeyRing.create(ring_path)
    doc = json.loads(ring_path.read_text())
    _rewrite(ring_path, {"audit_key": doc["blind_index_key"]})
    with pytest.raises(KeyRingError, match="identical"):
        KeyRing.load(ring_path)


def test_repr_and_errors_never_show_key_material(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    secrets_b64 = [
        base64.b64encode(k).decode() for k in (ring.kek("k1"), ring.blind_index_key, ring.audit_key)
    ]
    shown = repr(ring) + repr(ring.keks())
    assert not any(s in shown for s in secrets_b64)
    with pytest.raises(KeyRingError) as info:
        KeyRing.from_env(ring.export_env()[:-8])
    assert not any(s in str(info.value) for s in secrets_b64)


def test_from_env_accepts_base64_or_raw_json(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    from_b64 = KeyRing.from_env(ring.export_env())
    from_raw = KeyRing.from_env(ring_path.read_text())
    assert from_b64.kek("k1") == from_raw.kek("k1") == ring.kek("k1")
    assert from_b64.path is None


@pytest.mark.parametrize("value", ["", None, "%%%", base64.b64encode(b"[1, 2").decode()])
def test_from_env_refuses_garbage(value: str | None) -> None:
    with pytest.raises(KeyRingError, match="environment"):
        KeyRing.from_env(value)


def test_env_ring_cannot_be_saved(ring_path: Path) -> None:
    ring = KeyRing.from_env(KeyRing.create(ring_path).export_env())
    with pytest.raises(KeyRingError, match="environment"):
        ring.save()


def test_add_kek_save_and_reload(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    old = ring.kek("k1")
    assert ring.add_kek() == "k2"
    ring.save()
    assert _mode(ring_path) == 0o600
    assert [p.name for p in ring_path.parent.iterdir()] == ["keyring.json"]
    loaded = KeyRing.load(ring_path)
    assert loaded.active_kek_id == "k2"
    assert loaded.kek("k1") == old
    assert [(k.id, k.status) for k in loaded.keks()] == [
        ("k1", "retired-pending"),
        ("k2", "active"),
    ]


def test_retire(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    with pytest.raises(KeyRingError, match="active"):
        ring.retire("k1")
    ring.add_kek()
    ring.retire("k1")
    with pytest.raises(KeyRingError, match="not in the key ring"):
        ring.retire("k1")
    with pytest.raises(KeyRingError):
        ring.kek("k1")
    ring.save()
    assert [k.id for k in KeyRing.load(ring_path).keks()] == ["k2"]
    assert ring.add_kek() == "k3"


def test_refresh_picks_up_a_ring_saved_by_another_process(ring_path: Path) -> None:
    web = KeyRing.create(ring_path)
    assert web.refresh() is False
    cli = KeyRing.load(ring_path)
    cli.add_kek()
    cli.save()
    assert web.refresh() is True
    assert web.active_kek_id == "k2"
    assert web.refresh() is False


def test_check_values_match_the_same_ring(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    stored = ring.check_values()
    assert set(stored) == {"k1", "blind-index", "audit"}
    assert KeyRing.load(ring_path).verify_check_values(stored) == []
    assert all(len(v) == 32 for v in stored.values())
    assert ring.check_value("k1") != ring.kek("k1").hex()[:32]


def test_check_values_detect_a_wrong_key_ring(tmp_path: Path) -> None:
    stored = KeyRing.create(tmp_path / "a.json").check_values()
    other = KeyRing.create(tmp_path / "b.json")
    problems = other.verify_check_values(stored)
    assert len(problems) == 3
    assert any("k1" in p and "does not match" in p for p in problems)


def test_check_values_detect_a_missing_kek(ring_path: Path) -> None:
    ring = KeyRing.create(ring_path)
    ring.add_kek()
    stored = ring.check_values()
    ring.retire("k1")
    (problem,) = ring.verify_check_values(stored)
    assert "k1" in problem and "does not hold" in problem
