r"""rfsym's LaTeX printer: sympy's ``LatexPrinter`` taught rfsym's objects and notation.

:class:`RfsymLatexPrinter` adds ``_print_<Class>`` methods for layers,
networks, tables, axis states, closed forms and solution sets, and one
notation for expressions (:mod:`rfsym.printing.settings` lists the settings):
terms as an author writes them (a bare state first, negative terms after
positive ones, constants last), terms with a common denominator as one
fraction (``\frac{\kappa - 1}{2} - p``), floors as ``\left\lfloor \frac{a}{b}
\right\rfloor``, multi-letter subscripts upright (``n_{\mathrm{in}}``).

Long closed forms (the nested forms of a 1000-layer stack) print "as built"
(setting ``long_forms``): in the order they were composed, with memoised
subtree queries, in linear time.  There is no second printer: ``rfsym derive
--format latex``, :func:`rfsym.latex`, ``sympy.latex(obj)``, Jupyter and
``ClosedForms.to_latex`` all print through this class.

Reference: sympy's ``sympy/printing/latex.py`` (the printer extended here).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence_traditional

from .. import _arith as A
from ..errors import RfsymError
from ..layers import Identity
from . import relations as R
from .escape import tex_math_text, tex_text
from .settings import (
    _GREEK,
    _PREFIX,
    _STATE_KEY,
    DEFAULT_NAMES,
    LONG_FORM_NODES,
    QUANTITIES,
    RF_SETTINGS,
    Rel,
    check_settings,
)
from .table import decimal_text, table_latex

__all__ = ["RfsymLatexPrinter", "axes_tuple", "printer_for"]

#: a symbol name that sympy's printer may set as it is (anything else is escaped text)
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*'*")
_PREV_ROW = re.compile(r"(n|j|r|start|P)\[(.*)\]", re.S)


class RfsymLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, taught rfsym's objects and notation."""

    _rf_settings: dict[str, Any] = RF_SETTINGS
    _default_settings = {**LatexPrinter._default_settings, **_rf_settings}

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(self._default_settings))
        if unknown:
            raise RfsymError(
                f"unknown LaTeX setting {unknown[0]!r} (rfsym settings: {', '.join(sorted(self._rf_settings))}; "
                "or any setting of sympy.latex)"
            )
        check_settings(settings)
        super().__init__(settings)
        names = dict(DEFAULT_NAMES)
        names.update(self._settings["names"] or {})
        self._names = names
        self._as_built = False  # printing a long form in the order it was built (see long_forms)
        self._kinds_memo: dict[int, tuple[Any, frozenset[type]]] = {}
        self._sym_memo: dict[tuple[Any, str], str] = {}
        self._dispatch_memo: dict[type, Any] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """sympy's dispatcher, with the method for each plain class (no ``_latex``, not a Function) looked up
        once: the same method sympy's MRO walk finds, without the walk on every node of a long form."""
        cls = type(expr)
        meth = self._dispatch_memo.get(cls)
        if meth is None:
            if hasattr(cls, "_latex") or not issubclass(cls, sympy.Basic) or issubclass(cls, sympy.Function):
                return str(super()._print(expr, **kwargs))
            meth = next((m for c in cls.__mro__ if (m := getattr(self, "_print_" + c.__name__, None))), None)
            if meth is None:
                return str(super()._print(expr, **kwargs))
            self._dispatch_memo[cls] = meth
        return str(meth(expr, **kwargs))

    # -- helpers (not dispatched) ---------------------------------------
    def _hprint_name(self, key: str) -> str:
        return self._names[key]

    def _hprint_indexed(self, key: str, index: Any, tag: str | None = None) -> str:
        """``k_{\\ell}`` or ``k^{(\\ell)}``, with an optional upright tag (``p^{\\mathrm{L}}_{\\ell}``)."""
        base = self._names.get(key, key)
        idx = index if isinstance(index, str) else self._print(index)
        if self._settings["notation"] == "superscript":
            out = f"{base}^{{({idx})}}"
            return out + (f"_{{\\mathrm{{{tag}}}}}" if tag else "")
        if tag:
            return f"{base}^{{\\mathrm{{{tag}}}}}_{{{idx}}}"
        return f"{base}_{{{idx}}}"

    def _hprint_state_lhs(self, key: str, index: Any) -> str:
        return self._hprint_indexed(key, index)

    def _hprint_value(self, v: Any, long: bool | None = None) -> str:
        """A value (int, Fraction, sympy expression); ``long`` forces the long-form order (None: the setting)."""
        v = A.norm(v)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, Fraction) and self._settings["numbers"] == "decimal":
            dec = decimal_text(v)
            if dec is not None:
                return dec
        e = A.to_sympy(v)
        return self._hprint_expr(e if self._as_built or self._wants_as_built(e, long) else _tidy(e), long)

    def _hprint_expr(self, e: Any, long: bool | None = None) -> str:
        """A sympy expression, "as built" when it is a long form (see the ``long_forms`` setting)."""
        if self._as_built or not self._wants_as_built(e, long):
            return str(self._print(e))
        saved = self._settings["order"]
        self._as_built, self._settings["order"] = True, "none"
        try:
            return str(self._print(e))
        finally:
            self._as_built, self._settings["order"] = False, saved
            self._kinds_memo.clear()

    def _wants_as_built(self, e: Any, long: bool | None) -> bool:
        mode = self._settings["long_forms"]
        if mode != "auto":
            return bool(mode == "as built")
        return bool(long) or (isinstance(e, sympy.Basic) and not _small(e, LONG_FORM_NODES))

    def _hprint_relations(self, rels: Sequence[tuple[str, str]]) -> str:
        return r",\quad ".join(f"{lhs} = {rhs}" for lhs, rhs in rels)

    def _hprint_dispatch(self, obj: Any) -> str:
        for cls in type(obj).__mro__:
            meth = getattr(self, "_print_" + cls.__name__, None)
            if meth is not None:
                return meth(obj)
        return self.emptyPrinter(obj)

    # -- sympy objects -----------------------------------------------------
    def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
        key = (expr, style)
        hit = self._sym_memo.get(key)
        if hit is None:
            hit = self._sym_memo[key] = self._hprint_symbol(expr, style)
        return hit

    def _hprint_symbol(self, expr: Any, style: str) -> str:
        name = expr.name
        if name.startswith(_PREFIX):
            key = name[len(_PREFIX) :]
            if key == "ell":
                return str(self._settings["index"])
            return self._names.get(key, key)
        if expr in self._settings["symbol_names"]:
            return str(self._settings["symbol_names"][expr])
        if name == "ell":
            return str(self._settings["index"])
        if _PLAIN_NAME.fullmatch(name):
            return _symbol_tex(name, super()._print_Symbol, expr, style)
        prev = _PREV_ROW.fullmatch(name)  # a long table's recurrence: the previous row's value, r[c9] -> r_{c9}
        if prev:
            return self._hprint_indexed(prev.group(1), r"\text{%s}" % tex_text(prev.group(2)))
        return tex_math_text(name)  # a name made through the Python API, not the expression parser: escaped

    def _print_Indexed(self, expr: Any) -> str:
        label = str(expr.base.label)
        if label.startswith(_PREFIX):
            key = label[len(_PREFIX) :]
            tag = None
            if key in ("pL", "pR"):
                key, tag = "p", key[1]
            idx = ",".join(self._print(i) for i in expr.indices)
            return self._hprint_indexed(key, idx, tag)
        idx = ",".join(self._print(i) for i in expr.indices)
        key = label if label in DEFAULT_NAMES else self._print(expr.base.label)
        return self._hprint_indexed(key, idx)

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        """Terms as an author writes them: a bare state (``r_{\\ell-1}``) first, negatives after positives,
        constants last."""
        if self._as_built:
            return sorted(expr.args, key=lambda t: (_bare_state(t), _coeff_negative(t), 1 if t.is_Number else 0))
        terms = list(super()._as_ordered_terms(expr, order=order))

        def key(t: Any) -> tuple[int, int, int]:
            return (_bare_state(t), 1 if t.could_extract_minus_sign() else 0, 1 if t.is_number else 0)

        return sorted(terms, key=key)

    def _hprint_negative(self, t: Any) -> bool:
        """Whether a term prints with a leading minus (long forms, in constant time per term: its numeric
        coefficient is negative; a sum: all its terms are)."""
        if not self._as_built:
            return bool(t.could_extract_minus_sign())
        if t.is_Add:
            return all(_coeff_negative(a) for a in t.args)
        return bool(_coeff_negative(t))

    def _print_Mul(self, expr: Any) -> str:
        """sympy's, but a state quantity comes after the layer's parameters: ``p^{\\mathrm{L}}_{\\ell} j_{\\ell - 1}``."""
        if self._as_built:
            return self._hprint_mul_as_built(expr)
        factors = list(expr.as_ordered_factors())
        states = [f for f in factors if _is_state(f)]
        if not states or len(states) == len(factors) or factors[-len(states) :] == states:
            return str(super()._print_Mul(expr))
        ordered = [f for f in factors if not _is_state(f)] + states
        saved = self._settings["order"]
        self._settings["order"] = "none"
        try:
            return str(super()._print_Mul(sympy.Mul(*ordered, evaluate=False)))
        finally:
            self._settings["order"] = saved

    def _hprint_mul_as_built(self, expr: Any) -> str:
        """A product of a long form: integer coefficient, plain symbols in natural order, then the rest."""
        args = list(expr.args)
        coef = 1
        if args and args[0].is_Number:
            if not args[0].is_Integer:
                return str(super()._print_Mul(expr))
            coef, args = int(args[0]), args[1:]
        if any(a.is_Number or (a.is_Pow and not (a.exp.is_Integer and a.exp > 0)) or a.is_Mul for a in args):
            return str(super()._print_Mul(expr))  # denominators: sympy's fractions
        plain = sorted((a for a in args if a.is_Symbol or a.is_Indexed), key=_natural_key)
        factors = plain + [a for a in args if not (a.is_Symbol or a.is_Indexed)]
        texts = []
        for i, f in enumerate(factors):
            tex = self._print(f)
            if self._needs_mul_brackets(f, first=(i == 0 and coef == 1), last=(i == len(factors) - 1)):
                tex = r"\left(%s\right)" % tex
            texts.append(tex)
        body = " ".join(texts)
        if coef == 1:
            return body
        sign = "- " if coef < 0 else ""
        return sign + body if abs(coef) == 1 else f"{sign}{abs(coef)} {body}"

    def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
        """No brackets around a sum that prints as one fraction (``\\frac{k - 1}{2} j``), unless the fraction
        takes a minus sign and is not the first factor (``s \\left(- \\frac{k - 1}{2}\\right)``)."""
        if expr.is_Add and not self._settings["fold_short_frac"] and _one_fraction(expr):
            if first or not self._hprint_negative(_merged_numerator(expr)):
                return False
            return True
        if not self._as_built:
            return bool(super()._needs_mul_brackets(expr, first=first, last=last))
        if expr.is_Mul:
            if not first and _coeff_negative(expr):
                return True
        elif precedence_traditional(expr) < PRECEDENCE["Mul"] or expr.is_Relational:
            return True
        if expr.is_Piecewise or self._hprint_has(expr, sympy.Mod):
            return True
        return not last and self._hprint_has(expr, sympy.Integral, sympy.Product, sympy.Sum)

    def _needs_add_brackets(self, expr: Any) -> bool:
        if not self._as_built:
            return bool(super()._needs_add_brackets(expr))
        return bool(expr.is_Relational or expr.is_Add or self._hprint_has(expr, sympy.Mod))

    def _hprint_kinds(self, expr: Any) -> frozenset[type]:
        """The classes in a subtree, memoised (long forms share subtrees: linear time overall)."""
        hit = self._kinds_memo.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        kinds = {type(expr)}
        for a in getattr(expr, "args", ()):
            kinds |= self._hprint_kinds(a)
        out = frozenset(kinds)
        self._kinds_memo[id(expr)] = (expr, out)
        return out

    def _hprint_has(self, expr: Any, *classes: type) -> bool:
        return any(issubclass(t, classes) for t in self._hprint_kinds(expr))

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        """sympy's, but terms sharing a denominator print as one fraction: ``\\frac{\\kappa - 1}{2} - p``."""
        terms = self._as_ordered_terms(expr, order=order)
        by_q: dict[int, list[Any]] = {}
        for t in terms:
            c = t.as_coeff_Mul()[0]
            if c.is_Rational and c.q > 1:
                by_q.setdefault(int(c.q), []).append(t)
        merged = {q: ts for q, ts in by_q.items() if len(ts) >= 2}
        if not merged and not self._as_built:
            return str(super()._print_Add(expr, order=order))
        items: list[Any] = []
        seen: set[int] = set()
        for t in terms:
            c = t.as_coeff_Mul()[0]
            q = int(c.q) if c.is_Rational else 1
            if q in merged:
                if q not in seen:
                    seen.add(q)
                    items.append((self._hprint_scaled_sum(merged[q], q), q))
            else:
                items.append(t)
        tex = ""
        for i, item in enumerate(items):
            if isinstance(item, tuple):
                num, q = item
                neg = self._hprint_negative(num)
                top = self._print(-num if neg else num)
                body = r"(%s)/%d" % (top, q) if self._settings["fold_short_frac"] else r"\frac{%s}{%d}" % (top, q)
            else:
                neg = self._hprint_negative(item)
                term = -item if neg else item
                body = self._print(term)
                if self._needs_add_brackets(term):
                    body = r"\left(%s\right)" % body
            if i == 0:
                tex = ("- " if neg else "") + body
            else:
                tex += (" - " if neg else " + ") + body
        return tex

    def _hprint_scaled_sum(self, terms: list[Any], q: int) -> Any:
        """``q * sum(terms)`` (the numerator of terms over q); long forms build it unevaluated, in linear time."""
        if not self._as_built:
            return sympy.Add(*[x * q for x in terms])
        out = []
        for t in terms:
            c, rest = t.as_coeff_Mul()
            c = c * q
            out.append(c if rest == 1 else rest if c == 1 else sympy.Mul(c, *sympy.Mul.make_args(rest), evaluate=False))
        return sympy.Add(*out, evaluate=False)

    def _hprint_floor_arg(self, arg: Any) -> str:
        """The argument as one fraction; with ``fold_short_frac`` (tables) as ``(a + b)/c`` on one line."""
        num = den = None
        if arg.is_Add and _small(arg, 200):
            num, den = sympy.fraction(sympy.together(arg))
            num = sympy.expand(num)
        elif arg.is_Mul:
            num, den = sympy.fraction(arg)
        if num is None or den is None or den == 1:
            return self._print(arg)
        if self._settings["fold_short_frac"]:
            top = self._print(num)
            if num.is_Add:
                top = r"(%s)" % top
            bottom = self._print(den)
            if not (den.is_Atom or den.is_Indexed):
                bottom = r"(%s)" % bottom
            return f"{top}/{bottom}"
        return r"\frac{%s}{%s}" % (self._print(num), self._print(den))

    def _hprint_bracket(self, expr: Any, left: str, right: str, name: str, exp: Any = None) -> str:
        arg = self._hprint_floor_arg(expr.args[0])
        style = self._settings["floor_style"]
        if style == "function":
            tex = r"\operatorname{%s}\left(%s\right)" % (name, arg)
        elif style == "fixed":
            tex = r"\%s %s \%s" % (left, arg, right)
        else:
            tex = r"\left\%s %s \right\%s" % (left, arg, right)
        return r"%s^{%s}" % (tex, exp) if exp is not None else tex

    def _print_floor(self, expr: Any, exp: Any = None) -> str:
        return self._hprint_bracket(expr, "lfloor", "rfloor", "floor", exp)

    def _print_ceiling(self, expr: Any, exp: Any = None) -> str:
        return self._hprint_bracket(expr, "lceil", "rceil", "ceil", exp)

    # -- rfsym objects -------------------------------------------------------
    def _hprint_param(self, p: Any) -> str:
        if isinstance(p, str):
            return tex_math_text(p)
        if isinstance(p, tuple) and len(p) == 2 and not isinstance(p[0], tuple):
            a, b = p
            if a == b:
                return self._hprint_value(a)
            return r"(%s, %s)" % (self._hprint_value(a), self._hprint_value(b))
        return self._hprint_value(p)

    def _hprint_layer_params(self, layer: Any) -> list[str]:
        """``k = 3``, ``s = 2``, … for the parameters that differ from their defaults."""
        nd = layer.ndim or 1
        out = []
        for key, sym in (("kernel", "k"), ("stride", "s"), ("padding", "p"), ("dilation", "d")):
            vals = [layer.params(ax)[key] for ax in range(nd)]
            kernels = [layer.params(ax)["kernel"] for ax in range(nd)]
            if key == "stride" and vals == ([1] * nd if layer.kind != "pool" else kernels):
                continue
            if key == "padding" and all(v == (0, 0) for v in vals):
                continue
            if key == "dilation" and all(v == 1 for v in vals):
                continue
            texts = [self._hprint_param(v) for v in vals]
            body = axes_tuple(texts)
            out.append(f"{self._names[sym]} = {body}")
        if getattr(layer, "ceil_mode", False):
            out.append(r"\mathrm{ceil}")
        return out

    def _print_Conv(self, layer: Any) -> str:
        return r"\mathrm{conv}(%s)" % r",\ ".join(self._hprint_layer_params(layer))

    def _print_Pool(self, layer: Any) -> str:
        name = "maxpool" if layer.mode == "max" else "avgpool"
        return r"\mathrm{%s}(%s)" % (name, r",\ ".join(self._hprint_layer_params(layer)))

    def _print_ConvTranspose(self, layer: Any) -> str:
        """``\\mathrm{convtranspose}(k = 4,\\ s = 2,\\ p = 1)`` with the declared (upsampling) stride."""
        nd = layer.ndim or 1
        rows = [
            (w.kernel, w.stride, w.padding, w.output_padding, w.dilation) for w in map(layer.axis_params, range(nd))
        ]
        out = []
        for i, (sym, default) in enumerate((("k", None), ("s", 1), ("p", (0, 0)), (None, 0), ("d", 1))):
            vals = [r[i] for r in rows]
            if default is not None and all(v == default for v in vals):
                continue
            texts = [self._hprint_param(v) for v in vals]
            body = axes_tuple(texts)
            name = self._names[sym] if sym else self._names["p"] + r"_{\mathrm{out}}"
            out.append(f"{name} = {body}")
        return r"\mathrm{convtranspose}(%s)" % r",\ ".join(out)

    def _print_Upsample(self, layer: Any) -> str:
        """``\\mathrm{upsample}_{\\mathrm{nearest}}(\\times 2)``."""
        scale = layer.scale if isinstance(layer.scale, tuple) else (layer.scale,)
        texts = [self._hprint_value(v) for v in scale]
        body = axes_tuple(texts)
        return r"\mathrm{upsample}_{\mathrm{%s}}(\times %s)" % (layer.mode, body)

    def _print_Identity(self, expr: Any) -> str:
        if isinstance(expr, Identity):
            return tex_math_text(expr.op)
        return str(super()._print_Identity(expr))

    def _print_Repeat(self, layer: Any) -> str:
        r"""``\bigl(A \to B\bigr)^{\times L}``; with an index ``i``: ``\bigl(…\bigr)_{i = 1}^{L}``."""
        inner = r" \to ".join(self._hprint_dispatch(b) for b in layer.block)
        if len(layer.block) > 1:
            inner = r"\bigl(%s\bigr)" % inner
        times = self._hprint_value(layer.times)
        if layer.index is not None:
            return r"%s_{%s = 1}^{%s}" % (inner, self._print(layer.index), times)
        return r"%s^{\times %s}" % (inner, times)

    def _print_Layer(self, layer: Any) -> str:
        return tex_math_text(layer.kind)

    def _hprint_state_relations(self, states: Sequence[Any], index: Any) -> list[tuple[str, str, str]]:
        """(lhs, rhs, quantity) for the chosen quantities of a (per-axis) state."""
        rels = []
        for q in self._settings["quantities"]:
            vals = [s.as_dict()[_STATE_KEY.get(q, q)] for s in states]
            texts = [self._hprint_value(v) for v in vals]
            body = axes_tuple(texts)
            rels.append((self._hprint_state_lhs(q, index), body, q))
        return rels

    def _print_AxisState(self, state: Any) -> str:
        rels = [(self._hprint_name(q), rhs) for _, rhs, q in self._hprint_state_relations([state], 0)]
        return self._hprint_relations(rels)

    def _hprint_network_relations(self, net: Any) -> list[Rel]:
        return R.output_relations(self, net)

    def _hprint_as_relations(self, obj: Any) -> str:
        """``lhs = rhs,\\quad …`` of an object that prints as relations (network, graph, forms, solutions)."""
        rels = R.relations_of(self, obj) or []
        return self._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels])

    def _hprint_relations_Graph(self, graph: Any) -> list[Rel]:
        return R.graph_relations(self, graph)

    def _print_Table(self, table: Any) -> str:
        return table_latex(table, label=self._settings["label"], printer=self)

    def _hprint_reindex(self, v: Any) -> Any:
        """With ``index_base=0``, shift indexed parameters and the limits of sums and products down by one."""
        if self._settings["index_base"] == 1 or A.is_num(v) or not v.has(sympy.Indexed):
            return v
        return _shift_indices(v)

    def _hprint_relations_ClosedForms(self, cf: Any) -> list[Rel]:
        axes = [cf] if cf.axes is None else list(cf.axes)
        vals = {q: [getattr(a, q) for a in axes] for q in QUANTITIES}
        syms: set[Any] = set()
        for a in axes:
            for q in QUANTITIES:
                v = getattr(a, q)
                syms |= getattr(v, "free_symbols", set())
        return R.value_relations(self, R.output_index(self, syms), vals, long=bool(getattr(cf, "compact", False)))

    def _hprint_relations_SolveResult(self, res: Any) -> list[Rel]:
        return R.solve_relations(self, res)

    def _print_Row(self, row: Any) -> str:
        rels = [(self._hprint_name(q), rhs) for _, rhs, q in self._hprint_state_relations(row.states, 0)]
        return self._hprint_relations(rels)

    _print_Network = _print_Graph = _print_ClosedForms = _print_SolveResult = _hprint_as_relations


def _tidy(expr: Any) -> Any:
    """Re-evaluate unevaluated products (``s^L (-1)`` -> ``-s^L``) in small expressions; leave the rest."""
    if not isinstance(expr, sympy.Basic) or expr.is_Atom or not _small(expr, 3000):
        return expr

    def walk(e: Any) -> Any:
        if e.is_Atom or not e.args:
            return e
        args = [walk(a) for a in e.args]
        if isinstance(e, sympy.Mul):
            return sympy.Mul(*args)
        if all(a is b for a, b in zip(args, e.args)):
            return e
        return e.func(*args, evaluate=False) if isinstance(e, (sympy.Add, sympy.floor)) else e.func(*args)

    return walk(expr)


def _shift_indices(expr: Any) -> Any:
    """Re-index from 1-based to 0-based: ``k[i] -> k[i - 1]``, ``Sum(f(v), (v, a, b)) -> Sum(f(v + 1), (v, a - 1, b - 1))``."""

    def walk(e: Any) -> Any:
        if isinstance(e, sympy.Indexed):
            if str(e.base.label).startswith(_PREFIX):
                return e
            return e.base[tuple(walk(i) - 1 for i in e.indices)]
        if isinstance(e, (sympy.Sum, sympy.Product)):
            body = walk(e.function)
            limits = []
            for v, a, b in e.limits:
                # the new variable starts at 0: same name, non-negative instead of positive
                w = (sympy.Dummy if isinstance(v, sympy.Dummy) else sympy.Symbol)(
                    v.name, integer=True, nonnegative=True
                )
                body = body.xreplace({v: w + 1})
                limits.append((w, a - 1, b - 1))
            return type(e)(body, *limits)
        if not e.args or e.is_Atom:
            return e
        return e.func(*[walk(a) for a in e.args])

    return walk(expr)


def _is_state(f: Any) -> bool:
    """A factor that is a state quantity (``j_{\\ell - 1}``) of the recurrence."""
    if not getattr(f, "is_Indexed", False):
        return False
    label = str(f.base.label)
    return label.startswith(_PREFIX) and label[len(_PREFIX) :] in QUANTITIES


def _bare_state(t: Any) -> int:
    """0 for a bare state quantity other than j (``r_{\\ell - 1}``: printed first in a sum), else 1."""
    label = str(t.base.label) if t.is_Indexed else ""
    return 0 if label.startswith(_PREFIX) and label[len(_PREFIX) :] in QUANTITIES and label != _PREFIX + "j" else 1


def _coeff_negative(t: Any) -> int:
    """1 when the term's numeric coefficient is negative (constant time: no sympy assumptions)."""
    c = t if t.is_Number else t.args[0] if t.is_Mul else None
    return 1 if c is not None and c.is_Number and c.is_extended_negative else 0


def _natural_key(s: Any) -> tuple[Any, ...]:
    """k2 before k10; ``k[2]`` before ``k[10]``."""
    return _natural_name(s.name if s.is_Symbol else str(s))


@functools.lru_cache(maxsize=65536)
def _natural_name(name: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _merged_numerator(add: Any) -> Any:
    """The numerator of a sum whose terms share one denominator q: ``1/2 - k/2 -> 1 - k``."""
    q = int(add.args[0].as_coeff_Mul()[0].q)
    return sympy.Add(*[t * q for t in add.args])


def _one_fraction(add: Any) -> bool:
    """True when every term of a sum has a rational coefficient with the same denominator q > 1."""
    qs = set()
    for t in add.args:
        c = t.as_coeff_Mul()[0]
        if not (c.is_Rational and c.q > 1):
            return False
        qs.add(int(c.q))
    return len(qs) == 1


def _small(expr: Any, limit: int) -> bool:
    """True when the expression tree has fewer than ``limit`` nodes (stops counting early)."""
    for i, _ in enumerate(sympy.preorder_traversal(expr)):
        if i >= limit:
            return False
    return True


_SUB_WORD = re.compile(r"^[A-Za-z]{2,}$")


def _symbol_tex(name: str, default: Any, expr: Any, style: str) -> str:
    """Like sympy's, but multi-letter subscripts (``n_in``, ``p_left``) print upright: ``n_{\\mathrm{in}}``."""
    stem, sups, subs = split_super_sub(name)
    if not any(_SUB_WORD.match(x) and x not in _GREEK for x in (*sups, *subs)):
        return str(default(expr, style=style))

    def part(x: str) -> str:
        if _SUB_WORD.match(x) and x not in _GREEK:
            return r"\mathrm{%s}" % x
        return sympy.latex(sympy.Symbol(x))

    out = sympy.latex(sympy.Symbol(stem)) if stem else ""
    if subs:
        out += "_{%s}" % " ".join(part(x) for x in subs)
    if sups:
        out += "^{%s}" % " ".join(part(x) for x in sups)
    return out


def axes_tuple(texts: Sequence[str]) -> str:
    """Per-axis values as one value (all equal) or a tuple ``(1, 4, 4)`` -- never ``1 \\times 4 \\times 4``,
    which reads as a product."""
    return texts[0] if all(t == texts[0] for t in texts) else "(%s)" % ", ".join(texts)


def printer_for(printer: Any = None, **settings: Any) -> RfsymLatexPrinter:
    """An :class:`RfsymLatexPrinter`; reuses ``printer`` or carries over the settings of a plain sympy one."""
    if isinstance(printer, RfsymLatexPrinter) and not settings:
        return printer
    base: dict[str, Any] = {}
    if printer is not None:
        base = {k: v for k, v in printer._settings.items() if k in RfsymLatexPrinter._default_settings and k != "mode"}
        base = {k: v for k, v in base.items() if v != LatexPrinter._default_settings.get(k, object())}
    base.update(settings)
    return RfsymLatexPrinter(base)
