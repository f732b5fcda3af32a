"""Catalog arithmetic and templates: derived parameters (`div = "clk_hz // baud"`) and `${name}` fills.

Catalog files are data, so their expressions are evaluated by a whitelist walker over Python's AST
(integer arithmetic, comparisons, a conditional, and a few named functions), never by `eval`.
Templates use `${name}` only: C never contains `$`, and Verilog's `$display` has no brace after it.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping

_BINARY: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}  # fmt: skip
_COMPARE: dict[type, Callable[[int, int], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}  # fmt: skip
FUNCTIONS: dict[str, Callable[..., int | str]] = {
    "clog2": lambda x: max(1, (int(x) - 1).bit_length()),  # bits to count 0..x-1, as Verilog's $clog2 (min 1)
    "max": max,
    "min": min,
    "abs": abs,
    "hex": lambda x, digits=2: f"{x:0{digits}X}",  # for text: 0x${poly_hex} in a requirement
}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_]\w*)\}")


class ExpressionError(ValueError):
    """An expression or template the catalog may not use, or one naming an unknown parameter."""


def evaluate(expression: str, names: Mapping[str, int | str]) -> int | str:
    """The value of `expression` over `names` (integers; strings only pass through as names)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"{expression!r}: {err.msg}") from err
    return _walk(tree.body, names, expression)


def _walk(node: ast.AST, names: Mapping[str, int | str], source: str) -> int | str:
    match node:
        case ast.Constant(value=int() | str() as value):
            return value
        case ast.Name(id=name):
            if name not in names:
                raise ExpressionError(f"{source!r}: unknown name {name!r}")
            return names[name]
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            return _BINARY[type(op)](_int(left, names, source), _int(right, names, source))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_int(operand, names, source)
        case ast.UnaryOp(op=ast.Invert(), operand=operand):
            return ~_int(operand, names, source)
        case ast.Compare(left=left, ops=[op], comparators=[right]) if type(op) in _COMPARE:
            return int(_COMPARE[type(op)](_walk(left, names, source), _walk(right, names, source)))
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _walk(body if _walk(test, names, source) else orelse, names, source)
        case ast.Call(func=ast.Name(id=name), args=args) if name in FUNCTIONS:
            return FUNCTIONS[name](*(_int(a, names, source) for a in args))
    raise ExpressionError(f"{source!r}: {ast.unparse(node)!r} is not allowed in catalog expressions")


def _int(node: ast.AST, names: Mapping[str, int | str], source: str) -> int:
    value = _walk(node, names, source)
    if not isinstance(value, int):
        raise ExpressionError(f"{source!r}: {ast.unparse(node)!r} is not an integer")
    return value


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with every `${name}` replaced; an unknown name is an error, not a silent blank."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ExpressionError(f"template names unknown parameter ${{{name}}}")
        return str(values[name])

    return _PLACEHOLDER.sub(replace, template)
