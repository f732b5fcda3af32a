"""Literature stage without OCR models: page decisions, layout, language id, real front ends, tables,
bad input, and a born-digital document read end to end from its text layer."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from literature.accuracy import cer, indent_accuracy, levenshtein
from literature.corpus import mojibake, render_pdf
from literature.engines import EngineUnavailable, PaddleOcrEngine
from literature.ingest import IngestOptions, ingest_document
from literature.layout import Box, Row, group_rows, split_blocks
from literature.pages import text_layer_verdict
from literature.records import DocumentStatus, PagePath, Verdict
from literature.samples import COUNTER_V, DOCUMENTS, PINS, REGISTERS, Code
from literature.snippets import identify_language
from literature.tables import extract_tables
from literature.verify import FRONT_ENDS, verify_snippet

SAMPLE_CODE = sorted(
    {e for doc in DOCUMENTS.values() for page in doc for e in page if isinstance(e, Code)}, key=lambda c: c.text
)


def _grid_boxes(text: str, pitch: float = 6.0, leading: float = 12.0, jitter: float = 0.0) -> list[Box]:
    """Word boxes of `text` set in a monospace grid, optionally with OCR-like position noise."""
    rng, boxes = random.Random(0), []
    for row, line in enumerate(text.splitlines()):
        column = 0
        for word in line.split(" "):
            if word:
                x0 = column * pitch + rng.uniform(-jitter, jitter)
                boxes.append(Box(word, x0, row * leading, x0 + len(word) * pitch, row * leading + 10))
            column += len(word) + 1
    return boxes


def test_text_layer_verdicts() -> None:
    prose = "The CNT8 peripheral is a synchronous up-counter with a programmable reload value. " * 3
    assert text_layer_verdict(prose) == (True, f"text layer ({sum(not c.isspace() for c in prose)} chars)")
    assert text_layer_verdict("  3  ")[1] == "no text layer (1 chars)"
    assert "unreadable" in text_layer_verdict("(cid:12)(cid:40)(cid:3) " * 20)[1]
    usable, reason = text_layer_verdict(mojibake(prose))
    assert not usable and "word-like" in reason


def test_grid_layout_rebuilds_indentation_and_columns() -> None:
    blocks = split_blocks(group_rows(_grid_boxes(COUNTER_V.text, jitter=1.5)))
    assert len(blocks) == 1
    assert blocks[0].grid_text() == COUNTER_V.text
    assert indent_accuracy(COUNTER_V.text, blocks[0].plain_text()) < 0.5  # plain text loses it


@pytest.mark.parametrize("code", SAMPLE_CODE, ids=lambda c: c.language)
def test_language_identification(code: Code) -> None:
    assert identify_language(code.text)[0] == code.language


@pytest.mark.parametrize("code", SAMPLE_CODE, ids=lambda c: f"{c.language}-{'ok' if c.valid else 'broken'}")
def test_front_end_verdicts(code: Code) -> None:
    check = verify_snippet(code.language, code.text)
    if shutil.which(FRONT_ENDS[code.language].tool) is None:
        assert check.verdict is Verdict.UNVERIFIABLE and "not installed" in check.message
        return
    assert check.verdict is (Verdict.VERIFIED if code.valid else Verdict.REJECTED), check.message
    assert check.tool_version
    if not code.valid:
        assert f"{FRONT_ENDS[code.language].file}:" in check.message  # the tool's own file:line


def test_fragments_verify_in_context_and_say_so() -> None:
    check = verify_snippet("c", "uint32_t x = 3;\nx += 1;")
    assert check.verdict is Verdict.VERIFIED and "wrapped in a function" in check.context
    assert verify_snippet("verilog", "module m; endmodule").context == ""


def test_tables_from_column_aligned_rows() -> None:
    lines = ["Offset  Register  Bits  Access  Reset  Description"]
    lines += ["0x00    CTRL      31:0  RW      0x0    Enable and", "                                       mode bits"]
    lines += ["0x04    STATUS    7:0   RO      0x1    Flags", "", "", "", "Unrelated prose line here."]
    tables = extract_tables(group_rows(_grid_boxes("\n".join(lines))))
    assert len(tables) == 1 and tables[0].kind == "register"
    assert tables[0].rows[0] == {
        "offset": "0x00", "register": "CTRL", "bits": "31:0", "access": "RW", "reset": "0x0",
        "description": "Enable and mode bits",
    }
    assert tables[0].rows[1]["description"] == "Flags" and len(tables[0].rows) == 2


def test_born_digital_document_from_its_text_layer(tmp_path: Path) -> None:
    pdf, texts = render_pdf(DOCUMENTS["cnt8-datasheet"])
    (tmp_path / "ds.pdf").write_bytes(pdf)
    result = ingest_document(tmp_path / "ds.pdf", IngestOptions(engine="tesseract"))
    assert result.document.status is DocumentStatus.OK and result.document.pages == 2
    assert [p.path for p in result.pages] == [PagePath.TEXT_LAYER] * 2
    for page, truth in zip(result.pages, texts, strict=True):
        assert cer(truth, page.text) < 0.01, page.text
    expected = [e for page in DOCUMENTS["cnt8-datasheet"] for e in page if isinstance(e, Code)]
    assert [(s.language, s.code, s.verdict) for s in result.snippets] == [
        (c.language, c.text, Verdict.VERIFIED) for c in expected
    ]
    assert all("monospace" in s.signals for s in result.snippets)
    by_kind = {kind: [r for r in result.table_rows if r.kind == kind] for kind in ("register", "pin")}
    assert [list(r.cells.values()) for r in by_kind["register"]] == [list(row) for row in REGISTERS.rows]
    assert [list(r.cells.values()) for r in by_kind["pin"]] == [list(row) for row in PINS.rows]


def test_bad_inputs_give_error_rows(tmp_path: Path) -> None:
    pdf, _ = render_pdf(DOCUMENTS["toolflow-page"], encrypt="secret")
    cases = {
        "locked.pdf": (pdf, DocumentStatus.ENCRYPTED, "password"),
        "cut.pdf": (render_pdf(DOCUMENTS["toolflow-page"])[0][:400], DocumentStatus.CORRUPT, "format"),
        "empty.pdf": (b"", DocumentStatus.EMPTY, "zero-byte"),
        "notes.txt": (b"just text", DocumentStatus.UNSUPPORTED, "neither a pdf"),
    }
    for name, (data, status, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        document = ingest_document(tmp_path / name).document
        assert (document.status, document.pages) == (status, 0), document
        assert words in document.error.lower() and name in document.error


def test_paddleocr_without_local_models_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORGE_PADDLEOCR_DET_DIR", raising=False)
    with pytest.raises(EngineUnavailable, match="FORGE_PADDLEOCR_DET_DIR"):
        PaddleOcrEngine()


def test_levenshtein_matches_the_textbook_recurrence() -> None:
    def textbook(a: str, b: str) -> int:
        previous = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            current = [i]
            for j, y in enumerate(b, 1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
            previous = current
        return previous[-1]

    rng = random.Random(1)
    for _ in range(200):
        a, b = ("".join(rng.choice("ab ;") for _ in range(rng.randint(0, 10))) for _ in range(2))
        assert levenshtein(a, b) == textbook(a, b)


def test_row_grouping_keeps_reading_order() -> None:
    boxes = [Box("b", 50, 0, 60, 10), Box("a", 0, 1, 10, 11), Box("c", 0, 20, 10, 30)]
    rows = group_rows(boxes)
    assert [[b.text for b in r.boxes] for r in rows] == [["a", "b"], ["c"]]
    assert isinstance(rows[0], Row)
