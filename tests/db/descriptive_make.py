"""Writes tests/db/descriptive_queries.tsv from published code groupings (see descriptive_README.md).

Not a test and not shipped: run it by hand when a source changes, with the two repository snapshots that the
search tool's `fetch` brings (bare git directories) and a data folder built from the bundled releases:

    python tests/db/descriptive_make.py --hccpy GITDIR --canvas GITDIR --data DIR

Relevance comes only from the sources' own code lists: a group's label is the query, every code the source
assigns to the group is relevant. Codes the bundled releases do not hold are dropped (the source is older or
newer than the bundle); a header whose every billable descendant is in the group is written as a prefix
(`E11.2*`), so that the header itself counts as a hit as well.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import random
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).with_name("descriptive_queries.tsv")
HCCPY_COMMIT = "b2e3c838dc3e8193bc02ebbac860a3611253842d"
CANVAS_COMMIT = "344f0bcb924b2be7ffafb5ac7edf19d475704259"
#: (model, label file, label prefix in it, ICD-10-CM mapping file): CMS risk-adjustment software files.
HCC_MODELS = (
    ("CMS-HCC V28", "hccpy/data/V28115L3.TXT", "HCC", "hccpy/data/F2824T1N.TXT"),
    ("CMS-HCC V24", "hccpy/data/V24H86L1.TXT", "HCC", "hccpy/data/F24_AllYearsCombined.TXT"),
    ("CMS-HCC V23", "hccpy/data/V23H83L2.TXT", "HCC", "hccpy/data/F23_AllYearsCombined.TXT"),
    ("HHS-HCC V05", "hccpy/data/V05128L1.TXT", "HHS_HCC", "hccpy/data/H0519F3.FY 2019 ICD10.TXT"),
)
#: eCQM value sets (NLM VSAC) as transcribed by canvas-plugins: (file, code-system attribute, our system).
VALUE_SET_FILES = (
    ("canvas_sdk/value_set/v2022/condition.py", "ICD10CM", "icd10cm"),
    ("canvas_sdk/value_set/v2026/no_qdm_category_assigned.py", "ICD10CM", "icd10cm"),
    ("canvas_sdk/value_set/v2026/procedure.py", "ICD10PCS", "icd10pcs"),
    ("canvas_sdk/value_set/v2022/procedure.py", "ICD10PCS", "icd10pcs"),
)
HELD_OUT_PERCENT = 30
QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@dataclass
class Group:
    query: str
    system: str
    family: str
    codes: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)


def git_show(git_dir: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def hcc_groups(git_dir: Path) -> list[Group]:
    groups = []
    for model, label_file, prefix, map_file in HCC_MODELS:
        label_text = git_show(git_dir, HCCPY_COMMIT, label_file)
        labels = {
            int(number): text.strip()
            for number, text in re.findall(rf'^\s*{prefix}0*(\d+)\s*="([^"]*)"', label_text, re.M)
        }
        by_cc: dict[int, set[str]] = defaultdict(set)
        for line in git_show(git_dir, HCCPY_COMMIT, map_file).splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                by_cc[int(parts[1])].add(parts[0].upper())
        for number, label in labels.items():
            if by_cc.get(number):
                groups.append(Group(label, "icd10cm", "category", by_cc[number], [f"{model} {prefix}{number}"]))
    return groups


def value_set_groups(git_dir: Path) -> list[Group]:
    groups = []
    for path, attribute, system in VALUE_SET_FILES:
        tree = ast.parse(git_show(git_dir, CANVAS_COMMIT, path))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            name, oid, codes = None, None, None
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
                    target = statement.targets[0].id
                    if target == "VALUE_SET_NAME":
                        name = ast.literal_eval(statement.value)
                    elif target == "OID":
                        oid = ast.literal_eval(statement.value)
                    elif target == attribute:
                        codes = {str(code).upper() for code in ast.literal_eval(statement.value)}
            if name and codes:
                family = "procedure" if system == "icd10pcs" else "category"
                groups.append(Group(name, system, family, codes, [f"eCQM value set {oid}"]))
    return groups


def merged(groups: list[Group]) -> list[Group]:
    """One query per distinct wording and system: the same label in two model versions is one query whose
    relevant codes are the union (either version's list is the source's answer)."""
    by_key: dict[tuple[str, str], Group] = {}
    for group in groups:
        key = (" ".join(group.query.lower().split()), group.system)
        if key in by_key:
            by_key[key].codes |= group.codes
            by_key[key].sources += group.sources
        else:
            by_key[key] = group
    return list(by_key.values())


class Bundle:
    """The codes of the bundled releases, with the tree of the newest release of each code set."""

    def __init__(self, database: Path) -> None:
        connection = sqlite3.connect(database)
        rows = connection.execute(
            "select c.system, c.code, c.display, c.billable, c.parent_code, c.last_seq = "
            "(select max(seq) from releases r where r.system = c.system and r.content in ('tabular', 'tables')) "
            "from codes c where c.system in ('icd10cm', 'icd10pcs')"
        ).fetchall()
        connection.close()
        self.display: dict[tuple[str, str], str] = {}
        self.children: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.parent: dict[tuple[str, str], str] = {}
        self.billable_now: set[tuple[str, str]] = set()
        for system, code, display, billable, parent, newest in rows:
            self.display[(system, code)] = display
            if newest and parent:
                self.children[(system, parent)].add(code)
                self.parent[(system, code)] = parent
            if newest and billable:
                self.billable_now.add((system, code))
        self._leaves: dict[tuple[str, str], frozenset[str]] = {}

    def leaves(self, system: str, code: str) -> frozenset[str]:
        key = (system, code)
        if key not in self._leaves:
            found = {code} if key in self.billable_now else set()
            for child in self.children.get(key, ()):
                found |= self.leaves(system, child)
            self._leaves[key] = frozenset(found)
        return self._leaves[key]

    def relevant(self, system: str, codes: set[str]) -> list[str]:
        """The group's codes as displayed; a header all of whose current billable codes are in the group
        becomes `HEADER*`, and the codes under it are left out."""
        known = {code for code in codes if (system, code) in self.display}
        ancestors: set[str] = set()
        for code in known:
            while (system, code) in self.parent:
                code = self.parent[(system, code)]
                ancestors.add(code)
        headers = set()
        for header in ancestors:
            leaves = self.leaves(system, header)
            # Chapters and sections (CH15, O00-O08) are not string prefixes of their codes: never a prefix.
            if leaves and leaves <= known and all(leaf.startswith(header) for leaf in leaves):
                headers.add(header)
        # Keep only the topmost complete headers.
        covered: set[str] = set()
        items: list[str] = []
        for header in sorted(headers, key=len):
            if any(header.startswith(top) for top in covered):
                continue
            covered.add(header)
            items.append(self.display[(system, header)] + "*")
        rest = sorted(code for code in known if not code.startswith(tuple(covered)))
        items += [self.display[(system, code)] for code in rest]
        return sorted(items)


def held_out(base_id: str) -> bool:
    return int(hashlib.sha256(base_id.encode()).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


def with_typo(query: str, seed: str) -> str:
    """One realistic slip in the query's longest word (5 letters or more; the first of equal length):
    swap two neighbouring letters, drop a letter, double a letter, or hit a key next to the right one.
    The first letter is never touched (people rarely get it wrong). Seeded by the query id."""
    rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())
    spans = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{5,}", query)]
    if not spans:
        return query
    start, end = max(spans, key=lambda span: (span[1] - span[0], -span[0]))
    word = query[start:end]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        typo = word[:at] + word[at + 1 :]
    elif kind == "double":
        typo = word[:at] + word[at] + word[at:]
    else:
        letter = word[at].lower()
        row = next(r for r in QWERTY_ROWS if letter in r)
        i = row.index(letter)
        neighbours = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
        typo = word[:at] + rng.choice(neighbours) + word[at + 1 :]
    if typo.lower() == word.lower():  # swapping two equal letters changes nothing: drop one instead
        typo = word[:at] + word[at + 1 :]
    return query[:start] + typo + query[end:]


HEADER = (
    "# Descriptive ranking set (issue 11, 'Measure it'): published code-group names and the codes their\n"
    "# publishers assign to them. Written by tests/db/descriptive_make.py; provenance in descriptive_README.md.\n"
    "# Columns: id, part (tune | held-out, by a hash of the base id), family, system, query, relevant\n"
    "#   (space-separated codes as displayed; CODE* = any code starting with CODE), source.\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hccpy", type=Path, required=True, help="git dir of yubin-park/hccpy")
    parser.add_argument("--canvas", type=Path, required=True, help="git dir of canvas-medical/canvas-plugins")
    parser.add_argument("--data", type=Path, required=True, help="a data folder built from the bundled releases")
    args = parser.parse_args()
    bundle = Bundle(args.data / "current" / "codebook.sqlite")
    groups = merged(hcc_groups(args.hccpy) + value_set_groups(args.canvas))
    lines = [HEADER + "id\tpart\tfamily\tsystem\tquery\trelevant\tsource"]
    prefixes = {"category": "cat", "procedure": "pcs"}
    counters: dict[str, int] = defaultdict(int)
    skipped = 0
    for group in sorted(groups, key=lambda g: (g.family, g.query.lower())):
        relevant = bundle.relevant(group.system, group.codes)
        if not relevant:
            skipped += 1
            continue
        counters[group.family] += 1
        base = f"{prefixes[group.family]}-{counters[group.family]:03d}"
        part = "held-out" if held_out(base) else "tune"
        source = "; ".join(group.sources)
        row = [base, part, group.family, group.system, group.query, " ".join(relevant), source]
        typo = with_typo(group.query, base)
        lines.append("\t".join(row))
        if typo != group.query:
            lines.append("\t".join([base + "-typo", part, "typo", group.system, typo, row[5], source + " (typo rule)"]))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(lines) - 1} queries ({dict(counters)} + typos); {skipped} groups with no bundled code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
