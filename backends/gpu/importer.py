"""Read a directory of KernelBench problem files into GPU Task rows.

KernelBench's layout: `KernelBench/level1/19_ReLU.py`, `level2/...`, one reference module per file
(`Model`, `get_inputs()`, `get_init_inputs()`, shapes as module constants). The level comes from the
`levelN` directory, the problem id and name from the file name. KernelBench ships no solutions, so
an imported task's `reference` is the reference itself as `ModelNew` (PyTorch eager: correct, with a
speedup of about 1), which any kernel is measured against. The tolerance is KernelBench's own
(atol = rtol = 1e-2, for every problem); there are no small shapes, so the CPU path runs the
problem at its own sizes (the interpreter may be slow on the larger ones).
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

from backends.domain import ImportReport
from backends.gpu.task import NotAKernelBenchProblem, make_task
from schemas.artifacts import Task

log = logging.getLogger(__name__)

STAGE = "kernelbench_import"
KERNELBENCH_TOLERANCE = "0.01"
_PROBLEM_FILE = re.compile(r"^(\d+)_(\w+)\.py$")
_LEVEL_DIR = re.compile(r"^level(\d+)$")
EAGER_SOLUTION = '\n\nclass ModelNew(Model):\n    """The reference itself, run eagerly by PyTorch."""\n'


def _docstring(source: str) -> str:
    tree = ast.parse(source)
    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
    doc = ast.get_docstring(model) if model else None
    return " ".join(doc.split()) if doc else ""


def task_from_file(path: Path) -> Task:
    """One problem file as a task; raises NotAKernelBenchProblem or SyntaxError for other files."""
    found = _PROBLEM_FILE.match(path.name)
    if found is None:
        raise NotAKernelBenchProblem(f"{path.name}: not named <id>_<Name>.py")
    level_dir = _LEVEL_DIR.match(path.parent.name)
    level = level_dir.group(1) if level_dir else "0"
    source = path.read_text()
    name = found.group(2)
    spec = _docstring(source) or f"KernelBench level {level} problem {found.group(1)}: {name.replace('_', ' ')}."
    environment = {
        "dtype": "float32",
        "atol": KERNELBENCH_TOLERANCE,
        "rtol": KERNELBENCH_TOLERANCE,
        "level": level,
        "small_shapes": "{}",
        "reference_kind": "pytorch-eager",
        "source_file": f"level{level}/{path.name}",
    }
    params = {"problem": name, "level": level, "problem_id": found.group(1)}
    family = f"kernelbench_level{level}"  # as the seed families group problems, not one family per problem
    return make_task(family, params, spec, source, source.rstrip() + "\n" + EAGER_SOLUTION, environment, STAGE)


def import_problems(root: Path) -> tuple[list[Task], ImportReport]:
    """Every problem file under `root` (recursively), in path order, and the counts."""
    report = ImportReport()
    tasks = []
    for path in sorted(root.rglob("*.py")):
        report.seen += 1
        try:
            tasks.append(task_from_file(path))
        except NotAKernelBenchProblem as err:
            report.skipped["not a KernelBench problem"] += 1
            log.info("skipped %s: %s", path, err)
        except (SyntaxError, UnicodeDecodeError) as err:
            report.skipped["unreadable Python"] += 1
            log.info("skipped %s: %s", path, err)
    report.imported = len(tasks)
    return tasks, report
