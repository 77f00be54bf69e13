"""Pure functions turning a code's NCCI edits (db/edits.py) into the Edits tab's HTML."""

from __future__ import annotations

from collections.abc import Sequence

from db.edits import MODIFIER_WORDS, CodeEdits, PtpPartner, PtpTable
from db.sources.ncci import SETTING_LABELS
from desktop.render import code_link, esc

PROCEDURE_SYSTEMS = ("hcpcs", "cpt")
NOT_LOADED = "NCCI edits are not loaded: File \u2192 Import official files\u2026"
#: Rows shown per table: E/M codes are column 2 of thousands of edits; `codebook-cli show --json` lists all.
ROWS_SHOWN = 300


def _system(code: str) -> str:
    # NCCI lists HCPCS Level II codes (a letter first) and CPT codes (digits first, 0001U and 0503T included).
    return "hcpcs" if code[:1].isalpha() else "cpt"


def _cell_code(edit_code: str, code: str) -> str:
    return f"<b>{esc(edit_code)}</b>" if edit_code == code else code_link(_system(edit_code), edit_code, edit_code)


def _rows(partners: Sequence[PtpPartner], code: str, edits: CodeEdits, with_why: bool) -> str:
    shown = partners[:ROWS_SHOWN]
    rows = []
    for p in shown:
        deletion = p.deletion.isoformat() if p.deletion else "none"
        why = f"<td>{esc(p.why_not(edits.day))}</td>" if with_why else ""
        rows.append(
            f"<tr><td>{_cell_code(p.column1, code)}</td><td>{_cell_code(p.column2, code)}</td>"
            f"<td>{esc(MODIFIER_WORDS.get(p.modifier, str(p.modifier)))}</td><td>{p.effective.isoformat()}</td>"
            f"<td>{deletion}</td>{why}<td>{esc(p.rationale)}</td></tr>"
        )
    header = ("<tr><th>Column 1</th><th>Column 2</th><th>Modifier indicator</th><th>Effective</th><th>Deletion</th>"
              + ("<th>Not in force because</th>" if with_why else "") + "<th>Rationale</th></tr>")  # fmt: skip
    more = (f"<p>\u2026 and {len(partners) - len(shown):,} more (codebook-cli show {esc(code)} --json lists them "
            "all)</p>" if len(partners) > len(shown) else "")  # fmt: skip
    return f'<table border="1" cellspacing="0" cellpadding="3">{header}{"".join(rows)}</table>{more}'


def _quarter(edition: str, covers: bool, edits: CodeEdits) -> str:
    if covers:
        return f"<p>{esc(edition)}</p>"
    return (f"<p>{esc(edition)} <i>(no loaded quarter covers {edits.day.isoformat()}: the nearest one is "
            "shown)</i></p>")  # fmt: skip


def _edits(count: int) -> str:
    return f"{count:,} edit" + ("" if count == 1 else "s")


def _ptp_html(table: PtpTable, edits: CodeEdits) -> list[str]:
    code = edits.code
    label = SETTING_LABELS[table.setting]
    parts = [f"<h3>PTP edits, {esc(label)}</h3>", _quarter(table.edition, table.covers_date, edits)]
    if not table.partners:
        parts.append(f"<p>No PTP edit names {esc(code)} in this quarter.</p>")
        return parts
    as_one = sum(p.column1 == code for p in table.in_force)
    parts.append(
        f"<p><b>In force on {edits.day.isoformat()}</b>: {_edits(len(table.in_force))} ({as_one:,} with {esc(code)} "
        f"as column 1: the column 2 code is bundled into it; {len(table.in_force) - as_one:,} with {esc(code)} as "
        "column 2: it is bundled into the column 1 code).</p>"
    )
    if table.in_force:
        parts.append(_rows(table.in_force, code, edits, with_why=False))
    if table.others:
        parts.append(f"<p><b>Not in force on {edits.day.isoformat()}</b>: {_edits(len(table.others))}.</p>")
        parts.append(_rows(table.others, code, edits, with_why=True))
    return parts


def _mue_html(edits: CodeEdits) -> list[str]:
    if not edits.mue:
        return ["<h3>MUE</h3><p>No MUE table is loaded.</p>"]
    rows = []
    for entry in edits.mue:
        where = esc(entry.edition) + ("" if entry.covers_date else " <i>(nearest quarter)</i>")
        if entry.value is None:
            rows.append(f"<tr><td>{esc(SETTING_LABELS[entry.setting])}</td><td colspan=\"3\">no MUE for "
                        f"{esc(edits.code)}</td><td>{where}</td></tr>")  # fmt: skip
            continue
        rows.append(
            f"<tr><td>{esc(SETTING_LABELS[entry.setting])}</td><td><b>{entry.value}</b></td>"
            f"<td>{esc(entry.adjudication_text)}</td><td>{esc(entry.rationale)}</td><td>{where}</td></tr>"
        )
    return [
        "<h3>Medically Unlikely Edits (units)</h3>",
        '<table border="1" cellspacing="0" cellpadding="3"><tr><th>Setting</th><th>MUE value</th>'
        "<th>Adjudication indicator</th><th>Rationale</th><th>Table</th></tr>" + "".join(rows) + "</table>",
    ]


def edits_html(edits: CodeEdits | None, system: str) -> str:
    """The Edits tab: "" for codes NCCI does not list (ICD-10), a plain line when no NCCI data is loaded."""
    if system not in PROCEDURE_SYSTEMS:
        return ""
    if edits is None:
        return f"<p>{esc(NOT_LOADED)}</p>"
    # The MUE values first: a few lines, where the PTP tables may run to hundreds of rows.
    parts = [f"<h2>NCCI edits for {esc(edits.code)} on {edits.day.isoformat()}</h2>", *_mue_html(edits)]
    if not edits.ptp:
        parts.append("<h3>PTP edits</h3><p>No PTP edit file is loaded.</p>")
    for table in edits.ptp:
        parts.extend(_ptp_html(table, edits))
    return "".join(parts)
