"""HTML of a CPT code's own section (category, add-on, other descriptors, office list columns, AMA copyright) and
of the Medicare fee-schedule facts shown for CPT and HCPCS codes: pure functions of the detail."""

from __future__ import annotations

import html

from db.pfs import INDICATORS
from db.queries import CodeDetail


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _number(value: float | None) -> str:
    return "NA" if value is None else f"{value:.2f}"


def fee_schedule_html(detail: CodeDetail) -> str:
    if not detail.fee_schedule:
        return ""
    labels = dict(INDICATORS)
    first = detail.fee_schedule[0]
    parts = [f"<h3>Medicare fee schedule ({esc(first.release)})</h3>"]
    header = "".join(f"<th>{name}</th>" for name in ("", "Status", "Work", "PE non-fac.", "PE facility", "MP",
                                                     "Total non-fac.", "Total facility", "Global days"))  # fmt: skip
    rows = []
    for view in detail.fee_schedule:
        rvus = dict(view.rvus)
        cells = [
            f"modifier {view.modifier}" if view.modifier else "global",
            view.status or "-",
            *(_number(rvus[name]) for name in ("work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu")),
            _number(rvus["nonfacility_total"]),
            _number(rvus["facility_total"]),
            view.global_days or "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in cells) + "</tr>")
    parts.append(f'<table cellpadding="3"><tr>{header}</tr>{"".join(rows)}</table>')
    parts.append(f"<p>Status {esc(first.status_text)}. Global days {esc(first.global_text)}.</p>")
    indicators = "; ".join(f"{labels[name]} {value}" for name, value in first.indicators)
    factor = f"conversion factor {_number(first.conversion_factor)}" if first.conversion_factor else ""
    parts.append(f"<p>{esc('; '.join(text for text in (indicators, factor) if text))}</p>")
    return "".join(parts)


def cpt_html(detail: CodeDetail) -> str:
    cpt = detail.cpt
    if cpt is None:
        return fee_schedule_html(detail)
    parts = [f"<p><b>{esc(cpt.category)}</b>" + (" · <b>add-on code</b>" if cpt.add_on else "") + "</p>"]
    for label, text in (("Medium descriptor", cpt.medium), ("Consumer-friendly", cpt.consumer)):
        if text:
            parts.append(f"<p>{label}: {esc(text)}</p>")
    if cpt.clinician:
        items = "".join(f"<li>{esc(text)}</li>" for text in cpt.clinician)
        parts.append(f"<p>Clinician descriptors:</p><ul>{items}</ul>")
    if cpt.list_columns:
        parts.append("<p>Your list: " + esc("; ".join(cpt.list_columns)) + "</p>")
    parts.append(fee_schedule_html(detail))
    parts.append(f'<p style="color:#666"><small>{esc(cpt.copyright)}</small></p>')
    return "".join(parts)
