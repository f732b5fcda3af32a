"""What runs inside the sandbox: the checking runner and its helpers.

These modules are copied into each candidate's workspace and run there as plain scripts by the
sandboxed Python, beside `problem.py` (the PyTorch reference) and `candidate.py` (the code under
test). They import only the standard library, torch and triton, and each other by bare module name,
never anything of this project: the sandbox sees the Python packages, not our source tree.
"""

from pathlib import Path

HARNESS_DIR = Path(__file__).parent
HARNESS_FILES: tuple[str, ...] = (
    "runner.py",
    "checks.py",
    "failures.py",
    "interpret_check.py",
    "static_compile.py",
    "nvcc_check.py",
    "event_timer.py",
)
