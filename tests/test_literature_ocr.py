"""OCR on a generated scan, per engine: the page text's CER, the listings' indentation, the decision
to OCR a page whose text layer is garbage. Real engines (PP-OCR via rapidocr, Tesseract) on a
200-dpi noisy scan of a page whose content is known."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from literature.accuracy import best_match, cer, indent_accuracy
from literature.corpus import garbage_layer_pdf, render_pdf, scan
from literature.engines import get_engine
from literature.ingest import IngestOptions, ingest_document, read_boxes
from literature.records import PagePath
from literature.samples import DOCUMENTS, Code

# Measured on this page (2-core machine): rapidocr CER ~0.01, tesseract ~0.03; the bounds leave room
# for noise-seed variation while still failing a broken reading path (a lost column costs > 0.1).
MAX_CER = {"rapidocr": 0.05, "tesseract": 0.08}
MIN_INDENT = {"rapidocr": 0.9, "tesseract": 0.9}


@pytest.fixture(scope="module")
def toolflow_scan() -> tuple[object, str, list[Code]]:
    pages = DOCUMENTS["toolflow-page"]
    pdf, texts = render_pdf(pages)
    return scan(pdf, 200)[0], texts[0], [e for e in pages[0] if isinstance(e, Code)]


@pytest.mark.parametrize("engine", ["rapidocr", "tesseract"])
def test_ocr_page_accuracy(engine: str, toolflow_scan: tuple) -> None:
    if engine == "tesseract" and shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")
    image, truth, listings = toolflow_scan
    reading = read_boxes(get_engine(engine).recognize(image, 200))
    assert cer(truth, reading.text) < MAX_CER[engine], reading.text
    codes = [listing.code for listing in reading.listings]
    for listing in listings:
        index, distance = best_match(listing.text, codes)
        assert distance < 0.1, (listing.language, codes)
        assert indent_accuracy(listing.text, codes[index]) >= MIN_INDENT[engine], codes[index]


def test_garbage_text_layer_goes_to_ocr(tmp_path: Path, toolflow_scan: tuple) -> None:
    image, truth, _ = toolflow_scan
    path = tmp_path / "garbage.pdf"
    path.write_bytes(garbage_layer_pdf(image, truth, 200))
    result = ingest_document(path, IngestOptions(engine="rapidocr", verify=False))
    (page,) = result.pages
    assert page.path is PagePath.OCR and page.reason.startswith("garbage text layer"), page.reason
    assert page.engine == "rapidocr" and cer(truth, page.text) < MAX_CER["rapidocr"]
    assert {s.language for s in result.snippets} == {"shell", "asm_x86", "triton"}
