"""Every interface message has a Simplified Chinese translation, compiled and in sync."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "screening/translations/zh_Hans/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("screening/**.py", "python"), ("templates/**.html", "jinja2")]


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans")


def test_every_message_in_the_code_is_translated() -> None:
    catalog = _catalog()
    missing = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
    ):
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        strings = (
            entry.string
            if entry is not None and isinstance(entry.string, tuple)
            else ((entry.string,) if entry is not None else ("",))
        )
        if entry is None or not all(strings) or "fuzzy" in entry.flags:
            missing.add(msgid)
    assert not missing, "untranslated (run `make translations`, then translate): " + repr(
        sorted(missing)
    )


def test_compiled_catalogue_matches_the_source() -> None:
    buffer = BytesIO()
    write_mo(buffer, _catalog())
    assert MO.read_bytes() == buffer.getvalue(), "run `make translations` to recompile"
