"""Coverage rule: a procedure whose Medicare billing and coding articles (in effect on the date of service) list
covered diagnoses, none of which is on the claim (db/coverage.py answers from the coverage store).

Issue 13's `rule` names are a binding contract and name no coverage rule, so these findings use the nearest one,
`use_additional_missing` (a code the claim needs besides the one written is missing), with a title of their own
("Medicare coverage: no supporting diagnosis") for the window and the text report.
"""

from __future__ import annotations

from db.coverage import MissingDiagnosis, articles_missing_diagnosis
from db.rules.context import ClaimContext
from db.rules.findings import NOTE, WARNING, Finding

RULE = "use_additional_missing"
TITLE = "Medicare coverage: no supporting diagnosis"
#: Articles named in one finding: each contractor (MAC) has its own article for a service, and the claim
#: check knows no state, so a procedure may be listed by a dozen.
ARTICLES_NAMED = 5


def _articles(found: list[MissingDiagnosis]) -> str:
    named = ", ".join(f"{m.article_id} ({m.title})" for m in found[:ARTICLES_NAMED])
    more = len(found) - ARTICLES_NAMED
    return named + (f" and {more} more" if more > 0 else "")


def coverage(ctx: ClaimContext) -> list[Finding]:
    source = ctx.coverage
    # CPT codes count even when no CPT release is loaded: articles list them by number.
    procedures = [line.code for line in ctx.lines if line.line.procedure_shaped]
    if source is None or not procedures:
        return []
    diagnoses = [line.code for line in ctx.diagnoses]
    by_procedure: dict[str, list[MissingDiagnosis]] = {}
    for missing in articles_missing_diagnosis(source, procedures, diagnoses, ctx.day):
        by_procedure.setdefault(missing.procedure, []).append(missing)
    findings: list[Finding] = []
    for procedure, found in by_procedure.items():
        source_text = "; ".join(
            f"billing and coding article {m.article_id} {m.title}: ICD-10-CM codes that support medical necessity "
            f"({m.covered_count:,} codes)"
            for m in found
        )
        if not diagnoses:
            # A claim pasted without diagnoses (checking the procedures only): say it, but not as a problem.
            findings.append(Finding(
                NOTE, RULE, (procedure,),
                f"{procedure}: Medicare billing and coding articles list the ICD-10-CM codes that support it "
                f"({_articles(found)}); the claim has no diagnosis to check against them.",
                source_text,
                "Add the claim's diagnoses to check them against the articles.",
                title=TITLE,
            ))  # fmt: skip
            continue
        message = (found[0].message() if len(found) == 1 else
                   f"{procedure}: none of the claim's diagnoses is among the ICD-10-CM codes that {len(found)} "
                   f"billing and coding articles list as supporting medical necessity: {_articles(found)}")  # fmt: skip
        findings.append(Finding(
            WARNING, RULE, (procedure,),
            f"{message}. Medicare may deny it as not medically necessary.",
            source_text,
            f"Check the diagnosis that supports {procedure} against the article of the claim's contractor "
            f"(Policies tab of {procedure}); code it if the record documents it, or obtain an ABN when coverage "
            "is unlikely.",
            title=TITLE,
        ))  # fmt: skip
    return findings
