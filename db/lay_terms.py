"""The curated lay-term and abbreviation table (resources/lay_terms.tsv): reading and checking it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db.models import HCPCS, ICD10CM, ICD10PCS
from db.paths import resources_dir
from db.sources.errors import SourceFormatError
from db.text import words

LAY_TERMS_FILE = "lay_terms.tsv"
SYSTEMS = (ICD10CM, ICD10PCS, HCPCS)


@dataclass(frozen=True)
class LayTerm:
    """What a user types (`term`), the official words it means and the code families it points to."""

    term: str
    words: tuple[str, ...]
    official_words: tuple[str, ...]
    #: (system, code without dot)
    codes: tuple[tuple[str, str], ...]
    line: int


def default_lay_terms_path() -> Path:
    return resources_dir() / LAY_TERMS_FILE


def read_lay_terms(path: Path) -> list[LayTerm]:
    """Every entry of the table; a malformed line stops with the file, line and reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceFormatError(path, None, f"cannot read the lay-terms table: {error}") from error
    entries: list[LayTerm] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        columns = raw.split("\t")
        if len(columns) != 3:
            raise SourceFormatError(path, f"line {number}", f"expected 3 tab-separated columns, found {len(columns)}")
        term, official, code_list = (column.strip() for column in columns)
        term_words = tuple(words(term))
        if not term_words:
            raise SourceFormatError(path, f"line {number}", "the term column is empty")
        if term_words in seen:
            raise SourceFormatError(path, f"line {number}", f"term {term!r} already on line {seen[term_words]}")
        seen[term_words] = number
        codes: list[tuple[str, str]] = []
        for item in code_list.split():
            system, _, code = item.partition(":")
            if system not in SYSTEMS or not code:
                raise SourceFormatError(
                    path, f"line {number}", f"code {item!r} is not system:code ({'/'.join(SYSTEMS)})"
                )
            codes.append((system, code.replace(".", "").upper()))
        if not official and not codes:
            raise SourceFormatError(path, f"line {number}", "needs official words or codes")
        entries.append(LayTerm(term, term_words, tuple(words(official)), tuple(codes), number))
    return entries
