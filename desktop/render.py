"""Pure functions that turn results and CodeDetail into the HTML the window shows (testable without widgets)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence

from db.queries import CodeDetail, CodeRef, ReleaseView
from db.search_index import SearchHit
from db.text import words
from desktop.render_cpt import cpt_html
from desktop.render_releases import history_html, validity_html
from desktop.results_model import badge, why_text

LINK_SCHEME = "code"
NOTE_LABELS = {
    "inclusion_term": "Inclusion terms",
    "includes": "Includes",
    "note": "Notes",
    "excludes1": "Excludes1 (never coded together)",
    "excludes2": "Excludes2 (not included here; both may be coded)",
    "code_first": "Code first",
    "use_additional_code": "Use additional code",
    "code_also": "Code also",
    "seventh_character_note": "7th character",
}
NOTE_ORDER = list(NOTE_LABELS)
#: Code references inside note texts: "E10.-", "J09.X1", "P70-P74", "Z79.4".
NOTE_CODE = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z-]{1,4})?)(?=[\s,;)\]-]|$)")
DISCLAIMER = (
    "General information to help explain a procedure, not medical advice. Patients should ask their own care team."
)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def code_link(system: str, code: str, label: str) -> str:
    return f'<a href="{LINK_SCHEME}:{system}/{esc(code)}">{esc(label)}</a>'


def parse_link(url: str) -> tuple[str, str] | None:
    """(system, code) from a link made by code_link, or None."""
    if not url.startswith(f"{LINK_SCHEME}:"):
        return None
    system, _, code = url[len(LINK_SCHEME) + 1 :].partition("/")
    return (system, code) if system and code else None


def highlight(text: str, spans: Iterable[tuple[int, int]], tag: str = "b") -> str:
    """Escape `text` and wrap the given character spans (matched words) in a tag."""
    out: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if start < position or end > len(text):
            continue
        out.append(esc(text[position:start]))
        out.append(f"<{tag}>{esc(text[start:end])}</{tag}>")
        position = end
    out.append(esc(text[position:]))
    return "".join(out)


def result_row_html(hit: SearchHit, muted: str = "#666", not_valid: str | None = None) -> str:
    """One row of the results list: code, badge, header mark, title with the matched words, why it matched, and
    (for a code typed exactly that is not valid on the date of service) why not."""
    title_spans = hit.spans if hit.matched_text == hit.title else ()
    status = "" if hit.billable or hit.kind == "modifier" else ' <span style="color:#b35c00">[header]</span>'
    corrected = ' <span style="color:#b00020">[corrected]</span>' if hit.matched == "correction" else ""
    if not_valid:
        corrected += f' <span style="color:#b00020">[not valid on the date: {esc(not_valid)}]</span>'
    why = why_text(hit)
    if hit.matched in ("inclusion term", "index term", "article"):
        why = f"{hit.matched}: {highlight(hit.matched_text, hit.spans)}"
    else:
        why = esc(why)
    return (
        f'<b>{esc(hit.display)}</b>&nbsp;&nbsp;<span style="color:{muted}">{esc(badge(hit))}</span>{status}{corrected}'
        f"<br>{highlight(hit.title, title_spans)}"
        f'<br><span style="color:{muted}; font-size:small">{why}</span>'
    )


def outdated_releases_text(releases: Sequence[ReleaseView], today: dt.date) -> str:
    """A plain warning when the loaded releases are not valid for today's dates of service, else ''."""
    expired = [r for r in releases if r.content != "index" and r.valid_to is not None and today > r.valid_to]
    if not expired:
        return ""
    listed = "; ".join(release_validity(r, today) for r in expired)
    return (
        f"Not valid for today's dates of service: {listed}. Newer official files can be loaded with codebook-cli build."
    )


def release_validity(release: ReleaseView, today: dt.date) -> str:
    """'ICD-10-CM FY2026 ...: valid for services 2026-04-01 to 2026-09-30', saying plainly when expired."""
    if release.valid_to is not None and today > release.valid_to:
        return f"{release.name}: valid for services through {release.valid_to.isoformat()} (superseded)"
    if release.valid_from is not None and today < release.valid_from:
        return f"{release.name}: valid for services from {release.valid_from.isoformat()}"
    start = release.valid_from.isoformat() if release.valid_from else "?"
    end = release.valid_to.isoformat() if release.valid_to else "?"
    return f"{release.name}: valid for services {start} to {end}"


def _ref_line(ref: CodeRef) -> str:
    return f"{code_link(ref.system, ref.code, ref.display)} {esc(ref.title)}"


def link_codes_in(text: str, system: str = "icd10cm") -> str:
    """Escape a note and turn the codes it mentions into links ("E10.-" links to E10)."""
    out: list[str] = []
    position = 0
    for match in NOTE_CODE.finditer(text):
        out.append(esc(text[position : match.start()]))
        token = match.group(1)
        code = token.split(".-")[0].rstrip("-").replace(".", "")
        out.append(code_link(system, code, token))
        position = match.end()
    out.append(esc(text[position:]))
    return "".join(out)


def overview_html(detail: CodeDetail, today: dt.date) -> str:
    ref = detail.ref
    parts = [f"<h2>{esc(ref.display)} &nbsp; {esc(ref.title)}</h2>"]
    if detail.short_title:
        parts.append(f"<p>Official short title: {esc(detail.short_title)}</p>")
    status_color = "#1b7f3b" if ref.billable else "#b35c00"
    parts.append(f'<p><b style="color:{status_color}">{esc(detail.status)}</b></p>')
    if detail.path:
        crumbs = " &gt; ".join(code_link(p.system, p.code, p.display) + " " + esc(p.title) for p in detail.path)
        parts.append(f"<p>{crumbs} &gt; <b>{esc(ref.display)}</b></p>")
    parts.append(validity_html(detail))
    parts.append(f"<p>Release: {esc(release_validity(detail.release, today))}</p>")
    if detail.seventh_characters:
        source = detail.seventh_source.display if detail.seventh_source else ""
        rows = "".join(
            f"<tr><td><b>{esc(s.character)}</b></td><td>{esc(s.meaning)}</td>"
            f"<td>{code_link(ref.system, s.full_code, s.full_code[:3] + '.' + s.full_code[3:]) if s.full_code else ''}"
            "</td></tr>"
            for s in detail.seventh_characters
        )
        parts.append(
            f'<h3>7th character (from {esc(source)})</h3><table cellspacing="0" cellpadding="3">{rows}</table>'
        )
    if detail.children:
        parts.append(f"<h3>More specific codes ({len(detail.children)})</h3>")
        parts.append("<br>".join(_ref_line(child) for child in detail.children[:200]))
    if detail.pcs_characters:
        parts.append(pcs_explanation_html(detail).replace("<h2>", "<h3>").replace("</h2>", "</h3>"))
    if detail.hcpcs_attributes:
        rows = "".join(
            f"<tr><td>{esc(name.replace('_', ' '))}</td><td>{esc(value)}</td></tr>"
            for name, value in detail.hcpcs_attributes
        )
        parts.append(f'<h3>HCPCS record</h3><table cellpadding="2">{rows}</table>')
    parts.append(cpt_html(detail))
    parts.append(history_html(detail))
    return "".join(parts)


def notes_html(detail: CodeDetail) -> str:
    if not detail.notes:
        return ""
    parts: list[str] = []
    by_level: dict[str, list] = {}
    for note in detail.notes:
        by_level.setdefault(note.source.code, []).append(note)
    for notes in by_level.values():
        source = notes[0].source
        origin = "this code" if not notes[0].inherited else f"{source.kind} {source.display}"
        parts.append(f"<h3>From {esc(origin)}: {esc(source.title)}</h3>")
        for kind in NOTE_ORDER:
            texts = [n.text for n in notes if n.kind == kind]
            if texts:
                items = "".join(f"<li>{link_codes_in(t, detail.ref.system)}</li>" for t in texts)
                parts.append(f"<p><b>{esc(NOTE_LABELS[kind])}</b></p><ul>{items}</ul>")
    return "".join(parts)


def pcs_explanation_html(detail: CodeDetail) -> str:
    """A PCS code character by character, with the official definitions."""
    if not detail.pcs_characters:
        return ""
    rows = []
    for c in detail.pcs_characters:
        text = f"<b>{esc(c.label)}</b>"
        if c.definition:
            text += f"<br>{esc(c.definition)}"
        if c.explanation:
            text += f"<br><i>{esc(c.explanation)}</i>"
        if c.includes:
            text += "<br>Includes: " + esc("; ".join(c.includes))
        rows.append(
            f"<tr><td valign=top><b style='font-size:large'>{esc(c.character)}</b></td>"
            f"<td valign=top>{c.position}. {esc(c.axis_title)}</td><td>{text}</td></tr>"
        )
    return (
        f"<h2>{esc(detail.ref.display)}: what each character means</h2>"
        f'<table cellspacing="0" cellpadding="4">{"".join(rows)}</table>'
    )


def differing_words(title: str, reference: str) -> set[str]:
    reference_words = set(words(reference))
    return {word for word in words(title) if word not in reference_words}


def _underline_words(text: str, marked: set[str]) -> str:
    out: list[str] = []
    position = 0
    for match in re.finditer(r"[A-Za-z0-9]+", text):
        out.append(esc(text[position : match.start()]))
        word = match.group()
        out.append(f"<b><u>{esc(word)}</u></b>" if word.lower() in marked else esc(word))
        position = match.end()
    out.append(esc(text[position:]))
    return "".join(out)


def similar_html(detail: CodeDetail) -> str:
    """Siblings side by side, the words that differ from this code's title highlighted."""
    if not detail.siblings:
        return ""
    rows = []
    for sibling in detail.siblings:
        title = _underline_words(sibling.title, differing_words(sibling.title, detail.ref.title))
        mark = "" if sibling.billable else " <i>(header)</i>"
        rows.append(
            f"<tr><td>{code_link(sibling.system, sibling.code, sibling.display)}</td><td>{title}{mark}</td></tr>"
        )
    return (
        f"<p>This code: <b>{esc(detail.ref.display)}</b> {esc(detail.ref.title)}</p>"
        f"<p>Codes beside it (differences underlined):</p><table cellpadding='3'>{''.join(rows)}</table>"
    )


def index_terms_html(detail: CodeDetail, synonyms: Sequence[str]) -> str:
    parts = []
    if synonyms:
        parts.append("<h3>Lay terms and abbreviations</h3><p>" + esc(", ".join(synonyms)) + "</p>")
    if detail.index_terms:
        labels = {
            "icd10cm-index": "Alphabetic index",
            "icd10cm-eindex": "External cause index",
            "icd10cm-neoplasm": "Neoplasm table",
            "icd10cm-drug": "Table of drugs and chemicals",
            "icd10pcs-index": "ICD-10-PCS index",
        }
        by_source: dict[str, list[str]] = {}
        for source, term in detail.index_terms:
            by_source.setdefault(source, []).append(term)
        for source, terms in by_source.items():
            items = "".join(f"<li>{esc(term)}</li>" for term in terms[:300])
            parts.append(f"<h3>{esc(labels.get(source, source))}</h3><ul>{items}</ul>")
    return "".join(parts)


def article_markdown(detail: CodeDetail, tab: str) -> str:
    """The linked articles' sections for one tab (Procedure, Risks, Recovery) as Markdown, or ''."""
    from db.queries import ARTICLE_TABS

    parts: list[str] = []
    for article in detail.articles:
        review = "reviewed by a clinician" if article.clinically_reviewed else "not yet reviewed by a clinician"
        parts.append(f"# {article.title}")
        parts.append(
            f"*{DISCLAIMER} {article.specialty}; last reviewed {article.last_reviewed.isoformat()}, {review}.*"
        )
        for heading, body in article.tab(ARTICLE_TABS[tab]):
            parts.append(f"## {heading}\n\n{body}")
    return "\n\n".join(parts)
