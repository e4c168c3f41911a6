r"""LaTeX for rfsym objects, built on sympy's printing package.

:class:`RfsymLatexPrinter` subclasses sympy's ``LatexPrinter`` and adds
``_print_<Class>`` methods for layers, networks, tables, axis states, closed
forms and solution sets; the rfsym classes get a ``_latex`` method, so
``sympy.latex(net)`` works as well as :func:`latex`.

>>> from rfsym import Conv, Pool, Network
>>> latex(Conv(kernel=3, stride=2, padding=1))
'\\mathrm{conv}(k = 3,\\ s = 2,\\ p = 1)'
>>> latex(Network([Conv(kernel=3), Conv(kernel=3)], input=32), environment="inline")
'$n_{2} = 28,\\quad j_{2} = 1,\\quad r_{2} = 5,\\quad \\mathrm{start}_{2} = \\frac{5}{2},\\quad P_{2} = 0$'

Settings (unknown ones raise :class:`~rfsym.RfsymError`), besides sympy's own:

``notation``
    ``"subscript"`` (``k_{\ell}``, default) or ``"superscript"`` (``k^{(\ell)}``).
``names``
    LaTeX names of the quantities, e.g. ``{"r": "R", "start": "c"}``; keys
    ``n, j, r, start, P, k, s, p, d, kappa, N``.
``index``
    the layer index, ``\ell`` by default.
``index_base``
    1 (layers ``1..L`` map state ``\ell-1`` to ``\ell``; default) or 0 (layers
    ``0..L-1`` map state ``\ell`` to ``\ell+1``).  The input state is always 0.
``environment``
    ``None`` (bare), ``"inline"``, ``"equation"``, ``"equation*"``, ``"align"``
    or ``"align*"``.
``label``
    a ``\label`` key; for several relations ``<label>:<quantity>`` per line.
``floor_style``
    ``"auto"`` (``\left\lfloor … \right\rfloor``, default), ``"fixed"``
    (``\lfloor … \rfloor``) or ``"function"`` (``\operatorname{floor}(…)``).
``intertext``
    explanations between the lines of a derivation (``\intertext``; default True).
``compact_threshold``
    networks with more layers than this print sums and products (``\sum``,
    ``\prod``) instead of term-by-term expansions (default 12).
``quantities``
    which of ``n, j, r, start, P`` to print (default all).

References: sympy's ``sympy/printing/latex.py`` (the printer extended here);
Araujo, Norris and Sim, *Computing Receptive Fields of Convolutional Neural
Networks*, Distill 2019 (effective padding ``P``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from sympy.printing.latex import LatexPrinter

from .. import _arith as A
from ..errors import RfsymError

__all__ = ["RfsymLatexPrinter", "latex", "derivation", "QUANTITIES"]

#: One printed relation: (left-hand side, right-hand side, quantity key for labels or None).
Rel = tuple[str, str, "str | None"]

QUANTITIES = ("n", "j", "r", "start", "P")
DEFAULT_NAMES = {
    "n": "n",
    "j": "j",
    "r": "r",
    "start": r"\mathrm{start}",
    "P": "P",
    "k": "k",
    "s": "s",
    "p": "p",
    "d": "d",
    "kappa": r"\kappa",
    "N": "N",
}
ENVIRONMENTS = (None, "inline", "equation", "equation*", "align", "align*")
FLOOR_STYLES = ("auto", "fixed", "function")
NOTATIONS = ("subscript", "superscript")
_STATE_KEY = {"P": "effective_padding"}

# Private symbol names: the printer recognises them; users cannot write them
# (the expression parser only accepts [A-Za-z_][A-Za-z0-9_]*).
_PREFIX = "rf:"
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "ell",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}  # fmt: skip


def _indexed(key: str, index: Any, **assumptions: bool) -> Any:
    """``key[index]`` as a sympy Indexed over a private base (printed through ``names``)."""
    import sympy

    return sympy.IndexedBase(_PREFIX + key, **assumptions)[index]


def index_symbol() -> Any:
    """The layer index ``\\ell`` (printed through the ``index`` setting)."""
    import sympy

    return sympy.Symbol(_PREFIX + "ell", integer=True)


def depth_symbol() -> Any:
    """The number of layers ``L``."""
    import sympy

    return sympy.Symbol(_PREFIX + "L", integer=True, positive=True)


class RfsymLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, taught rfsym's objects and notation."""

    _rf_settings: dict[str, Any] = {
        "notation": "subscript",
        "names": None,
        "index": r"\ell",
        "index_base": 1,
        "environment": None,
        "label": None,
        "floor_style": "auto",
        "intertext": True,
        "compact_threshold": 12,
        "quantities": QUANTITIES,
    }
    _default_settings = {**LatexPrinter._default_settings, **_rf_settings}

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(self._default_settings))
        if unknown:
            raise RfsymError(
                f"unknown LaTeX setting {unknown[0]!r} (rfsym settings: {', '.join(sorted(self._rf_settings))}; "
                "or any setting of sympy.latex)"
            )
        _check_settings(settings)
        super().__init__(settings)
        names = dict(DEFAULT_NAMES)
        names.update(self._settings["names"] or {})
        self._names = names

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

    def _hprint_value(self, v: Any) -> str:
        v = A.norm(v)
        if isinstance(v, int):
            return str(v)
        return self._print(_tidy(A.to_sympy(v)))

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
        name = expr.name
        if name.startswith(_PREFIX):
            key = name[len(_PREFIX) :]
            if key == "ell":
                return self._settings["index"]
            return self._names.get(key, key)
        if expr in self._settings["symbol_names"]:
            return self._settings["symbol_names"][expr]
        if name == "ell":
            return self._settings["index"]
        return _symbol_tex(name, super()._print_Symbol, expr, style)

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
        terms = list(super()._as_ordered_terms(expr, order=order))

        def key(t: Any) -> tuple[int, int, int]:
            label = str(t.base.label) if t.is_Indexed else ""
            bare = label.startswith(_PREFIX) and label[len(_PREFIX) :] in QUANTITIES and label != _PREFIX + "j"
            return (0 if bare else 1, 1 if t.could_extract_minus_sign() else 0, 1 if t.is_number else 0)

        return sorted(terms, key=key)

    def _print_Mul(self, expr: Any) -> str:
        """sympy's, but a state quantity comes after the layer's parameters: ``p^{\\mathrm{L}}_{\\ell} j_{\\ell - 1}``."""
        import sympy

        factors = list(expr.as_ordered_factors())
        states = [f for f in factors if _is_state(f)]
        if not states or len(states) == len(factors) or factors[-len(states) :] == states:
            return super()._print_Mul(expr)
        ordered = [f for f in factors if not _is_state(f)] + states
        saved = self._settings["order"]
        self._settings["order"] = "none"
        try:
            return super()._print_Mul(sympy.Mul(*ordered, evaluate=False))
        finally:
            self._settings["order"] = saved

    def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
        """No brackets around a sum that prints as one fraction (``\\frac{k - 1}{2} j``)."""
        if expr.is_Add and not self._settings["fold_short_frac"] and _one_fraction(expr):
            return False
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        """sympy's, but terms sharing a denominator print as one fraction: ``\\frac{\\kappa - 1}{2} - p``."""
        import sympy

        terms = self._as_ordered_terms(expr, order=order)
        by_q: dict[int, list[Any]] = {}
        for t in terms:
            c = t.as_coeff_Mul()[0]
            if c.is_Rational and c.q > 1:
                by_q.setdefault(int(c.q), []).append(t)
        merged = {q: ts for q, ts in by_q.items() if len(ts) >= 2}
        if not merged:
            return super()._print_Add(expr, order=order)
        items: list[Any] = []
        seen: set[int] = set()
        for t in terms:
            c = t.as_coeff_Mul()[0]
            q = int(c.q) if c.is_Rational else 1
            if q in merged:
                if q not in seen:
                    seen.add(q)
                    items.append((sympy.Add(*[x * q for x in merged[q]]), q))
            else:
                items.append(t)
        tex = ""
        for i, item in enumerate(items):
            if isinstance(item, tuple):
                num, q = item
                neg = num.could_extract_minus_sign()
                top = self._print(-num if neg else num)
                body = r"(%s)/%d" % (top, q) if self._settings["fold_short_frac"] else r"\frac{%s}{%d}" % (top, q)
            else:
                neg = item.could_extract_minus_sign()
                term = -item if neg else item
                body = self._print(term)
                if self._needs_add_brackets(term):
                    body = r"\left(%s\right)" % body
            if i == 0:
                tex = ("- " if neg else "") + body
            else:
                tex += (" - " if neg else " + ") + body
        return tex

    def _hprint_floor_arg(self, arg: Any) -> str:
        """The argument as one fraction; with ``fold_short_frac`` (tables) as ``(a + b)/c`` on one line."""
        import sympy

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
            return r"\mathrm{%s}" % p.replace("_", r"\_")
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
            body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
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
            body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
            name = self._names[sym] if sym else self._names["p"] + r"_{\mathrm{out}}"
            out.append(f"{name} = {body}")
        return r"\mathrm{convtranspose}(%s)" % r",\ ".join(out)

    def _print_Upsample(self, layer: Any) -> str:
        """``\\mathrm{upsample}_{\\mathrm{nearest}}(\\times 2)``."""
        scale = layer.scale if isinstance(layer.scale, tuple) else (layer.scale,)
        texts = [self._hprint_value(v) for v in scale]
        body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
        return r"\mathrm{upsample}_{\mathrm{%s}}(\times %s)" % (layer.mode, body)

    def _print_Identity(self, expr: Any) -> str:
        from ..layers import Identity

        if isinstance(expr, Identity):
            return r"\mathrm{%s}" % expr.op
        return super()._print_Identity(expr)

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
        return r"\mathrm{%s}" % layer.kind.replace("_", r"\_")

    def _hprint_state_relations(self, states: Sequence[Any], index: Any) -> list[tuple[str, str, str]]:
        """(lhs, rhs, quantity) for the chosen quantities of a (per-axis) state."""
        rels = []
        for q in self._settings["quantities"]:
            vals = [s.as_dict()[_STATE_KEY.get(q, q)] for s in states]
            texts = [self._hprint_value(v) for v in vals]
            body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
            rels.append((self._hprint_state_lhs(q, index), body, q))
        return rels

    def _print_AxisState(self, state: Any) -> str:
        rels = [(self._hprint_name(q), rhs) for _, rhs, q in self._hprint_state_relations([state], 0)]
        return self._hprint_relations(rels)

    def _hprint_network_relations(self, net: Any) -> list[Rel]:
        return output_relations(self, net)

    def _print_Network(self, net: Any) -> str:
        return self._hprint_relations([(lhs, rhs) for lhs, rhs, _ in self._hprint_network_relations(net)])

    def _hprint_relations_Graph(self, graph: Any) -> list[Rel]:
        """A graph prints the state of its output node, indexed by the node's name."""
        if graph.free_symbols:
            from ..closed_form import derive

            try:
                cf = derive(graph)
            except (RfsymError, AttributeError, TypeError) as e:
                raise RfsymError(f"{graph.name}: no closed form of this graph to print ({e})") from None
            axes = [cf] if cf.axes is None else list(cf.axes)
            vals = {q: [getattr(a, q) for a in axes] for q in QUANTITIES}
            node = getattr(graph, "outputs", ("output",))[-1]
        else:
            row = graph.table().rows[-1]
            node = row.name
            vals = {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in row.states] for q in QUANTITIES}
        return _value_relations(self, r"\text{%s}" % _tex_text(node), vals)

    def _print_Graph(self, graph: Any) -> str:
        return self._hprint_relations([(lhs, rhs) for lhs, rhs, _ in self._hprint_relations_Graph(graph)])

    def _print_Table(self, table: Any) -> str:
        from .table import table_latex

        return table_latex(table, label=self._settings["label"], printer=self)

    def _hprint_reindex(self, v: Any) -> Any:
        """With ``index_base=0``, shift indexed parameters and the limits of sums and products down by one."""
        if self._settings["index_base"] == 1 or A.is_num(v) or not v.has(_IndexedType()):
            return v
        return _shift_indices(v)

    def _hprint_relations_ClosedForms(self, cf: Any) -> list[Rel]:
        axes = [cf] if cf.axes is None else list(cf.axes)
        index = self._settings.get("_depth") or depth_symbol()
        return _value_relations(self, index, {q: [getattr(a, q) for a in axes] for q in QUANTITIES})

    def _print_ClosedForms(self, cf: Any) -> str:
        return self._hprint_relations([(lhs, rhs) for lhs, rhs, _ in self._hprint_relations_ClosedForms(cf)])

    def _hprint_relations_SolveResult(self, res: Any) -> list[Rel]:
        return solve_relations(self, res)

    def _print_SolveResult(self, res: Any) -> str:
        return self._hprint_relations([(lhs, rhs) for lhs, rhs, _ in self._hprint_relations_SolveResult(res)])

    def _print_Row(self, row: Any) -> str:
        rels = [(self._hprint_name(q), rhs) for _, rhs, q in self._hprint_state_relations(row.states, 0)]
        return self._hprint_relations(rels)


def _tidy(expr: Any) -> Any:
    """Re-evaluate unevaluated products (``s^L (-1)`` -> ``-s^L``) in small expressions; leave the rest."""
    import sympy

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


def solve_relations(p: RfsymLatexPrinter, res: Any) -> list[Rel]:
    """A solution set as relations: the set of tuples, progressions, or symbolic solutions with conditions."""
    import sympy

    from ..values import symbol

    def sym(name: str) -> str:
        return p._print(symbol(name))

    unknowns = list(res.unknowns)
    tup = sym(unknowns[0]) if len(unknowns) == 1 else r"(%s)" % ", ".join(sym(u) for u in unknowns)
    targets = r",\ ".join(_target_tex(p, t) for t in res.targets)
    rels: list[Rel] = []
    if res.symbolic is not None:
        for k, v in res.symbolic.items():
            rels.append((sym(k), p._hprint_value(v), k))
        for c in res.conditions:
            rels.append((r"\text{if}", p._print(c.expr), None))
        return rels
    if res.count == 0:
        rels.append((r"\{%s : %s\}" % (tup, targets), r"\varnothing", "solutions"))
        return rels
    multiline = str(p._settings["environment"]).startswith(("align", "equation"))
    if res.count is None:
        # an infinite set: the union of arithmetic progressions, the other unknowns fixed in each
        t = sympy.Symbol("t", integer=True)
        sets = []
        for prog in res.parametric:
            value = p._print(prog.offset + prog.step * t)
            parts = [value if u == prog.symbol else str(prog.fixed.get(u, "?")) for u in unknowns]
            elem = parts[0] if len(parts) == 1 else "(%s)" % ", ".join(parts)
            cond = r"t \geq %d" % prog.t_min + (r",\ t \leq %d" % prog.t_max if prog.t_max is not None else "")
            sets.append(r"\{%s : %s\}" % (elem, cond))
        lines = [r" \cup ".join(sets[i : i + 3]) for i in range(0, len(sets), 3)]
        rels.append(
            (
                r"\{%s : %s\}" % (tup, targets),
                (r" \\ &\qquad \cup " if multiline else r" \cup ").join(lines),
                "solutions",
            )
        )
        return rels
    items = [
        (str(sol[unknowns[0]]) if len(unknowns) == 1 else "(%s)" % ", ".join(str(sol[u]) for u in unknowns))
        for sol in (
            res.solutions if res.minimize else sorted(res.solutions, key=lambda d: tuple(d[u] for u in unknowns))
        )
    ]
    more = r", \dots" if not res.complete or len(items) < (res.count or 0) else ""
    chunks = [", ".join(items[i : i + 6]) for i in range(0, len(items), 6)] or [""]
    body = (r", \\ &\qquad " if multiline else ", ").join(chunks)
    lhs = r"\{%s : %s\}" % (tup, targets)
    rels.append((lhs, r"\{%s%s\}" % (body, more), "solutions"))
    if res.count is not None and res.count > len(items):
        rels.append((r"\text{number of solutions}", str(res.count), "count"))
    if res.minimize is not None and res.optimum is not None:
        rels.append((r"\min %s" % _objective_tex(res.minimize), p._hprint_value(res.optimum), "optimum"))
    return rels


def _objective_tex(name: str) -> str:
    return {"depth": r"\text{depth}", "sum_k2": r"\textstyle\sum_\ell k_\ell^2"}.get(
        name, r"\text{%s}" % _tex_text(name)
    )


def _target_tex(p: RfsymLatexPrinter, t: Any) -> str:
    q = "P" if t.quantity in ("effective_padding", "P") else t.quantity
    name = p._names.get(q, q)
    if t.at:
        name = r"%s_{\text{%s}}" % (name, _tex_text(t.at))
    if t.symbolic:
        return f"{name} = {p._hprint_value(t.value)}"
    if t.is_equality:
        return f"{name} = {p._hprint_value(t.lo)}"
    parts = []
    if t.lo is not None and t.hi is not None:
        return r"%s \leq %s \leq %s" % (p._hprint_value(t.lo), name, p._hprint_value(t.hi))
    if t.lo is not None:
        parts.append(r"%s \geq %s" % (name, p._hprint_value(t.lo)))
    if t.hi is not None:
        parts.append(r"%s \leq %s" % (name, p._hprint_value(t.hi)))
    return r",\ ".join(parts) or name


def _shift_indices(expr: Any) -> Any:
    """Re-index from 1-based to 0-based: ``k[i] -> k[i - 1]``, ``Sum(f(v), (v, a, b)) -> Sum(f(v + 1), (v, a - 1, b - 1))``."""
    import sympy

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
    from sympy import preorder_traversal

    for i, _ in enumerate(preorder_traversal(expr)):
        if i >= limit:
            return False
    return True


def _IndexedType() -> Any:
    import sympy

    return sympy.Indexed


_SUB_WORD = re.compile(r"^[A-Za-z]{2,}$")


def _symbol_tex(name: str, default: Any, expr: Any, style: str) -> str:
    """Like sympy's, but multi-letter subscripts (``n_in``, ``p_left``) print upright: ``n_{\\mathrm{in}}``."""
    from sympy.printing.conventions import split_super_sub

    stem, sups, subs = split_super_sub(name)
    if not any(_SUB_WORD.match(x) and x not in _GREEK for x in (*sups, *subs)):
        return default(expr, style=style)
    import sympy

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


def _check_settings(s: dict[str, Any]) -> None:
    if "notation" in s and s["notation"] not in NOTATIONS:
        raise RfsymError(f"LaTeX setting notation must be one of {', '.join(NOTATIONS)} (got {s['notation']!r})")
    if "environment" in s and s["environment"] not in ENVIRONMENTS:
        raise RfsymError(
            f"LaTeX setting environment must be one of {', '.join(str(e) for e in ENVIRONMENTS)} (got {s['environment']!r})"
        )
    if "floor_style" in s and s["floor_style"] not in FLOOR_STYLES:
        raise RfsymError(
            f"LaTeX setting floor_style must be one of {', '.join(FLOOR_STYLES)} (got {s['floor_style']!r})"
        )
    if "index_base" in s and s["index_base"] not in (0, 1):
        raise RfsymError(f"LaTeX setting index_base must be 0 or 1 (got {s['index_base']!r})")
    if s.get("names") is not None:
        if not isinstance(s["names"], dict):
            raise RfsymError(f"LaTeX setting names must be a dict (got {s['names']!r})")
        bad = sorted(set(s["names"]) - set(DEFAULT_NAMES))
        if bad:
            raise RfsymError(
                f"LaTeX setting names: unknown quantity {bad[0]!r} (choose from {', '.join(DEFAULT_NAMES)})"
            )
        for k, v in s["names"].items():
            if not isinstance(v, str) or not v:
                raise RfsymError(f"LaTeX setting names[{k!r}] must be a non-empty string (got {v!r})")
    if "quantities" in s:
        q = s["quantities"]
        if isinstance(q, str) or not all(x in QUANTITIES for x in q) or not q:
            raise RfsymError(
                f"LaTeX setting quantities must be a non-empty list from {', '.join(QUANTITIES)} (got {q!r})"
            )
    if "compact_threshold" in s and (not isinstance(s["compact_threshold"], int) or s["compact_threshold"] < 0):
        raise RfsymError(
            f"LaTeX setting compact_threshold must be a non-negative integer (got {s['compact_threshold']!r})"
        )
    if "label" in s and s["label"] is not None and not isinstance(s["label"], str):
        raise RfsymError(f"LaTeX setting label must be a string (got {s['label']!r})")
    if "index" in s and (not isinstance(s["index"], str) or not s["index"]):
        raise RfsymError(f"LaTeX setting index must be a non-empty string (got {s['index']!r})")


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


def _label(p: RfsymLatexPrinter, key: str | None = None) -> str:
    lab = p._settings["label"]
    if not lab:
        return ""
    return r"\label{%s}" % (f"{lab}:{key}" if key else lab)


def wrap(p: RfsymLatexPrinter, rels: Sequence[Rel] | None, body: str | None = None) -> str:
    """Put relations (lhs, rhs, key) or one body in the chosen environment."""
    env = p._settings["environment"]
    if rels is None:
        assert body is not None
        if env is None:
            return body
        if env == "inline":
            return f"${body}$"
        lab = _label(p) if not env.endswith("*") else ""
        if env.startswith("equation"):
            return "\\begin{%s}%s\n%s\n\\end{%s}" % (env, lab, body, env)
        return "\\begin{%s}\n%s%s\n\\end{%s}" % (env, body, lab, env)
    if env is None:
        return p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels])
    if env == "inline":
        return "$" + p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels]) + "$"
    star = env.endswith("*")
    if env.startswith("equation"):
        if len(rels) == 1 and "&" not in rels[0][1]:
            lhs, rhs, _ = rels[0]
            inner = f"{lhs} = {rhs}"
        else:
            inner = (
                "\\begin{aligned}\n" + " \\\\\n".join(f"  {lhs} &= {rhs}" for lhs, rhs, _ in rels) + "\n\\end{aligned}"
            )
        lab = "" if star else _label(p)
        return "\\begin{%s}%s\n%s\n\\end{%s}" % (env, lab, inner, env)
    lines = []
    for lhs, rhs, key in rels:
        lab = "" if star else _label(p, key if len(rels) > 1 else None)
        lines.append(f"  {lhs} &= {rhs}{lab}")
    return "\\begin{%s}\n%s\n\\end{%s}" % (env, " \\\\\n".join(lines), env)


def relations_of(p: RfsymLatexPrinter, obj: Any) -> list[Rel] | None:
    """The relations an object prints as, or None when it prints as one expression."""
    from ..layers import AxisState
    from ..network import Network, Row

    if isinstance(obj, Network):
        return p._hprint_network_relations(obj)
    if isinstance(obj, AxisState):
        return [(p._hprint_name(q), rhs, q) for _, rhs, q in p._hprint_state_relations([obj], 0)]
    if isinstance(obj, Row):
        return [(p._hprint_name(q), rhs, q) for _, rhs, q in p._hprint_state_relations(obj.states, 0)]
    rel = getattr(p, "_hprint_relations_" + type(obj).__name__, None)
    if rel is not None:
        return rel(obj)
    return None


def latex(obj: Any, **settings: Any) -> str:
    r"""LaTeX of an rfsym object (layer, network, table, state, closed form, solutions) or a sympy expression.

    >>> import sympy
    >>> latex(sympy.floor((sympy.Symbol("n") + 3) / 2))
    '\\left\\lfloor \\frac{n + 3}{2} \\right\\rfloor'
    >>> latex(sympy.Symbol("n_in"))
    'n_{\\mathrm{in}}'
    """
    from ..network import Table

    p = RfsymLatexPrinter(settings)
    if isinstance(obj, Table):
        return p._print_Table(obj)
    rels = relations_of(p, obj)
    if rels is not None:
        return wrap(p, rels)
    from ..errors import RfsymError as _E

    try:
        body = p._print(obj if _is_rfsym(obj) else A.to_sympy(A.norm(obj)))
    except RecursionError:
        raise _E("expression too deeply nested to print; print a closed form instead (rfsym.closed_form)") from None
    return wrap(p, None, body)


def _is_rfsym(obj: Any) -> bool:
    return type(obj).__module__.startswith("rfsym.")


def derivation(net: Any, *, axis: int = 0, origin: Any = None, convention: str = "framework", **settings: Any) -> str:
    r"""An ``align`` environment deriving the closed form of ``net`` step by step.

    It shows the per-layer recurrence (obtained by running each layer kind's
    transfer function on a symbolic state), its unrolling over the network's
    layers, the folded and simplified closed form, and the assumptions used.
    Networks deeper than ``compact_threshold`` layers use sums and products.
    """
    settings.setdefault("environment", "align")
    p = RfsymLatexPrinter(settings)
    env = p._settings["environment"]
    if env not in ("align", "align*"):
        raise RfsymError(f"a derivation needs environment 'align' or 'align*' (got {env!r})")
    return derivation_lines(p, net, axis=axis, convention=convention, origin=origin)


def _latex_method(self: Any, printer: Any, **kwargs: Any) -> str:
    p = printer_for(printer)
    from ..network import Table

    if isinstance(self, Table):
        return p._print_Table(self)
    rels = relations_of(p, self)
    if rels is not None and printer is not p:
        return p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels])
    return p._hprint_dispatch(self)


def repr_latex(obj: Any) -> str:
    """What Jupyter shows: ``$\\displaystyle …$`` or an ``aligned`` block for several relations."""
    p = RfsymLatexPrinter()
    rels = relations_of(p, obj)
    if rels is None:
        return r"$\displaystyle %s$" % p._hprint_dispatch(obj)
    lines = " \\\\ ".join(f"{lhs} &= {rhs}" for lhs, rhs, _ in rels)
    return r"$\begin{aligned}%s\end{aligned}$" % lines


# -- networks and derivations ------------------------------------------------


def _flat_depth(net: Any) -> Any:
    """Number of layers after unrolling: an int, or an expression when a Repeat count is symbolic."""
    from ..layers import Repeat

    def depth(layers: Iterable[Any]) -> Any:
        total: Any = 0
        for lay in layers:
            if isinstance(lay, Repeat):
                total = A.add(total, A.mul(lay.times, depth(lay.block)))
            else:
                total = A.add(total, 1)
        return total

    return depth(net.layers)


def _output_values(net: Any, threshold: int | None = None) -> tuple[Any, dict[str, list[Any]]]:
    """(depth, {quantity: [value per axis]}) of the network's output: exact numbers from the table,
    closed forms (rfsym.closed_form, floors folded) when anything is symbolic, and the general stack's
    sums and products for networks deeper than ``threshold`` with many symbols (not a page of terms)."""
    depth = _flat_depth(net)
    if not net.free_symbols and net.input is not None:
        states = net.table().output
        return depth, {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in states] for q in QUANTITIES}
    deep = not isinstance(depth, int) or (threshold is not None and depth > threshold)
    if deep and not _few_symbols(net):
        try:
            inputs = net.axes_input()
        except RfsymError:
            from ..values import symbol

            inputs = (symbol("n", "input"),)
        forms = [_general_form(net, depth, n, Fraction(1, 2)) for n in inputs]
        if all(f is not None for f in forms):
            return depth, {q: [f[q] for f in forms] for q in QUANTITIES}  # type: ignore[index]
    from ..closed_form import derive

    cf = derive(net)
    axes = [cf] if cf.axes is None else list(cf.axes)
    return depth, {q: [getattr(a, q) for a in axes] for q in QUANTITIES}


def output_relations(p: RfsymLatexPrinter, net: Any) -> list[Rel]:
    """``n_L = …``, ``j_L = …``, … of the network's output."""
    depth, vals = _output_values(net, p._settings["compact_threshold"])
    return _value_relations(p, depth, vals)


def _value_relations(p: RfsymLatexPrinter, index: Any, vals: dict[str, list[Any]]) -> list[Rel]:
    idx = index if isinstance(index, str) else p._hprint_value(index)
    rels = []
    for q in p._settings["quantities"]:
        texts = [p._hprint_value(p._hprint_reindex(v)) for v in vals[q]]
        body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
        rels.append((p._hprint_indexed(q, idx), body, q))
    return rels


def _generic_recurrence(convention: str = "framework") -> tuple[Any, Any, Any]:
    """(kappa definition, previous state, next state) of a generic layer, through the transfer function."""
    from ..layers import AxisState, Conv

    ell = index_symbol()
    pos = {"integer": True, "positive": True}
    nonneg = {"integer": True, "nonnegative": True}
    k, d = _indexed("k", ell, **pos), _indexed("d", ell, **pos)
    unit = AxisState(n=_indexed("n", 0, **pos), j=1, r=1, start=0, P=0)
    kappa_def = Conv(kernel=k, dilation=d).transfer(unit).r  # r of one layer on a unit state: d (k - 1) + 1
    return (
        ell,
        kappa_def,
        (
            _indexed("kappa", ell, **pos),
            _indexed("s", ell, **pos),
            _indexed("pL", ell, **nonneg),
            _indexed("pR", ell, **nonneg),
        ),
    )


def recurrence_lines(p: RfsymLatexPrinter, convention: str = "framework") -> list[Rel]:
    """The per-layer recurrence ``q_ell = f(q_{ell-1})``, one line per quantity, from Conv.transfer."""
    from ..layers import Conv

    ell, kappa_def, (kap, s, pl, pr) = _generic_recurrence(convention)
    base = p._settings["index_base"]
    i_in, i_out = ell - base, ell + 1 - base
    prev = _symbolic_state(i_in)
    out = Conv(kernel=kap, stride=s, padding=(pl, pr)).transfer(prev, 0, convention)
    lines: list[Rel] = [(p._print(kap), p._print(kappa_def), "kappa")]
    for q in p._settings["quantities"]:
        lines.append((p._print(_indexed(q, i_out)), p._print(getattr(out, q)), q))
    return lines


def _symbolic_state(index: Any) -> Any:
    """The state of layer ``index`` as symbols; n is a positive integer, j and r are positive."""
    from ..layers import AxisState

    pos = {"positive": True}
    return AxisState(
        n=_indexed("n", index, integer=True, positive=True),
        j=_indexed("j", index, **pos),
        r=_indexed("r", index, **pos),
        start=_indexed("start", index),
        P=_indexed("P", index),
    )


def _input_lines(p: RfsymLatexPrinter, state: Any) -> list[Rel]:
    return [
        (p._hprint_indexed(q, "0"), p._hprint_value(state.as_dict()[_STATE_KEY.get(q, q)]), None)
        for q in p._settings["quantities"]
    ]


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _assumption_lines(p: RfsymLatexPrinter, net: Any) -> list[str]:
    """One line per domain: the free symbols that share it (runs such as ``k_0, k_1, …, k_999`` abbreviated)."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for sym in sorted(net.free_symbols, key=lambda x: _natural(x.name)):
        dom = net.symbols.get(sym.name)
        vals = dom.values(limit=12) if dom is not None else None
        odd = sym.is_odd or (dom is not None and dom.odd)
        even = sym.is_even or (dom is not None and dom.even)
        kind = r"\text{odd}" if odd else r"\text{even}" if even else r"\text{integer}"
        if vals is not None:
            rel = (r"&\in \{%s\}" % ", ".join(str(v) for v in vals), "")
        else:
            lo = (
                dom.lower
                if dom is not None and dom.lower is not None
                else (1 if sym.is_positive else 0 if sym.is_nonnegative else None)
            )
            hi = dom.max if dom is not None else None
            if lo is not None and hi is not None:
                rel = (r"&\leq %d,\quad %s" % (hi, kind), r"%d \leq " % lo)
            elif lo is not None:
                rel = (r"&\geq %d,\quad %s" % (lo, kind), "")
            else:
                rel = (r"&\in \text{integers}", "")
        stem = re.sub(r"_?\d+$", "", sym.name)
        groups.setdefault((stem, rel[0], rel[1]), []).append(sym)
    out = []
    for (_, relation, prefix), syms in groups.items():
        if len(syms) > 4:
            names = [p._print(syms[0]), p._print(syms[1]), r"\dots", p._print(syms[-1])]
        else:
            names = [p._print(x) for x in syms]
        out.append(r"%s%s %s" % (prefix, ", ".join(names), relation))
    return out


def derivation_lines(
    p: RfsymLatexPrinter,
    net: Any,
    axis: int = 0,
    convention: str = "framework",
    origin: Any = None,
) -> str:
    """The body of :func:`derivation`."""
    from fractions import Fraction

    from ..layers import AxisState
    from ..network import parse_origin

    origin = parse_origin(Fraction(1, 2) if origin is None else origin)
    if _is_graph(net):
        raise RfsymError(
            f"{net.name}: derivations cover sequential networks; for a graph print its table "
            "(rfsym.latex(net.table())) and its output (rfsym.latex(net))"
        )
    if convention != "framework":
        raise RfsymError(
            f"derivations use the framework convention (got {convention!r}); the seed convention's left padding "
            "depends on every intermediate n and has no closed form"
        )
    star = p._settings["environment"].endswith("*")
    text = p._settings["intertext"]
    rows: list[str] = []

    def inter(s: str) -> None:
        if text:
            rows.append(r"\intertext{%s}" % s)

    def line(lhs: str, rhs: str, key: str | None = None, number: bool = False) -> None:
        lab = _label(p, key) if number and key and not star else ""
        tag = "" if star or number else r"\notag"
        rows.append(f"  {lhs} &= {rhs}{tag}{lab}")

    name = r"\texttt{%s}" % _tex_text(net.name)
    depth = _flat_depth(net)
    compact = not isinstance(depth, int) or depth > p._settings["compact_threshold"]
    idx = p._settings["index"]
    inter(
        r"Each layer $%s$ (kernel $%s$, stride $%s$, left and right padding $%s$ and $%s$, dilation $%s$) maps the "
        r"state of its input to that of its output:"
        % (idx, p._hprint_indexed("k", idx), p._hprint_indexed("s", idx), p._hprint_indexed("p", idx, "L"),
           p._hprint_indexed("p", idx, "R"), p._hprint_indexed("d", idx))
    )  # fmt: skip
    for lhs, rhs, key in recurrence_lines(p, convention):
        line(lhs, rhs, key)
    inp = net.axes_input()
    if not 0 <= axis < len(inp):
        raise RfsymError(f"{net.name}: axis {axis} out of range (the network has {len(inp)} axes)")
    start = AxisState.input(inp[axis], origin)
    inter(r"starting from the input of %s:" % name)
    for lhs, rhs, _ in _input_lines(p, start):
        line(lhs, rhs)
    index = p._hprint_value(depth)
    numeric = not net.free_symbols
    if not compact:
        table = net.table(convention=convention, origin=origin)
        inter(r"Unrolled over the %d layers of %s:" % (depth, name))
        for pos, row in enumerate(table.rows[1:], 1):
            step = row.layer.transfer(_symbolic_state(pos - 1), axis, convention)
            for q in p._settings["quantities"]:
                lhs = p._hprint_indexed(q, str(pos))
                mid = p._print(A.to_sympy(getattr(step, q)))
                val = p._hprint_value(row.states[axis].as_dict()[_STATE_KEY.get(q, q)])
                line(lhs, val if mid == val else f"{mid} = {val}")
        if numeric:
            inter(
                r"so %s acts on this axis as one layer of kernel $%s$, stride $%s$ and left padding $%s$:"
                % (name, p._hprint_indexed("r", index), p._hprint_indexed("j", index), p._hprint_indexed("P", index))
            )
            vals = {q: table.output[axis].as_dict()[_STATE_KEY.get(q, q)] for q in QUANTITIES}
        else:
            inter(
                r"Folding the nested floors with $\lfloor (\lfloor x/a \rfloor + c)/b \rfloor = "
                r"\lfloor (x + ac)/(ab) \rfloor$ (integers $x$, $c$; positive integers $a$, $b$) "
                r"gives the closed form of the output:"
            )
            vals = _derived(net, axis, origin)
        for q in p._settings["quantities"]:
            line(p._hprint_indexed(q, index), p._hprint_value(p._hprint_reindex(vals[q])), q, number=True)
    else:
        general = _general_form(net, depth, inp[axis], origin)
        if general is not None:
            inter(
                r"Unrolling the recurrence over the $%s$ layers of %s and folding the nested floors gives "
                r"sums and products over the layers (layer $%s$ has the parameters above):" % (index, name, idx)
            )
            for q in p._settings["quantities"]:
                line(p._hprint_indexed(q, index), p._hprint_value(p._hprint_reindex(general[q])), q, number=not numeric)
        vals = None
        if numeric:
            table = net.table(convention=convention, origin=origin)
            vals = {q: table.output[axis].as_dict()[_STATE_KEY.get(q, q)] for q in QUANTITIES}
        elif _few_symbols(net):
            vals = _derived(net, axis, origin)
        if vals is not None and all(A.is_num(v) or _small(A.to_sympy(v), 400) for v in vals.values()):
            inter(
                r"With the parameters of %s this is" % name
                if general is not None
                else r"The closed form of the output of %s:" % name
            )
            for q in p._settings["quantities"]:
                line(p._hprint_indexed(q, index), p._hprint_value(p._hprint_reindex(vals[q])), q, number=True)
        elif general is None:
            raise RfsymError(
                f"{net.name}: the closed form is too long to print and the network is not a plain stack of "
                "convolutions and poolings; use rfsym.derive for it"
            )
    assumptions = _assumption_lines(p, net)
    if assumptions:
        inter("where")
        for a_line in assumptions:
            rows.append(f"  {a_line}" + ("" if star else r"\notag"))
    env = p._settings["environment"]
    return "\\begin{%s}\n%s\n\\end{%s}\n" % (env, " \\\\\n".join(_join_intertext(rows)), env)


def _is_graph(net: Any) -> bool:
    from ..network import Network

    return not isinstance(net, Network) and hasattr(net, "outputs") and hasattr(net, "table")


def _derived(net: Any, axis: int, origin: Any) -> dict[str, Any]:
    from ..closed_form import derive

    cf = derive(net, axis=axis, origin=origin)
    return {q: getattr(cf, q) for q in QUANTITIES}


def _few_symbols(net: Any, limit: int = 24) -> bool:
    return len(net.free_symbols) <= limit


@functools.lru_cache(maxsize=2)
def _general_stack(asymmetric: bool) -> Any:
    from ..closed_form import general_stack

    return general_stack("L", asymmetric=asymmetric)


def _general_form(
    net: Any, depth: Any, n_in: Any, origin: Any, *, numeric_depth: bool = False
) -> dict[str, Any] | None:
    """The general L-layer stack's forms (sums and products over indexed parameters) with L = depth,
    or None when the network is not a plain stack of convolutions/poolings with explicit padding."""
    import sympy

    from ..layers import Conv, Identity, Pool, Repeat

    def plain(layers: Iterable[Any]) -> bool:
        for lay in layers:
            if isinstance(lay, Repeat):
                if not plain(lay.block):
                    return False
            elif isinstance(lay, Identity):
                continue
            elif type(lay) not in (Conv, Pool) or getattr(lay, "ceil_mode", False):
                return False
            else:
                for ax in range(lay.ndim or 1):
                    if isinstance(lay.axis_params(ax)[2], str):
                        return False
        return True

    if not plain(net.layers):
        return None
    g = _general_stack(True)
    L = next(s for s in g.j.free_symbols if s.name == "L")
    n = g.input
    # a numeric depth stands in as a symbol printed as the number: substituting the number makes
    # sympy try to evaluate the floor of 1000-term sums and products (slow, and not what we print)
    L_to = A.to_sympy(depth) if numeric_depth or not isinstance(depth, int) else sympy.Symbol(_PREFIX + str(depth))
    sub = {L: L_to, n: A.to_sympy(n_in)}
    out = {q: _replace_unevaluated(A.to_sympy(getattr(g, q)), sub) for q in QUANTITIES}
    if A.norm(origin) != Fraction(1, 2):
        out["start"] = out["start"] - sympy.Rational(1, 2) + A.to_sympy(origin)
    # a, b are the generic left/right paddings of the general stack: print them as p^L, p^R
    rename = {}
    for q in QUANTITIES:
        for ind in out[q].atoms(sympy.Indexed):
            lab = str(ind.base.label)
            if lab in ("a", "b"):
                rename[ind.base] = sympy.IndexedBase(
                    _PREFIX + ("pL" if lab == "a" else "pR"), integer=True, nonnegative=True
                )
    if rename:
        out = {q: _replace_unevaluated(v, rename) for q, v in out.items()}
    return out


def _replace_unevaluated(expr: Any, mapping: dict[Any, Any]) -> Any:
    """``expr.xreplace(mapping)`` without re-evaluating the nodes above a replacement (sympy would ask the
    assumptions of every 1000-term sum under a floor); only what is printed is built."""

    import sympy

    def walk(e: Any) -> Any:
        if e in mapping:
            return mapping[e]
        if isinstance(e, sympy.Indexed):  # an Atom to sympy, but its base and indices may change
            base = mapping.get(e.base, e.base)
            indices = [walk(i) for i in e.indices]
            return e if base is e.base and all(a is b for a, b in zip(indices, e.indices)) else base[tuple(indices)]
        if e.is_Atom or not e.args:
            return e
        args = [walk(a) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            return e
        try:
            return e.func(*args, evaluate=False)
        except TypeError:
            return e.func(*args)

    return walk(expr)


def _join_intertext(rows: list[str]) -> list[str]:
    """Attach each ``\\intertext`` to the following line (no empty line before it)."""
    out: list[str] = []
    pending = ""
    for r in rows:
        if r.startswith(r"\intertext"):
            pending += r + "\n"
        else:
            out.append(pending + r)
            pending = ""
    if pending:
        out[-1] += "\n" + pending.rstrip()
    return out


def _tex_text(s: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("#", r"\#"),
        ("$", r"\$"),
        ("{", r"\{"),
        ("}", r"\}"),
    ):
        s = s.replace(a, b)
    return s
