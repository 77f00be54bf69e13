"""Writing a layer onto a built search index: the base index copied as it is, the layer's codes as a second
segment, and the files that place, hide and describe them (db/search/layer.py says why)."""

from __future__ import annotations

import json
import shutil
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from pathlib import Path

from sqlalchemy import ColumnElement
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from db.search.build import document_fields, lay_tokens_by_family
from db.search.index import read_index_lay_terms
from db.search.layer import LAYER_DIR, LAYER_JSON, LAYER_ORDER_FILE, read_layer
from db.search.postings import Postings
from db.search.rows import Doc, collect_docs
from db.search.schema import RANKS_JSON, ROWS_FILE, SHORT_PREFIX_HITS, SHORT_PREFIXES_JSON, VOCABULARY_JSON
from db.search.spelling import spelling_counts
from db.search.word_forms import rewrite_forms

Progress = Callable[[str], None]
INDEX_NAME = "MAIN"
BASE_GENERATION = 1


def copy_base_index(base_index: Path, index_dir: Path) -> None:
    """Copy the base part of an index (its first segment and side files, not a layer) into a new folder."""
    storage = FileStorage(str(base_index), readonly=True)
    toc = TOC.read(storage, INDEX_NAME)
    base_segment = toc.segments[0]
    segment_pattern = TOC._segment_pattern(INDEX_NAME)
    toc_pattern = TOC._pattern(INDEX_NAME)
    index_dir.mkdir(parents=True)
    for path in base_index.iterdir():
        if path.is_dir() or path.name.endswith("WRITELOCK") or toc_pattern.match(path.name):
            continue
        segment = segment_pattern.match(path.name)
        if segment and segment.group(1) != base_segment.segment_id():
            continue  # an older layer's segment
        shutil.copy2(path, index_dir / path.name)
    # The generation a fresh build's first commit writes, so that a base copied back is the base as built.
    TOC(toc.schema, [base_segment], BASE_GENERATION).write(FileStorage(str(index_dir)), INDEX_NAME)


CodesOf = Callable[[Sequence[int]], dict[int, str]]


def _insert_points(index_dir: Path, docs: Sequence[Doc], codes_of: CodesOf) -> array[int]:
    """Per layer document: how many base documents come before it in the order of Doc.rank_key."""
    runs = json.loads((index_dir / RANKS_JSON).read_text(encoding="utf-8"))
    values = [value for value, _count in runs]
    #: starts[i]: how many base documents have a value below values[i]
    starts = [0, *accumulate(count for _value, count in runs)]
    rows = array("I")
    rows.frombytes((index_dir / ROWS_FILE).read_bytes())
    ties: dict[tuple[int, int], list[tuple[str, int]]] = {}
    points = array("I")
    for doc in docs:
        value = doc.order_value()
        low = starts[bisect_left(values, value)]
        high = starts[bisect_right(values, value)]
        if low == high:
            points.append(low)
            continue
        # Base documents of the same rank and code set: ordered by code, then row, as rank_key says.
        tied = ties.get((low, high))
        if tied is None:
            codes = codes_of(rows[low:high])
            tied = ties[(low, high)] = [(codes[row], row) for row in rows[low:high]]
        points.append(low + bisect_left(tied, (doc.code, doc.row)))
    return points


def add_search_layer(
    base_index: Path,
    index_dir: Path,
    database: Path,
    layer_rows: ColumnElement[bool],
    hidden_docs: Sequence[Doc],
    codes_of: CodesOf,
    progress: Progress = print,
) -> dict[str, float]:
    """Write into `index_dir` (created) the base index of `base_index` plus the codes of `database` that
    `layer_rows` selects, hiding the base documents `hidden_docs` (rows the layer replaced). `codes_of` gives
    the code of base rows (hidden ones included), to place layer documents among base ones of the same rank."""
    started = time.perf_counter()
    copy_base_index(base_index, index_dir)
    docs = collect_docs(database, layer_rows)
    base_rows = array("I")
    base_rows.frombytes((index_dir / ROWS_FILE).read_bytes())
    hidden_rows = {doc.row for doc in hidden_docs}
    hidden = sorted(docnum for docnum, row in enumerate(base_rows) if row in hidden_rows)
    if not docs and not hidden:
        return {"documents": 0.0, "hidden": 0.0, "seconds": time.perf_counter() - started}
    progress(f"  {len(docs):,} documents to add to the search index")
    lay_terms = read_index_lay_terms(index_dir)
    lay_by_family = lay_tokens_by_family(lay_terms)
    layer_words: dict[str, int] = {}
    prefixes: set[str] = set()
    index = FileStorage(str(index_dir)).open_index()
    writer = index.writer()
    try:
        for doc in docs:
            fields, title_words, all_words = document_fields(doc, lay_by_family)
            writer.add_document(**fields)
            for word in all_words:
                layer_words[word] = layer_words.get(word, 0) + 1
            prefixes.update(word[:n] for word in title_words for n in (1, 2))
        writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise
    finally:
        index.close()
    folder = index_dir / LAYER_DIR
    folder.mkdir()
    (folder / ROWS_FILE).write_bytes(array("I", (doc.row for doc in docs)).tobytes())
    (folder / LAYER_ORDER_FILE).write_bytes(_insert_points(index_dir, docs, codes_of).tobytes())
    description = {"base_documents": len(base_rows), "documents": len(docs), "hidden": hidden}
    (folder / LAYER_JSON).write_text(json.dumps(description), encoding="utf-8")

    # What an index of the same documents built in one go would count: the base's words, less the hidden
    # documents', plus the layer's.
    vocabulary = dict(json.loads((index_dir / VOCABULARY_JSON).read_text(encoding="utf-8")))
    for doc in hidden_docs:
        for word in document_fields(doc, lay_by_family)[2]:
            vocabulary[word] -= 1
    for word, count in layer_words.items():
        vocabulary[word] = vocabulary.get(word, 0) + count
    vocabulary = {word: count for word, count in vocabulary.items() if count > 0}
    (folder / VOCABULARY_JSON).write_text(json.dumps(sorted(vocabulary.items())), encoding="utf-8")
    rewrite_forms(index_dir, folder, spelling_counts(vocabulary, lay_terms))
    _write_short_prefixes(index_dir, folder, prefixes)
    return {"documents": float(len(docs)), "hidden": float(len(hidden)), "seconds": time.perf_counter() - started}


def _write_short_prefixes(index_dir: Path, folder: Path, layer_prefixes: set[str]) -> None:
    """The best title matches of one- and two-letter prefixes over both parts (read from the layered index)."""
    base = json.loads((index_dir / SHORT_PREFIXES_JSON).read_text(encoding="utf-8"))
    prefixes = set(base) | layer_prefixes
    layer = read_layer(index_dir)
    storage = FileStorage(str(index_dir), readonly=True)
    index = storage.open_index()
    try:
        with index.searcher() as searcher:
            postings = Postings(searcher, index_dir, layer)
            try:
                found = {
                    prefix: postings.first(postings.term_bits("title_grams", prefix), _never, SHORT_PREFIX_HITS)
                    for prefix in sorted(prefixes)
                }
            finally:
                postings.close()
    finally:
        index.close()
    (folder / SHORT_PREFIXES_JSON).write_text(json.dumps({k: v for k, v in found.items() if v}), encoding="utf-8")


def _never(_docnum: int) -> bool:
    return False
