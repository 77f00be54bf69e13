"""Claim parsing: messy real-world claim text (superbills, claim screens, EHR exports) and hostile input."""

from __future__ import annotations

import time

import pytest

from db.rules.claim import MAX_CODES, parse_claim


def summary(text: str) -> list[tuple[str, tuple[str, ...], int]]:
    return [(line.code, line.modifiers, line.units) for line in parse_claim(text).lines]


CASES: list[tuple[str, list[tuple[str, tuple[str, ...], int]]]] = [
    ("E11.65, I10; 99214-25 x1, 20610 RT, J1030 x2",
     [("E1165", (), 1), ("I10", (), 1), ("99214", ("25",), 1), ("20610", ("RT",), 1), ("J1030", (), 2)]),
    ("e11.65 i10", [("E1165", (), 1), ("I10", (), 1)]),
    ("E1165,I10", [("E1165", (), 1), ("I10", (), 1)]),
    ("E11.65\nI10\n99214", [("E1165", (), 1), ("I10", (), 1), ("99214", (), 1)]),
    ("E11.65\r\nI10\r\n", [("E1165", (), 1), ("I10", (), 1)]),
    ("E11.65 | I10 | Z79.4", [("E1165", (), 1), ("I10", (), 1), ("Z794", (), 1)]),
    ("E11.65/I10", [("E1165", (), 1), ("I10", (), 1)]),
    ("1. E11.65 Type 2 diabetes mellitus with hyperglycemia\n2. I10 Essential hypertension",
     [("E1165", (), 1), ("I10", (), 1)]),
    ("1) E11.65  2) I10", [("E1165", (), 1), ("I10", (), 1)]),
    ("Dx: E11.65, I10  CPT: 99214-25", [("E1165", (), 1), ("I10", (), 1), ("99214", ("25",), 1)]),
    ("ICD-10: E11.65; ICD-10: I10", [("E1165", (), 1), ("I10", (), 1)]),
    ("99214-25-59", [("99214", ("25", "59"), 1)]),
    ("99214 25", [("99214", ("25",), 1)]),
    ("20610 -RT", [("20610", ("RT",), 1)]),
    ("20610 - RT", [("20610", ("RT",), 1)]),
    ("20610-rt", [("20610", ("RT",), 1)]),
    ("99214 mod 25", [("99214", ("25",), 1)]),
    ("99214 modifier: 25", [("99214", ("25",), 1)]),
    ("J1030 x2", [("J1030", (), 2)]),
    ("J1030x2", [("J1030", (), 2)]),
    ("J1030 X 2", [("J1030", (), 2)]),
    ("J1030 *2", [("J1030", (), 2)]),
    ("J1030 × 2", [("J1030", (), 2)]),
    ("J1030 2 units", [("J1030", (), 2)]),
    ("J1030 units: 2", [("J1030", (), 2)]),
    ("J1030 qty 2", [("J1030", (), 2)]),
    ("J1030 2u", [("J1030", (), 2)]),
    ("J1030 methylprednisolone acetate 40 mg x2", [("J1030", (), 2)]),
    ("99214-25x3", [("99214", ("25",), 3)]),
    ("20610 RT x1 ptr A", [("20610", ("RT",), 1)]),
    ("99214 25 A B", [("99214", ("25",), 1)]),
    ("0FT44ZZ", [("0FT44ZZ", (), 1)]),
    ("S72.001A; S13.4XXA", [("S72001A", (), 1), ("S134XXA", (), 1)]),
    ("E11.65 – Type 2 DM w/ hyperglycemia", [("E1165", (), 1)]),
    ("“E11.65”, ‘I10’", [("E1165", (), 1), ("I10", (), 1)]),
    ("\tE11.65\t\tI10\t", [("E1165", (), 1), ("I10", (), 1)]),
    ("E11.65;;;,,,I10", [("E1165", (), 1), ("I10", (), 1)]),
    ("(E11.65) [I10]", [("E1165", (), 1), ("I10", (), 1)]),
    ("E11.65.", [("E1165", (), 1)]),
    ("G0105 33 x1", [("G0105", ("33",), 1)]),
    ("0001U, 0019T", [("0001U", (), 1), ("0019T", (), 1)]),
    ("Ｅ１１．６５", [("E1165", (), 1)]),  # full-width characters pasted from a PDF
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_messy_claims_are_read_as_a_coder_means_them(
    text: str, expected: list[tuple[str, tuple[str, ...], int]]
) -> None:
    assert summary(text) == expected


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_pointers_and_what_was_skipped_are_kept() -> None:
    parsed = parse_claim("99214 25 ptr 1 2 office visit")
    assert parsed.lines[0].pointers == ("1", "2")
    assert parsed.ignored == ("office", "visit")
    assert parse_claim("J1030 methylprednisolone 40 mg").ignored == ("methylprednisolone", "40", "mg")


def test_shapes_say_which_code_sets_a_code_may_belong_to() -> None:
    lines = parse_claim("E11.65 E1165 J1100 99214 0FT44ZZ").lines
    assert [line.shapes for line in lines] == [
        ("icd10cm",),
        ("hcpcs", "icd10cm"),  # E11.65 or an HCPCS E code: the loaded releases decide
        ("hcpcs", "icd10cm"),
        ("cpt",),
        ("icd10pcs",),
    ]


HOSTILE = {
    "10,000 characters of one letter": "E" * 10_000,
    "10,000 digits after x": "J1030 x" + "9" * 10_000,
    "control characters": "".join(chr(n % 32) + "E11.65" for n in range(1500)),
    "bidi and zero-width": "\u202eE11.65\u200b,\u2066I10\u2069" * 500,
    "emoji": "😀 E11.65 💉 99214-25 " * 400,
    "500 codes": ", ".join(f"E11.{n % 10}" if n % 2 else f"99{n % 1000:03d}-25 x2" for n in range(500)),
    "dashes only": "-" * 10_000,
    "nested brackets": "(" * 5000 + "E11.65" + ")" * 5000,
    "a million characters": "E11.65 " * 150_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_never_crashes_and_is_fast(name: str) -> None:
    started = time.perf_counter()
    parsed = parse_claim(HOSTILE[name])
    assert time.perf_counter() - started < 0.2
    assert len(parsed.lines) <= MAX_CODES
    assert all(line.units < 10**6 for line in parsed.lines)
