"""Register and pin tables from a page's rows, as structured rows keyed by normalised column names.

Datasheet tables are column-aligned: a header row names the columns (Offset, Register, Bits, Reset,
Access, Description / Pin, Name, Type, Function), and each body row's cells start under their
header. So a table is found by its header (three or more cells matching one kind's vocabulary), the
header's phrase boxes give the column anchors, and body rows are read by where their phrases start.
A body row with only the last column filled continues the previous row's wrapped description. The
table ends at a paragraph gap or a row that fills fewer than two columns. Works alike on text-layer
words and OCR words, since both arrive as boxes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from literature.layout import Box, Row, phrases

# Column vocabulary per table kind: normalised name -> header pattern.
VOCABULARY: dict[str, dict[str, re.Pattern[str]]] = {
    "register": {
        "offset": re.compile(r"^(offset|address|addr)\b", re.I),
        "register": re.compile(r"^(register|reg(ister)? name|name|symbol)$", re.I),
        "bits": re.compile(r"^(bits?|field|bit field|width)$", re.I),
        "access": re.compile(r"^(access|r/w|rw|type|mode)$", re.I),
        "reset": re.compile(r"^(reset( value)?|default|init(ial)?( value)?)$", re.I),
        "description": re.compile(r"^(description|function|meaning)$", re.I),
    },
    "pin": {
        "pin": re.compile(r"^(pin( no\.?| number)?|ball|no\.?|#)$", re.I),
        "name": re.compile(r"^(name|pin name|signal)$", re.I),
        "type": re.compile(r"^(type|i/o|dir(ection)?)$", re.I),
        "function": re.compile(r"^(function|description|alternate functions?)$", re.I),
    },
}
# The column that gives a table its kind (a pin table has no offset, a register table no pin).
_KEY_COLUMN = {"register": "offset", "pin": "pin"}
MIN_HEADER_COLUMNS = 3
# A vertical gap of more than this many row heights ends the table.
MAX_ROW_GAP = 2.5


@dataclass
class ExtractedTable:
    kind: str
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    source_rows: list[int] = field(default_factory=list)  # indices of the page rows the table used


def _header(row: Row) -> tuple[str, list[str], list[Box]] | None:
    cells = phrases(row)
    if len(cells) < MIN_HEADER_COLUMNS:
        return None
    for kind, vocabulary in VOCABULARY.items():
        names = [next((n for n, p in vocabulary.items() if p.match(c.text.strip())), "") for c in cells]
        if sum(bool(n) for n in names) >= MIN_HEADER_COLUMNS and _KEY_COLUMN[kind] in names:
            return kind, [n or f"column{i}" for i, n in enumerate(names)], cells
    return None


def _assign(row: Row, anchors: list[Box], tolerance: float) -> dict[int, str]:
    """Column index -> cell text: each phrase goes to the last column whose anchor starts before it."""
    cells: dict[int, str] = {}
    for phrase in phrases(row):
        column = max((i for i, a in enumerate(anchors) if a.x0 - tolerance <= phrase.x0), default=0)
        cells[column] = f"{cells[column]} {phrase.text}" if column in cells else phrase.text
    return cells


def extract_tables(rows: list[Row]) -> list[ExtractedTable]:
    """Register and pin tables among the page's rows, top to bottom."""
    tables: list[ExtractedTable] = []
    index = 0
    while index < len(rows):
        found = _header(rows[index])
        if found is None:
            index += 1
            continue
        kind, names, anchors = found
        table = ExtractedTable(kind, names, source_rows=[index])
        tolerance, previous = rows[index].height, rows[index]
        index += 1
        while index < len(rows) and rows[index].y0 - previous.y1 <= MAX_ROW_GAP * previous.height:
            cells = _assign(rows[index], anchors, tolerance)
            if set(cells) == {len(anchors) - 1} and table.rows:
                last = names[-1]
                table.rows[-1][last] = f"{table.rows[-1].get(last, '')} {cells[len(anchors) - 1]}".strip()
            elif len(cells) >= 2:
                table.rows.append({names[c]: text for c, text in sorted(cells.items())})
            else:
                break
            table.source_rows.append(index)
            previous = rows[index]
            index += 1
        if table.rows:
            tables.append(table)
    return tables
