"""Plain reasons for files that are no code file we read, and which of them are worth telling the user about."""

from __future__ import annotations

import re

from db.sources.detect_sample import Sample
from db.sources.hcpcs_workbook import ANWEB_COLUMNS
from db.sources.walk import Entry

__all__ = ["describe", "looks_relevant"]

_CMS_ROOTS = {"ICD10CM.tabular", "ICD10CM.index", "ICD10PCS.tabular", "ICD10PCS.index", "ICD10PCS.definitions"}
# The other files of the CMS/CDC code-set downloads: read by nothing yet, named so the user knows what they are.
_CM_CODES_LINE = re.compile(r"[A-Z](?=[0-9A-Z]*\d)[0-9A-Z]{2,6} +\S.*")  # a code has a digit: not 'THE FILE'
_PCS_CODES_LINE = re.compile(r"[0-9A-HJ-NP-Z]{7} +\S.*")
_RELEVANT_NAME = re.compile(
    r"icd|pcs|hcpc|cpt|noc|anweb|tabular|order|index|addend|drug|neoplasm|eindex|code|cms|cdc|medicare|poa|gem",
    re.IGNORECASE,
)
_DATA_SUFFIXES = (".xml", ".txt", ".xlsx", ".xls", ".csv", ".tsv", ".prn", ".zip", ".pdf", ".dat", ".json")


def looks_relevant(entry: Entry, reason: str) -> bool:
    """Tell the user about files that came in a zip or look like code-set material; stay quiet about the rest.

    A clerk pointing at a whole stick wants to hear why `icd10cm_codes_2027.txt` or a damaged XML was not
    taken, not about every photo and installer on it.
    """
    name = entry.name.lower()
    return (
        entry.in_archive
        or name.endswith(_DATA_SUFFIXES)
        or _RELEVANT_NAME.search(name) is not None
        or reason == "empty file"
    )


def describe(sample: Sample) -> str:
    """Why the file is not one of the kinds detect.py reads, in words a clerk can act on."""
    head = sample.stripped_head
    if not head.strip():
        return "empty file"
    if head.startswith(b"%PDF"):
        return "not a code file (PDF document)"
    if sample.is_workbook:
        return _describe_workbook(sample)
    if head.startswith(b"PK\x03\x04"):
        return "damaged zip or workbook: it starts like one but cannot be opened"
    if sample.xml is not None:
        return _describe_xml(sample)
    if sample.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: CMS and CDC ship plain (ASCII) text; use the file as downloaded, not re-saved"
    text = sample.text
    if text is None:
        return "binary data, not a CMS/CDC code file"
    return _describe_text(text.lines)


def _describe_xml(sample: Sample) -> str:
    head = sample.xml
    assert head is not None
    if head.error and not head.root:
        return f"not well-formed XML (damaged, or not saved as UTF-8?): {head.error}"
    root = head.root.rsplit("}", 1)[-1]
    if head.error:
        return f"damaged XML <{root}> near its start: {head.error}"
    if head.root in _CMS_ROOTS:
        columns = f", columns {', '.join(head.headings)}" if head.headings else ""
        return f"<{root}> file of an unknown kind: title {head.title!r}{columns}"
    if root == "schema":
        return "not a code file (XML schema describing a format)"
    return f"not a CMS/CDC code file: XML root <{root}>"


def _describe_workbook(sample: Sample) -> str:
    book = sample.workbook
    if book is None or book.error:
        return f"unreadable workbook: {book.error if book else 'cannot be opened'}"
    for row in book.rows:
        keys = [" ".join(str(v).replace("_", " ").upper().split()) for v in row if isinstance(v, str) and v.strip()]
        if not keys:
            continue
        if "HCPC" in keys or "HCPCS" in keys:
            missing = [name for name in ANWEB_COLUMNS if name not in keys]
            if len(missing) < len(ANWEB_COLUMNS) // 2:
                return f"HCPCS workbook lacking official ANWEB columns: {', '.join(missing)}"
            return f"HCPCS workbook in no known CMS layout: columns {', '.join(keys)}"
        if "HCPCS/MOD" in keys or "HCPCS/MOD CODE" in keys:
            return "not a code file (HCPCS change or corrections report)"
    first = next((row for row in book.rows if any(value is not None for value in row)), ())
    shown = ", ".join(str(value) for value in first if value is not None)[:120]
    return f"not a CMS/CDC code file: workbook whose first row is {shown!r}" if shown else "empty workbook"


def _describe_text(lines: tuple[str, ...]) -> str:
    content = [line for line in lines if line.strip()]
    if not content:
        return "empty file"
    if all(_CM_CODES_LINE.fullmatch(line) for line in content[:50]) and content[0][:1].isalpha():
        return (
            "ICD-10-CM code-descriptions file (code and long title only): not read; the order file of the same"
            " download has the same codes with short titles and headers"
        )
    if all(_PCS_CODES_LINE.fullmatch(line) for line in content[:50]):
        return "ICD-10-PCS codes file (code and long title only): not read; use the order file of the same download"
    first = content[0].strip()
    if re.match(r"(?:[A-Z0-9]{5}|   [A-Z0-9]{2})\d{5}[3478]", content[-1]):
        lengths = sorted({len(line) for line in content})
        shown = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]} to {lengths[-1]}"
        return f"HCPCS fixed-width records of {shown} characters, expected 320 (damaged file?)"
    if re.match(r"\d{5} ", first):
        return "order-file-like lines that do not fit the CMS order file layout (columns 1-5, 7-13, 15, 17-76, 78-)"
    return f"not a code file: text beginning {first[:60]!r}"
