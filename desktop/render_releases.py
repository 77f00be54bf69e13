"""Pure functions: what the window says about dates of service, releases in force and a code's history."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping

from db.in_force import InForce
from db.queries import CodeDetail, system_label

IMPORT_MENU_ITEM = "File → Import official files…"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def banner_text(answers: Mapping[str, InForce], day: dt.date) -> str:
    """Shown only when a loaded code set has no release covering the date: what is answered, and what to do."""
    uncovered = [answer for answer in answers.values() if not answer.covered]
    if not uncovered:
        return ""
    listed = "; ".join(
        f"{system_label(a.system)}: answered from {a.release.name} (dates of service {a.release.dates_text()})"
        for a in uncovered
    )
    return (
        f"No loaded release covers the date of service {day.strftime('%m/%d/%Y')} for every code set. {listed}. "
        f"These answers are outside the releases' validity: load the release in force with {IMPORT_MENU_ITEM}"
    )


def status_text(answers: Mapping[str, InForce], day: dt.date) -> str:
    """'DOS 05/01/2026: ICD-10-CM FY2026 (April 1, 2026 update), ICD-10-PCS FY2026, HCPCS July 2025 (not in force)'."""
    parts = []
    for answer in answers.values():
        name = answer.release.name
        parts.append(name if answer.covered else f"{name} (not in force)")
    return f"DOS {day.strftime('%m/%d/%Y')}: " + ", ".join(parts)


def status_tooltip(answers: Mapping[str, InForce]) -> str:
    return "\n".join(
        f"{system_label(a.system)}: {a.release.name}, dates of service {a.release.dates_text()}"
        + ("" if a.covered else " (does not cover the date)")
        for a in answers.values()
    )


def validity_html(detail: CodeDetail) -> str:
    """The line under the status: valid on the date, or plainly not (deleted, not yet valid, outside)."""
    color = "#1b7f3b" if detail.valid_on_date else "#b00020"
    parts = [f'<p><b style="color:{color}">{esc(detail.validity[:1].upper() + detail.validity[1:])}</b>']
    if detail.history_line and detail.history_line.lower() != detail.validity.lower():
        parts.append(f" &nbsp;·&nbsp; {esc(detail.history_line)}")
    parts.append("</p>")
    if detail.notice:
        parts.append(f'<p style="color:#5c4400">{esc(detail.notice)}</p>')
    return "".join(parts)


def history_html(detail: CodeDetail) -> str:
    """Every loaded release with the code's title and status in it; changes marked."""
    if len(detail.history) < 2:
        return ""
    rows = []
    for step in detail.history:
        change = esc(step.change.replace("_", " ")) if step.change else ""
        if step.present:
            status = "billable" if step.billable else "header"
            title = esc(step.title or "")
        else:
            status, title = "—", "<i>not in this release</i>"
        rows.append(
            f"<tr><td>{esc(step.release.name)}<br><small>{esc(step.release.dates_text())}</small></td>"
            f"<td>{status}</td><td><b>{change}</b></td><td>{title}</td></tr>"
        )
    return (
        '<h3>History in the loaded releases</h3><table cellspacing="0" cellpadding="3">'
        "<tr><th align='left'>Release</th><th align='left'>Status</th><th align='left'>Change</th>"
        f"<th align='left'>Title</th></tr>{''.join(rows)}</table>"
    )
