"""A printable HTML page as an editable Word document (.docx): headings, paragraphs, tables, figures.

The committee pack is rendered once, as HTML; this walks that page so the officer can edit the
same words in Word or LibreOffice. Only what the pack uses is mapped: h1–h3, p, table (with
caption), figure/img (data: PNG) and figcaption.
"""

from __future__ import annotations

import base64
import io
import re

import lxml.html
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_DIRECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from lxml.html import HtmlElement

# A4 with the pack's margins: 182 mm of text width, as in the HTML page.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM, MARGIN_MM = 210, 297, 14
FIGURE_WIDTH_MM = 178
TABLE_FONT_PT = 8.5
_DATA_PNG = re.compile(r"^data:image/png;base64,(?P<data>[A-Za-z0-9+/=]+)$")


def html_to_docx(page: str) -> bytes:
    """The page's headings, paragraphs, tables and figures as a .docx file's bytes."""
    root = lxml.html.document_fromstring(page)
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    right_to_left = (root.get("dir") or "") == "rtl"
    body = root.find("body")
    for element in body.iter() if body is not None else ():
        _add(document, element, right_to_left)
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


def _add(document: object, element: HtmlElement, right_to_left: bool) -> None:
    """One block of the page in the document (inline elements come with their block)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    alignment = WD_ALIGN_PARAGRAPH.RIGHT if right_to_left else None
    if tag in {"h1", "h2", "h3"}:
        heading = document.add_heading(_text(element), level=int(tag[1]) - 1 if tag != "h1" else 0)  # type: ignore[attr-defined]
        heading.alignment = alignment
        if (
            element.getparent() is not None
            and "new-page" in (element.getparent().get("class") or "")
            and tag == "h2"
        ):
            heading.paragraph_format.page_break_before = True
    elif tag in {"p", "figcaption"} and _text(element):
        paragraph = document.add_paragraph(_text(element))  # type: ignore[attr-defined]
        paragraph.alignment = alignment
        if "headline" in (element.get("class") or ""):
            for run in paragraph.runs:
                run.bold = True
    elif tag == "img":
        found = _DATA_PNG.match(element.get("src") or "")
        if found:
            picture = io.BytesIO(base64.b64decode(found["data"]))
            width = FIGURE_WIDTH_MM if "charts" not in _classes_above(element) else 86
            document.add_picture(picture, width=Mm(width))  # type: ignore[attr-defined]
    elif tag == "table":
        _add_table(document, element, right_to_left)


def _add_table(document: object, table: HtmlElement, right_to_left: bool) -> None:
    """An HTML table as a Word table with a repeated header row; its caption above it."""
    caption = table.find("caption")
    if caption is not None and _text(caption):
        label = document.add_paragraph(_text(caption))  # type: ignore[attr-defined]
        for run in label.runs:
            run.bold = True
    rows = [row for row in table.iter("tr")]
    if not rows:
        return
    width = max(len(row.findall("th") + row.findall("td")) for row in rows)
    word_table = document.add_table(rows=len(rows), cols=width)  # type: ignore[attr-defined]
    word_table.style = "Table Grid"
    if right_to_left:
        word_table.table_direction = WD_TABLE_DIRECTION.RTL
    for row, word_row in zip(rows, word_table.rows, strict=True):
        cells = [cell for cell in row if isinstance(cell.tag, str) and cell.tag in {"th", "td"}]
        for cell, word_cell in zip(cells, word_row.cells, strict=False):
            word_cell.text = _text(cell)
            for paragraph in word_cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(TABLE_FONT_PT)
                    run.bold = cell.tag == "th"
    if rows[0].getparent() is not None and rows[0].getparent().tag == "thead":
        _repeat_header(word_table.rows[0])
    document.add_paragraph()  # type: ignore[attr-defined]


def _repeat_header(row: object) -> None:
    """Mark a table's first row as the header Word repeats on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _classes_above(element: HtmlElement) -> str:
    """The classes of the element's ancestors, as one string."""
    return " ".join(parent.get("class") or "" for parent in element.iterancestors())


def _text(element: HtmlElement) -> str:
    """The element's text with runs of white space collapsed (bidi marks kept)."""
    return re.sub(r"\s+", " ", element.text_content()).strip()
