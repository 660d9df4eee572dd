"""The expressions a diagram may carry (gateway conditions, service-task parameters, step properties such as
`opd`) and the one evaluator that runs them.

An expression is checked when a diagram is validated, so that a typo or a hostile expression is refused at
deploy instead of failing, or blocking the server, when an instance reaches it: only the syntax below, only
names that some step declares or the engine provides, no underscore attributes, no random functions, no
powers or repetitions beyond the limits. The evaluator enforces the same limits at run time.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any, cast

from simpleeval import (  # type: ignore[import-untyped]
    DEFAULT_OPERATORS,
    EvalWithCompoundTypes,
    InvalidExpression,
    IterableTooLong,
    NumberTooHigh,
)

from engine.diagrams.diagram_problems import syntax_problem
from engine.diagrams.forms import ITEM_KEYS

# Data the engine itself puts into an instance, beside what steps declare (form fields, service results).
ENGINE_DATA: Mapping[str, str] = {
    "item": "the planned item an item instance was started for (handlers.plan), a mapping of the items keys",
    "arahan_kerja": "step 1's direction, handed to every item instance with its item (handlers.plan)",
    "pemeriksaan_tautan": "the server's own request of a step's address (engine.runtime.instances URL_CHECK_KEY)",
}
# Names whose value is a mapping with known keys: a constant key outside them is a typo.
MAPPING_KEYS: Mapping[str, Collection[str]] = {"item": ITEM_KEYS}
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "int": int, "float": float, "str": str, "len": len, "abs": abs, "round": round,
}
RANDOM_FUNCTIONS = ("rand", "randint", "random", "randrange", "choice", "shuffle", "uniform")
STRING_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "title"})
MAPPING_METHODS = frozenset({"get", "keys", "values"})
MAX_EXPONENT = 100
MAX_POWER_BASE = 10**6
MAX_EXPRESSION_CHARS = 2_000

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
    ast.Mod, ast.Pow, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
    ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.Constant, ast.Name, ast.Load,
    ast.Subscript, ast.Slice, ast.Attribute, ast.Call, ast.List, ast.Tuple, ast.Set, ast.Dict,
)
_NODE_NAMES = {
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension", ast.Lambda: "lambda", ast.JoinedStr: "f-string", ast.NamedExpr: ":=",
    ast.Starred: "*", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
    ast.Invert: "~", ast.MatMult: "@",
}


def bounded_power(base: Any, exponent: Any) -> Any:
    """`**` with a small exponent and base: 999999**999999 would hold the server for many seconds."""
    if abs(exponent) > MAX_EXPONENT or abs(base) > MAX_POWER_BASE:
        raise NumberTooHigh(f"{base} ** {exponent} exceeds the limits ({MAX_POWER_BASE} ** {MAX_EXPONENT})")
    return base**exponent


_RUNTIME_NODES = (*_ALLOWED_NODES, ast.Expr)  # simpleeval parses in "exec" mode: one expression statement
_OPERATORS = {op: fn for op, fn in DEFAULT_OPERATORS.items() if op in _ALLOWED_NODES} | {ast.Pow: bounded_power}
_ALLOWED_ATTRS: dict[type, frozenset[str]] = {str: STRING_METHODS, dict: MAPPING_METHODS}


class _Evaluator(EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval with sopflow's operators, functions and attributes only, and no comprehensions."""

    nodes: dict[type[ast.AST], Callable[[Any], Any]]

    def __init__(self, names: dict[str, Any]) -> None:
        super().__init__(operators=dict(_OPERATORS), functions=dict(FUNCTIONS), names=names,
                         allowed_attrs=_ALLOWED_ATTRS)
        self.nodes = {node: handler for node, handler in self.nodes.items() if node in _RUNTIME_NODES}


_evaluators = threading.local()  # one evaluator per thread: building one costs more than most evaluations


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> ast.AST:
    """A diagram has few expressions, evaluated on every change: each is parsed once."""
    return cast(ast.AST, _Evaluator.parse(expression))


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """Evaluate an expression over task data; simpleeval errors, KeyError, ZeroDivisionError... propagate."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise InvalidExpression(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    evaluator = getattr(_evaluators, "evaluator", None)
    if evaluator is None:
        evaluator = _evaluators.evaluator = _Evaluator({})
    evaluator.names = names
    try:
        return evaluator.eval(expression, _parsed(expression))
    finally:
        evaluator.names = {}


def label(expression: str | None, data: dict[str, Any]) -> str | None:
    """A label from task data (a step's `opd`, `judul`, `kelas_dip`); a missing key gives no label rather than
    a failed step."""
    if not expression:
        return None
    try:
        value = evaluate(expression, data)
    except Exception:
        return None
    return str(value)[:200] if value is not None else None


def known_names(declared: Collection[str]) -> frozenset[str]:
    """The names an expression of a diagram may use: what its steps declare plus what the engine provides."""
    return frozenset(declared) | frozenset(ENGINE_DATA) | frozenset(ITEM_KEYS)


def _node_problem(node: ast.AST, names: Collection[str]) -> str | None:
    if not isinstance(node, _ALLOWED_NODES):
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        return f"bentuk {what!r} tidak diizinkan dalam ekspresi"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"akses atribut {node.attr!r} (diawali garis bawah) tidak diizinkan"
        if node.attr not in STRING_METHODS | MAPPING_METHODS:
            return (f"atribut {node.attr!r} tidak diizinkan; yang boleh: "
                    + ", ".join(sorted(STRING_METHODS | MAPPING_METHODS)))
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in RANDOM_FUNCTIONS:
            return f"fungsi acak {node.func.id!r} tidak diizinkan: hasilnya harus dapat diulang saat audit"
        if isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS and not node.func.id.startswith("_"):
            return f"fungsi {node.func.id!r} tidak dikenal; yang boleh: {', '.join(FUNCTIONS)}"
    if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
        if node.id.startswith("_"):
            return f"nama {node.id!r} (diawali garis bawah) tidak diizinkan"
        if node.id not in names:
            return (f"nama {node.id!r} tidak dikenal: bukan isian formulir langkah mana pun, hasil tugas layanan, "
                    "atau data yang diberikan mesin")
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in MAPPING_KEYS
            and isinstance(node.slice, ast.Constant) and node.slice.value not in MAPPING_KEYS[node.value.id]):
        keys = ", ".join(MAPPING_KEYS[node.value.id])
        return f"{node.value.id}[{node.slice.value!r}]: kunci tidak dikenal; kunci yang ada: {keys}"
    return None


def _constant_problem(tree: ast.AST) -> str | None:
    """Evaluate the largest subexpressions that use no name, under the run-time limits: a power, a
    repetition or a division by zero that can only fail is refused now."""
    pending: list[ast.AST] = [tree.body] if isinstance(tree, ast.Expression) else [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Slice) or any(isinstance(child, ast.Name) for child in ast.walk(node)):
            pending.extend(ast.iter_child_nodes(node))
            continue
        if isinstance(node, ast.Constant | ast.expr_context | ast.operator | ast.cmpop | ast.unaryop | ast.boolop):
            continue
        try:
            _Evaluator({}).eval(ast.unparse(node))
        except NumberTooHigh:
            return (f"{ast.unparse(node)} melampaui batas perpangkatan (pangkat paling besar {MAX_EXPONENT}, "
                    f"bilangan pokok paling besar {MAX_POWER_BASE})")
        except IterableTooLong:
            return f"{ast.unparse(node)} tidak dapat dihitung: hasilnya terlalu panjang"
        except ZeroDivisionError:
            return f"{ast.unparse(node)} tidak dapat dihitung: pembagian dengan nol"
        except Exception:
            return f"{ast.unparse(node)} tidak dapat dihitung"
    return None


def expression_problem(expression: str, names: Collection[str]) -> str | None:
    """Why the expression may not be deployed (in Indonesian), or None. Never evaluates anything unbounded."""
    text = expression.strip()
    if not text:
        return "ekspresi kosong"
    if len(text) > MAX_EXPRESSION_CHARS:
        return f"ekspresi lebih panjang dari {MAX_EXPRESSION_CHARS} karakter"
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        return f"ekspresi tidak valid: {syntax_problem(error)}"
    for node in ast.walk(tree):
        problem = _node_problem(node, names)
        if problem is not None:
            return problem
    return _constant_problem(tree)
