"""Official files -> database -> search index, built in a temporary folder and swapped in atomically."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from db import models
from db.engine import open_for_writing
from db.integrity import write_manifest
from db.lay_terms import default_lay_terms_path
from db.layout import BUILD_INFO_FILE, CURRENT, DATA_FORMAT, DATABASE_FILE, INDEX_DIR
from db.models import CPT, HCPCS, ICD10CM, ICD10PCS
from db.paths import articles_dir, source_files_dir
from db.releases import ReleaseInfo, hcpcs_release, icd10_release
from db.search_index import build_search_index
from db.sources import code_indexes, hcpcs
from db.sources.articles import check_article_links, normalise_code, read_articles
from db.sources.errors import SourceFormatError
from db.sources.files import sha256_of
from db.sources.icd10cm_tabular import Tabular, parse_tabular
from db.sources.icd10pcs_tables import (
    PcsDefinitionEntry,
    PcsTable,
    compose_title,
    parse_definitions,
    parse_tables,
)

Progress = Callable[[str], None]


class BuildCancelled(Exception):
    """The user cancelled the build; the previous data is untouched."""


@dataclass
class BuildSources:
    """The files one build reads; defaults are the official files shipped in resources/."""

    icd10cm_tabular: Path
    icd10pcs_tables: Path
    icd10pcs_definitions: Path
    hcpcs: Path
    hcpcs_noc: Path | None = None
    icd10cm_index: Path | None = None
    icd10cm_eindex: Path | None = None
    icd10cm_neoplasm: Path | None = None
    icd10cm_drug: Path | None = None
    icd10pcs_index: Path | None = None
    #: The curated lay terms and abbreviations the search index expands queries with.
    lay_terms: Path | None = None
    #: Plain-language procedure articles (one Markdown file each).
    articles: Path | None = None
    #: True for the bundled official files: a lay term or article naming a missing code is an error. A
    #: user's newer release may delete codes, so then such links are left out and counted instead.
    strict_links: bool = True

    @classmethod
    def bundled(cls, root: Path | None = None) -> BuildSources:
        base = root or source_files_dir()
        return cls(
            icd10cm_tabular=base / "icd10cm/fy2026-apr1/icd10c-tabular-April-1-2026.xml.zip",
            icd10pcs_tables=base / "icd10pcs/fy2026/icd10pcs_tables_2026.xml.zip",
            icd10pcs_definitions=base / "icd10pcs/fy2026/icd10pcs_definitions_2026.xml",
            hcpcs=base / "hcpcs/2025-jul/HCPC2025_JUL_ANWEB_v3.TRIMMED-code-longdesc-only.xlsx",
            hcpcs_noc=base / "hcpcs/2025-jul/NOC codes_JUL2025.xlsx",
            icd10cm_eindex=base / "icd10cm/fy2023/icd10cm_eindex_2023.xml.zip",
            icd10cm_neoplasm=base / "icd10cm/fy2023/icd10cm_neoplasm_2023.xml",
            icd10cm_drug=base / "icd10cm/fy2023/icd10cm_drug_2023.xml.zip",
            icd10pcs_index=base / "icd10pcs/fy2023/icd10pcs_index_2023.xml.zip",
            lay_terms=default_lay_terms_path(),
            articles=articles_dir(),
        )


@dataclass
class BuildReport:
    counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


class _Rows:
    """Rows for one table, with ids handed out here so parents can be referenced before insertion."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, **row: Any) -> int:
        row_id = len(self.rows) + 1
        self.rows.append({"id": row_id, **row})
        return row_id


@dataclass
class _Tables:
    releases: _Rows = field(default_factory=_Rows)
    release_sources: _Rows = field(default_factory=_Rows)
    codes: _Rows = field(default_factory=_Rows)
    notes: _Rows = field(default_factory=_Rows)
    sevenths: _Rows = field(default_factory=_Rows)
    pcs_axis: list[dict[str, Any]] = field(default_factory=list)
    pcs_definitions: _Rows = field(default_factory=_Rows)
    hcpcs_attributes: list[dict[str, Any]] = field(default_factory=list)
    index_terms: _Rows = field(default_factory=_Rows)
    articles: list[dict[str, Any]] = field(default_factory=list)
    article_links: _Rows = field(default_factory=_Rows)
    #: (system, code) -> codes.id
    code_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_release(self, info: ReleaseInfo, files: Iterable[Path]) -> int:
        release_id = self.releases.add(
            system=info.system,
            content=info.content,
            name=info.name,
            valid_from=info.valid_from,
            valid_to=info.valid_to,
        )
        for path in files:
            self.release_sources.add(
                release_id=release_id,
                file_name=path.name,
                sha256=sha256_of(path),
                size_bytes=path.stat().st_size,
            )
        return release_id

    def add_code(self, system: str, code: str, **values: Any) -> int:
        code_id = self.codes.add(system=system, code=code, **values)
        self.code_ids[(system, code)] = code_id
        return code_id


def _load_icd10cm(tables: _Tables, tabular: Tabular, release_id: int) -> None:
    for order, entry in enumerate(tabular.entries):
        ids = tables.code_ids
        code_id = tables.add_code(
            ICD10CM,
            entry.code,
            display=entry.display,
            kind=entry.kind,
            title=entry.title,
            billable=entry.billable,
            parent_id=ids[(ICD10CM, entry.parent)] if entry.parent else None,
            chapter_id=ids[(ICD10CM, entry.chapter)] if entry.chapter else None,
            section_id=ids[(ICD10CM, entry.section)] if entry.section else None,
            depth=entry.depth,
            sort_order=order,
            release_id=release_id,
        )
        for position, (kind, text) in enumerate(entry.notes):
            tables.notes.add(code_id=code_id, kind=kind, text=text, position=position)
        for position, (character, meaning) in enumerate(entry.seventh_characters):
            tables.sevenths.add(code_id=code_id, character=character, meaning=meaning, position=position)


def _load_icd10pcs(
    tables: _Tables,
    pcs_tables: list[PcsTable],
    definitions: list[PcsDefinitionEntry],
    release_id: int,
    source: Path,
) -> int:
    """Codes plus the header rows a coder navigates by: section, body system, operation, body part."""
    axis_seen: set[tuple[str, int, str]] = set()
    headers: dict[str, tuple[str, str]] = {}
    codes: list[tuple[str, str]] = []

    def axis(context: str, value: Any) -> None:
        key = (context, value.position, value.character)
        if key not in axis_seen:
            axis_seen.add(key)
            tables.pcs_axis.append(
                {
                    "context": context,
                    "position": value.position,
                    "character": value.character,
                    "axis_title": value.axis_title,
                    "label": value.label,
                    "definition": value.definition,
                }
            )

    for table in pcs_tables:
        section, system, operation = table.head
        axis("", section)
        axis(section.character, system)
        axis(section.character + system.character, operation)
        headers.setdefault(table.prefix[0], ("section", section.label))
        headers.setdefault(table.prefix[:2], ("body_system", f"{section.label}: {system.label}"))
        headers.setdefault(table.prefix, ("operation", f"{operation.label}: {system.label}"))
        for code, values in table.codes():
            for value in values[3:]:
                axis(table.prefix, value)
            body_part = values[3]
            headers.setdefault(code[:4], ("body_part", f"{operation.label} of {body_part.label}"))
            codes.append((code, compose_title(values)))
    seen_codes: set[str] = set()
    for code, _title in codes:
        if code in seen_codes:
            raise SourceFormatError(source, f"table {code[:3]}", f"code {code} is defined by two rows")
        seen_codes.add(code)

    order = 0
    for prefix in sorted(headers):
        kind, title = headers[prefix]
        parent = tables.code_ids.get((ICD10PCS, prefix[:-1])) if len(prefix) > 1 else None
        tables.add_code(
            ICD10PCS,
            prefix,
            display=prefix,
            kind=kind,
            title=title,
            billable=False,
            parent_id=parent,
            chapter_id=None,
            section_id=None,
            depth=len(prefix) - 1,
            sort_order=order,
            release_id=release_id,
        )
        order += 1
    for code, title in sorted(codes):
        tables.add_code(
            ICD10PCS,
            code,
            display=code,
            kind="code",
            title=title,
            billable=True,
            parent_id=tables.code_ids[(ICD10PCS, code[:4])],
            chapter_id=None,
            section_id=None,
            depth=4,
            sort_order=order,
            release_id=release_id,
        )
        order += 1
    for entry in definitions:
        tables.pcs_definitions.add(
            section=entry.section,
            position=entry.position,
            axis_title=entry.axis_title,
            term=entry.term,
            definition=entry.definition,
            explanation=entry.explanation,
            includes="\n".join(entry.includes) or None,
        )
    return len(codes)


def _joined(values: Iterable[str]) -> str | None:
    text = " ".join(value for value in values if value)
    return text or None


def _load_hcpcs(
    tables: _Tables,
    records: list[hcpcs.HcpcsRecord],
    noc: frozenset[str],
    release: ReleaseInfo,
    release_id: int,
) -> dict[str, int]:
    counts = {"codes": 0, "modifiers": 0, "not_otherwise_classified": 0}
    for order, record in enumerate(sorted(records, key=lambda r: (r.kind != "code", r.code))):
        terminated = record.termination_date is not None and (
            release.valid_from is None or record.termination_date < release.valid_from
        )
        is_code = record.kind == "code"
        code_id = tables.add_code(
            HCPCS,
            record.code,
            display=record.code,
            kind=record.kind,
            title=record.long_description,
            billable=is_code and not terminated,
            parent_id=None,
            chapter_id=None,
            section_id=None,
            depth=0,
            sort_order=order,
            release_id=release_id,
        )
        counts["codes" if is_code else "modifiers"] += 1
        is_noc = record.code in noc
        counts["not_otherwise_classified"] += is_noc
        tables.hcpcs_attributes.append(
            {
                "code_id": code_id,
                "short_description": record.short_description,
                "not_otherwise_classified": is_noc,
                "pricing_indicators": _joined(record.pricing_indicators),
                "multiple_pricing_indicator": record.multiple_pricing_indicator,
                "coverage_issues_manual_refs": _joined(record.coverage_issues_manual_refs),
                "carriers_manual_refs": _joined(record.carriers_manual_refs),
                "statute_number": record.statute_number,
                "lab_certification_codes": _joined(record.lab_certification_codes),
                "cross_reference_codes": _joined(record.cross_reference_codes),
                "coverage_code": record.coverage_code,
                "asc_payment_group": record.asc_payment_group,
                "asc_effective_date": record.asc_effective_date,
                "opps_payment_group": record.opps_payment_group,
                "opps_payment_indicator": record.opps_payment_indicator,
                "opps_effective_date": record.opps_effective_date,
                "processing_note_number": record.processing_note_number,
                "betos_code": record.betos_code,
                "type_of_service_codes": _joined(record.type_of_service_codes),
                "anesthesia_base_units": record.anesthesia_base_units,
                "added_date": record.added_date,
                "action_effective_date": record.action_effective_date,
                "termination_date": record.termination_date,
                "action_code": record.action_code,
            }
        )
    return counts


#: A PCS index prefix of 5-6 characters is attached to each code it covers, up to this many.
PCS_PREFIX_FANOUT_LIMIT = 60


def _load_index_entries(
    tables: _Tables, system: str, entries: list[code_indexes.IndexEntry], release_id: int, report: BuildReport
) -> None:
    """Attach index entries to the current codes they point to; count (never hide) those that do not resolve."""
    pcs_codes_by_prefix: dict[str, list[int]] = {}
    if system == ICD10PCS:
        for (code_system, code), code_id in tables.code_ids.items():
            if code_system == ICD10PCS and len(code) == 7:
                for length in (5, 6):
                    pcs_codes_by_prefix.setdefault(code[:length], []).append(code_id)
    attached: dict[str, int] = {}
    unresolved: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    seen: set[tuple[int, str]] = set()
    for entry in entries:
        targets: list[int] = []
        direct = tables.code_ids.get((system, entry.code))
        if direct is not None:
            targets = [direct]
        elif system == ICD10PCS and len(entry.code) in (5, 6):
            targets = pcs_codes_by_prefix.get(entry.code, [])[:PCS_PREFIX_FANOUT_LIMIT]
        if not targets:
            unresolved[entry.source] = unresolved.get(entry.source, 0) + 1
            bucket = samples.setdefault(entry.source, [])
            if len(bucket) < 10:
                bucket.append(f"{entry.term} -> {entry.code}")
            continue
        for code_id in targets:
            if (code_id, entry.term) in seen:
                continue
            seen.add((code_id, entry.term))
            tables.index_terms.add(code_id=code_id, source=entry.source, term=entry.term, release_id=release_id)
            attached[entry.source] = attached.get(entry.source, 0) + 1
    for source in sorted(set(attached) | set(unresolved)):
        report.counts[f"index_terms.{source}"] = attached.get(source, 0)
        report.counts[f"index_references_unresolved.{source}"] = unresolved.get(source, 0)
        if source in samples:
            report.facts[f"unresolved_examples.{source}"] = samples[source]


def _load_articles(tables: _Tables, folder: Path, report: BuildReport, strict_links: bool) -> None:
    """Validate every article and its links; one broken article stops the build (file, line, reason)."""
    articles = read_articles(folder)
    pcs_prefixes = {code[:n] for (system, code) in tables.code_ids if system == ICD10PCS for n in range(1, 8)}

    def code_exists(system: str, code: str) -> bool:
        if system == ICD10PCS:
            return code in pcs_prefixes
        return (system, code) in tables.code_ids

    if strict_links:
        check_article_links(articles, code_exists)
    cpt_release = None
    unresolved = 0
    for article in articles:
        tables.articles.append(
            {
                "id": article.id,
                "title": article.title,
                "aliases": "\n".join(article.aliases),
                "specialty": article.specialty,
                "last_reviewed": article.last_reviewed,
                "clinically_reviewed": article.clinically_reviewed,
                "sections": json.dumps([list(section) for section in article.sections]),
            }
        )
        for system, codes in article.codes.items():
            for written in codes:
                code = normalise_code(written)
                if system != CPT and not code_exists(system, code):
                    unresolved += 1  # only possible without strict_links: checked above otherwise
                    continue
                tables.article_links.add(article_id=article.id, system=system, code=code)
                if system == CPT and (CPT, code) not in tables.code_ids:
                    # A CPT number an article names, without any AMA descriptor: searching the number
                    # finds the article and says the description needs the user's licensed CPT file.
                    if cpt_release is None:
                        cpt_release = tables.add_release(
                            ReleaseInfo(
                                CPT, "article references", "CPT numbers named by Codebook articles", None, None
                            ),
                            [],
                        )
                    tables.add_code(
                        CPT,
                        code,
                        display=code,
                        kind="reference",
                        title="CPT code: its description requires your licensed CPT file",
                        billable=False,
                        parent_id=None,
                        chapter_id=None,
                        section_id=None,
                        depth=0,
                        sort_order=len(tables.codes.rows),
                        release_id=cpt_release,
                    )
    report.counts["articles"] = len(articles)
    report.counts["article_links_not_in_release"] = unresolved
    report.counts["article_links"] = len(tables.article_links.rows)


def _write_database(database: Path, tables: _Tables, report: BuildReport) -> None:
    engine: Engine = open_for_writing(database)
    models.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        for model, rows in (
            (models.Release, tables.releases.rows),
            (models.ReleaseSource, tables.release_sources.rows),
            (models.Code, tables.codes.rows),
            (models.Note, tables.notes.rows),
            (models.SeventhCharacter, tables.sevenths.rows),
            (models.PcsAxisValue, tables.pcs_axis),
            (models.PcsDefinition, tables.pcs_definitions.rows),
            (models.HcpcsAttributes, tables.hcpcs_attributes),
            (models.IndexTerm, tables.index_terms.rows),
            (models.ArticleRow, tables.articles),
            (models.ArticleLink, tables.article_links.rows),
        ):
            if rows:
                connection.execute(insert(model), rows)
        facts = [{"key": key, "value": json.dumps(value)} for key, value in sorted(report.facts.items())]
        facts.append({"key": "counts", "value": json.dumps(report.counts, sort_keys=True)})
        facts.append({"key": "data_format", "value": json.dumps(DATA_FORMAT)})
        facts.append({"key": "built_at", "value": json.dumps(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))})
        connection.execute(insert(models.BuildFact), facts)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def build_database(
    database: Path,
    sources: BuildSources,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
) -> BuildReport:
    """Parse every source and write a new database file (which must not exist yet)."""
    report = BuildReport()
    tables = _Tables()

    def step(label: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        report.timings[label] = round(elapsed, 3)
        progress(f"  {label}: {elapsed:.2f} s")
        if should_cancel():
            raise BuildCancelled("build cancelled")

    started = time.perf_counter()
    progress(f"Reading ICD-10-CM tabular {sources.icd10cm_tabular.name}")
    tabular = parse_tabular(sources.icd10cm_tabular)
    cm_release = icd10_release(ICD10CM, "tabular", sources.icd10cm_tabular, tabular.version, "ICD-10-CM")
    cm_release_id = tables.add_release(cm_release, [sources.icd10cm_tabular])
    _load_icd10cm(tables, tabular, cm_release_id)
    report.counts["icd10cm.billable"] = tabular.billable_count
    report.counts["icd10cm.headers"] = sum(1 for entry in tabular.entries if not entry.billable)
    report.counts["icd10cm.notes"] = len(tables.notes.rows)
    report.facts["icd10cm.billable_reconciliation"] = (
        "leaf codes without a 7th character plus leaf codes expanded by every 7th character that applies; "
        "S06 codes with 6th character 7 or 8 (death before regaining consciousness) take only 7th character A, "
        "as the category's note says"
    )
    step("ICD-10-CM tabular", started)

    started = time.perf_counter()
    progress(f"Reading ICD-10-PCS tables {sources.icd10pcs_tables.name}")
    pcs_version, pcs_tables = parse_tables(sources.icd10pcs_tables)
    definitions = parse_definitions(sources.icd10pcs_definitions)
    pcs_release = icd10_release(ICD10PCS, "tables", sources.icd10pcs_tables, pcs_version, "ICD-10-PCS")
    pcs_release_id = tables.add_release(pcs_release, [sources.icd10pcs_tables, sources.icd10pcs_definitions])
    report.counts["icd10pcs.codes"] = _load_icd10pcs(
        tables, pcs_tables, definitions, pcs_release_id, sources.icd10pcs_tables
    )
    report.counts["icd10pcs.tables"] = len(pcs_tables)
    report.counts["icd10pcs.definitions"] = len(definitions)
    step("ICD-10-PCS tables and definitions", started)

    started = time.perf_counter()
    progress(f"Reading HCPCS Level II {sources.hcpcs.name}")
    records = read_hcpcs(sources.hcpcs)
    noc = hcpcs.read_noc_codes(sources.hcpcs_noc) if sources.hcpcs_noc else frozenset()
    hcpcs_info = hcpcs_release(sources.hcpcs)
    hcpcs_release_id = tables.add_release(
        hcpcs_info, [sources.hcpcs] + ([sources.hcpcs_noc] if sources.hcpcs_noc else [])
    )
    for key, value in _load_hcpcs(tables, records, noc, hcpcs_info, hcpcs_release_id).items():
        report.counts[f"hcpcs.{key}"] = value
    step("HCPCS Level II", started)

    started = time.perf_counter()
    index_sources: list[tuple[str, Path | None, Callable[[Path], list[code_indexes.IndexEntry]], str]] = [
        (ICD10CM, sources.icd10cm_index, code_indexes.read_cm_index, "ICD-10-CM index"),
        (ICD10CM, sources.icd10cm_eindex, code_indexes.read_cm_index, "ICD-10-CM external cause index"),
        (ICD10CM, sources.icd10cm_neoplasm, code_indexes.read_cm_table, "ICD-10-CM neoplasm table"),
        (ICD10CM, sources.icd10cm_drug, code_indexes.read_cm_table, "ICD-10-CM table of drugs"),
        (ICD10PCS, sources.icd10pcs_index, code_indexes.read_pcs_index, "ICD-10-PCS index"),
    ]
    for system, path, reader, label in index_sources:
        if path is None:
            continue
        progress(f"Reading {label} {path.name}")
        entries = reader(path)
        release_id = tables.add_release(icd10_release(system, "index", path, "", label), [path])
        _load_index_entries(tables, system, entries, release_id, report)
    step("index terms", started)

    if sources.articles is not None:
        started = time.perf_counter()
        progress(f"Reading articles in {sources.articles}")
        _load_articles(tables, sources.articles, report, sources.strict_links)
        step("articles", started)

    started = time.perf_counter()
    progress(f"Writing {database.name}")
    _write_database(database, tables, report)
    step("database write", started)
    return report


def _recover_interrupted_swap(data_dir: Path) -> None:
    """A crash between the two renames of a swap leaves `current.old` only: put it back."""
    current, old = data_dir / CURRENT, data_dir / f"{CURRENT}.old"
    if not current.exists() and old.exists():
        old.rename(current)
    elif current.exists() and old.exists():
        shutil.rmtree(old, ignore_errors=True)


def read_hcpcs(path: Path) -> list[hcpcs.HcpcsRecord]:
    """A workbook with a long-description column, or the official fixed-width ANWEB file (plain or zipped)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return hcpcs.read_long_descriptions_xlsx(path)
    return hcpcs.read_anweb(path)


def build(
    data_dir: Path,
    sources: BuildSources | None = None,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
    with_index: bool = True,
) -> BuildReport:
    """Build everything into a temporary folder inside `data_dir`, then swap it in.

    On any error or cancel the temporary folder is removed and the previous build stays as it was.
    """
    sources = sources or BuildSources.bundled()
    data_dir.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(data_dir)
    total_started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=data_dir))
    try:
        report = build_database(staging / DATABASE_FILE, sources, progress, should_cancel)
        if with_index:
            started = time.perf_counter()
            progress("Building the search index")
            index_report = build_search_index(
                staging / DATABASE_FILE,
                staging / INDEX_DIR,
                progress,
                should_cancel,
                sources.lay_terms,
                sources.strict_links,
            )
            report.counts["lay_term_codes_not_in_release"] = int(index_report["lay_term_codes_not_in_release"])
            report.timings["search index"] = round(time.perf_counter() - started, 3)
            progress(f"  search index: {report.timings['search index']:.2f} s")
        report.timings["total"] = round(time.perf_counter() - total_started, 3)
        (staging / BUILD_INFO_FILE).write_text(
            json.dumps(
                {
                    "data_format": DATA_FORMAT,
                    "counts": report.counts,
                    "timings": report.timings,
                    "with_index": with_index,
                },
                indent=2,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
        write_manifest(staging)
        current, old = data_dir / CURRENT, data_dir / f"{CURRENT}.old"
        if current.exists():
            current.rename(old)
        staging.rename(current)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report
