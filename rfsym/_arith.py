"""Exact arithmetic that works on plain numbers and on sympy expressions alike.

Numbers stay Python ``int``/``Fraction`` (fast, no sympy import); as soon as a
symbol takes part, the operation is done in sympy.  Transfer functions use
plain operators where Python's and sympy's agree (``+ - * %``) and these
helpers where exactness or a stable form needs them (``div`` instead of ``/``,
``floordiv``/``ceildiv``, ``maximum``, ``where_ge``), so the same code yields
numeric tables and symbolic ones.  sympy is imported only when a symbol takes
part (numeric tables stay light).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

Num = int | Fraction
Value = Any  # int | Fraction | sympy.Expr


def is_num(x: Value) -> bool:
    """True for a plain exact number (``int`` or ``Fraction``; ``bool`` excluded)."""
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def norm(x: Value) -> Value:
    """Turn integral Fractions into ints and sympy numbers into plain numbers."""
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if is_num(x):
        return x
    if getattr(x, "is_Rational", False):
        p, q = int(x.p), int(x.q)
        return p if q == 1 else Fraction(p, q)
    return x


def to_sympy(x: Value) -> Any:
    """The value as a sympy object (Integer, Rational or expression)."""
    import sympy

    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, int):
        return sympy.Integer(x)
    return x


def floor(x: Value) -> Value:
    if is_num(x):
        return math.floor(x)
    import sympy

    return norm(sympy.floor(x))


def ceil(x: Value) -> Value:
    if is_num(x):
        return math.ceil(x)
    import sympy

    return norm(sympy.ceiling(x))


def div(a: Value, b: Value) -> Value:
    """Exact division a / b."""
    if is_num(a) and is_num(b):
        return norm(Fraction(a) / Fraction(b))
    return norm(to_sympy(a) / to_sympy(b))


def floordiv(a: Value, b: Value) -> Value:
    """floor(a / b), exact."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    return floor(div(a, b))


def ceildiv(a: Value, b: Value) -> Value:
    if isinstance(a, int) and isinstance(b, int):
        return -((-a) // b)
    return ceil(div(a, b))


def maximum(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return max(a, b)
    import sympy

    return norm(sympy.Max(to_sympy(a), to_sympy(b)))


def minimum(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return min(a, b)
    import sympy

    return norm(sympy.Min(to_sympy(a), to_sympy(b)))


def add(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return norm(a + b)
    return norm(to_sympy(a) + to_sympy(b))


def mul(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return norm(a * b)
    return norm(to_sympy(a) * to_sympy(b))


def where_ge(lhs: Value, rhs: Value, then: Value, otherwise: Value) -> Value:
    """``then if lhs >= rhs else otherwise``; a sympy Piecewise when undecided."""
    if is_num(lhs) and is_num(rhs):
        return then if lhs >= rhs else otherwise
    import sympy

    cond = sympy.Ge(to_sympy(lhs), to_sympy(rhs))
    if cond is sympy.true:
        return then
    if cond is sympy.false:
        return otherwise
    return norm(sympy.Piecewise((to_sympy(then), cond), (to_sympy(otherwise), True)))


def fmt(x: Value) -> str:
    """Human form: integers plainly, finite decimals as decimals, else p/q or sympy's str."""
    x = norm(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        q = x.denominator
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:
            s = f"{float(x):.10f}".rstrip("0").rstrip(".")
            if Fraction(s) == x:
                return s
        return f"{x.numerator}/{x.denominator}"
    return str(x)


def exact_str(x: Value) -> str:
    """Exact form in sympy syntax: ``227/2``, ``k*s + 1``."""
    x = norm(x)
    if isinstance(x, Fraction):
        return f"{x.numerator}/{x.denominator}"
    return str(x)


def to_json(x: Value) -> Any:
    """JSON value (docs/conventions.md, "JSON output"): integers as integers, everything else as exact strings."""
    x = norm(x)
    if isinstance(x, int):
        return x
    return exact_str(x)


def poly_str(x: Value) -> str | None:
    """``x`` in sympy syntax, fast, for sums and products of symbols, integers and rationals (the terms of
    layer maps): positive terms first, then negative ones, the constant last (``k - 1``,
    ``d*(k - 1)/2 - p``).  ``None`` for anything else (floor, Max, powers with symbolic exponents ...), which
    the caller prints with sympy.  Linear in the size of ``x`` (sympy's printer sorts and queries)."""
    if is_num(x) or getattr(x, "is_Rational", False):
        return exact_str(x)
    if getattr(x, "is_Symbol", False):
        return str(x.name)
    if getattr(x, "is_Add", False):
        return _poly_add(x.args)
    if getattr(x, "is_Mul", False):
        return _poly_mul(x.args)
    if getattr(x, "is_Pow", False) and getattr(x.exp, "is_Integer", False) and x.exp > 1:
        base = poly_str(x.base)
        if base is None:
            return None
        return f"{base if x.base.is_Symbol else f'({base})'}**{int(x.exp)}"
    return None


def _poly_add(args: tuple[Any, ...]) -> str | None:
    pos: list[str] = []
    neg: list[str] = []
    const = None
    for t in args:
        if getattr(t, "is_Rational", False):
            const = norm(t)
            continue
        s = poly_str(t)
        if s is None:
            return None
        (neg if s.startswith("-") else pos).append(s.lstrip("-") if s.startswith("-") else s)
    if not pos and const is not None and const > 0:  # 1 - k rather than -k + 1
        pos, const = [exact_str(const)], None
    if not pos and not neg:
        return exact_str(const) if const is not None else "0"
    out = " + ".join(pos) if pos else "-" + neg.pop(0)
    for s in neg:
        out += " - " + s
    if const is not None and const != 0:
        out += (" - " if const < 0 else " + ") + exact_str(abs(const))
    return out


def _poly_mul(args: tuple[Any, ...]) -> str | None:
    coeff: Any = 1
    parts: list[str] = []
    for f in args:
        if getattr(f, "is_Rational", False):
            coeff = norm(f)
            continue
        s = poly_str(f)
        if s is None:
            return None
        parts.append(f"({s})" if getattr(f, "is_Add", False) else s)
    num, den = (coeff.numerator, coeff.denominator) if isinstance(coeff, Fraction) else (coeff, 1)
    body = "*".join(parts) if abs(num) == 1 else "*".join([str(abs(num)), *parts])
    if den != 1:
        body += f"/{den}"
    return ("-" if num < 0 else "") + body
