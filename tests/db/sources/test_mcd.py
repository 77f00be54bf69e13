"""The Medicare Coverage Database readers: tables told by header names, typed rows, HTML made plain, errors.

The fixtures in tests/fixtures/mcd follow the published layout of the MCD downloads (current_article.zip ›
current_article_csv.zip › *.csv, likewise current_lcd and ncd): the header rows are the ones of the CMS
download as listed, table by table, by a public loader generated from the CSV headers of CMS's all_data.zip
(a "CMS MCD Phase 1 schema" staging manifest, columns in file order), quoting as RFC 4180 with HTML
paragraphs spanning lines inside quotes, dates as "2026-01-01 00:00:00". Article 52503 (Walkers - Policy
Article), LCD 33791 (Walkers), NCD 280.1 and the DME MAC contractor numbers 16013/17013 are real numbers;
every text is invented, and the HCPCS descriptor columns hold invented words (never CPT text).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from db.sources.detect import scan
from db.sources.errors import SourceFormatError
from db.sources.mcd import parse_date, read_table, table_of_head
from db.sources.mcd_html import plain_paragraphs
from db.sources.mcd_tables import BY_NAME

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mcd"


def _read(path: Path) -> list[tuple[object, ...]]:
    with path.open("rb") as handle:
        return list(read_table(handle, str(path)).rows)


def _records(path: Path) -> dict[object, dict[str, object]]:
    """Rows by their first column, as {column: value}."""
    with path.open("rb") as handle:
        table = read_table(handle, str(path))
        names = [column.csv for column in table.spec.columns]
        return {row[0]: dict(zip(names, row, strict=True)) for row in table.rows}


def _head(name: str) -> str:
    return (FIXTURES / "current_article_csv" / name).read_text(encoding="utf-8").splitlines()[0]


def test_tables_are_told_by_their_header_names():
    assert table_of_head(_head("article_x_hcpc_code.csv")) is BY_NAME["article_x_hcpc_code"]
    # Same first columns, told apart by the rest: the codes vs their group paragraphs.
    assert table_of_head(_head("article_x_icd10_covered_group.csv")) is BY_NAME["article_x_icd10_covered_group"]
    assert table_of_head(_head("article_x_icd10_covered.csv")) is BY_NAME["article_x_icd10_covered"]
    assert table_of_head('"contractor_id","contractor_type_id","contractor_version","state_id","last_updated",'
                         '"active_date","term_date"') is BY_NAME["contractor_jurisdiction"]  # fmt: skip
    # A table of the download that is not read is still known (no "not read" line in the import).
    assert table_of_head(_head("article_x_revision_history.csv")) == "article"
    assert table_of_head("period_id,begin_date,dis_end_date") == "shared"
    assert table_of_head("code,description") is None
    # Column order does not matter, names do; a column CMS adds is ignored.
    assert (
        table_of_head("hcpc_code_group,article_version,new_column,hcpc_code_id,article_id")
        is BY_NAME["article_x_hcpc_code"]
    )


def test_hcpcs_rows_keep_codes_never_the_descriptor_columns():
    rows = _read(FIXTURES / "current_article_csv" / "article_x_hcpc_code.csv")
    assert rows[0] == (52503, 12, "E0143", 1)
    assert all("Invented" not in str(value) for row in rows for value in row)


def test_icd10_codes_lose_their_dot_and_html_becomes_plain_paragraphs():
    covered = _read(FIXTURES / "current_article_csv" / "article_x_icd10_covered.csv")
    assert [row[2] for row in covered] == ["S72001", "S72002", "J441", "J449", "E119"]
    groups = _read(FIXTURES / "current_article_csv" / "article_x_icd10_covered_group.csv")
    paragraph = str(groups[1][3])
    assert paragraph == "Group 1 Paragraph: invented, any one of these supports the injection."
    assert groups[2][3] == "• Group 2 Paragraph: invented, only with a group 1 code\n\n• second point <invented>"


def test_article_text_spanning_lines_in_quotes_and_dates():
    articles = _records(FIXTURES / "current_article_csv" / "article.csv")
    walker = articles[52503]
    assert walker["title"] == "Walkers - Policy Article" and walker["display_id"] == "A52503"
    assert walker["article_eff_date"] == "2026-01-01"  # "2026-01-01 00:00:00" in the file
    assert walker["article_end_date"] is None
    description = str(walker["description"])
    assert description.startswith("Invented fixture text") and "\n\nModifiers & coding" in description
    assert 'with "quoted" words, commas, and bold type.' in str(articles[99801]["description"])


def test_scripts_images_and_attributes_never_survive():
    fragment = (
        '<p onclick="x()">Safe <a href="http://remote.invalid">link</a></p>'
        "<script>alert(1)</script><style>p{}</style><iframe src=x>frame</iframe>"
        '<img src="http://remote.invalid/a.png"><p>&lt;b&gt; &amp; &#233;</p>'
    )
    text = "\n".join(plain_paragraphs(fragment))
    assert text == "Safe link\n<b> & é"
    description = str(_records(FIXTURES / "current_article_csv" / "article.csv")[99802]["description"])
    assert description.startswith("Invented text") and "never run" not in description
    assert "example.invalid" not in description


def test_dates_in_the_forms_cms_writes_them():
    assert str(parse_date("2026-04-01 00:00:00")) == "2026-04-01"
    assert str(parse_date("04/01/2026")) == "2026-04-01"
    assert parse_date("  ") is None
    with pytest.raises(ValueError, match="not a date"):
        parse_date("April 1")


@pytest.mark.parametrize(
    ("content", "where", "why"),
    [
        (b'"article_id","article_version","hcpc_code_id","hcpc_code_group"\n52503,12,"E0143"\n', "line 2",
         "3 fields, the header has 4"),
        (b"article_id,article_version,hcpc_code_id,hcpc_code_group\n52503,twelve,E0143,1\n", "line 2",
         "article_version: 'twelve' is not a whole number"),
        (b"article_id,article_version,hcpc_code_id,hcpc_code_group\n,12,E0143,1\n", "line 2", "article_id is empty"),
        (b'article_id,article_version,title,article_eff_date,status,last_updated\n1,1,"open quote,2026-01-01,A,x\n',
         "line", "broken CSV quoting"),
        (b"code,description\nE0143,x\n", "line 1", "not a Medicare Coverage Database table"),
    ],
)  # fmt: skip
def test_bad_rows_name_the_file_the_line_and_the_value(content: bytes, where: str, why: str):
    with pytest.raises(SourceFormatError) as caught:
        list(read_table(io.BytesIO(content), "x.csv").rows)
    assert str(caught.value).startswith(f"x.csv, {where}") and why in str(caught.value)


def test_a_file_changed_since_the_scan_is_refused():
    with pytest.raises(SourceFormatError, match="changed since it was scanned"):
        read_table(io.BytesIO(b"state_id,state_abbrev,description\n"), "x.csv", sha256="0" * 64)


def test_windows_1252_text_is_read():
    data = "state_id,state_abbrev,description\n72,PR,Puerto Rico – Caribe\n".encode("cp1252")
    assert list(read_table(io.BytesIO(data), "x.csv").rows) == [(72, "PR", "Puerto Rico – Caribe")]


def test_scan_finds_each_table_inside_the_nested_zips(mcd_downloads: Path):
    result = scan([mcd_downloads])
    kinds = {(found.kind, found.release.content) for found in result.found}
    assert ("mcd-article", "article_x_icd10_covered") in kinds
    assert ("mcd-lcd", "lcd") in kinds and ("mcd-lcd", "contractor") in kinds
    assert ("mcd-ncd", "ncd_trkg") in kinds and ("mcd-ncd", "other") in kinds
    assert not result.unrecognised
    located = next(found for found in result.found if found.release.content == "article")
    assert located.location.endswith("current_article.zip › current_article_csv.zip › article.csv")


def test_a_contractor_table_outside_any_named_zip_counts_as_the_articles(tmp_path: Path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(FIXTURES / "current_lcd_csv" / "contractor.csv", "contractor.csv")
    assert [found.kind for found in scan([archive]).found] == ["mcd-article"]
