"""Medicare Physician Fee Schedule facts (CMS relative value file) per code and modifier: the table and its query.

The facts hang on the CPT release (year) whose import brought the relative value file, and cover CPT and HCPCS
Level II codes alike, since CMS's file lists both. They are CMS's public numbers; the file's descriptors go to
the CPT titles (build_cpt.py), never here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.models import CPT, Base, Release

#: CMS's status codes (the relative value file's Attachment), in short.
STATUS = {
    "A": "active: paid separately under the fee schedule",
    "B": "bundled: paid within other services",
    "C": "carriers price the code",
    "D": "deleted",
    "E": "excluded from the fee schedule by regulation",
    "I": "not valid for Medicare purposes",
    "J": "anesthesia service",
    "M": "measurement code: for reporting only",
    "N": "non-covered service",
    "P": "bundled or excluded",
    "R": "restricted coverage",
    "T": "paid only when no other service is billed the same day",
    "X": "statutory exclusion",
}
GLOBAL_DAYS = {
    "000": "0 days: endoscopic or minor procedure, same-day care included",
    "010": "10 days: minor procedure, 10 days of follow-up care included",
    "090": "90 days: major surgery, the day before and 90 days after included",
    "MMM": "maternity: the usual global period does not apply",
    "XXX": "the global concept does not apply",
    "YYY": "the carrier sets the global period",
    "ZZZ": "part of another service, within its global period",
}
INDICATORS = (
    ("pctc", "PC/TC indicator"),
    ("multiple_procedure", "multiple procedure"),
    ("bilateral_surgery", "bilateral surgery"),
    ("assistant_surgery", "assistant at surgery"),
    ("co_surgeons", "co-surgeons"),
    ("team_surgery", "team surgery"),
)
RVUS = ("work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu", "nonfacility_total", "facility_total")


class PfsFact(Base):
    """One row of a relative value file (code + modifier) for the CPT year that brought it."""

    __tablename__ = "pfs_facts"
    __table_args__ = (Index("ix_pfs_facts_code", "code", "modifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2))
    status: Mapped[str | None] = mapped_column(String(1))
    work_rvu: Mapped[float | None] = mapped_column(Float)
    nonfacility_pe_rvu: Mapped[float | None] = mapped_column(Float)
    nonfacility_na: Mapped[bool] = mapped_column(Boolean, default=False)
    facility_pe_rvu: Mapped[float | None] = mapped_column(Float)
    facility_na: Mapped[bool] = mapped_column(Boolean, default=False)
    mp_rvu: Mapped[float | None] = mapped_column(Float)
    nonfacility_total: Mapped[float | None] = mapped_column(Float)
    facility_total: Mapped[float | None] = mapped_column(Float)
    global_days: Mapped[str | None] = mapped_column(String(3))
    pctc: Mapped[str | None] = mapped_column(String(1))
    multiple_procedure: Mapped[str | None] = mapped_column(String(1))
    bilateral_surgery: Mapped[str | None] = mapped_column(String(1))
    assistant_surgery: Mapped[str | None] = mapped_column(String(1))
    co_surgeons: Mapped[str | None] = mapped_column(String(1))
    team_surgery: Mapped[str | None] = mapped_column(String(1))
    conversion_factor: Mapped[float | None] = mapped_column(Float)
    #: The relative value file's position among the release's rows (CMS's order).
    position: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class PfsView:
    """The fee-schedule facts of one code and modifier, as the detail shows them."""

    release: str
    modifier: str
    status: str | None
    rvus: tuple[tuple[str, float | None], ...]
    nonfacility_na: bool
    facility_na: bool
    global_days: str | None
    indicators: tuple[tuple[str, str], ...]
    conversion_factor: float | None

    @property
    def status_text(self) -> str:
        return f"{self.status} ({STATUS.get(self.status, 'see CMS')})" if self.status else "-"

    @property
    def global_text(self) -> str:
        return (
            f"{self.global_days} ({GLOBAL_DAYS[self.global_days]})"
            if self.global_days in GLOBAL_DAYS
            else (self.global_days or "-")
        )

    def to_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "modifier": self.modifier,
            "status": self.status,
            "status_meaning": STATUS.get(self.status or ""),
            **dict(self.rvus),
            "nonfacility_na": self.nonfacility_na,
            "facility_na": self.facility_na,
            "global_days": self.global_days,
            "global_days_meaning": GLOBAL_DAYS.get(self.global_days or ""),
            **dict(self.indicators),
            "conversion_factor": self.conversion_factor,
        }


def fee_schedule(session: Session, code: str, day: dt.date) -> tuple[PfsView, ...]:
    """The facts for `code` (every modifier row, the plain row first) from the CPT year covering `day`, else
    from the newest year that has them."""
    rows = session.execute(
        select(PfsFact, Release)
        .join(Release, Release.id == PfsFact.release_id)
        .where(PfsFact.code == code, Release.system == CPT)
        .order_by(Release.seq, PfsFact.position)
    ).all()
    if not rows:
        return ()
    covering = [r for _fact, r in rows if r.valid_from and r.valid_to and r.valid_from <= day <= r.valid_to]
    chosen = covering[0] if covering else rows[-1][1]
    return tuple(
        PfsView(
            release.name,
            fact.modifier,
            fact.status,
            tuple((name, getattr(fact, name)) for name in RVUS),
            fact.nonfacility_na,
            fact.facility_na,
            fact.global_days,
            tuple((name, getattr(fact, name)) for name, _label in INDICATORS if getattr(fact, name)),
            fact.conversion_factor,
        )
        for fact, release in rows
        if release.id == chosen.id
    )
