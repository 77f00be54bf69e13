"""How often composed ICD-10-PCS long titles equal CMS's official wording, on a sample of official titles.

    /work/main/.venv/bin/python benchmarks/pcs_titles.py [--tables PATH] [--sample PATH] [--mismatches N]
        [--show tuning|held-out]

The sample (code<TAB>long_title, FY2025) is split by table: of its tables in code order, every third one
(the 3rd, 6th, 9th, ...: index % 3 == 2) is held out and the rest is the tuning part. The wording rules in
db/sources/pcs_titles.py were written looking only at the tuning part; the held-out figure is the one that
says how well they generalise. Only codes valid in both the sample's year and the tables' year are compared.
Prints codes compared, exact matches per part and per root operation, and the first N mismatches of one part.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from db.sources.errors import SourceFormatError  # noqa: E402
from db.sources.icd10pcs_tables import AxisValue, compose_title, parse_tables  # noqa: E402

DEFAULT_TABLES = REPO / "resources" / "sources" / "icd10pcs" / "fy2026" / "icd10pcs_tables_2026.xml.zip"
DEFAULT_SAMPLE = REPO / "tests" / "fixtures" / "icd10pcs" / "official-long-titles-sample.tsv"
TUNING, HELD_OUT = "tuning", "held-out"


def read_sample(path: Path) -> dict[str, str]:
    """code -> official long title; lines starting with '#' are comments, the first other line the header."""
    titles: dict[str, str] = {}
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if fields != ["code", "long_title"]:
                raise ValueError(f"{path}, line {number}: expected the header 'code<TAB>long_title', got {line!r}")
            header_seen = True
            continue
        if len(fields) != 2 or len(fields[0]) != 7 or not fields[1].strip():
            raise ValueError(f"{path}, line {number}: expected a 7-character code, a tab and a title: {line!r}")
        if fields[0] in titles:
            raise ValueError(f"{path}, line {number}: code {fields[0]} appears twice")
        titles[fields[0]] = fields[1]
    if not titles:
        raise ValueError(f"{path}: no titles")
    return titles


def held_out_tables(codes: list[str]) -> set[str]:
    """The held-out tables: every third table prefix of the sample, in code order (fixed, never tuned on)."""
    prefixes = sorted({code[:3] for code in codes})
    return {prefix for index, prefix in enumerate(prefixes) if index % 3 == 2}


@dataclass(frozen=True)
class Comparison:
    code: str
    part: str
    operation: str
    official: str
    composed: str


@dataclass
class Report:
    comparisons: list[Comparison] = field(default_factory=list)
    not_in_tables: list[str] = field(default_factory=list)

    def matches(self, part: str | None = None, operation: str | None = None) -> tuple[int, int]:
        """(exact matches, codes compared), optionally of one part and/or one root operation."""
        chosen = [
            c
            for c in self.comparisons
            if (part is None or c.part == part) and (operation is None or c.operation == operation)
        ]
        return sum(c.official == c.composed for c in chosen), len(chosen)


def compare(tables_path: Path, sample_path: Path) -> Report:
    """Compose the title of every sample code found in the tables and compare it with the official one."""
    sample = read_sample(sample_path)
    _version, tables = parse_tables(tables_path)
    values: dict[str, tuple[AxisValue, ...]] = {code: axes for table in tables for code, axes in table.codes()}
    held_out = held_out_tables(list(sample))
    report = Report()
    for code, official in sorted(sample.items()):
        axes = values.get(code)
        if axes is None:
            report.not_in_tables.append(code)
            continue
        part = HELD_OUT if code[:3] in held_out else TUNING
        report.comparisons.append(Comparison(code, part, axes[2].label, official, compose_title(axes)))
    return report


def percent(matched: int, total: int) -> str:
    return f"{matched:>6}/{total:<6} {100 * matched / total:6.2f}%" if total else f"{'-':>6}/{0:<6}      -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=Path, default=DEFAULT_TABLES, help="ICD-10-PCS tables XML (or .zip)")
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help="official titles, code<TAB>long_title")
    parser.add_argument("--mismatches", type=int, default=20, help="how many mismatches to print")
    parser.add_argument("--show", choices=[TUNING, HELD_OUT], default=TUNING, help="whose mismatches to print")
    args = parser.parse_args(argv)

    try:
        report = compare(args.tables, args.sample)
    except (OSError, ValueError, SourceFormatError) as error:
        print(f"pcs_titles: {error}", file=sys.stderr)
        return 2
    held_out = sorted({c.code[:3] for c in report.comparisons if c.part == HELD_OUT})
    print(f"tables {args.tables}\nsample {args.sample}")
    print(f"codes compared: {len(report.comparisons)} (sample codes not in these tables: {len(report.not_in_tables)})")
    print(f"held-out tables ({len(held_out)}): {' '.join(held_out)}")
    for part in (TUNING, HELD_OUT, None):
        print(f"exact matches, {part or 'all':<9} {percent(*report.matches(part))}")
    print(f"\n{'root operation':<16} {'tuning':>22} {'held-out':>22}")
    for operation in sorted(Counter(c.operation for c in report.comparisons)):
        print(
            f"{operation:<16} {percent(*report.matches(TUNING, operation)):>22} "
            f"{percent(*report.matches(HELD_OUT, operation)):>22}"
        )
    wrong = [c for c in report.comparisons if c.part == args.show and c.official != c.composed]
    print(f"\nfirst {min(args.mismatches, len(wrong))} of {len(wrong)} {args.show} mismatches:")
    for c in wrong[: args.mismatches]:
        print(f"{c.code}  CMS: {c.official}\n{'':9}got: {c.composed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
