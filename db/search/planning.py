"""Query plans before retrieval: procedure intent words and corrections of unknown words."""

from __future__ import annotations

from db.lay_terms import LayTerm
from db.query_text import LayTermMatcher, QueryPlan, WordGroup, parse_query
from db.search.spelling import Vocabulary
from db.search.word_forms import WordForms

#: The line number of the lay terms made for procedure intent words (not a line of the lay-term table).
INTENT_LINE = 0


def with_intents(plan: QueryPlan, forms: WordForms) -> QueryPlan:
    """A clerk's procedure word becomes a lay term for the PCS root operations it means ("removal of
    gallbladder": Resection), so those rank above the word's literal PCS meaning (Removal of a device)."""
    changed = False
    groups: list[WordGroup] = []
    query_words = plan.words
    for group in plan.groups:
        meanings = [] if group.lay_terms or len(group.words) != 1 else forms.intent(group.words[0], query_words)
        if meanings:
            word = group.words[0]
            terms = tuple(LayTerm(f"{word} -> {' '.join(m)}", group.words, m, (), INTENT_LINE) for m in meanings)
            groups.append(WordGroup(group.words, group.ends_with_prefix, terms))
            changed = True
        else:
            groups.append(group)
    return QueryPlan(plan.raw, plan.code, plan.code_systems, tuple(groups)) if changed else plan


def correct_unknown_words(
    plan: QueryPlan, vocabulary: Vocabulary, forms: WordForms, matcher: LayTermMatcher, only_unknown: bool
) -> QueryPlan | None:
    """The query with misspelled words replaced by the closest indexed words, or None when none changed.

    With `only_unknown`, a word is corrected only when no indexed word even starts with it (a typo in one
    word of a long query: "gastric ulcer with bleedng"), and the known words are kept as typed; otherwise
    (nothing matched at all) any word that is not itself an indexed word is tried.
    """
    changed = False
    corrected_words: list[str] = []
    last_is_prefix = bool(plan.groups) and plan.groups[-1].ends_with_prefix
    all_words = plan.words
    for index, word in enumerate(all_words):
        is_prefix = last_is_prefix and index == len(all_words) - 1
        known = vocabulary.known(word, True if only_unknown else is_prefix)
        if only_unknown and not known:
            # A form of an indexed word ("fractured") or a word of the equivalents table is not a typo.
            known = bool(forms.family(word) or forms.equivalents(word))
        if len(word) >= 3 and not word.isdigit() and not known:
            replacement = vocabulary.correct(word, is_prefix)
            if replacement is not None and replacement != word:
                corrected_words.append(replacement)
                changed = True
                continue
        corrected_words.append(word)
    if not changed:
        return None
    text = " ".join(corrected_words) + ("" if last_is_prefix else " ")
    corrected = parse_query(text, matcher)
    return QueryPlan(corrected.raw, None, (), corrected.groups)
