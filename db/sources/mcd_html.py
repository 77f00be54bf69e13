"""The HTML fragments of the Medicare Coverage Database CSVs as plain paragraphs (nothing is ever rendered).

The MCD editor stores paragraphs, lists and tables as HTML inside CSV fields. They are reduced to text with
the standard library's tolerant parser: block tags end a paragraph, list items become "• " lines, entities are
decoded, and the content of script/style/head elements and every attribute (links, images, iframes) is
dropped, so stored text can never carry markup, scripts or remote content into the window.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["plain_paragraphs", "plain_text"]

_BLOCK = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "section", "article", "hr", "dd", "dt", "pre"}  # fmt: skip
# Elements whose text is never content (a script's code, a style sheet, an embedded object's fallback).
_SKIP = {"script", "style", "head", "title", "noscript", "iframe", "object", "embed", "template", "svg", "math"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0

    def _end_paragraph(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self._end_paragraph()
            if tag == "li":
                self._current.append("• ")
        elif tag in ("td", "th"):
            self._current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._end_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # A newline inside an HTML paragraph is a space; paragraphs come from the tags.
            self._current.append(data.replace("\n", " "))

    def close(self) -> None:
        super().close()
        self._end_paragraph()


def plain_paragraphs(fragment: str | None) -> list[str]:
    """The readable paragraphs of an HTML fragment (plain text given as such comes back as its lines)."""
    if not fragment or not fragment.strip():
        return []
    if "<" not in fragment and "&" not in fragment:
        return [p for p in (_SPACES.sub(" ", line).strip() for line in fragment.splitlines()) if p]
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return parser.paragraphs


def plain_text(fragment: str | None) -> str:
    """Paragraphs joined by blank lines, as stored."""
    return "\n\n".join(plain_paragraphs(fragment))
