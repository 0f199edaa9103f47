"""Sealed columns, declared once on the model: the vault reads table, column and kind from there.

A model declares ``answers_sealed: Mapped[bytes | None] = sealed("json")``. Call sites pass the
mapped attribute (``Draft.answers_sealed``) and the row, never a table or column name typed by
hand. A model with a ``seal_version`` column is *versioned*: every sealed write raises it and
binds all its sealed values to the new number, so an older ciphertext written back into the
row no longer opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import LargeBinary, inspect
from sqlalchemy.orm import MappedColumn, QueryableAttribute, mapped_column

_INFO = "sealed"
SUFFIX = "_sealed"
Kind = Literal["text", "json"]


def sealed(kind: Kind = "text", *, nullable: bool = True) -> MappedColumn[Any]:
    """A column holding a sealed value of kind "text" or "json"."""
    return mapped_column(LargeBinary, nullable=nullable, info={_INFO: kind})


@dataclass(frozen=True, slots=True)
class Place:
    """Where one sealed column lives: table, column name (without _sealed), attribute, kind."""

    table: str
    column: str
    key: str
    kind: Kind


def place(attribute: QueryableAttribute[Any]) -> Place:
    """The place of a mapped sealed attribute; TypeError for a column not declared sealed()."""
    column = attribute.property.columns[0]
    kind = column.info.get(_INFO)
    if kind not in ("text", "json"):
        raise TypeError(f"{attribute} is not declared with sealed()")
    key = attribute.key
    return Place(column.table.name, key.removesuffix(SUFFIX), key, kind)


def places_of(row: object) -> list[Place]:
    """Every sealed column of a row's model, in declaration order."""
    mapper = inspect(type(row))
    return [
        place(getattr(type(row), a.key)) for a in mapper.column_attrs if _INFO in a.columns[0].info
    ]


def versioned(row: object) -> bool:
    """True for models whose sealed values carry the row's version."""
    return "seal_version" in inspect(type(row)).column_attrs


def row_ref(row: object, version: int) -> str:
    """The row part of the associated data: primary key, plus the version once it was raised.

    Version 0 is the row as first written before versions existed, so such values still open.
    """
    key = inspect(type(row)).primary_key_from_instance(row)
    if any(part is None for part in key):
        raise ValueError(f"{type(row).__name__} has no primary key yet; flush it first")
    ref = ",".join(str(part) for part in key)
    return f"{ref}@v{version}" if version else ref
