"""Claim text -> codes with their modifiers, units and diagnosis pointers, as superbills and claim screens write them.

Pure and total: any text gives a ParsedClaim (never an exception), in linear time. Separators of any kind
(commas, semicolons, bars, slashes, tabs, new lines) split the claim; within a part, a procedure code takes
the modifiers after `-` or a space and units after `x`/`*`/`units`/`qty`; descriptions, labels ("Dx:",
"CPT") and list markers are skipped and reported as ignored. Which code set a code belongs to is only
guessed from its shape here (`ClaimLine.shapes`); the check settles it against the loaded releases.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

#: Longer input is cut (a claim is never this long); the cut is reported in `ParsedClaim.ignored`.
MAX_INPUT_CHARS = 100_000
MAX_CODES = 1000
MAX_IGNORED = 40
MAX_UNITS_DIGITS = 6

ICD10CM, ICD10PCS, HCPCS, CPT = "icd10cm", "icd10pcs", "hcpcs", "cpt"
PROCEDURE_SYSTEMS = (HCPCS, CPT)


@dataclass(frozen=True)
class ClaimLine:
    #: As typed, e.g. "99214-25 x1".
    written: str
    #: Upper case, no dot: "E1165", "99214".
    code: str
    #: Code sets the code may belong to by its shape, most likely first.
    shapes: tuple[str, ...]
    dotted: bool = False
    modifiers: tuple[str, ...] = ()
    units: int = 1
    pointers: tuple[str, ...] = ()

    @property
    def procedure_shaped(self) -> bool:
        return self.shapes[0] in PROCEDURE_SYSTEMS


@dataclass(frozen=True)
class ParsedClaim:
    lines: tuple[ClaimLine, ...]
    ignored: tuple[str, ...] = ()


_CONTROL = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}
# Hard separators end a code's part of the text: what follows cannot be its modifier or units.
_SEPARATORS = re.compile(r"[,;|/\\\n\r\t\u2022]+")
_SOFT = re.compile(r"[()\[\]{}:=<>\"'\u2018\u2019\u201c\u201d\u00ab\u00bb]")
_ICD_DOTTED = re.compile(r"[A-Z]\d[0-9A-Z]\.[0-9A-Z]{0,4}")
_ICD_COMPACT = re.compile(r"[A-Z]\d[0-9A-Z]{1,5}")
_HCPCS = re.compile(r"[A-Z]\d{4}")
_CPT = re.compile(r"\d{4}[0-9FTU]")
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
_PCS_SECTIONS = set("0123456789BCDFGHX")
_UNITS_GLUED = re.compile(rf"(?:X|\*|×)(\d{{1,{MAX_UNITS_DIGITS}}})")
_UNITS_AFTER = re.compile(rf"(\d{{1,{MAX_UNITS_DIGITS}}})(?:U|UN|UNIT|UNITS)")
_UNIT_WORDS = {"UNIT", "UNITS", "UN", "QTY", "QUANTITY", "UOS", "DAYS/UNITS"}
_TIMES = {"X", "*", "×"}
_MODIFIER_WORDS = {"MOD", "MODS", "MODIFIER", "MODIFIERS", "W/MOD"}
_POINTER_WORDS = {"PTR", "PTRS", "POINTER", "POINTERS", "DXPTR", "DX-PTR"}
_LABELS = {
    "DX", "DXS", "ICD", "ICD10", "ICD-10", "ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS", "PX", "PXS", "PROC",
    "DIAG", "DIAGNOSIS", "DIAGNOSES", "PROCEDURE", "PROCEDURES", "CODES", "CODE", "LINE", "SVC", "SERVICE",
}  # fmt: skip
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_POINTER = re.compile(r"[A-L]|[1-9]{1,4}|[A-L]{2,4}")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00d7": "×"})


def code_shapes(compact: str, dotted: bool = False) -> tuple[str, ...]:
    """The code sets a code written so may belong to, most likely first ('' tuple: not a code's shape)."""
    if dotted:
        return (ICD10CM,)
    if _CPT.fullmatch(compact):
        return (CPT,)
    if _HCPCS.fullmatch(compact):
        # Written without a dot, a letter and four digits is first of all an HCPCS code (J1100 before J11.00).
        return (HCPCS, ICD10CM)
    shapes: list[str] = []
    if len(compact) == 7 and compact[0] in _PCS_SECTIONS and _PCS.fullmatch(compact):
        shapes.append(ICD10PCS)
    if _ICD_COMPACT.fullmatch(compact):
        shapes.append(ICD10CM)
    return tuple(shapes)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT_CHARS]).translate(_DASHES)
    return "".join(" " if unicodedata.category(ch) in _CONTROL and ch not in "\n\t" else ch for ch in text)


def parse_claim(text: str) -> ParsedClaim:
    lines: list[ClaimLine] = []
    ignored: list[str] = []
    if len(text) > MAX_INPUT_CHARS:
        ignored.append(f"(text after the first {MAX_INPUT_CHARS:,} characters)")
    for part in _SEPARATORS.split(_clean(text)):
        if len(lines) >= MAX_CODES:
            ignored.append(f"(codes after the first {MAX_CODES})")
            break
        _parse_part(_SOFT.sub(" ", part).split(), lines, ignored)
    unique = tuple(dict.fromkeys(ignored))
    return ParsedClaim(tuple(lines[:MAX_CODES]), unique[:MAX_IGNORED])


class _Part:
    """The state while reading one separated part: the last code and whether it still takes modifiers."""

    def __init__(self, lines: list[ClaimLine]) -> None:
        self.lines = lines
        self.current: int | None = None
        self.takes_modifiers = False
        self.expect: str | None = None  # "units", "modifiers", "pointers" after a keyword

    def line(self) -> ClaimLine | None:
        return self.lines[self.current] if self.current is not None else None

    def update(self, **changes: Any) -> None:
        line = self.line()
        if line is not None and self.current is not None:
            self.lines[self.current] = dataclasses.replace(line, **changes)

    def add_written(self, token: str) -> None:
        line = self.line()
        if line is not None:
            self.update(written=f"{line.written} {token}")


def _parse_part(tokens: list[str], lines: list[ClaimLine], ignored: list[str]) -> None:
    state = _Part(lines)
    for index, raw in enumerate(tokens):
        token = raw.strip(".,#").upper()
        if not token:
            continue
        following = tokens[index + 1].upper().strip(".") if index + 1 < len(tokens) else ""
        if _keyword(state, token):
            continue
        if _value(state, token, following):
            continue
        if _code(state, raw, token, ignored):
            continue
        if token != "-":
            state.takes_modifiers = False
            state.expect = None
            if len(ignored) < MAX_IGNORED * 4:
                ignored.append(raw)


def _keyword(state: _Part, token: str) -> bool:
    if token in _UNIT_WORDS:
        state.expect = "units"
        state.add_written(token.lower())
        return True
    if token in _MODIFIER_WORDS:
        state.expect = "modifiers"
        state.takes_modifiers = state.line() is not None
        return True
    if token in _POINTER_WORDS:
        state.expect = "pointers"
        return True
    if token in _TIMES:
        state.expect = "units"
        return True
    if token.rstrip(":") in _LABELS:
        if token.rstrip(":") in {"DX", "DIAG"}:
            state.expect = "pointers" if state.line() is not None else None
        else:
            state.expect = None
        if state.expect is None:
            state.current, state.takes_modifiers = None, False
        return True
    return False


def _set_units(state: _Part, digits: str, token: str) -> bool:
    line = state.line()
    if line is None:
        return False
    state.update(units=int(digits), written=f"{line.written} {token.lower()}")
    state.expect = None
    return True


def _value(state: _Part, token: str, following: str) -> bool:
    """Units, modifiers and pointers of the current code."""
    line = state.line()
    if line is None:
        return False
    glued = _UNITS_GLUED.fullmatch(token) or _UNITS_AFTER.fullmatch(token)
    if glued:
        return _set_units(state, glued.group(1), token)
    modifier = token.lstrip("-")
    takes = line.procedure_shaped and state.takes_modifiers and _MODIFIER.fullmatch(modifier) is not None
    if takes and state.expect == "modifiers":
        state.update(modifiers=(*line.modifiers, modifier), written=f"{line.written} {modifier}")
        return True
    number = token.isdigit() and len(token) <= MAX_UNITS_DIGITS
    if number and (state.expect == "units" or following in _UNIT_WORDS):
        return _set_units(state, token, token)
    if state.expect == "pointers" and _POINTER.fullmatch(token):
        state.update(pointers=(*line.pointers, *token))
        return True
    if takes and (len(token) == 2 or token.startswith("-")):
        state.update(modifiers=(*line.modifiers, modifier), written=f"{line.written} {modifier}")
        return True
    if line.procedure_shaped and token.isdigit() and len(token) in (1, 3):
        return _set_units(state, token, token)
    if len(token) == 1 and token in "ABCDEFGHIJKL":
        state.update(pointers=(*line.pointers, token))
        return True
    return False


def _code(state: _Part, raw: str, token: str, ignored: list[str]) -> bool:
    """A code, with modifiers joined by '-' and units glued on ('99214-25-59', '20610-RT', 'J1030x2')."""
    head, *joined = token.split("-")
    units: str | None = None
    if joined:
        last = _UNITS_GLUED.search(joined[-1])
        if last and last.end() == len(joined[-1]) and last.start() > 0:
            units, joined[-1] = last.group(1), joined[-1][: last.start()]
    else:
        glued = re.fullmatch(rf"(.+?)(?:X|\*)(\d{{1,{MAX_UNITS_DIGITS}}})", head)
        if glued and code_shapes(glued.group(1))[:1] in ((HCPCS,), (CPT,)):
            head, units = glued.group(1), glued.group(2)
    dotted = "." in head
    if dotted and not _ICD_DOTTED.fullmatch(head):
        return False
    compact = head.replace(".", "")
    shapes = code_shapes(compact, dotted)
    if not shapes:
        return False
    modifiers = tuple(part for part in joined if part)
    if modifiers and shapes[0] not in PROCEDURE_SYSTEMS:
        # 'E11.65-Type' is a code and a description, not a modifier
        ignored.extend(part for part in modifiers if not _MODIFIER.fullmatch(part))
        modifiers = ()
    state.lines.append(
        ClaimLine(
            written=raw.strip(".,"),
            code=compact,
            shapes=shapes,
            dotted=dotted,
            modifiers=modifiers,
            units=int(units) if units else 1,
        )
    )
    state.current = len(state.lines) - 1
    state.takes_modifiers = shapes[0] in PROCEDURE_SYSTEMS
    state.expect = None
    return True
