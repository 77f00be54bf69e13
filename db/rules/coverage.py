"""Coverage rule: a procedure whose Medicare billing and coding article (in effect on the date of service) lists
covered diagnoses, none of which is on the claim (db/coverage.py answers from the coverage store).

Issue 13's `rule` names are a binding contract and name no coverage rule, so these findings use the nearest one,
`use_additional_missing` (a code the claim needs besides the one written is missing), with a title of their own
("Medicare coverage: no supporting diagnosis") for the window and the text report.
"""

from __future__ import annotations

from db.coverage import articles_missing_diagnosis
from db.rules.context import ClaimContext
from db.rules.findings import NOTE, WARNING, Finding

RULE = "use_additional_missing"
TITLE = "Medicare coverage: no supporting diagnosis"


def coverage(ctx: ClaimContext) -> list[Finding]:
    source = ctx.coverage
    # CPT codes count even when no CPT release is loaded: articles list them by number.
    procedures = [line.code for line in ctx.lines if line.line.procedure_shaped]
    if source is None or not procedures:
        return []
    diagnoses = [line.code for line in ctx.diagnoses]
    findings: list[Finding] = []
    for missing in articles_missing_diagnosis(source, procedures, diagnoses, ctx.day):
        source_text = (f"Billing and coding article {missing.article_id} {missing.title}: ICD-10-CM codes that "
                       f"support medical necessity ({missing.covered_count:,} codes)")  # fmt: skip
        if not diagnoses:
            # A claim pasted without diagnoses (checking the procedures only): say it, but not as a problem.
            findings.append(Finding(
                NOTE, RULE, (missing.procedure,),
                f"{missing.procedure}: {missing.article_id} ({missing.title}) lists the "
                f"{missing.covered_count:,} ICD-10-CM codes that support medical necessity; the claim has no "
                "diagnosis to check against them.",
                source_text,
                f"Add the claim's diagnoses to check them against {missing.article_id}.",
                title=TITLE,
            ))  # fmt: skip
            continue
        findings.append(Finding(
            WARNING, RULE, (missing.procedure,),
            missing.message() + ": Medicare may deny it as not medically necessary.",
            source_text,
            f"Check the diagnosis that supports {missing.procedure} against {missing.article_id} (Policies tab of "
            f"{missing.procedure}); code it if the record documents it, or obtain an ABN when coverage is unlikely.",
            title=TITLE,
        ))  # fmt: skip
    return findings
