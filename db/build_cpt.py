"""The user's licensed CPT files of one year -> a `cpt` release: code versions titled by the best descriptor,
the other descriptors and charge-list columns as the version's notes, the fee-schedule facts beside them.

Which descriptor titles a code: AMA long, then medium, then the office's list, then AMA short, then the PFS
file's short descriptor; the short title is the AMA short descriptor, else the PFS one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.build_rows import Tables
from db.models import CPT
from db.pfs import PfsFact
from db.releases import ReleaseInfo
from db.sources.cpt_ama import KIND_LABELS, read_ama
from db.sources.cpt_pfs import PfsFile, read_pfs
from db.sources.cpt_shapes import CODE, MODIFIER, cpt_release, is_add_on, year_from_names
from db.sources.cpt_table import read_table
from db.sources.errors import SourceFormatError

TITLE_ORDER = ("long", "medium", "list", "short", "pfs")
#: Note kinds of a CPT version (the detail's CPT section reads them; the Notes tab ignores them).
NOTE_KINDS = {
    "medium": "cpt_medium",
    "consumer": "cpt_consumer",
    "clinician": "cpt_clinician",
    "extra": "cpt_extra",
    "add_on": "cpt_add_on",
}
ADD_ON_NOTE = "Add-on code: its descriptor says to list it separately in addition to the code for the primary procedure"


@dataclass(frozen=True)
class CptSource:
    """One licensed file: its path, detected kind (cpt-ama, cpt-pfs, cpt-csv) and, for a list, the columns the
    clerk chose (1-based; None: found by shape and content)."""

    path: Path
    kind: str
    code_column: int | None = None
    description_column: int | None = None


@dataclass(frozen=True)
class CptFiles:
    """The files of one CPT year."""

    files: tuple[CptSource, ...]
    origin: str = "imported"
    release: ReleaseInfo | None = None


@dataclass
class ParsedCpt:
    #: code -> descriptor kind (long, medium, short, list, pfs, modifiers) -> text
    descriptors: dict[str, dict[str, str]] = field(default_factory=dict)
    consumer: dict[str, str] = field(default_factory=dict)
    clinician: dict[str, list[str]] = field(default_factory=dict)
    extras: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    pfs: PfsFile | None = None
    #: One entry per file: name, kind, descriptor kind, rows (what `import --json` and `info` report).
    files: list[dict[str, Any]] = field(default_factory=list)


def read_cpt(cpt: CptFiles) -> tuple[ReleaseInfo, ParsedCpt]:
    """Read every file of one year; a bad file raises SourceFormatError naming it and the line."""
    parsed = ParsedCpt()
    for source in cpt.files:
        if source.kind == "cpt-ama":
            ama = read_ama(source.path)
            for entry in ama.entries:
                if ama.descriptor_kind == "clinician":
                    parsed.clinician.setdefault(entry.code, []).append(entry.descriptor)
                elif ama.descriptor_kind == "consumer":
                    parsed.consumer[entry.code] = entry.descriptor
                else:
                    parsed.descriptors.setdefault(entry.code, {})[ama.descriptor_kind] = entry.descriptor
            parsed.files.append(_file(source, KIND_LABELS[ama.descriptor_kind], len(ama.entries), ama.evidence))
        elif source.kind == "cpt-pfs":
            if parsed.pfs is not None:
                raise SourceFormatError(source.path, None, "a second relative value file for the same CPT year")
            parsed.pfs = read_pfs(source.path)
            for row in parsed.pfs.rows:
                if CODE.fullmatch(row.code) and not row.modifier and row.description:
                    parsed.descriptors.setdefault(row.code, {})["pfs"] = row.description
            parsed.files.append(_file(source, "PFS relative values", len(parsed.pfs.rows), parsed.pfs.title))
        elif source.kind == "cpt-csv":
            table = read_table(source.path, source.code_column, source.description_column)
            for entry in table.entries:
                parsed.descriptors.setdefault(entry.code, {})["list"] = entry.descriptor
            parsed.extras.update(table.extras)
            why = table.choice.why + (f"; {table.hcpcs_rows} HCPCS Level II rows left out" if table.hcpcs_rows else "")
            parsed.files.append(_file(source, "office list", len(table.entries), why))
        else:
            raise SourceFormatError(source.path, None, f"not a CPT file kind: {source.kind}")
    info = cpt.release or _release_of(cpt, parsed)
    return info, parsed


def _file(source: CptSource, what: str, rows: int, evidence: str) -> dict[str, Any]:
    return {"file": source.path.name, "kind": source.kind, "content": what, "rows": rows, "evidence": evidence}


def _release_of(cpt: CptFiles, parsed: ParsedCpt) -> ReleaseInfo:
    if parsed.pfs is not None and parsed.pfs.year is not None:
        return cpt_release(parsed.pfs.year)
    named = year_from_names([source.path.name for source in cpt.files])
    return cpt_release(named[0] if named else None)


def _title(texts: dict[str, str]) -> str:
    return next(texts[kind] for kind in (*TITLE_ORDER, "modifiers") if kind in texts)


def load_cpt_release(
    tables: Tables, parsed: ParsedCpt, release_id: int, seq: int, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Add one CPT year's codes and fee-schedule facts; returns what was loaded."""
    counts = {"codes": 0, "modifiers": 0, "add_on": 0, "pfs_rows": 0}
    for code in sorted(parsed.descriptors, key=lambda c: (len(c) == 2, c)):
        texts = parsed.descriptors[code]
        is_modifier = len(code) == 2 and MODIFIER.fullmatch(code) is not None
        notes: list[tuple[str, str]] = []
        if "medium" in texts and texts["medium"] != _title(texts):
            notes.append((NOTE_KINDS["medium"], texts["medium"]))
        if code in parsed.consumer:
            notes.append((NOTE_KINDS["consumer"], parsed.consumer[code]))
        notes += [(NOTE_KINDS["clinician"], text) for text in parsed.clinician.get(code, [])]
        notes += [(NOTE_KINDS["extra"], f"{header}: {value}") for header, value in parsed.extras.get(code, ())]
        add_on = not is_modifier and is_add_on([*texts.values(), *parsed.clinician.get(code, [])])
        if add_on:
            notes.append((NOTE_KINDS["add_on"], ADD_ON_NOTE))
        tables.add_code(
            CPT,
            code,
            seq,
            release_id,
            notes=notes,
            display=code,
            kind="modifier" if is_modifier else "code",
            title=_title(texts),
            short_title=texts.get("short") or texts.get("pfs"),
            billable=not is_modifier,
            parent_code=None,
            chapter_code=None,
            section_code=None,
            depth=0,
        )
        counts["modifiers" if is_modifier else "codes"] += 1
        counts["add_on"] += add_on
    if parsed.pfs is not None:
        progress(f"  fee-schedule facts: {len(parsed.pfs.rows):,} rows")
        # Every row of one bulk insert needs the same columns, whichever columns a year's file has.
        blank = {column.name: None for column in PfsFact.__table__.columns if column.name != "id"}
        for position, row in enumerate(parsed.pfs.rows):
            values = row.values
            tables.pfs_facts.append(
                blank
                | {
                    "release_id": release_id,
                    "code": row.code,
                    "modifier": row.modifier,
                    "position": position,
                    "nonfacility_na": values.get("nonfacility_na") == "NA",
                    "facility_na": values.get("facility_na") == "NA",
                    **{k: v for k, v in values.items() if k not in ("nonfacility_na", "facility_na")},
                }
            )
        counts["pfs_rows"] = len(parsed.pfs.rows)
    return counts
