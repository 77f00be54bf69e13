"""Ordering the first matches read for a query: lay-term families, whole words, general titles first."""

from __future__ import annotations

from collections.abc import Sequence

from db.search.rows import RowStore

#: Title words that add no specificity, for ranking general titles first.
GENERIC_WORDS = frozenset(
    [
        "unspecified",
        "nos",
        "organism",
        "site",
        "of",
        "the",
        "and",
        "or",
        "with",
        "without",
        "in",
        "to",
        "due",
        "by",
        "for",
        "a",
        "an",
        "as",
        "on",
        "at",
        "type",
        "initial",
        "encounter",
        "approach",
        "open",
    ]
)


def rerank(
    rows: RowStore, docnums: list[int], query_words: Sequence[str], families: Sequence[tuple[str, str]] = ()
) -> list[int]:
    """Lay-term families in the table's order, whole-word matches, titles starting with the query, then
    the most general titles.

    "General" counts the title's words that the query did not ask for, not counting words that only say
    the title is general ("unspecified", "organism"...): "Pneumonia, unspecified organism" is what a coder
    typing "pneumonia" wants before "Pneumonia due to Pseudomonas".
    """

    def family_position(system: str, code: str) -> int:
        for position, (family_system, family_code) in enumerate(families):
            if system == family_system and code.startswith(family_code):
                return position
        return len(families)

    rows.prefetch(docnums)
    # str.startswith with a tuple tries every query word in C: this key runs for every candidate of every tier.
    prefixes = tuple(query_words)

    def key(docnum: int) -> tuple[int, int, int, int, int, int]:
        system, code, _display, kind, _title, billable = rows.data(docnum)[:6]
        title_words = rows.title_word_list(docnum)
        whole = sum(1 for q in prefixes if q in title_words)
        # "Unspecified asthma" starts with what was asked as much as "Asthma, ..." does.
        core = [word for word in title_words if word not in GENERIC_WORDS]
        starts = 0 if core and prefixes and core[0].startswith(prefixes[0]) else 1
        specific = sum(1 for word in core if not word.startswith(prefixes))
        header = 0 if billable or kind == "modifier" else 1
        return (family_position(system, code), -whole, starts, specific, header, rows.position(docnum))

    return sorted(docnums, key=key)
