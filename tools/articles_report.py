"""Report on the procedure articles in resources/articles: count per specialty, length, reading grade, code coverage.

Run from the repository root:

    .venv/bin/python tools/articles_report.py [--data DIR] [--write-readme]

Every article is read and checked as the build reads it (a bad file stops the report with its message).
The reading grade is the Flesch-Kincaid grade level, with syllables counted by a small rule-based
function (good to about a grade either way; the articles aim at grade 8). With `--data DIR` of a built
Codebook database (DIR/current/codebook.sqlite) it also checks every linked code against that data and
counts how many billable codes of each code set have an article. `--write-readme` rewrites
resources/articles/README.md, whose list of articles is generated from the files so it stays in sync.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from db.sources.articles import (  # noqa: E402
    LINKED_SYSTEMS,
    SPECIALTIES,
    Article,
    check_article_links,
    normalise_code,
    read_articles,
)
from db.sources.errors import SourceFormatError  # noqa: E402

ARTICLES = REPO / "resources" / "articles"
README = ARTICLES / "README.md"
#: Articles above this Flesch-Kincaid grade are listed for simplifying.
GRADE_LIMIT = 10.0
SYSTEM_LABELS = {"icd10pcs": "ICD-10-PCS", "icd10cm": "ICD-10-CM", "hcpcs": "HCPCS", "cpt": "CPT"}

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?]+(?=[\s)\"'”’]|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]{1,2}")
_SILENT_END = re.compile(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$")


# ------------------------------------------------------------------------------------------------------
# Reading grade
# ------------------------------------------------------------------------------------------------------


def syllables(word: str) -> int:
    """Syllables in one English word, by vowel groups with the common silent endings dropped (rule of thumb)."""
    total = 0
    for part in re.split(r"[-/–]", word.lower()):
        letters = re.sub(r"[^a-z]", "", part)
        if not letters:
            total += 1 if any(char.isdigit() for char in part) else 0
            continue
        if len(letters) <= 3:
            total += 1
            continue
        letters = _SILENT_END.sub("", letters)
        letters = re.sub(r"^y", "", letters)
        total += max(1, len(_VOWEL_GROUPS.findall(letters)))
    return total


def sentence_units(markdown: str) -> list[str]:
    """Paragraphs and list items of Markdown body text, each as one line (list markers removed)."""
    units: list[str] = []
    current: list[str] = []
    for line in markdown.split("\n"):
        text = line.strip()
        if not text:
            if current:
                units.append(" ".join(current))
                current = []
            continue
        if _LIST_ITEM.match(line):
            if current:
                units.append(" ".join(current))
            current = [_LIST_ITEM.sub("", line).strip()]
        else:
            current.append(text)
    if current:
        units.append(" ".join(current))
    return [unit.replace("**", "").replace("__", "").replace("`", "") for unit in units if unit]


def grade_level(texts: Iterable[str]) -> float:
    """Flesch-Kincaid grade of Markdown text; a paragraph or list item with no end punctuation ends a sentence."""
    words = sentences = syllable_count = 0
    for markdown in texts:
        for unit in sentence_units(markdown):
            tokens = [token for token in unit.split() if re.search(r"[^\W_]", token)]
            if not tokens:
                continue
            words += len(tokens)
            syllable_count += sum(syllables(token) for token in tokens)
            ends = len(_SENTENCE_END.findall(unit))
            sentences += ends if re.search(r"[.!?][)\"'”’]*$", unit) else ends + 1
    if not words:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syllable_count / words - 15.59


def article_grade(article: Article) -> float:
    return grade_level(body for _heading, body in article.sections)


# ------------------------------------------------------------------------------------------------------
# Code coverage
# ------------------------------------------------------------------------------------------------------


def database_path(data_dir: Path) -> Path:
    return data_dir / "current" / "codebook.sqlite"


def open_database(data_dir: Path) -> sqlite3.Connection:
    path = database_path(data_dir)
    if not path.is_file():
        raise SystemExit(f"no built database at {path} (run `codebook-cli build --data {data_dir}` first)")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def code_checker(connection: sqlite3.Connection) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """All codes (any kind) and the billable codes of each linked code set, as stored (no dot)."""
    every: dict[str, set[str]] = defaultdict(set)
    billable: dict[str, set[str]] = defaultdict(set)
    for system, code, is_billable in connection.execute(
        "SELECT system, code, billable FROM codes WHERE system IN (?, ?, ?)", LINKED_SYSTEMS
    ):
        every[system].add(code)
        if is_billable:
            billable[system].add(code)
    return every, billable


def pcs_prefixes(codes: Iterable[str]) -> set[str]:
    """Every prefix (3 to 7 characters) of the given ICD-10-PCS codes."""
    return {code[:length] for code in codes for length in range(3, len(code) + 1)}


def covered_codes(articles: Sequence[Article], system: str, billable: set[str]) -> set[str]:
    """The billable codes of a code set that have an article (an ICD-10-PCS prefix covers every code under it)."""
    linked = {normalise_code(code) for article in articles for code in article.codes[system]}
    if system == "icd10pcs":
        lengths = sorted({len(code) for code in linked})
        return {code for code in billable if any(code[:length] in linked for length in lengths)}
    return linked & billable


# ------------------------------------------------------------------------------------------------------
# README
# ------------------------------------------------------------------------------------------------------

README_HEAD = """\
# Procedure articles

One plain-language article per procedure, shown in Codebook with the codes it links to: the ICD-10-PCS,
HCPCS and CPT codes of the procedure and a few ICD-10-CM diagnoses that are typical reasons for it.

- **General information, not medical advice.** The app says so on every article. They explain what a
  procedure is, why and how it is usually done, its risks and recovery, at about an 8th-grade reading
  level, for front-desk staff and the patients they talk to.
- **Written by us** from general clinical knowledge, not copied from any book, website or product. No
  CPT descriptor text appears anywhere (CPT descriptors are the AMA's); titles are our own lay titles.
- **`clinically_reviewed` stays `false`** until a clinician has reviewed the article; only then is it
  set to `true` (with `last_reviewed` updated).

## Format

One UTF-8 file per procedure, named `<id>.md`, where the id is lowercase kebab-case. The file starts with
YAML front matter between two `---` lines with exactly these fields:

```yaml
---
id: colonoscopy
title: Colonoscopy to check the large bowel, with polyp removal   # our lay title, at most 120 characters
aliases: [colonoscopy, colon scope, polypectomy]                   # what people type
codes:
  icd10pcs: [0DJD8ZZ, 0DBE8]        # full codes or prefixes of 3 to 6 characters
  hcpcs: [G0105, G0121]             # HCPCS Level II; [] if none
  cpt: ["45378", "45380"]           # CPT numbers only, quoted; never descriptor text
  icd10cm: [Z12.11, K63.5]          # typical indications, with the dot
specialty: Gastroenterology         # one of the specialties listed below
last_reviewed: 2026-11-25
clinically_reviewed: false
---
```

Then the body: exactly these 15 sections, each a `## ` heading with this text, in this order, none empty,
and no other headings: Summary, Purpose, Indications, Preparation, Procedure (as numbered steps), Tools
and equipment, Anesthesia, Duration, Setting, Personnel, Risks and complications, Benefits, Recovery,
Alternatives, Patient experience. The app shows them on three tabs: Procedure (Summary to Personnel),
Risks (Risks and complications, Benefits) and Recovery (Recovery, Alternatives, Patient experience).
The body has 350 to 900 words (headings not counted).

`db/sources/articles.py` reads and checks every file: a file that breaks any rule stops the build with
its name, line and the reason, and every ICD-10-PCS, HCPCS and ICD-10-CM code must exist in the loaded
code sets. `.venv/bin/python tools/articles_report.py [--data DIR]` reports counts, lengths, reading
grades and code coverage; `--write-readme` regenerates the list below (do not edit it by hand).

## Articles by specialty
"""


def readme_text(articles: Sequence[Article]) -> str:
    """The whole README.md: the fixed text above and the list of articles by specialty, by title."""
    lines = [README_HEAD.rstrip("\n"), "", f"{len(articles)} articles.", ""]
    for specialty in SPECIALTIES:
        members = sorted(
            (article for article in articles if article.specialty == specialty), key=lambda a: a.title.lower()
        )
        if not members:
            continue
        lines += [f"### {specialty} ({len(members)})", ""]
        lines += [f"- [{article.title}]({article.path.name})" for article in members]
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------------


def _spread(values: Sequence[float], digits: int = 0) -> str:
    def fmt(value: float) -> str:
        return f"{value:.{digits}f}"

    return f"min {fmt(min(values))}, median {fmt(statistics.median(values))}, max {fmt(max(values))}"


def report(articles: Sequence[Article], data_dir: Path | None) -> list[str]:
    folder = articles[0].path.parent
    out = [f"{len(articles)} articles in {folder}", "", "Articles per specialty:"]
    counts = Counter(article.specialty for article in articles)
    width = max(len(name) for name in SPECIALTIES)
    out += [f"  {name:<{width}}  {counts.get(name, 0):3d}" for name in SPECIALTIES]

    words = [article.word_count for article in articles]
    shortest = min(articles, key=lambda a: a.word_count)
    longest = max(articles, key=lambda a: a.word_count)
    out += ["", f"Words per article (body, headings not counted): {_spread(words)}"]
    out.append(f"  shortest {shortest.id} ({shortest.word_count}), longest {longest.id} ({longest.word_count})")

    grades = {article.id: article_grade(article) for article in articles}
    out += ["", f"Reading grade (Flesch-Kincaid): {_spread(list(grades.values()), 1)}"]
    above = sorted(((grade, name) for name, grade in grades.items() if grade > GRADE_LIMIT), reverse=True)
    if above:
        out.append(f"  above grade {GRADE_LIMIT:g}: " + ", ".join(f"{name} ({grade:.1f})" for grade, name in above))
    else:
        out.append(f"  none above grade {GRADE_LIMIT:g}")

    aliases: defaultdict[str, set[str]] = defaultdict(set)
    for article in articles:
        for alias in article.aliases:
            aliases[alias.lower()].add(article.id)
    shared = sorted((alias, sorted(ids)) for alias, ids in aliases.items() if len(ids) > 1)
    out += ["", f"Aliases used by more than one article: {len(shared)}"]
    out += [f"  {alias!r}: {', '.join(ids)}" for alias, ids in shared]

    out += ["", "Code coverage:"]
    cpt = {code for article in articles for code in article.codes["cpt"]}
    if data_dir is None:
        out.append("  skipped: give --data DIR of a built Codebook database to check the links and count coverage")
    else:
        with open_database(data_dir) as connection:
            every, billable = code_checker(connection)
        prefixes = pcs_prefixes(every["icd10pcs"])

        def exists(system: str, code: str) -> bool:
            return code in prefixes if system == "icd10pcs" else code in every[system]

        try:
            check_article_links(articles, exists)
            linked = sum(len(article.codes[system]) for article in articles for system in LINKED_SYSTEMS)
            out.append(
                f"  all {linked} linked ICD-10-PCS, HCPCS and ICD-10-CM codes exist in {database_path(data_dir)}"
            )
        except SourceFormatError as error:
            out.append(f"  LINK ERROR: {error}")
        for system in LINKED_SYSTEMS:
            total = len(billable[system])
            covered = len(covered_codes(articles, system, billable[system]))
            share = 100 * covered / total if total else 0.0
            label = SYSTEM_LABELS[system]
            out.append(f"  {label:<10}  {covered:6,d} of {total:6,d} billable codes have an article ({share:.1f}%)")
    out.append(f"  {'CPT':<10}  {len(cpt):6,d} distinct CPT numbers linked (CPT is not bundled; numbers shape-checked)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, help="a built Codebook data folder, to check links and count coverage")
    parser.add_argument("--articles", type=Path, default=ARTICLES, help=argparse.SUPPRESS)
    parser.add_argument("--write-readme", action="store_true", help=f"rewrite {README.relative_to(REPO)}")
    args = parser.parse_args(argv)
    try:
        articles = read_articles(args.articles)
    except SourceFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not articles:
        print(f"no articles in {args.articles}", file=sys.stderr)
        return 1
    print("\n".join(report(articles, args.data)))
    if args.write_readme:
        readme = args.articles / "README.md"
        readme.write_text(readme_text(articles), encoding="utf-8", newline="\n")
        print(f"\nwrote {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
