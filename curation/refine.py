"""Refinement verification: normalize formatting, prove with the real front end that nothing else changed.

Normalization is layout only: LF line endings, no trailing blanks, at most two blank lines in a row,
one final newline (tabs are kept: Makefiles need them). A file whose normalized form is byte-equal
to its input needs no check. Otherwise its language's front end (`frontends.py`) reads both:
- it compiled before and not after: dropped, with the tool's own diagnostic;
- both compile but the compared form differs (a trailing blank inside a Python string literal is
  part of a value): the normalization is reverted, the file kept as it came;
- it did not compile before (a header that needs its include path): kept unnormalized, the
  diagnostic recorded, since the check cannot vouch for the change;
- no front end for the language (Makefiles, Tcl, linker scripts): normalized, recorded as unchecked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from curation.frontends import CHECKERS
from curation.records import CodeFile, RefineCheck

STAGE = "refine"
_BLANK_RUNS = re.compile(r"\n{4,}")


def normalize_layout(content: str) -> str:
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip(" \t\f\v") for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n\n", text).strip("\n") + "\n"


@dataclass
class RefineResult:
    kept: list[CodeFile]
    checks: list[RefineCheck]
    counts: dict[str, int] = field(default_factory=dict)


def _check(file: CodeFile) -> tuple[str, RefineCheck]:
    """(content to keep, the check record); a dropped file's record has kept=False."""
    after = normalize_layout(file.content)
    base = {"stage": STAGE, "parent_ids": [file.file_id], "file_id": file.file_id, "repo": file.repo,
            "path": file.path, "language": file.language}
    if after == file.content:
        return file.content, RefineCheck(**base, checker="", compiled_before=None, compiled_after=None,
                                         same_ast=None, changed=False, kept=True, reason="already normalized")
    if file.language not in CHECKERS:
        return after, RefineCheck(**base, checker="", compiled_before=None, compiled_after=None, same_ast=None,
                                  changed=True, kept=True, reason=f"normalized; no front end for {file.language}")
    checker, check = CHECKERS[file.language]
    before_result = check(file.content)
    if not before_result.compiled:
        return file.content, RefineCheck(
            **base, checker=checker, compiled_before=False, compiled_after=None, same_ast=None, changed=False,
            kept=True, reason="does not compile as it is: kept unnormalized", diagnostic=before_result.diagnostic)
    after_result = check(after)
    if not after_result.compiled:
        return "", RefineCheck(**base, checker=checker, compiled_before=True, compiled_after=False, same_ast=False,
                               changed=True, kept=False, reason="stopped compiling after normalization",
                               diagnostic=after_result.diagnostic)
    same = before_result.form == after_result.form
    reason = "normalized; same AST" if same else "normalization changed the AST: reverted"
    return (after if same else file.content), RefineCheck(
        **base, checker=checker, compiled_before=True, compiled_after=True, same_ast=same, changed=same, kept=True,
        reason=reason)


def refine(files: Sequence[CodeFile]) -> RefineResult:
    """Normalize and verify every file; the kept ones carry their final content."""
    kept, checks, reasons = [], [], Counter[str]()
    for file in files:
        content, record = _check(file)
        checks.append(record)
        reasons[record.reason] += 1
        if record.kept:
            kept.append(file.model_copy(update={"content": content, "stage": STAGE, "parent_ids": [file.file_id]}))
    counts = {"files in": len(files), "kept": len(kept), "dropped": len(files) - len(kept),
              **{f"{reason}": n for reason, n in sorted(reasons.items())}}
    return RefineResult(kept, checks, counts)
