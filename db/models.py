"""SQLAlchemy 2 typed models of the code database: releases side by side, code versions, notes, PCS axes, index terms.

Several releases of a code set live in one database, the way OHDSI Athena keeps vocabularies: a `Code` row is
one *version* of a code, valid from the release numbered `first_seq` to the one numbered `last_seq` (releases of
a code set are numbered 1, 2, ... by their start date). A code unchanged from one release to the next keeps its
row (only `last_seq` grows), so the database grows by what changed, not by the size of each release. Notes,
7th characters and HCPCS attributes hang on the version they belong to. "Which version was in force on date D"
is the release covering D (a small table) and then an indexed lookup on (system, code) and the seq range.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Code systems, as stored in every `system` column.
ICD10CM = "icd10cm"
ICD10PCS = "icd10pcs"
HCPCS = "hcpcs"
CPT = "cpt"
SYSTEMS = (ICD10CM, ICD10PCS, HCPCS, CPT)
SYSTEM_LABELS = {ICD10CM: "ICD-10-CM", ICD10PCS: "ICD-10-PCS", HCPCS: "HCPCS", CPT: "CPT"}


class Base(DeclarativeBase):
    pass


class Release(Base):
    """One loaded release of one code set (or of an index that feeds one)."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(16), index=True)
    #: What the release holds: "tabular", "tables", "index", "codes"...
    content: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    #: The end of its fiscal year (or quarter), or the day before a newer release of the code set starts.
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    #: For the releases of a code set (tabular, tables, codes): 1, 2, ... in order of start date; 0 otherwise.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    #: Where the files came from: "bundled" with the app, or "imported" by the user.
    origin: Mapped[str] = mapped_column(String(16), default="bundled")


class ReleaseSource(Base):
    """A source file a release was built from, with its checksum."""

    __tablename__ = "release_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(260))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)


class Code(Base):
    """One version of a node a coder can look up (chapter, section, header, billable code, modifier).

    Hierarchy is by code, not by row: the parent of a version is whichever version of `parent_code` is in
    force in the same release, so a reworded parent does not force a new version of every child.
    """

    __tablename__ = "codes"
    __table_args__ = (
        UniqueConstraint("system", "code", "first_seq", name="uq_codes_version"),
        Index("ix_codes_parent", "system", "parent_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    #: The code without dot, upper case ("E1165", "0FT44ZZ", "J1100", "RT"); chapters "CH01", sections "A00-A09".
    code: Mapped[str] = mapped_column(String(16))
    #: As coders write it ("E11.65").
    display: Mapped[str] = mapped_column(String(16))
    #: chapter, section, category, subcategory, code (ICD-10-CM); section, body_system, operation,
    #: body_part, code (ICD-10-PCS); code, modifier (HCPCS, CPT).
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    #: The official short title, when the release's order file was loaded.
    short_title: Mapped[str | None] = mapped_column(String(80))
    billable: Mapped[bool] = mapped_column(Boolean)
    parent_code: Mapped[str | None] = mapped_column(String(16))
    chapter_code: Mapped[str | None] = mapped_column(String(16))
    section_code: Mapped[str | None] = mapped_column(String(16))
    depth: Mapped[int] = mapped_column(Integer)
    #: Position in the official order (merged over the releases), so lists read as in the book.
    sort_order: Mapped[int] = mapped_column(Integer)
    #: The release this version first appeared in.
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    #: The range of release numbers (Release.seq of this system) in which this version is in force.
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)


class Note(Base):
    """An instructional note, kept on the code where the tabular states it (children inherit it)."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"), index=True)
    #: inclusion_term, includes, excludes1, excludes2, code_first, use_additional_code, code_also,
    #: seventh_character_note, note
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class SeventhCharacter(Base):
    """A 7th-character value defined at a category or subcategory (ICD-10-CM)."""

    __tablename__ = "seventh_characters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"), index=True)
    character: Mapped[str] = mapped_column(String(1))
    meaning: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class PcsAxisValue(Base):
    """What one character means at one position of an ICD-10-PCS table.

    Positions 1-3 are keyed by the code prefix before them ("", "0", "0F"); positions 4-7 by the
    3-character table ("0FT"), where the tables state them.
    """

    __tablename__ = "pcs_axis_values"
    __table_args__ = (UniqueConstraint("context", "position", "character", "first_seq", name="uq_pcs_axis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context: Mapped[str] = mapped_column(String(3))
    position: Mapped[int] = mapped_column(Integer)
    character: Mapped[str] = mapped_column(String(1))
    axis_title: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(Text)
    #: The table's own definition (given for the root operation at position 3).
    definition: Mapped[str | None] = mapped_column(Text)
    #: ICD-10-PCS releases (Release.seq) in which this meaning holds.
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)


class PcsDefinition(Base):
    """An official ICD-10-PCS definition of an axis value (root operation, approach, body part, device...)."""

    __tablename__ = "pcs_definitions"
    __table_args__ = (Index("ix_pcs_definitions_lookup", "section", "position", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)
    axis_title: Mapped[str] = mapped_column(String(60))
    term: Mapped[str] = mapped_column(Text)
    definition: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    #: Examples or included terms, one per line.
    includes: Mapped[str | None] = mapped_column(Text)
    #: ICD-10-PCS releases (Release.seq) in which this definition holds.
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)


class HcpcsAttributes(Base):
    """The fields of the HCPCS record layout beyond code and long description."""

    __tablename__ = "hcpcs_attributes"

    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"), primary_key=True)
    short_description: Mapped[str | None] = mapped_column(String(40))
    not_otherwise_classified: Mapped[bool] = mapped_column(Boolean, default=False)
    pricing_indicators: Mapped[str | None] = mapped_column(String(16))
    multiple_pricing_indicator: Mapped[str | None] = mapped_column(String(1))
    coverage_issues_manual_refs: Mapped[str | None] = mapped_column(String(40))
    carriers_manual_refs: Mapped[str | None] = mapped_column(String(40))
    statute_number: Mapped[str | None] = mapped_column(String(16))
    lab_certification_codes: Mapped[str | None] = mapped_column(String(40))
    cross_reference_codes: Mapped[str | None] = mapped_column(String(40))
    coverage_code: Mapped[str | None] = mapped_column(String(1))
    asc_payment_group: Mapped[str | None] = mapped_column(String(2))
    asc_effective_date: Mapped[dt.date | None] = mapped_column(Date)
    opps_payment_group: Mapped[str | None] = mapped_column(String(3))
    opps_payment_indicator: Mapped[str | None] = mapped_column(String(1))
    opps_effective_date: Mapped[dt.date | None] = mapped_column(Date)
    processing_note_number: Mapped[str | None] = mapped_column(String(4))
    betos_code: Mapped[str | None] = mapped_column(String(3))
    type_of_service_codes: Mapped[str | None] = mapped_column(String(8))
    anesthesia_base_units: Mapped[int | None] = mapped_column(Integer)
    added_date: Mapped[dt.date | None] = mapped_column(Date)
    action_effective_date: Mapped[dt.date | None] = mapped_column(Date)
    termination_date: Mapped[dt.date | None] = mapped_column(Date)
    action_code: Mapped[str | None] = mapped_column(String(1))


class IndexTerm(Base):
    """An official index entry (or table cell) that leads to a current code."""

    __tablename__ = "index_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"), index=True)
    #: icd10cm-index, icd10cm-eindex, icd10cm-neoplasm, icd10cm-drug, icd10pcs-index
    source: Mapped[str] = mapped_column(String(24))
    term: Mapped[str] = mapped_column(Text)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))


class BuildFact(Base):
    """What the build counted and decided (unresolved index references, reconciliations...)."""

    __tablename__ = "build_facts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ArticleRow(Base):
    """A plain-language procedure article (resources/articles), with its sections as JSON."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    aliases: Mapped[str] = mapped_column(Text)
    specialty: Mapped[str] = mapped_column(String(60))
    last_reviewed: Mapped[dt.date] = mapped_column(Date)
    clinically_reviewed: Mapped[bool] = mapped_column(Boolean)
    #: JSON list of [heading, markdown] in the official order.
    sections: Mapped[str] = mapped_column(Text)


class ArticleLink(Base):
    """A code (or ICD-10-PCS prefix, or CPT number) an article describes."""

    __tablename__ = "article_links"
    __table_args__ = (Index("ix_article_links_lookup", "system", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id"), index=True)
    system: Mapped[str] = mapped_column(String(16))
    #: Without dot, upper case; a prefix for ICD-10-PCS.
    code: Mapped[str] = mapped_column(String(16))
