"""Detection of the Medicare Coverage Database CSV tables by their header row, for detect.py's detectors."""

from __future__ import annotations

from db.releases import ReleaseInfo
from db.sources.detect_release import Dated
from db.sources.detect_sample import Sample
from db.sources.mcd import table_of_head
from db.sources.mcd_tables import TableSpec

__all__ = ["SYSTEM", "mcd_table"]

SYSTEM = "mcd"
_LABELS = {"article": "billing and coding articles", "lcd": "local coverage determinations",
           "ncd": "national coverage determinations"}  # fmt: skip


def _download_of(names: tuple[str, ...]) -> str | None:
    """Which download a contractor/state table came in, from its zips' and folders' names."""
    for name in names[1:]:
        lowered = name.lower()
        if "article" in lowered:
            return "article"
        if "lcd" in lowered:
            return "lcd"
    return None


def mcd_table(sample: Sample, dataset: str) -> Dated | None:
    """A Dated for an MCD CSV table of `dataset` (article, lcd, ncd), else None.

    The contractor and state tables ship in both the article and LCD downloads with the same header: they
    take the download their zip or folder names (else they count as the articles'; the store keeps one copy).
    """
    text = sample.text
    if text is None or not text.lines or not text.lines[0].count(","):
        return None
    found = table_of_head(text.lines[0])
    if found is None:
        return None
    table_dataset = found.dataset if isinstance(found, TableSpec) else found
    if table_dataset == "shared":
        table_dataset = _download_of(sample.names) or "article"
    if table_dataset != dataset:
        return None
    table = found.name if isinstance(found, TableSpec) else "other"
    label = f"Medicare Coverage Database {_LABELS[dataset]}"
    name = f"{label}: {table}" if isinstance(found, TableSpec) else f"{label}: a table not read"
    evidence = f"its header names ({table} table); dated by its last_updated column when loaded"
    return Dated(ReleaseInfo(SYSTEM, table, name, None, None), evidence)
