"""Replace or add whole sheets in an .xlsx package, leaving every other part's bytes alone.

An .xlsx is a zip of XML parts. Loading and saving it through openpyxl would drop the last
computed value of every formula, charts and images; here only the owned sheets' own parts
are written, plus their entries in `xl/workbook.xml`, `xl/_rels/workbook.xml.rels` and
`[Content_Types].xml` (edited as text, so their namespaces and prefixes stay as they were).
Cells are inline strings, numbers and booleans and carry no style: `sharedStrings.xml` is
never touched. An owned sheet's colours and bold are conditional formats whose `dxf`
entries are appended to `xl/styles.xml` (or found there from an earlier run): the entries
already there keep their place, so every index the team's tabs use means what it meant.
"""

from __future__ import annotations

import contextlib
import math
import posixpath
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = f"{RELATIONSHIPS_NS}/worksheet"
HYPERLINK_TYPE = f"{RELATIONSHIPS_NS}/hyperlink"
WORKSHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS_PART = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES_PART = "[Content_Types].xml"
STYLES_PART = "xl/styles.xml"
# Where <dxfs> goes among <styleSheet>'s children when the file has none (the schema's order).
AFTER_DXFS = ("tableStyles", "colors", "extLst")
# Characters XML 1.0 cannot carry at all; a sheet cell may hold them.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Cell = Any
Rows = Sequence[Sequence[Cell]]


class PackageError(ValueError):
    """The package is not one this module can edit safely (so a companion file is used)."""


@dataclass(frozen=True)
class Highlight:
    """A conditional format: cells of `ref` equal to `text` (any cell when None) take a
    background `fill` (hex RGB) and/or bold."""

    ref: str  # e.g. B2:B40
    text: str | None
    fill: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class SheetLook:
    """How an owned sheet looks: panes, widths and filter in its part, conditional formats
    whose styles (`dxf`) go to the workbook's styles."""

    frozen_rows: int = 0
    widths: tuple[int, ...] = ()  # characters per column, from A
    filter_ref: str | None = None  # e.g. A1:H40
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True)
class _SheetEntry:
    name: str
    relationship: str
    part: str  # zip path of the sheet's part, e.g. xl/worksheets/sheet3.xml


def replace_sheets(
    package: bytes,
    sheets: Mapping[str, Rows],
    links: Mapping[str, Mapping[str, str]],
    looks: Mapping[str, SheetLook] | None = None,
) -> dict[str, bytes]:
    """The parts of `package` with `sheets` (title → rows) replaced or added; others unchanged.

    `links` maps a title to {cell: in-workbook location} for clickable cells. Returns every
    part by name, in the package's order (new parts last).
    """
    parts = _read_parts(package)
    try:
        workbook = parts[WORKBOOK_PART].decode("utf-8")
        relationships = parts[WORKBOOK_RELS_PART].decode("utf-8")
        content_types = parts[CONTENT_TYPES_PART].decode("utf-8")
    except KeyError as missing:
        raise PackageError(f"not an Excel workbook package: no {missing}") from None
    except UnicodeDecodeError as error:
        raise PackageError(f"workbook parts not in UTF-8: {error}") from None
    if "</sheets>" not in workbook or "</Relationships>" not in relationships:
        raise PackageError("workbook parts in an unexpected form")
    existing = {entry.name: entry for entry in _sheet_entries(workbook, relationships)}
    styles = [
        (highlight.fill, highlight.bold)
        for look in (looks or {}).values()
        for highlight in look.highlights
    ]
    dxf_ids: dict[tuple[str | None, bool], int] = {}
    if styles and STYLES_PART in parts:  # a package without styles: no colours, nothing added
        # Styles this cannot edit safely: the tab goes without colours, the styles untouched.
        with contextlib.suppress(PackageError):
            parts[STYLES_PART], dxf_ids = with_dxfs(parts[STYLES_PART], styles)
    for title, rows in sheets.items():
        xml, rels = sheet_parts(rows, links.get(title, {}), (looks or {}).get(title), dxf_ids)
        entry = existing.get(title)
        if entry is not None:
            parts[entry.part] = xml
            _set_rels(parts, entry.part, rels)  # our sheet links only what it says
            continue
        part = _free_sheet_part(parts)
        relationship = _free_relationship_id(relationships)
        workbook = _add_sheet(workbook, title, relationship)
        relationships = relationships.replace(
            "</Relationships>",
            f'<Relationship Id="{relationship}" Type="{WORKSHEET_TYPE}"'
            f' Target="/{part}"/></Relationships>',
            1,
        )
        content_types = content_types.replace(
            "</Types>",
            f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT_TYPE}"/></Types>',
            1,
        )
        parts[part] = xml
        _set_rels(parts, part, rels)
    parts[WORKBOOK_PART] = workbook.encode("utf-8")
    parts[WORKBOOK_RELS_PART] = relationships.encode("utf-8")
    parts[CONTENT_TYPES_PART] = content_types.encode("utf-8")
    return parts


def write_package(parts: Mapping[str, bytes], handle: Any) -> None:
    """Write parts as a zip package (content types first, as Office does)."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def sheet_parts(
    rows: Rows,
    links: Mapping[str, str] | None = None,
    look: SheetLook | None = None,
    dxf_ids: Mapping[tuple[str | None, bool], int] | None = None,
) -> tuple[bytes, bytes | None]:
    """A worksheet part (text as inline strings, numbers as numbers, no cell styled) and its
    relationships part when a link points into another file (`tpm.xlsx#'Tab'!B5`).

    `dxf_ids` gives each (fill, bold) of the look's highlights its `dxf` in the workbook's
    styles; a highlight without one is left out."""
    look = look or SheetLook()
    links = links or {}
    external = {cell: target for cell, target in links.items() if not target.startswith("#")}
    ids = {cell: f"rIdLink{number}" for number, cell in enumerate(external, start=1)}
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}">',
    ]
    if look.frozen_rows > 0:
        lines.append(
            '<sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="{look.frozen_rows}" topLeftCell="A{look.frozen_rows + 1}"'
            ' activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        )
    if look.widths:
        columns = "".join(
            f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
            for index, width in enumerate(look.widths, start=1)
        )
        lines.append(f"<cols>{columns}</cols>")
    lines.append("<sheetData>")
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            _cell_xml(f"{get_column_letter(column)}{number}", value)
            for column, value in enumerate(row, start=1)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    lines.append("</sheetData>")
    if look.filter_ref:
        lines.append(f"<autoFilter ref={quoteattr(look.filter_ref)}/>")
    lines += _conditional_formats(look.highlights, dxf_ids or {})
    if links:
        anchors = "".join(
            f'<hyperlink ref={quoteattr(cell)} r:id="{ids[cell]}"/>'
            if cell in ids
            else f"<hyperlink ref={quoteattr(cell)} location={quoteattr(_xml_text(target[1:]))}/>"
            for cell, target in links.items()
        )
        lines.append(f"<hyperlinks>{anchors}</hyperlinks>")
    lines.append("</worksheet>")
    rels = None
    if external:
        targets = "".join(
            f'<Relationship Id="{ids[cell]}" Type="{HYPERLINK_TYPE}"'
            f' Target={quoteattr(_xml_text(target))} TargetMode="External"/>'
            for cell, target in external.items()
        )
        rels = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PACKAGE_RELS_NS}">{targets}</Relationships>'
        ).encode()
    return "".join(lines).encode(), rels


def _conditional_formats(
    highlights: Sequence[Highlight], dxf_ids: Mapping[tuple[str | None, bool], int]
) -> list[str]:
    """<conditionalFormatting> elements, one per highlight with a style, in priority order."""
    elements = []
    for priority, highlight in enumerate(
        (h for h in highlights if (h.fill, h.bold) in dxf_ids), start=1
    ):
        dxf = dxf_ids[(highlight.fill, highlight.bold)]
        if highlight.text is None:
            rule = f'<cfRule type="expression" dxfId="{dxf}" priority="{priority}"><formula>TRUE</formula></cfRule>'
        else:
            literal = '"' + _xml_text(highlight.text).replace('"', '""') + '"'
            rule = (
                f'<cfRule type="cellIs" dxfId="{dxf}" priority="{priority}" operator="equal">'
                f"<formula>{escape(literal)}</formula></cfRule>"
            )
        elements.append(
            f"<conditionalFormatting sqref={quoteattr(highlight.ref)}>{rule}</conditionalFormatting>"
        )
    return elements


def with_dxfs(
    styles: bytes, wanted: Sequence[tuple[str | None, bool]]
) -> tuple[bytes, dict[tuple[str | None, bool], int]]:
    """The styles part with a `dxf` for each (fill, bold) wanted, and each one's index.

    An identical `dxf` already there (an earlier run's) is reused; the others are appended
    after the existing ones, whose indexes stay as they were. Only `<dxfs>` changes.
    """
    try:
        text = styles.decode("utf-8")
        root = ElementTree.fromstring(text)
    except (UnicodeDecodeError, ElementTree.ParseError) as error:
        raise PackageError(f"styles part cannot be parsed: {error}") from None
    found = re.search(r"<(?:([A-Za-z_][\w.-]*):)?styleSheet\b", text)
    if found is None or root.tag != f"{{{MAIN_NS}}}styleSheet":
        raise PackageError("styles part in an unexpected form")
    prefix = f"{found.group(1)}:" if found.group(1) else ""
    block = root.find(f"{{{MAIN_NS}}}dxfs")
    known = [_canonical(element) for element in (block if block is not None else [])]
    ids: dict[tuple[str | None, bool], int] = {}
    added: list[str] = []
    for fill, bold in dict.fromkeys(wanted):
        xml = _dxf_xml(fill, bold, prefix)
        canonical = _canonical(ElementTree.fromstring(_dxf_xml(fill, bold, "x:", declare=True)))
        if canonical not in known:
            known.append(canonical)
            added.append(xml)
        ids[(fill, bold)] = known.index(canonical)
    if added:
        text = _append_dxfs(text, prefix, "".join(added), len(known))
    return text.encode("utf-8"), ids


def _dxf_xml(fill: str | None, bold: bool, prefix: str, *, declare: bool = False) -> str:
    """One differential format: bold and/or a solid background (as Excel writes them)."""
    p = prefix
    namespace = f' xmlns:{p[:-1]}="{MAIN_NS}"' if declare else ""
    font = f"<{p}font><{p}b/></{p}font>" if bold else ""
    background = (
        f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="FF{fill}"/>'
        f'<{p}bgColor rgb="FF{fill}"/></{p}patternFill></{p}fill>'
        if fill
        else ""
    )
    return f"<{p}dxf{namespace}>{font}{background}</{p}dxf>"


def _canonical(element: ElementTree.Element) -> str:
    """An element's canonical XML (C14N), whatever prefixes the file used."""
    return ElementTree.canonicalize(
        ElementTree.tostring(element, encoding="unicode"), strip_text=True
    )


def _append_dxfs(text: str, prefix: str, entries: str, count: int) -> str:
    """`entries` added at the end of <dxfs> (made where the schema puts it when missing)."""
    p = re.escape(prefix)
    closed = re.search(rf"</{p}dxfs\s*>", text)
    if closed is not None:
        text = text[: closed.start()] + entries + text[closed.start() :]
    else:
        empty = re.search(rf"<{p}dxfs\b[^>]*/>", text)
        if empty is not None:
            opening = empty.group()[:-2].rstrip() + ">"
            text = (
                text[: empty.start()] + opening + entries + f"</{prefix}dxfs>" + text[empty.end() :]
            )
        else:
            place = min(
                (m.start() for name in AFTER_DXFS if (m := re.search(rf"<{p}{name}\b", text))),
                default=text.rindex(f"</{prefix}styleSheet"),
            )
            text = (
                text[:place]
                + f'<{prefix}dxfs count="{count}">{entries}</{prefix}dxfs>'
                + text[place:]
            )
            return text
    return re.sub(
        rf'(<{p}dxfs\b[^>]*?)(\s+count="\d*")?(\s*>)',
        lambda m: f'{m.group(1)} count="{count}"{m.group(3)}',
        text,
        count=1,
    )


def _set_rels(parts: dict[str, bytes], part: str, rels: bytes | None) -> None:
    """Our sheet's relationships part: its external links, or none."""
    if rels is None:
        parts.pop(_rels_part_of(part), None)
    else:
        parts[_rels_part_of(part)] = rels


def _cell_xml(reference: str, value: Cell) -> str:
    """One cell; empty values are left out."""
    if value is None or (isinstance(value, str) and value == ""):
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    text = escape(_xml_text(value if isinstance(value, str) else str(value)))
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xml_text(text: str) -> str:
    return XML_ILLEGAL.sub("", text)


def _read_parts(package: bytes) -> dict[str, bytes]:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:  # RuntimeError: encrypted
        raise PackageError(f"not a readable zip package: {error}") from None


def _sheet_entries(workbook: str, relationships: str) -> list[_SheetEntry]:
    """Each sheet of the workbook with its part, read (never rewritten) through ElementTree."""
    try:
        book = ElementTree.fromstring(workbook)
        rels = ElementTree.fromstring(relationships)
    except ElementTree.ParseError as error:
        raise PackageError(f"workbook parts cannot be parsed: {error}") from None
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iter(f"{{{PACKAGE_RELS_NS}}}Relationship")
    }
    entries = []
    for sheet in book.iter(f"{{{MAIN_NS}}}sheet"):
        relationship = sheet.get(f"{{{RELATIONSHIPS_NS}}}id", "")
        target = targets.get(relationship)
        if target is None:
            raise PackageError(f"sheet {sheet.get('name')!r} has no part")
        entries.append(_SheetEntry(sheet.get("name", ""), relationship, _part_path(target)))
    return entries


def _part_path(target: str) -> str:
    """A relationship target of xl/workbook.xml as a zip path."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _rels_part_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return f"{folder}/_rels/{name}.rels"


def _free_sheet_part(parts: Mapping[str, bytes]) -> str:
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in parts:
        number += 1
    return f"xl/worksheets/sheet{number}.xml"


def _free_relationship_id(relationships: str) -> str:
    used = set(re.findall(r'Id="([^"]+)"', relationships))
    number = 1
    while f"rIdSuivi{number}" in used:
        number += 1
    return f"rIdSuivi{number}"


def _add_sheet(workbook: str, title: str, relationship: str) -> str:
    """The workbook part with one more <sheet> at the end of <sheets>.

    The element declares its own relationships prefix: files differ in where (and whether)
    the root declares one, and openpyxl declares it on each <sheet>.
    """
    ids = [int(found) for found in re.findall(r'\bsheetId="(\d+)"', workbook)]
    sheet_id = max(ids, default=0) + 1
    entry = (
        f'<sheet xmlns:r="{RELATIONSHIPS_NS}" name={quoteattr(title)}'
        f' sheetId="{sheet_id}" r:id="{relationship}"/>'
    )
    return workbook.replace("</sheets>", f"{entry}</sheets>", 1)
