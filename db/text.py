"""Words as search sees them: one tokenizer shared by the index build and the query parser."""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents ("Ménière" -> "meniere"), so any keyboard finds it."""
    if text.isascii():
        return text.lower()  # the same answer: ASCII has no decompositions; search folds titles per keystroke
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded word) for each word of the original text, for highlighting.

    Folding can change lengths only for rare compatibility characters; positions are taken from the
    folded text, which matches the original for the Latin text of the code sets.
    """
    folded = fold(text)
    if len(folded) != len(text):
        return []
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(folded)]
