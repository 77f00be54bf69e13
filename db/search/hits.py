"""Search results as the app and CLI see them, and why each one matched (with highlight spans)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from db.query_text import QueryPlan
from db.search.rows import RowStore
from db.text import word_spans, words


@dataclass(frozen=True)
class SearchHit:
    system: str
    code: str
    display: str
    title: str
    billable: bool
    kind: str
    #: code, title, inclusion term, index term, synonym, article, correction
    matched: str
    #: The text that matched: the title, or the inclusion/index term.
    matched_text: str
    #: (start, end) character spans in matched_text to highlight.
    spans: tuple[tuple[int, int], ...]
    #: The lay term or corrected word that led here ("copd", "pneumonia").
    via: str | None = None
    #: The database row (codes.id) of this code version; None for hits not read from the index.
    row: int | None = None

    @property
    def corrected(self) -> bool:
        return self.matched == "correction"

    def to_json(self) -> dict[str, object]:
        return {
            "system": self.system,
            "code": self.code,
            "display": self.display,
            "title": self.title,
            "billable": self.billable,
            "kind": self.kind,
            "matched": self.matched,
            "matched_text": self.matched_text,
            "spans": [list(span) for span in self.spans],
            "via": self.via,
        }


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[SearchHit, ...]
    #: "pneumonia" when the words as typed found nothing and a corrected search ran.
    corrected_query: str | None
    elapsed_ms: float


def spans(text: str, query_words: Sequence[str]) -> tuple[tuple[int, int], ...]:
    prefixes = tuple(query_words)
    return tuple((start, end) for start, end, word in word_spans(text) if word.startswith(prefixes))


def matches_all(text_words: Iterable[str], query_words: Sequence[str]) -> bool:
    return all(any(word.startswith(q) for word in text_words) for q in query_words)


#: Per query word: the prefix it matches at a word start ("" for none) and the other words it may match.
Accepted = Sequence[tuple[str, frozenset[str]]]


def _accepts(text_words: Sequence[str], accepted: Accepted) -> bool:
    return all(
        any((prefix and word.startswith(prefix)) or word in others for word in text_words)
        for prefix, others in accepted
    )


def make_hit(
    rows: RowStore,
    docnum: int,
    plan: QueryPlan,
    tier: str,
    correction: str | None,
    accepted: Accepted | None = None,
    label: str | None = None,
) -> SearchHit:
    """The hit for a document found by `tier` (code, lay-family, lay-title, title, text, forms, partial).

    With `accepted` (the forms and partial tiers), the title or the first other wording holding every
    matched word is shown, and the word forms that stood in for typed words are named ("renal -> kidney").
    """
    system, code, display, kind, title, billable, row_id = rows.data(docnum)
    if accepted is not None:
        return _forms_hit(rows, plan, accepted, label, correction, rows.data(docnum))
    query_words = plan.words
    via = None
    if tier == "code":
        code_span = ((0, len(display)),)
        return SearchHit(system, code, display, title, billable, kind, "code", display, code_span, None, row_id)
    matched, matched_text, highlight = "title", title, list(query_words)
    if tier in ("lay-title", "lay-family"):
        lay_terms = [lay for group in plan.groups for lay in group.lay_terms]
        via = lay_terms[0].term if lay_terms else None
        matched = "synonym"
        highlight = [w for g in plan.groups if not g.lay_terms for w in g.words]
        highlight += [w for lay in lay_terms for w in lay.official_words]
    elif tier == "text" and not matches_all(words(title), query_words):
        for source, text in rows.alternatives(row_id, system, code):
            if matches_all(words(text), query_words):
                matched, matched_text = source, text
                break
    if correction is not None:
        matched, via = "correction", correction
    return SearchHit(
        system, code, display, title, billable, kind, matched, matched_text, spans(matched_text, highlight), via, row_id
    )


def _forms_hit(
    rows: RowStore,
    plan: QueryPlan,
    accepted: Accepted,
    label: str | None,
    correction: str | None,
    data: tuple[str, str, str, str, str, bool, int],
) -> SearchHit:
    system, code, display, kind, title, billable, row_id = data
    matched, matched_text = "title", title
    if not _accepts(words(title), accepted):
        for source, text in rows.alternatives(row_id, system, code):
            if _accepts(words(text), accepted):
                matched, matched_text = source, text
                break
    text_words = words(matched_text)
    typed = [word for word in plan.words]
    stand_ins = [
        f"{query} -> {word}"
        for query, (prefix, others) in zip(typed, accepted, strict=False)
        if not any(word.startswith(query) for word in text_words)
        for word in dict.fromkeys(text_words)
        if word in others and word != query
    ]
    via = None
    if label is not None:
        matched, via = "partial", label
    elif stand_ins:
        matched, via = "synonym", ", ".join(stand_ins[:3])
    if correction is not None:
        via = f"{via}; corrected: {correction}" if label is not None else correction
        matched = "partial" if label is not None else "correction"
    highlight = [prefix for prefix, _others in accepted if prefix]
    highlight += [word for _prefix, others in accepted for word in others]
    return SearchHit(
        system, code, display, title, billable, kind, matched, matched_text, spans(matched_text, highlight), via, row_id
    )
