"""Parser for the CMS ICD-10-PCS tables and definitions XML: valid codes, axis labels, composed titles."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from db.sources.errors import SourceFormatError
from db.sources.files import element_text, parse_xml
from db.sources.pcs_titles import long_title

AXIS_CHARACTER = re.compile(r"^[0-9A-HJ-NP-Z]$")  # PCS never uses the letters I and O


@dataclass(frozen=True)
class AxisValue:
    position: int
    character: str
    axis_title: str
    label: str
    definition: str | None = None


@dataclass
class PcsTable:
    """One table: the first three characters fixed, rows of valid values for characters 4-7."""

    prefix: str
    head: tuple[AxisValue, AxisValue, AxisValue]
    rows: list[dict[int, list[AxisValue]]] = field(default_factory=list)

    def codes(self) -> Iterator[tuple[str, tuple[AxisValue, ...]]]:
        """Every valid code of the table with the meaning of each of its 7 characters."""
        for row in self.rows:
            for tail in itertools.product(row[4], row[5], row[6], row[7]):
                values = (*self.head, *tail)
                yield "".join(value.character for value in values), values


@dataclass(frozen=True)
class PcsDefinitionEntry:
    section: str
    position: int
    axis_title: str
    term: str
    definition: str | None
    explanation: str | None
    includes: tuple[str, ...]


def _axis_values(path: Path, axis: ET.Element, where: str) -> tuple[int, str, list[AxisValue]]:
    try:
        position = int(axis.get("pos", ""))
    except ValueError:
        raise SourceFormatError(path, where, f"axis without a numeric pos: {axis.get('pos')!r}") from None
    title = element_text(axis.find("title"))
    definition = element_text(axis.find("definition")) or None
    values = []
    for label in axis.findall("label"):
        character = (label.get("code") or "").strip().upper()
        if not AXIS_CHARACTER.match(character):
            raise SourceFormatError(path, where, f"axis {position} label code {character!r} is not a PCS character")
        values.append(AxisValue(position, character, title, element_text(label), definition))
    if not values:
        raise SourceFormatError(path, where, f"axis {position} has no labels")
    return position, title, values


def parse_tables(path: Path) -> tuple[str, list[PcsTable]]:
    """The version and every table of an ICD-10-PCS tables XML (any year, same format)."""
    root = parse_xml(path, "ICD10PCS.tabular")
    version = element_text(root.find("version"))
    tables: list[PcsTable] = []
    for number, table_element in enumerate(root.findall("pcsTable"), start=1):
        where = f"<pcsTable> #{number}"
        head: dict[int, AxisValue] = {}
        for axis in table_element.findall("axis"):
            position, _title, values = _axis_values(path, axis, where)
            if len(values) != 1 or position not in (1, 2, 3):
                raise SourceFormatError(path, where, f"table axis {position} must hold exactly one value")
            head[position] = values[0]
        if set(head) != {1, 2, 3}:
            raise SourceFormatError(path, where, "table does not define axes 1, 2 and 3")
        table = PcsTable("".join(head[p].character for p in (1, 2, 3)), (head[1], head[2], head[3]))
        for row_number, row_element in enumerate(table_element.findall("pcsRow"), start=1):
            row: dict[int, list[AxisValue]] = {}
            for axis in row_element.findall("axis"):
                position, _title, values = _axis_values(path, axis, f"table {table.prefix} row {row_number}")
                row[position] = values
            if set(row) != {4, 5, 6, 7}:
                raise SourceFormatError(
                    path, f"table {table.prefix} row {row_number}", "row does not define axes 4 to 7"
                )
            table.rows.append(row)
        if not table.rows:
            raise SourceFormatError(path, f"table {table.prefix}", "table has no rows")
        tables.append(table)
    if not tables:
        raise SourceFormatError(path, None, "no <pcsTable> elements: not an ICD-10-PCS tables file")
    return version, tables


def parse_definitions(path: Path) -> list[PcsDefinitionEntry]:
    """Official definitions of axis values, per section and character position."""
    root = parse_xml(path, "ICD10PCS.definitions")
    entries: list[PcsDefinitionEntry] = []
    for section in root.findall("section"):
        section_code = (section.get("code") or "").strip().upper()
        if not AXIS_CHARACTER.match(section_code):
            raise SourceFormatError(path, "<section>", f"section code {section_code!r} is not a PCS character")
        for axis in section.findall("axis"):
            try:
                position = int(axis.get("pos", ""))
            except ValueError:
                raise SourceFormatError(path, f"section {section_code}", "axis without numeric pos") from None
            axis_title = element_text(axis.find("title"))
            for terms in axis.findall("terms"):
                definition = element_text(terms.find("definition")) or None
                explanation = element_text(terms.find("explanation")) or None
                includes = tuple(element_text(item) for item in terms.findall("includes"))
                for title in terms.findall("title"):
                    entries.append(
                        PcsDefinitionEntry(
                            section_code,
                            position,
                            axis_title,
                            element_text(title),
                            definition,
                            explanation,
                            includes,
                        )
                    )
    if not entries:
        raise SourceFormatError(path, None, "no definitions found: not an ICD-10-PCS definitions file")
    return entries


def compose_title(values: tuple[AxisValue, ...]) -> str:
    """A code's long title composed from its axis labels, worded as CMS words it (db.sources.pcs_titles)."""
    return long_title(values, values[0].character)
