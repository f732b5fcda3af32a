"""OCR engines side by side on the same generated pages: speed, CER, layout, snippet verification.

The pages are the generated literature (`literature/samples.py`: prose, listings in 11 languages,
register and pin tables), scanned at each DPI asked for (noise, blur, skew; `literature/corpus.py`).
Every engine reads the same images. The text layer of the born-digital originals is the reference
row (what a reader gets when the PDF has real text).

Columns: pages/s (wall clock; this machine is shared, so CPU s/page, which counts the engine's own
threads and Tesseract's child processes, is the steadier cost), CER (edits over all pages / truth
characters, whitespace-normalised), indent (share of listing lines whose indentation is exact),
found (truth listings recovered with CER < 0.1), language (recovered listings with the right
language), verified (recovered valid listings the real front end accepted), rejected (recovered
broken listings the front end refused).

    .venv/bin/python bench/ocr.py [--dpi 150 200 300] [--engines rapidocr tesseract paddleocr]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from literature.accuracy import best_match, indent_accuracy, levenshtein, normalise
from literature.corpus import render_pdf, scan
from literature.engines import EngineUnavailable, get_engine
from literature.ingest import PageReading, read_boxes
from literature.pages import PdfPages
from literature.records import Verdict
from literature.samples import DOCUMENTS, Code
from literature.verify import verify_snippet

FOUND_CER = 0.1


@dataclass
class Score:
    pages: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    edits: int = 0
    chars: int = 0
    indent: list[float] = field(default_factory=list)
    found: int = 0
    listings: int = 0
    language: int = 0
    valid_found: int = 0
    verified: int = 0
    broken_found: int = 0
    rejected: int = 0

    def add(self, reading: PageReading, truth: str, listings: list[Code], verify: bool) -> None:
        self.pages += 1
        self.edits += levenshtein(normalise(truth), normalise(reading.text))
        self.chars += len(normalise(truth))
        codes = [listing.code for listing in reading.listings]
        for code in listings:
            self.listings += 1
            index, distance = best_match(code.text, codes)
            if distance >= FOUND_CER:
                continue
            found = reading.listings[index]
            self.found += 1
            self.indent.append(indent_accuracy(code.text, found.code))
            self.language += found.language == code.language
            if verify:
                verdict = verify_snippet(found.language, found.code).verdict
                if code.valid:
                    self.valid_found += 1
                    self.verified += verdict is Verdict.VERIFIED
                else:
                    self.broken_found += 1
                    self.rejected += verdict is Verdict.REJECTED

    def row(self, name: str, dpi: str) -> list[str]:
        def share(n: int, d: int) -> str:
            return f"{n}/{d} ({n / d:.0%})" if d else "-"

        indent = sum(self.indent) / len(self.indent) if self.indent else 0.0
        return [
            name, dpi, str(self.pages), f"{self.pages / self.wall_s:.3f}", f"{self.cpu_s / self.pages:.2f}",
            f"{self.edits / max(self.chars, 1):.4f}", f"{indent:.3f}", share(self.found, self.listings),
            share(self.language, self.found), share(self.verified, self.valid_found),
            share(self.rejected, self.broken_found),
        ]


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def corpus_pages() -> list[tuple[bytes, int, str, list[Code]]]:
    """(born-digital PDF, page index, truth text, truth listings) for every generated page."""
    pages = []
    for document in DOCUMENTS.values():
        pdf, texts = render_pdf(document)
        pages += [
            (pdf, i, texts[i], [e for e in document[i] if isinstance(e, Code)]) for i in range(len(document))
        ]
    return pages


def _text_layer_score(pages: list, verify: bool, tmp: str) -> Score:
    score = Score()
    for n, (pdf, index, truth, listings) in enumerate(pages):
        path = Path(tmp) / f"page{n}.pdf"
        path.write_bytes(pdf)
        started, cpu = time.perf_counter(), _cpu()
        with PdfPages.open(path) as document:
            reading = read_boxes(document.text_layer(index).boxes)
        score.wall_s += time.perf_counter() - started
        score.cpu_s += _cpu() - cpu
        score.add(reading, truth, listings, verify)
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, nargs="+", default=[200])
    parser.add_argument("--engines", nargs="+", default=["rapidocr", "tesseract", "paddleocr"])
    parser.add_argument("--no-verify", action="store_true", help="skip the front ends (speed and CER only)")
    args = parser.parse_args()
    verify = not args.no_verify
    pages = corpus_pages()
    columns = ["reader", "dpi", "pages", "pages/s", "CPU s/page", "CER", "indent", "found", "language",
               "verified", "rejected"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [_text_layer_score(pages, verify, tmp).row("text layer (born-digital)", "-")]
    notes = []
    for dpi in args.dpi:
        images = [scan(pdf, dpi, seed=n)[index] for n, (pdf, index, _, _) in enumerate(pages)]
        for name in args.engines:
            try:
                engine = get_engine(name)
            except EngineUnavailable as err:
                notes.append(f"{name}: unavailable: {err}")
                continue
            engine.recognize(images[0], dpi)  # warm-up: model load and first-run allocation
            score = Score()
            for image, (_, _, truth, listings) in zip(images, pages, strict=True):
                started, cpu = time.perf_counter(), _cpu()
                reading = read_boxes(engine.recognize(image, dpi))
                score.wall_s += time.perf_counter() - started
                score.cpu_s += _cpu() - cpu
                score.add(reading, truth, listings, verify)
            rows.append(score.row(f"{name}: {engine.version()}", str(dpi)))
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
