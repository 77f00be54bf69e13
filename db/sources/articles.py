"""Reading and checking the plain-language procedure articles (resources/articles/*.md): front matter, 15 sections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

from db.sources.errors import SourceFormatError

#: The 15 section headings every article has, each written as a `## ` heading, in this order.
SECTIONS: tuple[str, ...] = (
    "Summary",
    "Purpose",
    "Indications",
    "Preparation",
    "Procedure",
    "Tools and equipment",
    "Anesthesia",
    "Duration",
    "Setting",
    "Personnel",
    "Risks and complications",
    "Benefits",
    "Recovery",
    "Alternatives",
    "Patient experience",
)

#: How the app groups the sections into its three tabs: (tab name, its sections in order).
TABS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Procedure", SECTIONS[:10]),
    ("Risks", ("Risks and complications", "Benefits")),
    ("Recovery", ("Recovery", "Alternatives", "Patient experience")),
)

#: The specialties an article may name, in the order the articles' README lists them.
SPECIALTIES: tuple[str, ...] = (
    "Orthopedics",
    "Spine",
    "Pain management",
    "Cardiology",
    "Vascular",
    "Pulmonary",
    "Infusion and dialysis",
    "Gastroenterology",
    "General surgery",
    "Obstetrics and gynecology",
    "Urology",
    "Ophthalmology",
    "Ear, nose and throat",
    "Dermatology",
    "Imaging and radiology",
    "Oral surgery",
    "Office procedures",
)

#: The code sets an article links to, in the order they are written in its front matter.
CODE_SYSTEMS: tuple[str, ...] = ("icd10pcs", "hcpcs", "cpt", "icd10cm")
#: The code sets whose codes must exist in the loaded data (CPT numbers are only shape-checked).
LINKED_SYSTEMS: tuple[str, ...] = ("icd10pcs", "hcpcs", "icd10cm")

FIELDS: tuple[str, ...] = ("id", "title", "aliases", "codes", "specialty", "last_reviewed", "clinically_reviewed")
MAX_TITLE = 120
MIN_WORDS = 350
MAX_WORDS = 900

_CODE_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "icd10pcs": (re.compile(r"[0-9A-HJ-NP-Z]{3,7}"), "3 to 7 characters of 0-9 and A-Z without I and O"),
    "hcpcs": (re.compile(r"[A-V]\d{4}"), "a letter A-V and 4 digits"),
    "cpt": (re.compile(r"\d{5}|\d{4}[FT]"), "5 digits, or 4 digits and F or T"),
    "icd10cm": (
        re.compile(r"[A-Z][0-9A-Z]{2}(?:\.[0-9A-Z]{1,4})?"),
        "a letter, 2 letters or digits, then optionally a dot and 1 to 4 letters or digits",
    ),
}
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_NUMBERED_STEP = re.compile(r" {0,3}(\d{1,3})[.)][ \t]+\S")
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+", re.MULTILINE)
_WORD_CHAR = re.compile(r"[^\W_]")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-{2,})[ \t]*")
#: Lines after which an underline is no setext heading: list items, headings, quotes, indented code.
_PLAIN_LINE = re.compile(r" {0,3}(?:[-*+>#]|\d{1,9}[.)])(?:[ \t]|$)| {4}|\t")
#: The file line of the front matter's first line (after the opening '---'): YAML line 0.
_FRONT_MATTER_LINE = 2


@dataclasses.dataclass(frozen=True)
class Article:
    """One valid article: its front matter and its 15 sections, in order."""

    id: str
    title: str
    aliases: tuple[str, ...]
    #: code set -> codes as written in the file, for every one of CODE_SYSTEMS (empty tuple when none).
    codes: Mapping[str, tuple[str, ...]] = dataclasses.field(hash=False)
    specialty: str
    last_reviewed: dt.date
    clinically_reviewed: bool
    #: (heading, Markdown body) for the 15 SECTIONS, in order.
    sections: tuple[tuple[str, str], ...]
    path: Path
    #: Words of the body text (headings and list markers not counted).
    word_count: int
    #: Line in the file of each front-matter field.
    field_lines: Mapping[str, int] = dataclasses.field(default_factory=dict, compare=False, hash=False, repr=False)
    #: code set -> line in the file of each code, parallel to `codes`.
    code_lines: Mapping[str, tuple[int, ...]] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def section(self, name: str) -> str:
        """The Markdown body of one section (KeyError for a name not in SECTIONS)."""
        for heading, body in self.sections:
            if heading == name:
                return body
        raise KeyError(name)

    def tab(self, name: str) -> tuple[tuple[str, str], ...]:
        """The (heading, body) pairs shown on one tab: "Procedure", "Risks" or "Recovery"."""
        for tab_name, names in TABS:
            if tab_name == name:
                return tuple((heading, self.section(heading)) for heading in names)
        raise KeyError(name)

    def procedure_tab(self) -> tuple[tuple[str, str], ...]:
        return self.tab("Procedure")

    def risks_tab(self) -> tuple[tuple[str, str], ...]:
        return self.tab("Risks")

    def recovery_tab(self) -> tuple[tuple[str, str], ...]:
        return self.tab("Recovery")


def count_words(text: str) -> int:
    """Words in Markdown body text: whitespace-separated tokens with a letter or digit, list markers excluded."""
    return sum(1 for token in _LIST_MARKER.sub("", text).split() if _WORD_CHAR.search(token))


def normalise_code(code: str) -> str:
    """A code as the database stores it: no dot, upper case."""
    return code.replace(".", "").strip().upper()


def read_articles(folder: Path) -> list[Article]:
    """Every article in a folder (all *.md but README.md, by file name); the first bad file raises."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceFormatError(folder, None, "articles folder not found")
    paths = sorted(
        (path for path in folder.glob("*.md") if path.is_file() and path.name.lower() != "readme.md"),
        key=lambda path: path.name,
    )
    articles: list[Article] = []
    seen: dict[str, Article] = {}
    for path in paths:
        article = read_article(path)
        first = seen.get(article.id)
        if first is not None:
            raise SourceFormatError(
                path,
                f"line {article.field_lines.get('id', 1)}",
                f"id {article.id!r} is already used by {first.path.name}",
            )
        seen[article.id] = article
        articles.append(article)
    return articles


def check_article_links(articles: Iterable[Article], code_exists: Callable[[str, str], bool]) -> None:
    """Raise for the first ICD-10-PCS, HCPCS or ICD-10-CM code of an article that the loaded data lacks.

    ``code_exists(system, code)`` gets the code without dot, in upper case; for ICD-10-PCS it should
    answer True for any prefix of a valid code.
    """
    for article in articles:
        for system in LINKED_SYSTEMS:
            lines = article.code_lines.get(system, ())
            for index, code in enumerate(article.codes.get(system, ())):
                if not code_exists(system, normalise_code(code)):
                    line = lines[index] if index < len(lines) else article.field_lines.get("codes", 1)
                    raise SourceFormatError(
                        article.path, f"line {line}", f"{system} code {code} does not exist in the loaded data"
                    )


# ------------------------------------------------------------------------------------------------------
# One file
# ------------------------------------------------------------------------------------------------------


class _Fail(Exception):
    """A problem at a line of the file being read (turned into SourceFormatError by read_article)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def read_article(path: Path) -> Article:
    """Read and check one article file; any problem raises SourceFormatError naming its line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise SourceFormatError(path, None, "file not found") from error
    except OSError as error:
        raise SourceFormatError(path, None, f"cannot read the file: {error.strerror or error}") from error
    try:
        return _parse(path, _decode(data))
    except _Fail as fail:
        raise SourceFormatError(path, f"line {fail.line}", fail.reason) from None


def _decode(data: bytes) -> list[str]:
    """The file's lines without line ends (a UTF-8 byte-order mark is allowed and dropped)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _Fail(line, f"not UTF-8 text (byte 0x{data[error.start]:02x} cannot be decoded)") from None
    if "\x00" in text:
        raise _Fail(text[: text.index("\x00")].count("\n") + 1, "not a text file (contains a NUL character)")
    return [line.removesuffix("\r") for line in text.split("\n")]


def _parse(path: Path, lines: list[str]) -> Article:
    if not lines or lines[0].rstrip() != "---":
        raise _Fail(1, "the file must start with a '---' line opening the front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise _Fail(1, "the front matter opened on line 1 is not closed by a '---' line")
    fields, field_lines, value_nodes = _front_matter(lines[1:end], first_line=_FRONT_MATTER_LINE, closing_line=end + 1)

    article_id = _text_field(fields, field_lines, "id")
    if not _ID.fullmatch(article_id):
        raise _Fail(field_lines["id"], f"id {article_id!r} must be lowercase kebab-case (a-z, 0-9 and hyphens)")
    if article_id != path.stem:
        raise _Fail(field_lines["id"], f"id {article_id!r} must be the file name without .md ({path.stem!r})")

    title = _text_field(fields, field_lines, "title")
    if "\n" in title:
        raise _Fail(field_lines["title"], "title must be one line")
    if len(title) > MAX_TITLE:
        raise _Fail(field_lines["title"], f"title is {len(title)} characters long; at most {MAX_TITLE} are allowed")

    aliases = _aliases(fields["aliases"], field_lines["aliases"])
    codes, code_lines = _codes(value_nodes["codes"], fields["codes"], field_lines["codes"])

    specialty = fields["specialty"]
    if not isinstance(specialty, str) or specialty not in SPECIALTIES:
        raise _Fail(
            field_lines["specialty"],
            f"specialty {specialty!r} is not one of: {', '.join(SPECIALTIES)}",
        )
    reviewed = fields["last_reviewed"]
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        raise _Fail(field_lines["last_reviewed"], f"last_reviewed must be a date written YYYY-MM-DD, not {reviewed!r}")
    clinically_reviewed = fields["clinically_reviewed"]
    if not isinstance(clinically_reviewed, bool):
        raise _Fail(
            field_lines["clinically_reviewed"],
            f"clinically_reviewed must be true or false, not {clinically_reviewed!r}",
        )

    sections, word_count = _body(lines, end + 1)
    return Article(
        id=article_id,
        title=title,
        aliases=aliases,
        codes=MappingProxyType(codes),
        specialty=specialty,
        last_reviewed=reviewed,
        clinically_reviewed=clinically_reviewed,
        sections=sections,
        path=path,
        word_count=word_count,
        field_lines=MappingProxyType(field_lines),
        code_lines=MappingProxyType(code_lines),
    )


# ------------------------------------------------------------------------------------------------------
# Front matter
# ------------------------------------------------------------------------------------------------------


def _front_matter(
    lines: list[str], first_line: int, closing_line: int
) -> tuple[dict[str, Any], dict[str, int], dict[str, yaml.Node]]:
    """The fields (constructed values), the line of each and their YAML nodes; exactly FIELDS, each once."""
    loader = yaml.SafeLoader("\n".join(lines) + "\n")
    # Each field's value is built from its own node, so a bad value (an impossible date...) names its line.
    construct: Callable[[yaml.Node, bool], Any] = loader.construct_object
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = first_line + mark.line if mark is not None else first_line
            problem = error.problem or error.context or "cannot be read"
            raise _Fail(line, f"YAML error in the front matter: {problem}") from None
        except yaml.YAMLError as error:
            raise _Fail(first_line, f"YAML error in the front matter: {error}") from None
        if root is None:
            raise _Fail(first_line - 1, "the front matter is empty")
        if not isinstance(root, yaml.MappingNode):
            raise _Fail(first_line + root.start_mark.line, "the front matter must be 'field: value' lines")

        fields: dict[str, Any] = {}
        field_lines: dict[str, int] = {}
        nodes: dict[str, yaml.Node] = {}
        for key_node, value_node in root.value:
            line = first_line + key_node.start_mark.line
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise _Fail(line, "a front-matter field name must be a plain word")
            key = key_node.value
            if key not in FIELDS:
                hint = difflib.get_close_matches(key, FIELDS, n=1)
                raise _Fail(
                    line,
                    f"unknown field {key!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else f"; the fields are {', '.join(FIELDS)}"),
                )
            if key in fields:
                raise _Fail(line, f"field {key!r} is given twice (first on line {field_lines[key]})")
            try:
                fields[key] = construct(value_node, True)
            except yaml.MarkedYAMLError as error:
                mark = error.problem_mark or error.context_mark or value_node.start_mark
                raise _Fail(first_line + mark.line, f"YAML error in the front matter: {error.problem}") from None
            except (ValueError, TypeError, OverflowError) as error:
                # An impossible date such as 2026-02-30 gets this far as a timestamp.
                raise _Fail(first_line + value_node.start_mark.line, f"{key}: cannot be read ({error})") from None
            field_lines[key] = line
            nodes[key] = value_node
        for key in FIELDS:
            if key not in fields:
                raise _Fail(closing_line, f"the front matter has no {key!r} field")
        return fields, field_lines, nodes
    finally:
        dispose: Callable[[], object] = loader.dispose
        dispose()


def _text_field(fields: dict[str, Any], field_lines: dict[str, int], key: str) -> str:
    value = fields[key]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Fail(field_lines[key], f"{key} is empty")
    if not isinstance(value, str):
        raise _Fail(field_lines[key], f"{key} must be text, not {value!r} (put it in quotes)")
    if value != value.strip():
        raise _Fail(field_lines[key], f"{key} has leading or trailing spaces")
    return value


def _aliases(value: Any, line: int) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Fail(line, "aliases must be a list, such as [lap chole, gallbladder surgery]")
    for alias in value:
        if not isinstance(alias, str):
            raise _Fail(line, f"alias {alias!r} must be text (put it in quotes)")
        if not alias.strip():
            raise _Fail(line, "aliases must not be empty")
    return tuple(alias.strip() for alias in value)


def _codes(node: yaml.Node, value: Any, line: int) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[int, ...]]]:
    """Codes per system (all of CODE_SYSTEMS, as written) and the line of each code."""
    if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
        raise _Fail(line, f"codes must be a mapping of {', '.join(CODE_SYSTEMS)} to lists of codes")
    codes: dict[str, tuple[str, ...]] = {system: () for system in CODE_SYSTEMS}
    code_lines: dict[str, tuple[int, ...]] = {system: () for system in CODE_SYSTEMS}
    seen_systems: set[str] = set()
    for key_node, list_node in node.value:
        key_line = _FRONT_MATTER_LINE + key_node.start_mark.line
        system = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if system not in CODE_SYSTEMS:
            raise _Fail(key_line, f"unknown code set {system!r} under codes; use {', '.join(CODE_SYSTEMS)}")
        assert isinstance(system, str)
        if system in seen_systems:
            raise _Fail(key_line, f"code set {system!r} is given twice under codes")
        seen_systems.add(system)
        items = value.get(system)
        if items is None:
            items = []
        if not isinstance(items, list) or not isinstance(list_node, yaml.SequenceNode | yaml.ScalarNode):
            raise _Fail(key_line, f"codes {system} must be a list such as [A1234, B5678] ([] for none)")
        pattern, shape = _CODE_SHAPES[system]
        written: list[str] = []
        lines: list[int] = []
        item_nodes = list_node.value if isinstance(list_node, yaml.SequenceNode) else []
        for item, item_node in zip(items, item_nodes, strict=True):
            item_line = _FRONT_MATTER_LINE + item_node.start_mark.line
            raw = item_node.value if isinstance(item_node, yaml.ScalarNode) else repr(item)
            if not isinstance(item, str):
                raise _Fail(item_line, f'{system} code {raw} must be text: put it in quotes ("{raw}")')
            if not pattern.fullmatch(item):
                raise _Fail(item_line, f"{system} code {item!r} is not a valid code: expected {shape}")
            if item in written:
                raise _Fail(item_line, f"{system} code {item} is listed twice")
            written.append(item)
            lines.append(item_line)
        codes[system] = tuple(written)
        code_lines[system] = tuple(lines)
    if not any(codes.values()):
        raise _Fail(line, "the article links no code at all; give at least one under codes")
    return codes, code_lines


# ------------------------------------------------------------------------------------------------------
# Body
# ------------------------------------------------------------------------------------------------------


def _body(lines: list[str], closing_index: int) -> tuple[tuple[tuple[str, str], ...], int]:
    """The sections (heading, body) and the body word count; `closing_index` is the 0-based '---' line + 1."""
    headings: list[tuple[str, int]] = []  # (name, 0-based line index)
    for index in range(closing_index, len(lines)):
        match = _HEADING.fullmatch(lines[index])
        if match is None:
            previous = lines[index - 1] if index > closing_index else ""
            if _SETEXT_UNDERLINE.fullmatch(lines[index]) and previous.strip() and not _PLAIN_LINE.match(previous):
                raise _Fail(
                    index + 1,
                    "a line of '=' or '-' under text makes it a heading: only the 15 '## ' section headings "
                    "are allowed (leave a blank line before a '---' rule)",
                )
            continue
        level, text = len(match.group(1)), (match.group(2) or "").strip()
        line = index + 1
        if level == 2 and text in SECTIONS:
            headings.append((text, index))
            continue
        raise _Fail(line, _heading_problem(lines[index].strip(), level, text))

    if not headings:
        raise _Fail(closing_index + 1, "the article has no sections; the first must be '## Summary'")
    for index in range(closing_index, headings[0][1]):
        if lines[index].strip():
            raise _Fail(index + 1, "text before the first section heading ('## Summary')")

    first_seen: dict[str, int] = {}
    for name, index in headings:
        if name in first_seen:
            raise _Fail(index + 1, f"section '{name}' appears twice (first on line {first_seen[name]})")
        first_seen[name] = index + 1
    for position, name in enumerate(SECTIONS):
        if name in first_seen:
            continue
        later = next((first_seen[after] for after in SECTIONS[position + 1 :] if after in first_seen), None)
        if later is not None:
            raise _Fail(later, f"section '{name}' is missing: '## {name}' must come before this heading")
        raise _Fail(len(lines), f"section '{name}' is missing: '## {name}' must come at the end")
    for (name, index), expected in zip(headings, SECTIONS, strict=True):
        if name != expected:
            raise _Fail(index + 1, f"section '{name}' is out of order: '## {expected}' must come here")

    sections: list[tuple[str, str]] = []
    words = 0
    for position, (name, index) in enumerate(headings):
        stop = headings[position + 1][1] if position + 1 < len(headings) else len(lines)
        body_lines = lines[index + 1 : stop]
        body = "\n".join(body_lines).strip("\n")
        if not body.strip():
            raise _Fail(index + 1, f"section '{name}' is empty")
        if name == "Procedure":
            _check_steps(body_lines, index + 1)
        words += count_words(body)
        sections.append((name, body))
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise _Fail(
            headings[0][1] + 1,
            f"the article has {words} words; it must have {MIN_WORDS} to {MAX_WORDS} (headings not counted)",
        )
    return tuple(sections), words


def _heading_problem(written: str, level: int, text: str) -> str:
    if level == 2:
        exact = [name for name in SECTIONS if name.lower() == text.lower()]
        close = exact or difflib.get_close_matches(text, SECTIONS, n=1, cutoff=0.6)
        if close:
            return f"unknown section heading '{written}': did you mean '## {close[0]}'?"
        return f"unknown section heading '{written}': only the 15 standard '## ' section headings are allowed"
    return f"heading '{written}' is not allowed: only the 15 standard '## ' section headings may be used"


def _check_steps(body_lines: list[str], heading_line: int) -> None:
    numbers = [int(match.group(1)) for line in body_lines if (match := _NUMBERED_STEP.match(line))]
    if len(numbers) < 2 or numbers[0] != 1:
        raise _Fail(heading_line, "section 'Procedure' must give the steps as a numbered list ('1. ...', '2. ...')")
