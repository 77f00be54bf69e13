"""Rules from the tabular's instructional notes: Excludes1 pairs, "code first" and "use additional code" partners
missing, manifestation codes listed first or alone. Notes are inherited from every level above a code."""

from __future__ import annotations

from db.rules.context import ClaimContext, CodeRow, ResolvedLine
from db.rules.findings import ERROR, NOTE, WARNING, Finding
from db.rules.references import CodeIndex, Reference, references

MANIFESTATION_WORDS = "classified elsewhere"
MAX_SHOWN = 8


def _notes_of(ctx: ClaimContext, line: ResolvedLine, kind: str) -> list[tuple[CodeRow, list[str]]]:
    """(level, texts) of each level of the code's lineage stating notes of `kind`, nearest first."""
    levels: list[tuple[CodeRow, list[str]]] = []
    for level in ctx.lineage(line):
        texts = [text for note_kind, text in ctx.notes.get(level.id, ()) if note_kind == kind]
        if texts:
            levels.append((level, texts))
    return levels


def excludes1(ctx: ClaimContext) -> list[Finding]:
    """Two diagnoses of the claim that an Excludes1 note (at either code or above it) says are never coded together."""
    index = CodeIndex(line.code for line in ctx.diagnoses)
    by_code = {line.code: line for line in ctx.diagnoses}
    pairs: dict[frozenset[str], Finding] = {}
    for line in ctx.diagnoses:
        for level, texts in _notes_of(ctx, line, "excludes1"):
            for text in texts:
                for reference in references(text):
                    for other in index.matching(reference):
                        key = frozenset((line.code, other))
                        if other == line.code or key in pairs or _same_family(line.code, other, level):
                            continue
                        other_row = by_code[other].row
                        assert line.row is not None and other_row is not None
                        pairs[key] = Finding(
                            ERROR,
                            "excludes1",
                            (line.code, other),
                            f"{line.row.display} ({line.row.title}) and {other_row.display} ({other_row.title}) "
                            "are never coded together: the tabular's Excludes1 note at "
                            f"{level.display} excludes {reference.written}.",
                            f"{level.display} Excludes1: {text}",
                            "Keep the code that fits the documented condition and remove the other; both may be "
                            "reported only when the two conditions are unrelated (Official Guidelines I.A.12.a).",
                            (other,),
                        )
    return list(pairs.values())


def _same_family(code: str, other: str, level: CodeRow) -> bool:
    # A note that excludes part of the code's own family ("E11.9" under a section note naming E11.-) is about
    # the rest of the section, not this pair.
    return other.startswith(level.code) and code.startswith(level.code) and len(level.code) >= 3


def _partners(texts: list[str]) -> list[Reference]:
    unique = {reference.written: reference for text in texts for reference in references(text)}
    return list(unique.values())


def _instruction(ctx: ClaimContext, kind: str, rule: str) -> list[Finding]:
    index = CodeIndex(line.code for line in ctx.diagnoses)
    grouped: dict[tuple[str, str], tuple[list[str], CodeRow, list[str], list[Reference]]] = {}
    for line in ctx.diagnoses:
        for level, texts in _notes_of(ctx, line, kind):
            partners = _partners(texts)
            others = len(index.codes) > 1
            present = [code for reference in partners for code in index.matching(reference) if code != line.code]
            if present:
                break  # the instruction is met at this level; a broader level above says the same less precisely
            if not partners and (kind != "code_first" or others):
                continue  # names no code ("underlying disease"): only checkable when the code stands alone
            key = (level.code, "\n".join(texts))
            entry = grouped.setdefault(key, ([], level, texts, partners))
            entry[0].append(line.code)
            break
    findings: list[Finding] = []
    for (_, _), (codes, level, texts, partners) in grouped.items():
        examples = any("such as" in text.lower() for text in texts)
        conditional = any("if applicable" in text.lower() for text in texts)
        alone = len(index.codes) == len(set(codes))
        # "Code first" is a sequencing rule payers apply; "use additional code" partners are often optional.
        severity = WARNING if kind == "code_first" and not conditional and (alone or not examples) else NOTE
        written = ", ".join(reference.written for reference in partners[:MAX_SHOWN])
        more = "\u2026" if len(partners) > MAX_SHOWN else ""
        heading = "Code first" if kind == "code_first" else "Use additional code"
        message = (
            f"{', '.join(codes)}: the tabular at {level.display} says \u201c{heading.lower()}\u201d"
            + (f" ({written}{more})" if written else f": {texts[0]}")
            + ", and the claim has no such code."
        )
        action = (
            "Add the underlying condition and list it before this code."
            if kind == "code_first"
            else "Add the additional code the note asks for, when the record documents it."
        )
        if written:
            action += f" Candidates: {written}{more}."
        findings.append(
            Finding(
                severity,
                rule,
                tuple(codes),
                message,
                f"{level.display} {heading}: " + " / ".join(texts),
                action,
                tuple(reference.written.replace(".", "") for reference in partners if not reference.is_range)[:12],
            )
        )
    return findings


def code_first(ctx: ClaimContext) -> list[Finding]:
    return _instruction(ctx, "code_first", "code_first_missing")


def use_additional(ctx: ClaimContext) -> list[Finding]:
    return _instruction(ctx, "use_additional_code", "use_additional_missing")


def is_manifestation(ctx: ClaimContext, line: ResolvedLine) -> bool:
    return any(
        MANIFESTATION_WORDS in level.title.lower()
        for level in ctx.lineage(line)
        if level.kind in ("category", "subcategory", "code")
    )


def manifestation(ctx: ClaimContext) -> list[Finding]:
    """A manifestation code ("... in diseases classified elsewhere") may never be the first-listed diagnosis."""
    diagnoses = ctx.diagnoses
    if not diagnoses or not is_manifestation(ctx, diagnoses[0]):
        return []
    first = diagnoses[0]
    assert first.row is not None
    alone = len(diagnoses) == 1
    underlying = _notes_of(ctx, first, "code_first")
    note = f"{underlying[0][0].display} Code first: " + " / ".join(underlying[0][1]) if underlying else ""
    return [
        Finding(
            WARNING,
            "manifestation_first",
            (first.code,),
            f"{first.row.display} ({first.row.title}) is a manifestation code"
            + (" and the only diagnosis on the claim" if alone else " listed first")
            + ": it describes a manifestation of an underlying disease and may not be first-listed.",
            note
            or "ICD-10-CM Official Guidelines I.A.13: \u201cin diseases classified elsewhere\u201d codes are "
            "never first-listed; they are used with the code of the underlying condition.",
            "Add the underlying condition and list it first, followed by this manifestation code.",
        )
    ]
