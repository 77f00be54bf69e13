"""Following the ICD-10-CM index's cross-references: "Cancer - see Neoplasm, malignant, by site" makes the
neoplasm table's malignant entries reachable as cancer ("pancreatic cancer" -> C25.9)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from db.sources.code_indexes import CrossReference, IndexEntry
from db.text import words

#: One reference leads to at most this many entries ("see Neoplasm, malignant, by site" is every site of the
#: table's two malignant columns: some 3,000 in the official table).
MAX_FOLLOWED = 5000
_NEMOD = re.compile(r"\([^()]*\)")


def _plain(term: str) -> str:
    """A term path without its nonessential modifiers, which do not restrict it ("(malignant)" of Hypertension)."""
    while True:
        stripped = _NEMOD.sub(" ", term)
        if stripped == term:
            return " ".join(term.split())
        term = stripped


def follow_references(references: Iterable[CrossReference], entries: list[IndexEntry]) -> list[IndexEntry]:
    """New index entries, one per (reference, entry it leads to), attached to that entry's code.

    A reference "see Neoplasm, malignant, by site" leads to the entries whose term starts with its main term
    ("Neoplasm") and holds every word of its other parts ("malignant"), a part that only says how to choose
    ("by site") asking for nothing. Each new term says which reference led there: "Cancer (see Neoplasm,
    malignant, by site): Neoplasm, neoplastic, pancreas - Malignant Primary". One level is followed (a
    reference to a term that itself only refers on leads nowhere), and a term is never led to itself.
    """
    by_head: dict[str, list[tuple[IndexEntry, str]]] = {}
    for entry in entries:
        plain = _plain(entry.term).casefold()
        head = plain.split(",", 1)[0].split(" - ", 1)[0].strip()
        by_head.setdefault(head, []).append((entry, plain))
    found: list[IndexEntry] = []
    for reference in references:
        parts = [part.strip() for part in _plain(reference.target).casefold().split(",")]
        head, qualifiers = parts[0], [part for part in parts[1:] if part and not part.startswith("by ")]
        wanted = {word for part in qualifiers for word in words(part)}
        label = f"{reference.term} ({reference.kind} {reference.target})"
        led = 0
        for entry, plain in by_head.get(head, ()):
            rest = set(words(plain[len(head) :]))
            if not wanted <= rest or entry.term.startswith(reference.term):
                continue
            found.append(
                IndexEntry(entry.source, f"{label}: {entry.term}", entry.code, entry.incomplete, reference.line)
            )
            led += 1
            if led >= MAX_FOLLOWED:
                break
    return found
