"""Which release of a code set answers for a date of service, and which version of a code is in force then."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import SYSTEM_LABELS, Code, Release

#: Release contents that are a code set's own releases (indexes and article references are not).
CODE_SET_CONTENTS = ("tabular", "tables", "codes")


@dataclass(frozen=True)
class ReleaseRef:
    id: int
    system: str
    seq: int
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return self.valid_from is not None and self.valid_to is not None and self.valid_from <= day <= self.valid_to

    def dates_text(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "?"
        end = self.valid_to.isoformat() if self.valid_to else "?"
        return f"{start} to {end}"


@dataclass(frozen=True)
class InForce:
    """The release that answers for `day` in one code set: the one covering it, else the newest one loaded."""

    system: str
    day: dt.date
    release: ReleaseRef
    covered: bool

    def notice(self) -> str | None:
        """What to tell the clerk when no loaded release covers the date (None when one does)."""
        if self.covered:
            return None
        label = SYSTEM_LABELS.get(self.system, self.system)
        return (
            f"No loaded {label} release covers {self.day.isoformat()}: answers come from {self.release.name} "
            f"(dates of service {self.release.dates_text()}) and are outside its validity. "
            "Load the release in force with File → Import official files… (or `codebook-cli import`)"
        )


def code_set_releases(session: Session, system: str | None = None) -> list[ReleaseRef]:
    """The loaded releases of each code set, oldest first."""
    query = select(Release).where(Release.content.in_(CODE_SET_CONTENTS), Release.seq > 0)
    if system is not None:
        query = query.where(Release.system == system)
    return [
        ReleaseRef(r.id, r.system, r.seq, r.name, r.valid_from, r.valid_to)
        for r in session.scalars(query.order_by(Release.system, Release.seq))
    ]


def in_force(session: Session, system: str, day: dt.date) -> InForce | None:
    """None when the code set has no release loaded at all."""
    loaded = code_set_releases(session, system)
    if not loaded:
        return None
    for release in loaded:
        if release.covers(day):
            return InForce(system, day, release, True)
    return InForce(system, day, loaded[-1], False)


def in_force_all(session: Session, day: dt.date) -> dict[str, InForce]:
    """Every loaded code set's answering release for `day`."""
    by_system: dict[str, list[ReleaseRef]] = {}
    for release in code_set_releases(session):
        by_system.setdefault(release.system, []).append(release)
    answers: dict[str, InForce] = {}
    for system, loaded in by_system.items():
        covering = next((release for release in loaded if release.covers(day)), None)
        answers[system] = InForce(system, day, covering or loaded[-1], covering is not None)
    return answers


def versions(session: Session, system: str, code: str) -> list[Code]:
    """Every version of a code, oldest first."""
    return list(session.scalars(select(Code).where(Code.system == system, Code.code == code).order_by(Code.first_seq)))


def version_at(session: Session, system: str, code: str, seq: int) -> Code | None:
    return session.scalars(
        select(Code).where(Code.system == system, Code.code == code, Code.first_seq <= seq, Code.last_seq >= seq)
    ).first()


@dataclass(frozen=True)
class RowsInForce:
    """The code rows a word search may show for a date: every row except the versions not in force then.

    Held as the (few) excluded rows, not the (200,000) allowed ones, so a date change costs one small query.
    """

    excluded: frozenset[int]

    def __contains__(self, row_id: object) -> bool:
        return row_id not in self.excluded


def rows_in_force(session: Session, answers: dict[str, InForce]) -> RowsInForce:
    """Rows of versions not in the answering release of their code set are excluded (CPT article references,
    which belong to no dated release, never are)."""
    excluded: set[int] = set()
    release_counts = {release.system: release.seq for release in code_set_releases(session)}
    for system, answer in answers.items():
        if release_counts.get(system, 0) <= 1:
            continue  # one release: every version of the code set is in it
        seq = answer.release.seq
        excluded.update(
            session.scalars(
                select(Code.id).where(Code.system == system, (Code.first_seq > seq) | (Code.last_seq < seq))
            )
        )
    return RowsInForce(frozenset(excluded))


def validity_text(session: Session, code: Code, answer: InForce | None) -> tuple[bool, str]:
    """(valid on the date, what to say): "deleted: not valid after 2025-09-30", "not valid until 2026-04-01"."""
    if code.first_seq == 0 or answer is None:
        return False, "not part of a dated release"
    seq = answer.release.seq
    if code.first_seq <= seq <= code.last_seq:
        if answer.covered:
            return True, f"valid on {answer.day.isoformat()} ({answer.release.name})"
        return False, f"outside the loaded releases: as in {answer.release.name}, the newest loaded"
    loaded = {release.seq: release for release in code_set_releases(session, code.system)}
    all_versions = versions(session, code.system, code.code)
    first, last = all_versions[0].first_seq, all_versions[-1].last_seq
    if last < seq:
        end = loaded[last].valid_to
        return False, f"deleted: not valid after {end.isoformat() if end else loaded[last].name}"
    if first > seq:
        start = loaded[first].valid_from
        return False, f"not valid until {start.isoformat() if start else loaded[first].name}"
    return False, f"not in {answer.release.name} (in force on {answer.day.isoformat()})"


def valid_codes(
    session: Session, answers: dict[str, InForce], pairs: list[tuple[str, str]], require_covered: bool = True
) -> set[tuple[str, str]]:
    """Which (system, code) pairs are valid on the answers' date: in the answering release, and (unless
    `require_covered` is False) that release covers the date."""
    found: set[tuple[str, str]] = set()
    by_system: dict[str, list[str]] = {}
    for system, code in pairs:
        by_system.setdefault(system, []).append(code)
    for system, codes in by_system.items():
        answer = answers.get(system)
        if answer is None or (require_covered and not answer.covered):
            continue
        seq = answer.release.seq
        for code in session.scalars(
            select(Code.code).where(
                Code.system == system, Code.code.in_(codes), Code.first_seq <= seq, Code.last_seq >= seq
            )
        ):
            found.add((system, code))
    return found
