"""The literature the project makes: PDFs rendered from known listings, prose and tables
(`samples.py`), born-digital and scanned, plus the bad inputs a real crawl meets, and the truth to
score them against.

- born-digital: reportlab draws the text (Helvetica prose, Courier listings), so the text layer is real;
- scanned: the born-digital page rendered at 300 dpi in grey, rotated by a fraction of a degree,
  blurred, given sensor noise and speckle, downsampled to the scan DPI and stored as an image-only
  PDF (or a PNG "photo" of a page) -- there is no text layer;
- garbage text layer: the scan with an invisible text layer whose characters are shifted into
  Latin-1 symbols, as broken font encodings produce; the page must go to OCR despite its text;
- bad inputs: a password-protected PDF, a truncated PDF, a zero-byte file, a blank noisy image.

`truth.json` beside the files holds, per document and page, the page text, the listings (with the
verdict a correct reading must get) and the tables.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from literature.samples import DOCUMENTS, Code, Element, Table

MARGIN = 60.0
PROSE_FONT, PROSE_SIZE, PROSE_LEADING = "Helvetica", 10.0, 13.0
CODE_FONT, CODE_SIZE, CODE_LEADING = "Courier", 9.0, 11.0
# Space between elements: more than 3.6 code pitches centre to centre, so two listings in a row stay
# two listings (snippets.MAX_LISTING_GAP), and more than 1.6 prose pitches (layout.BLOCK_GAP).
ELEMENT_GAP = 34.0
SCAN_DPI = 200  # a typical office scan; the bench varies it
TRUTH_FILE = "truth.json"


def _table_columns(table: Table) -> list[float]:
    """Left x of each column: widest cell plus two spaces of padding."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    widths = [
        max(stringWidth(row[i], PROSE_FONT, PROSE_SIZE - 1) for row in (table.header, *table.rows))
        for i in range(len(table.header))
    ]
    lefts, x = [], MARGIN
    for width in widths:
        lefts.append(x)
        x += width + 18
    return lefts


def _draw(pdf: canvas.Canvas, element: Element, y: float) -> tuple[float, str]:
    """Draw one element with its top at `y`; (next y, the element's text as a reader should see it)."""
    if isinstance(element, Code):
        text = pdf.beginText(MARGIN, y - CODE_SIZE)
        text.setFont(CODE_FONT, CODE_SIZE)
        text.setLeading(CODE_LEADING)
        for line in element.text.splitlines():
            text.textLine(line)
        pdf.drawText(text)
        return y - CODE_LEADING * len(element.text.splitlines()), element.text
    if isinstance(element, Table):
        lefts = _table_columns(element)
        for row in (element.header, *element.rows):
            pdf.setFont("Helvetica-Bold" if row is element.header else PROSE_FONT, PROSE_SIZE - 1)
            for left, cell in zip(lefts, row, strict=True):
                pdf.drawString(left, y - PROSE_SIZE, cell)
            y -= PROSE_LEADING
        return y, "\n".join("  ".join(row) for row in (element.header, *element.rows))
    size = PROSE_SIZE + 4 if element.heading else PROSE_SIZE
    font = "Helvetica-Bold" if element.heading else PROSE_FONT
    lines = simpleSplit(element.text, font, size, A4[0] - 2 * MARGIN)
    pdf.setFont(font, size)
    for line in lines:
        pdf.drawString(MARGIN, y - size, line)
        y -= size * 1.3
    return y, "\n".join(lines)


def render_pdf(pages: list[list[Element]], encrypt: str | None = None) -> tuple[bytes, list[str]]:
    """(born-digital PDF bytes, each page's truth text)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    texts = []
    for page in pages:
        y, parts = A4[1] - MARGIN, []
        for element in page:
            y, text = _draw(pdf, element, y)
            parts.append(text)
            y -= ELEMENT_GAP
        texts.append("\n\n".join(parts))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue(), texts


def scan(pdf_bytes: bytes, dpi: int = SCAN_DPI, seed: int = 0) -> list[Image.Image]:
    """Each page as a noisy grey scan at `dpi`: 300-dpi render, skew, blur, noise, speckle, downsample."""
    rng = np.random.default_rng(seed)
    document = pdfium.PdfDocument(pdf_bytes)
    images = []
    for index in range(len(document)):
        page = document[index].render(scale=300 / 72).to_pil().convert("L")
        page = page.rotate(float(rng.uniform(-0.4, 0.4)), resample=Image.BICUBIC, fillcolor=255, expand=False)
        page = page.filter(ImageFilter.GaussianBlur(0.7))
        pixels = np.asarray(page, dtype=np.float32) + rng.normal(0, 14, (page.height, page.width))
        speckle = rng.random((page.height, page.width)) < 0.0008
        pixels[speckle] = rng.choice([0.0, 255.0], size=int(speckle.sum()))
        page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        images.append(page.resize((round(page.width * dpi / 300), round(page.height * dpi / 300)), Image.LANCZOS))
    document.close()
    return images


def image_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """Image-only PDF, byte-identical across builds (no dates), so reruns hit the stage cache."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi),
                   creationDate=None, modDate=None)
    return buffer.getvalue()


def mojibake(text: str) -> str:
    """Letters shifted into Latin-1 symbols, as a font without a usable encoding extracts."""
    return "".join(chr(0xC0 + (ord(c) % 48)) if c.isalnum() else c for c in text)


def garbage_layer_pdf(image: Image.Image, text: str, dpi: int) -> bytes:
    """The scan as the visible page, with an invisible (render mode 3) mojibake text layer over it."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    png = io.BytesIO()
    image.save(png, format="PNG")
    png.seek(0)
    from reportlab.lib.utils import ImageReader

    pdf.drawImage(ImageReader(png), 0, 0, width=A4[0], height=A4[1])
    layer = pdf.beginText(MARGIN, A4[1] - MARGIN)
    layer.setTextRenderMode(3)
    layer.setFont(PROSE_FONT, PROSE_SIZE)
    for line in text.splitlines():
        layer.textLine(mojibake(line))
    pdf.drawText(layer)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _truth(name: str, path: Path, pages: list[list[Element]], texts: list[str], scanned: bool) -> dict:
    return {
        "file": path.name,
        "document": name,
        "scanned": scanned,
        "pages": [
            {
                "text": text,
                "listings": [asdict(e) for e in page if isinstance(e, Code)],
                "tables": [asdict(e) for e in page if isinstance(e, Table)],
            }
            for page, text in zip(pages, texts, strict=True)
        ],
    }


def build_corpus(directory: Path, dpi: int = SCAN_DPI, seed: int = 0) -> list[Path]:
    """Write the bundled literature (good and bad inputs) and truth.json into `directory`; the files."""
    directory.mkdir(parents=True, exist_ok=True)
    truth, files = [], []

    def put(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        files.append(path)
        return path

    datasheet, texts = render_pdf(DOCUMENTS["cnt8-datasheet"])
    truth.append(_truth("cnt8-datasheet", put("cnt8-datasheet.pdf", datasheet), DOCUMENTS["cnt8-datasheet"],
                        texts, False))
    appnote, texts = render_pdf(DOCUMENTS["handshake-appnote"])
    pages = scan(appnote, dpi, seed)
    truth.append(_truth("handshake-appnote", put("handshake-appnote-scan.pdf", image_pdf(pages, dpi)),
                        DOCUMENTS["handshake-appnote"], texts, True))
    note, texts = render_pdf(DOCUMENTS["saxpy-note"])
    page = scan(note, dpi, seed + 1)[0]
    truth.append(_truth("saxpy-note", put("saxpy-note-garbage-layer.pdf", garbage_layer_pdf(page, texts[0], dpi)),
                        DOCUMENTS["saxpy-note"], texts, True))
    flow, texts = render_pdf(DOCUMENTS["toolflow-page"])
    photo = io.BytesIO()
    scan(flow, dpi, seed + 2)[0].save(photo, format="PNG", dpi=(dpi, dpi))
    truth.append(_truth("toolflow-page", put("toolflow-page.png", photo.getvalue()), DOCUMENTS["toolflow-page"],
                        texts, True))
    put("encrypted.pdf", render_pdf(DOCUMENTS["toolflow-page"], encrypt="secret")[0])
    put("truncated.pdf", datasheet[: len(datasheet) // 3])
    put("empty.pdf", b"")
    blank = np.clip(np.random.default_rng(seed).normal(245, 6, (800, 600)), 0, 255).astype(np.uint8)
    blank_png = io.BytesIO()
    Image.fromarray(blank).save(blank_png, format="PNG")
    put("blank-scan.png", blank_png.getvalue())
    (directory / TRUTH_FILE).write_text(json.dumps(truth, indent=1))
    return files


def load_truth(directory: Path) -> dict[str, dict]:
    """truth.json of a built corpus, by file name."""
    return {entry["file"]: entry for entry in json.loads((directory / TRUTH_FILE).read_text())}

