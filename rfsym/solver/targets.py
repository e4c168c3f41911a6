"""Targets of a solve: which quantity, where, and which values are wanted.

A :class:`Target` names a quantity (``n``, ``j``, ``r``, ``start`` or
``effective_padding``/``P``), a place (the output, or a named layer) and a set
of wanted values: an interval ``[lo, hi]`` whose ends may be open or missing.
An equality is the interval ``[v, v]``; a symbolic equality (``r = "R"``) keeps
the expression in ``value``.

Accepted forms (Python and command line alike)::

    224                 r = 224
    ">=100"  (">=", 100)   r >= 100      (also >, <=, <, ==, =)
    (100, 200)  "100..200" 100 <= r <= 200 (closed range; None leaves an end open)
    "R"  "2**L"         a symbolic equality (symbols that are not unknowns)

Keys: ``"r"``, ``"conv3.r"`` (at layer conv3), or ``"r@conv3"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..values import parse_expr_string

__all__ = ["QUANTITIES", "Target", "parse_target", "parse_target_string", "check_targets"]

#: Quantity name -> canonical name.
QUANTITIES = {
    "n": "n",
    "j": "j",
    "jump": "j",
    "r": "r",
    "rf": "r",
    "start": "start",
    "effective_padding": "effective_padding",
    "P": "effective_padding",
    "p_eff": "effective_padding",
}
#: The smallest value a quantity can take (None: any rational).  j is positive but may be a
#: fraction (transposed convolution, upsampling); P may be negative (seed convention, cropping).
QUANTITY_MIN = {"n": 1, "j": None, "r": 1, "start": None, "effective_padding": None}
#: Quantities that are always integers (r, j and P are fractions after a transposed convolution).
INTEGRAL = {"n"}
_OPS = {"==": "==", "=": "==", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}
_OP_RE = re.compile(r"^\s*(==|>=|<=|=|>|<)\s*(.*)$", re.S)
_KEY_RE = re.compile(r"^\s*(==|>=|<=|=|>|<)")


@dataclass(frozen=True)
class Target:
    """A wanted set of values for one quantity at one place.

    ``lo``/``hi`` are inclusive bounds after normalisation (strict integer
    inequalities become inclusive ones: ``r > 99`` is ``lo = 100``); ``None``
    is unbounded.  ``value`` holds a symbolic right-hand side of an equality.
    """

    quantity: str
    lo: Any = None
    hi: Any = None
    at: str | None = None
    value: Any = None  # symbolic equality only
    lo_strict: bool = False
    hi_strict: bool = False

    @property
    def symbolic(self) -> bool:
        return self.value is not None

    @property
    def is_equality(self) -> bool:
        return self.symbolic or (self.lo is not None and self.lo == self.hi and not self.lo_strict)

    @property
    def key(self) -> str:
        return f"{self.at}.{self.quantity}" if self.at else self.quantity

    def contains(self, v: Any) -> bool:
        """True when the number ``v`` satisfies the target."""
        if self.symbolic:
            raise RfsymError(f"target {self}: symbolic targets cannot be checked on numbers")
        if self.lo is not None and (v < self.lo or (self.lo_strict and v == self.lo)):
            return False
        return not (self.hi is not None and (v > self.hi or (self.hi_strict and v == self.hi)))

    def holds_lo(self, v: Any) -> bool:
        """True when ``v`` meets the lower end (or there is none)."""
        return self.lo is None or v > self.lo or (v == self.lo and not self.lo_strict)

    def holds_hi(self, v: Any) -> bool:
        """True when ``v`` meets the upper end (or there is none)."""
        return self.hi is None or v < self.hi or (v == self.hi and not self.hi_strict)

    def distance(self, v: Any) -> Any:
        """How far the number ``v`` is from the wanted set: 0 inside and at the open end of a
        strict target (``r = 3/2`` is as close to ``r > 3/2`` as a value can be, closer than
        ``r = 1``), else the gap to the nearer end."""
        if self.lo is not None and v < self.lo:
            return self.lo - v
        if self.hi is not None and v > self.hi:
            return v - self.hi
        return 0

    def widened(self, w: Any) -> Target:
        """The target with both ends moved outwards by ``w`` (for nearest values)."""
        return Target(
            self.quantity,
            None if self.lo is None else self.lo - w,
            None if self.hi is None else self.hi + w,
            self.at,
        )

    def __str__(self) -> str:
        q = self.key
        if self.symbolic:
            return f"{q} = {self.value}"
        if self.is_equality:
            return f"{q} = {A.fmt(self.lo)}"
        parts = []
        if self.lo is not None:
            parts.append(f"{q} {'>' if self.lo_strict else '>='} {A.fmt(self.lo)}")
        if self.hi is not None:
            parts.append(f"{q} {'<' if self.hi_strict else '<='} {A.fmt(self.hi)}")
        return " and ".join(parts) if parts else f"{q} (any value)"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"quantity": self.quantity, "at": self.at}
        if self.symbolic:
            out["value"] = A.exact_str(self.value)
        else:
            out["min"] = None if self.lo is None else A.to_json(self.lo)
            out["max"] = None if self.hi is None else A.to_json(self.hi)
            out["min_strict"], out["max_strict"] = self.lo_strict, self.hi_strict
        return out


def _split_key(key: str) -> tuple[str, str | None]:
    key = key.strip()
    at = None
    if "@" in key:
        q, at = key.split("@", 1)
    elif "." in key:
        at, q = key.rsplit(".", 1)
    else:
        q = key
    q = q.strip()
    if q not in QUANTITIES:
        raise RfsymError(
            f"target {key!r}: unknown quantity {q!r} (choose from n, j, r, start, effective_padding; "
            f"P is short for effective_padding)"
        )
    if at is not None and not at.strip():
        raise RfsymError(f"target {key!r}: empty layer name")
    return QUANTITIES[q], (at.strip() if at is not None else None)


def _number(v: Any, where: str) -> Any:
    """A target value: int, Fraction, or (for symbolic targets) a sympy expression."""
    if isinstance(v, bool) or v is None:
        raise RfsymError(f"{where}: a target value must be a number or an expression (got {v!r})")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise RfsymError(f"{where}: {v!r} is not a number a target can take")
        if not v.is_integer() and Fraction(v).denominator not in (1, 2):
            raise RfsymError(f"{where}: {v!r} is not an exact value; give a fraction such as '1/2'")
        return A.norm(Fraction(v))
    if isinstance(v, str):
        text = v.strip()
        if re.fullmatch(r"-?\d+\.\d+", text):
            return A.norm(Fraction(text))
        return parse_expr_string(text, where=where)
    if A.is_num(v):
        return A.norm(v)
    if hasattr(v, "free_symbols"):
        return A.norm(v)
    raise RfsymError(f"{where}: a target value must be a number or an expression (got {v!r})")


def _from_op(q: str, at: str | None, op: str, v: Any, where: str) -> Target:
    v = _number(v, where)
    if not A.is_num(v):
        if op != "==":
            raise RfsymError(f"{where}: only equalities may have a symbolic value (got {op} {v})")
        return Target(q, at=at, value=v)
    if op == "==":
        return Target(q, v, v, at)
    if op in (">=", ">"):
        return Target(q, v, None, at, lo_strict=op == ">")
    return Target(q, None, v, at, hi_strict=op == "<")


def parse_target(key: str, spec: Any) -> Target:
    """Build a :class:`Target` from a key (``"r"``, ``"conv3.r"``) and a value form."""
    q, at = _split_key(key)
    where = f"target {key}"
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, (tuple, list)):
        if len(spec) == 2 and isinstance(spec[0], str) and spec[0].strip() in _OPS:
            t = _from_op(q, at, _OPS[spec[0].strip()], spec[1], where)
        elif len(spec) == 2:
            lo = None if spec[0] is None else _number(spec[0], where)
            hi = None if spec[1] is None else _number(spec[1], where)
            if (lo is not None and not A.is_num(lo)) or (hi is not None and not A.is_num(hi)):
                raise RfsymError(f"{where}: range ends must be numbers (got {spec!r})")
            if lo is not None and hi is not None and lo > hi:
                raise RfsymError(f"{where}: empty range {A.fmt(lo)}..{A.fmt(hi)} (min > max)")
            t = Target(q, lo, hi, at)
        else:
            raise RfsymError(f"{where}: use (op, value) or (min, max) (got {spec!r})")
    elif isinstance(spec, str):
        text = spec.strip()
        m = _OP_RE.match(text)
        if ".." in text and not m:
            lo_s, hi_s = text.split("..", 1)
            return parse_target(key, (lo_s.strip() or None, hi_s.strip() or None))
        if m:
            t = _from_op(q, at, _OPS[m.group(1)], m.group(2), where)
        else:
            t = _from_op(q, at, "==", text, where)
    else:
        t = _from_op(q, at, "==", spec, where)
    return _normalise(t, where)


def _normalise(t: Target, where: str) -> Target:
    """Integer quantities: strict bounds become inclusive; impossible values are rejected."""
    if t.symbolic:
        return t
    lo, hi, los, his = t.lo, t.hi, t.lo_strict, t.hi_strict
    if t.quantity in INTEGRAL:
        if lo is not None:
            lo = A.floor(lo) + 1 if los else A.ceil(lo)
            los = False
        if hi is not None:
            hi = A.ceil(hi) - 1 if his else A.floor(hi)
            his = False
        if t.is_equality and not isinstance(t.lo, int):
            raise RfsymError(f"{where}: {t.quantity} is an integer, so it cannot equal {A.fmt(t.lo)}")
    qmin = QUANTITY_MIN[t.quantity]
    what = {
        "n": "the number of features n is at least 1",
        "j": "the jump j is positive",
        "r": "the receptive field r is at least 1 pixel",
    }
    if t.quantity == "j" and hi is not None and hi <= 0:
        shown = A.fmt(t.hi)
        raise RfsymError(
            f"{where}: j = {shown} is impossible: {what['j']}"
            if t.is_equality
            else f"{where}: j cannot be {'<' if t.hi_strict else '<='} {shown}: {what['j']}"
        )
    if qmin is not None and hi is not None and hi < qmin:
        shown = A.fmt(t.hi)
        raise RfsymError(
            f"{where}: {t.quantity} cannot be {'<' if t.hi_strict else '<='} {shown}"
            if not t.is_equality
            else f"{where}: {t.quantity} = {shown} is impossible: {what[t.quantity]}"
        )
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (los or his))):
        raise RfsymError(f"{where}: no value satisfies {t}")
    return Target(t.quantity, lo, hi, t.at, None, los, his)


def parse_target_string(text: str) -> Target:
    """Parse one command-line target: ``r=224``, ``r>=100``, ``conv3.r=99``, ``n=5..9``."""
    m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_\-.@]*)\s*(==|>=|<=|=|>|<)\s*(.*)$", text, re.S)
    if not m:
        raise RfsymError(
            f"target {text!r}: expected QUANTITY=VALUE, QUANTITY>=VALUE, ... (e.g. r=224, r>=100, conv3.r=99, n=5..9)"
        )
    key, op, rest = m.group(1), m.group(2), m.group(3).strip()
    if not rest:
        raise RfsymError(f"target {text!r}: missing value after {op!r}")
    if op in ("=", "==") and ".." in rest:
        return parse_target(key, rest)
    return parse_target(key, (op, rest))


def check_targets(targets: list[Target]) -> list[Target]:
    """Merge targets on the same quantity and place; raise when they contradict."""
    merged: dict[tuple[str, str | None], Target] = {}
    out: list[Target] = []
    for t in targets:
        k = (t.quantity, t.at)
        if t.symbolic:
            out.append(t)
            continue
        if k not in merged:
            merged[k] = t
            continue
        a = merged[k]
        lo, los = a.lo, a.lo_strict
        if t.lo is not None and (lo is None or t.lo > lo or (t.lo == lo and t.lo_strict)):
            lo, los = t.lo, t.lo_strict
        hi, his = a.hi, a.hi_strict
        if t.hi is not None and (hi is None or t.hi < hi or (t.hi == hi and t.hi_strict)):
            hi, his = t.hi, t.hi_strict
        if lo is not None and hi is not None and (lo > hi or (lo == hi and (los or his))):
            raise RfsymError(f"contradictory targets: {a} and {t} cannot both hold")
        merged[k] = Target(t.quantity, lo, hi, t.at, None, los, his)
    return list(merged.values()) + out
