"""OCR engines behind one interface: an RGB page image in, recognised words with their boxes out.

- `rapidocr` (default): PaddleOCR's PP-OCR detection and recognition models, shipped as ONNX inside
  the `rapidocr` wheel and run by onnxruntime, so it works offline with nothing to download.
- `paddleocr`: the PaddleOCR package itself, for sites that have its model directories locally
  (it ships no models and cannot fetch them offline): set FORGE_PADDLEOCR_DET_DIR and
  FORGE_PADDLEOCR_REC_DIR to the detection and recognition model folders.
- `tesseract`: Debian's tesseract-ocr, the fallback.

Every engine returns word boxes (`layout.Box`), because listing indentation and table columns are
rebuilt from word positions; an engine that only gives line boxes has them split into words at
character-proportional positions (`split_line`).
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from literature.layout import Box

PADDLE_DET_ENV = "FORGE_PADDLEOCR_DET_DIR"
PADDLE_REC_ENV = "FORGE_PADDLEOCR_REC_DIR"
DEFAULT_ENGINE = "rapidocr"


class EngineUnavailable(RuntimeError):
    """The engine cannot run here; the message says what to install or configure."""


class OcrEngine(Protocol):
    name: str

    def version(self) -> str: ...

    def recognize(self, image: Image.Image, dpi: int) -> list[Box]: ...


def split_line(text: str, x0: float, y0: float, x1: float, y1: float, confidence: float) -> list[Box]:
    """A recognised line's words, each placed at its character-proportional share of the line box."""
    pitch = (x1 - x0) / max(len(text), 1)
    boxes, start = [], 0
    for word in text.split(" "):
        if word:
            boxes.append(Box(word, x0 + start * pitch, y0, x0 + (start + len(word)) * pitch, y1, confidence))
        start += len(word) + 1
    return boxes


def _corners(points: object) -> tuple[float, float, float, float]:
    array = np.asarray(points, dtype=float).reshape(-1, 2)
    return float(array[:, 0].min()), float(array[:, 1].min()), float(array[:, 0].max()), float(array[:, 1].max())


@dataclass(frozen=True)
class RapidOcrConfig:
    """Knobs of the PP-OCR pipeline in rapidocr.

    det_limit_side_len / det_limit_type: the detector sees the page scaled so its longest side is 960
    px, PaddleOCR's own long-standing default; rapidocr's default (shortest side at least 736, no cap)
    runs the detector on the full 200-dpi page, ~5x slower on a 2-core machine for the same boxes.
    use_cls: the 0/180-degree angle classifier; rendered pages are upright, so it is off.
    text_score: lines recognised below this confidence are dropped (rapidocr's default).
    """

    det_limit_side_len: int = 960
    det_limit_type: str = "max"
    use_cls: bool = False
    text_score: float = 0.5

    def params(self) -> dict[str, object]:
        return {
            "Global.log_level": "warning",
            "Global.use_cls": self.use_cls,
            "Global.text_score": self.text_score,
            "Global.return_word_box": True,
            "Det.limit_side_len": self.det_limit_side_len,
            "Det.limit_type": self.det_limit_type,
        }


class RapidOcrEngine:
    """PP-OCR (det + rec ONNX models bundled in the rapidocr wheel) on onnxruntime."""

    name = "rapidocr"

    def __init__(self, config: RapidOcrConfig | None = None) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as err:
            raise EngineUnavailable(f"rapidocr is not installed ({err}): pip install rapidocr onnxruntime") from err
        self._engine = RapidOCR(params=(config or RapidOcrConfig()).params())

    def version(self) -> str:
        from importlib.metadata import version

        return f"rapidocr {version('rapidocr')} (PP-OCR ONNX, onnxruntime {version('onnxruntime')})"

    def recognize(self, image: Image.Image, dpi: int) -> list[Box]:
        result = self._engine(np.asarray(image.convert("RGB")))
        if result.txts is None:
            return []
        words = result.word_results or ()
        boxes: list[Box] = []
        for index, (line, score, points) in enumerate(zip(result.txts, result.scores, result.boxes, strict=True)):
            line_words = words[index] if index < len(words) else ()
            if line_words and all(len(w) == 3 for w in line_words):
                boxes += [Box(text, *_corners(pts), float(conf)) for text, conf, pts in line_words if text.strip()]
            else:
                boxes += split_line(line, *_corners(points), float(score))
        return boxes


class PaddleOcrEngine:
    """The paddleocr package on model directories present locally (FORGE_PADDLEOCR_{DET,REC}_DIR)."""

    name = "paddleocr"

    def __init__(self) -> None:
        dirs = {env: os.environ.get(env, "") for env in (PADDLE_DET_ENV, PADDLE_REC_ENV)}
        missing = [f"{env}={path or '(unset)'}" for env, path in dirs.items() if not path or not Path(path).is_dir()]
        if missing:
            raise EngineUnavailable(
                "paddleocr needs local model directories (it cannot download them offline): " + ", ".join(missing)
            )
        try:
            from paddleocr import PaddleOCR
        except ImportError as err:
            raise EngineUnavailable(f"paddleocr is not installed ({err}): pip install paddleocr paddlepaddle") from err
        self._engine = PaddleOCR(
            text_detection_model_dir=dirs[PADDLE_DET_ENV],
            text_recognition_model_dir=dirs[PADDLE_REC_ENV],
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
        )

    def version(self) -> str:
        from importlib.metadata import version

        return f"paddleocr {version('paddleocr')} (paddlepaddle {version('paddlepaddle')})"

    def recognize(self, image: Image.Image, dpi: int) -> list[Box]:
        boxes: list[Box] = []
        for page in self._engine.predict(np.asarray(image.convert("RGB"))):
            for text, score, poly in zip(page["rec_texts"], page["rec_scores"], page["rec_polys"], strict=True):
                boxes += split_line(text, *_corners(poly), float(score))
        return boxes


class TesseractEngine:
    """Debian's tesseract-ocr CLI; its TSV output gives one box per word (level 5 rows)."""

    name = "tesseract"

    def __init__(self, language: str = "eng", psm: int = 3, timeout_s: float = 120.0) -> None:
        self.language, self.psm, self.timeout_s = language, psm, timeout_s
        try:
            done = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
        except FileNotFoundError as err:
            raise EngineUnavailable("tesseract is not on PATH: apt-get install tesseract-ocr") from err
        self._version = (done.stdout or done.stderr).splitlines()[0].strip()

    def version(self) -> str:
        return self._version

    def recognize(self, image: Image.Image, dpi: int) -> list[Box]:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        argv = ["tesseract", "-", "stdout", "--dpi", str(dpi), "--psm", str(self.psm), "-l", self.language, "tsv"]
        done = subprocess.run(argv, input=buffer.getvalue(), capture_output=True, check=False, timeout=self.timeout_s)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
        boxes = []
        for line in done.stdout.decode(errors="replace").splitlines()[1:]:
            fields = line.split("\t")
            if len(fields) == 12 and fields[0] == "5" and fields[11].strip():
                left, top, width, height = (float(v) for v in fields[6:10])
                boxes.append(Box(fields[11], left, top, left + width, top + height, float(fields[10]) / 100))
        return boxes


ENGINES: dict[str, Callable[[], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "paddleocr": PaddleOcrEngine,
    "tesseract": TesseractEngine,
}


@functools.cache
def get_engine(name: str = DEFAULT_ENGINE) -> OcrEngine:
    """The named engine, built once per process (model loading is the slow part)."""
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose from {sorted(ENGINES)}")
    return ENGINES[name]()
