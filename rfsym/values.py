"""Parameter values: integers, sympy expressions, or expression strings.

Expression strings are tokenised and parsed by a small recursive-descent parser
into sympy objects; nothing is ever ``eval``-ed.  The grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom ("**" unary)?
    atom   := INT | NAME | FUNC "(" expr ("," expr)* ")" | "(" expr ")"
    FUNC   := floor | ceil | Min | Max

Symbols get assumptions from the role of the value they stand for: a bare name
used as a kernel, stride, dilation or input size is a positive integer, a bare
padding name a non-negative integer, and any other name an integer.  The spec's
``[symbols]`` table refines these (min, max, odd, even, choices).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import _arith as A
from .errors import RfsymError

__all__ = ["SymbolDomain", "parse_expr_string", "parse_value", "symbol"]

#: Role → lower bound a value of that role must reach.
ROLE_MIN = {
    "kernel": 1,
    "stride": 1,
    "dilation": 1,
    "input": 1,
    "times": 1,
    "scale": 1,
    "padding": 0,
    "output_padding": 0,
}
ROLE_TEXT = {1: "a positive integer", 0: "a non-negative integer"}

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/(),]))")
_FUNCS = {"floor", "ceil", "ceiling", "Min", "Max", "min", "max"}
_MAX_EXPONENT = 4096
_MAX_LEN = 10_000


@dataclass(frozen=True)
class SymbolDomain:
    """Domain of a free symbol, as given in a spec's ``[symbols]`` table."""

    min: int | None = None
    max: int | None = None
    odd: bool = False
    even: bool = False
    choices: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.odd and self.even:
            raise RfsymError("a symbol cannot be both odd and even")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise RfsymError(f"min must be <= max (got min = {self.min}, max = {self.max})")

    @property
    def lower(self) -> int | None:
        """The smallest value the domain allows, if bounded below."""
        vals = self.values(limit=None) if self.choices is not None else None
        if vals is not None:
            return min(vals) if vals else None
        return self.min

    def is_empty(self) -> bool:
        """True when no integer lies in the domain."""
        if self.choices is not None:
            return not any(self.contains(v) for v in self.choices)
        if self.min is None or self.max is None:
            return False
        return not any(self.contains(v) for v in range(self.min, min(self.max, self.min + 1) + 1))

    def contains(self, v: int) -> bool:
        if self.choices is not None and v not in self.choices:
            return False
        if self.min is not None and v < self.min:
            return False
        if self.max is not None and v > self.max:
            return False
        if self.odd and v % 2 == 0:
            return False
        return not (self.even and v % 2 != 0)

    def values(self, limit: int | None = 100_000) -> list[int] | None:
        """All values when the domain is finite (and not larger than ``limit``), else None."""
        if self.choices is not None:
            return sorted(v for v in set(self.choices) if self.contains(v))
        if self.min is None or self.max is None:
            return None
        if limit is not None and self.max - self.min > limit:
            return None
        return [v for v in range(self.min, self.max + 1) if self.contains(v)]

    def assumptions(self, base: dict[str, bool]) -> dict[str, bool]:
        out = dict(base)
        lo = self.lower
        if lo is not None and lo >= 1:
            out.pop("nonnegative", None)
            out["positive"] = True
        elif lo is not None and lo >= 0 and not out.get("positive"):
            out["nonnegative"] = True
        if self.odd:
            out["odd"] = True
        if self.even:
            out["even"] = True
        return out


def _base_assumptions(role: str | None) -> dict[str, bool]:
    lo = ROLE_MIN.get(role or "")
    if lo == 1:
        return {"integer": True, "positive": True}
    if lo == 0:
        return {"integer": True, "nonnegative": True}
    return {"integer": True}


def symbol(name: str, role: str | None = None, domain: SymbolDomain | None = None) -> Any:
    """A sympy Symbol with the assumptions of its role, refined by its domain."""
    import sympy

    base = _base_assumptions(role)
    if domain is not None:
        base = domain.assumptions(base)
    return sympy.Symbol(name, **base)


class _Parser:
    def __init__(self, text: str, where: str, names: dict[str, Any], bare_role: str | None):
        self.text = text
        self.where = where
        self.names = names
        self.bare_role = bare_role
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        stripped = text.rstrip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if not m:
                bad = stripped[pos:].lstrip()[:1]
                raise self.error(f"unexpected character {bad!r}")
            if m.group(1) is not None:
                self.tokens.append(("int", m.group(1)))
            elif m.group(2) is not None:
                self.tokens.append(("name", m.group(2)))
            else:
                self.tokens.append(("op", m.group(3)))
            pos = m.end()
        self.i = 0

    def error(self, what: str) -> RfsymError:
        return RfsymError(f"{self.where}: cannot parse {self.text!r}: {what}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, op: str) -> bool:
        t = self.peek()
        if t is not None and t == ("op", op):
            self.i += 1
            return True
        return False

    def parse(self) -> Any:
        if not self.tokens:
            raise self.error("empty expression")
        bare = len(self.tokens) == 1 and self.tokens[0][0] == "name"
        v = self.expr(bare)
        if self.i != len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.i][1]!r}")
        return v

    def expr(self, bare: bool = False) -> Any:
        v = self.term(bare)
        while True:
            if self.take("+"):
                v = A.add(v, self.term())
            elif self.take("-"):
                v = A.add(v, A.mul(-1, self.term()))
            else:
                return v

    def term(self, bare: bool = False) -> Any:
        v = self.unary(bare)
        while True:
            if self.take("*"):
                v = A.mul(v, self.unary())
            elif self.take("/"):
                d = self.unary()
                if A.is_num(d) and d == 0:
                    raise self.error("division by zero")
                v = A.div(v, d)
            else:
                return v

    def unary(self, bare: bool = False) -> Any:
        if self.take("-"):
            return A.mul(-1, self.unary())
        if self.take("+"):
            return self.unary()
        return self.power(bare)

    def power(self, bare: bool = False) -> Any:
        base = self.atom(bare)
        if self.take("**"):
            exp = self.unary()
            if A.is_num(exp):
                if abs(exp) > _MAX_EXPONENT:
                    raise self.error(f"exponent {exp} is too large")
                if A.is_num(base):
                    if base == 0 and exp < 0:
                        raise self.error("division by zero")
                    if isinstance(exp, int):
                        return A.norm(Fraction(base) ** exp)
            return A.norm(A.to_sympy(base) ** A.to_sympy(exp))
        return base

    def atom(self, bare: bool = False) -> Any:
        t = self.peek()
        if t is None:
            raise self.error("unexpected end of expression")
        kind, tok = t
        self.i += 1
        if kind == "int":
            if len(tok) > 300:
                raise self.error("integer literal is too long")
            return int(tok)
        if kind == "name":
            if self.take("("):
                if tok not in _FUNCS:
                    raise self.error(f"unknown function {tok!r} (allowed: floor, ceil, Min, Max)")
                args = [self.expr()]
                while self.take(","):
                    args.append(self.expr())
                if not self.take(")"):
                    raise self.error("missing ')'")
                return self.call(tok, args)
            if tok in _FUNCS:
                raise self.error(f"function {tok!r} needs arguments")
            if tok.startswith("_"):
                raise self.error(f"names may not start with '_' (got {tok!r})")
            if tok not in self.names:
                self.names[tok] = symbol(tok, self.bare_role if bare else None)
            return self.names[tok]
        if tok == "(":
            v = self.expr()
            if not self.take(")"):
                raise self.error("missing ')'")
            return v
        raise self.error(f"unexpected {tok!r}")

    def call(self, fn: str, args: list[Any]) -> Any:
        if fn in ("floor", "ceil", "ceiling"):
            if len(args) != 1:
                raise self.error(f"{fn} takes one argument")
            return A.floor(args[0]) if fn == "floor" else A.ceil(args[0])
        v = args[0]
        for a in args[1:]:
            v = A.maximum(v, a) if fn.lower() == "max" else A.minimum(v, a)
        return v


def parse_expr_string(
    text: str,
    *,
    where: str = "expression",
    names: dict[str, Any] | None = None,
    role: str | None = None,
) -> Any:
    """Parse an expression string into an int, a Fraction or a sympy expression.

    ``names`` maps names to existing symbols (and collects new ones); ``role``
    gives a bare name its assumptions.

    >>> parse_expr_string("2*m + 1")
    2*m + 1
    >>> parse_expr_string("(3 + 4) / 2")
    Fraction(7, 2)
    """
    if len(text) > _MAX_LEN:
        raise RfsymError(f"{where}: expression is too long ({len(text)} characters)")
    return _Parser(text, where, {} if names is None else names, role).parse()


def parse_value(
    value: Any,
    *,
    role: str | None,
    where: str,
    names: dict[str, Any] | None = None,
) -> Any:
    """Parse and validate one parameter value for its role.

    Integers and integral Fractions become ints; strings are parsed; sympy
    expressions are accepted as they are.  The value must be able to satisfy
    the role's lower bound (``kernel >= 1``, ``padding >= 0`` …).
    """
    lo = ROLE_MIN.get(role or "")
    need = ROLE_TEXT.get(lo, "an integer") if lo is not None else "an integer"
    if isinstance(value, bool) or value is None:
        raise RfsymError(f"{where} must be {need} (got {value!r})")
    if isinstance(value, float):
        if not value.is_integer():
            raise RfsymError(f"{where} must be {need} (got {value!r})")
        value = int(value)
    if isinstance(value, str):
        v = parse_expr_string(value, where=where, names=names, role=role)
    elif A.is_num(value):
        v = A.norm(value)
    elif hasattr(value, "free_symbols") and hasattr(value, "is_integer"):
        v = A.norm(value)
    else:
        raise RfsymError(f"{where} must be {need} (got {value!r})")
    check_value(v, role=role, where=where, shown=value)
    return v


def check_value(v: Any, *, role: str | None, where: str, shown: Any = None) -> None:
    """Raise unless ``v`` is (or can be) an integer reaching the role's lower bound."""
    lo = ROLE_MIN.get(role or "")
    need = ROLE_TEXT.get(lo, "an integer") if lo is not None else "an integer"
    shown = v if shown is None else shown
    shown_s = repr(shown) if isinstance(shown, str) else A.fmt(shown)
    if A.is_num(v):
        if not isinstance(v, int) or (lo is not None and v < lo):
            raise RfsymError(f"{where} must be {need} (got {shown_s})")
        return
    if v.is_integer is False:
        raise RfsymError(f"{where} must be {need} (got {shown_s}, which is never an integer)")
    if lo is not None and (v - lo).is_negative:
        raise RfsymError(f"{where} must be {need} (got {shown_s}, which is always below {lo})")
