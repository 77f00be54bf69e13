"""Prints, as JSON, what Qt answers through each ICU call it makes (collation, converters, case, time zones).

check_bundle.sh runs it twice with the build's Python and PySide6: once as installed (all ICU data), once with the
bundle's slim ICU data library preloaded, and the two answers must be equal. Only names that exist in English are
asked for: the slim data keeps time-zone and region names for root and English only (packaging/slim_icu.py).

    python packaging/icu_probe.py                                   # all ICU data
    LD_PRELOAD=dist/codebook/_internal/PySide6/Qt/lib/libicudata.so.73 python packaging/icu_probe.py
"""

from __future__ import annotations

import functools
import json

from PySide6.QtCore import QCollator, QDate, QDateTime, QLocale, QStringConverter, QStringDecoder, QTime, QTimeZone

WORDS = ("Zürich", "zebra", "Äpfel", "apple", "Ångström", "öl", "ob", "file10", "file9", "Łódź", "ch", "co", "Ďábel")
#: Languages whose collation differs from the root order (sv: å ä ö last; cs: ch after h; pl: ł after l; da, es...).
COLLATIONS = ("en_US", "de_DE", "sv_SE", "cs_CZ", "pl_PL", "da_DK", "es_ES", "ja_JP", "C")
ENCODINGS = ("windows-1252", "ISO-8859-15", "Shift_JIS", "GB18030", "Big5", "EUC-KR", "KOI8-R", "IBM437", "macintosh")
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Europe/Berlin",
    "Asia/Kolkata",
    "US/Pacific",
)


def answers() -> dict[str, object]:
    out: dict[str, object] = {}
    for name in COLLATIONS:
        collator = QCollator(QLocale(name))
        collator.setNumericMode(True)
        out[f"collation {name}"] = sorted(WORDS, key=functools.cmp_to_key(collator.compare))
    for name in ENCODINGS:
        decoder = QStringDecoder(name)
        out[f"converter {name}"] = [decoder.isValid(), decoder.name() if decoder.isValid() else None]
    out["converters available"] = len(QStringConverter.availableCodecs())
    out["upper tr"] = QLocale("tr_TR").toUpper("istanbul i")
    out["upper en"] = QLocale("en_US").toUpper("straße")
    out["lower el"] = QLocale("el_GR").toLower("ΟΔΟΣ")
    english = QLocale("en_US")
    for zone_id in ZONES:
        zone = QTimeZone(zone_id.encode())
        moment = QDateTime(QDate(2026, 7, 1), QTime(12, 0), zone)
        out[f"zone {zone_id}"] = [
            zone.isValid(),
            zone.offsetFromUtc(moment),
            zone.displayName(QTimeZone.TimeType.DaylightTime, QTimeZone.NameType.LongName, english),
            zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.ShortName, english),
            zone.displayName(QTimeZone.TimeType.GenericTime, QTimeZone.NameType.LongName, english),
            moment.toString("yyyy-MM-dd HH:mm t"),
        ]
    out["date en"] = english.toString(QDate(2026, 11, 15), QLocale.FormatType.LongFormat)
    return out


if __name__ == "__main__":
    print(json.dumps(answers(), ensure_ascii=False, indent=1))
