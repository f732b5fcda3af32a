"""The CAD harness for one candidate, in a sandbox (started by `execute.py`).

It runs in a directory holding `part.py` (the candidate), `reference.py` (the golden script) and
`harness.json` (thresholds), next to `measure.py`. Two ways in: one-shot,
`python -S -B runner.py SITE_PACKAGES TIMEOUT_S` imports CadQuery (`prepare`), runs the candidate
(`run`) and writes `report.json`; warm, `server.py` has imported once and calls `run` in a fresh fork
per job, the report going back through a pipe. Only the standard library is imported at module
level, so the host can read the constants below without importing CadQuery.

Why this shape:
- CadQuery is imported before the candidate runs (~4 CPU-s; per job one-shot, per server warm), then
  the candidate runs in a forked child. The fork keeps the harness honest and alive: the candidate
  cannot patch the measuring code or see the reference solid (built by the parent only after the
  fork), an OCC crash or hang ends the child, not the harness, and the per-candidate wall limit
  (the request's `timeout_s`) counts the script alone, not the import. The child hands its solid
  over as a BREP file (exact geometry).
- The reference is built by running the golden script here, in the same sandbox and the same
  CadQuery, rather than read from a stored STEP: a STEP round trip re-approximates some surfaces,
  and the golden script is short. The parent reads and deletes `reference.py` after the fork and
  makes itself non-dumpable, so the candidate cannot read the golden from disk or memory.
- Nothing the candidate starts outlives its script: the harness is the subreaper of everything the
  candidate forks (a daemon in its own session included) and kills all of it (`kill_descendants`)
  before it judges the solid and writes the report, so no leftover process can swap the solid, the
  exports or `report.json`.
- Diagnostics: Python's own traceback (from the candidate's first frame) under a compiler-style
  `part.py:LINE: Type: message` first line, so a repair can find the line; the harness's own words
  only for what no tool says (no solid, invalid solid, geometry differs, too slow).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import time
import traceback

CANDIDATE = "part.py"
REFERENCE = "reference.py"
HARNESS = "harness.json"
REPORT = "report.json"
STEP = "part.step"
STL = "part.stl"
_CHILD_REPORT = "candidate.json"
_CHILD_SOLID = "candidate.brep"
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
# The one-shot harness's exit status when CadQuery cannot be imported. That happens before the
# candidate exists, and nothing else in the harness exits with it, so the worker may read it as the
# backend's failure (INFRA_ERROR); every other report-less end is the candidate's doing.
IMPORT_FAILED_STATUS = 3


def signal_name(number: int) -> str:
    """SIGSEGV and the like; a number for the signals Python has no name for (real-time ones)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def located(error: BaseException, filename: str = CANDIDATE) -> str:
    """`file:line: Type: message` for the deepest frame in `filename`, then the traceback from the
    first such frame (the harness's own frames are not the candidate's business)."""
    line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    walk = tb
    while walk is not None:
        if walk.tb_frame.f_code.co_filename == filename:
            line = walk.tb_lineno
        walk = walk.tb_next
    text = error.msg if isinstance(error, SyntaxError) else str(error)  # str() of a SyntaxError repeats the place
    message = text.strip().splitlines()[0] if text.strip() else ""
    header = f"{filename}:{line}: {type(error).__name__}: {message}" if line else ""
    body = "".join(traceback.format_exception(type(error), error, tb)).strip()
    return f"{header}\n{body}".strip()


def _classify(error: BaseException) -> str:
    if isinstance(error, MemoryError) or "OutOfMemory" in type(error).__name__:
        return "RESOURCE_EXCEEDED"
    if isinstance(error, ImportError):
        return "COMPILATION_ERROR"
    return "RUNTIME_ERROR"


def _write_json(path: str, payload: dict) -> None:
    with open(f"{path}.tmp", "w") as handle:
        json.dump(payload, handle)
    os.replace(f"{path}.tmp", path)


def _child(code: object, gate: int, private_fds: tuple[int, ...]) -> None:
    """Run the candidate, hand over its solid; never returns."""
    import measure

    status = {"outcome": "PASS", "diagnostic": ""}
    try:
        for fd in private_fds:  # the harness's own channels are not the candidate's to write
            os.close(fd)
        os.setpgid(0, 0)
        os.read(gate, 1)  # wait until the parent has removed the golden script
        namespace = {"__name__": "__main__", "__file__": CANDIDATE}
        exec(code, namespace)  # noqa: S102 - this is the sandboxed candidate, by design
        if "result" not in namespace:
            raise measure.NoSolid(f"{CANDIDATE} assigns no variable `result`: assign the finished part to it")
        measure.solid_of(namespace["result"]).exportBrep(_CHILD_SOLID)
    except measure.NoSolid as error:
        status = {"outcome": "TEST_FAILURE", "diagnostic": str(error)}
    except BaseException as error:  # noqa: BLE001 - everything the candidate raises is its result
        status = {"outcome": _classify(error), "diagnostic": located(error)}
    _write_json(_CHILD_REPORT, status)
    sys.stdout.flush()
    os._exit(0)


def _wait(pid: int, timeout_s: float) -> tuple[int | None, int]:
    """(exit status or None on timeout, peak RSS in KiB) of the child; kills its group either way."""
    deadline = time.monotonic() + timeout_s
    status, usage = None, None
    while time.monotonic() < deadline:
        done, raw, usage = os.wait4(pid, os.WNOHANG)
        if done:
            status = raw
            break
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):  # the group outlives a child that spawned and left
        os.killpg(pid, signal.SIGKILL)
    if status is None:
        _, _, usage = os.wait4(pid, 0)
    return status, usage.ru_maxrss if usage else 0


def become_subreaper() -> None:
    """Adopt every orphan among our descendants (not inherited across fork: each harness process
    that forks candidates sets it), so `kill_descendants` finds what a double fork or setsid hid."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    return found


def kill_descendants() -> None:
    """SIGKILL and reap every descendant of this process (a subreaper: `become_subreaper`). Round by
    round until none is left: the children of a process killed mid-fork come back to us, and the
    sandbox's process limit bounds how many a fork bomb can make meanwhile."""
    while True:
        found, stack = [], [os.getpid()]
        while stack:
            children = _children(stack.pop())
            found += children
            stack += children
        if not found:
            return
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.001)


def _build_reference(source: str) -> object:
    import measure

    namespace = {"__name__": "__main__", "__file__": REFERENCE}
    exec(compile(source, REFERENCE, "exec"), namespace)  # noqa: S102 - the trusted golden script
    return measure.solid_of(namespace["result"])


def _mismatch(metrics: dict[str, float], iou_min: float) -> str:
    """Why the candidate's geometry fails, with the numbers; empty when it matches."""
    reasons = []
    if metrics["solids"] != metrics["ref_solids"]:
        reasons.append(f"result has {metrics['solids']:.0f} solid(s), the reference {metrics['ref_solids']:.0f}")
    if metrics["iou"] < iou_min:
        reasons.append(f"volumetric IoU {metrics['iou']:.4f} < {iou_min}")
    if metrics["hausdorff_mm"] > metrics["hausdorff_tolerance_mm"]:
        reasons.append(f"Hausdorff distance {metrics['hausdorff_mm']:.3f} mm > "
                       f"{metrics['hausdorff_tolerance_mm']:.3f} mm")  # fmt: skip
    if not reasons:
        return ""

    def describe(prefix: str) -> str:
        m = {k.removeprefix(prefix): v for k, v in metrics.items() if k.startswith(prefix)}
        return (f"volume {m['volume']:.2f} mm3, area {m['area']:.2f} mm2, bbox x [{m['bbox_xmin']:.2f}, "
                f"{m['bbox_xmax']:.2f}] y [{m['bbox_ymin']:.2f}, {m['bbox_ymax']:.2f}] "
                f"z [{m['bbox_zmin']:.2f}, {m['bbox_zmax']:.2f}]")  # fmt: skip

    return "\n".join([
        "geometry differs from the reference: " + "; ".join(reasons),
        f"IoU {metrics['iou']:.4f} (intersection {metrics['intersection_volume']:.2f} mm3), "
        f"Chamfer {metrics['chamfer_mm']:.3f} mm, Hausdorff {metrics['hausdorff_mm']:.3f} mm",
        f"candidate: {describe('')}",
        f"reference: {describe('ref_')}",
    ])  # fmt: skip


def _judge(reference: object, iou_min: float, metrics: dict[str, float]) -> tuple[str, str]:
    """Validate, export and compare the child's solid; fills `metrics`; returns (outcome, diagnostic)."""
    import cadquery as cq
    import measure

    if not os.path.exists(_CHILD_SOLID):
        return "TEST_FAILURE", f"{CANDIDATE} produced no solid"
    shape = cq.Shape.importBrep(_CHILD_SOLID)
    metrics |= measure.properties(shape) | measure.properties(reference, "ref_")
    problems = measure.defects(shape)
    metrics["valid"] = float(not problems)
    if problems:
        return "TEST_FAILURE", "result solid is not valid: " + "; ".join(problems)
    started = time.monotonic()
    measure.mesh(shape, measure.deflection(shape, reference))  # the comparison's mesh, made once
    measure.write_stl(shape, STL)
    _export_step(shape)
    metrics["export_s"] = time.monotonic() - started
    started = time.monotonic()
    try:
        metrics |= measure.overlap(shape, reference) | measure.surface_distances(shape, reference)
    except Exception as error:  # noqa: BLE001 - a valid solid OCC cannot compare is not accepted, and
        # must not count as a broken backend (INFRA_ERROR is retried, then fails the whole batch)
        return "TEST_FAILURE", f"comparing the solid with the reference failed: {type(error).__name__}: {error}"
    metrics["compare_s"] = time.monotonic() - started
    diagnostic = _mismatch(metrics, iou_min)
    return ("TEST_FAILURE" if diagnostic else "PASS"), diagnostic


def _export_step(shape: object) -> None:
    """STEP AP214 in mm with a fixed header time stamp and product name, so equal solids give equal bytes."""
    from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
    from OCP.Interface import Interface_Static
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
    from OCP.TCollection import TCollection_HAsciiString

    writer = STEPControl_Writer()
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    Interface_Static.SetCVal_s("write.step.product.name", "part")
    writer.Transfer(shape.wrapped, STEPControl_AsIs)
    APIHeaderSection_MakeHeader(writer.Model()).SetTimeStamp(TCollection_HAsciiString("1970-01-01T00:00:00"))
    writer.Write(STEP)


def prepare(site: str) -> float:
    """Import CadQuery, numpy and scipy (through `measure`) from `site`; returns the seconds it took.
    Done once before any fork, for both sides of it."""
    started = time.monotonic()
    sys.path.append(site)
    import measure  # noqa: F401

    # The candidate can write to the harness's directory: no later import may look there.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [path for path in sys.path if os.path.abspath(path or ".") != here]
    return time.monotonic() - started


def run(timeout_s: float, private_fds: tuple[int, ...] = ()) -> dict:
    """One candidate in the current directory, after `prepare`; returns the report. `private_fds` are
    closed in the candidate's process before its code runs."""
    metrics: dict[str, float] = {}
    with open(CANDIDATE) as handle:
        source = handle.read()
    try:
        code = compile(source, CANDIDATE, "exec")
    except (SyntaxError, ValueError) as error:
        return {"outcome": "COMPILATION_ERROR", "diagnostic": located(error), "metrics": metrics}
    with open(HARNESS) as handle:
        iou_min = float(json.load(handle)["iou_min"])
    gate_read, gate_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    become_subreaper()
    pid = os.fork()
    if pid == 0:
        os.close(gate_write)
        _child(code, gate_read, private_fds)
    os.close(gate_read)
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    with open(REFERENCE) as handle:
        golden = handle.read()
    os.unlink(REFERENCE)
    script_started = time.monotonic()
    os.write(gate_write, b"g")
    reference = _build_reference(golden)
    metrics["reference_s"] = time.monotonic() - script_started
    status, peak_kib = _wait(pid, timeout_s)
    metrics["script_s"] = time.monotonic() - script_started
    metrics["script_peak_rss_mb"] = peak_kib / 1024
    kill_descendants()  # from here on, every file the judging reads or writes is the harness's alone
    if status is None:
        return {"outcome": "TIMEOUT", "diagnostic": f"{CANDIDATE} did not finish within {timeout_s:g} s",
                "metrics": metrics}  # fmt: skip
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status), "diagnostic": f"{CANDIDATE} was killed by signal "
                f"{signal_name(os.WTERMSIG(status))}", "metrics": metrics}  # fmt: skip
    if not os.path.exists(_CHILD_REPORT):  # it ended itself (os._exit) before the harness could report
        return {"outcome": "RUNTIME_ERROR", "diagnostic": f"{CANDIDATE} exited with status "
                f"{os.waitstatus_to_exitcode(status)} before producing a result", "metrics": metrics}  # fmt: skip
    with open(_CHILD_REPORT) as handle:
        child = json.load(handle)
    if child["outcome"] != "PASS":
        return {**child, "metrics": metrics}
    outcome, diagnostic = _judge(reference, iou_min, metrics)
    metrics["harness_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"outcome": outcome, "diagnostic": diagnostic, "metrics": metrics}


def main(site: str, timeout_s: float) -> None:
    """One-shot: import, run one candidate, write `report.json`."""
    try:
        import_s = prepare(site)
    except Exception:  # noqa: BLE001 - the backend is broken, not the candidate: say so by the status
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(IMPORT_FAILED_STATUS)
    report = run(timeout_s)
    report["metrics"]["import_s"] = import_s
    report["metrics"]["cpu_s"] = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))  # fmt: skip
    _write_json(REPORT, report)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
