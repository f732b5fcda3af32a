"""Read Verilog source far enough to build a task from it: modules, parameters, ports, clock and reset.

Curated files and literature snippets are real-world Verilog: ANSI or non-ANSI port lists,
parameterised widths (`[WIDTH-1:0]`, `[$clog2(DEPTH)-1:0]`), clocks and resets under many names.
Widths are evaluated with the parameters' defaults; anything this reader cannot settle (an inout, a
width it cannot evaluate, a module instantiated from elsewhere) raises `DraftError` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backends.verilog.design import Port
from synthesis.drafts import DraftError
from synthesis.expressions import ExpressionError, evaluate

CLOCK_NAMES = ("clk", "clock", "clk_i", "i_clk", "aclk", "sys_clk")
RESET_HIGH = ("rst", "reset", "rst_i", "i_rst", "areset", "srst")
RESET_LOW = ("rst_n", "rst_ni", "reset_n", "resetn", "aresetn", "nrst", "i_rst_n", "arst_n")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_MODULE = re.compile(r"\bmodule\s+(\w+)\s*(#\s*\()?", re.MULTILINE)
_PARAM = re.compile(r"\b(?:parameter|localparam)\s+(?:integer\s+|int\s+)?(?:\[[^\]]*\]\s*)?(\w+)\s*=\s*([^,;)]+)")
_DECL = re.compile(r"\b(input|output|inout)\b\s*((?:wire|reg|logic|signed|unsigned|\s)*)\s*(\[[^\]]+\])?\s*([\w\s,]+);")
_INSTANCE = re.compile(r"^\s*(\w+)\s*(?:#\s*\(.*?\))?\s+\w+\s*\(", re.MULTILINE | re.DOTALL)
_KEYWORDS = {"module", "always", "assign", "if", "else", "case", "begin", "end", "for", "while", "function",
             "task", "initial", "generate", "wire", "reg", "logic", "input", "output", "return", "repeat"}  # fmt: skip


@dataclass(frozen=True)
class ParsedModule:
    """One module: its name, ports in declaration order (widths evaluated), and what it instantiates."""

    name: str
    ports: tuple[Port, ...]
    instantiates: tuple[str, ...]

    @property
    def clock(self) -> str | None:
        return next((p.name for p in self.ports if p.name in CLOCK_NAMES and p.direction == "input"), None)

    @property
    def reset(self) -> tuple[str | None, bool]:
        """(reset port, active low)."""
        for port in self.ports:
            if port.direction == "input" and port.name in RESET_HIGH + RESET_LOW:
                return port.name, port.name in RESET_LOW
        return None, False


def strip_comments(text: str) -> str:
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def header_comment(text: str) -> str:
    """The comment lines right before the first `module`, joined: a file's own description."""
    before = text[: text.find("module")] if "module" in text else ""
    lines = []
    for line in before.splitlines():
        stripped = line.strip().lstrip("/*").rstrip("*/").strip()
        if stripped and not stripped.startswith(("`", "SPDX", "Copyright", "(c)")):
            lines.append(stripped)
    return " ".join(lines)


def _matching(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the one at `start`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    raise DraftError("unbalanced parentheses in a module header")


def _split_top(text: str) -> list[str]:
    """Comma-separated items at bracket depth 0."""
    items, depth, current = [], 0, []
    for char in text:
        depth += {"[": 1, "(": 1, "{": 1, "]": -1, ")": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _width(bracket: str | None, params: dict[str, int | str]) -> int:
    if not bracket:
        return 1
    expression = bracket.strip()[1:-1].replace("$clog2", "clog2").replace("/", "//")
    msb, sep, lsb = expression.partition(":")
    try:
        high, low = evaluate(msb, params), evaluate(lsb, params) if sep else 0
    except ExpressionError as err:
        raise DraftError(f"port width {bracket.strip()} cannot be evaluated: {err}") from err
    if not isinstance(high, int) or not isinstance(low, int):
        raise DraftError(f"port width {bracket.strip()} is not an integer range")
    return abs(high - low) + 1


def _parameters(text: str) -> dict[str, int | str]:
    params: dict[str, int | str] = {}
    for name, value in _PARAM.findall(text):
        value = re.sub(r"\d+'[dD](\d+)", r"\1", value.strip()).replace("$clog2", "clog2").replace("/", "//")
        try:
            params[name] = evaluate(value, params)
        except ExpressionError:
            continue  # a parameter no port width needs may stay unknown
    return params


def parse_ports(header: str, body: str, params: dict[str, int | str]) -> tuple[Port, ...]:
    """Ports from an ANSI header, or from the body's declarations for a non-ANSI one."""
    direction, bracket, ports, bare = None, None, [], []
    for item in _split_top(header):
        found = re.match(r"(input|output|inout)\b\s*((?:wire|reg|logic|signed|unsigned|\s)*)\s*(\[[^\]]+\])?\s*(\w+)$",
                         item)  # fmt: skip
        if found:
            direction, bracket, name = found.group(1), found.group(3), found.group(4)
        elif re.fullmatch(r"\w+", item):
            name = item
            if direction is None:
                bare.append(name)
                continue
        else:
            raise DraftError(f"port declaration {item!r} is not supported")
        if direction == "inout":
            raise DraftError(f"inout port {name} (bidirectional ports have no testbench here)")
        ports.append(Port(name, direction, _width(bracket, params)))  # type: ignore[arg-type]
    if bare:
        declared = {}
        for found in _DECL.finditer(body):
            if found.group(1) == "inout":
                raise DraftError("inout port (bidirectional ports have no testbench here)")
            for name in (n.strip() for n in found.group(4).split(",")):
                declared[name] = Port(name, found.group(1), _width(found.group(3), params))  # type: ignore[arg-type]
        missing = [name for name in bare if name not in declared]
        if missing:
            raise DraftError(f"ports without a direction: {', '.join(missing)}")
        ports = [declared[name] for name in bare]
    return tuple(ports)


def parse_modules(text: str) -> list[ParsedModule]:
    """Every module in `text`, in order."""
    code = strip_comments(text)
    modules = []
    for found in _MODULE.finditer(code):
        end = code.find("endmodule", found.end())
        if end < 0:
            raise DraftError(f"module {found.group(1)} has no endmodule")
        cursor = found.end()
        params_text = ""
        if found.group(2):
            close = _matching(code, cursor - 1)
            params_text, cursor = code[cursor - 1 : close], close
        open_at = code.find("(", cursor)
        semicolon = code.find(";", cursor)
        header, body_start = "", semicolon + 1
        if 0 <= open_at < semicolon:
            close = _matching(code, open_at)
            header, body_start = code[open_at + 1 : close - 1], code.find(";", close) + 1
        body = code[body_start:end]
        params = _parameters(params_text + "\n" + body)
        used = tuple(sorted({m for m in _INSTANCE.findall(body) if m not in _KEYWORDS}))
        modules.append(ParsedModule(found.group(1), parse_ports(header, body, params), used))
    return modules


def top_module(modules: list[ParsedModule]) -> ParsedModule:
    """The one module no other module in the file instantiates; every instantiated module must be here."""
    names = {m.name for m in modules}
    missing = sorted({used for m in modules for used in m.instantiates} - names)
    if missing:
        raise DraftError(f"instantiates modules not in the file: {', '.join(missing)}")
    tops = [m for m in modules if not any(m.name in other.instantiates for other in modules)]
    if len(tops) != 1:
        raise DraftError(f"no single top module ({', '.join(m.name for m in tops) or 'none'})")
    return tops[0]
