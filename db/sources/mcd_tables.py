"""The Medicare Coverage Database CSV tables Codebook reads: their header names, the columns kept, and which
download (articles, LCDs, NCDs) each belongs to.

CMS publishes the MCD as `current_article.zip`, `all_article.zip`, `current_lcd.zip`, `all_lcd.zip` and
`ncd.zip` (also together in `all_data.zip`), each holding a `*_csv.zip` of CSV tables with a header row. A
table is known by its header names, never by its position or file name. Columns are listed as published
(MCD downloads data dictionary; the header rows of the 2025/2026 downloads as quoted by public loaders).
The HCPCS/CPT `long_description` and `short_description` columns are never read: CPT descriptors are the
AMA's text. ICD-10-CM descriptions (public domain, CDC/CMS) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATASET_KINDS", "KINDS", "TABLES", "UNUSED_HEADERS", "Column", "TableSpec", "identify"]

#: Detector kind of each download; the contractor and state tables ship in both the article and LCD ones.
DATASET_KINDS = {"article": "mcd-article", "lcd": "mcd-lcd", "ncd": "mcd-ncd"}
KINDS = frozenset(DATASET_KINDS.values())


@dataclass(frozen=True)
class Column:
    csv: str
    #: int, text, code (HCPCS/CPT, upper case), icd (ICD-10-CM without the dot), date (ISO), html (plain text)
    type: str = "text"
    required: bool = True

    @property
    def sql_type(self) -> str:
        return "INTEGER" if self.type == "int" else "TEXT"


@dataclass(frozen=True)
class TableSpec:
    name: str  # the CSV's published name without .csv; also the store's table name
    dataset: str  # article, lcd, ncd, or shared (contractors and states)
    columns: tuple[Column, ...]
    #: Columns the store indexes (a code, an id): the queries look rows up by them.
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def required(self) -> frozenset[str]:
        return frozenset(c.csv for c in self.columns if c.required)


def _c(*names: str, type: str = "text", required: bool = True) -> tuple[Column, ...]:
    return tuple(Column(name, type, required) for name in names)


_ARTICLE_KEY = _c("article_id", "article_version", type="int")
_LCD_KEY = _c("lcd_id", "lcd_version", type="int")
_CONTRACTOR_KEY = _c("contractor_id", "contractor_type_id", "contractor_version", type="int")
_BY_ARTICLE = (("article_id", "article_version"),)
_BY_LCD = (("lcd_id", "lcd_version"),)

TABLES: tuple[TableSpec, ...] = (
    # -- current_article_csv / all_article_csv -------------------------------------------------------------
    TableSpec("article", "article", (
        *_ARTICLE_KEY, *_c("title"), *_c("article_eff_date", "last_updated", type="date"), *_c("status"),
        *_c("article_end_date", "date_retired", type="date", required=False),
        *_c("display_id", "article_type", required=False), *_c("description", type="html", required=False),
    ), _BY_ARTICLE),
    TableSpec("article_x_hcpc_code", "article", (
        *_ARTICLE_KEY, Column("hcpc_code_id", "code"), Column("hcpc_code_group", "int"),
    ), (("hcpc_code_id",), *_BY_ARTICLE)),
    TableSpec("article_x_hcpc_code_group", "article", (
        *_ARTICLE_KEY, Column("hcpc_code_group", "int"), Column("paragraph", "html"),
    ), _BY_ARTICLE),
    TableSpec("article_x_icd10_covered", "article", (
        *_ARTICLE_KEY, Column("icd10_code_id", "icd"), Column("icd10_covered_group", "int"),
        Column("sort_order", "int", False), Column("description", "text", False), Column("asterisk", "text", False),
    ), (("icd10_code_id",), *_BY_ARTICLE)),
    TableSpec("article_x_icd10_covered_group", "article", (
        *_ARTICLE_KEY, Column("icd10_covered_group", "int"), Column("paragraph", "html"),
    ), _BY_ARTICLE),
    TableSpec("article_x_icd10_noncovered", "article", (
        *_ARTICLE_KEY, Column("icd10_code_id", "icd"), Column("icd10_noncovered_group", "int"),
        Column("sort_order", "int", False), Column("description", "text", False),
    ), (("icd10_code_id",), *_BY_ARTICLE)),
    TableSpec("article_x_icd10_noncovered_group", "article", (
        *_ARTICLE_KEY, Column("icd10_noncovered_group", "int"), Column("paragraph", "html"),
    ), _BY_ARTICLE),
    TableSpec("article_x_contractor", "article", (*_ARTICLE_KEY, *_CONTRACTOR_KEY), _BY_ARTICLE),
    TableSpec("article_related_documents", "article", (
        *_ARTICLE_KEY, *_c("r_lcd_id", "r_lcd_version", type="int"),
    ), (*_BY_ARTICLE, ("r_lcd_id",))),
    TableSpec("article_related_ncd_documents", "article", (
        *_ARTICLE_KEY, *_c("r_ncd_id", "r_ncd_version", type="int"),
    ), _BY_ARTICLE),
    # -- current_lcd_csv / all_lcd_csv ---------------------------------------------------------------------
    TableSpec("lcd", "lcd", (
        *_LCD_KEY, *_c("title"), *_c("orig_det_eff_date", "last_updated", type="date"), *_c("status"),
        *_c("ent_det_end_date", "rev_eff_date", "rev_end_date", "date_retired", type="date", required=False),
        Column("display_id", "text", False), Column("indication", "html", False),
    ), _BY_LCD),
    TableSpec("lcd_related_documents", "lcd", (
        *_LCD_KEY, *_c("r_article_id", "r_article_version", type="int"),
    ), (*_BY_LCD, ("r_article_id",))),
    TableSpec("lcd_x_contractor", "lcd", (*_LCD_KEY, *_CONTRACTOR_KEY), _BY_LCD),
    TableSpec("lcd_related_ncd_documents", "lcd", (*_LCD_KEY, *_c("r_ncd_id", "r_ncd_version", type="int")), _BY_LCD),
    # -- in both the article and the LCD downloads ---------------------------------------------------------
    TableSpec("contractor", "shared", (
        *_CONTRACTOR_KEY, Column("contractor_bus_name"), Column("contractor_number", "text", False),
    )),
    TableSpec("contractor_type_lookup", "shared", (Column("contractor_type_id", "int"), Column("description"))),
    TableSpec("contractor_jurisdiction", "shared", (
        *_CONTRACTOR_KEY, Column("state_id", "int"), *_c("active_date", "term_date", type="date", required=False),
    )),
    TableSpec("state_lookup", "shared", (Column("state_id", "int"), Column("state_abbrev"), Column("description"))),
    # -- ncd_csv ------------------------------------------------------------------------------------------
    TableSpec("ncd_trkg", "ncd", (
        *_c("NCD_id", "NCD_vrsn_num", type="int"), *_c("NCD_mnl_sect", "NCD_mnl_sect_title"),
        Column("NCD_efctv_dt", "date"),
        *_c("NCD_impltn_dt", "NCD_trmntn_dt", "last_updt_tmstmp", type="date", required=False),
        *_c("itm_srvc_desc", "indctn_lmtn", type="html", required=False),
    ), (("NCD_id",),)),
)  # fmt: skip
BY_NAME = {spec.name: spec for spec in TABLES}

#: The published headers of the tables Codebook does not read but recognises, so a download is imported
#: without a "not read" line for each of them: lookups, and every table keyed by a document id.
UNUSED_HEADERS: dict[tuple[str, ...], str] = {
    ("article_type_id", "description", "last_updated"): "article",
    ("url_type_id", "description", "sort_order", "last_updated"): "article",
    ("contractor_id", "contractor_type_id", "contractor_version", "region_id", "last_updated"): "shared",
    ("contractor_subtype_id", "description"): "shared",
    ("region_id", "description", "psc_description", "mac_description", "super_mac_description"): "shared",
    ("region_id", "description"): "shared",
    ("state_id", "region_id"): "shared",
    ("period_id", "begin_date", "dis_end_date"): "shared",
    ("reason_change_id", "reason_change_version", "description", "last_updated", "sort_order"): "lcd",
    ("synopsis_changes_field_id", "field_name", "field_anchor", "mcd_field_name", "mcd_field_anchor"): "lcd",
    ("bnft_ctgry_cd", "bnft_ctgry_desc"): "ncd",
    ("pblctn_cd", "pblctn_num", "pblctn_title"): "ncd",
}
_DOCUMENT_KEYS = {"article_id": "article", "lcd_id": "lcd", "NCD_id": "ncd"}


def identify(header: list[str]) -> TableSpec | str | None:
    """The table a CSV header belongs to; a dataset name for a recognised MCD table that is not read; None.

    The spec with the most required columns all present wins (extra columns CMS may add are ignored).
    """
    names = {name.strip() for name in header}
    matches = [spec for spec in TABLES if spec.required <= names]
    if matches:
        return max(matches, key=lambda spec: len(spec.required))
    cleaned = tuple(name.strip() for name in header)
    if cleaned in UNUSED_HEADERS:
        return UNUSED_HEADERS[cleaned]
    keyed = cleaned[1].endswith(("_version", "vrsn_num", "retire_dt")) if len(cleaned) >= 2 else False
    if keyed and cleaned[0] in _DOCUMENT_KEYS:
        return _DOCUMENT_KEYS[cleaned[0]]
    if cleaned[:2] == ("contact_id", "email_address"):
        return "lcd"
    return None
