"""Official files -> database -> search index, built in a temporary folder and swapped in atomically."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.build_cpt import CptFiles
from db.build_loaders import load_articles, load_hcpcs, load_icd10cm, load_icd10pcs, load_index_entries
from db.build_rows import Tables, write_tables
from db.cpt_layer import database_facts, hidden_reference_ids, lay_over, read_layer, write_layer
from db.integrity import write_manifest
from db.lay_terms import default_lay_terms_path
from db.layout import BUILD_INFO_FILE, CURRENT, DATA_FORMAT, DATABASE_FILE, INDEX_DIR, bundled_fingerprint
from db.models import HCPCS, ICD10CM, ICD10PCS
from db.paths import articles_dir, source_files_dir
from db.releases import ReleaseInfo, hcpcs_release, icd10_release, ordered_releases
from db.search_index import build_search_index
from db.sources import code_indexes, hcpcs
from db.sources.errors import SourceFormatError
from db.sources.hcpcs_workbook import read_anweb_workbook
from db.sources.icd10cm_tabular import Tabular, parse_tabular
from db.sources.icd10pcs_tables import PcsDefinitionEntry, PcsTable, parse_definitions, parse_tables
from db.sources.index_references import follow_references
from db.sources.order_files import OrderRecord, read_cm_order, read_pcs_order

Progress = Callable[[str], None]
#: Where a build with CPT writes the index of the official releases, before the CPT layer goes over it.
BASE_INDEX_DIR = "base-index"


class BuildCancelled(Exception):
    """The user cancelled the build; the previous data is untouched."""


@dataclass(frozen=True)
class CmFiles:
    """One ICD-10-CM release: its tabular."""

    tabular: Path
    origin: str = "bundled"
    #: The release as the importer detected it (content, zip names); None: read from the file itself.
    release: ReleaseInfo | None = None
    #: The release's order file: official short titles.
    order: Path | None = None


@dataclass(frozen=True)
class PcsFiles:
    """One ICD-10-PCS release: its tables and (optionally) definitions."""

    tables: Path
    definitions: Path | None = None
    origin: str = "bundled"
    release: ReleaseInfo | None = None
    #: The release's order file: CMS's own long and short titles (else titles are composed from the tables).
    order: Path | None = None


@dataclass(frozen=True)
class HcpcsFiles:
    """One HCPCS Level II release: its codes (fixed-width text or workbook) and (optionally) NOC list."""

    codes: Path
    noc: Path | None = None
    origin: str = "bundled"
    release: ReleaseInfo | None = None
    #: hcpcs-anweb-text, hcpcs-anweb-workbook or hcpcs-longdesc-workbook; None: told by the file's suffix.
    kind: str | None = None


@dataclass
class BuildSources:
    """The files one build reads: every release of each code set, side by side, plus the newest indexes."""

    icd10cm: list[CmFiles]
    icd10pcs: list[PcsFiles]
    hcpcs: list[HcpcsFiles]
    #: The user's licensed CPT files, one entry per CPT year (never bundled).
    cpt: list[CptFiles] = field(default_factory=list)
    icd10cm_index: Path | None = None
    icd10cm_eindex: Path | None = None
    icd10cm_neoplasm: Path | None = None
    icd10cm_drug: Path | None = None
    icd10pcs_index: Path | None = None
    #: The curated lay terms and abbreviations the search index expands queries with.
    lay_terms: Path | None = None
    #: Plain-language procedure articles (one Markdown file each).
    articles: Path | None = None
    #: True for the bundled official files: a lay term or article naming a code missing from the newest
    #: release is an error. A user's newer release may delete codes, so then such links are left out and counted.
    strict_links: bool = True

    @classmethod
    def bundled(cls, root: Path | None = None) -> BuildSources:
        base = root or source_files_dir()
        return cls(
            icd10cm=[
                CmFiles(base / "icd10cm/fy2025-apr1/icd10cm-tabular-April-2025.xml.zip"),
                CmFiles(base / "icd10cm/fy2026-apr1/icd10c-tabular-April-1-2026.xml.zip"),
            ],
            icd10pcs=[
                PcsFiles(
                    base / "icd10pcs/fy2026/icd10pcs_tables_2026.xml.zip",
                    base / "icd10pcs/fy2026/icd10pcs_definitions_2026.xml",
                )
            ],
            hcpcs=[
                HcpcsFiles(
                    base / "hcpcs/2025-jul/HCPC2025_JUL_ANWEB_v3.TRIMMED-code-longdesc-only.xlsx",
                    base / "hcpcs/2025-jul/NOC codes_JUL2025.xlsx",
                )
            ],
            icd10cm_eindex=base / "icd10cm/fy2026-apr1/icd10cm-eindex-April-1-2026-XML.xml.zip",
            icd10cm_neoplasm=base / "icd10cm/fy2026-apr1/icd10cm-neoplasm-April-1-2026-XML.xml",
            icd10cm_drug=base / "icd10cm/fy2026-apr1/icd10cm-drug-April-1-2026-XML.xml.zip",
            icd10pcs_index=base / "icd10pcs/fy2025/icd10pcs_index_2025.xml.zip",
            lay_terms=default_lay_terms_path(),
            articles=articles_dir(),
        )


@dataclass
class BuildReport:
    counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _order_titles(
    order: Path | None, reader: Callable[[Path], list[OrderRecord]], codes: set[str], short: bool
) -> dict[str, str]:
    """Official titles from a release's order file (short or long), which must hold the release's codes: an
    order file of another year is refused, naming both files' counts, rather than mix two releases."""
    if order is None:
        return {}
    records = reader(order)
    unknown = [record.code for record in records if record.billable and record.code not in codes]
    if unknown:
        raise SourceFormatError(
            order,
            f"code {unknown[0]}",
            f"{len(unknown)} codes of the order file are not in the release it was given for",
        )
    return {record.code: record.short_title if short else record.long_title for record in records}


def build_database(
    database: Path,
    sources: BuildSources,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
) -> BuildReport:
    """Parse every source and write a new database file (which must not exist yet)."""
    report = BuildReport()
    tables = Tables()
    newest: dict[str, int] = {}
    release_counts: list[dict[str, Any]] = []

    def step(label: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        report.timings[label] = round(elapsed, 3)
        progress(f"  {label}: {elapsed:.2f} s")
        if should_cancel():
            raise BuildCancelled("build cancelled")

    started = time.perf_counter()
    cm_parsed: list[tuple[ReleaseInfo, Path, tuple[CmFiles, Tabular, dict[str, str]]]] = []
    for cm in sources.icd10cm:
        progress(f"Reading ICD-10-CM tabular {cm.tabular.name}")
        tabular = parse_tabular(cm.tabular)
        info = cm.release or icd10_release(ICD10CM, "tabular", cm.tabular, tabular.version, "ICD-10-CM")
        short_titles = _order_titles(cm.order, read_cm_order, {e.code for e in tabular.entries}, short=True)
        cm_parsed.append((info, cm.tabular, (cm, tabular, short_titles)))
        if should_cancel():
            raise BuildCancelled("build cancelled")
    for seq, (info, (cm, tabular, short_titles)) in enumerate(ordered_releases(cm_parsed), start=1):
        release_id = tables.add_release(info, [cm.tabular] + ([cm.order] if cm.order else []), seq, cm.origin)
        load_icd10cm(tables, tabular, release_id, seq, short_titles)
        newest[ICD10CM] = seq
        headers = sum(1 for entry in tabular.entries if not entry.billable)
        release_counts.append({"release": info.name, "billable": tabular.billable_count, "headers": headers})
        report.counts["icd10cm.billable"] = tabular.billable_count
        report.counts["icd10cm.headers"] = headers
    tables.assign_sort_order(ICD10CM, list(range(1, newest.get(ICD10CM, 0) + 1)))
    report.counts["icd10cm.releases"] = newest.get(ICD10CM, 0)
    report.counts["icd10cm.notes"] = len(tables.notes.rows)
    report.facts["icd10cm.billable_reconciliation"] = (
        "leaf codes without a 7th character plus leaf codes expanded by every 7th character that applies; "
        "S06 codes with 6th character 7 or 8 (death before regaining consciousness) take only 7th character A, "
        "as the category's note says"
    )
    step("ICD-10-CM tabular", started)

    started = time.perf_counter()
    pcs_parsed: list[tuple[ReleaseInfo, Path, tuple[PcsFiles, list[PcsTable], list[PcsDefinitionEntry]]]] = []
    pcs_titles: dict[Path, dict[str, str]] = {}
    for pcs in sources.icd10pcs:
        progress(f"Reading ICD-10-PCS tables {pcs.tables.name}")
        pcs_version, pcs_tables = parse_tables(pcs.tables)
        definitions = parse_definitions(pcs.definitions) if pcs.definitions else []
        info = pcs.release or icd10_release(ICD10PCS, "tables", pcs.tables, pcs_version, "ICD-10-PCS")
        valid_codes = {code for table in pcs_tables for code, _values in table.codes()}
        pcs_titles[pcs.tables] = _order_titles(pcs.order, read_pcs_order, valid_codes, short=False)
        pcs_parsed.append((info, pcs.tables, (pcs, pcs_tables, definitions)))
    for seq, (info, (pcs, pcs_tables, definitions)) in enumerate(ordered_releases(pcs_parsed), start=1):
        files = [pcs.tables] + [path for path in (pcs.definitions, pcs.order) if path is not None]
        release_id = tables.add_release(info, files, seq, pcs.origin)
        count = load_icd10pcs(tables, pcs_tables, definitions, release_id, seq, pcs.tables, pcs_titles[pcs.tables])
        newest[ICD10PCS] = seq
        release_counts.append({"release": info.name, "billable": count, "tables": len(pcs_tables)})
        report.counts["icd10pcs.codes"] = count
        report.counts["icd10pcs.tables"] = len(pcs_tables)
        report.counts["icd10pcs.definitions"] = len(definitions)
    tables.assign_sort_order(ICD10PCS, list(range(1, newest.get(ICD10PCS, 0) + 1)))
    step("ICD-10-PCS tables and definitions", started)

    started = time.perf_counter()
    hcpcs_parsed: list[tuple[ReleaseInfo, Path, tuple[HcpcsFiles, list[hcpcs.HcpcsRecord], frozenset[str]]]] = []
    for hcpcs_files in sources.hcpcs:
        progress(f"Reading HCPCS Level II {hcpcs_files.codes.name}")
        records = read_hcpcs(hcpcs_files.codes, hcpcs_files.kind)
        noc = hcpcs.read_noc_codes(hcpcs_files.noc) if hcpcs_files.noc else frozenset()
        info = hcpcs_files.release or hcpcs_release(hcpcs_files.codes)
        hcpcs_parsed.append((info, hcpcs_files.codes, (hcpcs_files, records, noc)))
    for seq, (info, (hcpcs_files, records, noc)) in enumerate(ordered_releases(hcpcs_parsed), start=1):
        release_files = [hcpcs_files.codes] + ([hcpcs_files.noc] if hcpcs_files.noc else [])
        release_id = tables.add_release(info, release_files, seq, hcpcs_files.origin)
        newest[HCPCS] = seq
        counts = load_hcpcs(tables, records, noc, info, release_id, seq)
        release_counts.append({"release": info.name, "billable": counts["codes"], "modifiers": counts["modifiers"]})
        for key, value in counts.items():
            report.counts[f"hcpcs.{key}"] = value
    tables.assign_sort_order(HCPCS, list(range(1, newest.get(HCPCS, 0) + 1)))
    step("HCPCS Level II", started)

    report.facts["release_counts"] = release_counts

    started = time.perf_counter()
    index_sources: list[tuple[str, Path | None, Callable[[Path], list[code_indexes.IndexEntry]], str]] = [
        (ICD10CM, sources.icd10cm_index, code_indexes.read_cm_index, "ICD-10-CM index"),
        (ICD10CM, sources.icd10cm_eindex, code_indexes.read_cm_index, "ICD-10-CM external cause index"),
        (ICD10CM, sources.icd10cm_neoplasm, code_indexes.read_cm_table, "ICD-10-CM neoplasm table"),
        (ICD10CM, sources.icd10cm_drug, code_indexes.read_cm_table, "ICD-10-CM table of drugs"),
        (ICD10PCS, sources.icd10pcs_index, code_indexes.read_pcs_index, "ICD-10-PCS index"),
    ]
    read: list[tuple[str, Path, str, list[code_indexes.IndexEntry]]] = []
    for system, path, reader, label in index_sources:
        if path is None or system not in newest:
            continue
        progress(f"Reading {label} {path.name}")
        read.append((system, path, label, reader(path)))
    if sources.icd10cm_index is not None and read and read[0][1] == sources.icd10cm_index:
        # The alphabetic index's see / see also lead on to the index and tables ("Cancer - see Neoplasm").
        references = code_indexes.read_cm_references(sources.icd10cm_index)
        followed = follow_references(
            references, [e for system, _p, _l, found in read if system == ICD10CM for e in found]
        )
        read[0][3].extend(followed)
        report.counts["index_references_followed.icd10cm-index"] = len(followed)
    for system, path, label, entries in read:
        release_id = tables.add_release(icd10_release(system, "index", path, "", label), [path])
        # Index terms lead to the codes of the newest release (the index files we hold are of its vintage).
        load_index_entries(tables, system, newest[system], entries, release_id, report.counts, report.facts)
    step("index terms", started)

    if sources.articles is not None:
        started = time.perf_counter()
        progress(f"Reading articles in {sources.articles}")
        load_articles(tables, sources.articles, report.counts, sources.strict_links, report.facts)
        step("articles", started)

    started = time.perf_counter()
    progress(f"Writing {database.name}")
    report.counts["code_versions"] = len(tables.codes.rows)
    write_tables(database, tables, report.counts, report.facts)
    step("database write", started)
    return report


def _recover_interrupted_swap(data_dir: Path) -> None:
    """A crash between the two renames of a swap leaves `current.old` only: put it back."""
    current, old = data_dir / CURRENT, data_dir / f"{CURRENT}.old"
    if not current.exists() and old.exists():
        old.rename(current)
    elif current.exists() and old.exists():
        shutil.rmtree(old, ignore_errors=True)


def read_hcpcs(path: Path, kind: str | None = None) -> list[hcpcs.HcpcsRecord]:
    """The official ANWEB workbook or fixed-width text (plain or zipped), or a workbook of long descriptions."""
    if kind == "hcpcs-anweb-workbook":
        return read_anweb_workbook(path)
    if kind == "hcpcs-longdesc-workbook" or (kind is None and path.suffix.lower() in (".xlsx", ".xlsm")):
        return hcpcs.read_long_descriptions_xlsx(path)
    return hcpcs.read_anweb(path)


def finish_build(
    data_dir: Path,
    staging: Path,
    report: BuildReport,
    with_index: bool = True,
    swap: Callable[[Callable[[], None]], None] | None = None,
) -> None:
    """Record the build in `staging`, then swap it in for the data folder's current build (see build)."""
    (staging / BUILD_INFO_FILE).write_text(
        json.dumps(
            {
                "data_format": DATA_FORMAT,
                "counts": report.counts,
                "timings": report.timings,
                "with_index": with_index,
                "bundled_sources": bundled_fingerprint(),
            },
            indent=2,
            sort_keys=True,
        ),
        encoding="utf-8",
    )
    write_manifest(staging)
    current, old = data_dir / CURRENT, data_dir / f"{CURRENT}.old"

    def swap_in() -> None:
        if current.exists():
            current.rename(old)
        staging.rename(current)

    (swap or (lambda renames: renames()))(swap_in)
    shutil.rmtree(old, ignore_errors=True)


def build(
    data_dir: Path,
    sources: BuildSources | None = None,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
    with_index: bool = True,
    swap: Callable[[Callable[[], None]], None] | None = None,
) -> BuildReport:
    """Build everything into a temporary folder inside `data_dir`, then swap it in.

    On any error or cancel the temporary folder is removed and the previous build stays as it was. `swap`, when
    given, is handed the two renames to run at a safe moment: a window that has the data open closes it first
    (Windows cannot rename a folder whose files are open), runs them, and opens the new data.
    """
    sources = sources or BuildSources.bundled()
    data_dir.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(data_dir)
    total_started = time.perf_counter()
    # The licensed CPT files are read first: a bad one is refused before a minute of building.
    layer = read_layer(sources.cpt, progress) if sources.cpt else None
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=data_dir))
    try:
        report = build_database(staging / DATABASE_FILE, sources, progress, should_cancel)
        if with_index:
            started = time.perf_counter()
            progress("Building the search index")
            base_index = staging / (INDEX_DIR if layer is None else BASE_INDEX_DIR)
            index_report = build_search_index(
                staging / DATABASE_FILE,
                base_index,
                progress,
                should_cancel,
                sources.lay_terms,
                sources.strict_links,
            )
            report.counts["lay_term_codes_not_in_release"] = int(index_report["lay_term_codes_not_in_release"])
            report.timings["search index"] = round(time.perf_counter() - started, 3)
            progress(f"  search index: {report.timings['search index']:.2f} s")
            if layer is not None:
                started = time.perf_counter()
                progress("Adding the CPT codes")
                lay_over(staging, base_index, layer, progress)
                shutil.rmtree(base_index)
                report.timings["CPT layer"] = round(time.perf_counter() - started, 3)
        elif layer is not None:
            write_layer(staging / DATABASE_FILE, layer, hidden_reference_ids(staging / DATABASE_FILE, layer))
        if layer is not None:
            counts, facts = database_facts(staging / DATABASE_FILE)
            report.counts.update(counts)
            report.facts.update(facts)
        report.timings["total"] = round(time.perf_counter() - total_started, 3)
        finish_build(data_dir, staging, report, with_index, swap)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report
