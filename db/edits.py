"""A procedure code's NCCI edits for a date of service, from the NCCI store: its PTP partners in both columns and
its MUE values in each setting (the Edits tab and `codebook-cli show --json`). No Qt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.ncci_store import MUE, PTP, EditionRow, MueRow, PtpRow, open_store
from db.sources.ncci import DME, HOSPITAL, PRACTITIONER

__all__ = ["CodeEdits", "MueEntry", "PtpPartner", "PtpTable", "code_edits"]

PTP_SETTINGS = (PRACTITIONER, HOSPITAL)
MUE_SETTINGS = (PRACTITIONER, HOSPITAL, DME)
MODIFIER_WORDS = {
    0: "0: not allowed (no modifier bypasses it)",
    1: "1: allowed with an NCCI-associated modifier",
    9: "9: not applicable",
}


@dataclass(frozen=True)
class PtpPartner:
    """One edit naming the code: its two columns (the code is one of them), dates and whether it applies."""

    column1: str
    column2: str
    modifier: int
    effective: dt.date
    #: None while the edit is in force.
    deletion: dt.date | None
    rationale: str
    in_force: bool

    def partner_of(self, code: str) -> str:
        return self.column2 if self.column1 == code else self.column1

    def why_not(self, day: dt.date) -> str:
        """Why the edit does not apply on the day ("" when it does)."""
        if self.in_force:
            return ""
        if self.effective > day:
            return f"takes effect {self.effective.isoformat()}"
        assert self.deletion is not None
        if self.deletion <= self.effective:
            return "deleted the day it took effect (never applied)"
        return f"deleted {self.deletion.isoformat()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "column1": self.column1,
            "column2": self.column2,
            "modifier_indicator": self.modifier,
            "effective": self.effective.isoformat(),
            "deletion": self.deletion.isoformat() if self.deletion else None,
            "rationale": self.rationale,
            "in_force_on_date": self.in_force,
        }


@dataclass(frozen=True)
class PtpTable:
    """The code's edits in one setting's quarter: in force on the date first, then the others."""

    setting: str
    edition: str
    #: False when no loaded quarter covers the date (the newest before it is used, else the oldest).
    covers_date: bool
    partners: tuple[PtpPartner, ...]

    @property
    def in_force(self) -> tuple[PtpPartner, ...]:
        return tuple(p for p in self.partners if p.in_force)

    @property
    def others(self) -> tuple[PtpPartner, ...]:
        return tuple(p for p in self.partners if not p.in_force)

    def to_json(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "edition": self.edition,
            "covers_date": self.covers_date,
            "edits": [p.to_json() for p in self.partners],
        }


@dataclass(frozen=True)
class MueEntry:
    """The code's MUE in one setting's table (value None: the table has no MUE for the code)."""

    setting: str
    edition: str
    covers_date: bool
    value: int | None = None
    adjudication: int | None = None
    adjudication_text: str = ""
    rationale: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "edition": self.edition,
            "covers_date": self.covers_date,
            "value": self.value,
            "adjudication_indicator": self.adjudication,
            "adjudication_text": self.adjudication_text or None,
            "rationale": self.rationale or None,
        }


@dataclass(frozen=True)
class CodeEdits:
    code: str
    day: dt.date
    ptp: tuple[PtpTable, ...]
    mue: tuple[MueEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "ptp": [table.to_json() for table in self.ptp],
            "mue": [entry.to_json() for entry in self.mue],
        }


def _partner(row: PtpRow, day: dt.date) -> PtpPartner:
    return PtpPartner(row.column1, row.column2, row.modifier, row.effective, row.deletion, row.rationale,
                      row.in_force(day))  # fmt: skip


def _order(code: str) -> Callable[[PtpPartner], tuple[bool, bool, str, dt.date]]:
    # In force first; within each, the code as column 1 before the code as column 2, then by partner.
    def key(partner: PtpPartner) -> tuple[bool, bool, str, dt.date]:
        return (not partner.in_force, partner.column1 != code, partner.partner_of(code), partner.effective)

    return key


def code_edits(data_dir: Path, code: str, day: dt.date) -> CodeEdits | None:
    """The code's PTP edits and MUE values in the quarters in force on `day`; None when no NCCI data is loaded."""
    store = open_store(data_dir)
    if store is None:
        return None
    code = code.strip().upper().replace(".", "")
    tables: list[PtpTable] = []
    for setting in PTP_SETTINGS:
        answer = store.edition_for(PTP, setting, day)
        if answer is None:
            continue
        edition, covered = answer
        partners = sorted((_partner(row, day) for row in store.partners(edition, code)), key=_order(code))
        tables.append(PtpTable(setting, edition.name, covered, tuple(partners)))
    entries: list[MueEntry] = []
    for setting in MUE_SETTINGS:
        answer = store.edition_for(MUE, setting, day)
        if answer is None:
            continue
        edition, covered = answer
        entries.append(_mue_entry(store.mue(edition, [code]).get(code), setting, edition, covered))
    return CodeEdits(code, day, tuple(tables), tuple(entries))


def _mue_entry(row: MueRow | None, setting: str, edition: EditionRow, covered: bool) -> MueEntry:
    if row is None:
        return MueEntry(setting, edition.name, covered)
    return MueEntry(setting, edition.name, covered, row.value, row.adjudication, row.adjudication_text, row.rationale)
