"""Importers: public benchmark formats read into `Task` rows our backends verify and run.

`import_benchmark(format, path)` -> (tasks, report). Formats: `verilogeval` (v2 problem directories
or v1 JSON lines), `rtllm` (design directories), `kernelbench` (problem files; through the gpu
domain's own reader, when that domain is registered). Imported tasks are verified like synthesized
ones before they are stored: a benchmark's reference must pass its own testbench on our tools.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backends.domain import ImportReport
from schemas.artifacts import Task

STAGE = "benchmark_import"


class ImporterUnavailable(RuntimeError):
    """The format's target domain is not registered or cannot be imported here."""


Importer = Callable[[Path], tuple[list[Task], ImportReport]]


def importers() -> dict[str, Importer]:
    from synthesis.importers.kernelbench import import_kernelbench
    from synthesis.importers.rtllm import import_rtllm
    from synthesis.importers.verilogeval import import_verilogeval

    return {"verilogeval": import_verilogeval, "rtllm": import_rtllm, "kernelbench": import_kernelbench}


FORMATS = ("verilogeval", "rtllm", "kernelbench")
FORMAT_DOMAINS = {"verilogeval": "verilog", "rtllm": "verilog", "kernelbench": "gpu"}


def import_benchmark(name: str, path: Path) -> tuple[list[Task], ImportReport]:
    if name not in FORMATS:
        raise ValueError(f"unknown benchmark format {name!r}; known: {', '.join(FORMATS)}")
    if not path.exists():
        raise FileNotFoundError(f"{name} benchmark path {path} does not exist")
    return importers()[name](path)
