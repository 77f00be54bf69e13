"""A layer of documents added to a built index (the user's CPT years): where its documents fall in static rank
order, which base documents it hides, and which side files it replaces.

Why a layer: the base index (every official release) takes most of a minute to write, a CPT year a few seconds.
The layer's documents are a second Whoosh segment, so their document numbers follow the base's
(base_documents + j) instead of sitting in rank order among them. `insert_before[j]` is how many base documents
rank before layer document j, which gives every document its position in the order a single index of the same
documents would have (`position`); bitset reads merge the two parts by it (db/search/postings.py) and ranking
breaks ties by it, so the answers are those of an index built in one go. Base documents whose rows the layer
replaced (a CPT number's "needs your licensed file" reference row) are hidden: masked out of every bitset.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

LAYER_DIR = "layer"
LAYER_JSON = "layer.json"
LAYER_ORDER_FILE = "insert_before.u32"


@dataclass(frozen=True)
class Layer:
    base_documents: int
    #: Per layer document (in its own rank order): how many base documents rank before it (non-decreasing).
    insert_before: array[int]
    #: Base document numbers masked out of every answer.
    hidden: frozenset[int]

    @property
    def documents(self) -> int:
        return len(self.insert_before)

    @property
    def visible_documents(self) -> int:
        return self.base_documents - len(self.hidden) + self.documents

    def position(self, docnum: int) -> int:
        """The document's place in the static rank order of base and layer together."""
        if docnum < self.base_documents:
            return docnum + bisect_right(self.insert_before, docnum)
        layer_docnum = docnum - self.base_documents
        return self.insert_before[layer_docnum] + layer_docnum

    def hidden_mask(self) -> int:
        """Bits of the visible base documents and of every layer document: And it into a bitset to hide."""
        total = self.base_documents + self.documents
        packed = bytearray(b"\xff") * ((total + 7) // 8)
        for docnum in self.hidden:
            packed[docnum >> 3] &= ~(1 << (docnum & 7)) & 0xFF
        return int.from_bytes(packed, "little") & ((1 << total) - 1)


def read_layer(index_dir: Path) -> Layer | None:
    folder = index_dir / LAYER_DIR
    described = folder / LAYER_JSON
    if not described.is_file():
        return None
    data = json.loads(described.read_text(encoding="utf-8"))
    order = array("I")
    order.frombytes((folder / LAYER_ORDER_FILE).read_bytes())
    if len(order) != data["documents"]:
        raise FileNotFoundError(f"the search index layer at {folder} is incomplete")
    return Layer(data["base_documents"], order, frozenset(data["hidden"]))


def side_file(index_dir: Path, name: str) -> Path:
    """A side file of the index (vocabulary, word forms, short prefixes): the layer's when it has its own."""
    layered = index_dir / LAYER_DIR / name
    return layered if layered.is_file() else index_dir / name
