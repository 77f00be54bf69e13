"""Read-only questions to the built database, answered as frozen dataclasses (no ORM object leaves db/)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from db.cpt_detail import CptView
from db.history import HistoryStep
from db.in_force import InForce
from db.models import (
    CPT,
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
from db.pfs import PfsView
from db.sources.articles import TABS

#: Kinds that are codes in the official sense (chapters, sections and PCS prefixes are navigation only).
EXPORTED_KINDS = {
    ICD10CM: ("category", "subcategory", "code"),
    ICD10PCS: ("code",),
    HCPCS: ("code", "modifier"),
    CPT: ("code", "modifier"),
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


def releases(session: Session, release_id: int | None = None) -> list[ReleaseView]:
    """Every loaded release (or the one with `release_id`), with its source files."""
    source_query = select(ReleaseSource).order_by(ReleaseSource.id)
    release_query = select(Release).order_by(Release.id)
    if release_id is not None:
        source_query = source_query.where(ReleaseSource.release_id == release_id)
        release_query = release_query.where(Release.id == release_id)
    sources: dict[int, list[SourceFile]] = {}
    for row in session.scalars(source_query):
        sources.setdefault(row.release_id, []).append(SourceFile(row.file_name, row.sha256, row.size_bytes))
    return [
        ReleaseView(r.system, r.content, r.name, r.valid_from, r.valid_to, tuple(sources.get(r.id, [])))
        for r in session.scalars(release_query)
    ]


def build_facts(session: Session) -> dict[str, object]:
    return {fact.key: json.loads(fact.value) for fact in session.scalars(select(BuildFact))}


def _newest_seq(session: Session) -> dict[str, int]:
    return {
        system: seq
        for system, seq in session.execute(
            select(Release.system, func.max(Release.seq)).where(Release.seq > 0).group_by(Release.system)
        )
    }


def _in_newest(session: Session) -> ColumnElement[bool]:
    """Code versions of each code set's newest release (and the undated CPT article references)."""
    newest = _newest_seq(session)
    return or_(
        Code.first_seq == 0,
        *(and_(Code.system == system, Code.first_seq <= seq, Code.last_seq >= seq) for system, seq in newest.items()),
    )


def counts_by_system(session: Session) -> dict[str, dict[str, int]]:
    """Codes, billable codes, headers, modifiers, notes, index terms (and CPT article references) per code set, in
    its newest release."""
    counts: dict[str, dict[str, int]] = {}
    newest = _in_newest(session)
    rows = session.execute(
        select(Code.system, Code.kind, Code.billable, func.count())
        .where(newest)
        .group_by(Code.system, Code.kind, Code.billable)
    )
    for system, kind, billable, number in rows:
        entry = counts.setdefault(system, {"codes": 0, "billable": 0, "headers": 0, "modifiers": 0})
        if kind == "modifier":
            entry["modifiers"] += number
            continue
        if kind == "reference":
            # A CPT number an article names, without a licensed descriptor: neither a code nor a header.
            entry["article_references"] = entry.get("article_references", 0) + number
            continue
        if kind in EXPORTED_KINDS.get(system, ("code",)):
            entry["codes"] += number
        if billable:
            entry["billable"] += number
        else:
            entry["headers"] += number
    for system, number in session.execute(
        select(Code.system, func.count()).join(Note, Note.code_id == Code.id).where(newest).group_by(Code.system)
    ):
        counts.setdefault(system, {})["notes"] = number
    for system, number in session.execute(
        select(Code.system, func.count())
        .join(IndexTerm, IndexTerm.code_id == Code.id)
        .where(newest)
        .group_by(Code.system)
    ):
        counts.setdefault(system, {})["index_terms"] = number
    for entry in counts.values():
        entry.setdefault("notes", 0)
        entry.setdefault("index_terms", 0)
    return counts


def export_rows(session: Session, answer: InForce, billable_only: bool = False) -> Iterator[ExportRow]:
    """Every code of a code set in force in the answering release, in code order, as a spreadsheet wants it."""
    system, seq = answer.system, answer.release.seq
    query = select(Code).where(
        Code.system == system, Code.kind.in_(EXPORTED_KINDS[system]), Code.first_seq <= seq, Code.last_seq >= seq
    )
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
            answer.release.name,
        )


def system_label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system)


@dataclass(frozen=True)
class CodeRef:
    system: str
    code: str
    display: str
    title: str
    kind: str
    billable: bool


@dataclass(frozen=True)
class NoteView:
    kind: str
    text: str
    #: The code (or chapter/section) where the tabular states the note.
    source: CodeRef
    inherited: bool


@dataclass(frozen=True)
class SeventhCharacterView:
    character: str
    meaning: str
    #: The full billable code this character makes with the selected code (placeholder X included).
    full_code: str | None


@dataclass(frozen=True)
class PcsCharacterView:
    position: int
    character: str
    axis_title: str
    label: str
    definition: str | None
    explanation: str | None
    includes: tuple[str, ...]


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    specialty: str
    last_reviewed: dt.date
    clinically_reviewed: bool
    #: (heading, markdown) in the official order.
    sections: tuple[tuple[str, str], ...]

    def tab(self, headings: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple((heading, body) for heading, body in self.sections if heading in headings)


#: Which article sections each detail tab shows (Procedure, Risks, Recovery), as the article format says.
ARTICLE_TABS: dict[str, tuple[str, ...]] = dict(TABS)


@dataclass(frozen=True)
class CodeDetail:
    ref: CodeRef
    status: str
    release: ReleaseView
    path: tuple[CodeRef, ...]
    children: tuple[CodeRef, ...]
    notes: tuple[NoteView, ...]
    seventh_characters: tuple[SeventhCharacterView, ...]
    #: Where the 7th-character table is stated.
    seventh_source: CodeRef | None
    pcs_characters: tuple[PcsCharacterView, ...]
    hcpcs_attributes: tuple[tuple[str, str], ...]
    index_terms: tuple[tuple[str, str], ...]
    siblings: tuple[CodeRef, ...]
    articles: tuple[ArticleView, ...] = ()
    #: The date of service the detail answers for, and whether the code is valid on it.
    day: dt.date | None = None
    valid_on_date: bool = False
    #: "valid on 2026-05-01 (ICD-10-CM FY2026 ...)", "deleted: not valid after 2025-09-30", "not valid until ..."
    validity: str = ""
    history: tuple[HistoryStep, ...] = ()
    #: "New in FY2026 ...", "Reworded in ...", "Deleted: ..." (None when unchanged over the loaded releases).
    history_line: str | None = None
    #: Set when no loaded release covers the date: what the clerk should do.
    notice: str | None = None
    #: The official short title (ICD-10-CM, when the release's order file was loaded; CPT's short descriptor).
    short_title: str | None = None
    #: Medicare fee-schedule facts (CPT and HCPCS), from the CPT year in force (db/pfs.py).
    fee_schedule: tuple[PfsView, ...] = ()
    #: CPT only: category, add-on, the other descriptors, the office list's columns, the AMA copyright line.
    cpt: CptView | None = None

    def to_json(self) -> dict[str, object]:
        def ref(item: CodeRef) -> dict[str, object]:
            return {
                "system": item.system,
                "code": item.code,
                "display": item.display,
                "title": item.title,
                "kind": item.kind,
                "billable": item.billable,
            }

        return {
            **ref(self.ref),
            "status": self.status,
            "date": self.day.isoformat() if self.day else None,
            "valid_on_date": self.valid_on_date,
            "validity": self.validity,
            "history_line": self.history_line,
            "history": [step.to_json() for step in self.history],
            "notice": self.notice,
            "short_title": self.short_title,
            "fee_schedule": [view.to_json() for view in self.fee_schedule],
            "cpt": self.cpt.to_json() if self.cpt else None,
            "release": self.release.to_json(),
            "path": [ref(item) for item in self.path],
            "children": [ref(item) for item in self.children],
            "notes": [
                {
                    "kind": n.kind,
                    "text": n.text,
                    "from": n.source.display,
                    "from_kind": n.source.kind,
                    "inherited": n.inherited,
                }
                for n in self.notes
            ],
            "seventh_characters": [
                {
                    "character": s.character,
                    "meaning": s.meaning,
                    "code": s.full_code,
                    "display": f"{s.full_code[:3]}.{s.full_code[3:]}" if s.full_code else None,
                }
                for s in self.seventh_characters
            ],
            "seventh_characters_from": self.seventh_source.display if self.seventh_source else None,
            "pcs_characters": [
                {
                    "position": c.position,
                    "character": c.character,
                    "axis": c.axis_title,
                    "label": c.label,
                    "definition": c.definition,
                    "explanation": c.explanation,
                    "includes": list(c.includes),
                }
                for c in self.pcs_characters
            ],
            "hcpcs_attributes": dict(self.hcpcs_attributes),
            "index_terms": [{"source": source, "term": term} for source, term in self.index_terms],
            "similar": [ref(item) for item in self.siblings],
            "articles": [
                {
                    "id": a.id,
                    "title": a.title,
                    "specialty": a.specialty,
                    "last_reviewed": a.last_reviewed.isoformat(),
                    "clinically_reviewed": a.clinically_reviewed,
                    "notice": "General information, not medical advice.",
                    "tabs": {tab: dict(a.tab(headings)) for tab, headings in ARTICLE_TABS.items()},
                }
                for a in self.articles
            ],
        }


def code_ref(code: Code) -> CodeRef:
    return CodeRef(code.system, code.code, code.display, code.title, code.kind, code.billable)


def find_code(session: Session, text: str, system: str | None = None) -> list[CodeRef]:
    """Codes whose code (with or without dot, any case) is `text`, in any loaded release, most likely system first."""
    compact = "".join(text.split()).replace(".", "").upper()
    query = select(Code).where(Code.code == compact).order_by(Code.last_seq.desc())
    if system:
        query = query.where(Code.system == system)
    # Written without a dot, a letter and four digits is first of all an HCPCS code (J1100 before J11.00).
    hcpcs_shaped = "." not in text and len(compact) == 5 and compact[0].isalpha() and compact[1:].isdigit()
    order = {HCPCS: -1} if hcpcs_shaped else {}
    order = {ICD10CM: 0, ICD10PCS: 1, HCPCS: 2, **order}
    newest: dict[str, CodeRef] = {}
    for version in session.scalars(query):
        newest.setdefault(version.system, code_ref(version))
    return sorted(newest.values(), key=lambda r: order.get(r.system, 9))
