"""The rendering functions, called directly."""

from __future__ import annotations

import datetime as dt

from db.queries import ReleaseView
from db.search_index import SearchHit
from desktop import render


def test_highlight_escapes_and_marks_spans():
    assert render.highlight("a <b> & c", [(0, 1)]) == "<b>a</b> &lt;b&gt; &amp; c"


def test_result_row_shows_code_badge_header_mark_and_why():
    hit = SearchHit(
        "icd10cm",
        "J44",
        "J44",
        "Other chronic obstructive pulmonary disease",
        False,
        "category",
        "inclusion term",
        "chronic obstructive bronchitis",
        ((20, 30),),
    )
    html = render.result_row_html(hit)
    assert "<b>J44</b>" in html and "ICD-10-CM" in html and "[header]" in html
    assert "inclusion term: chronic obstructive <b>bronchitis</b>" in html
    corrected = SearchHit(
        "icd10cm",
        "J189",
        "J18.9",
        "Pneumonia, unspecified organism",
        True,
        "code",
        "correction",
        "Pneumonia, unspecified organism",
        ((0, 9),),
        "pneumonia",
    )
    assert "[corrected]" in render.result_row_html(corrected)


def test_note_codes_become_links():
    html = render.link_codes_in("type 1 diabetes mellitus (E10.-)")
    assert '<a href="code:icd10cm/E10">E10.-</a>' in html
    assert render.parse_link("code:icd10cm/E10") == ("icd10cm", "E10")
    assert render.parse_link("https://example.org") is None


def test_release_validity_says_plainly_when_superseded():
    release = ReleaseView("icd10cm", "tabular", "ICD-10-CM FY2026", dt.date(2025, 10, 1), dt.date(2026, 9, 30), ())
    assert render.release_validity(release, dt.date(2026, 11, 25)) == (
        "ICD-10-CM FY2026: valid for services through 2026-09-30 (superseded)"
    )
    assert "2025-10-01 to 2026-09-30" in render.release_validity(release, dt.date(2026, 1, 1))
    assert "Not valid for today's dates of service" in render.outdated_releases_text([release], dt.date(2026, 11, 25))
    assert render.outdated_releases_text([release], dt.date(2026, 1, 1)) == ""


def test_differing_words_for_look_alike_codes():
    assert render.differing_words(
        "Fracture of unspecified part of neck of left femur", "Fracture of unspecified part of neck of right femur"
    ) == {"left"}


def test_article_matches_say_so():
    from desktop.results_model import why_text

    hit = SearchHit(
        "icd10pcs",
        "0FT44ZZ",
        "0FT44ZZ",
        "Resection of Gallbladder, Percutaneous Endoscopic Approach",
        True,
        "code",
        "article",
        "Gallbladder removal by keyhole surgery; lap chole",
        ((0, 11),),
    )
    assert why_text(hit) == "article: Gallbladder removal by keyhole surgery"
    assert "article: <b>Gallbladder</b> removal" in render.result_row_html(hit)
