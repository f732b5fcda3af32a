"""The industrial scenario catalog: what each scenario asks for, and how it becomes drafts.

One TOML file per domain (`catalog/<domain>.toml`), each `[[scenario]]` an industrial situation:
the context (`scenario`), the requirement (a template over the parameters), constraints, the
target platform/toolchain, interface constraints (`interface`: a Verilog top module, a C prototype
with array contracts, a firmware header), the verification (`kind` picks the harness; `harness`
adds its data), and the code: `seed` (what the deterministic generator writes) and optionally
`model` (an independent oracle; the seed is checked against it). Parameters come from `grid`
(every combination), `derive` (arithmetic over them, see `expressions.py`) and, for template
perturbation, `perturb` (other values the templates are valid for).

Kinds: verilog, c_function (asm or embedded), firmware_probes (embedded), literal (any domain: the
harness text is given in the domain's own format).
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backends.domain import spread
from backends.embedded.families._common import Probe
from synthesis.cfunction import CArg, CFunction, c_type, from_prototype
from synthesis.drafts import Draft, DraftError, as_params
from synthesis.drafts.cfunction import CFunctionDraft, c_requirement
from synthesis.drafts.literal import LiteralDraft
from synthesis.drafts.probes import ProbeDraft
from synthesis.drafts.verilog import VerilogDraft, verilog_requirement
from synthesis.expressions import evaluate, fill
from synthesis.requirement import Requirement
from synthesis.verilog_source import parse_modules

CATALOG_DIR = Path(__file__).parent / "catalog"
Kind = Literal["verilog", "c_function", "firmware_probes", "literal"]


class CatalogError(ValueError):
    """A catalog file or entry that does not fit the schema; names the file and the entry."""


class Scenario(BaseModel):
    """One catalog entry (see the module docstring for the fields' roles)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    domain: str
    kind: Kind
    family: str
    title: str
    scenario: str
    requirement: str
    constraints: list[str] = Field(default_factory=list)
    platform: str = ""
    dependencies: str = ""
    verification: str = ""
    grid: dict[str, list[int | str]] = Field(default_factory=dict)
    derive: dict[str, str] = Field(default_factory=dict)
    perturb: dict[str, list[int | str]] = Field(default_factory=dict)
    interface: dict[str, Any] = Field(default_factory=dict)
    harness: dict[str, Any] = Field(default_factory=dict)
    code: dict[str, str]

    def points(self, axes: Mapping[str, list[int | str]] | None = None) -> list[dict[str, int | str]]:
        """Every parameter combination of `axes` (default: the grid), in order."""
        axes = self.grid if axes is None else axes
        names = list(axes)
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]

    def values(self, point: Mapping[str, int | str]) -> dict[str, int | str]:
        """The point plus the derived parameters (evaluated in catalog order)."""
        values = dict(point)
        for name, expression in self.derive.items():
            values[name] = evaluate(expression, values)
        return values

    def statement(self, values: Mapping[str, object]) -> str:
        text = f"{self.title}. {self.scenario.strip()} {fill(self.requirement, values).strip()}"
        if self.constraints:
            text += " Constraints: " + "; ".join(fill(c, values) for c in self.constraints) + "."
        return " ".join(text.split())


def catalog_path(domain: str) -> Path:
    return CATALOG_DIR / f"{domain}.toml"


def load_catalog(domain: str, path: Path | None = None) -> list[Scenario]:
    """The scenarios of `domain` (none when it has no catalog file)."""
    path = path or catalog_path(domain)
    if not path.exists():
        return []
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"{path}: {err}") from err
    scenarios = []
    for index, entry in enumerate(raw.get("scenario", [])):
        try:
            scenario = Scenario.model_validate(entry)
        except ValidationError as err:
            raise CatalogError(f"{path}: scenario #{index} ({entry.get('id', '?')}): {err}") from err
        if scenario.domain != domain:
            raise CatalogError(f"{path}: scenario {scenario.id} is for domain {scenario.domain}, not {domain}")
        scenarios.append(scenario)
    return scenarios


def scenario_drafts(
    scenario: Scenario, per_scenario: int | None = None, axes: Mapping[str, list[int | str]] | None = None,
    origin: str = "scenario",
) -> list[Draft]:
    """Drafts for `per_scenario` grid points spread over the grid (all when None); `axes` replaces
    the grid. Raises `DraftError`/`CatalogError`."""
    return [draft_at(scenario, point, origin) for point in spread(scenario.points(axes), per_scenario)]


def draft_at(scenario: Scenario, point: Mapping[str, int | str], origin: str = "scenario") -> Draft:
    """The draft of one parameter point."""
    values = scenario.values(point)
    params = as_params({**point, "scenario": scenario.id})
    return _BUILDERS[scenario.kind](scenario, values, params, origin)


def _common(scenario: Scenario, params: dict[str, str], origin: str) -> dict[str, Any]:
    return {"domain": scenario.domain, "family": scenario.family, "params": params, "origin": origin,
            "source_id": scenario.id}  # fmt: skip


def _verilog(scenario: Scenario, values: dict[str, Any], params: dict[str, str], origin: str) -> Draft:
    seed = fill(scenario.code["seed"], values)
    oracle = fill(scenario.code.get("model", scenario.code["seed"]), values)
    top = fill(scenario.interface["top"], values)
    module = next((m for m in parse_modules(seed) if m.name == top), None)
    if module is None:
        raise CatalogError(f"scenario {scenario.id}: the seed defines no module {top}")
    reset, reset_low = module.reset
    requirement = verilog_requirement(scenario.statement(values), top, module.ports, module.clock, reset, reset_low,
                                      scenario.platform, scenario.dependencies, scenario.verification)  # fmt: skip
    stimulus = {k: float(v) for k, v in scenario.interface.get("stimulus", {}).items()}
    return VerilogDraft(**_common(scenario, params, origin), requirement=requirement, top=top, ports=module.ports,
                        oracle=oracle, seed_code=seed, clock=module.clock, reset=reset, reset_low=reset_low,
                        stimulus=stimulus)  # fmt: skip


def c_function_spec(interface: Mapping[str, Any], values: Mapping[str, Any]) -> CFunction:
    """The C function of a catalog `interface` table: prototype plus array and scalar contracts."""
    prototype = fill(interface["prototype"], values).strip().rstrip(";")
    returns, _, rest = prototype.partition("(")
    *ret, name = returns.replace("*", " * ").split()
    function = from_prototype(" ".join(ret), name, rest.rstrip(")"), int(interface.get("max_n", 64)))
    arrays, scalars = interface.get("arrays", {}), interface.get("scalars", {})
    args = []
    for arg in function.args:
        if arg.name in arrays:
            spec = arrays[arg.name]
            arg = CArg(arg.name, arg.ctype, True, arg.const, fill(str(spec.get("count", "n")), values),
                       spec.get("fill", "bits"))  # fmt: skip
        elif arg.name in scalars:
            low, high = (int(evaluate(str(v), values)) for v in scalars[arg.name])
            arg = CArg(arg.name, c_type(arg.ctype), low=low, high=high)
        args.append(arg)
    return CFunction(function.name, function.returns, tuple(args), int(interface.get("min_n", 0)), function.max_n)


def _c_function(scenario: Scenario, values: dict[str, Any], params: dict[str, str], origin: str) -> Draft:
    function = c_function_spec(scenario.interface, values)
    syntax = str(values.get("syntax", "att"))
    tests = int(scenario.harness.get("tests", 6))
    requirement = c_requirement(scenario.statement(values), function, scenario.domain, syntax, tests,
                                scenario.platform, scenario.dependencies, scenario.verification)  # fmt: skip
    code = {k: fill(v, values) for k, v in scenario.code.items()}
    return CFunctionDraft(**_common(scenario, params, origin), requirement=requirement, function=function,
                          model=code.get("model", code["seed"]), seed_c=code["seed"], seed_asm=code.get("seed_asm", ""),
                          syntax=syntax, tests=tests)  # fmt: skip


def _probes(scenario: Scenario, values: dict[str, Any], params: dict[str, str], origin: str) -> Draft:
    steps: list[str | Probe] = []
    for step in scenario.harness.get("steps", []):
        if isinstance(step, str):
            steps.append(fill(step, values))
        else:
            value = evaluate(str(step["value"]), values)
            steps.append(Probe(step["label"], fill(step["expr"], values), int(value), bool(step.get("signed", False))))
    header = fill(scenario.interface["header"], values)
    requirement = Requirement(
        scenario.statement(values), f"implement the functions declared in task.h: {' '.join(header.split())}",
        scenario.platform or "STM32F407VG (Cortex-M4F), arm-none-eabi-gcc -O2, CMSIS-style stm32f407.h, QEMU",
        scenario.dependencies or "the device header stm32f407.h only: direct register access, no HAL, no heap",
        scenario.verification or "the harness calls the functions on the emulated MCU and prints the registers "
        "they configure; every value must equal the reference manual's formula for this configuration, and the "
        "peripheral clocks must be enabled in RCC",
    )
    return ProbeDraft(**_common(scenario, params, origin), requirement=requirement, header=header,
                      seed_code=fill(scenario.code["seed"], values), steps=tuple(steps),
                      clocks=tuple(scenario.harness.get("clocks", ())),
                      af_pins=tuple((p["port"], int(p["pin"]), int(p["af"]), p.get("role", ""))
                                    for p in scenario.harness.get("af_pins", ())),
                      globals_c=fill(scenario.harness.get("globals", ""), values))  # fmt: skip


def _literal(scenario: Scenario, values: dict[str, Any], params: dict[str, str], origin: str) -> Draft:
    interface = fill(scenario.interface["text"], values)
    requirement = Requirement(scenario.statement(values), f"as declared: {' '.join(interface.split())}",
                              scenario.platform, scenario.dependencies or "none stated",
                              scenario.verification or "the catalog's harness, run by the domain's backend")
    environment = {k: fill(str(v), values) for k, v in scenario.harness.get("environment", {}).items()}
    return LiteralDraft(**_common(scenario, params, origin), requirement=requirement, interface=interface,
                        harness=fill(scenario.harness["text"], values), environment=environment,
                        seed_code=fill(scenario.code["seed"], values))  # fmt: skip


_BUILDERS: dict[str, Callable[[Scenario, dict[str, Any], dict[str, str], str], Draft]] = {
    "verilog": _verilog, "c_function": _c_function, "firmware_probes": _probes, "literal": _literal,
}  # fmt: skip

__all__ = ["CatalogError", "DraftError", "Scenario", "draft_at", "load_catalog", "scenario_drafts"]
