"""What the user typed -> a query plan: code shapes, words, the word being typed, lay terms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from db.lay_terms import LayTerm
from db.models import CPT, HCPCS, ICD10CM, ICD10PCS
from db.text import fold, words

#: Longer input is cut: nobody types more, and it keeps every query bounded.
MAX_QUERY_CHARS = 200
MAX_WORDS = 10
STOP_WORDS = frozenset({"of", "the", "and", "with", "in", "to", "for", "a", "an", "on", "at", "by", "or", "from"})

CODE_CHARS = re.compile(r"^[A-Z0-9]{2,8}$")
HCPCS_SHAPE = re.compile(r"^[A-V][0-9]{4}$")
MODIFIER_SHAPE = re.compile(r"^[A-Z0-9]{2}$")
CPT_SHAPE = re.compile(r"^[0-9]{4}[0-9FTUAM]$")


@dataclass(frozen=True)
class WordGroup:
    """Query words that must all match, alone or through one lay term they spell."""

    words: tuple[str, ...]
    #: The words end with the one being typed (matched as a prefix).
    ends_with_prefix: bool
    lay_terms: tuple[LayTerm, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    raw: str
    #: Upper case, without dots, spaces and dashes, when the input could be a code.
    code: str | None
    #: Systems to look the code up in, most likely first.
    code_systems: tuple[str, ...]
    groups: tuple[WordGroup, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for group in self.groups for word in group.words)

    @property
    def is_empty(self) -> bool:
        return self.code is None and not self.groups


def _code_candidate(text: str) -> tuple[str | None, tuple[str, ...]]:
    stripped = text.strip().upper()
    if not stripped or len(stripped) > 12:
        return None, ()
    compact = re.sub(r"[.\-\s]", "", stripped)
    if not CODE_CHARS.match(compact):
        return None, ()
    has_digit = any(ch.isdigit() for ch in compact)
    if not has_digit and not MODIFIER_SHAPE.match(compact):
        return None, ()
    if "." in stripped:
        return compact, (ICD10CM,)
    if HCPCS_SHAPE.match(compact):
        return compact, (HCPCS, ICD10CM, CPT, ICD10PCS)
    if CPT_SHAPE.match(compact):
        return compact, (CPT, ICD10PCS, HCPCS, ICD10CM)
    if len(compact) == 7:
        return compact, (ICD10PCS, ICD10CM, HCPCS, CPT)
    if len(compact) == 2:
        return compact, (HCPCS, CPT, ICD10CM, ICD10PCS)
    return compact, (ICD10CM, ICD10PCS, HCPCS, CPT)


class LayTermMatcher:
    """Finds the lay terms spelled by consecutive query words (longest first)."""

    def __init__(self, lay_terms: Iterable[LayTerm]) -> None:
        self._by_first_word: dict[str, list[LayTerm]] = {}
        for term in lay_terms:
            self._by_first_word.setdefault(term.words[0], []).append(term)
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda term: -len(term.words))

    def groups(self, query_words: list[str], last_is_prefix: bool) -> list[WordGroup]:
        groups: list[WordGroup] = []
        position = 0
        while position < len(query_words):
            match = self._match_at(query_words, position, last_is_prefix)
            if match:
                length, terms = match
                span = tuple(query_words[position : position + length])
                ends_open = last_is_prefix and position + length == len(query_words)
                groups.append(WordGroup(span, ends_open, tuple(terms)))
                position += length
            else:
                ends_open = last_is_prefix and position == len(query_words) - 1
                groups.append(WordGroup((query_words[position],), ends_open))
                position += 1
        return groups

    def _match_at(
        self, query_words: list[str], position: int, last_is_prefix: bool
    ) -> tuple[int, list[LayTerm]] | None:
        best: tuple[int, list[LayTerm]] | None = None
        for term in self._by_first_word.get(query_words[position], []):
            length = len(term.words)
            span = query_words[position : position + length]
            if len(span) != length:
                continue
            reaches_end = position + length == len(query_words)
            exact = span == list(term.words)
            # The user may still be typing the lay term's last word ("heart att").
            typing = (
                reaches_end
                and last_is_prefix
                and span[:-1] == list(term.words[:-1])
                and len(span[-1]) >= 2
                and term.words[-1].startswith(span[-1])
            )
            if not (exact or typing):
                continue
            if best is None or length > best[0]:
                best = (length, [term])
            elif length == best[0]:
                best[1].append(term)
        return best


def parse_query(text: str, lay_terms: LayTermMatcher | None = None) -> QueryPlan:
    """Any input, however odd, gives a plan (possibly empty); nothing here can raise on user text."""
    text = text[:MAX_QUERY_CHARS]
    code, code_systems = _code_candidate(text)
    folded = fold(text)
    query_words = words(folded)[:MAX_WORDS]
    last_is_prefix = bool(folded) and not folded[-1].isspace()
    if lay_terms is not None:
        groups = lay_terms.groups(query_words, last_is_prefix)
    else:
        groups = [
            WordGroup((word,), last_is_prefix and index == len(query_words) - 1)
            for index, word in enumerate(query_words)
        ]
    return QueryPlan(text, code, code_systems, tuple(_without_stop_words(groups)))


def _without_stop_words(groups: list[WordGroup]) -> list[WordGroup]:
    """Drop finished small words ("of", "the", "with"...) when other words remain.

    Coders type "acute exacerbation of copd" or "fracture of femur"; official titles do not always have
    the "of". A word still being typed is kept ("fracture o" may become "fracture open").
    """
    kept = [
        g for g in groups if g.lay_terms or g.ends_with_prefix or not (len(g.words) == 1 and g.words[0] in STOP_WORDS)
    ]
    return kept if kept else groups
