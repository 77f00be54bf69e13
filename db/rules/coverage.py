"""Hook for coverage (LCD / NCD article) warnings: another store's work. Returns nothing until a coverage store
exists; fill `coverage` so it reads that store for the claim's codes and date (see the module's docstring
in db/rules/check.py for how rules are listed)."""

from __future__ import annotations

from db.rules.context import ClaimContext
from db.rules.findings import Finding


def coverage(ctx: ClaimContext) -> list[Finding]:
    """Findings from coverage documents (diagnoses that support a procedure, frequency limits...): none yet.

    To fill it: open the coverage store beside the code database (like db/ncci_store.py's `open_store`), look up
    the documents in force on `ctx.day` for the codes of `ctx.procedures`, and compare their covered
    diagnoses with `ctx.diagnoses`. Add a rule name to db/rules/findings.py RULES for what it reports.
    """
    del ctx
    return []
