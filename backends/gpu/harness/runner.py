"""Check (and on a GPU, time) one candidate against a KernelBench-style reference, in the sandbox.

Usage: `python runner.py CONFIG.json` in a workspace holding `problem.py` (Model, get_inputs,
get_init_inputs), `candidate.py` (ModelNew, in `check` mode) and a `nonce` file. Writes `result.json`:
outcome, diagnostic, metrics, versions, and the nonce (read and deleted before the candidate is
imported, so a candidate that writes its own result.json cannot know it; this keeps honest mistakes
from passing, it is not a security boundary: the candidate runs in this process, which is why the
worker takes nothing this process reports in `check` mode for an infrastructure failure).

Modes: `check` (the candidate), `reference` (everything `check` does before it imports the
candidate, in a workspace without one: the worker's test that the harness works on this task),
`baseline` (the reference timed eagerly and under torch.compile, also without a candidate).

Order: reference outputs for every trial are computed first, before the candidate is imported. Then
per trial: seed, `ModelNew(*init_inputs)`, forward on fresh copies of the inputs (guarded on the
GPU), synchronize, compare. On the CPU path Triton runs in its interpreter with the checks of
`interpret_check`, and CUDA sources are compile-checked by `nvcc_check`. A PASS on the GPU is timed
(`event_timer`, the candidate only; baselines come from a separate `baseline` run of the reference).
The process ends with `os._exit` so a poisoned CUDA context is never torn down politely.
"""

from __future__ import annotations

import faulthandler
import json
import os
import platform
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from failures import INFRA_ERROR, MEMORY_FAULT, PASS, TEST_FAILURE, Failure, classify

RESULT, NONCE = "result.json", "nonce"
# The head of a longer diagnostic is kept (the worker trims to far less): it reads at most 1 MiB of result.json.
DIAGNOSTIC_CHARS = 128 * 1024


@dataclass
class Case:
    """One correctness trial: the inputs and the reference output, computed before the candidate runs."""

    label: str
    seed: int
    shapes: dict[str, int]
    init_inputs: list
    inputs: list
    reference: object


def _prepare_environment(device: str, memcheck: bool) -> None:
    """Caches and HOME inside the workspace; the interpreter switched on before Triton is imported.
    Under compute-sanitizer, PyTorch's caching allocator is off: memcheck only sees an overrun that
    leaves a cudaMalloc allocation, and the cache packs many tensors into one."""
    here = Path.cwd()
    os.environ["HOME"] = str(here)
    for var, sub in (("TRITON_CACHE_DIR", ".triton"), ("TORCH_EXTENSIONS_DIR", "torch_extensions"),
                     ("TORCHINDUCTOR_CACHE_DIR", "inductor"), ("XDG_CACHE_HOME", ".cache")):  # fmt: skip
        os.environ[var] = str(here / sub)
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    if device == "cpu":
        os.environ["TRITON_INTERPRET"] = "1"
    if memcheck:
        os.environ["PYTORCH_NO_CUDA_MEMORY_CACHING"] = "1"


def _to(value: object, device: str) -> object:
    import torch

    return value.to(device) if isinstance(value, torch.Tensor) else value


def _fresh(values: list) -> list:
    import torch

    return [v.clone() if isinstance(v, torch.Tensor) else v for v in values]


def _reference_cases(problem: ModuleType, trials: list[dict], device: str) -> list[Case]:
    import torch

    defaults = {name: getattr(problem, name) for trial in trials for name in trial["shapes"]}
    cases = []
    for index, trial in enumerate(trials):
        seed, shapes = int(trial["seed"]), trial["shapes"]
        for name, value in {**defaults, **shapes}.items():
            setattr(problem, name, value)
        torch.manual_seed(seed)
        init_inputs = list(problem.get_init_inputs())
        torch.manual_seed(seed)
        model = problem.Model(*init_inputs).to(device).eval()
        torch.manual_seed(seed + 1)
        inputs = [_to(v, device) for v in problem.get_inputs()]
        with torch.no_grad():
            reference = model(*_fresh(inputs))
        where = ", ".join([f"seed {seed}", *(f"{k}={v}" for k, v in shapes.items())])
        cases.append(Case(f"trial {index} ({where})", seed, shapes, init_inputs, inputs, reference))
    return cases


def _synchronize(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def _check_case(candidate: ModuleType, case: Case, config: dict, device: str) -> tuple[dict, object, list]:
    """Run ModelNew on one trial; raises Failure when it does not match; returns errors, model, inputs."""
    import torch
    from checks import GuardedInputs, compare

    torch.manual_seed(case.seed)
    model = candidate.ModelNew(*case.init_inputs).to(device).eval()
    guarded = GuardedInputs(_fresh(case.inputs)) if config["guards"] else None
    inputs = guarded.inputs if guarded else _fresh(case.inputs)
    with torch.no_grad():
        out = model(*inputs)
    _synchronize(device)
    if guarded and (overrun := guarded.overwritten()):
        raise Failure(MEMORY_FAULT, f"{case.label}: {overrun}")
    errors, failure = compare(out, case.reference, config["atol"], config["rtol"], case.label)
    if failure:
        raise Failure(TEST_FAILURE, failure)
    return errors, model, inputs


def _static_verdict(compiler, checks) -> tuple[dict[str, float], Failure | None]:
    """What the GPU compiler said about the launches the interpreter ran (`static_compile.py`)."""
    if compiler is None:
        return {}, None
    result = compiler.finish()
    if failure := result.get("failure"):
        return {}, Failure(failure["outcome"], failure["diagnostic"])
    if not compiler.sent:
        return ({"static_check": 0.0} if checks is not None and checks.static_skipped else {}), None
    usage = list(result["kernels"].values())
    metrics = {"static_check": 0.0 if result.get("skipped") or checks.static_skipped else 1.0}
    if usage:
        metrics |= {"kernels": float(len(usage)), "kernel_shared_bytes": max(u["shared_bytes"] for u in usage)}
    if usage and all("registers" in u for u in usage):
        metrics["kernel_registers"] = max(u["registers"] for u in usage)
        metrics["kernel_local_bytes"] = max(u["local_bytes"] for u in usage)
    return metrics, None


def _prepare_check(config: dict, compiler=None) -> tuple[list[Case], object]:
    """What `check` does before it imports the candidate: CUDA is there (GPU), the reference's outputs
    for every trial, and on the CPU path the interpreter's checks installed. (cases, those checks)."""
    import torch

    device = config["device"]
    if device == "cuda" and not torch.cuda.is_available():
        raise Failure(INFRA_ERROR, "no CUDA device is visible inside the sandbox (are /dev/nvidia* bound into it?)")
    from checks import load_module

    problem = load_module("problem", "problem.py")
    cases = _reference_cases(problem, config["trials"], device)
    checks = None
    if device == "cpu":
        import interpret_check
        import nvcc_check

        checks = interpret_check.InterpreterChecks(config.get("target_arch"), compiler.send if compiler else None)
        checks.install()
        nvcc_check.install(int(config.get("target_arch") or 90))
    return cases, checks


def reference(config: dict) -> dict:
    """The `reference` mode: `check` up to the candidate, in a workspace that has none."""
    cases, _ = _prepare_check(config)
    return {"outcome": PASS, "diagnostic": "", "metrics": {"trials": float(len(cases))}}


def check(config: dict, compiler=None) -> dict:
    """The `check` mode: correctness on every trial, then resources and (GPU) timing."""
    from checks import load_module

    device = config["device"]
    cases, checks = _prepare_check(config, compiler)
    metrics: dict[str, float] = {"max_abs_err": 0.0, "max_rel_err": 0.0}
    timed, failure = None, None
    try:
        candidate = load_module("candidate", "candidate.py")
        for case in cases:
            errors, model, inputs = _check_case(candidate, case, config, device)
            metrics = {k: max(metrics[k], errors[k]) for k in metrics}
            if timed is None and not case.shapes:
                timed = (model, inputs)
    except BaseException as exc:  # noqa: BLE001 - whatever the candidate raised is classified, not re-raised
        failure = classify(exc)
    static_metrics, static_failure = _static_verdict(compiler, checks)
    if static_failure or failure:  # the GPU compiler's verdict comes first: on a GPU nothing would have run
        raise static_failure or failure
    metrics["trials"] = float(len(cases))
    metrics |= static_metrics
    if device == "cuda":
        from checks import extension_resources, triton_resources

        metrics |= triton_resources(candidate) or extension_resources(Path(os.environ["TORCH_EXTENSIONS_DIR"]))
        if config.get("timing") and timed is not None:
            metrics |= _time("kernel", timed[0], timed[1], config["timing"])
    return {"outcome": PASS, "diagnostic": "", "metrics": metrics}


def _time(name: str, model, inputs: list, timing: dict) -> dict[str, float]:
    import torch
    from event_timer import median_ms

    def call() -> object:
        with torch.no_grad():
            return model(*inputs)

    try:
        milliseconds, trials = median_ms(call, float(timing["warmup_ms"]), float(timing["rep_ms"]))
    except BaseException as exc:  # noqa: BLE001 - the candidate failed only under repetition
        raise classify(exc) from None
    return {f"{name}_ms": milliseconds, f"{name}_timing_trials": float(trials)}


def baseline(config: dict) -> dict:
    """The `baseline` mode: the reference timed eagerly and under torch.compile, at the task's shapes."""
    import torch
    from checks import load_module

    problem = load_module("problem", "problem.py")
    torch.manual_seed(0)
    model = problem.Model(*problem.get_init_inputs()).to("cuda").eval()
    torch.manual_seed(1)
    inputs = [_to(v, "cuda") for v in problem.get_inputs()]
    metrics, notes = {}, []
    for name in config["baselines"]:
        runner = model if name == "eager" else torch.compile(model)
        try:
            metrics |= _time(name, runner, inputs, config["timing"])
        except Failure as failure:
            notes.append(f"{name} baseline failed: {failure.diagnostic}")
    return {"outcome": PASS, "diagnostic": "\n".join(notes), "metrics": metrics}


def _static_compiler(config: dict):
    """On the CPU path, the client of the GPU compiler's process (started at the first launch)."""
    if config["device"] != "cpu" or not config.get("target_arch"):
        return None
    from static_compile import StaticCompiler

    return StaticCompiler(int(config["target_arch"]), int(config["max_shared"]))


def _versions(device: str) -> dict[str, str]:
    versions = {"python": platform.python_version(), "mode": "gpu" if device == "cuda" else "triton-interpreter"}
    try:
        import torch

        versions["torch"] = torch.__version__
        versions["cuda"] = torch.version.cuda or ""
        if device == "cuda" and torch.cuda.is_available():
            versions["device"] = torch.cuda.get_device_name()
        import triton

        versions["triton"] = triton.__version__
    except Exception as err:  # noqa: BLE001 - versions are reported, never fatal
        versions["error"] = f"{type(err).__name__}: {err}"
    return versions


def main(config_path: str) -> None:
    faulthandler.enable()  # a segfault still names the candidate's line on stderr
    config = json.loads(Path(config_path).read_text())
    nonce_file = Path(NONCE)
    nonce = nonce_file.read_text() if nonce_file.exists() else ""
    nonce_file.unlink(missing_ok=True)
    _prepare_environment(config["device"], bool(config.get("memcheck")))
    try:
        if config["mode"] == "check":
            result = check(config, _static_compiler(config))
        else:
            result = baseline(config) if config["mode"] == "baseline" else reference(config)
    except Failure as failure:
        result = {"outcome": failure.outcome, "diagnostic": failure.diagnostic, "metrics": {}}
    except BaseException:  # noqa: BLE001 - a broken harness is reported as such
        result = {"outcome": INFRA_ERROR, "diagnostic": traceback.format_exc(limit=6), "metrics": {}}
    result["diagnostic"] = result["diagnostic"][:DIAGNOSTIC_CHARS]
    result |= {"nonce": nonce, "versions": _versions(config["device"])}
    Path(RESULT).write_text(json.dumps(result))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
