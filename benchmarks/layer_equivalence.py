"""Does a data folder with CPT laid over it answer exactly as an index built in one go over the same database?

    .venv/bin/python benchmarks/layer_equivalence.py --data DIR

DIR holds a build with CPT loaded (for instance after benchmarks/cpt_import.py). Builds a one-segment index over
a copy of DIR's database (about a minute), then runs every prefix of every query of the public query sets
(tests/db/descriptive_queries.tsv, ranking_queries*.tsv) and a few CPT words, over all code sets and over CPT
only, against both, and prints how many answers differ (hits, what matched, corrections) and how many found CPT.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.search.build import build_search_index
from db.search_index import SearchIndex

TESTS = Path(__file__).resolve().parent.parent / "tests" / "db"
#: (file, column holding the query)
QUERY_FILES = (("descriptive_queries.tsv", 4), ("ranking_queries.tsv", 0), ("ranking_queries_more.tsv", 0))
CPT_WORDS = ("zorblat", "quillfen blorvic", "trandle plim", "grommet", "1", "10", "100", "1000", "10001")


def typed_queries() -> list[str]:
    texts: set[str] = set(CPT_WORDS)
    for name, column in QUERY_FILES:
        for line in (TESTS / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                query = line.split("\t")[column]
                texts.update(query[:n] for n in range(1, len(query) + 1))
    return sorted(texts)


def answers(index_dir: Path, texts: list[str]) -> dict[tuple[str, str], list[object]]:
    index = SearchIndex.open(index_dir)
    try:
        found: dict[tuple[str, str], list[object]] = {}
        for text in texts:
            for systems in (None, ("cpt",)):
                results = index.search(text, systems, False, 30)
                hits = [(h.system, h.code, h.matched, h.matched_text, h.via) for h in results.hits]
                found[(text, ",".join(systems or ()))] = [*hits, results.corrected_query]
        return found
    finally:
        index.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    texts = typed_queries()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        shutil.copy2(current_dir(args.data) / DATABASE_FILE, folder / DATABASE_FILE)
        started = time.perf_counter()
        build_search_index(folder / DATABASE_FILE, folder / INDEX_DIR, progress=lambda _line: None)
        print(f"one-go index built in {time.perf_counter() - started:.1f} s")
        layered = answers(current_dir(args.data) / INDEX_DIR, texts)
        one_go = answers(folder / INDEX_DIR, texts)
    differing = [key for key in layered if layered[key] != one_go[key]]
    with_cpt = sum(1 for hits in layered.values() if any(isinstance(h, tuple) and h[0] == "cpt" for h in hits))
    print(f"{len(layered):,} searches ({len(texts):,} typed queries, all code sets and CPT only): "
          f"{len(differing)} answers differ; {with_cpt:,} list CPT codes")  # fmt: skip
    for key in differing[:10]:
        print(f"  differs: {key}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
