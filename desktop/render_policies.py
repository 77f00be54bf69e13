"""Pure functions turning Medicare coverage (db/coverage.py) into the Policies tab's and a policy page's HTML.

Every text from the coverage store is plain (cleaned when loaded) and escaped here: no markup from the CMS
files ever reaches the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from db.coverage import CodeGroup, Policies, Policy
from db.coverage_page import PolicyPage
from desktop.render import code_link, esc

POLICY_SCHEME = "policy"
#: Codes shown per group on the tab; the policy's own page lists them all.
TAB_CODES_PER_GROUP = 60
_KIND_LABEL = {"article": "Billing and coding article", "lcd": "LCD", "ncd": "NCD"}
_AS_OF_LABEL = {"article": "articles", "lcd": "LCDs", "ncd": "NCDs"}


def policy_link(policy: Policy, label: str | None = None) -> str:
    return f'<a href="{POLICY_SCHEME}:{policy.kind}/{policy.number}">{esc(label or policy.id)}</a>'


def parse_policy_link(url: str) -> tuple[str, int] | None:
    """(kind, number) from a link made by policy_link, or None."""
    if not url.startswith(f"{POLICY_SCHEME}:"):
        return None
    kind, _, number = url[len(POLICY_SCHEME) + 1 :].partition("/")
    return (kind, int(number)) if kind in _KIND_LABEL and number.isdigit() else None


def icd_display(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def _dates(policy: Policy, day: dt.date) -> str:
    start = policy.effective_from.isoformat() if policy.effective_from else "?"
    text = f"effective {start}" + (f" to {policy.effective_to.isoformat()}" if policy.effective_to else "")
    if policy.effective_from and policy.effective_from > day:
        text += " (this version starts after the date of service)"
    elif policy.effective_to and policy.effective_to < day:
        text += " (ended before the date of service)"
    return text


def _paragraph(text: str) -> str:
    return "".join(f"<p>{esc(part)}</p>" for part in text.split("\n\n") if part.strip())


def _groups_html(label: str, groups: Sequence[CodeGroup], limit: int | None) -> str:
    parts = []
    for group in groups:
        codes = group.codes if limit is None else group.codes[:limit]
        links = ", ".join(code_link("icd10cm", code, icd_display(code)) for code in codes)
        more = f" … and {len(group.codes) - len(codes):,} more" if len(codes) < len(group.codes) else ""
        parts.append(f"<p><b>{esc(label)}, group {group.number}</b> ({len(group.codes):,} codes)</p>")
        parts.append(_paragraph(group.paragraph))
        parts.append(f"<p>{links}{esc(more)}</p>")
    return "".join(parts)


def _facts(policy: Policy, day: dt.date) -> str:
    facts = [esc(_KIND_LABEL[policy.kind]), esc(_dates(policy, day))]
    if policy.section:
        facts.append(f"manual section {esc(policy.section)}")
    lines = [" · ".join(facts)]
    if policy.contractors:
        lines.append("Contractor: " + esc("; ".join(policy.contractors)))
    if policy.states:
        lines.append("States: " + esc(", ".join(policy.states)))
    elif policy.kind == "ncd":
        lines.append("National: applies in every state")
    return "<br>".join(lines)


def policies_html(answer: Policies | None, state: str | None, day: dt.date, code_display: str) -> str:
    """The Policies tab: articles (with their groups), then LCDs and NCDs; only those applying in `state`."""
    if answer is None:
        return (
            "<p>No Medicare coverage data is loaded. Import the CMS Medicare Coverage Database downloads "
            "(current_article.zip, current_lcd.zip, ncd.zip) with File → Import….</p>"
        )
    policies = [p for p in answer.policies if not state or p.applies_in(state)]
    as_of = ", ".join(f"{_AS_OF_LABEL[k]} as of {v.isoformat()}" for k, v in sorted(answer.as_of.items()))
    where = f" in {esc(state)}" if state else ""
    parts = [f"<h2>Medicare policies for {esc(code_display)}{where}</h2>"]
    if as_of:
        parts.append(f'<p style="color:#666">Medicare Coverage Database: {esc(as_of)}</p>')
    if not policies:
        shown = f" that apply in {esc(state)}" if state else ""
        parts.append(f"<p>No Medicare article, LCD or NCD{shown} lists {esc(code_display)}.</p>")
    for policy in policies:
        parts.append(f"<h3>{policy_link(policy)} {esc(policy.title)}</h3><p>{_facts(policy, day)}</p>")
        if policy.listed_as:
            procedures = ", ".join(code_link("hcpcs", p, p) for p in policy.procedures)
            parts.append(f"<p>Lists {esc(code_display)} as <b>{esc(policy.listed_as)}</b> for: {procedures}</p>")
        if policy.procedure_paragraph:
            parts.append(_paragraph(policy.procedure_paragraph))
        parts.append(_groups_html("Covered (supports medical necessity)", policy.covered, TAB_CODES_PER_GROUP))
        parts.append(_groups_html("Not covered", policy.noncovered, TAB_CODES_PER_GROUP))
        if policy.related:
            links = (f'<a href="{POLICY_SCHEME}:lcd/{r[1:]}">{esc(r)}</a>' for r in policy.related if r[1:].isdigit())
            parts.append("<p>Belongs to: " + ", ".join(links) + "</p>")
    return "".join(parts)


def policy_page_html(page: PolicyPage | None, day: dt.date) -> str:
    """A policy's own page: title, facts, summary paragraphs, every code it lists, related documents."""
    if page is None:
        return "<p>This policy is not in the loaded Medicare coverage data.</p>"
    policy = page.policy
    parts = [f"<h2>{esc(policy.id)} {esc(policy.title)}</h2><p>{_facts(policy, day)}</p>"]
    parts.extend(f"<p>{esc(paragraph)}</p>" for paragraph in page.summary)
    if policy.procedures:
        links = ", ".join(code_link("hcpcs", p, p) for p in policy.procedures)
        parts.append(f"<h3>HCPCS/CPT codes</h3><p>{links}</p>")
    if policy.covered or policy.noncovered:
        parts.append("<h3>ICD-10-CM codes</h3>")
        parts.append(_groups_html("Covered (supports medical necessity)", policy.covered, None))
        parts.append(_groups_html("Not covered", policy.noncovered, None))
    if page.related:
        parts.append("<h3>Related</h3><p>" + "<br>".join(
            f"{policy_link(r)} {esc(r.title)}" for r in page.related) + "</p>")  # fmt: skip
    return "".join(parts)
