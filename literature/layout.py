"""Page geometry: word boxes to rows, rows to blocks, blocks to text with indentation rebuilt.

Both reading paths end here with the same thing, a list of word `Box`es: the PDF text layer gives
words with their glyph positions, an OCR engine gives recognised words with their pixel boxes. A
code listing's layout lives only in those positions (OCR output has no leading spaces, and many
PDFs store none either), so a listing line is rebuilt on a character grid: a word's column is its
left edge's distance from the block's left margin divided by the character advance. Monospace text
makes that exact; prose rows are joined with single spaces instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

# Two boxes share a row when their vertical centres are closer than this share of the row height.
ROW_OVERLAP = 0.5
# A vertical gap wider than this many median line pitches starts a new block (a paragraph break).
BLOCK_GAP = 1.6
# Word pairs needed to measure a block's character pitch from word spacing.
MIN_PITCH_PAIRS = 5
# Words closer than this share of the line height belong to one phrase (one table cell).
PHRASE_GAP = 0.8


@dataclass(frozen=True)
class Box:
    """One word: text and its box (x right, y down; points on the text layer, pixels from OCR).

    `mono` is True when the glyphs have one advance width (a monospace font), None when unknown (OCR).
    """

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0
    mono: bool | None = None

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def advance(self) -> float:
        """Width per character: a monospace font's pitch, an estimate elsewhere."""
        return (self.x1 - self.x0) / max(len(self.text), 1)


@dataclass
class Row:
    """Boxes on one text line, left to right."""

    boxes: list[Box] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(b.x0 for b in self.boxes)

    @property
    def y0(self) -> float:
        return min(b.y0 for b in self.boxes)

    @property
    def y1(self) -> float:
        return max(b.y1 for b in self.boxes)

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return statistics.median(b.height for b in self.boxes)

    @property
    def mono_share(self) -> float:
        """Share of characters set in a monospace font (0 when unknown)."""
        total = sum(len(b.text) for b in self.boxes)
        return sum(len(b.text) for b in self.boxes if b.mono) / max(total, 1)

    def plain(self) -> str:
        return " ".join(b.text for b in self.boxes)


@dataclass
class Block:
    """Consecutive rows without a paragraph gap between them (a paragraph, a listing, a table)."""

    rows: list[Row]

    @property
    def x0(self) -> float:
        return min(r.x0 for r in self.rows)

    @property
    def mono_share(self) -> float:
        chars = [sum(len(b.text) for b in r.boxes) for r in self.rows]
        return sum(r.mono_share * n for r, n in zip(self.rows, chars, strict=True)) / max(sum(chars), 1)

    def advance(self) -> float:
        """The block's character pitch. Neighbouring words in code are mostly one space apart, so
        the distance between their centres is (half of each word + 1) pitches: the median of that
        over word pairs is robust to OCR boxes hugging the ink, which makes width/len too small.
        Few pairs (prose-like or one-word rows): the median per-character width of longer words."""
        pairs = [
            (b.x0 + b.x1 - a.x0 - a.x1) / (len(a.text) + len(b.text) + 2)
            for row in self.rows
            for a, b in zip(row.boxes, row.boxes[1:], strict=False)
        ]
        if len(pairs) >= MIN_PITCH_PAIRS:
            return statistics.median(pairs)
        widths = [b.advance for r in self.rows for b in r.boxes if len(b.text) >= 3] or [
            b.advance for r in self.rows for b in r.boxes
        ]
        return statistics.median(widths)

    def line_pitch(self) -> float:
        """The usual distance between consecutive rows (a row's height for a one-row block)."""
        steps = [b.y_mid - a.y_mid for a, b in zip(self.rows, self.rows[1:], strict=False)]
        return statistics.median(steps) if steps else self.rows[0].height

    def grid_text(self) -> str:
        """The block on a character grid: indentation and column alignment from the box positions,
        and the blank lines a wider row gap stands for."""
        advance, pitch = self.advance(), self.line_pitch()
        left = min(_cell_start(b, advance) for r in self.rows for b in r.boxes)
        lines = [_grid_line(self.rows[0], left, advance)]
        for previous, row in zip(self.rows, self.rows[1:], strict=False):
            lines += [""] * max(round((row.y_mid - previous.y_mid) / pitch) - 1, 0)
            lines.append(_grid_line(row, left, advance))
        return "\n".join(lines)

    def plain_text(self) -> str:
        return "\n".join(r.plain() for r in self.rows)


def _cell_start(box: Box, advance: float) -> float:
    """Where the word's first character cell starts: its centre less half its cells. OCR boxes hug
    the ink, and a narrow first glyph ('.', '$', 'i') starts inside its cell, so the left edge
    alone misplaces such words by up to half a column; the centre is steadier."""
    return (box.x0 + box.x1) / 2 - len(box.text) * advance / 2


def _grid_line(row: Row, left: float, pitch: float) -> str:
    line = ""
    for box in row.boxes:
        column = max(round((_cell_start(box, pitch) - left) / pitch), 0)
        if line and column <= len(line):
            column = len(line) + 1  # never glue two words: the boxes say there was a gap
        line = line.ljust(column) + box.text
    return line


def group_rows(boxes: Sequence[Box]) -> list[Row]:
    """Boxes clustered into text lines by vertical centre, top to bottom, each left to right."""
    rows: list[Row] = []
    for box in sorted((b for b in boxes if b.text.strip()), key=lambda b: (b.y_mid, b.x0)):
        if rows and abs(box.y_mid - rows[-1].y_mid) < ROW_OVERLAP * max(rows[-1].height, box.height):
            rows[-1].boxes.append(box)
        else:
            rows.append(Row([box]))
    for row in rows:
        row.boxes.sort(key=lambda b: b.x0)
    return rows


def split_blocks(rows: Sequence[Row]) -> list[Block]:
    """Rows split into blocks at paragraph gaps and where monospace text starts or stops."""
    if not rows:
        return []
    pitches = [b.y_mid - a.y_mid for a, b in zip(rows, rows[1:], strict=False)]
    pitch = statistics.median(pitches) if pitches else rows[0].height
    blocks = [Block([rows[0]])]
    for previous, row in zip(rows, rows[1:], strict=False):
        gap = row.y_mid - previous.y_mid
        mono_switch = (previous.mono_share > 0.5) != (row.mono_share > 0.5)
        if gap > BLOCK_GAP * pitch or mono_switch:
            blocks.append(Block([row]))
        else:
            blocks[-1].rows.append(row)
    return blocks


def phrases(row: Row) -> list[Box]:
    """The row's words merged into phrases (table cells): a gap under PHRASE_GAP x height joins them."""
    merged: list[Box] = []
    for box in row.boxes:
        last = merged[-1] if merged else None
        if last is not None and box.x0 - last.x1 < PHRASE_GAP * max(last.height, box.height):
            merged[-1] = Box(
                f"{last.text} {box.text}", last.x0, min(last.y0, box.y0), box.x1, max(last.y1, box.y1),
                min(last.confidence, box.confidence), last.mono,
            )
        else:
            merged.append(box)
    return merged
