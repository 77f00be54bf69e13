"""The claim check: parse, read the claim against the releases for its date of service, run every rule.

A rule is a function `ClaimContext -> list[Finding]`, listed in RULES; a new rule family is one module in
db/rules/ and one line here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import HCPCS
from db.ncci_store import NcciStore
from db.rules import coverage, modifiers, ncci, notes, validity
from db.rules.claim import ParsedClaim, parse_claim
from db.rules.context import ClaimContext, resolve
from db.rules.findings import CheckedCode, CheckResult, Finding

Rule = Callable[[ClaimContext], list[Finding]]

RULES: tuple[Rule, ...] = (
    validity.unknown_codes,
    validity.not_valid_on_date,
    validity.headers,
    validity.pcs_on_professional,
    notes.excludes1,
    notes.code_first,
    notes.use_additional,
    notes.manifestation,
    ncci.ptp,
    ncci.mue,
    modifiers.modifiers,
    coverage.coverage,
)

SETTINGS = ("practitioner", "hospital")


def check_claim(
    session: Session,
    claim: str | ParsedClaim,
    day: dt.date,
    ncci_store: NcciStore | None = None,
    setting: str = "practitioner",
    coverage: Path | None = None,
) -> CheckResult:
    """Every finding for the claim on the date of service, errors first; `coverage` is the data folder whose
    Medicare coverage store the coverage rule reads (None: not checked)."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, not {setting!r}")
    started = time.perf_counter()
    parsed = parse_claim(claim) if isinstance(claim, str) else claim
    ctx = resolve(session, parsed, day, setting=setting, ncci=ncci_store, coverage=coverage)
    findings = [finding for rule in RULES for finding in rule(ctx)]
    findings.sort(key=Finding.sort_key)
    codes = tuple(
        CheckedCode(
            written=line.line.written,
            code=line.code,
            system=line.system,
            modifiers=line.line.modifiers,
            units=line.line.units,
            valid_on_date=line.row is not None and ctx.in_force_on_date(line.row),
            display=line.display if line.system != HCPCS else line.code,
            title=line.row.title if line.row is not None else "",
        )
        for line in ctx.lines
    )
    elapsed = (time.perf_counter() - started) * 1000
    return CheckResult(day, codes, tuple(findings), parsed.ignored, elapsed)
