"""Tests for db.sources.articles: reading and checking the procedure articles (front matter + 15 sections)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from db.sources import articles as articles_module
from db.sources.articles import (
    SECTIONS,
    SPECIALTIES,
    TABS,
    Article,
    check_article_links,
    count_words,
    read_article,
    read_articles,
)
from db.sources.errors import SourceFormatError

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "articles"
EAR = FIXTURES / "ear-wax-removal.md"
SKIN = FIXTURES / "skin-tag-removal.md"
RESOURCES = REPO / "resources" / "articles"
REPORT_TOOL = REPO / "tools" / "articles_report.py"


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def ear_text() -> str:
    return EAR.read_text(encoding="utf-8")


def line_of(text: str, start: str, nth: int = 1) -> int:
    """1-based number of the nth line of `text` starting with `start`."""
    found = [number for number, line in enumerate(text.split("\n"), 1) if line.startswith(start)]
    assert len(found) >= nth, f"no line {nth} starting with {start!r}"
    return found[nth - 1]


def write(tmp_path: Path, text: str, name: str = "ear-wax-removal.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def edited(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """The ear-wax fixture with `old` replaced by `new` (which must occur), written to tmp_path."""
    text = ear_text()
    assert old in text, old
    return write(tmp_path, text.replace(old, new, count))


def expect_error(path: Path, line: int | None, reason: str) -> SourceFormatError:
    """read_article(path) raises naming the file, `line {line}` and a reason matching the regex `reason`."""
    with pytest.raises(SourceFormatError) as caught:
        read_article(path)
    error = caught.value
    assert error.path == path
    assert error.location == (f"line {line}" if line is not None else None), str(error)
    assert re.search(reason, error.reason), error.reason
    assert str(error).startswith(f"{path}, line {line}: " if line is not None else f"{path}: ")
    return error


def load_report_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("articles_report", REPORT_TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------------
# Valid articles
# ------------------------------------------------------------------------------------------------------


def test_reads_a_valid_article():
    article = read_article(EAR)
    assert article.id == "ear-wax-removal"
    assert article.title == "Removing packed ear wax"
    assert article.aliases[:2] == ("ear wax removal", "cerumen removal")
    assert dict(article.codes) == {
        "icd10pcs": ("09C3X", "09C4X"),
        "hcpcs": ("G0268",),
        "cpt": ("69209", "69210"),
        "icd10cm": ("H61.21", "H61.22", "H61.23"),
    }
    assert article.specialty == "Ear, nose and throat"
    assert article.last_reviewed == dt.date(2026, 11, 25)
    assert article.clinically_reviewed is False
    assert article.path == EAR
    assert [heading for heading, _body in article.sections] == list(SECTIONS)
    assert 350 <= article.word_count <= 900


def test_sections_keep_their_markdown_and_tabs_group_them():
    article = read_article(EAR)
    assert article.section("Anesthesia") == "None is usually needed. The removal is mostly painless."
    procedure = article.section("Procedure")
    assert procedure.startswith("1. The clinician looks into the ear with a lighted scope.\n2. ")
    assert article.section("Indications").startswith("- A feeling that the ear is full")
    with pytest.raises(KeyError):
        article.section("Notes")

    assert [name for name, _sections in TABS] == ["Procedure", "Risks", "Recovery"]
    assert [h for h, _b in article.procedure_tab()] == [
        "Summary",
        "Purpose",
        "Indications",
        "Preparation",
        "Procedure",
        "Tools and equipment",
        "Anesthesia",
        "Duration",
        "Setting",
        "Personnel",
    ]
    assert [h for h, _b in article.risks_tab()] == ["Risks and complications", "Benefits"]
    assert [h for h, _b in article.recovery_tab()] == ["Recovery", "Alternatives", "Patient experience"]
    assert article.tab("Risks")[1] == ("Benefits", article.section("Benefits"))
    assert sum(len(sections) for _name, sections in TABS) == len(SECTIONS)


def test_word_count_is_body_words_without_headings_or_list_markers():
    article = read_article(EAR)
    body = "\n".join(body for _heading, body in article.sections)
    assert article.word_count == count_words(body)
    assert count_words("- Bleeding: it stops.\n1. First step, 20 to 45 minutes\n\n## not a body") == 12
    assert count_words("A - B -- C") == 3


def test_article_is_frozen_and_its_codes_read_only():
    article = read_article(EAR)
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "Other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        article.codes["cpt"] = ()  # type: ignore[index]
    assert hash(article) == hash(read_article(EAR))
    assert article == read_article(EAR)


def test_crlf_line_ends_and_byte_order_mark_are_accepted(tmp_path):
    path = tmp_path / "ear-wax-removal.md"
    path.write_bytes(b"\xef\xbb\xbf" + ear_text().replace("\n", "\r\n").encode("utf-8"))
    article = read_article(path)
    assert article.sections == read_article(EAR).sections
    assert article.codes == read_article(EAR).codes


def test_block_style_lists_and_missing_code_sets_are_accepted(tmp_path):
    path = edited(tmp_path, "  icd10pcs: [09C3X, 09C4X]\n  hcpcs: [G0268]\n", "  icd10pcs:\n    - 09C3X\n    - 09C4X\n")
    article = read_article(path)
    assert article.codes["icd10pcs"] == ("09C3X", "09C4X")
    assert article.codes["hcpcs"] == ()
    assert article.code_lines["icd10pcs"] == (7, 8)


def test_read_articles_reads_all_but_the_readme_sorted_by_file_name(tmp_path):
    for path in (SKIN, EAR):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "README.md").write_text("# Not an article\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not markdown", encoding="utf-8")
    found = read_articles(tmp_path)
    assert [article.id for article in found] == ["ear-wax-removal", "skin-tag-removal"]
    assert all(isinstance(article, Article) for article in found)


def test_read_articles_stops_at_the_first_bad_file(tmp_path):
    (tmp_path / SKIN.name).write_bytes(SKIN.read_bytes())
    write(tmp_path, ear_text().replace("specialty: Ear, nose and throat", "specialty: ENT"))
    with pytest.raises(SourceFormatError, match=r"ear-wax-removal\.md, line 10: specialty 'ENT' is not one of"):
        read_articles(tmp_path)


def test_read_articles_needs_a_folder(tmp_path):
    with pytest.raises(SourceFormatError, match="articles folder not found"):
        read_articles(tmp_path / "missing")


def test_read_articles_rejects_duplicate_ids(tmp_path, monkeypatch):
    # Ids equal file names, so only a reader that maps two files to one id can produce this; simulate it.
    (tmp_path / "a.md").write_text("", encoding="utf-8")
    (tmp_path / "b.md").write_text("", encoding="utf-8")
    original = read_article(EAR)
    monkeypatch.setattr(articles_module, "read_article", lambda path: dataclasses.replace(original, path=Path(path)))
    with pytest.raises(SourceFormatError) as caught:
        read_articles(tmp_path)
    assert caught.value.path == tmp_path / "b.md"
    assert caught.value.location == "line 2"
    assert caught.value.reason == "id 'ear-wax-removal' is already used by a.md"


# ------------------------------------------------------------------------------------------------------
# Broken files: the file and its front matter
# ------------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    expect_error(tmp_path / "nothing-here.md", None, "file not found")


def test_not_utf8(tmp_path):
    text = ear_text()
    path = tmp_path / "ear-wax-removal.md"
    path.write_bytes(text.replace("cool or warm water", "cool or warm \xe9ater").encode("latin-1"))
    expect_error(path, line_of(text, "Most people feel pressure"), r"not UTF-8 text \(byte 0xe9")


def test_nul_bytes_are_not_text(tmp_path):
    expect_error(edited(tmp_path, "## Duration\n", "## Duration\n\x00"), line_of(ear_text(), "## Duration") + 1, "NUL")


def test_missing_front_matter(tmp_path):
    text = ear_text()
    expect_error(write(tmp_path, text[len("---\n") :]), 1, "must start with a '---' line")
    expect_error(write(tmp_path, "\n" + text), 1, "must start with a '---' line")
    expect_error(write(tmp_path, ""), 1, "must start with a '---' line")


def test_unterminated_front_matter(tmp_path):
    text = ear_text().replace("clinically_reviewed: false\n---\n", "clinically_reviewed: false\n\n")
    expect_error(write(tmp_path, text), 1, "front matter opened on line 1 is not closed")


def test_empty_front_matter(tmp_path):
    body = ear_text().split("---\n", 2)[2]
    expect_error(write(tmp_path, "---\n---\n" + body), 1, "front matter is empty")


def test_front_matter_that_is_not_fields(tmp_path):
    body = ear_text().split("---\n", 2)[2]
    expect_error(write(tmp_path, "---\n- id\n- title\n---\n" + body), 2, "must be 'field: value' lines")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("title: Removing packed ear wax", "title: Removing: packed ear wax", "mapping values are not allowed here"),
        (
            "title: Removing packed ear wax",
            "title: 'Removing packed' ear wax",
            "expected <block end>, but found '<scalar>'",
        ),
        ("  hcpcs: [G0268]", "\thcpcs: [G0268]", "found character '\\\\t' that cannot start any token"),
    ],
)
def test_yaml_errors_name_the_line(tmp_path, old, new, reason):
    path = edited(tmp_path, old, new)
    text = path.read_text(encoding="utf-8")
    with pytest.raises(SourceFormatError) as caught:
        read_article(path)
    assert caught.value.reason.startswith("YAML error in the front matter: ")
    assert re.search(reason, caught.value.reason), caught.value.reason
    assert caught.value.location == f"line {line_of(text, new)}"


def test_impossible_date_names_its_line(tmp_path):
    path = edited(tmp_path, "last_reviewed: 2026-11-25", "last_reviewed: 2026-02-30")
    expect_error(path, 11, r"last_reviewed: cannot be read \(day is out of range")


def test_unknown_field(tmp_path):
    expect_error(
        edited(tmp_path, "specialty:", "speciality:"), 10, r"unknown field 'speciality' \(did you mean 'specialty'\?\)"
    )
    expect_error(
        edited(tmp_path, "specialty:", "author: us\nspecialty:"), 10, "unknown field 'author'; the fields are id, title"
    )


def test_missing_field(tmp_path):
    text = ear_text().replace("clinically_reviewed: false\n", "")
    path = write(tmp_path, text)
    expect_error(path, line_of(text, "---", 2), "the front matter has no 'clinically_reviewed' field")


def test_field_given_twice(tmp_path):
    expect_error(
        edited(tmp_path, "specialty:", "title: Again\nspecialty:"),
        10,
        r"field 'title' is given twice \(first on line 3\)",
    )


def test_id_must_be_the_file_name(tmp_path):
    expect_error(
        edited(tmp_path, "id: ear-wax-removal", "id: ear-wax"),
        2,
        r"id 'ear-wax' must be the file name without \.md \('ear-wax-removal'\)",
    )


@pytest.mark.parametrize("bad_id", ["Ear-Wax", "ear_wax", "ear--wax", "-ear", "ear wax", "éar"])
def test_id_must_be_lowercase_kebab_case(tmp_path, bad_id):
    path = write(tmp_path, ear_text().replace("id: ear-wax-removal", f"id: {bad_id}"), name=f"{bad_id}.md")
    expect_error(path, 2, f"id '{bad_id}' must be lowercase kebab-case")


def test_id_must_be_text(tmp_path):
    path = write(tmp_path, ear_text().replace("id: ear-wax-removal", "id: 2024"), name="2024.md")
    expect_error(path, 2, r"id must be text, not 2024 \(put it in quotes\)")


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("", "title is empty"),
        ('""', "title is empty"),
        ("'   '", "title is empty"),
        ("1999", "title must be text, not 1999"),
        ("[a, b]", r"title must be text, not \['a', 'b'\]"),
        ("x" * 121, "title is 121 characters long; at most 120 are allowed"),
        ("'  Ear wax'", "title has leading or trailing spaces"),
    ],
)
def test_bad_titles(tmp_path, title, reason):
    expect_error(edited(tmp_path, "title: Removing packed ear wax", f"title: {title}"), 3, reason)


def test_title_of_120_characters_is_fine(tmp_path):
    assert read_article(edited(tmp_path, "title: Removing packed ear wax", "title: " + "x" * 120)).title == "x" * 120


@pytest.mark.parametrize(
    ("aliases", "reason"),
    [
        ("ear wax removal", "aliases must be a list"),
        ("{a: b}", "aliases must be a list"),
        ("[wax, '']", "aliases must not be empty"),
        ("[wax, '  ']", "aliases must not be empty"),
        ("[wax, yes]", "alias True must be text"),
        ("[wax, 12]", "alias 12 must be text"),
        ("[wax, [a]]", r"alias \['a'\] must be text"),
    ],
)
def test_bad_aliases(tmp_path, aliases, reason):
    line = "aliases: [ear wax removal, cerumen removal, ear cleaning, ear irrigation, impacted ear wax]"
    expect_error(edited(tmp_path, line, f"aliases: {aliases}"), 4, reason)


def test_empty_alias_list_is_fine(tmp_path):
    line = "aliases: [ear wax removal, cerumen removal, ear cleaning, ear irrigation, impacted ear wax]"
    assert read_article(edited(tmp_path, line, "aliases: []")).aliases == ()


# ------------------------------------------------------------------------------------------------------
# Broken files: codes
# ------------------------------------------------------------------------------------------------------


def test_codes_must_be_a_mapping(tmp_path):
    text = ear_text()
    start, end = text.index("codes:\n"), text.index("specialty:")
    expect_error(
        write(tmp_path, text[:start] + "codes: [G0268]\n" + text[end:]),
        5,
        "codes must be a mapping of icd10pcs, hcpcs, cpt, icd10cm",
    )
    expect_error(write(tmp_path, text[:start] + "codes:\n" + text[end:]), 5, "codes must be a mapping")


def test_unknown_code_set(tmp_path):
    expect_error(
        edited(tmp_path, "  hcpcs: [G0268]", "  hcpcs: [G0268]\n  snomed: ['1234']"),
        8,
        "unknown code set 'snomed' under codes; use icd10pcs, hcpcs, cpt, icd10cm",
    )
    expect_error(edited(tmp_path, "  hcpcs: [G0268]", "  HCPCS: [G0268]"), 7, "unknown code set 'HCPCS'")


def test_code_set_given_twice(tmp_path):
    expect_error(
        edited(tmp_path, "  hcpcs: [G0268]", "  hcpcs: [G0268]\n  hcpcs: [G0105]"),
        8,
        "code set 'hcpcs' is given twice under codes",
    )


@pytest.mark.parametrize("value", ["G0268", "{a: G0268}", "'G0268'"])
def test_code_set_must_be_a_list(tmp_path, value):
    expect_error(
        edited(tmp_path, "  hcpcs: [G0268]", f"  hcpcs: {value}"),
        7,
        r"codes hcpcs must be a list such as \[A1234, B5678\]",
    )


def test_unquoted_numbers_must_be_quoted(tmp_path):
    expect_error(
        edited(tmp_path, '  cpt: ["69209", "69210"]', '  cpt: ["69209", 69210]'),
        8,
        r'cpt code 69210 must be text: put it in quotes \("69210"\)',
    )
    # 0210000 looks like an octal number to YAML 1.1: the message quotes it as written
    expect_error(
        edited(tmp_path, "  icd10pcs: [09C3X, 09C4X]", "  icd10pcs: [09C3X, 0210000]"),
        6,
        r'icd10pcs code 0210000 must be text: put it in quotes \("0210000"\)',
    )


@pytest.mark.parametrize(
    ("system", "line", "code"),
    [
        ("icd10pcs", 6, "09"),
        ("icd10pcs", 6, "09C3XZZZ"),
        ("icd10pcs", 6, "09I3X"),
        ("icd10pcs", 6, "09O3X"),
        ("icd10pcs", 6, "09c3x"),
        ("hcpcs", 7, "W0268"),
        ("hcpcs", 7, "G026"),
        ("hcpcs", 7, "G02681"),
        ("hcpcs", 7, "g0268"),
        ("cpt", 8, "6920"),
        ("cpt", 8, "692091"),
        ("cpt", 8, "0001U"),
        ("cpt", 8, "9920A"),
        ("icd10cm", 9, "H6121"),
        ("icd10cm", 9, "H61."),
        ("icd10cm", 9, "H61.21234"),
        ("icd10cm", 9, "161.21"),
        ("icd10cm", 9, "h61.21"),
        ("icd10cm", 9, "H6"),
    ],
)
def test_code_shapes(tmp_path, system, line, code):
    text = ear_text()
    start = text.index(f"  {system}: [") + len(f"  {system}: [")
    path = write(tmp_path, text[:start] + f"'{code}', " + text[start:])
    expect_error(path, line, f"{system} code '{re.escape(code)}' is not a valid code: expected ")


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("icd10pcs", "0FT"),
        ("icd10pcs", "0FT44ZZ"),
        ("hcpcs", "V2630"),
        ("cpt", "1234F"),
        ("cpt", "0042T"),
        ("icd10cm", "K80"),
        ("icd10cm", "S72.001A"),
        ("icd10cm", "U07.1"),
    ],
)
def test_valid_code_shapes(tmp_path, system, code):
    text = ear_text()
    start = text.index(f"  {system}: [") + len(f"  {system}: [")
    article = read_article(write(tmp_path, text[:start] + f"'{code}', " + text[start:]))
    assert article.codes[system][0] == code


def test_code_listed_twice(tmp_path):
    expect_error(edited(tmp_path, "  hcpcs: [G0268]", "  hcpcs: [G0268, G0268]"), 7, "hcpcs code G0268 is listed twice")


def test_at_least_one_code(tmp_path):
    text = ear_text()
    start, end = text.index("codes:\n"), text.index("specialty:")
    empty = "codes:\n  icd10pcs: []\n  hcpcs: []\n  cpt: []\n  icd10cm: []\n"
    expect_error(write(tmp_path, text[:start] + empty + text[end:]), 5, "the article links no code at all")
    expect_error(write(tmp_path, text[:start] + "codes: {}\n" + text[end:]), 5, "the article links no code at all")


def test_one_cpt_number_is_enough(tmp_path):
    text = ear_text()
    start, end = text.index("codes:\n"), text.index("specialty:")
    article = read_article(write(tmp_path, text[:start] + 'codes:\n  cpt: ["69210"]\n' + text[end:]))
    assert dict(article.codes) == {"icd10pcs": (), "hcpcs": (), "cpt": ("69210",), "icd10cm": ()}


def test_code_errors_in_block_lists_name_the_item_line(tmp_path):
    path = edited(tmp_path, "  icd10cm: [H61.21, H61.22, H61.23]", "  icd10cm:\n    - H61.21\n    - H6122")
    expect_error(path, 11, "icd10cm code 'H6122' is not a valid code")


# ------------------------------------------------------------------------------------------------------
# Broken files: the other fields
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("specialty", ["ENT", "ear, nose and throat", "'Ear, nose and throat '", "[Dermatology]", ""])
def test_unknown_specialty(tmp_path, specialty):
    expect_error(
        edited(tmp_path, "specialty: Ear, nose and throat", f"specialty: {specialty}"),
        10,
        "specialty .* is not one of: Orthopedics, Spine",
    )


@pytest.mark.parametrize("value", ["'2026-11-25'", "November 25, 2026", "2026-11-25 10:30:00", "", "2026"])
def test_last_reviewed_must_be_a_date(tmp_path, value):
    expect_error(
        edited(tmp_path, "last_reviewed: 2026-11-25", f"last_reviewed: {value}"),
        11,
        "last_reviewed must be a date written YYYY-MM-DD",
    )


@pytest.mark.parametrize("value", ["'false'", "0", "maybe", ""])
def test_clinically_reviewed_must_be_a_boolean(tmp_path, value):
    expect_error(
        edited(tmp_path, "clinically_reviewed: false", f"clinically_reviewed: {value}"),
        12,
        "clinically_reviewed must be true or false",
    )


def test_clinically_reviewed_true(tmp_path):
    assert read_article(edited(tmp_path, "clinically_reviewed: false", "clinically_reviewed: true")).clinically_reviewed


# ------------------------------------------------------------------------------------------------------
# Broken files: the body
# ------------------------------------------------------------------------------------------------------


def test_section_missing(tmp_path):
    text = ear_text()
    path = write(tmp_path, text.replace("## Purpose\n\n", ""))
    expect_error(
        path,
        line_of(path.read_text(encoding="utf-8"), "## Indications"),
        "section 'Purpose' is missing: '## Purpose' must come before this heading",
    )


def test_last_section_missing(tmp_path):
    text = ear_text()
    path = write(tmp_path, text[: text.index("## Patient experience")])
    expect_error(
        path,
        len(path.read_text(encoding="utf-8").split("\n")),
        "section 'Patient experience' is missing: '## Patient experience' must come at the end",
    )


def test_no_sections(tmp_path):
    text = ear_text()
    path = write(tmp_path, text[: text.index("## Summary")])
    expect_error(path, 14, "the article has no sections")


def test_sections_out_of_order(tmp_path):
    text = ear_text()
    swapped = (
        text.replace("## Duration\n", "## @@\n")
        .replace("## Setting\n", "## Duration\n")
        .replace("## @@\n", "## Setting\n")
    )
    path = write(tmp_path, swapped)
    expect_error(path, line_of(text, "## Duration"), "section 'Setting' is out of order: '## Duration' must come here")


def test_section_twice(tmp_path):
    text = ear_text()
    path = write(tmp_path, text + "\n## Benefits\n\nMore benefits.\n")
    expect_error(
        path,
        line_of(path.read_text(encoding="utf-8"), "## Benefits", 2),
        rf"section 'Benefits' appears twice \(first on line {line_of(text, '## Benefits')}\)",
    )


@pytest.mark.parametrize("section", ["Summary", "Setting", "Patient experience"])
def test_empty_section(tmp_path, section):
    text = ear_text()
    start = text.index(f"## {section}\n") + len(f"## {section}\n")
    end = text.find("\n## ", start)
    path = write(tmp_path, text[:start] + "\n  \n" + (text[end + 1 :] if end != -1 else ""))
    expect_error(path, line_of(text, f"## {section}"), f"section '{section}' is empty")


@pytest.mark.parametrize(
    ("heading", "reason"),
    [
        ("# Removing packed ear wax", "heading '# Removing packed ear wax' is not allowed"),
        ("### Before the visit", "heading '### Before the visit' is not allowed"),
        ("#### Deep", "heading '#### Deep' is not allowed"),
        ("## Notes", "unknown section heading '## Notes': only the 15 standard"),
        ("##", "unknown section heading '##'"),
        (
            "## tools and equipment",
            r"unknown section heading '## tools and equipment': did you mean '## Tools and equipment'\?",
        ),
        ("## Risk and complications", "did you mean '## Risks and complications'"),
        ("  ### Indented", "heading '### Indented' is not allowed"),
    ],
)
def test_other_headings(tmp_path, heading, reason):
    text = ear_text()
    path = write(tmp_path, text.replace("## Duration\n\n", f"## Duration\n\n{heading}\n\n"))
    expect_error(path, line_of(text, "## Duration") + 2, reason)


@pytest.mark.parametrize("underline", ["===", "---", "  ----  "])
def test_underlined_text_is_a_heading_too(tmp_path, underline):
    text = ear_text()
    path = edited(tmp_path, "## Duration\n\nUsually", f"## Duration\n\nTiming\n{underline}\n\nUsually")
    expect_error(path, line_of(text, "## Duration") + 3, "a line of '=' or '-' under text makes it a heading")


def test_rules_and_lists_are_not_underlined_headings(tmp_path):
    article = read_article(edited(tmp_path, "## Duration\n\nUsually", "## Duration\n\n- item\n---\n\n---\n\nUsually"))
    assert article.section("Duration").startswith("- item\n---\n\n---\n\nUsually")


def test_hash_without_space_is_not_a_heading(tmp_path):
    article = read_article(edited(tmp_path, "## Duration\n\n", "## Duration\n\n#5 is a size, not a heading.\n"))
    assert article.section("Duration").startswith("#5 is a size")


def test_text_before_the_first_section(tmp_path):
    expect_error(
        edited(tmp_path, "---\n\n## Summary", "---\n\nIntro text.\n\n## Summary"),
        15,
        "text before the first section heading",
    )


def test_procedure_needs_numbered_steps(tmp_path):
    text = ear_text()
    start, end = text.index("## Procedure\n"), text.index("## Tools and equipment")
    bulleted = (
        text[start:end]
        .replace("1. ", "- ")
        .replace("2. ", "- ")
        .replace("3. ", "- ")
        .replace("4. ", "- ")
        .replace("5. ", "- ")
    )
    path = write(tmp_path, text[:start] + bulleted + text[end:])
    expect_error(path, line_of(text, "## Procedure"), r"section 'Procedure' must give the steps as a numbered list")
    one_step = (
        text[:start]
        + "## Procedure\n\n1. Everything at once, in a single long step that is hard to follow.\n\n"
        + text[end:]
    )
    expect_error(write(tmp_path, one_step), line_of(text, "## Procedure"), "numbered list")


def test_too_few_words(tmp_path):
    text = ear_text()
    front = text[: text.index("## Summary")]
    short = {name: "Short text here." for name in SECTIONS} | {"Procedure": "1. Look.\n2. Clean."}
    path = write(tmp_path, front + "".join(f"## {name}\n\n{body}\n\n" for name, body in short.items()))
    expect_error(path, 15, r"the article has 44 words; it must have 350 to 900 \(headings not counted\)")


@pytest.mark.parametrize(("words", "valid"), [(349, False), (350, True), (900, True), (901, False)])
def test_word_count_limits_are_inclusive(tmp_path, words, valid):
    text = ear_text()
    front = text[: text.index("## Summary")]
    short = {name: "Short text here." for name in SECTIONS} | {"Procedure": "1. Look.\n2. Clean."}
    short["Patient experience"] = "word " * (words - 44 + 3)
    path = write(tmp_path, front + "".join(f"## {name}\n\n{body}\n\n" for name, body in short.items()))
    if valid:
        assert read_article(path).word_count == words
    else:
        expect_error(path, 15, f"the article has {words} words")


def test_too_many_words(tmp_path):
    filler = "Most people feel fine afterward and go home the same day. " * 50
    path = edited(tmp_path, "## Patient experience\n\n", f"## Patient experience\n\n{filler}\n\n")
    expect_error(path, 15, r"the article has \d+ words; it must have 350 to 900")


# ------------------------------------------------------------------------------------------------------
# Code links
# ------------------------------------------------------------------------------------------------------


def test_check_article_links_asks_about_every_linked_code_normalised():
    asked: list[tuple[str, str]] = []

    def exists(system: str, code: str) -> bool:
        asked.append((system, code))
        return True

    check_article_links(read_articles(FIXTURES), exists)
    assert ("icd10pcs", "09C3X") in asked
    assert ("hcpcs", "G0268") in asked
    assert ("icd10cm", "H6121") in asked
    assert ("icd10cm", "L918") in asked
    assert not any(system == "cpt" for system, _code in asked)
    assert len(asked) == 2 + 1 + 3 + 3 + 0 + 1


@pytest.mark.parametrize(
    ("system", "missing", "line"), [("icd10pcs", "09C4X", 6), ("hcpcs", "G0268", 7), ("icd10cm", "H6122", 9)]
)
def test_check_article_links_names_the_code_and_its_line(system, missing, line):
    with pytest.raises(SourceFormatError) as caught:
        check_article_links(read_articles(FIXTURES), lambda s, code: not (s == system and code == missing))
    written = {"H6122": "H61.22"}.get(missing, missing)
    assert caught.value.path == EAR
    assert caught.value.location == f"line {line}"
    assert caught.value.reason == f"{system} code {written} does not exist in the loaded data"


def test_check_article_links_uses_the_line_of_each_item_of_a_block_list(tmp_path):
    path = edited(
        tmp_path, "  icd10cm: [H61.21, H61.22, H61.23]", "  icd10cm:\n    - H61.21\n    - H61.22\n    - H61.23"
    )
    with pytest.raises(SourceFormatError) as caught:
        check_article_links([read_article(path)], lambda system, code: code != "H6123")
    assert caught.value.location == "line 12"


# ------------------------------------------------------------------------------------------------------
# The real articles
# ------------------------------------------------------------------------------------------------------


def test_all_bundled_articles_are_valid_and_listed_in_the_readme():
    found = read_articles(RESOURCES)
    assert len(found) >= 120
    assert len({article.id for article in found}) == len(found)
    readme = (RESOURCES / "README.md").read_text(encoding="utf-8")
    for specialty in {article.specialty for article in found}:
        assert f"### {specialty} (" in readme, specialty
    for article in found:
        assert f"- [{article.title}]({article.path.name})" in readme, article.id
        assert article.clinically_reviewed is False or article.last_reviewed <= dt.date.today()


def test_bundled_readme_is_the_generated_one():
    tool = load_report_tool()
    found = read_articles(RESOURCES)
    expected = tool.readme_text(found)
    assert (RESOURCES / "README.md").read_text(encoding="utf-8") == expected, (
        "resources/articles/README.md is out of date: run .venv/bin/python tools/articles_report.py --write-readme"
    )


def test_every_specialty_is_used_by_a_bundled_article():
    used = {article.specialty for article in read_articles(RESOURCES)}
    assert used == set(SPECIALTIES)


# ------------------------------------------------------------------------------------------------------
# The report tool
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("the", 1),
        ("cat", 1),
        ("table", 2),
        ("people", 2),
        ("procedure", 3),
        ("colonoscopy", 5),
        ("removed", 2),
        ("low-fiber", 3),
        ("45", 1),
        ("-", 0),
    ],
)
def test_report_syllable_counter(word, count):
    assert load_report_tool().syllables(word) == count


def test_report_grade_level():
    tool = load_report_tool()
    assert tool.grade_level(["The cat sat on the mat."]) == pytest.approx(0.39 * 6 + 11.8 - 15.59)
    # list items without end punctuation are sentences of their own
    assert tool.grade_level(["- The cat sat\n- The dog ran"]) == pytest.approx(0.39 * 3 + 11.8 - 15.59)
    assert 3 < tool.article_grade(read_article(EAR)) < 10


def test_report_runs_without_data(capsys, tmp_path):
    for path in (SKIN, EAR):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    tool = load_report_tool()
    assert tool.main(["--articles", str(tmp_path), "--write-readme"]) == 0
    out = capsys.readouterr().out
    assert "2 articles in" in out
    assert re.search(r"\n  Dermatology +1\n", out)
    assert "skipped: give --data DIR" in out
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "- [Removing packed ear wax](ear-wax-removal.md)" in readme
    assert "### Dermatology (1)" in readme
    assert read_articles(tmp_path)  # the README is not read as an article


def test_report_coverage_counts_prefixes_and_exact_codes():
    tool = load_report_tool()
    found = read_articles(FIXTURES)
    pcs = {"09C3XZZ", "09C4XZZ", "09C5XZZ", "0HB4XZZ", "0HB4XZX"}
    assert tool.covered_codes(found, "icd10pcs", pcs) == {"09C3XZZ", "09C4XZZ", "0HB4XZZ"}
    assert tool.covered_codes(found, "icd10cm", {"H6121", "H6129", "L918"}) == {"H6121", "L918"}
    assert tool.covered_codes(found, "hcpcs", {"G0268", "G0105"}) == {"G0268"}
