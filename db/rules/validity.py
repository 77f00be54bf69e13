"""Rules on each code alone: not a code, not valid on the date, header not billable, 7th character, placeholder X,
ICD-10-PCS on a professional claim."""

from __future__ import annotations

from sqlalchemy import select

from db.history import code_history, history_line
from db.in_force import code_set_releases, validity_text
from db.models import CPT, ICD10CM, ICD10PCS, SYSTEM_LABELS, Code
from db.rules.context import ClaimContext, CodeRow, ResolvedLine, code_row, fetch_rows
from db.rules.findings import ERROR, NOTE, WARNING, Finding

MAX_CANDIDATES = 12
MAX_DETAILED = 20
LIMIT_CHILDREN = 200


def _label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system or "any code set")


def _released(ctx: ClaimContext, system: str) -> str:
    names = [release.name for release in code_set_releases(ctx.session, system)]
    return ", ".join(names) if names else f"no {_label(system)} release"


def _seventh_code(base: str, character: str) -> str:
    return base.ljust(6, "X") + character


def unknown_codes(ctx: ClaimContext) -> list[Finding]:
    """Codes no loaded release has: a placeholder X or 7th character problem when that explains it, else
    not a code (with the nearest code that exists)."""
    missing = [line for line in ctx.lines if line.row is None]
    if not missing:
        return []
    guesses: set[tuple[str, str]] = set()
    for line in missing:
        code = line.code
        if ICD10CM in line.line.shapes:
            guesses.update((ICD10CM, code[:length]) for length in range(3, len(code)))
            guesses.update((ICD10CM, guess) for guess in _placeholder_guesses(code))
            guesses.add((ICD10CM, code[:6].rstrip("X")))
    known = {(row.system, row.code): row for row in fetch_rows(ctx.session, guesses) if row.first_seq > 0}
    cpt_loaded = bool(code_set_releases(ctx.session, CPT))
    findings: list[Finding] = []
    not_checked: list[str] = []
    for line in missing:
        if line.system == CPT and not cpt_loaded:
            not_checked.append(line.code)
            continue
        finding = _explain_missing(ctx, line, known)
        if finding is not None:
            findings.append(finding)
    if not_checked:
        findings.append(
            Finding(
                NOTE,
                "not_valid_on_date",
                tuple(not_checked),
                f"No CPT code set is loaded: {', '.join(not_checked)} cannot be checked for validity on "
                f"{ctx.day.isoformat()} (NCCI and MUE edits are still checked when loaded).",
                "CPT is licensed by the AMA and not bundled with Codebook.",
                "Load your licensed CPT file with File \u2192 Import official files\u2026 to check CPT codes.",
            )
        )
    return findings


def _placeholder_guesses(code: str) -> list[str]:
    """The codes meant when the placeholder X was left out: X inserted before the 7th character at each place
    after the category ('T3601A' -> 'T360X1A', 'S134A' -> 'S134XXA')."""
    base, seventh = code[:-1], code[-1:]
    if not 3 <= len(base) < 6 or not seventh.isalpha():
        return []
    missing = 6 - len(base)
    return [base[:i] + "X" * missing + base[i:] + seventh for i in range(len(base), 2, -1)]


def _explain_missing(ctx: ClaimContext, line: ResolvedLine, known: dict[tuple[str, str], CodeRow]) -> Finding | None:
    code, written = line.code, line.line.written
    if ICD10CM in line.line.shapes:
        full = next((known[(ICD10CM, g)] for g in _placeholder_guesses(code) if (ICD10CM, g) in known), None)
        if full is not None:
            return Finding(
                ERROR,
                "placeholder",
                (code,),
                f"{written} is not a code: the 7th character must sit in position 7, with the placeholder X "
                f"filling the empty positions ({full.display}).",
                "ICD-10-CM Official Guidelines I.A.5: the placeholder character X is used with codes that need a "
                "7th character but have fewer than 6 characters.",
                f"Write {full.display} ({full.title}).",
                (full.code,),
            )
        base = known.get((ICD10CM, code[:6].rstrip("X")))
        if len(code) == 7 and base is not None:
            lineage = _lineage_of(ctx, base)
            level, characters = ctx.seventh_characters(lineage)
            if level is not None:
                allowed = ", ".join(f"{c} ({m})" for c, m in characters.items())
                return Finding(
                    ERROR,
                    "seventh_character",
                    (code,),
                    f"{written}: 7th character {code[6]} is not allowed for {base.display}.",
                    f"{level.display} 7th characters: {allowed}",
                    "Choose one of the 7th characters listed for this category.",
                    tuple(_seventh_code(base.code, c) for c in characters)[:MAX_CANDIDATES],
                )
    nearest = next(
        (known[(ICD10CM, code[:n])] for n in range(len(code) - 1, 2, -1) if (ICD10CM, code[:n]) in known), None
    )
    systems = [s for s in line.line.shapes if s != CPT] or list(line.line.shapes)
    releases = "; ".join(_released(ctx, s) for s in systems)
    action = "Check the code as written on the source document."
    if nearest is not None:
        action += f" The nearest code that exists is {nearest.display} ({nearest.title})."
    return Finding(
        ERROR,
        "not_a_code",
        (code,),
        f"{written} is not a code in any loaded release of {' or '.join(_label(s) for s in systems)}.",
        f"Loaded: {releases}.",
        action,
        (nearest.code,) if nearest is not None else (),
    )


def _lineage_of(ctx: ClaimContext, row: CodeRow) -> tuple[CodeRow, ...]:
    seq = ctx.seq_for(row)
    prefixes = [(ICD10CM, row.code[:n]) for n in range(len(row.code) - 1, 2, -1)]
    found = {r.code: r for r in fetch_rows(ctx.session, prefixes) if r.first_seq <= seq <= r.last_seq}
    return (row, *(found[code] for _, code in prefixes if code in found))


def not_valid_on_date(ctx: ClaimContext) -> list[Finding]:
    findings: list[Finding] = []
    uncovered: dict[str, list[str]] = {}
    for line in ctx.lines:
        row = line.row
        if row is None:
            continue
        answer = ctx.answers.get(row.system)
        in_release = answer is not None and row.first_seq <= answer.release.seq <= row.last_seq
        if answer is not None and not answer.covered and in_release:
            uncovered.setdefault(row.system, []).append(line.code)
            continue
        if in_release:
            continue
        _, why = validity_text(ctx.session, _as_code(row), answer)
        steps = code_history(ctx.session, row.system, row.code)
        history = "; ".join(
            f"{step.release.name}: {'present' if step.present else 'absent'}"
            + (f" ({step.change.replace('_', ' ')})" if step.change else "")
            for step in steps
        )
        findings.append(
            Finding(
                ERROR,
                "not_valid_on_date",
                (line.code,),
                f"{line.line.written} ({row.title}) is not valid on {ctx.day.isoformat()}: {why}."
                + (f" {history_line(steps)}." if history_line(steps) else ""),
                f"History: {history}" if history else "",
                "Use the code in force on the date of service (see the code's history in its detail).",
            )
        )
    for system, codes in uncovered.items():
        answer = ctx.answers[system]
        findings.append(
            Finding(
                NOTE,
                "not_valid_on_date",
                tuple(codes),
                f"No loaded {_label(system)} release covers {ctx.day.isoformat()}: {', '.join(codes)} were checked "
                f"against {answer.release.name} (dates of service {answer.release.dates_text()}).",
                answer.notice() or "",
                f"Load the {_label(system)} release in force on the date with File \u2192 Import official files\u2026",
            )
        )
    return findings


def _as_code(row: CodeRow) -> Code:
    return Code(id=row.id, system=row.system, code=row.code, first_seq=row.first_seq, last_seq=row.last_seq)


def headers(ctx: ClaimContext) -> list[Finding]:
    """ICD-10-CM headers: a 7th character missing, or a category/subcategory that is not billable."""
    findings: list[Finding] = []
    ctx.prefetch_seventh_characters()
    headers = [line for line in ctx.diagnoses if line.row is not None and not line.row.billable]
    for number, line in enumerate(headers):
        row = line.row
        assert row is not None
        seq = ctx.seq_for(row)
        level, characters = ctx.seventh_characters(ctx.lineage(line)) if len(row.code) < 7 else (None, {})
        # A claim is never this long; past MAX_DETAILED headers, each costs no query (hostile input stays fast).
        children = _billable_under(ctx, row.code, seq) if number < MAX_DETAILED else []
        completed = [child for c in characters if (child := _child(children, _seventh_code(row.code, c)))]
        if level is not None and completed:
            meanings = ", ".join(f"{c} ({m})" for c, m in characters.items())
            padded = len(row.code) < 6
            findings.append(
                Finding(
                    ERROR,
                    "seventh_character",
                    (line.code,),
                    f"{line.line.written} ({row.title}) needs a 7th character to be billable"
                    + (" (with the placeholder X in the empty positions)." if padded else "."),
                    f"{level.display} 7th characters: {meanings}",
                    "Add the 7th character that fits the encounter: "
                    + ", ".join(c.display for c in completed[:6])
                    + ("\u2026" if len(completed) > 6 else "."),
                    tuple(c.code for c in completed[:MAX_CANDIDATES]),
                )
            )
            continue
        shown = ", ".join(f"{c.display} {c.title}" for c in children[:8]) or "see the codes under it"
        findings.append(
            Finding(
                ERROR,
                "header_not_billable",
                (line.code,),
                f"{line.line.written} ({row.title}) is a header, not billable"
                + (f": it has {_count(children)} billable codes under it." if children else "."),
                f"ICD-10-CM tabular: {row.display} is a {row.kind} with subdivisions; only codes at the highest "
                "level of detail are billable (Official Guidelines I.B.2).",
                f"Choose the specific code: {shown}" + ("\u2026" if len(children) > 8 else "."),
                tuple(c.code for c in children[:MAX_CANDIDATES]),
            )
        )
    return findings


def _count(children: list[CodeRow]) -> str:
    return f"{len(children)} or more" if len(children) == LIMIT_CHILDREN else str(len(children))


def _child(children: list[CodeRow], code: str) -> CodeRow | None:
    return next((child for child in children if child.code == code), None)


def _billable_under(ctx: ClaimContext, code: str, seq: int) -> list[CodeRow]:
    from db.rules.context import _COLUMNS

    query = (
        select(*_COLUMNS)
        .where(
            Code.system == ICD10CM,
            Code.code > code,
            Code.code < code + "~",  # every longer code with this prefix (an index range, unlike LIKE)
            Code.billable.is_(True),
            Code.first_seq <= seq,
            Code.last_seq >= seq,
        )
        .order_by(Code.sort_order)
        .limit(LIMIT_CHILDREN)
    )
    return [code_row(row) for row in ctx.session.execute(query)]


def pcs_on_professional(ctx: ClaimContext) -> list[Finding]:
    codes = tuple(line.code for line in ctx.lines if line.system == ICD10PCS and line.row is not None)
    if not codes or ctx.setting != "practitioner":
        return []
    return [
        Finding(
            WARNING,
            "pcs_on_professional",
            codes,
            f"{', '.join(codes)}: ICD-10-PCS codes report inpatient hospital procedures; this claim looks "
            "professional (practitioner), where procedures are reported with CPT/HCPCS codes.",
            "ICD-10-PCS is the procedure code set for hospital inpatient claims (UB-04/837I); physician and "
            "outpatient services are reported with CPT/HCPCS (CMS-1500/837P).",
            "Report the procedure with its CPT/HCPCS code, or check the claim as a hospital claim.",
        )
    ]
