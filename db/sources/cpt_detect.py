"""Telling the licensed CPT files apart by content (for detect.py): AMA data files, the PFS relative value file,
an office's CSV/XLSX list; each with the CPT year it holds and what that was read from."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from db.sources.cpt_ama import looks_like_data_file, parse_lines
from db.sources.cpt_pfs import sniff_rows
from db.sources.cpt_shapes import code_text, cpt_release, year_from_names
from db.sources.cpt_table import choose_columns
from db.sources.detect_release import Dated
from db.sources.detect_sample import Sample
from db.sources.errors import SourceFormatError

__all__ = ["ama", "charge_list", "pfs"]

#: Share of distinct codes in a charge list's code column: edit tables (NCCI) repeat their column-1 codes.
MIN_DISTINCT_CODES = 0.8


def _dated(year: int | None, evidence: str, names: Sequence[str]) -> Dated:
    if year is not None:
        return Dated(cpt_release(year), evidence)
    named = year_from_names(names)
    if named is not None:
        return Dated(cpt_release(named[0]), f"{evidence}; CPT {named[0]} from the name {named[1]!r}")
    return Dated(cpt_release(None), f"{evidence}; neither the file nor its name states the CPT year")


def _rows(sample: Sample) -> list[tuple[Any, ...]] | None:
    """The first rows of a workbook, or of CSV text (comma, semicolon or TAB)."""
    if sample.workbook is not None:
        return None if sample.workbook.error else list(sample.workbook.rows)
    text = sample.text
    if text is None:
        return None
    joined = "\n".join(text.lines[:400])
    delimiter = max((",", ";", "\t"), key=joined[:8192].count)
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(joined), delimiter=delimiter)]
    except csv.Error:
        return None


def pfs(sample: Sample) -> Dated | None:
    rows = _rows(sample)
    found = sniff_rows(rows) if rows else None
    if found is None:
        return None
    year, title = found
    evidence = "CMS PFS relative value file (HCPCS, MOD, DESCRIPTION header)"
    return _dated(year, f"{evidence}; CPT {year} from the title {title!r}" if year else evidence, sample.names)


def ama(sample: Sample) -> Dated | None:
    text = sample.text
    if text is None or sample.workbook is not None:
        return None
    try:
        parsed = parse_lines(sample.entry.origin.path, text.lines, sample.names, complete=sample.complete)
    except SourceFormatError as error:
        if not looks_like_data_file(text.lines):
            return None
        # A CPT data file with a bad line: the scan lists it with the line, rather than "not a code file".
        where = f"{error.location}: " if error.location else ""
        raise SourceFormatError(sample.name, None, f"a CPT data file, but {where}{error.reason}") from error
    return _dated(None, parsed.evidence, sample.names)


def charge_list(sample: Sample) -> Dated | None:
    rows = _rows(sample)
    if not rows or max((len(row) for row in rows), default=0) < 2:
        return None
    try:
        choice = choose_columns(sample.entry.origin.path, rows)
    except SourceFormatError:
        return None
    codes = [code_text(row[choice.code_column]) for row in rows if choice.code_column < len(row)]
    codes = [code for code in codes if code and code[:4].isdigit()]
    if not codes or len(set(codes)) < MIN_DISTINCT_CODES * len(codes):
        return None
    return _dated(None, f"a CPT list ({choice.why})", sample.names)
