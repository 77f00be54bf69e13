"""ICD-10-PCS long titles composed from a code's seven axis values, worded the way the CMS order file words them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Axis(Protocol):
    """What a title needs of one character's meaning (db.sources.icd10pcs_tables.AxisValue has it)."""

    @property
    def axis_title(self) -> str: ...

    @property
    def label(self) -> str: ...


#: Labels that mean "nothing here": they never appear in a title.
ABSENT = frozenset({"No Device", "No Qualifier", "None", "No Method", "No Contrast"})

SIDE = re.compile(r"^(?P<rest>.+), (?P<side>Right|Left|Bilateral)$")
#: "Intraluminal Device, Two": CMS counts devices in front of the plural ("Two Intraluminal Devices").
COUNT = frozenset({"Two", "Three", "Four or More"})
#: A tail whose last word is one of these names a part or segment of what precedes it (or restates its noun) and
#: stays after it: "Stomach, Pylorus", "Hip Joint, Femoral Surface", "Coronary Artery, Two Arteries", "Thoracic
#: Aorta, Descending". So does a tail naming another tissue ("Skin, Subcutaneous Tissue and Fascia": a list).
PART_WORDS = frozenset({"Pylorus", "Surface", "Ascending/Arch", "Descending", "Confluence", "Artery", "Arteries"})
#: A device tail ending in one of these nouns is the device's own name: "Intraluminal Device, Airway" is an
#: "Airway", "Hearing Device, Multiple Channel Cochlear Prosthesis" a "Multiple Channel Cochlear Prosthesis".
DEVICE_NOUNS = frozenset({"Airway", "Prosthesis"})
#: Other tails ending in the name of an object ("Infusion Device, Pump", "Intraluminal Device, Flow Diverter"):
#: no sample shows how CMS reads them, and "Pump Infusion Device" would read worse than the label, so the label
#: is kept as it is.
OBJECT_NOUNS = frozenset({"Pump", "Valve", "Pessary", "Anchors", "Diverter", "Telescope", "Tether", "Implant"})
#: Device families whose comma tail is a kind of the family, read in front of it ("Ceramic Synthetic Substitute").
KIND_IN_FRONT = re.compile(r"(Device|Substitute|Generator)$")
#: Words of a tail that go first, as sides do ("Unicondylar Medial" reads "Medial Unicondylar").
FRONT_WORDS = frozenset({"Medial", "Lateral"})
#: Qualifiers naming how the operation is done, read "using ..." ("Destruction of Brain using Laser Interstitial
#: Thermal Therapy").
TECHNIQUE = re.compile(r"(Technique|Therapy|Balloon|Ablation|Electroporation|Retriever)$")
#: Qualifiers naming an anatomical site more exact than the body part: the title names the site instead
#: ("Occlusion of Hemorrhoidal Plexus" for body part Lower Vein, qualifier Hemorrhoidal Plexus).
SITE = re.compile(r"(Artery|Plexus|Arteriosus|Appendage)(, (Right|Left|Bilateral))?$")


def body_part_phrase(label: str) -> str:
    """An anatomical label as CMS titles read it: sides and modifiers go in front of the noun they qualify.

    "Hip Joint, Right" -> "Right Hip Joint"; "Skin, Left Ear" -> "Left Ear Skin"; "Ribs, 1 to 2" -> "1 to 2 Ribs";
    "Hip Joint, Femoral Surface, Left" -> "Left Hip Joint, Femoral Surface"; a list ("Tongue, Palate, Pharynx
    Muscle") and a part of the head ("Stomach, Pylorus") stay as they are.
    """
    side = SIDE.match(label)
    if side:
        return f"{side['side']} {body_part_phrase(side['rest'])}"
    pieces = label.split(", ")
    if len(pieces) != 2:
        return label
    head, tail = pieces
    if tail.split()[-1] in PART_WORDS or "Tissue" in tail:
        return label
    return f"{tail} {head}"


def _front(words: str) -> str:
    parts = words.split()
    return " ".join([w for w in parts if w in FRONT_WORDS] + [w for w in parts if w not in FRONT_WORDS])


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def device_phrase(label: str) -> str:
    """A device label as CMS titles read it.

    "Intraluminal Device, Drug-eluting, Three" -> "Three Drug-eluting Intraluminal Devices";
    "Synthetic Substitute, Unicondylar Medial" -> "Medial Unicondylar Synthetic Substitute";
    "Intraluminal Device, Airway" -> "Airway". Labels outside these patterns are kept as CMS labels them.
    """
    pieces = label.split(", ")
    head, tails = pieces[0], pieces[1:]
    if not tails:
        return label
    if tails[-1] in COUNT:
        kinds = " ".join(tails[:-1])
        return " ".join(filter(None, [tails[-1], kinds, _plural(head)]))
    if len(tails) == 1 and tails[0].split()[-1] in DEVICE_NOUNS:
        return tails[0]
    if len(tails) == 1 and tails[0].split()[-1] in OBJECT_NOUNS:
        return label
    if len(tails) == 1 and KIND_IN_FRONT.search(head) and " with " not in head:
        return f"{_front(tails[0])} {head}"
    return label


def approach_phrase(label: str) -> str:
    """'Open' -> 'Open Approach'; the 'Via ...' approaches read as they are ('Via Natural or Artificial Opening')."""
    return label if label.startswith("Via ") else f"{label} Approach"


@dataclass(frozen=True)
class Wording:
    """How one root operation is worded: the verb with its link to the body part, and where a device goes.

    `link` joins the operation to the body part ("of", "in", "at", "Bleeding in", "" for none); with
    `device_first`, the device comes between them ("Insertion of Spacer into Right Wrist Joint").
    """

    link: str = "of"
    device_first: str | None = None


#: Root operations (Medical and Surgical) whose wording differs from "<Operation> of <body part> with <device>".
WORDINGS: dict[str, Wording] = {
    "Change": Wording(link="", device_first="in"),
    "Insertion": Wording(device_first="into"),
    "Removal": Wording(device_first="from"),
    "Revision": Wording(device_first="in"),
    "Control": Wording(link="Bleeding in"),
    "Bypass": Wording(link=""),
    "Extirpation": Wording(link="of Matter from"),
    "Fragmentation": Wording(link="in"),
    "Detachment": Wording(link="at"),
    "Map": Wording(link=""),
    "Release": Wording(link=""),
    "Repair": Wording(link=""),
    "Reposition": Wording(link=""),
    "Supplement": Wording(link=""),
    "Transfer": Wording(link=""),
}
#: Operations whose qualifier is where the body part is joined to or made into ("Bypass A to B").
DESTINATION = frozenset({"Bypass", "Transfer"})
#: Qualifiers naming a part of the body part: they follow it, before the device ("Dilation of Coronary Artery,
#: One Artery, Bifurcation, with Two Intraluminal Devices").
PART_OF_BODY = frozenset({"Bifurcation"})


def _join(*words: str) -> str:
    return " ".join(word for word in words if word)


def medical_surgical_title(values: Sequence[Axis]) -> str:
    """The long title of a Medical and Surgical (section 0) code, per the wording of its root operation.

    The head names operation, body part and device; then come, comma-separated, a plain qualifier, the
    approach and "Diagnostic". Qualifiers that are a destination, a new body part, a more exact site, a
    technique or a part of the body part are worked into the head instead (see the constants above).
    """
    operation = values[2].label
    wording = WORDINGS.get(operation, Wording())
    body = body_part_phrase(values[3].label)
    device = "" if values[5].label in ABSENT else device_phrase(values[5].label)
    qualifier = "" if values[6].label in ABSENT else values[6].label
    diagnostic = qualifier == "Diagnostic"
    technique = part = trailing = ""
    if not qualifier or diagnostic:
        pass
    elif operation in DESTINATION:
        body = f"{body} to {body_part_phrase(qualifier)}"
    elif operation == "Creation":
        body = f"{body_part_phrase(qualifier)} in {body}"
    elif SITE.search(qualifier):
        body = body_part_phrase(qualifier)
    elif TECHNIQUE.search(qualifier):
        technique = f"using {qualifier}"
    elif qualifier in PART_OF_BODY:
        part = qualifier
    else:
        trailing = qualifier
    # "Repair Tongue" but "Repair of Upper Tooth, Single": a trailing qualifier brings the "of" back.
    link = "of" if trailing and not wording.link and not wording.device_first else wording.link
    if device and wording.device_first:
        head = _join(operation, link, device, wording.device_first, body)
    else:
        head = _join(operation, link, body) + (f", {part}" if part else "")
        if device:
            head += f"{',' if part else ''} with {device}"
    if technique:
        head += f", {technique}" if device else f" {technique}"
    tail = [trailing] if trailing else []
    return ", ".join([head, *tail, approach_phrase(values[4].label), *(["Diagnostic"] if diagnostic else [])])


def _side_first(label: str) -> str:
    side = SIDE.match(label)
    return f"{side['side']} {side['rest']}" if side else label


def generic_title(values: Sequence[Axis]) -> str:
    """Sections 1-X (no reference wording here): operation of body part with device, qualifier, approach."""
    operation = values[2].label
    body_part = _side_first(values[3].label) if values[3].axis_title == "Body Part" else values[3].label
    approach, device, qualifier = values[4], values[5], values[6]
    head = operation if body_part in ABSENT else f"{operation} of {body_part}"
    if device.label not in ABSENT:
        head += f" with {device.label}" if device.axis_title == "Device" else f", {device.label}"
    parts = [head]
    diagnostic = qualifier.label == "Diagnostic"
    if qualifier.label not in ABSENT and not diagnostic:
        parts.append(qualifier.label)
    if approach.axis_title == "Approach":
        parts.append(approach_phrase(approach.label))
    elif approach.label not in ABSENT:
        parts.append(approach.label)
    if diagnostic:
        parts.append("Diagnostic")
    return ", ".join(parts)


def long_title(values: Sequence[Axis], section: str) -> str:
    """The long title of one code from its seven axis values; `section` is its first character."""
    return medical_surgical_title(values) if section == "0" else generic_title(values)
