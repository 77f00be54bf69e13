"""Parser for the CDC ICD-10-CM tabular list XML, with 7th-character codes expanded as coders bill them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from db.sources.errors import SourceFormatError
from db.sources.files import element_text, parse_xml

#: XML element -> note kind stored in the database, in the order the tabular prints them.
NOTE_ELEMENTS = {
    "inclusionTerm": "inclusion_term",
    "includes": "includes",
    "notes": "note",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional_code",
    "codeAlso": "code_also",
    "sevenChrNote": "seventh_character_note",
}

#: "7th characters D and S do not apply to codes in category S06 with 6th character 7 - ..., or 8 - ..."
SEVENTH_EXCEPTION = re.compile(
    r"7th characters? (?P<chars>[A-Z](?:(?:,| and| or)+ [A-Z])*) do(?:es)? not apply to codes in category"
    r" \S+ with 6th character (?P<sixth>\d)(?:[^,]*, or (?P<sixth2>\d))?",
)

CODE_SHAPE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@dataclass
class TabularEntry:
    """One chapter, section, category, subcategory or code of the tabular, in book order."""

    kind: str
    code: str
    display: str
    title: str
    billable: bool
    parent: str | None
    chapter: str | None
    section: str | None
    depth: int
    notes: list[tuple[str, str]] = field(default_factory=list)
    seventh_characters: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Tabular:
    version: str
    entries: list[TabularEntry]

    @property
    def billable_count(self) -> int:
        return sum(1 for entry in self.entries if entry.billable)


def code_without_dot(display: str) -> str:
    return display.replace(".", "")


def display_with_dot(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _notes_of(element: ET.Element) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    for child in element:
        kind = NOTE_ELEMENTS.get(child.tag)
        if kind is None:
            continue
        for note in child.iter("note"):
            text = element_text(note)
            if text:
                notes.append((kind, text))
    return notes


def _seventh_characters(element: ET.Element, notes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The 7th-character table stated on this element, if any.

    The tabular sometimes puts a bare <note> after an <extension> (e.g. "initial encounter for open
    fracture NOS" after B): it is an alternative wording of that extension, kept as a note so that
    nothing is lost while the code title uses the extension's own wording.
    """
    definition = element.find("sevenChrDef")
    if definition is None:
        return []
    characters: list[tuple[str, str]] = []
    for child in definition:
        if child.tag == "extension":
            character = (child.get("char") or "").strip().upper()
            meaning = element_text(child)
            if len(character) != 1 or not meaning:
                raise ValueError(f"7th-character extension without char or text: {ET.tostring(child)[:80]!r}")
            characters.append((character, meaning))
        elif child.tag == "note" and characters:
            notes.append(("seventh_character_note", f"{characters[-1][0]}: {element_text(child)}"))
    return characters


def _seventh_exceptions(notes: list[tuple[str, str]]) -> dict[str, set[str]]:
    """6th character -> 7th characters that the category's notes say do not apply to it."""
    exceptions: dict[str, set[str]] = {}
    for _kind, text in notes:
        match = SEVENTH_EXCEPTION.search(text)
        if match:
            excluded = set(re.findall(r"\b[A-Z]\b", match["chars"]))
            for sixth in (match["sixth"], match["sixth2"]):
                if sixth:
                    exceptions.setdefault(sixth, set()).update(excluded)
    return exceptions


def parse_tabular(path: Path) -> Tabular:
    """Every chapter, section, category and code of an ICD-10-CM tabular XML (any year, same format)."""
    root = parse_xml(path, "ICD10CM.tabular")
    version = element_text(root.find("version"))
    entries: list[TabularEntry] = []
    seen: set[str] = set()

    def add(entry: TabularEntry) -> None:
        if entry.code in seen:
            raise SourceFormatError(path, f"<diag> {entry.display}", "code appears twice in the tabular")
        seen.add(entry.code)
        entries.append(entry)

    def walk_diag(
        element: ET.Element,
        parent: str,
        chapter: str,
        section: str,
        depth: int,
        inherited_sevenths: list[tuple[str, str]],
        inherited_exceptions: dict[str, set[str]],
    ) -> None:
        display = element_text(element.find("name")).upper()
        title = element_text(element.find("desc"))
        if not CODE_SHAPE.match(display):
            where = f"<diag> under {parent}"
            raise SourceFormatError(path, where, f"diag name {display!r} is not an ICD-10-CM code")
        if not title:
            raise SourceFormatError(path, f"<diag> {display}", "code has no <desc> title")
        notes = _notes_of(element)
        try:
            sevenths = _seventh_characters(element, notes)
        except ValueError as error:
            raise SourceFormatError(path, f"<diag> {display}", str(error)) from error
        applicable = sevenths or inherited_sevenths
        exceptions = _seventh_exceptions(notes) or inherited_exceptions
        children = element.findall("diag")
        code = code_without_dot(display)
        is_leaf = not children
        billable = is_leaf and not applicable
        kind = "category" if len(code) == 3 else ("code" if billable else "subcategory")
        add(TabularEntry(kind, code, display, title, billable, parent, chapter, section, depth, notes, sevenths))
        for child in children:
            walk_diag(child, code, chapter, section, depth + 1, applicable, exceptions)
        if is_leaf and applicable:
            # A 7th character always sits in position 7: shorter codes take the placeholder X
            # (ICD-10-CM Official Guidelines I.A.5 and I.B.1).
            padded = code.ljust(6, "X")
            excluded = exceptions.get(padded[5], set())
            for character, meaning in applicable:
                if character in excluded:
                    continue
                full = padded + character
                add(
                    TabularEntry(
                        "code",
                        full,
                        display_with_dot(full),
                        f"{title}, {meaning}",
                        True,
                        code,
                        chapter,
                        section,
                        depth + 1,
                    )
                )

    chapters = root.findall("chapter")
    if not chapters:
        raise SourceFormatError(path, None, "no <chapter> elements: not an ICD-10-CM tabular list")
    for chapter_element in chapters:
        number = element_text(chapter_element.find("name"))
        if not number.isdigit():
            raise SourceFormatError(path, "<chapter>", f"chapter name {number!r} is not a number")
        chapter_code = f"CH{int(number):02d}"
        add(
            TabularEntry(
                "chapter",
                chapter_code,
                f"Chapter {int(number)}",
                element_text(chapter_element.find("desc")),
                False,
                None,
                None,
                None,
                0,
                _notes_of(chapter_element),
            )
        )
        for section_element in chapter_element.findall("section"):
            section_id = (section_element.get("id") or "").strip().upper()
            if not section_id:
                raise SourceFormatError(path, f"chapter {number}", "<section> without an id")
            first, _, last = section_id.partition("-")
            section_code = f"{first}-{last or first}"
            add(
                TabularEntry(
                    "section",
                    section_code,
                    section_id,
                    element_text(section_element.find("desc")),
                    False,
                    chapter_code,
                    chapter_code,
                    None,
                    1,
                    _notes_of(section_element),
                )
            )
            for diag in section_element.findall("diag"):
                walk_diag(diag, section_code, chapter_code, section_code, 2, [], {})
    return Tabular(version, entries)
