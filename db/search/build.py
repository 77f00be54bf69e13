"""Writing the search index for a built database: documents in static rank order, vocabulary, side files."""

from __future__ import annotations

import json
import shutil
import time
from array import array
from collections.abc import Callable, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from db.lay_terms import LayTerm, default_lay_terms_path, read_lay_terms
from db.models import ICD10PCS
from db.search.postings import write_big_terms
from db.search.rows import Doc, collect_docs
from db.search.schema import (
    FORMAT_JSON,
    INDEX_FORMAT,
    LAY_TERMS_JSON,
    RANKS_JSON,
    ROWS_FILE,
    SHORT_PREFIX_HITS,
    SHORT_PREFIXES_JSON,
    TITLE_GRAM_MAX,
    VOCABULARY_JSON,
    lay_token,
    make_schema,
)
from db.search.spelling import spelling_counts
from db.search.word_forms import default_equivalents_path, read_equivalents, unindexed_forms, write_forms
from db.sources.errors import SourceFormatError
from db.text import words

Progress = Callable[[str], None]


def check_lay_terms(lay_terms: Sequence[LayTerm], known_codes: set[tuple[str, str]], path: Path) -> None:
    """Every code family a lay term names must exist in the loaded data."""
    for term in lay_terms:
        for system, code in term.codes:
            if (system, code) not in known_codes:
                raise SourceFormatError(
                    path,
                    f"line {term.line}",
                    f"{term.term!r} points to {system} {code}, which is not in the loaded data",
                )


def lay_tokens_by_family(lay_terms: Sequence[LayTerm]) -> dict[str, list[str]]:
    """Code family ("icd10cm:L89") -> the tokens of the lay terms naming it, which its codes are indexed under."""
    lay_by_family: dict[str, list[str]] = {}
    for term in lay_terms:
        for system, code in term.codes:
            lay_by_family.setdefault(f"{system}:{code}", []).append(lay_token(term))
    return lay_by_family


def document_fields(doc: Doc, lay_by_family: dict[str, list[str]]) -> tuple[dict[str, Any], set[str], set[str]]:
    """A document's Whoosh fields, its title words, and every word it is found by (for the vocabulary)."""
    title_words = set(words(doc.title))
    other_words: set[str] = set()
    for _source, text in doc.alternatives:
        other_words.update(words(text))
    other_words -= title_words
    lay = {token for family in doc.family for token in lay_by_family.get(family, ())}
    fields: dict[str, Any] = {
        "system": [doc.system],
        "billable": ["y" if doc.billable else "n"],
        "title_words": sorted(title_words),
        "title_grams": sorted({word[:n] for word in title_words for n in range(1, TITLE_GRAM_MAX + 1)}),
        f"code_{doc.system}": [doc.code],
    }
    if other_words:
        fields["other_words"] = sorted(other_words)
    if lay:
        fields["lay"] = sorted(lay)
    return fields, title_words, title_words | other_words


def build_search_index(
    database: Path,
    index_dir: Path,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
    lay_terms_path: Path | None = None,
    strict_links: bool = True,
    equivalents_path: Path | None = None,
) -> dict[str, float]:
    """Write the index for a built database into `index_dir` (created; must not exist).

    With `strict_links` (the bundled files), a lay term naming a code that does not exist stops the build;
    otherwise (a user's newer release may have deleted a code) that code is left out and counted.
    """
    started = time.perf_counter()
    docs = collect_docs(database)
    lay_terms_path = lay_terms_path or default_lay_terms_path()
    lay_terms = read_lay_terms(lay_terms_path)
    equivalents_path = equivalents_path or default_equivalents_path()
    equivalents = read_equivalents(equivalents_path)
    known = {(doc.system, doc.code) for doc in docs}
    # ICD-10-PCS families may be any prefix of a valid code ("0FT44": resection of gallbladder, endoscopic).
    known.update((ICD10PCS, doc.code[:length]) for doc in docs if doc.system == ICD10PCS for length in (5, 6))
    skipped = 0
    if strict_links:
        check_lay_terms(lay_terms, known, lay_terms_path)
    else:
        kept: list[LayTerm] = []
        for term in lay_terms:
            codes = tuple(code for code in term.codes if code in known)
            skipped += len(term.codes) - len(codes)
            if codes or term.official_words:
                kept.append(LayTerm(term.term, term.words, term.official_words, codes, term.line))
        lay_terms = kept
        if skipped:
            progress(f"  {skipped} lay-term codes are not in this release and were left out")
    lay_by_family = lay_tokens_by_family(lay_terms)

    progress(f"  {len(docs):,} documents to index")
    index_dir.mkdir(parents=True)
    storage = FileStorage(str(index_dir))
    index = storage.create_index(make_schema())
    writer = index.writer(limitmb=1024)
    vocabulary: dict[str, int] = {}
    short_prefix_hits: dict[str, list[int]] = {}
    try:
        for docnum, doc in enumerate(docs):
            fields, title_words, all_words = document_fields(doc, lay_by_family)
            for word in all_words:
                vocabulary[word] = vocabulary.get(word, 0) + 1
            for prefix in {word[:length] for word in title_words for length in (1, 2)}:
                hits = short_prefix_hits.setdefault(prefix, [])
                if len(hits) < SHORT_PREFIX_HITS:
                    hits.append(docnum)
            writer.add_document(**fields)
            if docnum % 25000 == 0:
                progress(f"  indexed {docnum:,} of {len(docs):,}")
                if should_cancel():
                    raise KeyboardInterrupt
        progress("  writing the index files")
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        shutil.rmtree(index_dir, ignore_errors=True)
        raise
    try:
        with index.searcher() as searcher:
            write_big_terms(index_dir, searcher)
    except BaseException:
        shutil.rmtree(index_dir, ignore_errors=True)
        raise
    unindexed = unindexed_forms(equivalents, spelling_counts(vocabulary, lay_terms))
    if unindexed:
        progress(f"  {len(unindexed)} word-equivalent forms are in no code's wording and were left out")
    lay_json = [
        {"term": t.term, "words": t.words, "official": t.official_words, "codes": t.codes, "line": t.line}
        for t in lay_terms
    ]
    (index_dir / LAY_TERMS_JSON).write_text(json.dumps(lay_json), encoding="utf-8")
    # The words' document counts as they are (a layer adds its own: db/search/build_layer.py); the lay terms'
    # words join them when the index is opened (spelling_counts).
    write_forms(index_dir, spelling_counts(vocabulary, lay_terms), equivalents)
    (index_dir / VOCABULARY_JSON).write_text(json.dumps(sorted(vocabulary.items())), encoding="utf-8")
    (index_dir / SHORT_PREFIXES_JSON).write_text(json.dumps(short_prefix_hits), encoding="utf-8")
    # Document number -> database row: titles and the rest are read from the database, not stored twice.
    (index_dir / ROWS_FILE).write_bytes(array("I", (doc.row for doc in docs)).tobytes())
    # Each document's rank, so that a layer's documents can be placed among these (db/search/layer.py): in
    # document order the values never decrease, so [value, how many documents] pairs say it in a few KB.
    runs = [[value, len(list(group))] for value, group in groupby(doc.order_value() for doc in docs)]
    (index_dir / RANKS_JSON).write_text(json.dumps(runs), encoding="utf-8")
    (index_dir / FORMAT_JSON).write_text(json.dumps({"index_format": INDEX_FORMAT, "documents": len(docs)}))
    return {
        "documents": float(len(docs)),
        "lay_term_codes_not_in_release": float(skipped),
        "word_forms_not_indexed": float(len(unindexed)),
        "seconds": time.perf_counter() - started,
    }
