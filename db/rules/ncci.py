"""NCCI rules: procedure-to-procedure edits between the claim's procedure codes (with the modifier indicator and
whether the claim has an NCCI-associated modifier), and units above the Medically Unlikely Edit value."""

from __future__ import annotations

from db.ncci_store import MUE, PTP, EditionRow
from db.rules.context import ClaimContext, ResolvedLine
from db.rules.findings import ERROR, NOTE, WARNING, Finding
from db.sources.ncci import SETTING_LABELS

#: Modifiers that may bypass a PTP edit with indicator 1 (NCCI Policy Manual for Medicare Services, ch. I,
#: sec. E: anatomic, global surgery and other NCCI-associated modifiers).
_NCCI_MODIFIERS_TEXT = (
    "E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 TA T1 T2 T3 T4 T5 T6 T7 T8 T9 "
    "LT RT LC LD RC LM RI 24 25 57 58 78 79 27 59 91 XE XP XS XU"
)
NCCI_MODIFIERS = frozenset(_NCCI_MODIFIERS_TEXT.split())
MAI_WORDS = {
    1: "line edit: the units of each claim line are compared with the MUE",
    2: "date of service edit (policy): all units of the code on the date count, and the limit is absolute",
    3: "date of service edit (clinical): all units of the code on the date count",
}


def _procedure_codes(ctx: ClaimContext) -> list[ResolvedLine]:
    # CPT codes count even when no CPT release is loaded: NCCI lists them by number.
    return [line for line in ctx.lines if line.line.procedure_shaped]


def _quarter_note(edition: EditionRow, covered: bool, ctx: ClaimContext) -> str:
    if covered:
        return ""
    return (f" (no loaded {edition.name.split(',')[0]} quarter covers {ctx.day.isoformat()}: "
            f"checked against {edition.name})")  # fmt: skip


def ptp(ctx: ClaimContext) -> list[Finding]:
    store = ctx.ncci
    lines = _procedure_codes(ctx)
    if store is None or len(lines) < 2:
        return []
    answer = store.edition_for(PTP, ctx.setting, ctx.day)
    if answer is None:
        return []
    edition, covered = answer
    by_code: dict[str, list[ResolvedLine]] = {}
    for line in lines:
        by_code.setdefault(line.code, []).append(line)
    findings: list[Finding] = []
    for edit in store.pairs(edition, list(by_code)):
        if not edit.in_force(ctx.day) or edit.modifier == 9:
            continue
        column2 = by_code[edit.column2]
        # The bypassing modifier goes on the column 2 code (NCCI Policy Manual, ch. I, sec. E).
        modifiers = sorted({m for line in column2 for m in line.line.modifiers} & NCCI_MODIFIERS)
        dates = f"effective {edit.effective.isoformat()}" + (
            f", deleted {edit.deletion.isoformat()}" if edit.deletion else ", no deletion date"
        )
        source = (f"{edition.name}: column 1 {edit.column1}, column 2 {edit.column2}, modifier indicator "
                  f"{edit.modifier}, {dates}; rationale: {edit.rationale}")  # fmt: skip
        pair = f"{edit.column2} is bundled into {edit.column1}"
        where = _quarter_note(edition, covered, ctx)
        if edit.modifier == 0:
            findings.append(Finding(
                ERROR, "ncci_ptp", (edit.column1, edit.column2),
                f"{pair} (NCCI PTP edit, modifier indicator 0: no modifier allows the pair){where}.",
                source,
                f"Do not report {edit.column2} with {edit.column1} for the same patient and date; a modifier does "
                "not bypass this edit.",
            ))  # fmt: skip
        elif modifiers:
            findings.append(Finding(
                NOTE, "ncci_ptp", (edit.column1, edit.column2),
                f"{pair} unless the services were distinct; the claim has {', '.join(modifiers)}, an "
                f"NCCI-associated modifier, so the pair may be paid (modifier indicator 1){where}.",
                source,
                "Make sure the record supports the modifier (a separate site, session or encounter).",
            ))  # fmt: skip
        else:
            findings.append(Finding(
                WARNING, "ncci_ptp", (edit.column1, edit.column2),
                f"{pair} (NCCI PTP edit, modifier indicator 1): without an NCCI-associated modifier on "
                f"{edit.column2}, {edit.column2} is denied{where}.",
                source,
                f"If {edit.column2} was a distinct service (separate site, session, encounter), add the modifier "
                "that says so (59, XE, XS, XP, XU, an anatomic modifier such as LT/RT, or 25 on an E/M); "
                f"otherwise remove {edit.column2}.",
            ))  # fmt: skip
    return findings


def mue(ctx: ClaimContext) -> list[Finding]:
    store = ctx.ncci
    lines = _procedure_codes(ctx)
    if store is None or not lines:
        return []
    answer = store.edition_for(MUE, ctx.setting, ctx.day)
    if answer is None:
        return []
    edition, covered = answer
    values = store.mue(edition, [line.code for line in lines])
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.code] = totals.get(line.code, 0) + line.line.units
    findings: list[Finding] = []
    reported: set[str] = set()
    for line in lines:
        value = values.get(line.code)
        if value is None or line.code in reported:
            continue
        units = line.line.units if value.adjudication == 1 else totals[line.code]
        if units <= value.value:
            continue
        reported.add(line.code)
        counted = "this line has" if value.adjudication == 1 else "the claim has, over all its lines,"
        severity = ERROR if value.adjudication in (2, 3) else WARNING
        findings.append(Finding(
            severity, "mue", (line.code,),
            f"{line.code}: {counted} {units} units; the {SETTING_LABELS[edition.setting]} MUE allows {value.value} "
            f"({MAI_WORDS[value.adjudication]}){_quarter_note(edition, covered, ctx)}.",
            f"{edition.name}: {line.code} MUE {value.value}, adjudication indicator {value.adjudication_text}; "
            f"rationale: {value.rationale}",
            "Check the units against the record. "
            + ("Units above the MUE on one line are denied; medically necessary extra units may go on separate "
               "lines with an appropriate modifier." if value.adjudication == 1 else
               "Units above the MUE on the date of service are denied; only an appeal with documentation can pay "
               "them." if value.adjudication == 2 else
               "Units above the MUE on the date are denied; extra units need documentation on appeal."),
        ))  # fmt: skip
    return findings
