"""Boolean queries (Term / And / Or) answered as bitsets over document numbers, term bitsets kept in memory.

Why: Whoosh's And-of-Or matchers leapfrog posting lists in Python, one call per skipped posting, so a long
query whose words rarely meet ("type 2 diabetes with diabetic chronic kidney dis") or a partial match of
several word subsets read whole lists at some microseconds a posting (hundreds of milliseconds). A term's
postings read once become a Python int with one bit per document; And / Or are then C-speed bitwise
operations on 25 KB integers (about a microsecond each), whatever the lists' lengths, and the first
matches in document (static rank) order are the lowest set bits. The answers are exactly those of the
Whoosh matchers: the same documents, in the same order.
"""

from __future__ import annotations

import json
import mmap
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from heapq import merge
from itertools import islice, repeat
from pathlib import Path

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.query import And, Or, Query, Term
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from db.search.layer import Layer

#: Term bitsets kept (each at most doc_count / 8 bytes: 25 KB for the full data, so about 50 MB at most).
TERM_CACHE_ENTRIES = 2048
_ONE = ord("1")
#: Terms of at least this many postings have their bits written at build time (a few hundred terms such as
#: "unspecified" or the title gram "o", whose first read would cost a keystroke tens of milliseconds).
BIG_TERM = 2000
BIG_TERMS_FILE = "big_terms.bin"
BIG_TERMS_JSON = "big_terms.json"
BIG_TERM_FIELDS = ("title_words", "title_grams", "other_words", "system", "billable", "lay")
WINDOW = 1 << 14
WINDOW_MASK = (1 << WINDOW) - 1
#: Below this many postings a term's bits are set one by one (see _from_ids).
FEW_IDS = 8000


class Postings:
    """Bitsets of an open index's terms, read once per term (least recently used ones dropped).

    With a layer (db/search/layer.py) the index has two segments: base documents 0..N-1, then the layer's; a
    term's bits are both parts' (hidden base documents masked out), and `first` merges the parts by rank.
    """

    def __init__(self, searcher: Searcher, index_dir: Path | None = None, layer: Layer | None = None) -> None:
        self._searcher = searcher
        self._reader = searcher.reader()
        #: (segment reader, its first document number): the base segment first, then the layer's
        self._leaves: list[tuple[IndexReader, int]] = list(self._reader.leaf_readers())
        self.doc_count = self._reader.doc_count_all()
        self.width = (self.doc_count + 7) // 8
        self._layer = layer
        self._visible = layer.hidden_mask() if layer is not None and layer.hidden else None
        self._base_mask = (1 << layer.base_documents) - 1 if layer is not None else 0
        self._terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        #: (field, term) -> (offset, length) of its zlib-compressed bits in BIG_TERMS_FILE (base segment only)
        self._big: dict[tuple[str, str], tuple[int, int]] = {}
        self._big_file: mmap.mmap | None = None
        if index_dir is not None and (index_dir / BIG_TERMS_JSON).is_file():
            names = json.loads((index_dir / BIG_TERMS_JSON).read_text(encoding="utf-8"))
            self._big = {(field, term): (offset, length) for field, term, offset, length in names}
            if self._big:
                with (index_dir / BIG_TERMS_FILE).open("rb") as file:
                    self._big_file = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    def close(self) -> None:
        if self._big_file is not None:
            self._big_file.close()
            self._big_file = None

    def term_bits(self, field: str, text: str) -> int:
        key = (field, text)
        found = self._terms.get(key)
        if found is not None:
            self._terms.move_to_end(key)
            return found
        bits = self._read_term(field, text)
        self._terms[key] = bits
        if len(self._terms) > TERM_CACHE_ENTRIES:
            self._terms.popitem(last=False)
        return bits

    def bits(self, query: Query) -> int:
        """The documents matching a query, as bits (bit n set: document n matches)."""
        if isinstance(query, Term):
            return self.term_bits(query.fieldname, query.text)
        if isinstance(query, And):
            if not query.subqueries:
                return 0
            result = -1
            for part in query.subqueries:
                result &= self.bits(part)
                if not result:
                    return 0
            return result
        if isinstance(query, Or):
            result = 0
            for part in query.subqueries:
                result |= self.bits(part)
            return result
        bits = self._from_ids(query.matcher(self._searcher).all_ids(), self.doc_count)
        return bits if self._visible is None else bits & self._visible

    def first(self, bits: int, skip: Callable[[int], bool], want: int) -> list[int]:
        """The first `want` documents of `bits` in static rank order that `skip` does not exclude."""
        layer = self._layer
        if layer is None or bits >> layer.base_documents == 0:
            return lowest(bits, skip, want)
        offset = layer.base_documents
        base = lowest(bits & self._base_mask, skip, want)
        added = [offset + d for d in lowest(bits >> offset, lambda d: skip(offset + d), want)]
        return list(islice(merge(base, added, key=layer.position), want))

    def _read_term(self, field: str, text: str) -> int:
        bits = 0
        for leaf, offset in self._leaves:
            part = self._read_leaf_term(leaf, offset == 0, field, text)
            if part:
                bits |= part << offset
        return bits if self._visible is None else bits & self._visible

    def _read_leaf_term(self, reader: IndexReader, is_base: bool, field: str, text: str) -> int:
        place = self._big.get((field, text)) if is_base else None
        if place is not None and self._big_file is not None:
            offset, length = place
            # About 50 µs to inflate one term (25 KB of bits); compressed, the file is a quarter of its size.
            return int.from_bytes(zlib.decompress(self._big_file[offset : offset + length]), "little")
        if (field, text) not in reader:
            return 0
        count = reader.doc_count_all()
        matcher = reader.postings(field, text)
        if not isinstance(matcher, W3LeafMatcher):
            return self._from_ids(matcher.all_ids(), count)
        ids: list[int] = []
        # Whole blocks at a time: Whoosh's per-posting next()/id() calls would cost as much as the decoding.
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            ids.extend(matcher._ids)
            matcher._next_block()
        return self._from_ids(ids, count)

    @staticmethod
    def _from_ids(ids: Iterable[int], count: int) -> int:
        ids = list(ids)
        if len(ids) < FEW_IDS:
            packed = bytearray((count + 7) // 8)
            for docnum in ids:
                packed[docnum >> 3] |= 1 << (docnum & 7)
            return int.from_bytes(packed, "little")
        # Many: one ASCII digit per document, set in C (map over setitem), then parsed as a base-2 number
        # (a fixed cost of about a millisecond, less than setting thousands of bits one by one in Python).
        digits = bytearray(b"0") * count
        any(map(digits.__setitem__, ids, repeat(_ONE)))
        digits.reverse()
        return int(digits, 2)


def lowest(bits: int, skip: Callable[[int], bool], want: int) -> list[int]:
    """The lowest `want` document numbers of `bits` that `skip` does not exclude, in order."""
    found: list[int] = []
    if bits <= 0 or want <= 0:
        return found
    # A window of bits at a time (a search usually wants the first hundred or so documents): bin() is
    # linear for a power-of-two base and, reversed, position n of its text is document offset + n.
    for offset in range(0, bits.bit_length(), WINDOW):
        window = (bits >> offset) & WINDOW_MASK
        if not window:
            continue
        text = bin(window)[:1:-1]
        position = text.find("1")
        while position >= 0:
            docnum = offset + position
            if not skip(docnum):
                found.append(docnum)
                if len(found) >= want:
                    return found
            position = text.find("1", position + 1)
    return found


def write_big_terms(index_dir: Path, searcher: Searcher) -> int:
    """Write the bits of every term of BIG_TERM postings or more (BIG_TERMS_FILE, names in BIG_TERMS_JSON),
    read back by Postings; returns how many."""
    postings = Postings(searcher)
    reader = searcher.reader()
    names: list[tuple[str, str, int, int]] = []
    offset = 0
    with (index_dir / BIG_TERMS_FILE).open("wb") as file:
        for field in BIG_TERM_FIELDS:
            if field not in reader.schema.names():
                continue
            for raw in reader.lexicon(field):
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if reader.doc_frequency(field, term) >= BIG_TERM:
                    packed = zlib.compress(postings.term_bits(field, term).to_bytes(postings.width, "little"), 6)
                    file.write(packed)
                    names.append((field, term, offset, len(packed)))
                    offset += len(packed)
    (index_dir / BIG_TERMS_JSON).write_text(json.dumps(names), encoding="utf-8")
    return len(names)
