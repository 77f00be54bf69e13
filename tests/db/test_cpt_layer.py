"""The CPT layer answers exactly as a build in one go: an import of CPT alone (laid over the current build, not a
rebuild) against an index built from scratch over the same database, a full build with CPT, a replaced year and
the removal that gives back the build without CPT, row for row.

The CPT file is an AMA long-descriptor file (code TAB descriptor, the layout of tests/fixtures/cpt/LONGULT.txt,
after NLM's UMLS CPT source page) of a few hundred invented descriptors mixing invented words with words of the
small fixtures, so CPT codes fall among the official codes in rank order; some are exactly as long as the
article reference row's title, so they tie with it and are ordered by code.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from db.build import build
from db.build_cpt import CptFiles, CptSource
from db.cpt_import import remove_cpt
from db.cpt_layer import HIDDEN_TABLE
from db.importer import plan_import, run_import
from db.imports import Imports
from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.search.build import build_search_index
from db.search.layer import LAYER_DIR
from db.search_index import SearchIndex
from tests.conftest import FIXTURES

WORDS = ["zorblat", "quillfen", "diabetes", "fracture", "femur", "gallbladder", "removal", "injection", "walker",
         "pneumonia", "office", "visit", "kidney", "chronic", "laparoscopic", "drumway", "keltric", "type"]  # fmt: skip
#: The title of an article's CPT number without a licensed descriptor (db/build_loaders.py).
REFERENCE_TITLE = "CPT code: its description requires your licensed CPT file"
SECRET = "vexillomancy"  # an invented word only the CPT file holds, looked for in the files after removal


def write_cpt(folder: Path, count: int, seed: int, article_code: bool = True) -> Path:
    chance = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["Invented placeholder notice (Codebook test fixture)", ""]
    codes = [f"{10000 + 37 * n}" for n in range(count)] + ["0001U", "3074F", "0042T"]
    if article_code:
        codes.append("47562")  # the article's number: its reference row is hidden by the layer
    for number, code in enumerate(codes):
        text = " ".join(chance.choices(WORDS, k=chance.randint(1, 9))) + f" {SECRET}"
        if number % 25 == 0:
            # As long as the reference row's rank (its title plus the header penalty): a tie, ordered by code.
            text = (text + " " + "x" * 90)[: len(REFERENCE_TITLE) + 30]
        lines.append(f"{code}\t{text[0].upper()}{text[1:]}")
    path = folder / "LONGULT.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def queries(index: SearchIndex) -> list[str]:
    words = sorted({word for word in index._vocabulary.sorted_words if word.isalpha()})
    typed = [word[:n] for word in words for n in (1, 2, 3, len(word))]
    return sorted(
        {*typed, *(f"{a} {b}" for a, b in zip(words, reversed(words), strict=True)), "zorblt", "diabetis type",
         "office visit", "gallbladder removal laparoscopic", "1", "10", "100", "0001", "47562", "3074f", "e11", "k80"}
    )  # fmt: skip


def answers(index_dir: Path, texts: list[str]) -> dict[tuple[str, str, bool], list[tuple[object, ...]]]:
    index = SearchIndex.open(index_dir)
    try:
        found = {}
        for text in texts:
            for systems, billable in ((None, False), (("cpt",), False), (None, True)):
                results = index.search(text, systems, billable, 60)
                found[(text, ",".join(systems or ()), billable)] = [
                    (h.system, h.code, h.title, h.matched, h.matched_text, h.spans, h.via) for h in results.hits
                ] + [results.corrected_query]
        return found
    finally:
        index.close()


def one_go_index(data: Path, folder: Path) -> Path:
    """An index built from scratch (one segment) over a copy of the data's database, as the data's was."""
    folder.mkdir()
    shutil.copy2(current_dir(data) / DATABASE_FILE, folder / DATABASE_FILE)
    build_search_index(
        folder / DATABASE_FILE, folder / INDEX_DIR, lambda _l: None, lay_terms_path=FIXTURES / "lay_terms_small.tsv"
    )
    return folder / INDEX_DIR


def content(data: Path) -> dict[str, list[tuple[object, ...]]]:
    """The database as rows without their ids (ids differ between a build in one go and a layered one)."""
    connection = sqlite3.connect(current_dir(data) / DATABASE_FILE)
    try:
        return {
            "releases": sorted(connection.execute(
                "SELECT system, content, name, valid_from, valid_to, seq, origin FROM releases")),
            "codes": sorted(connection.execute(
                "SELECT c.system, c.code, c.first_seq, c.last_seq, c.title, c.short_title, c.kind, c.billable, "
                "c.sort_order, r.name FROM codes c JOIN releases r ON r.id = c.release_id")),
            "notes": sorted(connection.execute(
                "SELECT c.system, c.code, c.first_seq, n.kind, n.text, n.position FROM notes n "
                "JOIN codes c ON c.id = n.code_id")),
            "facts": sorted(connection.execute("SELECT key, value FROM build_facts WHERE key != 'built_at'")),
        }  # fmt: skip
    finally:
        connection.close()


def import_cpt(data: Path, path: Path, small_sources):
    plan = plan_import([path], [], Imports.load(data), data)
    return run_import(plan, data, progress=lambda _line: None, base=small_sources)


@pytest.fixture(scope="module")
def base_data(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> Path:
    data = tmp_path_factory.mktemp("layer-base")
    shutil.copytree(small_data, data, dirs_exist_ok=True)
    return data


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory, base_data: Path, small_sources) -> tuple[Path, object]:
    data = tmp_path_factory.mktemp("layered")
    shutil.copytree(base_data, data, dirs_exist_ok=True)
    report = import_cpt(data, write_cpt(tmp_path_factory.mktemp("cpt-files"), 400, seed=5), small_sources)
    return data, report


def test_a_cpt_import_is_laid_over_the_current_build(layered) -> None:
    data, report = layered
    assert "CPT layer" in report.timings and "search index" not in report.timings  # no rebuild
    assert report.counts["cpt.codes"] == 404
    assert report.counts["icd10cm.billable"] > 0  # the official releases' counts are kept
    assert (current_dir(data) / INDEX_DIR / LAYER_DIR / "layer.json").is_file()
    connection = sqlite3.connect(current_dir(data) / DATABASE_FILE)
    try:
        (hidden,) = connection.execute(f"SELECT max(id) FROM {HIDDEN_TABLE}").fetchone()
        (first_layer_row,) = connection.execute(
            "SELECT min(id) FROM codes WHERE system = 'cpt' AND first_seq > 0"
        ).fetchone()
    finally:
        connection.close()
    assert hidden is not None and first_layer_row > hidden  # the base index's rows keep their own ids


def test_the_layered_index_answers_as_an_index_built_in_one_go(layered, tmp_path: Path) -> None:
    data, _report = layered
    index = SearchIndex.open(current_dir(data) / INDEX_DIR)
    try:
        texts = queries(index)
        layered_vocabulary = dict(index._vocabulary.frequency)
    finally:
        index.close()
    reference = one_go_index(data, tmp_path / "one-go")
    one_go = SearchIndex.open(reference)
    try:
        assert layered_vocabulary == one_go._vocabulary.frequency
    finally:
        one_go.close()
    assert len(texts) > 300
    expected = answers(reference, texts)
    found = answers(current_dir(data) / INDEX_DIR, texts)
    assert [key for key in expected if found[key] != expected[key]] == []
    assert any(hits[0][0] == "cpt" for hits in found.values() if hits[0])  # CPT codes are found...
    assert found[("47562", "", False)][0][:2] == ("cpt", "47562")  # ...the article's number by its descriptor


def test_a_full_build_with_cpt_is_the_same_data(layered, small_sources, tmp_path: Path) -> None:
    data, _report = layered
    stored = Imports.load(data).releases[0]
    cpt = CptFiles(tuple(CptSource(data / "imports" / f.path, f.kind) for f in stored.files), "imported",
                   stored.release_info("codes"))  # fmt: skip
    rebuilt = tmp_path / "rebuilt"
    build(rebuilt, dataclasses.replace(small_sources, cpt=[cpt]), progress=lambda _line: None)
    assert content(rebuilt) == content(data)
    texts = ["zorblat", "diabetes type", "office visit", "47562", "1", "fem", "x"]
    assert answers(current_dir(rebuilt) / INDEX_DIR, texts) == answers(current_dir(data) / INDEX_DIR, texts)


def test_a_replaced_year_and_the_removal_give_back_the_build_without_it(
    tmp_path: Path, base_data: Path, small_sources
) -> None:
    data = tmp_path / "data"
    shutil.copytree(base_data, data)
    import_cpt(data, write_cpt(tmp_path / "first", 50, seed=1), small_sources)
    # The same year's long descriptors again, other codes (no article number): they replace the first file.
    import_cpt(data, write_cpt(tmp_path / "second", 120, seed=2, article_code=False), small_sources)
    texts = queries(SearchIndex.open(current_dir(data) / INDEX_DIR))[:400]
    assert answers(current_dir(data) / INDEX_DIR, texts) == answers(one_go_index(data, tmp_path / "one-go"), texts)
    assert remove_cpt(data, lambda _line: None, base=small_sources) is not None
    assert content(data) == content(base_data)
    base_index, index = current_dir(base_data) / INDEX_DIR, current_dir(data) / INDEX_DIR
    names = [sorted(p.name for p in folder.iterdir() if p.name != "MAIN_WRITELOCK") for folder in (index, base_index)]
    assert names[0] == names[1]
    assert answers(index, texts) == answers(base_index, texts)
    for path in current_dir(data).rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path  # no descriptor left behind
