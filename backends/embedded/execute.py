"""Run an embedded candidate: build it with the task's harness, boot it in the emulator, judge it.

Order: gcc compile + link (COMPILATION_ERROR, or RESOURCE_EXCEEDED when the image overflows the
STM32F407's flash/RAM), then one emulator run (QEMU netduinoplus2 by default, Renode when installed;
see `emulation.py`) judged by `verdict.py`. Flash/RAM/stack use, the build and run times and the
transcript counts go into `metrics`, so a PASS still says how big and how fast the firmware was.
"""

from __future__ import annotations

import time

from backends.diagnostic import trim
from backends.embedded import qemu, renode
from backends.embedded.emulation import chosen
from backends.embedded.firmware import CANDIDATE_FILE, HARNESS_FILE, INTERFACE_FILE, Harness
from backends.embedded.toolchain import BUILD_LIMITS, ToolchainBroken, build, gcc_version, stack_frames, symbolize
from backends.embedded.verdict import judge
from backends.sandbox import Workspace, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

# A seed firmware runs in 0.05-0.3 s under QEMU; a hung one is cut off here rather than at the
# request's (much longer) timeout, which still bounds it from above.
RUN_BUDGET_S = 3.0


def tool_versions(emulator: str) -> dict[str, str]:
    versions = {"arm-none-eabi-gcc": gcc_version()}
    versions |= {"renode": renode.version()} if emulator == "renode" else {"qemu-system-arm": qemu.version()}
    return versions


def _stage(ws: Workspace, request: ExecutionRequest) -> Harness:
    """Write the interface, the harness and the candidate into the workspace."""
    harness = Harness.from_json(request.task.harness)
    ws.write(INTERFACE_FILE, request.task.interface)
    ws.write(HARNESS_FILE, harness.main_c)
    ws.write(CANDIDATE_FILE, request.code)
    return harness


def execute(request: ExecutionRequest) -> ExecutionResult:
    """Build, run and judge one candidate (see the module docstring)."""
    started = time.monotonic()
    emulator = chosen()

    def result(outcome: Outcome, diagnostic: str, metrics: dict[str, float]) -> ExecutionResult:
        return ExecutionResult(
            request_id=request.request_id,
            outcome=outcome,
            diagnostic=diagnostic,
            metrics=metrics,
            duration_s=time.monotonic() - started,
            tool_versions=tool_versions(emulator),
        )

    with workspace(BUILD_LIMITS) as ws:
        harness = _stage(ws, request)
        built_at = time.monotonic()
        try:
            built = build(ws, renode.DEFINES if emulator == "renode" else ())
        except ToolchainBroken as broken:
            return result(Outcome.INFRA_ERROR, trim(str(broken)), {})
        metrics = {**built.metrics, "build_s": time.monotonic() - built_at}
        if built.outcome is not None:
            return result(built.outcome, built.diagnostic, metrics)
        runner = renode.run if emulator == "renode" else qemu.run
        run = runner(ws, min(RUN_BUDGET_S, request.timeout_s))
        metrics["run_s"] = run.duration_s
        verdict = judge(run, harness, lambda addresses: symbolize(ws, addresses), stack_frames(ws))
        diagnostic = verdict.diagnostic
        if verdict.outcome is Outcome.PASS and built.diagnostic:
            diagnostic = built.diagnostic  # gcc's warnings stay with a PASS, as Verilator's do for Verilog
        return result(verdict.outcome, diagnostic, {**metrics, **verdict.metrics})
