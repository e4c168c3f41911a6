"""The compact printer of closed forms (text, JSON and LaTeX of long, nested stacks).

Moved verbatim from the former ``rfsym/closed_form.py``; its LaTeX part is to
become a setting of the sympy LatexPrinter subclass in :mod:`rfsym.printing`.
"""

from __future__ import annotations

from typing import Any

from .. import _arith as A


def _forms_printer(settings: dict[str, Any]) -> Any:
    """sympy's LatexPrinter with memoised symbol names and subtree queries (linear time on long stacks)."""
    from sympy.printing.latex import LatexPrinter

    class FormsLatexPrinter(LatexPrinter):
        def __init__(self, settings: dict[str, Any]) -> None:
            super().__init__(settings)
            self._kinds_memo: dict[int, tuple[Any, frozenset[type]]] = {}
            self._sym_memo: dict[Any, str] = {}

        def _kinds(self, expr: Any) -> frozenset[type]:
            hit = self._kinds_memo.get(id(expr))
            if hit is not None and hit[0] is expr:
                return hit[1]
            kinds = {type(expr)}
            for a in getattr(expr, "args", ()):
                kinds |= self._kinds(a)
            out = frozenset(kinds)
            self._kinds_memo[id(expr)] = (expr, out)
            return out

        def _has(self, expr: Any, *classes: type) -> bool:
            return any(issubclass(t, classes) for t in self._kinds(expr))

        def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
            from sympy import Integral, Mod, Product, Sum
            from sympy.printing.precedence import PRECEDENCE, precedence_traditional

            if expr.is_Mul:
                if not first and expr.could_extract_minus_sign():
                    return True
            elif precedence_traditional(expr) < PRECEDENCE["Mul"]:
                return True
            elif expr.is_Relational:
                return True
            if expr.is_Piecewise or self._has(expr, Mod):
                return True
            return not last and self._has(expr, Integral, Product, Sum)

        def _needs_add_brackets(self, expr: Any) -> bool:
            from sympy import Mod

            return bool(expr.is_Relational or expr.is_Add or self._has(expr, Mod))

        def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
            key = (expr, style)
            hit = self._sym_memo.get(key)
            if hit is None:
                hit = self._sym_memo[key] = super()._print_Symbol(expr, style=style)
            return hit

        # Fast paths for the products and sums of long stacks: integer coefficient,
        # no denominators.  Anything else goes to sympy's own methods.
        def _simple_factors(self, expr: Any) -> tuple[Any, list[Any]] | None:
            args = list(expr.args)
            coef = 1
            if args and args[0].is_Number:
                if not args[0].is_Integer:
                    return None
                coef = int(args[0])
                args = args[1:]
            for a in args:
                if a.is_Number or (a.is_Pow and not (a.exp.is_Integer and a.exp > 0)) or a.is_Mul:
                    return None
            return coef, sorted(args, key=_natural_key) if all(a.is_Symbol for a in args) else args

        def _factors_tex(self, factors: list[Any]) -> str:
            out = []
            for i, f in enumerate(factors):
                tex = self._print(f)
                if self._needs_mul_brackets(f, first=(i == 0), last=(i == len(factors) - 1)):
                    tex = r"\left(" + tex + r"\right)"
                out.append(tex)
            return " ".join(out)

        def _print_Mul(self, expr: Any) -> str:
            simple = self._simple_factors(expr)
            if simple is None:
                return super()._print_Mul(expr)
            coef, factors = simple
            body = self._factors_tex(factors)
            if coef == 1:
                return body
            if coef == -1:
                return "- " + body
            return f"{coef} {body}"

        def _print_Add(self, expr: Any, order: Any = None) -> str:
            tex = ""
            terms = [t for t in expr.args if not t.is_Number] + [t for t in expr.args if t.is_Number]
            for i, term in enumerate(terms):
                simple = self._simple_factors(term) if term.is_Mul else None
                if simple is not None and simple[0] < 0:
                    coef, factors = simple
                    body = self._factors_tex(factors)
                    body = body if coef == -1 else f"{-coef} {body}"
                    tex += " - " + body if i else "- " + body
                    continue
                if term.is_Integer and term < 0:
                    tex += f" - {-int(term)}" if i else f"- {-int(term)}"
                    continue
                if term.is_Mul and simple is None and term.could_extract_minus_sign():
                    tex += (" - " if i else "- ") + self._bracket_add(-term)
                    continue
                tex += (" + " if i else "") + self._bracket_add(term)
            return tex

        def _bracket_add(self, term: Any) -> str:
            t = self._print(term)
            return r"\left(" + t + r"\right)" if self._needs_add_brackets(term) else t

    settings = dict(settings)
    settings.setdefault("order", "none")
    return FormsLatexPrinter(settings)


def _natural_key(s: Any) -> tuple[Any, ...]:
    """k2 before k10."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s.name))


def _subs_class() -> type:
    import sympy

    return sympy.Subs


def _json(v: Any, compact: bool = False) -> Any:
    v = A.norm(v)
    if A.is_num(v):
        return A.to_json(v)
    return _str(v, compact)


def _str(v: Any, compact: bool) -> str:
    """sympy syntax; long (nested) forms keep their term order, which is also much faster to print."""
    if compact:
        from sympy.printing.str import sstr

        return str(sstr(v, order="none"))
    return str(display(v))


def _fmt(v: Any, compact: bool = False) -> str:
    v = A.norm(v)
    return A.fmt(v) if A.is_num(v) else _str(v, compact)


def _axes_str(v: Any, axes: Any, compact: bool = False) -> str:
    if axes is None:
        return _fmt(v, compact)
    return "[" + ", ".join(_fmt(x, compact) for x in v) + "]"


def display(expr: Any) -> Any:
    """expr for printing: ``floor(n/32 - 227/32)`` shown as ``floor((n - 227)/32)`` (same value, unevaluated)."""
    import sympy

    expr = A.to_sympy(expr)
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr

    def one(f: Any) -> Any:
        u = f.args[0]
        if not u.is_Add:
            return f
        q = sympy.ilcm(*[sympy.fraction(t.as_coeff_Mul()[0])[1] for t in u.args])
        if q == 1:
            return f
        inner = sympy.expand(u * q)
        arg = sympy.Mul(inner, sympy.Pow(q, -1, evaluate=False), evaluate=False)
        return f.func(arg, evaluate=False)

    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), one)
