"""A parsed claim read against the database for its date of service: each code's system and version, and the
tabular lineage, notes and 7th characters the rules need, fetched in a few batched queries per claim."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.in_force import InForce, in_force_all
from db.models import CPT, HCPCS, ICD10CM, Code, Note, SeventhCharacter
from db.rules.claim import ClaimLine, ParsedClaim

if TYPE_CHECKING:
    from db.ncci_store import NcciStore

#: SQLite's default limit on bound parameters is 999 (older builds): stay under it.
_CHUNK = 400
#: Note kinds the rules read.
NOTE_KINDS = ("excludes1", "code_first", "use_additional_code")


@dataclass(frozen=True)
class CodeRow:
    id: int
    system: str
    code: str
    display: str
    title: str
    kind: str
    billable: bool
    parent_code: str | None
    section_code: str | None
    chapter_code: str | None
    first_seq: int
    last_seq: int


_COLUMNS = (
    Code.id,
    Code.system,
    Code.code,
    Code.display,
    Code.title,
    Code.kind,
    Code.billable,
    Code.parent_code,
    Code.section_code,
    Code.chapter_code,
    Code.first_seq,
    Code.last_seq,
)


def code_row(values: Any) -> CodeRow:
    """A CodeRow from a result row of _COLUMNS."""
    return CodeRow(*values)


def fetch_rows(session: Session, pairs: Iterable[tuple[str, str]]) -> list[CodeRow]:
    """Every version of each (system, code) pair."""
    wanted = set(pairs)
    systems = sorted({system for system, _ in wanted})
    codes = sorted({code for _, code in wanted})
    rows: list[CodeRow] = []
    # system IN and code IN (not a row-value IN, which SQLite answers with a full scan) use the
    # (system, code, first_seq) index; pairs not asked for are dropped after.
    for start in range(0, len(codes), _CHUNK):
        query = select(*_COLUMNS).where(Code.system.in_(systems), Code.code.in_(codes[start : start + _CHUNK]))
        rows.extend(row for row in (code_row(values) for values in session.execute(query))
                    if (row.system, row.code) in wanted)  # fmt: skip
    return rows


@dataclass(frozen=True)
class ResolvedLine:
    line: ClaimLine
    #: The code set the code was found in ("" when none has it; "cpt" for CPT-shaped codes without CPT loaded).
    system: str
    #: The version in force on the date, else the code's newest version; None when no release has the code.
    row: CodeRow | None
    #: Every version of the code in its system, oldest first.
    versions: tuple[CodeRow, ...] = ()

    @property
    def code(self) -> str:
        return self.line.code

    @property
    def display(self) -> str:
        return self.row.display if self.row is not None else self.line.code


@dataclass
class ClaimContext:
    """The claim as the rules see it; lineage and notes are fetched once, on first use."""

    session: Session
    day: dt.date
    parsed: ParsedClaim
    answers: dict[str, InForce]
    lines: tuple[ResolvedLine, ...]
    #: practitioner or hospital (outpatient): which NCCI/MUE tables apply.
    setting: str = "practitioner"
    ncci: NcciStore | None = None
    #: Where Medicare coverage is read from (the data folder or an open coverage store); None: not checked.
    coverage: Path | sqlite3.Connection | None = None
    _lineage: dict[int, tuple[CodeRow, ...]] = field(default_factory=dict)
    _sevenths: dict[int, dict[str, str]] = field(default_factory=dict)
    _sevenths_asked: set[int] = field(default_factory=set)

    def prefetch_seventh_characters(self) -> None:
        """One query for the 7th characters of every level above the claim's diagnoses."""
        self.seventh_characters([row for line in self.diagnoses for row in self.lineage(line)])

    def seq_for(self, row: CodeRow) -> int:
        """The release a row's notes are read from: the one in force, or the row's own last one."""
        answer = self.answers.get(row.system)
        if answer is not None and row.first_seq <= answer.release.seq <= row.last_seq:
            return answer.release.seq
        return row.last_seq

    def in_force_on_date(self, row: CodeRow) -> bool:
        answer = self.answers.get(row.system)
        return answer is not None and answer.covered and row.first_seq <= answer.release.seq <= row.last_seq

    @cached_property
    def diagnoses(self) -> tuple[ResolvedLine, ...]:
        return tuple(line for line in self.lines if line.system == ICD10CM and line.row is not None)

    @cached_property
    def procedures(self) -> tuple[ResolvedLine, ...]:
        return tuple(line for line in self.lines if line.system in (HCPCS, CPT) and line.row is not None)

    @cached_property
    def _ancestors(self) -> dict[tuple[str, int], CodeRow]:
        """(code, seq) -> version, for every ancestor of the claim's ICD-10-CM codes (by prefix, plus the
        section and chapter), in the release each code is read from."""
        wanted: set[tuple[str, int]] = set()
        for line in self.diagnoses:
            assert line.row is not None
            seq = self.seq_for(line.row)
            wanted.update((line.code[:length], seq) for length in range(3, len(line.code)))
            for extra in (line.row.section_code, line.row.chapter_code):
                if extra:
                    wanted.add((extra, seq))
        by_code: dict[str, list[CodeRow]] = {}
        for row in fetch_rows(self.session, ((ICD10CM, code) for code, _ in wanted)):
            by_code.setdefault(row.code, []).append(row)
        found: dict[tuple[str, int], CodeRow] = {}
        for code, seq in wanted:
            match = next((r for r in by_code.get(code, ()) if r.first_seq <= seq <= r.last_seq), None)
            if match is not None:
                found[(code, seq)] = match
        return found

    def lineage(self, line: ResolvedLine) -> tuple[CodeRow, ...]:
        """The code's version, then its ancestors nearest first (category, section, chapter)."""
        row = line.row
        if row is None:
            return ()
        if row.id not in self._lineage:
            seq = self.seq_for(row)
            prefixes = [line.code[:length] for length in range(len(line.code) - 1, 2, -1)]
            extras = [code for code in (row.section_code, row.chapter_code) if code]
            chain = [self._ancestors.get((code, seq)) for code in (*prefixes, *extras)]
            self._lineage[row.id] = (row, *(r for r in chain if r is not None))
        return self._lineage[row.id]

    @cached_property
    def notes(self) -> dict[int, tuple[tuple[str, str], ...]]:
        """code row id -> (kind, text) of its notes the rules read, in the tabular's order."""
        ids = sorted({row.id for line in self.diagnoses for row in self.lineage(line)})
        found: dict[int, list[tuple[str, str]]] = {}
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(Note.code_id, Note.kind, Note.text)
                .where(Note.code_id.in_(ids[start : start + _CHUNK]), Note.kind.in_(NOTE_KINDS))
                .order_by(Note.code_id, Note.position)
            )
            for code_id, kind, text in self.session.execute(query):
                found.setdefault(code_id, []).append((kind, text))
        return {key: tuple(value) for key, value in found.items()}

    def seventh_characters(self, rows: Sequence[CodeRow]) -> tuple[CodeRow | None, dict[str, str]]:
        """The nearest level of `rows` (a lineage) defining 7th characters, and its characters -> meanings."""
        found = self._sevenths
        missing = sorted({row.id for row in rows} - self._sevenths_asked)
        if missing:
            self._sevenths_asked.update(missing)
            query = (
                select(SeventhCharacter.code_id, SeventhCharacter.character, SeventhCharacter.meaning)
                .where(SeventhCharacter.code_id.in_(missing))
                .order_by(SeventhCharacter.position)
            )
            for code_id, character, meaning in self.session.execute(query):
                found.setdefault(code_id, {})[character] = meaning
        for row in rows:
            if row.id in found:
                return row, found[row.id]
        return None, {}


def resolve(session: Session, parsed: ParsedClaim, day: dt.date, **options: object) -> ClaimContext:
    """Settle each line's code set against the loaded releases and pick the version for the date."""
    answers = in_force_all(session, day)
    pairs = {(system, line.code) for line in parsed.lines for system in line.shapes}
    by_pair: dict[tuple[str, str], list[CodeRow]] = {}
    for row in fetch_rows(session, pairs):
        if row.first_seq > 0:  # seq 0: CPT numbers named by articles, not a code set release
            by_pair.setdefault((row.system, row.code), []).append(row)
    lines: list[ResolvedLine] = []
    for line in parsed.lines:
        lines.append(_pick(line, by_pair, answers))
    return ClaimContext(session, day, parsed, answers, tuple(lines), **options)  # type: ignore[arg-type]


def _pick(line: ClaimLine, by_pair: dict[tuple[str, str], list[CodeRow]], answers: dict[str, InForce]) -> ResolvedLine:
    # Modifiers or units say "procedure": prefer the procedure code sets for such a line.
    shapes = line.shapes
    if (line.modifiers or line.units != 1) and HCPCS in shapes:
        shapes = (HCPCS, *(s for s in shapes if s != HCPCS))
    found = [(system, sorted(by_pair[(system, line.code)], key=lambda r: r.first_seq)) for system in shapes
             if (system, line.code) in by_pair]  # fmt: skip
    if not found:
        return ResolvedLine(line, shapes[0] if shapes[0] == CPT else "", None)

    def in_force(system: str, rows: list[CodeRow]) -> CodeRow | None:
        answer = answers.get(system)
        seq = answer.release.seq if answer else -1
        return next((r for r in rows if r.first_seq <= seq <= r.last_seq), None)

    for system, rows in found:
        current = in_force(system, rows)
        if current is not None:
            return ResolvedLine(line, system, current, tuple(rows))
    system, rows = found[0]
    return ResolvedLine(line, system, rows[-1], tuple(rows))
