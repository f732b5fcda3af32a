"""Reading a document's pages: the PDF text layer where it is real, a raster for OCR where it is not.

A PDF is opened with PDFium (`pypdfium2`: page count, encryption and corruption errors in its own
words, rasterisation) and its text layer read with `pdfplumber` (pdfminer), whose characters carry
their advance widths and font names, which is what monospace detection needs. Images (PNG, JPEG,
TIFF...) are OCR pages by definition.

The per-page decision (`text_layer_verdict`): a text layer is used when it has enough characters
and they read as text. Scans have none; broken font encodings give `(cid:NN)` codes, private-use or
replacement characters, or mojibake tokens that are not words. The thresholds are below with why.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from PIL import Image, ImageSequence, UnidentifiedImageError

from literature.layout import Box
from literature.records import DocumentStatus

# Fewer characters than this on a page is no text layer (page numbers and running headers alone).
MIN_TEXT_CHARS = 40
# Above this share of unreadable characters ((cid:NN), private use, U+FFFD, controls) the layer is garbage.
MAX_BAD_CHARS = 0.05
# Below this share of word-like tokens among alphabetic ones the layer is mojibake; English technical
# prose and code both score above 0.8 (identifiers count as words), shifted encodings under 0.3.
MIN_WORDLIKE = 0.5
# A font whose glyph advances differ by less than this (relative) is monospace.
MONO_SPREAD = 0.03
# Words split where glyphs are further apart than this share of the font size: some PDFs
# (LaTeX, Sphinx) store no space characters at all, only the gap.
WORD_GAP_RATIO = 0.12
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".pbm", ".pgm", ".ppm"}
_CID = re.compile(r"\(cid:\d+\)")
_TOKEN = re.compile(r"[^\W\d_]{3,}")
_VOWELS = set("aeiouyAEIOUY")
_MONO_NAMES = re.compile(r"mono|courier|consol|code|typewriter|tt\d|txtt|menlo|inconsolata", re.I)


class DocumentError(Exception):
    """A document that cannot be read: `status` classifies it, the message is the library's own."""

    def __init__(self, status: DocumentStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TextLayer:
    """A page's text layer as word boxes (points), with the page text pdfminer reports."""

    boxes: list[Box]
    text: str


def garbage_ratio(text: str) -> float:
    """Share of unreadable characters in `text`: (cid:NN) codes, private use, replacement, controls."""
    cids = _CID.findall(text)
    rest = _CID.sub("", text)
    chars = [c for c in rest if not c.isspace()]
    bad = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cn", "Cc", "Cs"))
    return (bad + len(cids)) / max(len(chars) + len(cids), 1)


def wordlike_share(text: str) -> float:
    """Share of alphabetic tokens that look like words: mostly ASCII letters with a vowel."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return 1.0
    good = sum(
        1 for t in tokens if sum(c.isascii() for c in t) >= 0.8 * len(t) and any(c in _VOWELS for c in t)
    )
    return good / len(tokens)


def text_layer_verdict(text: str) -> tuple[bool, str]:
    """(use the text layer?, why), from the layer's own characters."""
    chars = sum(1 for c in text if not c.isspace())
    if chars < MIN_TEXT_CHARS:
        return False, f"no text layer ({chars} chars)"
    bad = garbage_ratio(text)
    if bad > MAX_BAD_CHARS:
        return False, f"garbage text layer ({bad:.0%} unreadable characters)"
    words = wordlike_share(text)
    if words < MIN_WORDLIKE:
        return False, f"garbage text layer ({words:.0%} word-like tokens)"
    return True, f"text layer ({chars} chars)"


def _monospace_fonts(chars: list[dict]) -> set[str]:
    """Fonts on the page whose glyphs all have one advance (checked over 5+ distinct glyphs), or named so."""
    widths: dict[str, dict[str, float]] = defaultdict(dict)
    for char in chars:
        if char["text"].strip() and char.get("upright", True):
            widths[char["fontname"]][char["text"]] = char["width"] / max(char["size"], 1e-6)
    mono = set()
    for font, per_glyph in widths.items():
        values = list(per_glyph.values())
        uniform = len(values) >= 5 and (max(values) - min(values)) / statistics.median(values) < MONO_SPREAD
        if uniform or _MONO_NAMES.search(font.split("+")[-1]):
            mono.add(font)
    return mono


def read_text_layer(page: pdfplumber.page.Page) -> TextLayer:
    """The page's words with their boxes and a monospace flag per word (from its font)."""
    mono_fonts = _monospace_fonts(page.chars)
    words = page.extract_words(
        x_tolerance_ratio=WORD_GAP_RATIO, keep_blank_chars=False, extra_attrs=["fontname", "size"]
    )
    boxes = [
        Box(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], 1.0, w["fontname"] in mono_fonts) for w in words
    ]
    return TextLayer(boxes, " ".join(w["text"] for w in words))


def _classify_pdfium(err: Exception) -> DocumentStatus:
    message = str(err).lower()
    if "password" in message or "security" in message:
        return DocumentStatus.ENCRYPTED
    return DocumentStatus.CORRUPT


@dataclass
class PdfPages:
    """An open PDF: page count, text layer per page, raster per page. Use as a context manager."""

    path: Path
    pdfium_doc: pdfium.PdfDocument
    plumber: pdfplumber.PDF

    @classmethod
    def open(cls, path: Path) -> PdfPages:
        if path.stat().st_size == 0:
            raise DocumentError(DocumentStatus.EMPTY, f"{path}: zero-byte file")
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as err:
            raise DocumentError(_classify_pdfium(err), f"{path}: {err}") from err
        if len(doc) == 0:
            doc.close()
            raise DocumentError(DocumentStatus.EMPTY, f"{path}: the PDF has no pages")
        try:
            plumber = pdfplumber.open(str(path))
        except Exception as err:  # pdfminer raises many unrelated types for one broken file
            doc.close()
            raise DocumentError(DocumentStatus.CORRUPT, f"{path}: {type(err).__name__}: {err}") from err
        return cls(path, doc, plumber)

    def __len__(self) -> int:
        return len(self.pdfium_doc)

    def text_layer(self, index: int) -> TextLayer:
        return read_text_layer(self.plumber.pages[index])

    def render(self, index: int, dpi: int) -> Image.Image:
        """The page as an RGB image at `dpi` (PDF points are 1/72 inch)."""
        return self.pdfium_doc[index].render(scale=dpi / 72).to_pil().convert("RGB")

    def close(self) -> None:
        self.plumber.close()
        self.pdfium_doc.close()

    def __enter__(self) -> PdfPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def image_frames(path: Path) -> Iterator[Image.Image]:
    """The frames of an image file (one for PNG/JPEG, several for a multi-page TIFF), as RGB."""
    if path.stat().st_size == 0:
        raise DocumentError(DocumentStatus.EMPTY, f"{path}: zero-byte file")
    try:
        with Image.open(path) as image:
            frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DocumentError(DocumentStatus.CORRUPT, f"{path}: {err}") from err
    yield from frames


def document_kind(path: Path) -> str:
    """pdf, image or unknown, from the file's first bytes (falling back to its suffix for images)."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "image"
    return "pdf" if path.suffix.lower() == ".pdf" else "unknown"
