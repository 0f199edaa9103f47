"""Load questionnaire definition files (<id>/<version>.toml), reporting every problem at once."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .build import build_instrument
from .model import Instrument
from .problems import Collector, DefinitionError, Problem
from .schema import check_structure
from .validate import check_instrument


def digest_bytes(data: bytes) -> str:
    """SHA-256 of the canonical file bytes (line endings normalised to LF)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def _read(path: Path, name: str) -> tuple[Instrument | None, list[Problem]]:
    """Parse, check and build one file, returning the instrument or its problems."""
    out = Collector(name)
    data = path.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        out.add("", f"not valid UTF-8 TOML: {exc}")
        return None, out.problems
    if not check_structure(raw, out):
        return None, out.problems
    inst = build_instrument(raw, digest_bytes(data), name)
    check_instrument(inst, out, expected_id=path.parent.name, expected_version=path.stem)
    return (None if out.problems else inst), out.problems


def load_file(path: Path) -> Instrument:
    """Load and check a single definition file; raises DefinitionError listing its problems."""
    path = Path(path)
    inst, problems = _read(path, f"{path.parent.name}/{path.name}")
    if problems or inst is None:
        raise DefinitionError(problems)
    return inst


@dataclass(frozen=True)
class Library:
    """Every loaded instrument version, looked up by id and version."""

    instruments: tuple[Instrument, ...]

    def __iter__(self) -> Iterator[Instrument]:
        """Iterate over all versions, sorted by id then version."""
        return iter(self.instruments)

    def all(self) -> list[Instrument]:
        """All versions of all instruments, sorted by id then version."""
        return list(self.instruments)

    def ids(self) -> list[str]:
        """The distinct instrument ids, sorted."""
        return sorted({i.id for i in self.instruments})

    def get(self, instrument_id: str, version: int | None = None) -> Instrument:
        """One version (the latest when version is None); KeyError when absent."""
        found = [i for i in self.instruments if i.id == instrument_id]
        if version is not None:
            found = [i for i in found if i.version == version]
        if not found:
            raise KeyError(f"{instrument_id} v{version}" if version else instrument_id)
        return max(found, key=lambda i: i.version)

    def latest(self) -> list[Instrument]:
        """The latest version of each instrument, sorted by id."""
        return [self.get(i) for i in self.ids()]


def load_library(directory: Path) -> Library:
    """Load every */*.toml under directory; raise DefinitionError with all problems of all files."""
    directory = Path(directory)
    problems: list[Problem] = []
    found: list[Instrument] = []
    for path in sorted(directory.glob("*/*.toml")):
        inst, file_problems = _read(path, path.relative_to(directory).as_posix())
        problems += file_problems
        if inst is not None:
            found.append(inst)
    if problems:
        raise DefinitionError(problems)
    found.sort(key=lambda i: (i.id, i.version))
    return Library(tuple(found))


#: Libraries already loaded in this process, by directory and the digest of every file's bytes.
_LOADED: dict[tuple[str, str], Library] = {}


def _fingerprint(directory: Path) -> str:
    """A digest over every definition file's name and bytes: any edit changes it."""
    total = hashlib.sha256()
    for path in sorted(directory.glob("*/*.toml")):
        total.update(path.relative_to(directory).as_posix().encode())
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def cached_library(directory: Path) -> Library:
    """`load_library`, parsed and checked once per process for the same files (apps built in
    one process, e.g. one per test, share it; a Library and its instruments are immutable)."""
    directory = Path(directory).resolve()
    key = (str(directory), _fingerprint(directory))
    library = _LOADED.get(key)
    if library is None:
        library = _LOADED[key] = load_library(directory)
    return library
