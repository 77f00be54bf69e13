"""Medicare coverage for a code, from the coverage store: the articles, LCDs and NCDs, and the claim check's
question (which articles list a procedure but none of the claim's diagnoses). No Qt.

For an HCPCS/CPT code: every article listing it (newest version, not retired), with its contractors, the
states they serve (jurisdictions not terminated), its dates, the covered ICD-10-CM codes grouped as the
article groups them (with each group's paragraph) and the non-covered ones; then the LCDs the articles
belong to and the NCDs they cite. For an ICD-10-CM code: the articles listing it as covered or non-covered,
with the procedures they are about. A state filter keeps what applies in that state (NCDs are national).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.coverage_store import as_of, connect

__all__ = [
    "CodeGroup",
    "MissingDiagnosis",
    "Policies",
    "Policy",
    "articles_missing_diagnosis",
    "normalize_icd",
    "policies_for_code",
]

#: MCD "states" that are parts of one state (New York's three, Missouri's and California's two halves): a
#: filter by the state finds them. Abbreviations as in the MCD's state_lookup table.
PART_OF_STATE = {"DN": "NY", "QN": "NY", "UN": "NY", "EM": "MO", "WM": "MO", "NF": "CA", "SF": "CA"}
PROCEDURE_SYSTEMS = ("hcpcs", "cpt")


def normalize_icd(code: str) -> str:
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True)
class CodeGroup:
    number: int
    paragraph: str
    codes: tuple[str, ...]  # ICD-10-CM without dots, in the article's order
    descriptions: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    kind: str  # article, lcd, ncd
    id: str  # A52503, L33791, NCD 280.1
    number: int  # the MCD's article_id / lcd_id / NCD_id
    version: int
    title: str
    contractors: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    covered: tuple[CodeGroup, ...] = ()
    noncovered: tuple[CodeGroup, ...] = ()
    #: The HCPCS/CPT codes an article lists (for an ICD-10-CM code: the procedures it is listed for).
    procedures: tuple[str, ...] = ()
    #: The paragraph of the article's HCPCS group that lists the code asked about.
    procedure_paragraph: str = ""
    #: For an ICD-10-CM code: how the article lists it ("covered", "non-covered").
    listed_as: str = ""
    related: tuple[str, ...] = ()  # ids of the LCDs / NCDs this one belongs to or cites
    section: str = ""  # NCD manual section

    def applies_in(self, state: str) -> bool:
        wanted = state.upper()
        return self.kind == "ncd" or any(s == wanted or PART_OF_STATE.get(s) == wanted for s in self.states)

    def covered_codes(self) -> list[str]:
        return [code for group in self.covered for code in group.codes]

    def noncovered_codes(self) -> list[str]:
        return [code for group in self.noncovered for code in group.codes]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "contractors": list(self.contractors),
            "states": list(self.states),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "covered_icd10": self.covered_codes(),
            "noncovered_icd10": self.noncovered_codes(),
        }


@dataclass(frozen=True)
class Policies:
    code: str
    system: str
    policies: tuple[Policy, ...]
    as_of: dict[str, dt.date] = field(default_factory=dict)
    state: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "system": self.system, "policies": [p.to_json() for p in self.policies]}

    def states(self) -> list[str]:
        """Every state some policy applies in (for the state filter)."""
        return sorted({PART_OF_STATE.get(s, s) for p in self.policies for s in p.states})


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@contextlib.contextmanager
def _connection(source: Path | sqlite3.Connection) -> Iterator[sqlite3.Connection | None]:
    if isinstance(source, sqlite3.Connection):
        yield source
        return
    connection = connect(Path(source))
    try:
        yield connection
    finally:
        if connection is not None:
            connection.close()


# -- the pieces of a policy ------------------------------------------------------------------------------


def _contractors(db: sqlite3.Connection, link: str, key: str, number: int, version: int, day: dt.date) -> tuple[
    tuple[str, ...], tuple[str, ...]
]:  # fmt: skip
    rows = db.execute(
        f"""SELECT c.contractor_bus_name, c.contractor_number, t.description, s.state_abbrev, j.term_date
            FROM "{link}" x
            JOIN contractor c USING (contractor_id, contractor_type_id, contractor_version)
            LEFT JOIN contractor_type_lookup t USING (contractor_type_id)
            LEFT JOIN contractor_jurisdiction j USING (contractor_id, contractor_type_id, contractor_version)
            LEFT JOIN state_lookup s ON s.state_id = j.state_id
            WHERE x."{key}_id" = ? AND x."{key}_version" = ?""",
        (number, version),
    ).fetchall()
    names: dict[str, None] = {}
    states: set[str] = set()
    for name, contractor_number, kind, state, term in rows:
        detail = ", ".join(part for part in (kind, contractor_number) if part)
        names[f"{name} ({detail})" if detail else name] = None
        if state and (not term or _day(term) >= day):  # type: ignore[operator]
            states.add(state)
    return tuple(sorted(names)), tuple(sorted(states))


def _groups(db: sqlite3.Connection, covered: bool, number: int, version: int, only: str | None) -> tuple[
    CodeGroup, ...
]:  # fmt: skip
    which = "covered" if covered else "noncovered"
    group_column = f"icd10_{which}_group"
    paragraphs = dict(
        db.execute(
            f'SELECT "{group_column}", paragraph FROM "article_x_icd10_{which}_group"'
            " WHERE article_id = ? AND article_version = ?",
            (number, version),
        ).fetchall()
    )
    query = (
        f'SELECT "{group_column}", icd10_code_id, description FROM "article_x_icd10_{which}"'
        " WHERE article_id = ? AND article_version = ?"
    )
    parameters: tuple[object, ...] = (number, version)
    if only is not None:  # an ICD-10-CM code's page: the group(s) it is in, not the article's whole list
        query += " AND icd10_code_id = ?"
        parameters += (only,)
    codes: dict[int, list[tuple[str, str]]] = {}
    for group, code, description in db.execute(query + " ORDER BY 1, sort_order, icd10_code_id", parameters):
        codes.setdefault(group, []).append((code, description or ""))
    return tuple(
        CodeGroup(group, paragraphs.get(group) or "", tuple(c for c, _ in items), tuple(d for _, d in items))
        for group, items in sorted(codes.items())
    )


def _newest(
    db: sqlite3.Connection, table: str, key: str, version: str, numbers: Iterable[int]
) -> dict[int, sqlite3.Row]:
    """The newest version's row of each document number (all_lcd downloads carry every version)."""
    found: dict[int, sqlite3.Row] = {}
    for number in set(numbers):
        row = db.execute(f'SELECT * FROM "{table}" WHERE "{key}" = ? ORDER BY "{version}" DESC LIMIT 1', (number,))
        record = row.fetchone()
        if record is not None:
            found[number] = record
    return found


def _article(db: sqlite3.Connection, row: sqlite3.Row, day: dt.date, code: str | None, icd: str | None,
             listed_as: str, with_codes: bool) -> Policy:  # fmt: skip
    number, version = row["article_id"], row["article_version"]
    contractors, states = _contractors(db, "article_x_contractor", "article", number, version, day)
    procedures = [r[0] for r in db.execute(
        "SELECT DISTINCT hcpc_code_id FROM article_x_hcpc_code WHERE article_id = ? AND article_version = ?"
        " ORDER BY hcpc_code_id", (number, version))]  # fmt: skip
    paragraph = ""
    if code is not None:
        found = db.execute(
            "SELECT p.paragraph FROM article_x_hcpc_code h JOIN article_x_hcpc_code_group p"
            " USING (article_id, article_version, hcpc_code_group)"
            " WHERE h.article_id = ? AND h.article_version = ? AND h.hcpc_code_id = ?",
            (number, version, code),
        ).fetchone()
        paragraph = found[0] if found and found[0] else ""
    lcds = _article_lcds(db, number, version)
    only = None if with_codes else icd
    # Without codes and without an ICD-10-CM code to pick groups by (the claim check's question), no group is
    # needed: loading every covered group of a large article cost the claim check most of its time.
    skip_groups = not with_codes and icd is None
    covered = () if skip_groups else _groups(db, True, number, version, only)
    noncovered = () if skip_groups else _groups(db, False, number, version, only)
    return Policy(
        "article", row["display_id"] or f"A{number}", number, version, row["title"], contractors, states,
        _day(row["article_eff_date"]), _day(row["article_end_date"]),
        covered, noncovered,
        tuple(procedures), paragraph, listed_as, tuple(f"L{n}" for n in lcds),
    )  # fmt: skip


def _article_lcds(db: sqlite3.Connection, number: int, version: int) -> list[int]:
    rows = db.execute(
        "SELECT r_lcd_id FROM article_related_documents WHERE article_id = ? AND article_version = ?"
        " AND r_lcd_id IS NOT NULL UNION SELECT lcd_id FROM lcd_related_documents WHERE r_article_id = ?",
        (number, version, number),
    )
    return sorted({r[0] for r in rows})


def _lcd(db: sqlite3.Connection, row: sqlite3.Row, day: dt.date) -> Policy:
    number, version = row["lcd_id"], row["lcd_version"]
    contractors, states = _contractors(db, "lcd_x_contractor", "lcd", number, version, day)
    end = row["rev_end_date"] or row["ent_det_end_date"]
    return Policy(
        "lcd", row["display_id"] or f"L{number}", number, version, row["title"], contractors, states,
        _day(row["orig_det_eff_date"]), _day(end),
    )  # fmt: skip


def _ncd(row: sqlite3.Row) -> Policy:
    section = row["NCD_mnl_sect"] or ""
    title = row["NCD_mnl_sect_title"] or ""
    return Policy(
        "ncd", f"NCD {section}".strip(), row["NCD_id"], row["NCD_vrsn_num"], title,
        effective_from=_day(row["NCD_efctv_dt"]), effective_to=_day(row["NCD_trmntn_dt"]), section=section,
    )  # fmt: skip


def _current(row: sqlite3.Row, retired_column: str, day: dt.date) -> bool:
    retired = row[retired_column]
    return not retired or _day(retired) > day  # type: ignore[operator]


# -- questions -------------------------------------------------------------------------------------------


def policies_for_code(
    source: Path | sqlite3.Connection,
    system: str,
    code: str,
    state: str | None = None,
    day: dt.date | None = None,
    with_codes: bool = True,
) -> Policies | None:
    """The Medicare policies for a code, or None when no coverage data is loaded.

    `with_codes=False` (an ICD-10-CM code's page) gives each article's groups holding that code only, not the
    article's whole list (which can run to thousands); the CLI's JSON asks for the whole lists.
    """
    day = day or dt.date.today()
    with _connection(source) as db:
        if db is None:
            return None
        db.row_factory = sqlite3.Row
        articles = _articles_for(db, system, code, day, with_codes)
        lcd_numbers = sorted({int(r[1:]) for a in articles for r in a.related if r.startswith("L")})
        lcds = [
            _lcd(db, row, day) for row in _newest(db, "lcd", "lcd_id", "lcd_version", lcd_numbers).values()
            if _current(row, "date_retired", day)
        ]  # fmt: skip
        ncds = _ncds_for(db, articles, lcds)
        policies = [*articles, *sorted(lcds, key=lambda p: p.id), *ncds]
        if state:
            policies = [p for p in policies if p.applies_in(state)]
        dates = as_of(Path(source)) if not isinstance(source, sqlite3.Connection) else {}
        return Policies(code, system, tuple(policies), dates, state.upper() if state else None)


def _articles_for(db: sqlite3.Connection, system: str, code: str, day: dt.date, with_codes: bool) -> list[Policy]:
    listed: dict[int, tuple[int, str]] = {}  # article_id -> (newest version listing the code, how)
    hcpcs = icd = None
    if system in PROCEDURE_SYSTEMS:
        hcpcs = code.strip().upper()
        rows = db.execute("SELECT article_id, article_version, '' FROM article_x_hcpc_code WHERE hcpc_code_id = ?",
                          (hcpcs,))  # fmt: skip
    elif system == "icd10cm":
        icd = normalize_icd(code)
        rows = db.execute(
            "SELECT article_id, article_version, 'covered' FROM article_x_icd10_covered WHERE icd10_code_id = ?"
            " UNION SELECT article_id, article_version, 'non-covered' FROM article_x_icd10_noncovered"
            " WHERE icd10_code_id = ?",
            (icd, icd),
        )
    else:
        return []
    for number, version, how in rows:
        kept = listed.get(number)
        if kept is None or version > kept[0]:
            listed[number] = (version, how)
        elif version == kept[0] and how not in kept[1]:
            listed[number] = (version, f"{kept[1]} and {how}")
    policies = []
    for number, (version, how) in sorted(listed.items()):
        row = db.execute("SELECT * FROM article WHERE article_id = ? AND article_version = ?", (number, version))
        record = row.fetchone()
        if record is not None and _current(record, "date_retired", day):
            policies.append(_article(db, record, day, hcpcs, icd, how, with_codes))
    return policies


def _ncds_for(db: sqlite3.Connection, articles: Sequence[Policy], lcds: Sequence[Policy]) -> list[Policy]:
    numbers: set[int] = set()
    for article in articles:
        numbers |= {r[0] for r in db.execute(
            "SELECT r_ncd_id FROM article_related_ncd_documents WHERE article_id = ? AND article_version = ?",
            (article.number, article.version))}  # fmt: skip
    for lcd in lcds:
        numbers |= {r[0] for r in db.execute(
            "SELECT r_ncd_id FROM lcd_related_ncd_documents WHERE lcd_id = ? AND lcd_version = ?",
            (lcd.number, lcd.version))}  # fmt: skip
    rows = _newest(db, "ncd_trkg", "NCD_id", "NCD_vrsn_num", (n for n in numbers if n is not None))
    return sorted((_ncd(row) for row in rows.values()), key=lambda p: p.section)


@dataclass(frozen=True)
class MissingDiagnosis:
    """A procedure whose article lists covered diagnoses, none of which is on the claim."""

    procedure: str
    article_id: str  # A52503
    title: str
    covered_count: int

    def message(self) -> str:
        return (f"{self.procedure}: none of the claim's diagnoses is among the {self.covered_count:,} ICD-10-CM "
                f"codes that {self.article_id} ({self.title}) lists as supporting medical necessity")  # fmt: skip


def articles_missing_diagnosis(
    data_dir_or_session: Path | sqlite3.Connection,
    procedure_codes: Iterable[str],
    diagnosis_codes: Iterable[str],
    day: dt.date,
    state: str | None = None,
) -> list[MissingDiagnosis]:
    """For each procedure: the articles in effect on `day` (in `state`, when given) that list it and list
    covered diagnoses, none of which is among `diagnosis_codes` (with or without dots). Empty when no
    coverage data is loaded. An article whose current version starts after `day` is skipped: the download
    holds only the current version, and the rules of the earlier one are unknown.
    """
    diagnoses = sorted({normalize_icd(code) for code in diagnosis_codes if code.strip()})
    found: list[MissingDiagnosis] = []
    with _connection(data_dir_or_session) as db:
        if db is None:
            return []
        db.row_factory = sqlite3.Row
        for procedure in dict.fromkeys(code.strip().upper() for code in procedure_codes if code.strip()):
            for article in _articles_for(db, "hcpcs", procedure, day, with_codes=False):
                if article.effective_from is not None and article.effective_from > day:
                    continue
                if article.effective_to is not None and article.effective_to < day:
                    continue
                if state and not article.applies_in(state):
                    continue
                found.extend(_missing(db, procedure, article, diagnoses))
    return found


def _missing(db: sqlite3.Connection, procedure: str, article: Policy, diagnoses: list[str]) -> list[MissingDiagnosis]:
    key = (article.number, article.version)
    total = db.execute(
        "SELECT COUNT(*) FROM article_x_icd10_covered WHERE article_id = ? AND article_version = ?", key
    ).fetchone()[0]
    if not total:
        return []
    marks = ", ".join("?" for _ in diagnoses) or "NULL"
    hit = db.execute(
        f"SELECT 1 FROM article_x_icd10_covered WHERE article_id = ? AND article_version = ?"
        f" AND icd10_code_id IN ({marks}) LIMIT 1",
        (*key, *diagnoses),
    ).fetchone()
    return [] if hit else [MissingDiagnosis(procedure, article.id, article.title, int(total))]
