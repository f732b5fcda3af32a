"""Questions about a task's code whose answers a backend run can check.

Each question carries the answer of the reference answerer -- a method independent of the run that
checks it -- and a `check(value)`: a task whose harness passes the code exactly when `value` is the
right answer. So an answer is confirmed or refuted by the real toolchain, never by comparing text.

- Verilog, sequential: "what does output o read while reset is held?" -- answered by reading the
  reset branch (and evaluating continuous assignments on those values); checked by Icarus with a
  testbench that holds reset and compares.
- Verilog, combinational: "what is output o for these inputs?" -- answered by Yosys `eval`, checked
  by Icarus simulation.
- C function (asm, embedded): "what does f return for these inputs?" -- answered by the C model
  compiled and run on the host; checked by running the assembly under the asm harness, or the
  firmware on the emulated STM32.
- Firmware probes: "what does REGISTER read after init?" -- answered by the datasheet formula of the
  catalog; checked on the emulated STM32.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from backends.asm.harness import generate as asm_harness
from backends.embedded.families._common import Probe, main_c
from backends.embedded.firmware import Harness
from backends.sandbox import SandboxLimits, workspace
from schemas.artifacts import Task
from schemas.record import content_id
from synthesis.drafts import Draft, DraftError
from synthesis.drafts.cfunction import CFunctionDraft, c_literal
from synthesis.drafts.probes import ProbeDraft
from synthesis.drafts.verilog import VerilogDraft
from synthesis.expressions import ExpressionError, evaluate
from synthesis.verilog_source import strip_comments

_SIZED = re.compile(r"(\d*)'[sS]?([bdhoBDHO])([0-9a-fA-F_xzXZ]+)")
_EVAL = re.compile(r"Eval result: \\(\w+) = (\d+)'([01xz]+)\.")
_BASES = {"b": 2, "d": 10, "h": 16, "o": 8}


@dataclass(frozen=True)
class Question:
    task: Task
    kind: str
    text: str
    answer: str | None
    check: Callable[[int], Task]
    width: int = 32

    @property
    def qa_id(self) -> str:
        return content_id("qa", self.task.task_id, self.kind, self.text)


def parse_number(text: str, width: int = 64) -> int | None:
    """An integer from an answer: decimal, 0x hex, or a Verilog literal (8'd5, 4'b1010); None otherwise."""
    text = text.strip().rstrip(".").strip("` ")
    try:
        if found := _SIZED.fullmatch(text):
            value = int(found.group(3).replace("_", ""), _BASES[found.group(2).lower()])
        else:
            value = int(text.replace("_", ""), 0)
    except ValueError:
        return None
    return value & ((1 << width) - 1) if value >= 0 or width < 64 else value


def _verilog_constants(expression: str) -> str:
    """Verilog literals as Python integers (`4'd15` -> 15, `'0` -> 0)."""
    expression = re.sub(r"'0\b", "0", expression)
    expression = re.sub(r"\{\s*\w+\s*\{\s*1'b0\s*\}\s*\}", "0", expression)  # {W{1'b0}}
    return _SIZED.sub(lambda m: str(int(m.group(3).replace("_", ""), _BASES[m.group(2).lower()])), expression)


def _task(task: Task, kind: str, harness: str, environment: dict[str, str] | None = None) -> Task:
    return task.model_copy(update={"task_id": content_id("qa-check", task.task_id, kind, harness), "harness": harness,
                                   "environment": environment or task.environment})  # fmt: skip


# ---- Verilog ----

def reset_values(code: str, reset: str, reset_low: bool) -> dict[str, int]:
    """Registers assigned a constant in the reset branch (`if (rst) begin ... end`)."""
    negation = r"(?:!|~)\s*" if reset_low else ""
    branch = re.search(rf"if\s*\(\s*{negation}{re.escape(reset)}\s*(?:\|\|[^)]*)?\)\s*(begin(.*?)\bend\b|([^;]*;))",
                       strip_comments(code), re.DOTALL)  # fmt: skip
    if branch is None:
        return {}
    values = {}
    for name, value in re.findall(r"(\w+)\s*<=\s*([^;]+);", branch.group(2) or branch.group(3)):
        try:
            result = evaluate(_verilog_constants(value.strip()), {})
        except ExpressionError:
            continue
        if isinstance(result, int):
            values[name] = result
    return values


def _static_output(code: str, name: str, known: dict[str, int]) -> int | None:
    if name in known:
        return known[name]
    found = re.search(rf"\bassign\s+{re.escape(name)}\s*=\s*([^;]+);", strip_comments(code))
    if found is None:
        return None
    try:
        value = evaluate(_verilog_constants(found.group(1)), known)
    except ExpressionError:
        return None
    return value if isinstance(value, int) else None


def _testbench(draft: VerilogDraft, drive: dict[str, int], wait: str, output: str, width: int, value: int) -> str:
    """Inputs set at time 0 inside `initial` (so combinational always blocks see an event), then `wait`,
    then one comparison."""
    inputs = [p for p in draft.ports if p.direction == "input"]
    decls = [f"reg [{p.width - 1}:0] {p.name};" for p in inputs]
    decls += [f"wire [{p.width - 1}:0] {p.name};" for p in draft.ports if p.direction == "output"]
    sets = " ".join(f"{p.name} = {p.width}'d{drive.get(p.name, 0)};" for p in inputs)
    conns = ", ".join(f".{p.name}({p.name})" for p in draft.ports)
    clock = f"always #5 {draft.clock} = ~{draft.clock};" if draft.clock else ""
    return f"""`timescale 1ns/1ps
module tb;
    {(chr(10) + '    ').join(decls)}
    integer mismatches = 0;
    {draft.top} dut ({conns});
    {clock}
    initial begin
        {sets}
        {wait}
        if ({output} !== {width}'d{value}) begin
            mismatches = 1;
            $display("MISMATCH {output}: got %0d, the answer says {value}", {output});
        end
        $display("TB_RESULT mismatches=%0d cycles=2", mismatches);
        $finish;
    end
endmodule
"""


def _verilog_reset(draft: VerilogDraft, task: Task) -> list[Question]:
    if not draft.clock or not draft.reset:
        return []
    known = reset_values(task.reference, draft.reset, draft.reset_low)
    known |= {p.name: 0 for p in draft.ports if p.direction == "input"} | {draft.reset: 0 if draft.reset_low else 1}
    asserted = 0 if draft.reset_low else 1
    level = "low" if draft.reset_low else "high"
    questions = []
    for port in (p for p in draft.ports if p.direction == "output"):
        found = _static_output(task.reference, port.name, known)
        answer = None if found is None else str(found & ((1 << port.width) - 1))
        text = (f"In module `{draft.top}`, {draft.reset} is held {level} (asserted) for two rising edges of "
                f"{draft.clock} with every other input at 0. What value does output `{port.name}` "
                f"({port.width} bit{'s' if port.width > 1 else ''}) have then? Answer with an unsigned decimal number.")

        def check(value: int, port=port) -> Task:  # noqa: B023 -- bound per port
            wait = f"@(negedge {draft.clock}); @(negedge {draft.clock});"
            bench = _testbench(draft, {draft.reset: asserted}, wait, port.name, port.width, value)
            return _task(task, f"reset:{port.name}", bench)

        questions.append(Question(task, "reset_value", text, answer, check, port.width))
    return questions


def yosys_eval(code: str, top: str, inputs: dict[str, int], output: str) -> int | None:
    """Yosys' evaluation of `output` for `inputs` (None when it is not a defined constant)."""
    sets = " ".join(f"-set {name} {value}" for name, value in inputs.items())
    with workspace(SandboxLimits(wall_s=30.0)) as ws:
        ws.write("design.v", code)
        ran = ws.run(["yosys", "-q", "-p", f"read_verilog -sv design.v; prep -top {top}; "
                      f"tee -q -o eval.txt eval {sets} -show {output}"])  # fmt: skip
        report = (ws.read_text("eval.txt") or "") if ran.ok else ""
    found = _EVAL.search(report)
    return int(found.group(3), 2) if found and set(found.group(3)) <= {"0", "1"} else None


def _verilog_eval(draft: VerilogDraft, task: Task, seed: int) -> list[Question]:
    if draft.clock:
        return []
    rng = random.Random(content_id("qa-eval", task.task_id, seed))
    inputs = {p.name: rng.getrandbits(p.width) for p in draft.ports if p.direction == "input"}
    listing = ", ".join(f"{name} = {value}" for name, value in inputs.items())
    questions = []
    for port in (p for p in draft.ports if p.direction == "output"):
        found = yosys_eval(task.reference, draft.top, inputs, port.name)
        text = (f"Module `{draft.top}` is combinational. With {listing} (unsigned decimal), what value does output "
                f"`{port.name}` ({port.width} bits) have? Answer with an unsigned decimal number.")

        def check(value: int, port=port) -> Task:  # noqa: B023
            return _task(task, f"eval:{port.name}", _testbench(draft, inputs, "#1;", port.name, port.width, value))

        questions.append(Question(task, "evaluate", text, None if found is None else str(found), check, port.width))
    return questions


# ---- C functions ----

def _c_function(draft: CFunctionDraft, task: Task) -> list[Question]:
    function = draft.function
    if function.returns == "void":
        return []
    cases = draft.test_vectors()
    case = next((c for c in cases if 1 <= c.sizes["n"] <= 8), cases[min(1, len(cases) - 1)])
    try:
        answer: str | None = str(draft.expected([case])["t0"])
    except (DraftError, KeyError):
        answer = None
    shown = []
    for a in function.args:
        if a.pointer:
            shown.append(f"{a.name} = {{{', '.join(str(v) for v in case.arrays[a.name])}}}")
        elif a.is_size:
            shown.append(f"{a.name} = {case.sizes[a.name]}")
        else:
            shown.append(f"{a.name} = {case.scalars[a.name]}")
    text = (f"What does `{function.prototype()}` return when called with {', '.join(shown)}? Answer with a "
            "decimal number.")
    width = 32 if draft.domain == "embedded" else 64

    def check(value: int) -> Task:
        if draft.domain == "embedded":
            call = draft._steps([case])[0]
            assert not isinstance(call, str)
            source, console = main_c([Probe("answer", call[1], value, signed=call[2])], draft._globals([case]))
            return _task(task, "return", Harness(source, console).to_json())
        prepare = " ".join(f"{a.name}[{i}] = {c_literal(a.ctype, v)};" for a in function.arrays
                           for i, v in enumerate(case.arrays[a.name]))  # fmt: skip
        kernel = draft.kernel(task.reference)
        args = tuple(replace(arg, value=c_literal(arg.ctype, case.scalars[arg.name])) if hasattr(arg, "value") else arg
                     for arg in kernel.args)  # fmt: skip
        n = case.sizes["n"]
        # The model still runs (arrays the function writes must match); only the return value is claimed.
        call = f"(void){function.name}_model({', '.join(a.name for a in function.args)});"
        kernel = replace(kernel, args=args, sizes=f"n = {n}; m = n;", bench_sizes=f"n = {n}; m = n;", prepare=prepare,
                         bench_prepare=prepare, reference_c=f"{call} return ({function.returns})({value}LL);")
        return _task(task, "return", asm_harness(kernel))

    return [Question(task, "return_value", text, answer, check, width)]


# ---- firmware probes ----

def _probes(draft: ProbeDraft, task: Task) -> list[Question]:
    calls = " ".join(s for s in draft.steps if isinstance(s, str))
    questions = []
    for probe in draft.probes:
        if re.fullmatch(r"[\d\s()]+", probe.expr):
            continue  # a constant marker, nothing to ask
        text = (f"On the STM32F407, after `{calls}` runs, what value does `{probe.expr}` read? "
                "Answer with a number (decimal or 0x hexadecimal).")

        def check(value: int, probe=probe) -> Task:  # noqa: B023
            steps = tuple(s for s in draft.steps if isinstance(s, str)) + (replace(probe, value=value),)
            return _task(task, f"probe:{probe.label}", draft.harness(steps).to_json())

        questions.append(Question(task, "register_value", text, str(probe.value), check))
    return questions


def questions_for(draft: Draft, task: Task, seed: int = 0) -> list[Question]:
    """Every checkable question about `task`'s reference (none for kinds with no question type)."""
    if isinstance(draft, VerilogDraft):
        return _verilog_reset(draft, task) + _verilog_eval(draft, task, seed)
    if isinstance(draft, CFunctionDraft):
        return _c_function(draft, task)
    if isinstance(draft, ProbeDraft):
        return _probes(draft, task)
    return []
