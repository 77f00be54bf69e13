"""Modifier rules: modifiers no loaded code set knows, LT/RT/50 used together, more modifiers than a claim line
holds. HCPCS Level II modifiers come from the loaded HCPCS release; CPT modifiers are known by number only."""

from __future__ import annotations

from sqlalchemy import select

from db.models import CPT, HCPCS, Code
from db.rules.context import ClaimContext
from db.rules.findings import WARNING, Finding

#: CPT (Level I) modifier numbers (AMA: numbers only, no descriptors), so a CPT-only modifier is not "unknown"
#: when no CPT release is loaded.
_CPT_MODIFIERS_TEXT = (
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 "
    "63 66 73 74 76 77 78 79 80 81 82 90 91 92 93 95 96 97 99"
)
CPT_MODIFIERS = frozenset(_CPT_MODIFIERS_TEXT.split())
#: A claim line (CMS-1500 item 24D, 837P SV101) holds four modifiers.
MAX_MODIFIERS = 4


def _known(ctx: ClaimContext, wanted: set[str]) -> set[str]:
    if not wanted:
        return set()
    query = select(Code.code).where(Code.system.in_((HCPCS, CPT)), Code.kind == "modifier", Code.code.in_(wanted))
    return set(ctx.session.scalars(query)) | (wanted & CPT_MODIFIERS)


def modifiers(ctx: ClaimContext) -> list[Finding]:
    findings: list[Finding] = []
    lines = [line for line in ctx.lines if line.line.modifiers]
    known = _known(ctx, {m for line in lines for m in line.line.modifiers})
    for line in lines:
        written = line.line.modifiers
        unknown = [m for m in written if m not in known]
        if unknown:
            findings.append(
                Finding(
                    WARNING,
                    "modifier",
                    (line.code, *unknown),
                    f"{line.line.written}: {', '.join(unknown)} "
                    + ("is not a modifier" if len(unknown) == 1 else "are not modifiers")
                    + " in the loaded HCPCS release or the CPT modifier list.",
                    "HCPCS Level II modifiers (loaded HCPCS release) and CPT modifiers 22\u201399.",
                    "Check the modifier on the source document.",
                )
            )
        sides = {"LT", "RT", "50"} & set(written)
        if len(sides) >= 2:
            findings.append(
                Finding(
                    WARNING,
                    "modifier",
                    (line.code, *sorted(sides)),
                    f"{line.line.written}: {' and '.join(sorted(sides))} on the same line contradict each other.",
                    "CMS Medicare Claims Processing Manual ch. 12 \u00a740.7: a bilateral procedure is reported on "
                    "one line with modifier 50 (LT and RT are not added to it).",
                    "Use 50 alone for a bilateral procedure, or LT or RT for one side.",
                )
            )
        if len(written) > MAX_MODIFIERS:
            findings.append(
                Finding(
                    WARNING,
                    "modifier",
                    (line.code,),
                    f"{line.line.written}: {len(written)} modifiers; a claim line holds {MAX_MODIFIERS}.",
                    "CMS-1500 item 24D / 837P SV1-01 hold up to four modifiers.",
                    "Keep the four that matter for payment (pricing modifiers first).",
                )
            )
    return findings
