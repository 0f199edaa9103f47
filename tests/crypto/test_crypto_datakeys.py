"""Per-student data keys: wrapping, binding to the student, and KEK rotation under load."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from pathlib import Path

import pytest

from screening.crypto import (
    Aad,
    KeyRing,
    UnreadableError,
    WrappedKey,
    new_data_key,
    open_text,
    rewrap,
    seal_text,
    unwrap,
    wrap,
)


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.create(tmp_path / "keyring.json")


def test_new_data_keys_are_random_32_bytes() -> None:
    keys = {new_data_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(k) == 32 for k in keys)


def test_wrap_unwrap_round_trip(ring: KeyRing) -> None:
    data_key = new_data_key()
    wrapped = wrap(ring, data_key, "student-1")
    assert wrapped.kek_id == "k1"
    assert data_key not in wrapped.blob
    assert unwrap(ring, wrapped, "student-1") == data_key
    assert data_key.hex() not in repr(wrapped)


def test_wrapped_key_moved_to_another_student_fails(ring: KeyRing) -> None:
    wrapped = wrap(ring, new_data_key(), "student-1")
    with pytest.raises(UnreadableError):
        unwrap(ring, wrapped, "student-2")


def test_wrong_kek_fails(ring: KeyRing, tmp_path: Path) -> None:
    wrapped = wrap(ring, new_data_key(), "student-1")
    other = KeyRing.create(tmp_path / "other.json")
    with pytest.raises(UnreadableError):
        unwrap(other, wrapped, "student-1")


def test_relabelled_kek_id_fails(ring: KeyRing) -> None:
    wrapped = wrap(ring, new_data_key(), "student-1")
    ring.add_kek()
    with pytest.raises(UnreadableError):
        unwrap(ring, dataclasses.replace(wrapped, kek_id="k2"), "student-1")


def test_tampered_wrapped_key_fails(ring: KeyRing) -> None:
    wrapped = wrap(ring, new_data_key(), "student-1")
    for position in range(len(wrapped.blob)):
        blob = bytearray(wrapped.blob)
        blob[position] ^= 0x01
        with pytest.raises(UnreadableError):
            unwrap(ring, WrappedKey(wrapped.kek_id, bytes(blob)), "student-1")


def test_rotation_old_opens_until_retired_then_new_only(ring: KeyRing) -> None:
    subjects = [f"student-{i}" for i in range(20)]
    data_keys = {s: new_data_key() for s in subjects}
    store = {s: wrap(ring, data_keys[s], s) for s in subjects}
    sealed = {s: seal_text(data_keys[s], f"answer of {s}", Aad("a", "t", "1", s)) for s in subjects}
    old = dict(store)

    assert ring.add_kek() == "k2"
    assert all(unwrap(ring, store[s], s) == data_keys[s] for s in subjects)  # old still opens
    for start in range(0, len(subjects), 7):  # batches
        for s in subjects[start : start + 7]:
            store[s] = rewrap(ring, store[s], s)
    assert {w.kek_id for w in store.values()} == {"k2"}
    assert all(unwrap(ring, old[s], s) == data_keys[s] for s in subjects)  # not yet retired

    ring.retire("k1")
    for s in subjects:
        with pytest.raises(UnreadableError, match="k1"):
            unwrap(ring, old[s], s)
        key = unwrap(ring, store[s], s)
        assert open_text(key, sealed[s], Aad("a", "t", "1", s)) == f"answer of {s}"


def test_rewrap_is_idempotent_on_the_active_kek(ring: KeyRing) -> None:
    wrapped = wrap(ring, new_data_key(), "student-1")
    assert rewrap(ring, wrapped, "student-1") is wrapped


def test_unwrap_reloads_a_ring_rotated_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    web = KeyRing.create(path)
    cli = KeyRing.load(path)
    cli.add_kek()
    cli.save()
    data_key = new_data_key()
    wrapped = wrap(cli, data_key, "student-1")
    assert wrapped.kek_id == "k2"
    with pytest.raises(UnreadableError):
        unwrap(web, wrapped, "student-1")  # no reload asked for: the ring in memory only
    assert unwrap(web, wrapped, "student-1", reload=web.refresh) == data_key


def test_rotation_while_threads_seal_and_open_loses_nothing(tmp_path: Path) -> None:
    """A CLI ring rotates and re-wraps in batches while web threads keep using their own ring."""
    path = tmp_path / "keyring.json"
    web = KeyRing.create(path)
    lock = threading.Lock()
    store: dict[str, WrappedKey] = {}
    values: list[tuple[str, Aad, bytes, str]] = []
    for i in range(30):
        store[f"s{i}"] = wrap(web, new_data_key(), f"s{i}")
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker(number: int) -> None:
        rnd = random.Random(number)
        try:
            for n in range(1_000_000):
                if stop.is_set():
                    return
                with lock:
                    if n % 10 == 0:  # a new student registers
                        subject = f"w{number}-{n}"
                        store[subject] = wrap(web, new_data_key(), subject)
                    subject = rnd.choice(sorted(store))
                    wrapped = store[subject]
                data_key = unwrap(web, wrapped, subject, reload=web.refresh)
                aad = Aad("answers", "text", f"{number}-{n}", subject)
                text = f"answer {number}-{n}"
                blob = seal_text(data_key, text, aad)
                with lock:
                    values.append((subject, aad, blob, text))
                    earlier = values[rnd.randrange(len(values))]
                    earlier_wrapped = store[earlier[0]]
                key = unwrap(web, earlier_wrapped, earlier[0], reload=web.refresh)
                assert open_text(key, earlier[2], earlier[1]) == earlier[3]
        except BaseException as exc:  # report any failure to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    while len(values) < 200 and not errors:
        time.sleep(0.005)

    cli = KeyRing.load(path)
    new_id = cli.add_kek()
    cli.save()
    before_rotation = len(values)

    def sweep() -> int:
        """Re-wrap everything not on the active KEK, in batches of 5; return how many."""
        done = 0
        while True:
            with lock:
                pending = [(s, w) for s, w in store.items() if w.kek_id != new_id][:5]
            if not pending:
                return done
            for subject, wrapped in pending:
                fresh = rewrap(cli, wrapped, subject)
                with lock:
                    if store[subject] is wrapped:
                        store[subject] = fresh
                        done += 1
            time.sleep(0.001)

    assert sweep() > 0
    stop.set()
    for thread in threads:
        thread.join()
    sweep()  # keys a stale web process wrapped under the old KEK meanwhile
    assert not errors, errors
    assert len(values) > before_rotation

    cli.retire("k1")
    cli.save()
    final = KeyRing.load(path)
    assert [k.id for k in final.keks()] == [new_id]
    for subject, aad, blob, text in values:
        assert store[subject].kek_id == new_id
        assert open_text(unwrap(final, store[subject], subject), blob, aad) == text
