"""What a claim check answers: findings (severity, rule, codes, words, official source, what to do) and their forms.

Rule names and the JSON shape are the contract of `codebook-cli check --json` (issue 13): keep them stable.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

ERROR, WARNING, NOTE = "error", "warning", "note"
SEVERITIES = (ERROR, WARNING, NOTE)

#: Every rule a finding can name, in the order findings are listed within a severity.
RULES = (
    "not_a_code",
    "not_valid_on_date",
    "header_not_billable",
    "seventh_character",
    "placeholder",
    "excludes1",
    "code_first_missing",
    "use_additional_missing",
    "manifestation_first",
    "pcs_on_professional",
    "ncci_ptp",
    "mue",
    "modifier",
)

#: The rule in plain words, as the window and the text report name it.
RULE_TITLES = {
    "not_a_code": "Not a code",
    "not_valid_on_date": "Not valid on the date of service",
    "header_not_billable": "Header code, not billable",
    "seventh_character": "7th character",
    "placeholder": "Placeholder X missing",
    "excludes1": "Excludes1: never coded together",
    "code_first_missing": "\u201cCode first\u201d partner missing",
    "use_additional_missing": "\u201cUse additional code\u201d partner missing",
    "manifestation_first": "Manifestation code listed first or alone",
    "pcs_on_professional": "ICD-10-PCS code on a professional claim",
    "ncci_ptp": "NCCI procedure-to-procedure edit",
    "mue": "Medically Unlikely Edit (units)",
    "modifier": "Modifier",
}


@dataclass(frozen=True)
class Finding:
    severity: str
    rule: str
    #: The codes concerned, as written on the claim without dots ("E1165", "99214").
    codes: tuple[str, ...]
    message: str
    #: The official text the finding comes from ("E11 Excludes1: type 1 diabetes mellitus (E10.-)").
    source: str
    action: str
    #: Codes the finding suggests instead or in addition (children of a header, candidates of a note).
    candidates: tuple[str, ...] = ()
    #: A title of its own when the rule's is too broad (coverage findings under a contract rule name).
    title: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.rule not in RULES:
            raise ValueError(f"bad finding: severity {self.severity!r}, rule {self.rule!r}")

    @property
    def rule_title(self) -> str:
        return self.title or RULE_TITLES[self.rule]

    def sort_key(self) -> tuple[int, int]:
        return SEVERITIES.index(self.severity), RULES.index(self.rule)

    def to_json(self) -> dict[str, Any]:
        """Exactly the keys of the `check --json` contract."""
        return {
            "severity": self.severity,
            "rule": self.rule,
            "codes": list(self.codes),
            "message": self.message,
            "source": self.source,
        }

    def to_export_json(self) -> dict[str, Any]:
        """The contract's keys plus what to do and the suggested codes (the window's JSON export)."""
        return {**self.to_json(), "action": self.action, "candidates": list(self.candidates)}


@dataclass(frozen=True)
class CheckedCode:
    """One code of the claim as the check read it."""

    written: str
    code: str
    #: icd10cm, icd10pcs, hcpcs, cpt; "" when no loaded code set knows it.
    system: str
    modifiers: tuple[str, ...] = ()
    units: int = 1
    valid_on_date: bool = False
    display: str = ""
    title: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "system": self.system or None,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "valid_on_date": self.valid_on_date,
        }


@dataclass(frozen=True)
class CheckResult:
    day: dt.date
    codes: tuple[CheckedCode, ...]
    findings: tuple[Finding, ...]
    #: Parts of the input that are not codes (descriptions, labels), so the clerk can see what was skipped.
    ignored: tuple[str, ...] = field(default=())
    elapsed_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "codes": [code.to_json() for code in self.codes],
            "findings": [finding.to_json() for finding in self.findings],
        }

    def to_export_json(self) -> dict[str, Any]:
        return {**self.to_json(), "findings": [finding.to_export_json() for finding in self.findings]}

    def counts(self) -> dict[str, int]:
        return {severity: sum(f.severity == severity for f in self.findings) for severity in SEVERITIES}

    def to_text(self) -> str:
        """The report as plain text (what Copy puts on the clipboard and the CLI prints)."""
        written = ", ".join(_written(code) for code in self.codes) or "(no codes)"
        counts = self.counts()
        lines = [
            f"Claim check for date of service {self.day.isoformat()}: {written}",
            f"{counts[ERROR]} errors, {counts[WARNING]} warnings, {counts[NOTE]} notes",
        ]
        for finding in self.findings:
            lines.append("")
            lines.append(f"[{finding.severity.upper()}] {finding.rule_title} ({', '.join(finding.codes)})")
            lines.append(f"  {finding.message}")
            if finding.source:
                lines.append(f"  Source: {finding.source}")
            if finding.action:
                lines.append(f"  What to do: {finding.action}")
        if not self.findings:
            lines.append("No problems found by the rules Codebook checks.")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "severity", "rule", "codes", "message", "source", "action"])
        for f in self.findings:
            writer.writerow(
                [self.day.isoformat(), f.severity, f.rule, " ".join(f.codes), f.message, f.source, f.action]
            )
        return out.getvalue()

    def to_json_text(self) -> str:
        return json.dumps(self.to_export_json(), indent=2, ensure_ascii=False) + "\n"


def _written(code: CheckedCode) -> str:
    text = code.display or code.code
    if code.modifiers:
        text += "-" + "-".join(code.modifiers)
    if code.units != 1:
        text += f" x{code.units}"
    return text
