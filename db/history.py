"""A code's history over the loaded releases, and the differences between two releases of a code set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.in_force import ReleaseRef, code_set_releases, versions
from db.models import HCPCS, ICD10CM, ICD10PCS, Code

#: Kinds that count as codes in a diff (headers included; chapters, sections and PCS navigation rows are not).
DIFF_KINDS = {
    ICD10CM: ("category", "subcategory", "code"),
    ICD10PCS: ("code",),
    HCPCS: ("code", "modifier"),
}
CHANGES = ("added", "deleted", "revised", "billable_changed")


def change_between(old: tuple[str, bool] | None, new: tuple[str, bool] | None) -> str | None:
    """added / deleted / revised (title wording) / billable_changed (header <-> billable) / None (unchanged)."""
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "deleted"
    if old[1] != new[1]:
        return "billable_changed"
    if old[0] != new[0]:
        return "revised"
    return None


@dataclass(frozen=True)
class HistoryStep:
    release: ReleaseRef
    present: bool
    display: str | None
    title: str | None
    billable: bool | None
    #: Against the release before it; None for "unchanged" and for the first loaded release.
    change: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "release": self.release.name,
            "valid_from": self.release.valid_from.isoformat() if self.release.valid_from else None,
            "valid_to": self.release.valid_to.isoformat() if self.release.valid_to else None,
            "present": self.present,
            "title": self.title,
            "billable": self.billable,
            "change": self.change,
        }


def code_history(session: Session, system: str, code: str) -> list[HistoryStep]:
    """Every loaded release of the code set, with the code as it read there (or its absence)."""
    all_versions = versions(session, system, code)
    steps: list[HistoryStep] = []
    previous: tuple[str, bool] | None = None
    for position, release in enumerate(code_set_releases(session, system)):
        version = next((v for v in all_versions if v.first_seq <= release.seq <= v.last_seq), None)
        current = (version.title, version.billable) if version is not None else None
        change = change_between(previous, current) if position else None
        steps.append(
            HistoryStep(
                release,
                version is not None,
                version.display if version else None,
                version.title if version else None,
                version.billable if version else None,
                change,
            )
        )
        previous = current
    return steps


def history_line(steps: list[HistoryStep]) -> str | None:
    """One line for the Overview: "New in …", "Reworded in …", "Deleted: not valid after …"."""
    for newer, older in zip(reversed(steps), list(reversed(steps))[1:], strict=False):
        if newer.change == "added":
            return f"New in {newer.release.name}"
        if newer.change == "deleted":
            end = older.release.valid_to
            return f"Deleted: not valid after {end.isoformat() if end else older.release.name}"
        if newer.change == "revised":
            return f"Reworded in {newer.release.name}"
        if newer.change == "billable_changed":
            became = "billable" if newer.billable else "a header (not billable)"
            return f"Became {became} in {newer.release.name}"
    return None


@dataclass(frozen=True)
class DiffRow:
    code: str
    display: str
    change: str
    old_title: str | None
    new_title: str | None
    old_billable: bool | None
    new_billable: bool | None

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "display": self.display,
            "change": self.change,
            "old_title": self.old_title,
            "new_title": self.new_title,
        }


def _codes_at(session: Session, system: str, seq: int) -> dict[str, tuple[str, str, bool]]:
    rows = session.execute(
        select(Code.code, Code.display, Code.title, Code.billable).where(
            Code.system == system,
            Code.kind.in_(DIFF_KINDS.get(system, ("code",))),
            Code.first_seq <= seq,
            Code.last_seq >= seq,
        )
    )
    return {code: (display, title, billable) for code, display, title, billable in rows}


def diff_releases(session: Session, system: str, old_seq: int, new_seq: int) -> list[DiffRow]:
    """Every code that differs between two releases of a code set, in code order."""
    old, new = _codes_at(session, system, old_seq), _codes_at(session, system, new_seq)
    rows: list[DiffRow] = []
    for code in sorted(old.keys() | new.keys()):
        before, after = old.get(code), new.get(code)
        change = change_between(
            (before[1], before[2]) if before else None,
            (after[1], after[2]) if after else None,
        )
        if change is None:
            continue
        shown = after or before
        assert shown is not None
        rows.append(
            DiffRow(
                code,
                shown[0],
                change,
                before[1] if before else None,
                after[1] if after else None,
                before[2] if before else None,
                after[2] if after else None,
            )
        )
    return rows
