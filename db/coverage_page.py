"""One Medicare coverage document's own page: title, summary paragraphs, dates, contractors, states, codes."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.coverage import (
    CodeGroup,
    Policy,
    _article_lcds,
    _connection,
    _contractors,
    _day,
    _groups,
    _lcd,
    _ncd,
    _ncds_for,
    _newest,
)

__all__ = ["PolicyPage", "policy_page"]


@dataclass(frozen=True)
class PolicyPage:
    policy: Policy
    #: Plain paragraphs (the article's text, the LCD's indications, the NCD's item description and
    #: indications), cleaned from the MCD's HTML when loaded.
    summary: tuple[str, ...]
    related: tuple[Policy, ...]  # the LCDs, articles and NCDs it links to


def _paragraphs(*texts: str | None) -> tuple[str, ...]:
    return tuple(p for text in texts if text for p in text.split("\n\n") if p.strip())


def policy_page(
    source: Path | sqlite3.Connection, kind: str, number: int, day: dt.date | None = None
) -> PolicyPage | None:
    """The newest version of article/LCD/NCD `number` with everything it lists; None if unknown or no data."""
    day = day or dt.date.today()
    with _connection(source) as db:
        if db is None:
            return None
        db.row_factory = sqlite3.Row
        if kind == "article":
            row = _newest(db, "article", "article_id", "article_version", [number]).get(number)
            if row is None:
                return None
            version = row["article_version"]
            contractors, states = _contractors(db, "article_x_contractor", "article", number, version, day)
            procedures = tuple(r[0] for r in db.execute(
                "SELECT DISTINCT hcpc_code_id FROM article_x_hcpc_code WHERE article_id = ? AND article_version = ?"
                " ORDER BY hcpc_code_id", (number, version)))  # fmt: skip
            covered: tuple[CodeGroup, ...] = _groups(db, True, number, version, None)
            policy = Policy(
                "article", row["display_id"] or f"A{number}", number, version, row["title"], contractors, states,
                _day(row["article_eff_date"]), _day(row["article_end_date"]), covered,
                _groups(db, False, number, version, None), procedures,
            )  # fmt: skip
            lcds = _newest(db, "lcd", "lcd_id", "lcd_version", _article_lcds(db, number, version))
            lcd_policies = [_lcd(db, r, day) for r in lcds.values()]
            related = (*lcd_policies, *_ncds_for(db, [policy], lcd_policies))
            return PolicyPage(policy, _paragraphs(row["description"]), related)
        if kind == "lcd":
            row = _newest(db, "lcd", "lcd_id", "lcd_version", [number]).get(number)
            if row is None:
                return None
            policy = _lcd(db, row, day)
            articles = [r[0] for r in db.execute(
                "SELECT r_article_id FROM lcd_related_documents WHERE lcd_id = ? AND lcd_version = ?"
                " AND r_article_id IS NOT NULL UNION SELECT article_id FROM article_related_documents"
                " WHERE r_lcd_id = ?", (number, policy.version, number))]  # fmt: skip
            found = _newest(db, "article", "article_id", "article_version", articles)
            article_policies = [
                Policy("article", r["display_id"] or f"A{n}", n, r["article_version"], r["title"])
                for n, r in sorted(found.items())
            ]
            related = (*article_policies, *_ncds_for(db, [], [policy]))
            return PolicyPage(policy, _paragraphs(row["indication"]), related)
        if kind == "ncd":
            row = _newest(db, "ncd_trkg", "NCD_id", "NCD_vrsn_num", [number]).get(number)
            if row is None:
                return None
            return PolicyPage(_ncd(row), _paragraphs(row["itm_srvc_desc"], row["indctn_lmtn"]), ())
    return None
