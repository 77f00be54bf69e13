"""The indexed vocabulary: completions of the word being typed, plural stems and typo corrections."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from db.lay_terms import LayTerm
from db.search.schema import LAY_WORD_FREQUENCY

COMPLETION_CACHE_LIMIT = 20000


def spelling_counts(documents: dict[str, int], lay_terms: Iterable[LayTerm]) -> dict[str, int]:
    """The index's documents per word, with lay-term words counted as common ones: they belong in the spelling
    vocabulary ("shingels" -> "shingles", a lay term only) even when few or no titles use them."""
    counts = dict(documents)
    for term in lay_terms:
        for word in term.words:
            counts[word] = max(counts.get(word, 0), LAY_WORD_FREQUENCY)
    return counts


class Vocabulary:
    """Every indexed word with the number of documents that use it (loaded once per open index)."""

    def __init__(self, counts: list[tuple[str, int]]) -> None:
        self.sorted_words: list[str] = [word for word, _count in counts]
        self.frequency: dict[str, int] = dict(counts)
        self._completions: dict[tuple[str, int], list[str]] = {}
        self._choices: dict[str, list[str]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self.frequency

    def completions(self, prefix: str, limit: int) -> list[str]:
        """Indexed words starting with `prefix`, the most frequent first (the word itself always first)."""
        key = (prefix, limit)
        cached = self._completions.get(key)
        if cached is not None:
            return cached
        low = bisect_left(self.sorted_words, prefix)
        high = bisect_left(self.sorted_words, prefix + "\uffff", low)
        candidates = self.sorted_words[low:high]
        if len(candidates) > limit:
            candidates = heapq.nlargest(limit, candidates, key=self.frequency.__getitem__)
        else:
            candidates = sorted(candidates, key=lambda word: -self.frequency[word])
        if prefix in self.frequency and candidates and candidates[0] != prefix:
            candidates = [prefix, *[word for word in candidates if word != prefix][: limit - 1]]
        if len(self._completions) > COMPLETION_CACHE_LIMIT:
            self._completions.clear()
        self._completions[key] = candidates
        return candidates

    def plural_stem(self, word: str) -> bool:
        """True for an indexed word ending in s (not ss) whose stem begins other words ("wheels" -> "wheeled").

        Only words the titles use: an unknown word is more likely a typo ("diabetis") and goes to correction.
        """
        return (
            len(word) >= 4
            and word.endswith("s")
            and not word.endswith("ss")
            and word in self.frequency
            and bool(self.completions(word[:-1], 1))
        )

    def known(self, word: str, is_prefix: bool) -> bool:
        return bool(self.completions(word, 1)) if is_prefix else word in self.frequency

    def correct(self, word: str, is_prefix: bool) -> str | None:
        """The closest indexed word (or word beginning, for the word being typed), the more frequent on ties.

        Candidates sharing the typed first letter are tried first: misspellings keep it far more often than
        not, and it makes the comparison some twenty times cheaper on every keystroke of a misspelled word.
        Only when none is close enough are all words compared ("recertification" -> "certification").
        """
        return self._closest(word, is_prefix, word[0]) or self._closest(word, is_prefix, "")

    def _closest(self, word: str, is_prefix: bool, first_letter: str) -> str | None:
        max_distance = 1 if len(word) <= 5 else 2
        whole = extractOne(
            word,
            self._words_by_frequency(first_letter),
            scorer=DamerauLevenshtein.distance,
            score_cutoff=max_distance,
        )
        if not is_prefix:
            return None if whole is None else str(whole[0])
        # The word being typed may be a misspelled beginning ("pnuem") or a whole misspelled word ("astma");
        # a whole word wins ties, and among prefixes of the same distance the more frequent one.
        best: tuple[str, float] | None = (str(whole[0]), float(whole[1])) if whole is not None else None
        for length in (len(word), len(word) + 1):
            choices = self._prefixes_of_length(length, first_letter)
            found = extractOne(word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=max_distance)
            if found is not None and (best is None or found[1] < best[1]):
                best = (str(found[0]), float(found[1]))
        return None if best is None else best[0]

    def _starting_with(self, letter: str) -> list[str]:
        """The indexed words starting with `letter` (all words for ""), in alphabetical order: a slice of
        the sorted vocabulary, so a keystroke's first correction does not walk the whole vocabulary."""
        if not letter:
            return self.sorted_words
        low = bisect_left(self.sorted_words, letter)
        return self.sorted_words[low : bisect_left(self.sorted_words, letter + "\uffff", low)]

    def _words_by_frequency(self, letter: str) -> list[str]:
        key = f"by-frequency:{letter}"
        cached = self._choices.get(key)
        if cached is None:
            cached = sorted(self._starting_with(letter), key=lambda word: -self.frequency[word])
            self._choices[key] = cached
        return cached

    def _prefixes_of_length(self, length: int, letter: str) -> list[str]:
        key = f"prefixes:{length}:{letter}"
        cached = self._choices.get(key)
        if cached is None:
            totals: dict[str, int] = {}
            for word in self._starting_with(letter):
                if len(word) >= length:
                    head = word[:length]
                    totals[head] = totals.get(head, 0) + self.frequency[word]
            cached = sorted(totals, key=lambda head: -totals[head])
            self._choices[key] = cached
        return cached
