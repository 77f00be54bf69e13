"""One code's detail as in force on a date of service: Session -> CodeDetail (the detail view and `show`)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from db.cpt_detail import cpt_view
from db.history import code_history, history_line
from db.in_force import in_force, validity_text, version_at, versions
from db.models import CPT, HCPCS, ICD10CM, ICD10PCS, Code, IndexTerm, Note, Release
from db.pfs import fee_schedule
from db.queries import (
    ArticleView,
    CodeDetail,
    CodeRef,
    NoteView,
    PcsCharacterView,
    SeventhCharacterView,
    code_ref,
    releases,
)


def _status(code: Code, needs_seventh: bool) -> str:
    if code.kind == "modifier":
        return "modifier: appended to a code to add information; not billed on its own"
    if code.billable:
        return "billable"
    if needs_seventh:
        return "header: needs a 7th character to be billable (see the 7th-character table)"
    return "header: not billable, choose a more specific code"


def _seventh_character_code(code: str, character: str) -> str:
    return code.ljust(6, "X") + character


def _at(system: str, seq: int) -> ColumnElement[bool]:
    return and_(Code.system == system, Code.first_seq <= seq, Code.last_seq >= seq)


def _pcs_characters(session: Session, compact: str, seq: int) -> list[PcsCharacterView]:
    from db.models import PcsAxisValue, PcsDefinition

    pcs: list[PcsCharacterView] = []
    contexts = {1: "", 2: compact[:1], 3: compact[:2]}
    for position, character in enumerate(compact, start=1):
        context = contexts.get(position, compact[:3])
        axis = session.scalars(
            select(PcsAxisValue).where(
                PcsAxisValue.context == context,
                PcsAxisValue.position == position,
                PcsAxisValue.character == character,
                PcsAxisValue.first_seq <= seq,
                PcsAxisValue.last_seq >= seq,
            )
        ).first()
        if axis is None:
            continue
        definition = session.scalars(
            select(PcsDefinition).where(
                PcsDefinition.section == compact[0],
                PcsDefinition.position == position,
                PcsDefinition.term == axis.label,
                PcsDefinition.first_seq <= seq,
                PcsDefinition.last_seq >= seq,
            )
        ).first()
        pcs.append(
            PcsCharacterView(
                position,
                character,
                axis.axis_title,
                axis.label,
                (definition.definition if definition else None) or axis.definition,
                definition.explanation if definition else None,
                tuple((definition.includes or "").splitlines()) if definition else (),
            )
        )
    return pcs


def code_detail(session: Session, system: str, code_text: str, day: dt.date | None = None) -> CodeDetail | None:
    """Everything the detail view and `codebook-cli show` need about one code, as in force on `day` (default
    today). A code not valid that day is still answered (as it read in its last release) and marked so."""
    from db.models import HcpcsAttributes, SeventhCharacter

    day = day or dt.date.today()
    compact = code_text.replace(".", "").upper()
    answer = in_force(session, system, day)
    all_versions = versions(session, system, compact)
    if not all_versions:
        return None
    code = version_at(session, system, compact, answer.release.seq) if answer else None
    if code is None:
        code = all_versions[-1]
    valid, validity = validity_text(session, code, answer)
    # The release the answer is read from: the one in force, or the code's own last one when it is not in force.
    seq = answer.release.seq if answer and code.first_seq <= answer.release.seq <= code.last_seq else code.last_seq

    def at_seq(code_value: str | None) -> Code | None:
        return version_at(session, system, code_value, seq) if code_value is not None else None

    ancestors: list[Code] = []
    node: Code | None = at_seq(code.parent_code)
    while node is not None:
        ancestors.append(node)
        node = at_seq(node.parent_code)
    for extra in (code.section_code, code.chapter_code) if system == ICD10CM else ():
        found = at_seq(extra)
        if found is not None and all(a.code != found.code for a in ancestors):
            ancestors.append(found)
    lineage = [code, *ancestors]
    ids = [item.id for item in lineage]
    by_id = {item.id: item for item in lineage}

    notes: list[NoteView] = []
    note_rows = session.scalars(select(Note).where(Note.code_id.in_(ids)).order_by(Note.position)).all()
    for level in lineage:
        for note in (n for n in note_rows if n.code_id == level.id):
            notes.append(NoteView(note.kind, note.text, code_ref(by_id[note.code_id]), note.code_id != code.id))
    cpt = cpt_view(code.code, code.kind, notes) if system == CPT else None
    notes = [note for note in notes if not note.kind.startswith("cpt_")]  # shown in the CPT section

    children = session.scalars(
        select(Code).where(_at(system, seq), Code.parent_code == code.code).order_by(Code.sort_order)
    ).all()
    sevenths: list[SeventhCharacterView] = []
    seventh_source: CodeRef | None = None
    seventh_rows = session.scalars(
        select(SeventhCharacter).where(SeventhCharacter.code_id.in_(ids)).order_by(SeventhCharacter.position)
    ).all()
    child_codes = {child.code for child in children}
    for level in lineage:
        level_rows = [row for row in seventh_rows if row.code_id == level.id]
        if level_rows:
            seventh_source = code_ref(level)
            for row in level_rows:
                full = _seventh_character_code(code.code, row.character) if len(code.code) < 7 else None
                sevenths.append(SeventhCharacterView(row.character, row.meaning, full if full in child_codes else None))
            break

    pcs = _pcs_characters(session, compact, seq) if system == ICD10PCS else []

    attributes: list[tuple[str, str]] = []
    if system == HCPCS:
        hcpcs_row = session.get(HcpcsAttributes, code.id)
        if hcpcs_row is not None:
            for column in HcpcsAttributes.__table__.columns:
                if column.name == "code_id":
                    continue
                value = getattr(hcpcs_row, column.name)
                if value not in (None, "", False):
                    attributes.append((column.name, value.isoformat() if hasattr(value, "isoformat") else str(value)))

    siblings: list[Code] = []
    if code.parent_code is not None:
        siblings = list(
            session.scalars(
                select(Code)
                .where(_at(system, seq), Code.parent_code == code.parent_code, Code.code != code.code)
                .order_by(Code.sort_order)
                .limit(60)
            )
        )
    elif system == HCPCS:
        siblings = list(
            session.scalars(
                select(Code)
                .where(_at(system, seq), Code.kind == code.kind, Code.code.like(code.code[:3] + "%"))
                .where(Code.code != code.code)
                .order_by(Code.code)
                .limit(60)
            )
        )
    # The ICD-10-PCS index points to body parts ("Cholecystectomy" -> 0FT4): such an entry leads to every code
    # under it. Entries for a whole table ("Hepatectomy" -> 0FT) are too broad to list for each code, and
    # ICD-10-CM index entries lead to the code they name only.
    index_ids = [item.id for item in lineage if len(item.code) >= 4] if system == ICD10PCS else [code.id]
    index_terms = session.execute(
        select(IndexTerm.source, IndexTerm.term).where(IndexTerm.code_id.in_(index_ids)).order_by(IndexTerm.id)
    ).all()
    release_id = next(
        (r.id for r in session.scalars(select(Release).where(Release.system == system, Release.seq == seq))),
        code.release_id,
    )
    history = code_history(session, system, code.code) if code.first_seq else []
    return CodeDetail(
        ref=code_ref(code),
        status=_status(code, bool(sevenths) and not code.billable),
        release=releases(session, release_id)[0],
        path=tuple(code_ref(item) for item in reversed(ancestors)),
        children=tuple(code_ref(child) for child in children),
        notes=tuple(notes),
        seventh_characters=tuple(sevenths),
        seventh_source=seventh_source,
        pcs_characters=tuple(pcs),
        hcpcs_attributes=tuple(attributes),
        index_terms=tuple((source, term) for source, term in index_terms),
        siblings=tuple(code_ref(item) for item in siblings),
        articles=articles_for(session, code.system, code.code),
        day=day,
        valid_on_date=valid,
        validity=validity,
        history=tuple(history),
        history_line=history_line(history),
        notice=answer.notice() if answer else None,
        short_title=code.short_title,
        fee_schedule=fee_schedule(session, code.code, day) if system in (CPT, HCPCS) else (),
        cpt=cpt,
    )


def articles_for(session: Session, system: str, code: str) -> tuple[ArticleView, ...]:
    """Articles linked to this code (for ICD-10-PCS, also through any prefix of it)."""
    from db.models import ArticleLink, ArticleRow

    candidates = [code[:n] for n in range(1, len(code) + 1)] if system == ICD10PCS else [code]
    ids = session.scalars(
        select(ArticleLink.article_id).where(ArticleLink.system == system, ArticleLink.code.in_(candidates)).distinct()
    ).all()
    rows = session.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids)).order_by(ArticleRow.title)).all()
    return tuple(
        ArticleView(
            row.id,
            row.title,
            row.specialty,
            row.last_reviewed,
            row.clinically_reviewed,
            tuple((heading, body) for heading, body in json.loads(row.sections)),
        )
        for row in rows
    )
