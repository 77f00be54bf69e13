"""What a CPT code's detail adds: its category, add-on mark, the other AMA descriptors, the office list's columns
and the AMA copyright line (read from the version's cpt_* notes, which build_cpt.py writes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from db.sources.cpt_shapes import AMA_COPYRIGHT, category


class _Note(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class CptView:
    category: str
    add_on: bool
    medium: str | None
    consumer: str | None
    clinician: tuple[str, ...]
    #: The office list's other columns, as "header: value".
    list_columns: tuple[str, ...]
    #: False for a number only an article names (no licensed file gave its descriptor).
    licensed: bool
    copyright: str = AMA_COPYRIGHT

    def to_json(self) -> dict[str, object]:
        return {
            "category": self.category,
            "add_on": self.add_on,
            "medium_descriptor": self.medium,
            "consumer_descriptor": self.consumer,
            "clinician_descriptors": list(self.clinician),
            "list_columns": list(self.list_columns),
            "licensed": self.licensed,
            "copyright": self.copyright,
        }


def cpt_view(code: str, kind: str, notes: Sequence[_Note]) -> CptView:
    def texts(note_kind: str) -> tuple[str, ...]:
        return tuple(note.text for note in notes if note.kind == note_kind)

    return CptView(
        category(code),
        bool(texts("cpt_add_on")),
        next(iter(texts("cpt_medium")), None),
        next(iter(texts("cpt_consumer")), None),
        texts("cpt_clinician"),
        texts("cpt_extra"),
        kind != "reference",
    )
