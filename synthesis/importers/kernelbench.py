"""KernelBench problem files into GPU tasks, through the gpu domain's own reader.

KernelBench's format (`levelN/<id>_<Name>.py`: `Model`, `get_inputs()`, `get_init_inputs()`) is the
gpu domain's native problem format, so its task construction lives there
(`backends/gpu/importer.py`); this wrapper finds it through the domain registry, so the importer
works as soon as the gpu domain is registered and reports it clearly while it is not.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from backends.domain import domain_names
from schemas.artifacts import Task
from synthesis.importers import ImporterUnavailable, ImportReport

DOMAIN = "gpu"
READER = "backends.gpu.importer"


def import_kernelbench(path: Path) -> tuple[list[Task], ImportReport]:
    if DOMAIN not in domain_names():
        raise ImporterUnavailable(f"KernelBench problems are {DOMAIN} tasks and the {DOMAIN} domain is not registered")
    try:
        reader = importlib.import_module(READER)
    except ImportError as err:
        raise ImporterUnavailable(f"the {DOMAIN} domain's KernelBench reader cannot be imported: {err}") from err
    return reader.import_problems(path)
