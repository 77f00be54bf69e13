"""The Whoosh schema of the search index and the names and limits its build and readers share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import FieldType, Schema
from whoosh.formats import Existence

from db.lay_terms import LayTerm

INDEX_FORMAT = 8
#: Title word beginnings up to this length are indexed as terms of their own (see title_grams).
TITLE_GRAM_MAX = 2
#: For one- and two-letter queries the best title matches are computed at build time.
SHORT_PREFIX_HITS = 200
SHORT_PREFIXES_JSON = "short_prefixes.json"
ROWS_FILE = "rows.u32"
#: The documents' static ranks and code sets (Doc.order_value) in document order, as [value, count] runs: what
#: places a layer's documents among them.
RANKS_JSON = "ranks.json"
LAY_TERMS_JSON = "lay_terms.json"
VOCABULARY_JSON = "vocabulary.json"
FORMAT_JSON = "format.json"
#: How common a lay-term word counts as for spelling correction (a few dozen titles' worth).
LAY_WORD_FREQUENCY = 50

TITLE = ("title_words",)
ALL_TEXT = ("title_words", "other_words")


class _Tokens(FieldType):  # type: ignore[misc]
    """Pre-tokenized words separated by spaces; only presence is stored (no positions, no frequencies).

    Marked scorable only so that Whoosh writes a lengths column: without one its segment writer asks the
    file system whether that column exists once per posting, which tripled the build time.
    """

    def __init__(self) -> None:
        super().__init__(format=Existence(), analyzer=SpaceSeparatedTokenizer(), scorable=True, stored=False)

    def index(self, value: Iterable[str], **_kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        """Postings straight from a collection of unique words (the build already tokenized them):
        skipping the analyzer chain per token roughly halves the indexing time."""
        if isinstance(value, str):
            value = value.split()
        return [(word.encode("utf-8"), 1, 1.0, b"") for word in value]


def make_schema() -> Schema:
    return Schema(
        system=_Tokens(),
        billable=_Tokens(),
        #: Words of the official title.
        title_words=_Tokens(),
        #: The first 1 to TITLE_GRAM_MAX letters of each title word, so a short word being typed is one term.
        title_grams=_Tokens(),
        #: Words of the other official wording (inclusion terms, index terms) not already in the title.
        other_words=_Tokens(),
        #: Lay terms whose code families hold this code ("L15" = the lay term on line 15).
        lay=_Tokens(),
        code_icd10cm=_Tokens(),
        code_icd10pcs=_Tokens(),
        code_hcpcs=_Tokens(),
        code_cpt=_Tokens(),
    )


def lay_token(term: LayTerm) -> str:
    return f"l{term.line}"
