"""Read-only questions to the built database, answered as frozen dataclasses (no ORM object leaves db/)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    HCPCS,
    ICD10CM,
    ICD10PCS,
    SYSTEM_LABELS,
    BuildFact,
    Code,
    IndexTerm,
    Note,
    Release,
    ReleaseSource,
)

#: Kinds that are codes in the official sense (chapters, sections and PCS prefixes are navigation only).
EXPORTED_KINDS = {
    ICD10CM: ("category", "subcategory", "code"),
    ICD10PCS: ("code",),
    HCPCS: ("code", "modifier"),
}


@dataclass(frozen=True)
class SourceFile:
    file_name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class ReleaseView:
    system: str
    content: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    sources: tuple[SourceFile, ...]

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def to_json(self) -> dict[str, object]:
        return {
            "system": self.system,
            "content": self.content,
            "name": self.name,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "sources": [{"file": s.file_name, "sha256": s.sha256, "bytes": s.size_bytes} for s in self.sources],
        }


@dataclass(frozen=True)
class ExportRow:
    system: str
    code: str
    display: str
    kind: str
    title: str
    billable: bool
    release: str


def releases(session: Session) -> list[ReleaseView]:
    sources: dict[int, list[SourceFile]] = {}
    for row in session.scalars(select(ReleaseSource).order_by(ReleaseSource.id)):
        sources.setdefault(row.release_id, []).append(SourceFile(row.file_name, row.sha256, row.size_bytes))
    return [
        ReleaseView(r.system, r.content, r.name, r.valid_from, r.valid_to, tuple(sources.get(r.id, [])))
        for r in session.scalars(select(Release).order_by(Release.id))
    ]


def build_facts(session: Session) -> dict[str, object]:
    return {fact.key: json.loads(fact.value) for fact in session.scalars(select(BuildFact))}


def counts_by_system(session: Session) -> dict[str, dict[str, int]]:
    """Codes, billable codes, headers, modifiers, notes and index terms per code set."""
    counts: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Code.system, Code.kind, Code.billable, func.count()).group_by(Code.system, Code.kind, Code.billable)
    )
    for system, kind, billable, number in rows:
        entry = counts.setdefault(system, {"codes": 0, "billable": 0, "headers": 0, "modifiers": 0})
        if kind == "modifier":
            entry["modifiers"] += number
            continue
        if kind in EXPORTED_KINDS.get(system, ("code",)):
            entry["codes"] += number
        if billable:
            entry["billable"] += number
        else:
            entry["headers"] += number
    for system, number in session.execute(
        select(Code.system, func.count()).join(Note, Note.code_id == Code.id).group_by(Code.system)
    ):
        counts.setdefault(system, {})["notes"] = number
    for system, number in session.execute(
        select(Code.system, func.count()).join(IndexTerm, IndexTerm.code_id == Code.id).group_by(Code.system)
    ):
        counts.setdefault(system, {})["index_terms"] = number
    for entry in counts.values():
        entry.setdefault("notes", 0)
        entry.setdefault("index_terms", 0)
    return counts


def export_rows(session: Session, system: str, billable_only: bool = False) -> Iterator[ExportRow]:
    """Every code of a code set in code order, as a spreadsheet wants it."""
    release_names = {r.id: r.name for r in session.scalars(select(Release))}
    query = select(Code).where(Code.system == system, Code.kind.in_(EXPORTED_KINDS[system]))
    if billable_only:
        query = query.where(Code.billable.is_(True))
    query = query.order_by(Code.kind == "modifier", Code.code)
    for code in session.scalars(query.execution_options(yield_per=5000)):
        yield ExportRow(
            code.system,
            code.code,
            code.display,
            code.kind,
            code.title,
            code.billable,
            release_names[code.release_id],
        )


def system_label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system)
