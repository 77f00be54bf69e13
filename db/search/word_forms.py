"""Word forms: a Snowball stemmer with medical exceptions, and the curated equivalents table
(resources/word_equivalents.tsv: adjective <-> noun anatomy, lay <-> official words, procedure intent).

The stemmer runs on the indexed vocabulary at build time and on the typed word at query time, the same
function both ways; the table is read and checked at build time and shipped in the index folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer

from db.paths import resources_dir
from db.search.layer import side_file
from db.sources.errors import SourceFormatError
from db.text import words

EQUIVALENTS_FILE = "word_equivalents.tsv"
FORMS_JSON = "word_forms.json"
KINDS = ("same", "means", "intent")
#: Words whose Snowball stem would merge them with words of another meaning; each keeps its own form.
#: hepatic (liver) / hepatitis (inflammation); ulcerative (colitis) / ulcer; generalized (anxiety,
#: seizures) / general (anesthesia, examination); testes (testis) / test; organism / organic / organ;
#: media (otitis media) / medial; cardia (of the stomach) / cardiac; colic / colitis; nephritic / nephritis.
STEM_EXCEPTIONS = {
    "hepatic": "hepatic",
    "hepatitis": "hepatitis",
    "ulcerative": "ulcerative",
    "generalized": "generalized",
    "generalised": "generalized",
    "testes": "testis",
    "testis": "testis",
    "organism": "organism",
    "organisms": "organism",
    "organic": "organic",
    "media": "media",
    "medial": "medial",
    "cardia": "cardia",
    "colic": "colic",
    "nephritic": "nephritic",
    "nephritis": "nephritis",
    "arthritic": "arthritic",
    "gastric": "gastric",
    "gastritis": "gastritis",
    "dependent": "dependent",
    "dependence": "dependence",
    "intermittent": "intermittent",
    "pregnant": "pregnancy",
    "pregnancies": "pregnancy",
}
#: A stem family larger than this is not used (a very short stem merges too much).
MAX_FAMILY = 12

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The form a word is compared by: its exception, else its Snowball (Porter 2) stem; numbers as is."""
    if word in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    return str(_stemmer.stemWord(word))


@dataclass(frozen=True)
class Equivalence:
    """One line of the table: forms (words or phrases) that mean the same to a coder."""

    forms: tuple[tuple[str, ...], ...]
    #: same: every form finds the others; means / intent: the first form, typed, finds the others.
    kind: str
    #: intent only: words that, anywhere in the query, keep the typed word literal ("removal of stent").
    unless: tuple[str, ...]
    line: int


def default_equivalents_path() -> Path:
    return resources_dir() / EQUIVALENTS_FILE


def read_equivalents(path: Path) -> list[Equivalence]:
    """Every line of the table; a malformed line stops with the file, line and reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceFormatError(path, None, f"cannot read the word equivalents table: {error}") from error
    found: list[Equivalence] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        columns = raw.split("\t")
        if len(columns) != 4:
            raise SourceFormatError(path, f"line {number}", f"expected 4 tab-separated columns, found {len(columns)}")
        forms_text, kind, unless_text, reason = (column.strip() for column in columns)
        forms = tuple(tuple(words(form)) for form in forms_text.split("|"))
        if len(forms) < 2 or any(not form for form in forms):
            raise SourceFormatError(path, f"line {number}", f"needs two or more forms separated by |: {forms_text!r}")
        if kind not in KINDS:
            raise SourceFormatError(path, f"line {number}", f"kind {kind!r} is not one of {', '.join(KINDS)}")
        if len(forms[0]) != 1:
            raise SourceFormatError(path, f"line {number}", f"the first form must be one word: {forms_text!r}")
        if kind == "same" and any(len(form) != 1 for form in forms):
            raise SourceFormatError(path, f"line {number}", "forms of kind 'same' are single words")
        if unless_text and kind != "intent":
            raise SourceFormatError(path, f"line {number}", "only an 'intent' line has 'unless' words")
        if not reason:
            raise SourceFormatError(path, f"line {number}", "every line says why (reason column)")
        found.append(Equivalence(forms, kind, tuple(words(unless_text)), number))
    return found


def unindexed_forms(entries: list[Equivalence], vocabulary: dict[str, int]) -> list[tuple[int, str]]:
    """(line, form) for every form a line leads to that no code's wording uses in the loaded data.

    Such a form would find nothing: the query side leaves it out, and the build prints how many there are
    (a full-data test requires none for the bundled files; a user's other release may lack a word).
    """
    found: list[tuple[int, str]] = []
    for entry in entries:
        targets = entry.forms if entry.kind == "same" else entry.forms[1:]
        found.extend((entry.line, " ".join(form)) for form in targets if any(word not in vocabulary for word in form))
    return found


def _stem_families(vocabulary: dict[str, int]) -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    for word in vocabulary:
        families.setdefault(stem(word), []).append(word)
    # Single-word families too: "fractured" typed finds "fracture" even when no title says "fractured".
    return {key: sorted(group) for key, group in families.items() if len(group) <= MAX_FAMILY}


def write_forms(index_dir: Path, vocabulary: dict[str, int], entries: list[Equivalence]) -> None:
    """Stem families of the indexed words and the table, as the query side reads them (FORMS_JSON)."""
    table = [
        {"forms": [list(form) for form in e.forms], "kind": e.kind, "unless": list(e.unless), "line": e.line}
        for e in entries
    ]
    stems = _stem_families(vocabulary)
    (index_dir / FORMS_JSON).write_text(json.dumps({"stems": stems, "equivalents": table}), encoding="utf-8")


def rewrite_forms(source_dir: Path, target_dir: Path, vocabulary: dict[str, int]) -> None:
    """The word forms of `source_dir`'s index (its equivalents table as checked there) for another vocabulary."""
    table = json.loads((source_dir / FORMS_JSON).read_text(encoding="utf-8"))["equivalents"]
    stems = _stem_families(vocabulary)
    (target_dir / FORMS_JSON).write_text(json.dumps({"stems": stems, "equivalents": table}), encoding="utf-8")


class WordForms:
    """Query side: the other forms of a typed word, from the index folder's FORMS_JSON."""

    def __init__(self, index_dir: Path) -> None:
        data = json.loads(side_file(index_dir, FORMS_JSON).read_text(encoding="utf-8"))
        self._stems: dict[str, list[str]] = data["stems"]
        self._equivalents: dict[str, list[tuple[str, ...]]] = {}
        self._intents: dict[str, tuple[list[tuple[str, ...]], frozenset[str]]] = {}
        for item in data["equivalents"]:
            forms = [tuple(form) for form in item["forms"]]
            if item["kind"] == "intent":
                self._intents[forms[0][0]] = (forms[1:], frozenset(item["unless"]))
                continue
            sources = forms if item["kind"] == "same" else forms[:1]
            for source in sources:
                others = [form for form in forms if form != source]
                self._equivalents.setdefault(source[0], []).extend(others)

    def family(self, word: str) -> list[str]:
        """Indexed words with the same stem ("fractured" -> fracture, fractured, fractures)."""
        return self._stems.get(stem(word), [])

    def equivalents(self, word: str) -> list[tuple[str, ...]]:
        """Forms the table gives for a word or for a word of its stem family ("kidneys" -> renal)."""
        found = list(self._equivalents.get(word, ()))
        for other in self.family(word):
            if other != word:
                found.extend(form for form in self._equivalents.get(other, ()) if form not in found)
        return found

    def intent(self, word: str, query_words: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The official words a procedure word means here ("removal" -> resection), unless the query says
        it means the word literally ("removal of stent": PCS Removal takes out a device)."""
        entry = self._intents.get(word)
        if entry is None or any(other in entry[1] or stem(other) in entry[1] for other in query_words):
            return []
        return entry[0]
