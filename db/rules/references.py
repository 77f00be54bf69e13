"""Code references in the tabular's note text ("(E10.-)", "(O10-O11, O13-O16)", "(R73.9)", "(F06.7-)") read as
matchers over codes without dots: a family matches its code and every code under it, a range every code
whose leading characters fall between its ends."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_CORE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_REFERENCE = re.compile(rf"(?<![A-Za-z0-9])(?:({_CORE})\s*-\s*({_CORE})(?![0-9A-Z])|({_CORE})(?:\.?-)?(?![0-9A-Za-z]))")


@dataclass(frozen=True)
class Reference:
    """Codes from `low` to `high` (compact, as prefixes); low == high for one code or family."""

    low: str
    high: str
    #: As the note writes it: "E10.-", "O10-O11".
    written: str

    def matches(self, code: str) -> bool:
        return code[: len(self.low)] >= self.low and code[: len(self.high)] <= self.high

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@lru_cache(maxsize=8192)
def references(text: str) -> tuple[Reference, ...]:
    """Every code or range a note names, in order."""
    found: list[Reference] = []
    for match in _REFERENCE.finditer(text):
        low, high, single = match.groups()
        if single is not None:
            compact = single.replace(".", "")
            found.append(Reference(compact, compact, match.group(0)))
        elif low is not None and high is not None:
            found.append(Reference(low.replace(".", ""), high.replace(".", ""), match.group(0)))
    return tuple(found)


class CodeIndex:
    """The claim's codes by every prefix, so a reference finds its matches without comparing every pair."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes = tuple(dict.fromkeys(codes))
        self._by_prefix: dict[str, list[str]] = {}
        for code in self.codes:
            for length in range(3, len(code) + 1):
                self._by_prefix.setdefault(code[:length], []).append(code)
        self._categories = sorted({code[:3] for code in self.codes})

    def matching(self, reference: Reference) -> list[str]:
        if not reference.is_range:
            return list(self._by_prefix.get(reference.low, ()))
        hits: list[str] = []
        start = bisect.bisect_left(self._categories, reference.low[:3])
        end = bisect.bisect_right(self._categories, reference.high[:3])
        for category in self._categories[start:end]:
            hits.extend(code for code in self._by_prefix[category] if reference.matches(code))
        return hits
