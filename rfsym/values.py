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

import itertools
import math
import re
from collections.abc import Iterator
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
#: Roles whose expressions must be *proven* integers reaching their bound for every value of their
#: symbols (a stride of ``1/k`` or a kernel of ``k - 2`` with k = 1 would give wrong numbers silently).
#: Other roles (padding, input) are refused only when they can never be valid.
PROVEN_ROLES = frozenset({"kernel", "stride", "dilation", "scale", "times"})

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/(),]))")
_FUNCS = {"floor", "ceil", "ceiling", "Min", "Max", "min", "max"}

# Limits (docs/spec.md, "Limits"), checked before any sympy object is built.
#: Longest expression string, in characters.
MAX_LEN = 10_000
#: Deepest nesting of parentheses, function calls, signs and exponents.
MAX_DEPTH = 50
#: Longest integer literal, in digits.
MAX_DIGITS = 300
#: Largest numerator or denominator of any number an expression computes, in bits.
MAX_BITS = 8192
#: Largest numeric exponent of a power.
MAX_EXPONENT = 4096
#: Largest numeric exponent of a power whose base holds symbols (``(k + 1)**64``).
MAX_SYMBOLIC_EXPONENT = 64
#: Largest absolute value of a layer parameter or input size (and of its lower bound, for expressions).
MAX_VALUE = 2**64
#: Most layers a repeat may unroll into (tables, graphs).
MAX_UNROLL = 100_000


@dataclass(frozen=True)
class SymbolDomain:
    """Domain of a free symbol, as given in a spec's ``[symbols]`` table."""

    min: int | None = None
    max: int | None = None
    odd: bool = False
    even: bool = False
    choices: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for key in ("min", "max"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise RfsymError(f"{key} must be an integer (got {v!r})")
        for key in ("odd", "even"):
            if not isinstance(getattr(self, key), bool):
                raise RfsymError(f"{key} must be true or false (got {getattr(self, key)!r})")
        if self.choices is not None:
            ok = isinstance(self.choices, (list, tuple)) and len(self.choices) > 0
            if not ok or not all(isinstance(c, int) and not isinstance(c, bool) for c in self.choices):
                raise RfsymError(f"choices must be a non-empty list of integers (got {self.choices!r})")
            object.__setattr__(self, "choices", tuple(self.choices))
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
    key = (name, tuple(sorted(base.items())))
    hit = _SYMBOLS.get(key)
    if hit is None:
        if len(_SYMBOLS) > 100_000:
            _SYMBOLS.clear()
        hit = _SYMBOLS[key] = sympy.Symbol(name, **base)
    return hit


#: Symbols are immutable values: one per (name, assumptions), however often a spec names them.
_SYMBOLS: dict[tuple[str, tuple[tuple[str, bool], ...]], Any] = {}


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
        self.depth = 0

    def error(self, what: str) -> RfsymError:
        shown = repr(self.text) if len(self.text) <= 80 else repr(self.text[:77]) + "..."
        return RfsymError(f"{self.where}: cannot parse {shown}: {what}")

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
        if not A.is_num(v):
            for p in _preorder(v):
                if p.is_Pow and p.exp.is_Number and not p.base.is_Number and abs(p.exp) > MAX_SYMBOLIC_EXPONENT:
                    raise self.error(
                        f"its degree {p.exp} is too large (the limit for a power of symbols is {MAX_SYMBOLIC_EXPONENT})"
                    )
        return v

    def expr(self, bare: bool = False) -> Any:
        v = self.term(bare)
        while True:
            if self.take("+"):
                v = self.small(A.add(v, self.term()))
            elif self.take("-"):
                v = self.small(A.add(v, A.mul(-1, self.term())))
            else:
                return v

    def term(self, bare: bool = False) -> Any:
        v = self.unary(bare)
        while True:
            if self.take("*"):
                v = self.small(A.mul(v, self.unary()))
            elif self.take("/"):
                d = self.unary()
                if A.is_num(d) and d == 0:
                    raise self.error("division by zero")
                v = self.small(A.div(v, d))
            else:
                return v

    def unary(self, bare: bool = False) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep (the limit)")
        if self.take("-"):
            v = self.small(A.mul(-1, self.unary()))
        elif self.take("+"):
            v = self.unary()
        else:
            v = self.power(bare)
        self.depth -= 1
        return v

    def small(self, v: Any) -> Any:
        """``v``, unless a number in it exceeds :data:`MAX_BITS`."""
        if isinstance(v, Fraction):
            big = max(v.numerator.bit_length(), v.denominator.bit_length())
        elif isinstance(v, int):
            big = v.bit_length()
        else:
            big = max((_bits(a) for a in v.atoms() if getattr(a, "is_Rational", False)), default=0)
        if big > MAX_BITS:
            raise self.error(f"a number in it has more than {MAX_BITS} bits (the limit)")
        return v

    def power(self, bare: bool = False) -> Any:
        base = self.atom(bare)
        if not self.take("**"):
            return base
        exp = self.unary()
        if A.is_num(exp):
            if abs(exp) > MAX_EXPONENT:
                raise self.error(f"exponent {A.fmt(exp)} is too large (the limit is {MAX_EXPONENT})")
            if A.is_num(base):
                if base == 0 and exp < 0:
                    raise self.error("division by zero")
                if isinstance(exp, int):
                    b = Fraction(base)
                    bits = max(b.numerator.bit_length(), b.denominator.bit_length()) * abs(exp)
                    if bits > MAX_BITS and abs(b) != 1:
                        raise self.error(f"the power has more than {MAX_BITS} bits (the limit)")
                    return A.norm(b**exp)
            elif abs(exp) > MAX_SYMBOLIC_EXPONENT:
                raise self.error(
                    f"exponent {A.fmt(exp)} of an expression with symbols is too large "
                    f"(the limit is {MAX_SYMBOLIC_EXPONENT})"
                )
        return self.small(A.norm(A.to_sympy(base) ** A.to_sympy(exp)))

    def atom(self, bare: bool = False) -> Any:
        t = self.peek()
        if t is None:
            raise self.error("unexpected end of expression")
        kind, tok = t
        self.i += 1
        if kind == "int":
            if len(tok) > MAX_DIGITS:
                raise self.error(f"integer literal is too long (more than {MAX_DIGITS} digits)")
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
    if not isinstance(text, str):
        raise RfsymError(f"{where}: an expression must be a string (got {type(text).__name__})")
    if len(text) > MAX_LEN:
        raise RfsymError(f"{where}: expression is too long ({len(text)} characters; the limit is {MAX_LEN})")
    return _Parser(text, where, {} if names is None else names, role).parse()


def _bits(r: Any) -> int:
    return max(int(r.p).bit_length(), int(r.q).bit_length())


def _preorder(e: Any) -> Iterator[Any]:
    """Every node of a sympy expression, without recursion."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(getattr(x, "args", ()))


def _need(role: str | None) -> str:
    lo = ROLE_MIN.get(role or "")
    return ROLE_TEXT.get(lo, "an integer") if lo is not None else "an integer"


def parse_value(
    value: Any,
    *,
    role: str | None,
    where: str,
    names: dict[str, Any] | None = None,
) -> Any:
    """Parse and validate one parameter value for its role.

    Integers, integral Fractions and floats that hold an integer exactly become
    ints; strings are parsed; sympy expressions are accepted when they are made
    of integers, rationals, symbols and the parser's functions.  The value must
    be able to satisfy the role's lower bound (``kernel >= 1``, ``padding >= 0``
    …); :func:`check_value` with ``domains`` then proves it for every value of
    its symbols (``rfsym.Network`` does that).
    """
    need = _need(role)
    if isinstance(value, bool) or value is None:
        raise RfsymError(f"{where} must be {need} (got {value!r})")
    if isinstance(value, float):
        value = _from_float(value, where, need)
    if isinstance(value, str):
        v = parse_expr_string(value, where=where, names=names, role=role)
    elif A.is_num(value):
        v = A.norm(value)
    elif hasattr(value, "free_symbols") and hasattr(value, "is_integer") and hasattr(value, "func"):
        v = A.norm(value)
        if not A.is_num(v):
            _check_atoms(v, where, need)
    else:
        raise RfsymError(f"{where} must be {need} (got {_show(value)})")
    check_value(v, role=role, where=where, shown=value)
    return v


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _from_float(value: float, where: str, need: str) -> int:
    """A float that is exactly an integer (TOML ``3.0``); anything else is refused, not rounded."""
    if value != value or value in (float("inf"), float("-inf")):
        raise RfsymError(f"{where} must be {need} (got {value!r})")
    if not value.is_integer():
        raise RfsymError(f"{where} must be {need} (got {value!r})")
    if abs(value) >= 2**53:
        raise RfsymError(
            f"{where} must be {need} (got the float {value!r}, which may not be the number written: "
            f"write it as an integer, without '.0' or an exponent)"
        )
    return int(value)


_FUNC_NAMES = {"floor", "ceiling", "Min", "Max", "Mod", "Piecewise", "ExprCondPair"}


def _check_atoms(v: Any, where: str, need: str) -> None:
    """A sympy value holds integers, rationals, symbols (plain or indexed) and the parser's functions only."""
    for x in _preorder(v):
        if x.is_Atom:
            if x.is_Number and not x.is_Rational:
                raise RfsymError(f"{where} must be {need} (got {v}, which holds {x})")
            if not (x.is_Number or x.is_Symbol or type(x).__name__ in ("Indexed", "IndexedBase", "Idx")):
                raise RfsymError(f"{where} must be {need} (got {v}, which holds {x})")
        elif not (x.is_Add or x.is_Mul or x.is_Pow or x.is_Relational or x.is_Boolean):
            if type(x).__name__ not in _FUNC_NAMES | {"Indexed", "IndexedBase"}:
                raise RfsymError(f"{where} must be {need} (got {v}, which holds {type(x).__name__})")


def check_value(
    v: Any,
    *,
    role: str | None,
    where: str,
    shown: Any = None,
    domains: dict[str, SymbolDomain] | None = None,
) -> None:
    """Raise unless ``v`` is (or can be) an integer reaching its role's lower bound.

    Without ``domains`` only what is certainly wrong is refused (never an
    integer, always below the bound; a number above :data:`MAX_VALUE`; symbolic
    values are not limited, so a domain such as ``{ min = 10**20 }`` stays usable).  With
    ``domains`` (name → domain; symbols without one range over their
    assumptions) a value of a role in :data:`PROVEN_ROLES` must be *proven* an
    integer reaching the bound for every value of its symbols.  The proof never asks sympy's assumptions about a
    compound expression (sympy 1.14 says ``(x/6).is_integer`` for even x): it
    uses interval bounds and the residues of a polynomial modulo its
    denominator.
    """
    lo = ROLE_MIN.get(role or "")
    need = _need(role)
    if A.is_num(v):
        if type(v) is int and (lo is None or v >= lo) and (role is None or abs(v) <= MAX_VALUE):
            return
        if not isinstance(v, int) or (lo is not None and v < lo):
            raise RfsymError(f"{where} must be {need} (got {_text(v, shown)})")
        if abs(v) > MAX_VALUE and role is not None:
            raise RfsymError(f"{where} = {_text(v, shown)} is above the limit of 2**64 on parameter values")
        return
    doms = domains or {}
    low, high = bounds(v, doms)
    if lo is not None and low < lo and domains is not None:
        low = max(low, lower_bound(v, doms))
    integral = is_integral(v, doms)
    never = "which its symbols' domains never allow" if domains is not None else None
    if integral is False:
        raise RfsymError(f"{where} must be {need} (got {_text(v, shown)}, which is never an integer)")
    if lo is not None and high < lo:
        raise RfsymError(f"{where} must be {need} (got {_text(v, shown)}, {never or f'which is always below {lo}'})")
    if domains is None or role not in PROVEN_ROLES:
        return
    if integral is not True:
        raise RfsymError(
            f"{where} must be {need} (got {_text(v, shown)}, which is not provably an integer for every value of "
            "its symbols; declare their domains (odd, even, choices) or write the expression with floor)"
        )
    if lo is not None and low < lo:
        syms = sorted(str(s) for s in v.free_symbols)
        raise RfsymError(
            f"{where} must be {need} (got {_text(v, shown)}, which is not provably >= {lo} for every value of "
            f"{', '.join(syms)}; bound them under [symbols], e.g. {syms[0]} = {{ min = {lo} }}, "
            f"or in Python symbols={{'{syms[0]}': SymbolDomain(min={lo})}})"
        )


def _text(v: Any, shown: Any) -> str:
    """A value as an error message shows it (the text the user wrote, when there is one)."""
    shown = v if shown is None else shown
    text = repr(shown) if isinstance(shown, str) else A.fmt(shown)
    return text if len(text) <= 120 else text[:117] + "..."


# ---------------------------------------------------------------------------
# proofs about expressions: interval bounds and integrality

_INF = float("inf")
_BIG = 2**256  # bounds beyond this are as good as infinite


def _clamp(lo: Any, hi: Any) -> tuple[Any, Any]:
    if lo != -_INF and lo != _INF and abs(lo) > _BIG:
        lo = _BIG if lo > 0 else -_INF
    if hi != _INF and hi != -_INF and abs(hi) > _BIG:
        hi = _INF if hi > 0 else -_BIG
    return lo, hi


def _add(a: Any, b: Any) -> Any:
    if a in (_INF, -_INF):
        return a
    if b in (_INF, -_INF):
        return b
    return a + b


def _mul(a: Any, b: Any) -> Any:
    if a == 0 or b == 0:
        return 0
    if a in (_INF, -_INF) or b in (_INF, -_INF):
        return _INF if (a > 0) == (b > 0) else -_INF
    return a * b


def _atom_bounds(x: Any, doms: dict[str, SymbolDomain]) -> tuple[Any, Any]:
    dom = doms.get(getattr(x, "name", None) or "") if x.is_Symbol else None
    lo: Any = -_INF
    hi: Any = _INF
    if dom is not None:
        vals = dom.values(limit=None) if dom.choices is not None else None
        if vals:
            return min(vals), max(vals)
        lo = dom.min if dom.min is not None else lo
        hi = dom.max if dom.max is not None else hi
    if x.is_positive:
        lo = max(lo, 1 if x.is_integer else 0)
    elif x.is_nonnegative:
        lo = max(lo, 0)
    if x.is_negative:
        hi = min(hi, -1 if x.is_integer else 0)
    elif x.is_nonpositive:
        hi = min(hi, 0)
    return lo, hi


def bounds(e: Any, doms: dict[str, SymbolDomain] | None = None) -> tuple[Any, Any]:
    """Lower and upper bounds (``±inf`` when unknown) of ``e`` over its symbols' domains."""
    doms = doms or {}
    if A.is_num(e):
        return e, e
    if e.is_Rational:
        return A.norm(e), A.norm(e)
    if e.is_Symbol or type(e).__name__ == "Indexed":
        return _atom_bounds(e, doms)
    args = [bounds(a, doms) for a in e.args] if not e.is_Pow else []
    name = type(e).__name__
    if e.is_Add:
        lo, hi = 0, 0
        for a, b in args:
            lo, hi = _add(lo, a), _add(hi, b)
        return _clamp(lo, hi)
    if e.is_Mul:
        lo, hi = 1, 1
        for a, b in args:
            cands = [_mul(x, y) for x in (lo, hi) for y in (a, b)]
            lo, hi = min(cands), max(cands)
        return _clamp(lo, hi)
    if e.is_Pow:
        return _pow_bounds(e, doms)
    if name in ("floor", "ceiling"):
        (a, b), f = args[0], (math.floor if name == "floor" else math.ceil)
        return (a if a in (_INF, -_INF) else f(a)), (b if b in (_INF, -_INF) else f(b))
    if name in ("Min", "Max"):
        pick = min if name == "Min" else max
        return pick(a for a, _ in args), pick(b for _, b in args)
    if name == "Mod" and e.args[1].is_Integer and e.args[1] > 0:
        return 0, int(e.args[1]) - 1
    if name == "Piecewise":
        parts = [bounds(branch, doms) for branch, _ in e.args]
        return min(a for a, _ in parts), max(b for _, b in parts)
    return -_INF, _INF


_EXPAND_LIMIT = 400


def lower_bound(e: Any, doms: dict[str, SymbolDomain]) -> Any:
    """A lower bound of ``e`` sharper than :func:`bounds`: each symbol bounded below by ``m`` is written
    ``m + y`` with ``y >= 0`` (so ``(k - 1) d`` becomes ``y d``), and a small polynomial is then
    expanded, where a sum of monomials in non-negative variables is at least its negative terms."""
    import sympy

    shift = {}
    for x in e.free_symbols:
        lo, _ = _atom_bounds(x, doms)
        if lo != -_INF and not (x.is_Symbol and x.name in doms and doms[x.name].choices is not None):
            shift[x] = lo + sympy.Dummy(x.name, nonnegative=True, integer=True)
    if not shift:
        return -_INF
    moved = e.xreplace(shift)
    best = bounds(moved)[0]
    if sympy.count_ops(moved) <= _EXPAND_LIMIT:
        best = max(best, bounds(sympy.expand(moved))[0])
    return best


def _pow_bounds(e: Any, doms: dict[str, SymbolDomain]) -> tuple[Any, Any]:
    (a, b), x = bounds(e.base, doms), e.exp
    if x.is_Integer and x >= 0:
        n = int(x)
        if a >= 0:
            return _clamp(_ipow(a, n), _ipow(b, n))
        if n % 2 == 0:
            top = max(_ipow(-a, n), _ipow(b, n)) if b != _INF else _INF
            return _clamp(0 if b >= 0 else _ipow(b, n), top)
        return _clamp(-_ipow(-a, n), _ipow(b, n) if b >= 0 else -_ipow(-b, n))
    xa, xb = bounds(x, doms)
    if a >= 1 and xa >= 0:  # a power of a base >= 1 grows with base and exponent
        return _clamp(_ipow(a, xa), _ipow(b, xb))
    return -_INF, _INF


def _ipow(a: Any, n: Any) -> Any:
    if a in (_INF, -_INF) or n == _INF:
        return _INF if a != 0 and a != 1 else a
    n = math.floor(n)
    if a not in (0, 1, -1) and n * math.log2(abs(a) if abs(a) > 1 else 2) > 300:
        return _INF if abs(a) > 1 else 0
    return Fraction(a) ** n if isinstance(a, Fraction) else a**n


def is_integral(e: Any, doms: dict[str, SymbolDomain] | None = None) -> bool | None:
    """True when ``e`` is an integer for every integer value of its symbols (in their domains),
    False when it never is, None when that is not decided here."""
    doms = doms or {}
    if A.is_num(e):
        return isinstance(A.norm(e), int)
    ok = _structural(e, doms)
    if ok is not None:
        return ok
    return _residues(e, doms)


def _structural(e: Any, doms: dict[str, SymbolDomain]) -> bool | None:
    """Integer by construction (True), never an integer (False: a rational number), or undecided."""
    if e.is_Integer:
        return True
    if e.is_Rational:
        return False
    if e.is_Symbol or type(e).__name__ == "Indexed":
        return e.is_integer is not False
    name = type(e).__name__
    if name in ("floor", "ceiling"):
        return True
    if name == "Piecewise":
        return True if all(_structural(b, doms) is True for b, _ in e.args) else None
    if e.is_Add or e.is_Mul or name in ("Min", "Max", "Mod"):
        parts = [_structural(a, doms) for a in e.args]
        return True if all(p is True for p in parts) else None
    if e.is_Pow:
        if _structural(e.base, doms) is not True:
            return None
        if e.exp.is_Integer:
            return True if e.exp >= 0 else None
        return True if _structural(e.exp, doms) is True and bounds(e.exp, doms)[0] >= 0 else None
    return None


_RESIDUE_LIMIT = 4096


def _residues(e: Any, doms: dict[str, SymbolDomain]) -> bool | None:
    """Integrality of a polynomial with rational coefficients, from its values at the residues of its
    variables modulo the denominator (restricted by their parity): q(x)/D is an integer iff
    q(x) = 0 mod D, and q(x) mod D depends on x mod D only."""
    import sympy

    atoms: dict[Any, Any] = {}
    free = e
    for x in _preorder(e):  # integer-valued non-polynomial parts become plain integer variables
        if not (x.is_Add or x.is_Mul or x.is_Pow or x.is_Atom) and _structural(x, doms) is True:
            atoms.setdefault(x, sympy.Dummy(integer=True))
    if atoms:
        free = e.xreplace(atoms)
    gens = sorted(free.free_symbols, key=str)
    try:
        poly = sympy.Poly(free, *gens, domain="QQ") if gens else None
    except sympy.PolynomialError:
        return None
    if poly is None or poly.total_degree() > MAX_SYMBOLIC_EXPONENT:
        return None
    den = 1
    for c in poly.coeffs():
        den = math.lcm(den, int(sympy.Rational(c).q))
    if den == 1:
        return True if all(_structural(g, doms) is not False for g in gens) else None
    choices, count = [], 1
    for g in gens:
        dom = doms.get(g.name) if g.is_Symbol and not isinstance(g, sympy.Dummy) else None
        odd = g.is_odd or (dom is not None and dom.odd)
        even = g.is_even or (dom is not None and dom.even)
        parity = den % 2 == 0 and (odd or even)
        count *= den // 2 if parity else den  # bounded before any residue is listed (len(range) overflows)
        if count > _RESIDUE_LIMIT:
            return None
        choices.append(range(1 if odd else 0, den, 2) if parity else range(den))
    num = (poly * den).set_domain("ZZ")
    hits = [num.eval(dict(zip(gens, pt))) % den == 0 for pt in itertools.product(*choices)]
    return True if all(hits) else (False if not any(hits) else None)
