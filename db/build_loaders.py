"""Parsed records of one release -> code versions and their notes, PCS axes, HCPCS attributes, index terms, articles."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from db.build_rows import Tables
from db.models import CPT, HCPCS, ICD10CM, ICD10PCS
from db.releases import ReleaseInfo
from db.sources import code_indexes, hcpcs
from db.sources.articles import check_article_links, normalise_code, read_articles
from db.sources.errors import SourceFormatError
from db.sources.icd10cm_tabular import Tabular
from db.sources.icd10pcs_tables import AxisValue, PcsDefinitionEntry, PcsTable, compose_title

#: A PCS index prefix of 5-6 characters is attached to each code it covers, up to this many.
PCS_PREFIX_FANOUT_LIMIT = 60

Counts = dict[str, int]


def load_icd10cm(
    tables: Tables, tabular: Tabular, release_id: int, seq: int, short_titles: dict[str, str] | None = None
) -> None:
    short_titles = short_titles or {}
    for entry in tabular.entries:
        tables.add_code(
            ICD10CM,
            entry.code,
            seq,
            release_id,
            notes=entry.notes,
            sevenths=entry.seventh_characters,
            display=entry.display,
            kind=entry.kind,
            title=entry.title,
            short_title=short_titles.get(entry.code),
            billable=entry.billable,
            parent_code=entry.parent,
            chapter_code=entry.chapter,
            section_code=entry.section,
            depth=entry.depth,
        )


def load_icd10pcs(
    tables: Tables,
    pcs_tables: list[PcsTable],
    definitions: list[PcsDefinitionEntry],
    release_id: int,
    seq: int,
    source: Path,
    official_titles: dict[str, str] | None = None,
) -> int:
    """Codes plus the header rows a coder navigates by: section, body system, operation, body part. Code titles
    are CMS's own when the release's order file gave them, else composed from the axis labels."""
    official_titles = official_titles or {}
    headers: dict[str, tuple[str, str]] = {}
    codes: dict[str, str] = {}

    def axis(context: str, value: AxisValue) -> None:
        key = (context, value.position, value.character)
        signature = (value.axis_title, value.label, value.definition)
        if tables.pcs_axis_seen.get(key) == seq:
            return
        tables.pcs_axis_seen[key] = seq
        tables.pcs_axis.add_version(
            key,
            seq,
            signature,
            context=context,
            position=value.position,
            character=value.character,
            axis_title=value.axis_title,
            label=value.label,
            definition=value.definition,
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
            headers.setdefault(code[:4], ("body_part", f"{operation.label} of {values[3].label}"))
            if code in codes:
                raise SourceFormatError(source, f"table {code[:3]}", f"code {code} is defined by two rows")
            codes[code] = official_titles.get(code) or compose_title(values)

    for prefix in sorted(headers):
        kind, title = headers[prefix]
        tables.add_code(
            ICD10PCS,
            prefix,
            seq,
            release_id,
            display=prefix,
            kind=kind,
            title=title,
            billable=False,
            parent_code=prefix[:-1] if len(prefix) > 1 else None,
            chapter_code=None,
            section_code=None,
            depth=len(prefix) - 1,
        )
    for code in sorted(codes):
        tables.add_code(
            ICD10PCS,
            code,
            seq,
            release_id,
            display=code,
            kind="code",
            title=codes[code],
            billable=True,
            parent_code=code[:4],
            chapter_code=None,
            section_code=None,
            depth=4,
        )
    for entry in definitions:
        includes = "\n".join(entry.includes) or None
        tables.pcs_definitions.add_version(
            (entry.section, entry.position, entry.term),
            seq,
            (entry.axis_title, entry.definition, entry.explanation, includes),
            section=entry.section,
            position=entry.position,
            axis_title=entry.axis_title,
            term=entry.term,
            definition=entry.definition,
            explanation=entry.explanation,
            includes=includes,
        )
    return len(codes)


def _joined(values: Iterable[str]) -> str | None:
    text = " ".join(value for value in values if value)
    return text or None


def hcpcs_attributes(record: hcpcs.HcpcsRecord, is_noc: bool) -> dict[str, Any]:
    """The fields of the record layout beyond code and long description, as stored."""
    return {
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


def load_hcpcs(
    tables: Tables,
    records: list[hcpcs.HcpcsRecord],
    noc: frozenset[str],
    release: ReleaseInfo,
    release_id: int,
    seq: int,
) -> Counts:
    counts = {"codes": 0, "modifiers": 0, "not_otherwise_classified": 0}
    for record in sorted(records, key=lambda r: (r.kind != "code", r.code)):
        terminated = record.termination_date is not None and (
            release.valid_from is None or record.termination_date < release.valid_from
        )
        is_code = record.kind == "code"
        is_noc = record.code in noc
        tables.add_code(
            HCPCS,
            record.code,
            seq,
            release_id,
            attributes=hcpcs_attributes(record, is_noc),
            display=record.code,
            kind=record.kind,
            title=record.long_description,
            billable=is_code and not terminated,
            parent_code=None,
            chapter_code=None,
            section_code=None,
            depth=0,
        )
        counts["codes" if is_code else "modifiers"] += 1
        counts["not_otherwise_classified"] += is_noc
    return counts


def load_index_entries(
    tables: Tables,
    system: str,
    seq: int,
    entries: list[code_indexes.IndexEntry],
    release_id: int,
    counts: Counts,
    facts: dict[str, Any],
) -> None:
    """Attach index entries to the codes they point to in release `seq`; count (never hide) those that do not
    resolve."""
    in_release = tables.in_release.get((system, seq), {})
    pcs_codes_by_prefix: dict[str, list[int]] = {}
    if system == ICD10PCS:
        for code, code_id in in_release.items():
            if len(code) == 7:
                for length in (5, 6):
                    pcs_codes_by_prefix.setdefault(code[:length], []).append(code_id)
    attached: dict[str, int] = {}
    unresolved: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    seen: set[tuple[int, str]] = set()
    for entry in entries:
        targets: list[int] = []
        direct = in_release.get(entry.code)
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
        counts[f"index_terms.{source}"] = attached.get(source, 0)
        counts[f"index_references_unresolved.{source}"] = unresolved.get(source, 0)
        if source in samples:
            facts[f"unresolved_examples.{source}"] = samples[source]


def load_articles(
    tables: Tables, folder: Path, counts: Counts, strict_links: bool, facts: dict[str, Any] | None = None
) -> None:
    """Validate every article and its links against the loaded releases; one broken article stops the build
    (file, line, reason). A link to a code some releases lack is kept: the detail shows it where the code is."""
    articles = read_articles(folder)
    known: dict[str, set[str]] = {}
    for (system, _seq), codes_in_release in tables.in_release.items():
        known.setdefault(system, set()).update(codes_in_release)
    pcs_prefixes = {code[:n] for code in known.get(ICD10PCS, set()) for n in range(1, 8)}

    def code_exists(system: str, code: str) -> bool:
        if system == ICD10PCS:
            return code in pcs_prefixes
        return code in known.get(system, set())

    if strict_links:
        check_article_links(articles, code_exists)
    cpt_release: int | None = None
    unresolved = 0
    # With the user's CPT file loaded, its codes answer for the numbers articles name; the others keep a
    # reference row and are listed in the import report.
    cpt_loaded = bool(known.get(CPT))
    cpt_missing: set[str] = set()
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
                if system == CPT and cpt_loaded and code not in known.get(CPT, set()):
                    cpt_missing.add(code)  # probably a wrong or retired number in the article
                if system == CPT and code not in known.get(CPT, set()) and tables.code_id(CPT, code, 0) is None:
                    # A CPT number an article names, without any AMA descriptor: searching the number
                    # finds the article and says the description needs the user's licensed CPT file.
                    if cpt_release is None:
                        name = "CPT numbers named by Codebook articles"
                        cpt_release = tables.add_release(ReleaseInfo(CPT, "article references", name, None, None), [])
                    tables.add_code(
                        CPT,
                        code,
                        0,
                        cpt_release,
                        display=code,
                        kind="reference",
                        title="CPT code: its description requires your licensed CPT file",
                        billable=False,
                        parent_code=None,
                        chapter_code=None,
                        section_code=None,
                        depth=0,
                    )
    if cpt_loaded and facts is not None:
        counts["article_cpt_numbers_not_in_cpt_file"] = len(cpt_missing)
        facts["article_cpt_numbers_not_in_cpt_file"] = sorted(cpt_missing)
    counts["articles"] = len(articles)
    counts["article_links_not_in_release"] = unresolved
    counts["article_links"] = len(tables.article_links.rows)
