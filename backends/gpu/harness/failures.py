"""Map what went wrong in a candidate to an outcome, keeping the tool's own words.

The classification reads exception types by name (so a CUDA-only candidate never needs Triton
imported) and, for errors that arrive as plain `RuntimeError`s (CUDA errors through PyTorch or
Triton's launcher, `load_inline` build failures), the message itself. The diagnostic is the
exception's own text; where the tool names a place in the candidate, a `candidate.py:LINE:` prefix
is added in compiler style, so a reader (or the perturb policy) can go to the line. Triton reports
lines relative to the kernel and nvcc relative to its generated `.cu` file; both are mapped back.

What the CPU path cannot run (CUDA sources, `device="cuda"`, a Triton feature the interpreter lacks)
is the candidate's RUNTIME_ERROR: the task says which path it runs on. INFRA_ERROR here is only the
harness's belief that its own code broke (an exception raised in its files); the worker never takes
it for an infrastructure failure from a process the candidate shares (`execute._judged`).
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

CANDIDATE = "candidate.py"

PASS = "PASS"
COMPILATION_ERROR = "COMPILATION_ERROR"
RUNTIME_ERROR = "RUNTIME_ERROR"
MEMORY_FAULT = "MEMORY_FAULT"
TEST_FAILURE = "TEST_FAILURE"
RESOURCE_EXCEEDED = "RESOURCE_EXCEEDED"
INFRA_ERROR = "INFRA_ERROR"

# Exception class names, wherever they are raised from (Triton's, this harness's own checks).
_BY_TYPE = {
    "SyntaxError": COMPILATION_ERROR,
    "IndentationError": COMPILATION_ERROR,
    "CompilationError": COMPILATION_ERROR,
    "CompileTimeAssertionFailure": COMPILATION_ERROR,
    "UnsupportedLanguageConstruct": COMPILATION_ERROR,
    "CudaBuildError": COMPILATION_ERROR,
    "OutOfResources": RESOURCE_EXCEEDED,
    "OutOfMemoryError": RESOURCE_EXCEEDED,
    "MemoryCheckError": MEMORY_FAULT,
    "RaceCheckError": TEST_FAILURE,
    # CUDA sources that compiled where no GPU can run them: the task runs on the CPU path, and code that
    # insists on CUDA there fails to run, as `device="cuda"` does ("Torch not compiled with CUDA enabled")
    "CudaNeedsGpu": RUNTIME_ERROR,
}
# CUDA's own error strings, as PyTorch ("CUDA error: ...") and Triton ("Triton Error [CUDA]: ...") relay them.
_MEMORY_MESSAGES = (
    "illegal memory access",
    "misaligned address",
    "an illegal instruction",
    "unspecified launch failure",
    "address out of bounds",
    "invalid program counter",
    "operation not supported on global/shared address space",  # a wild generic pointer (cudaErrorInvalidAddressSpace)
    "hardware stack error",
)
_RESOURCE_MESSAGES = (
    "out of resource",
    "too many resources requested for launch",
    "out of memory",
    "invalid configuration argument",
    "uses too much shared data",
    "exceeds the maximum",
)
_BUILD_MESSAGES = ("Error building extension", "Error compiling objects for extension")
# A plain exception raised inside these files is a bug of the harness, not of the candidate. Not the
# runner: a candidate with the wrong constructor signature fails right at the runner's call of it.
_HARNESS_FILES = ("checks.py", "interpret_check.py", "static_compile.py", "nvcc_check.py", "failures.py")
_NVCC_LOCATION = re.compile(r"(/\S+\.(?:cu|cpp|cuh|h))\((\d+)\): (?:error|warning)")
_GCC_LOCATION = re.compile(r"(/\S+\.(?:cu|cpp|cuh|h)):(\d+):\d+: (?:error|fatal error)")


class Failure(Exception):
    """A check that did not pass, already classified: `outcome` and the diagnostic text."""

    def __init__(self, outcome: str, diagnostic: str) -> None:
        super().__init__(diagnostic)
        self.outcome = outcome
        self.diagnostic = diagnostic


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _source_lines() -> list[str]:
    path = Path(CANDIDATE)
    return path.read_text().split("\n") if path.exists() else []


def _find_line(text: str, after: int = 0) -> int | None:
    """1-based line of the candidate whose stripped text is `text` (first match from `after`)."""
    wanted = text.strip()
    if len(wanted) < 3:
        return None
    for index, line in enumerate(_source_lines()[after:], start=after):
        if line.strip() == wanted:
            return index + 1
    return None


def _triton_line(exc: BaseException) -> int | None:
    """Triton numbers lines from the kernel's `def`; find that `def` in the candidate and add."""
    src, node = getattr(exc, "src", None), getattr(exc, "node", None)
    lineno = getattr(node, "lineno", None)
    if not src or not lineno:
        return None
    src_lines = src.split("\n")
    def_line = _find_line(src_lines[0])
    if def_line is None:
        return None
    offending = src_lines[lineno - 1] if lineno <= len(src_lines) else ""
    return _find_line(offending, after=def_line - 1) or def_line + lineno - 1


def _build_line(message: str) -> int | None:
    """nvcc/g++ name a line of the generated source; find the same text in the candidate."""
    for pattern in (_NVCC_LOCATION, _GCC_LOCATION):
        for path, line in pattern.findall(message):
            try:
                text = Path(path).read_text().split("\n")[int(line) - 1]
            except (OSError, IndexError):
                continue
            if (found := _find_line(text)) is not None:
                return found
    return None


def _traceback_line(exc: BaseException) -> int | None:
    """The innermost frame in the candidate, or where a syntax error points."""
    if isinstance(exc, SyntaxError) and str(exc.filename or "").endswith(CANDIDATE):
        return exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(CANDIDATE):
            return frame.lineno
    return None


def _raised_by_harness(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(frames[-1].filename).name in _HARNESS_FILES


def _outcome(chain: list[BaseException], message: str) -> str:
    for link in chain:
        if (outcome := _BY_TYPE.get(type(link).__name__)) is not None:
            return outcome
        if type(link).__name__ == "PTXASError":
            return RESOURCE_EXCEEDED if "too much" in str(link) else COMPILATION_ERROR
    if any(_raised_by_harness(link) for link in chain):  # also under Triton's InterpreterError wrapper
        return INFRA_ERROR
    if any(text in message for text in _BUILD_MESSAGES):
        return COMPILATION_ERROR
    if any(text in message for text in _MEMORY_MESSAGES):
        return MEMORY_FAULT
    if any(text in message for text in _RESOURCE_MESSAGES):
        return RESOURCE_EXCEEDED
    return RUNTIME_ERROR


def _text(exc: BaseException, outcome: str) -> str:
    """Compiler-like errors: their message. Everything else: the traceback's frames in the candidate
    (a harness failure: the whole traceback, for whoever fixes the harness)."""
    if outcome == INFRA_ERROR and not any(type(link).__name__ in _BY_TYPE for link in _chain(exc)):
        return "".join(traceback.format_exception(exc, limit=-8))
    if outcome in (COMPILATION_ERROR, RESOURCE_EXCEEDED, MEMORY_FAULT, TEST_FAILURE, INFRA_ERROR) and not isinstance(
        exc, SyntaxError
    ):
        root = next((link for link in _chain(exc) if type(link).__name__ in _BY_TYPE), exc)
        text = str(root)
        return text if text.startswith(f"{CANDIDATE}:") else f"{type(root).__name__}: {text}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(CANDIDATE)]
    if not frames:
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "Traceback (most recent call last):\n" + "".join(lines)


def classify(exc: BaseException) -> Failure:
    """The outcome and diagnostic for an exception raised by the candidate or by a check of it."""
    if isinstance(exc, Failure):
        return exc
    chain = _chain(exc)
    message = "\n".join(str(link) for link in chain)
    outcome = _outcome(chain, message)
    text = _text(exc, outcome)
    line = None
    for link in chain:
        line = _triton_line(link) or _traceback_line(link)
        if line is not None and type(link).__name__ not in ("MemoryCheckError", "RaceCheckError"):
            break
    if outcome == COMPILATION_ERROR:
        line = _build_line(message) or line
    if "candidate.py:" in text.split("\n", 1)[0]:
        line = None  # the check already named the place
    return Failure(outcome, f"{CANDIDATE}:{line}: {text}" if line else text)
