"""Run an embedded candidate: build it with the task's harness, boot it in the emulator, judge it.

Order: gcc compile + link (COMPILATION_ERROR, or RESOURCE_EXCEEDED when the image overflows the
STM32F407's flash/RAM), then one emulator run (QEMU netduinoplus2 by default, Renode when installed;
see `emulation.py`) judged by `verdict.py`. Flash/RAM/stack use, the build and run times and the
transcript counts go into `metrics`, so a PASS still says how big and how fast the firmware was.

Each run gets its own inputs and its own key. The worker draws an input seed and rebuilds a seed
task's harness and expected transcripts for it (`families.fresh_harness`; the seed is kept in
`metrics["input_seed"]`, and `execute(request, seed)` reproduces the run), and draws a sentinel key
(`sentinels.RunKey`) that the emulator writes into the runtime's RAM: only the console's last line,
carrying that key, says how the run ended.

One workspace per candidate, every input written before gcc runs; the emulator and addr2line run
in the same sandbox. INFRA_ERROR comes only from what the worker saw its own tools do with its own
inputs: the runtime not building, or the emulator failing a trusted image (`emulator_works`).
"""

from __future__ import annotations

import secrets
import time

from backends.diagnostic import trim
from backends.embedded import qemu, renode
from backends.embedded.emulation import Emulator, chosen
from backends.embedded.families import fresh_harness
from backends.embedded.firmware import CANDIDATE_FILE, HARNESS_FILE, INTERFACE_FILE, Harness
from backends.embedded.sentinels import Exit, RunKey, ending
from backends.embedded.toolchain import BUILD_LIMITS, ToolchainBroken, build, gcc_version, stack_frames, symbolize
from backends.embedded.verdict import judge
from backends.sandbox import Workspace, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

EMULATORS: dict[str, Emulator] = {"qemu": qemu.EMULATOR, "renode": renode.EMULATOR}
# A seed firmware runs in 0.05-0.3 s under QEMU; a hung one is cut off here rather than at the
# request's (much longer) timeout, which still bounds it from above.
RUN_BUDGET_S = 3.0
# The trusted image `emulator_works` boots: the runtime alone, exiting 0 at once.
TRUSTED_MAIN = "int main(void) { return 0; }\n"


def tool_versions(emulator: Emulator) -> dict[str, str]:
    return {"arm-none-eabi-gcc": gcc_version(), emulator.tool: emulator.version()}


def _stage(ws: Workspace, emulator: Emulator, interface: str, main_c: str, code: str) -> None:
    """Write the emulator's inputs, the interface, the harness and the candidate into the workspace."""
    for name, text in emulator.inputs().items():
        ws.write(name, text)
    ws.write(INTERFACE_FILE, interface)
    ws.write(HARNESS_FILE, main_c)
    ws.write(CANDIDATE_FILE, code)


def emulator_works(emulator: Emulator) -> bool:
    """Whether the emulator boots a trusted image (the runtime, exiting 0) to its exit line, in a
    fresh job: what decides that an emulator which ended early broke, rather than the firmware."""
    key = RunKey.fresh()
    with workspace(BUILD_LIMITS) as ws:
        _stage(ws, emulator, "", TRUSTED_MAIN, "")
        built = build(ws, "", emulator.defines)
        if built.outcome is not None:
            raise ToolchainBroken(f"the trusted image does not build:\n{built.diagnostic}")
        run = emulator.run(ws, RUN_BUDGET_S, key)
    end = ending(run.console, key)
    return run.limit is None and isinstance(end, Exit) and end.status == 0 and end.authentic


def run_harness(task: Task, seed: int) -> tuple[Harness, bool]:
    """The harness this run uses: the task's rebuilt for `seed` when it is a family's seed task
    (True), else the stored one (False)."""
    stored = Harness.from_json(task.harness)
    fresh = fresh_harness(task.family, task.params, stored, seed)
    return (stored, False) if fresh is None else (fresh, True)


def execute(request: ExecutionRequest, seed: int | None = None) -> ExecutionResult:
    """Build, run and judge one candidate (see the module docstring); `seed` picks the inputs (a
    fresh one when None)."""
    started = time.monotonic()
    emulator = EMULATORS[chosen()]
    seed = secrets.randbits(32) if seed is None else seed
    harness, fresh = run_harness(request.task, seed)
    key = RunKey.fresh()
    inputs = {"input_seed": float(seed), "fresh_inputs": float(fresh)}

    def result(outcome: Outcome, diagnostic: str, metrics: dict[str, float]) -> ExecutionResult:
        return ExecutionResult(
            request_id=request.request_id,
            outcome=outcome,
            diagnostic=diagnostic,
            metrics={**inputs, **metrics},
            duration_s=time.monotonic() - started,
            tool_versions=tool_versions(emulator),
        )

    try:
        with workspace(BUILD_LIMITS) as ws:
            _stage(ws, emulator, request.task.interface, harness.main_c, request.code)
            built_at = time.monotonic()
            built = build(ws, request.task.interface, emulator.defines)
            metrics = {**built.metrics, "build_s": time.monotonic() - built_at}
            if built.outcome is not None:
                return result(built.outcome, built.diagnostic, metrics)
            run = emulator.run(ws, min(RUN_BUDGET_S, request.timeout_s), key)
            metrics["run_s"] = run.duration_s
            verdict = judge(
                run, harness, key, lambda addresses: symbolize(ws, addresses), stack_frames(ws),
                lambda: emulator_works(emulator),
            )  # fmt: skip
    except ToolchainBroken as broken:
        return result(Outcome.INFRA_ERROR, trim(str(broken)), {})
    diagnostic = verdict.diagnostic
    if verdict.outcome is Outcome.PASS and built.diagnostic:
        diagnostic = built.diagnostic  # gcc's warnings stay with a PASS, as Verilator's do for Verilog
    return result(verdict.outcome, diagnostic, {**metrics, **verdict.metrics})
